//! Union import: parents may be in the database or anywhere in the same file.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::header::HeaderMap;
use super::{
    Checked, ImportOptions, KindResult, Progress, RowIssue, Sheet, Written, rows_with_errors,
    should_commit,
};
use crate::error::AppResult;
use crate::registry::Registry;
use crate::registry::orgs::{self, Org, OrgFields, OrgKind};
use crate::registry::scope::Scope;
use crate::types::{RegionCode, parse_date, parse_flag};

struct OrgRow {
    fields: OrgFields,
    parent: Option<String>,
}

fn check_row(h: &HeaderMap, n: usize, row: &[String], out: &mut Checked<OrgRow>) {
    let get = |k: &str| h.get(row, k).trim().to_string();
    let before = out.issues.len();
    let code = orgs::validate_code(&get("code"))
        .map_err(|e| out.error(n, "工会代码", e.message()))
        .ok();
    let name = orgs::validate_name(&get("name"), "工会名称")
        .map_err(|e| out.error(n, "工会名称", e.message()))
        .ok();
    let kind = OrgKind::parse(&get("kind"))
        .map_err(|e| out.error(n, "组织类型", e.message()))
        .ok();
    let region = match get("region") {
        s if s.is_empty() => None,
        s => RegionCode::parse(&s)
            .map_err(|e| out.error(n, "行政区划代码", e.message()))
            .ok(),
    };
    let founded = match get("founded") {
        s if s.is_empty() => None,
        s => parse_date(&s)
            .map_err(|e| out.error(n, "成立日期", e.message()))
            .ok(),
    };
    let nef = parse_flag(&get("nef"))
        .map_err(|e| out.error(n, "新就业形态工会", e.message()))
        .unwrap_or(false);
    let std = parse_flag(&get("standardised"))
        .map_err(|e| out.error(n, "规范化建设达标", e.message()))
        .unwrap_or(false);
    let industry = Some(get("industry")).filter(|s| !s.is_empty());
    let parent = Some(crate::types::normalize_code(&get("parent"))).filter(|s| !s.is_empty());
    if out.issues.len() == before
        && let (Some(code), Some(name), Some(kind)) = (code, name, kind)
    {
        if parent.as_deref() == Some(code.as_str()) {
            out.error(n, "上级工会代码", "上级工会不能是自己");
            return;
        }
        let fields = OrgFields {
            code,
            name,
            kind,
            region_code: region,
            founded_on: founded,
            new_employment: nef,
            industry,
            standardised: std,
        };
        out.ok.push((n, OrgRow { fields, parent }));
    }
}

pub(super) async fn import(
    reg: &Registry,
    scope: &Scope,
    sheet: Sheet,
    opts: &ImportOptions,
    _progress: &Arc<Progress>,
) -> AppResult<KindResult> {
    let mut out = Checked::new();
    for (n, row) in &sheet.rows {
        check_row(&sheet.header, *n, row, &mut out);
    }
    let existing: Vec<Org> = crate::registry::orgs::all(&reg.db).await?;
    let by_code: HashMap<&str, &Org> = existing.iter().map(|o| (o.code.as_str(), o)).collect();
    let by_id: HashMap<i64, &Org> = existing.iter().map(|o| (o.id, o)).collect();
    let mut in_file: HashMap<String, usize> = HashMap::new();
    let mut dup = HashSet::new();
    for (n, r) in &out.ok {
        if let Some(first) = in_file.get(&r.fields.code) {
            dup.insert(*n);
            let first = *first;
            out.issues.push(RowIssue::repeat(
                *n,
                first,
                "工会代码",
                format!("与第{first}行的工会代码重复"),
            ));
        } else {
            in_file.insert(r.fields.code.clone(), *n);
        }
    }
    let rows: Vec<(usize, OrgRow)> = std::mem::take(&mut out.ok)
        .into_iter()
        .filter(|(n, _)| !dup.contains(n))
        .collect();
    let file_rows: HashMap<&str, &OrgRow> = rows
        .iter()
        .map(|(_, r)| (r.fields.code.as_str(), r))
        .collect();
    // Check each row's place in the tree.
    let mut errors: Vec<(usize, &str, String)> = Vec::new();
    for (n, r) in &rows {
        if let Some(e) = by_code.get(r.fields.code.as_str()) {
            if !scope.contains(&e.path) {
                errors.push((
                    *n,
                    "工会代码",
                    format!("工会代码“{}”已被您管理范围以外的工会使用", r.fields.code),
                ));
                continue;
            }
            let current_parent = e
                .parent_id
                .and_then(|p| by_id.get(&p))
                .map(|p| p.code.as_str());
            if r.parent.as_deref() != current_parent && r.parent.is_some() {
                errors.push((
                    *n,
                    "上级工会代码",
                    "与系统中登记的上级工会不同；调整隶属关系请使用“移动工会”".into(),
                ));
            }
            continue;
        }
        match r.parent.as_deref() {
            None if scope.is_all()
                && by_code.is_empty()
                && !rows.iter().any(|(m, o)| m != n && o.parent.is_none()) => {}
            None => errors.push((*n, "上级工会代码", "新建工会必须填写上级工会代码".into())),
            Some(p) => match (by_code.get(p), file_rows.get(p)) {
                (Some(po), _) if !scope.contains(&po.path) => errors.push((
                    *n,
                    "上级工会代码",
                    format!("上级工会“{p}”不在您的管理范围内"),
                )),
                (Some(po), _) if po.status != "active" => {
                    errors.push((*n, "上级工会代码", format!("上级工会“{p}”已撤销")))
                }
                (Some(_), _) | (None, Some(_)) => {}
                (None, None) => errors.push((
                    *n,
                    "上级工会代码",
                    format!("上级工会代码“{p}”不存在（系统和本文件中都没有）"),
                )),
            },
        }
    }
    // Cycles among new rows: follow parents inside the file.
    for (n, r) in &rows {
        let mut seen = HashSet::new();
        let mut cur = r.parent.as_deref();
        while let Some(c) = cur {
            if by_code.contains_key(c) {
                break;
            }
            if !seen.insert(c) || c == r.fields.code {
                errors.push((*n, "上级工会代码", "本文件中的上下级关系形成了循环".into()));
                break;
            }
            cur = file_rows.get(c).and_then(|x| x.parent.as_deref());
        }
    }
    for (n, col, msg) in errors {
        out.issues.push(RowIssue {
            row: n,
            column: col.into(),
            message: msg,
            severity: super::Severity::Error,
            same_as_row: None,
        });
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    let rows: Vec<(usize, OrgRow)> = rows.into_iter().filter(|(n, _)| !bad.contains(n)).collect();
    let mut w = Written::default();
    let mut tx = reg.db.begin_write().await?;
    // Insert parents before children: repeat passes until no row can be placed.
    let mut pending: Vec<&(usize, OrgRow)> = rows.iter().collect();
    let mut placed: HashMap<String, Org> = HashMap::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut next = Vec::new();
        for item in pending {
            let r = &item.1;
            if let Some(e) = by_code.get(r.fields.code.as_str()) {
                if orgs::update_tx(&mut tx, e, &r.fields).await? {
                    w.updated += 1
                } else {
                    w.unchanged += 1
                }
                placed.insert(r.fields.code.clone(), (*e).clone());
                continue;
            }
            let parent: Option<Org> = match r.parent.as_deref() {
                None => None,
                Some(p) => match by_code
                    .get(p)
                    .map(|o| (*o).clone())
                    .or_else(|| placed.get(p).cloned())
                {
                    Some(o) => Some(o),
                    None => {
                        next.push(item);
                        continue;
                    }
                },
            };
            orgs::insert_tx(&mut tx, &r.fields, parent.as_ref()).await?;
            let o = orgs::get_by_code_tx(&mut tx, &Scope::all(), &r.fields.code).await?;
            placed.insert(r.fields.code.clone(), o);
            w.inserted += 1;
        }
        if next.len() == before {
            // Only rows whose parent was itself skipped remain.
            break;
        }
        pending = next;
    }
    tx.commit().await?;
    Ok(KindResult::from_sheet(sheet, out.issues, Some(w)))
}
