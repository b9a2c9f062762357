//! Employer import.

use std::collections::HashMap;
use std::sync::Arc;

use super::{
    Checked, ImportOptions, KindResult, Progress, Sheet, Written, rows_with_errors, should_commit,
};
use crate::error::AppResult;
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::units::{self, UnitFields};
use crate::registry::{Registry, codes};
use crate::types::{RegionCode, Uscc, parse_flag};

struct UnitRow {
    fields: UnitFields,
    org: Option<String>,
}

pub(super) async fn import(
    reg: &Registry,
    scope: &Scope,
    sheet: Sheet,
    opts: &ImportOptions,
    _progress: &Arc<Progress>,
) -> AppResult<KindResult> {
    let orgs: Vec<Org> = crate::registry::orgs::all(&reg.db).await?;
    let org_by_code: HashMap<&str, &Org> = orgs.iter().map(|o| (o.code.as_str(), o)).collect();
    let unit_paths: HashMap<String, Option<String>> =
        sqlx::query_as::<_, (String, Option<String>)>("SELECT uscc, org_path FROM units")
            .fetch_all(reg.db.pool())
            .await?
            .into_iter()
            .collect();
    let h = &sheet.header;
    let mut out: Checked<UnitRow> = Checked::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (n, row) in &sheet.rows {
        let n = *n;
        let get = |k: &str| h.get(row, k).trim().to_string();
        let before = out.issues.len();
        let parsed = match crate::types::excel_damaged_number(&get("uscc"), "统一社会信用代码")
        {
            Some(message) => Err(crate::error::AppError::invalid(message)),
            None => Uscc::parse(&get("uscc")),
        };
        let uscc = match parsed {
            Ok(u) if !u.check_ok() && !opts.accept_uscc_warnings => {
                out.error(
                    n,
                    "统一社会信用代码",
                    "校验位不正确；如确为早期发放的代码，可由管理员勾选“接受校验位提示”后导入",
                );
                None
            }
            Ok(u) => {
                if !u.check_ok() {
                    out.warning(n, "统一社会信用代码", "校验位不正确，已按管理员确认接受");
                }
                Some(u)
            }
            Err(e) => {
                out.error(n, "统一社会信用代码", e.message());
                None
            }
        };
        if let Some(u) = &uscc {
            if let Some(first) = seen.get(u.as_str()) {
                out.issues.push(super::RowIssue::repeat(
                    n,
                    *first,
                    "统一社会信用代码",
                    format!("与第{first}行的统一社会信用代码重复"),
                ));
            } else {
                seen.insert(u.as_str().to_string(), n);
            }
            if let Some(Some(path)) = unit_paths.get(u.as_str())
                && !scope.contains(path)
            {
                out.error(n, "统一社会信用代码", "该单位已由您管理范围以外的工会覆盖");
            }
        }
        let name = crate::registry::orgs::validate_name(&get("name"), "单位名称")
            .map_err(|e| out.error(n, "单位名称", e.message()))
            .ok();
        let ownership = match codes::ownership(&get("ownership")) {
            Ok(v) => v,
            Err(e) if opts.blank_unknown_values => {
                out.warning(n, "经济类型", format!("{}（已留空）", e.message()));
                None
            }
            Err(e) => {
                out.error(n, "经济类型", e.message());
                None
            }
        };
        let small = parse_flag(&get("small_micro"))
            .map_err(|e| out.error(n, "小微企业", e.message()))
            .unwrap_or(false);
        let region = match get("region") {
            s if s.is_empty() => None,
            s => RegionCode::parse(&s)
                .map_err(|e| out.error(n, "行政区划代码", e.message()))
                .ok(),
        };
        let employees = match get("employees").replace([',', '，'], "").parse::<i64>() {
            Ok(v) if (0..=10_000_000).contains(&v) => Some(v),
            _ => {
                out.error(n, "职工人数", "应为0或正整数");
                None
            }
        };
        let org = match get("org") {
            s if s.is_empty() => None,
            s => {
                let code = crate::types::normalize_code(&s);
                match org_by_code.get(code.as_str()) {
                    Some(o) if scope.contains(&o.path) && o.status == "active" => Some(code),
                    Some(o) if scope.contains(&o.path) => {
                        out.error(n, "覆盖工会代码", format!("工会“{}”已撤销", o.name));
                        None
                    }
                    _ => {
                        out.error(
                            n,
                            "覆盖工会代码",
                            format!("工会代码“{s}”不存在或不在您的管理范围内"),
                        );
                        None
                    }
                }
            }
        };
        if org.is_none() && get("org").is_empty() && !scope.is_all() {
            out.error(n, "覆盖工会代码", "请填写覆盖该单位的工会代码");
        }
        let ok = out.issues[before..]
            .iter()
            .all(|i| i.severity == super::Severity::Warning);
        if let (true, Some(uscc), Some(name), Some(employee_count)) = (ok, uscc, name, employees) {
            let industry = Some(get("industry")).filter(|s| !s.is_empty());
            let fields = UnitFields {
                uscc,
                name,
                ownership: ownership.map(Into::into),
                small_micro: small,
                industry,
                region_code: region,
                employee_count,
            };
            out.ok.push((n, UnitRow { fields, org }));
        }
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    let mut w = Written::default();
    let mut tx = reg.db.begin_write().await?;
    for (n, r) in &out.ok {
        if bad.contains(n) {
            continue;
        }
        let covering = r
            .org
            .as_deref()
            .and_then(|c| org_by_code.get(c))
            .map(|o| (*o).clone());
        let existed = unit_paths.contains_key(r.fields.uscc.as_str());
        let (_, changed) = units::upsert_tx(&mut tx, &r.fields, covering.as_ref()).await?;
        match (existed, changed) {
            (false, _) => w.inserted += 1,
            (true, true) => w.updated += 1,
            (true, false) => w.unchanged += 1,
        }
    }
    tx.commit().await?;
    Ok(KindResult::from_sheet(sheet, out.issues, Some(w)))
}
