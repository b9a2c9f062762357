//! Member import, built for hundreds of thousands of rows: the file is read and checked by
//! several threads, people already registered are found by set-based lookups, and every row
//! is written in one transaction (see docs/decisions.md, "Bulk loads of members"). A first
//! load into an empty SQLite registry writes while it reads.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::NaiveDate;

use super::header::HeaderMap;
use super::{
    Checked, ImportKind, ImportOptions, KindResult, Progress, RowIssue, Written, rows_with_errors,
    should_commit,
};
use crate::db::bulk::{Val, insert_rows};
use crate::db::migrations::{BULK_FOREIGN_KEYS, BULK_INDEXES};
use crate::db::{Backend, Tx, new_id, now_ms};
use crate::error::{AppError, AppResult};
use crate::registry::Registry;
use crate::registry::counters;
use crate::registry::members::{
    self as m, EXISTING_COLS, Existing, ID_DOMAIN, MOBILE_DOMAIN, PersonFields, PersonInput,
};
use crate::registry::names::pinyin_forms;
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::types::Mobile;

struct MemberRow {
    fields: PersonFields,
    org: usize,
    joined: NaiveDate,
    id_hash: Vec<u8>,
}

struct Lookups {
    orgs: Vec<Org>,
    org_by_code: HashMap<String, usize>,
    /// Unions of the importer's subtree by name (as [`name_key`] leaves it).
    org_by_name: HashMap<String, Vec<usize>>,
    unit_by_uscc: HashMap<String, i64>,
    /// Employers the importer may name, by name: (id, credit code).
    unit_by_name: HashMap<String, Vec<(i64, String)>>,
    /// Suggestions already worked out for a name that matched nothing.
    near_names: std::sync::Mutex<HashMap<String, String>>,
    scope: Scope,
    /// What an unknown coded value does (the import's option).
    unknown: m::UnknownValues,
}

async fn load_lookups(reg: &Registry, scope: &Scope, opts: &ImportOptions) -> AppResult<Lookups> {
    let orgs: Vec<Org> = crate::registry::orgs::all(&reg.db).await?;
    let org_by_code = orgs
        .iter()
        .enumerate()
        .map(|(i, o)| (o.code.clone(), i))
        .collect();
    let mut org_by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, o) in orgs.iter().enumerate() {
        if scope.contains(&o.path) {
            org_by_name.entry(name_key(&o.name)).or_default().push(i);
        }
    }
    // Employers of the importer's subtree and employers no union covers yet; another
    // subtree's employer is "not registered" here, like any record outside the scope.
    let units: Vec<(String, i64, String, Option<String>)> =
        sqlx::query_as("SELECT uscc, id, name, org_path FROM units")
            .fetch_all(reg.db.pool())
            .await?;
    let mut unit_by_uscc = HashMap::new();
    let mut unit_by_name: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for (uscc, id, name, path) in units {
        if path.as_deref().is_none_or(|p| scope.contains(p)) {
            unit_by_name
                .entry(name_key(&name))
                .or_default()
                .push((id, uscc.clone()));
            unit_by_uscc.insert(uscc, id);
        }
    }
    Ok(Lookups {
        orgs,
        org_by_code,
        org_by_name,
        unit_by_uscc,
        unit_by_name,
        near_names: Default::default(),
        scope: scope.clone(),
        unknown: if opts.blank_unknown_values {
            m::UnknownValues::LeaveEmpty
        } else {
            m::UnknownValues::Refuse
        },
    })
}

/// A union's or employer's name as compared: no spaces, full-width letters and brackets as
/// half-width (「（」 and 「(」 are the same bracket to a cadre).
fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// Up to three known names near one that matched nothing, for the message.
fn near_names<'a>(typed: &str, known: impl Iterator<Item = &'a String>) -> String {
    let t = name_key(typed);
    let mut scored: Vec<(f64, &String)> = known
        .map(|k| {
            let score = if k.contains(&t) || t.contains(k.as_str()) {
                1.0
            } else {
                strsim::normalized_levenshtein(k, &t)
            };
            (score, k)
        })
        .filter(|(score, _)| *score >= 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let names: Vec<String> = scored
        .iter()
        .take(3)
        .map(|(_, k)| format!("“{k}”"))
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!("相近的有：{}", names.join("、"))
    }
}

impl Lookups {
    /// The union a row names, by code or (when there is no code) by name: a 基层工会 of the
    /// importer's subtree that takes members. The error says which column and why.
    fn union_of(
        &self,
        code: Option<&str>,
        name: Option<&str>,
    ) -> Result<usize, (&'static str, String)> {
        if let Some(code) = code {
            let found = self
                .org_by_code
                .get(&crate::types::normalize_code(code))
                .copied()
                .filter(|i| self.scope.contains(&self.orgs[*i].path));
            return match found {
                Some(i) => m::check_member_union(&self.orgs[i])
                    .map(|()| i)
                    .map_err(|e| ("所属工会代码", e.message().to_string())),
                None => Err((
                    "所属工会代码",
                    format!("工会代码“{code}”不存在或不在您的管理范围内"),
                )),
            };
        }
        let Some(name) = name else {
            return Err((
                "所属工会代码",
                "不能为空（请填写工会代码或所在工会名称）".into(),
            ));
        };
        match self.org_by_name.get(&name_key(name)).map(Vec::as_slice) {
            Some([i]) => m::check_member_union(&self.orgs[*i])
                .map(|()| *i)
                .map_err(|e| ("所在工会", e.message().to_string())),
            Some(many) if !many.is_empty() => {
                let list: Vec<String> = many
                    .iter()
                    .map(|i| format!("{}（{}）", self.orgs[*i].name, self.orgs[*i].code))
                    .collect();
                Err((
                    "所在工会",
                    format!(
                        "您的管理范围内有{}个工会都叫“{name}”：{}；请改填所属工会代码",
                        many.len(),
                        list.join("、")
                    ),
                ))
            }
            _ => {
                let near = self.near(name, || near_names(name, self.org_by_name.keys()));
                Err((
                    "所在工会",
                    format!("您的管理范围内没有名为“{name}”的工会。{near}"),
                ))
            }
        }
    }

    /// The employer a row names, by credit code or (without one) by exact name.
    fn employer_of(
        &self,
        uscc: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<i64>, (&'static str, String)> {
        if let Some(u) = uscc {
            if let Some(message) = crate::types::excel_damaged_number(u, "统一社会信用代码")
            {
                return Err(("工作单位统一社会信用代码", message));
            }
            return match self.unit_by_uscc.get(u) {
                Some(id) => Ok(Some(*id)),
                None => Err((
                    "工作单位统一社会信用代码",
                    format!("单位“{u}”未登记或不在您的管理范围内，请先导入单位"),
                )),
            };
        }
        let Some(name) = name else { return Ok(None) };
        match self.unit_by_name.get(&name_key(name)).map(Vec::as_slice) {
            Some([(id, _)]) => Ok(Some(*id)),
            Some(many) if !many.is_empty() => {
                let codes: Vec<&str> = many.iter().map(|(_, u)| u.as_str()).collect();
                Err((
                    "工作单位",
                    format!(
                        "有{}家已登记单位都叫“{name}”（信用代码{}）；请改填工作单位统一社会信用代码",
                        many.len(),
                        codes.join("、")
                    ),
                ))
            }
            _ => {
                let near = self.near(name, || near_names(name, self.unit_by_name.keys()));
                Err((
                    "工作单位",
                    format!("没有找到名为“{name}”的已登记单位，请先导入单位或改填信用代码。{near}"),
                ))
            }
        }
    }

    /// The suggestion for a name that matched nothing, worked out once per name.
    fn near(&self, name: &str, work: impl FnOnce() -> String) -> String {
        let mut cache = self.near_names.lock().expect("not poisoned");
        if let Some(s) = cache.get(name) {
            return s.clone();
        }
        // Suggestions for a handful of distinct names are plenty; past that, none.
        let s = if cache.len() < 200 {
            work()
        } else {
            String::new()
        };
        cache.insert(name.to_string(), s.clone());
        s
    }
}

/// Takes a cell's text out of the row (each is read once), trimmed; `None` when blank.
fn cell(h: &HeaderMap, row: &mut [String], key: &str) -> Option<String> {
    let i = h.position(key)?;
    let mut v = std::mem::take(row.get_mut(i)?);
    let trimmed = v.trim();
    if trimmed.len() != v.len() {
        v = trimmed.to_string();
    }
    (!v.is_empty()).then_some(v)
}

fn check_rows(
    h: &HeaderMap,
    rows: Vec<(usize, Vec<String>)>,
    lk: &Lookups,
    reg: &Registry,
    progress: &Progress,
) -> Checked<MemberRow> {
    let mut out = Checked::new();
    let today = chrono::Local::now().date_naive();
    for (n, mut row) in rows {
        let unit_uscc = cell(h, &mut row, "unit_uscc").map(|u| crate::types::normalize_code(&u));
        let input = PersonInput {
            name: cell(h, &mut row, "name"),
            id_number: cell(h, &mut row, "id_number"),
            sex: cell(h, &mut row, "sex"),
            birth_date: cell(h, &mut row, "birth_date"),
            ethnicity: cell(h, &mut row, "ethnicity"),
            political: cell(h, &mut row, "political"),
            education: cell(h, &mut row, "education"),
            hukou: cell(h, &mut row, "hukou"),
            mobile: cell(h, &mut row, "mobile"),
            unit_uscc: unit_uscc.clone(),
            migrant: cell(h, &mut row, "migrant"),
            nef_group: cell(h, &mut row, "nef_group"),
            card_no: cell(h, &mut row, "card_no"),
        };
        let before = out.issues.len();
        let unit_id = match lk.employer_of(
            unit_uscc.as_deref(),
            cell(h, &mut row, "unit_name").as_deref(),
        ) {
            Ok(id) => id,
            Err((column, message))
                if lk.unknown == m::UnknownValues::LeaveEmpty && column == "工作单位" =>
            {
                out.warning(n, column, format!("{message}（已留空）"));
                None
            }
            Err((column, message)) => {
                out.error(n, column, message);
                None
            }
        };
        if let Some(u) = &unit_uscc
            && unit_id.is_some()
            && crate::types::Uscc::parse(u).is_ok_and(|c| !c.check_ok())
        {
            out.warning(
                n,
                "工作单位统一社会信用代码",
                "校验位不正确（该单位登记时已按管理员确认接受），请核对",
            );
        }
        let (org_code, org_name) = (cell(h, &mut row, "org"), cell(h, &mut row, "org_name"));
        let org = match lk.union_of(org_code.as_deref(), org_name.as_deref()) {
            Ok(i) => Some(i),
            Err((column, message)) => {
                out.error(n, column, message);
                None
            }
        };
        // Both given and they disagree: the code decides, the cadre is told.
        if let (Some(i), Some(_), Some(name)) = (org, &org_code, &org_name)
            && name_key(name) != name_key(&lk.orgs[i].name)
        {
            out.warning(
                n,
                "所在工会",
                format!(
                    "“{name}”与工会代码对应的“{}”不一致，已按代码导入",
                    lk.orgs[i].name
                ),
            );
        }
        let joined = cell(h, &mut row, "joined");
        match m::validate_enrolment(
            &input,
            unit_id,
            lk.unknown,
            joined.as_deref(),
            m::JoinDate::Required,
            today,
        ) {
            Err(issues) => {
                for i in issues {
                    out.error(n, &i.field, i.message);
                }
            }
            Ok((fields, joined, warnings)) => {
                for w in warnings {
                    out.warning(n, &w.field, w.message);
                }
                if out.issues[before..]
                    .iter()
                    .all(|i| i.severity == super::Severity::Warning)
                    && let Some(org) = org
                {
                    let id_hash = reg.keys.blind_index(ID_DOMAIN, fields.id.as_str());
                    out.ok.push((
                        n,
                        MemberRow {
                            fields,
                            org,
                            joined,
                            id_hash,
                        },
                    ));
                }
            }
        }
        progress.rows_to_write.fetch_add(1, Ordering::Relaxed);
    }
    out
}

/// Rows read from the file, numbered in file order, for a validating thread.
struct Batch {
    seq: usize,
    header: Arc<HeaderMap>,
    rows: Vec<(usize, Vec<String>)>,
}

/// One batch's result: its valid rows and the problems found.
struct Validated {
    seq: usize,
    ok: Vec<(usize, MemberRow)>,
    issues: Vec<RowIssue>,
}

/// Reads the file and validates it at once: the reader hands batches of rows to two validating
/// threads, whose results go to `consume` on a thread of its own as they are ready (in any
/// order; `seq` gives the file order). Neither the whole sheet nor its cells are ever held.
fn read_and_check<R: Send>(
    data: &[u8],
    lk: &Lookups,
    reg: &Registry,
    progress: &Progress,
    consume: impl FnOnce(std::sync::mpsc::Receiver<Validated>) -> R + Send,
) -> AppResult<(HeaderMap, u64, u64, R)> {
    const BATCH_ROWS: usize = 2000;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Batch>(4);
    let receiver = std::sync::Mutex::new(receiver);
    let (done, results) = std::sync::mpsc::sync_channel::<Validated>(4);
    std::thread::scope(|s| {
        let consumer = s.spawn(|| consume(results));
        let validators: Vec<_> = (0..2)
            .map(|_| {
                let done = done.clone();
                let receiver = &receiver;
                s.spawn(move || {
                    loop {
                        let next = receiver.lock().expect("not poisoned").recv();
                        let Ok(batch) = next else { break };
                        let part = check_rows(&batch.header, batch.rows, lk, reg, progress);
                        let result = Validated {
                            seq: batch.seq,
                            ok: part.ok,
                            issues: part.issues,
                        };
                        if done.send(result).is_err() {
                            break; // the consumer died; its panic surfaces at join
                        }
                    }
                })
            })
            .collect();
        drop(done);
        let mut batch: Vec<(usize, Vec<String>)> = Vec::with_capacity(BATCH_ROWS);
        let mut shared: Option<Arc<HeaderMap>> = None;
        let mut seq = 0;
        let mut send = |h: &HeaderMap, rows: Vec<(usize, Vec<String>)>| {
            let header = shared.get_or_insert_with(|| Arc::new(h.clone())).clone();
            // A closed channel means the validators died; their panic surfaces at join.
            let _ = sender.send(Batch { seq, header, rows });
            seq += 1;
        };
        let read = super::stream_sheet(ImportKind::Members, data, progress, |h, n, cells| {
            batch.push((n, cells));
            if batch.len() == BATCH_ROWS {
                send(
                    h,
                    std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS)),
                );
            }
            Ok(())
        });
        if let (Ok((h, _, _)), false) = (&read, batch.is_empty()) {
            send(h, std::mem::take(&mut batch));
        }
        drop(sender);
        for v in validators {
            v.join().expect("validation thread");
        }
        let consumed = consumer.join().expect("consuming thread");
        let (header, rows_total, rows_empty) = read?;
        Ok((header, rows_total, rows_empty, consumed))
    })
}

/// Collects every batch's result, in file order (it decides "first occurrence").
fn collect_all(results: std::sync::mpsc::Receiver<Validated>) -> Checked<MemberRow> {
    let mut all = Checked::new();
    for part in results {
        all.ok.extend(part.ok);
        all.issues.extend(part.issues);
    }
    all.ok.sort_unstable_by_key(|(n, _)| *n);
    all
}

fn duplicate(row: usize, first: usize) -> RowIssue {
    RowIssue::repeat(
        row,
        first,
        "身份证号",
        format!("与第{first}行的身份证号重复（同一人只能有一条记录）"),
    )
}

/// The people of the file already in the registry, by blind index.
async fn find_existing(
    reg: &Registry,
    in_file: &HashMap<Vec<u8>, usize>,
    registry_size: i64,
) -> AppResult<HashMap<Vec<u8>, Existing>> {
    use futures_util::TryStreamExt;
    use sqlx::{FromRow, Row};
    let mut existing = HashMap::new();
    let mut keep = |row: &sqlx::any::AnyRow| -> AppResult<()> {
        let h: Vec<u8> = row.try_get("id_hash").map_err(AppError::internal)?;
        if in_file.contains_key(&h) {
            existing.insert(h, Existing::from_row(row).map_err(AppError::internal)?);
        }
        Ok(())
    };
    if registry_size == 0 {
        // The first load: nobody to look up.
    } else if in_file.len() as i64 * 4 >= registry_size {
        // The file holds a good part of the registry (a re-import, say): one pass over the
        // table is several times quicker than looking each person up.
        let sql = format!("SELECT {EXISTING_COLS}, id_hash FROM members");
        let mut rows = sqlx::query(&sql).fetch(reg.db.pool());
        while let Some(row) = rows.try_next().await? {
            keep(&row)?;
        }
    } else {
        let hashes: Vec<&Vec<u8>> = in_file.keys().collect();
        for chunk in hashes.chunks(500) {
            let sql = format!(
                "SELECT {EXISTING_COLS}, id_hash FROM members WHERE id_hash IN ({})",
                crate::db::in_list(chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for h in chunk {
                q = q.bind((*h).clone());
            }
            for row in q.fetch_all(reg.db.pool()).await? {
                keep(&row)?;
            }
        }
    }
    Ok(existing)
}

enum Action {
    Insert,
    Rejoin(i64),
    Update(i64),
    Unchanged,
}

pub(super) async fn import(
    reg: &Registry,
    scope: &Scope,
    data: Arc<Vec<u8>>,
    opts: &ImportOptions,
    progress: &Arc<Progress>,
) -> AppResult<KindResult> {
    let lk = Arc::new(load_lookups(reg, scope, opts).await?);
    progress.rows_to_write.store(0, Ordering::Relaxed);
    let existing_people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(reg.db.pool())
        .await?;
    if existing_people == 0 && !opts.dry_run && reg.db.backend() == Backend::Sqlite {
        return first_load(reg, lk, data, opts, progress).await;
    }
    let (header, rows_total, rows_empty, mut checked) = {
        let (lk, reg2, p) = (lk.clone(), reg.clone(), progress.clone());
        tokio::task::spawn_blocking(move || read_and_check(&data, &lk, &reg2, &p, collect_all))
            .await
            .map_err(AppError::internal)??
    };
    progress.set_phase("校验数据");
    // The same person twice in one file: keep the first, report the rest.
    let mut first_row: HashMap<Vec<u8>, usize> = HashMap::with_capacity(checked.ok.len());
    let mut dups = Vec::new();
    for (n, r) in &checked.ok {
        if let Some(first) = first_row.get(&r.id_hash) {
            dups.push((*n, *first));
        } else {
            first_row.insert(r.id_hash.clone(), *n);
        }
    }
    for (n, first) in &dups {
        checked.issues.push(duplicate(*n, *first));
    }
    // Existing people, looked up by blind index in chunks.
    progress.set_phase("比对已有会员");
    let existing = find_existing(reg, &first_row, existing_people).await?;
    // Decide what each valid row does.
    let dup_rows: std::collections::HashSet<usize> = dups.iter().map(|(n, _)| *n).collect();
    let mut plan: Vec<(usize, Action)> = Vec::with_capacity(checked.ok.len());
    for (i, (n, r)) in checked.ok.iter().enumerate() {
        if dup_rows.contains(n) {
            continue;
        }
        let org = &lk.orgs[r.org];
        let action = match existing.get(&r.id_hash) {
            None => Action::Insert,
            Some(e) if !crate::registry::members::person_in_scope(scope, e.org_path.as_deref()) => {
                checked.issues.push(err(
                    *n,
                    "身份证号",
                    crate::registry::members::REGISTERED_ELSEWHERE,
                ));
                continue;
            }
            Some(e) if e.status == "deceased" => {
                checked
                    .issues
                    .push(err(*n, "身份证号", "此人已登记为已故，不能入会"));
                continue;
            }
            Some(e) if e.status == "left" => Action::Rejoin(e.id),
            Some(e) if e.org_id != Some(org.id) => {
                // In the caller's subtree (checked above), so the union may be named.
                let other = lk
                    .orgs
                    .iter()
                    .find(|o| Some(o.id) == e.org_id)
                    .map(|o| format!("“{}”（{}）", o.name, o.code))
                    .unwrap_or_else(|| "其他工会".into());
                checked.issues.push(err(
                    *n,
                    "所属工会代码",
                    format!("转会冲突：此人目前是{other}的会员，需由原工会办理转出后再入会"),
                ));
                continue;
            }
            Some(e) => {
                let mh = r
                    .fields
                    .mobile
                    .as_ref()
                    .map(|mo| reg.keys.blind_index(MOBILE_DOMAIN, mo.as_str()));
                if e.differs(&r.fields, mh.as_deref()) {
                    Action::Update(e.id)
                } else {
                    Action::Unchanged
                }
            }
        };
        plan.push((i, action));
    }
    if !should_commit(opts, &checked.issues) {
        return Ok(KindResult {
            header,
            rows_total,
            rows_empty,
            issues: checked.issues,
            written: None,
        });
    }
    let bad = rows_with_errors(&checked.issues);
    let plan: Vec<(usize, Action)> = plan
        .into_iter()
        .filter(|(i, _)| !bad.contains(&checked.ok[*i].0))
        .collect();
    progress.set_phase("写入数据库");
    progress.rows_to_write.store(
        plan.iter()
            .filter(|(_, a)| !matches!(a, Action::Unchanged))
            .count() as u64,
        Ordering::Relaxed,
    );
    progress.rows_written.store(0, Ordering::Relaxed);
    let inserts = plan
        .iter()
        .filter(|(_, a)| matches!(a, Action::Insert))
        .count() as i64;
    // A large load into a comparatively small registry: rebuild the secondary indexes once
    // afterwards instead of maintaining them row by row. Same transaction, so all-or-nothing.
    // (Counted before the transaction: a concurrent import in between only makes this choice
    // slower than it could be, never wrong.)
    let bulk = inserts >= 20_000 && inserts >= existing_people;
    let ok_rows = Arc::new(std::mem::take(&mut checked.ok));
    let writer = open_writer(reg, bulk).await?;
    let db = writer.as_ref().unwrap_or(&reg.db);
    let written = async {
        let mut tx = begin(db, bulk).await?;
        let written = write_plan(&mut tx, reg, &lk, ok_rows, &plan, progress).await?;
        finish(tx, db, bulk, written.inserted, progress).await?;
        Ok::<_, AppError>(written)
    }
    .await;
    close_writer(reg, writer, written.as_ref().map_or(0, |w| w.inserted)).await;
    Ok(KindResult {
        header,
        rows_total,
        rows_empty,
        issues: checked.issues,
        written: Some(written?),
    })
}

/// The first load into an empty SQLite registry, where every valid row is a new person: rows
/// are written while the rest of the file is still being read and checked (the database works
/// while the validating threads do). If the file turns out to have errors and only a complete
/// import may be committed, the transaction is rolled back; the report is the same either way.
/// Not on PostgreSQL: there a bulk load locks the member tables against readers (it drops
/// their indexes and foreign keys), which a first load of a few rows should not do.
async fn first_load(
    reg: &Registry,
    lk: Arc<Lookups>,
    data: Arc<Vec<u8>>,
    opts: &ImportOptions,
    progress: &Arc<Progress>,
) -> AppResult<KindResult> {
    progress.set_phase("读取并写入");
    let skip_invalid = opts.skip_invalid;
    let writer = open_writer(reg, true).await?;
    let db = writer.as_ref().unwrap_or(&reg.db);
    let result = async {
        let mut tx = begin(db, true).await?;
        let nodes = counters::Nodes::all(&mut tx).await?;
        let (rows_tx, mut rows_rx) = tokio::sync::mpsc::channel::<NewRows>(2);
        let reading = {
            let (lk, reg2, p) = (lk.clone(), reg.clone(), progress.clone());
            tokio::task::spawn_blocking(move || {
                // For the progress bar: a CSV file holds about one row per line.
                if super::reader::sniff(&data).is_ok_and(|k| k == super::reader::FileKind::Csv) {
                    let lines = data.iter().filter(|b| **b == b'\n').count() as u64;
                    p.rows_to_write.store(lines.max(1), Ordering::Relaxed);
                }
                let keys = reg2.keys.clone();
                read_and_check(&data, &lk, &reg2, &p, |results| {
                    stream_new_people(results, &lk, &keys, &nodes, skip_invalid, rows_tx)
                })
            })
        };
        let backend = db.backend();
        let mut writing: AppResult<()> = Ok(());
        while let Some(chunk) = rows_rx.recv().await {
            writing = write_new_rows(&mut tx, backend, chunk, progress).await;
            if writing.is_err() {
                break; // closing the channel stops the producer; the error is returned below
            }
        }
        drop(rows_rx);
        let read = reading.await.map_err(AppError::internal)?;
        writing?;
        let (header, rows_total, rows_empty, streamed) = read?;
        let written = if streamed.complete {
            counters::write_deltas(&mut tx, streamed.totals).await?;
            finish(tx, db, true, streamed.inserted, progress).await?;
            Some(Written {
                inserted: streamed.inserted,
                ..Written::default()
            })
        } else {
            tx.rollback().await?; // the file has errors: none of it is kept
            None
        };
        Ok::<_, AppError>(KindResult {
            header,
            rows_total,
            rows_empty,
            issues: streamed.issues,
            written,
        })
    }
    .await;
    let inserted = match &result {
        Ok(KindResult {
            written: Some(w), ..
        }) => w.inserted,
        _ => 0,
    };
    close_writer(reg, writer, inserted).await;
    result
}

/// Adds a new person's rows to `chunk` and their part of the statistics totals to `totals`.
fn add_new_person(
    chunk: &mut NewRows,
    totals: &mut counters::Deltas,
    keys: &crate::crypto::FieldKeys,
    org: &Org,
    r: &MemberRow,
    nodes: &counters::Nodes,
    now: i64,
) {
    let (person, spell) = new_rows(keys, org, r, now);
    chunk.0.push(person);
    chunk.1.push(spell);
    counters::contribute(&counted_person(org, r), nodes, 1, totals);
}

/// Inserts a chunk of new people and counts them as written.
async fn write_new_rows(
    tx: &mut Tx,
    backend: Backend,
    (people, spells): NewRows,
    progress: &Progress,
) -> AppResult<()> {
    let n = people.len() as u64;
    insert_rows(tx, backend, "members", MEMBER_COLS, people).await?;
    insert_rows(tx, backend, "memberships", MEMBERSHIP_COLS, spells).await?;
    if progress.rows_written.fetch_add(n, Ordering::Relaxed) == 0 {
        tracing::debug!("import: first rows written");
    }
    Ok(())
}

/// New people's `members` and `memberships` rows, a chunk at a time.
type NewRows = (Vec<Vec<Val>>, Vec<Vec<Val>>);

/// What streaming a first load produced.
struct Streamed {
    issues: Vec<RowIssue>,
    totals: counters::Deltas,
    inserted: u64,
    /// Every row meant to be written was sent to the writer.
    complete: bool,
}

/// Takes validated batches in file order, drops repeated people (the first row wins), turns
/// each new person into rows (encryption, pinyin) and sends them to the writer in chunks,
/// adding up their part of the statistics totals on the way.
fn stream_new_people(
    results: std::sync::mpsc::Receiver<Validated>,
    lk: &Lookups,
    keys: &crate::crypto::FieldKeys,
    nodes: &counters::Nodes,
    skip_invalid: bool,
    writer: tokio::sync::mpsc::Sender<NewRows>,
) -> Streamed {
    const CHUNK: usize = 5000;
    let now = now_ms();
    let mut out = Streamed {
        issues: Vec::new(),
        totals: counters::Deltas::new(),
        inserted: 0,
        complete: true,
    };
    let mut waiting: std::collections::BTreeMap<usize, Validated> = Default::default();
    let mut next = 0;
    let mut first_row: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut chunk = NewRows::default();
    for part in results {
        waiting.insert(part.seq, part);
        while let Some(part) = waiting.remove(&next) {
            next += 1;
            if !skip_invalid
                && part
                    .issues
                    .iter()
                    .any(|i| i.severity == super::Severity::Error)
            {
                out.complete = false;
            }
            out.issues.extend(part.issues);
            for (n, r) in part.ok {
                if let Some(first) = first_row.get(&r.id_hash) {
                    out.issues.push(duplicate(n, *first));
                    out.complete &= skip_invalid;
                    continue;
                }
                first_row.insert(r.id_hash.clone(), n);
                if !out.complete {
                    continue; // nothing more to write; the rest is only checked
                }
                let org = &lk.orgs[r.org];
                add_new_person(&mut chunk, &mut out.totals, keys, org, &r, nodes, now);
                out.inserted += 1;
                if chunk.0.len() == CHUNK {
                    out.complete &= writer.blocking_send(std::mem::take(&mut chunk)).is_ok();
                }
            }
        }
    }
    if out.complete && !chunk.0.is_empty() {
        out.complete &= writer.blocking_send(chunk).is_ok();
    }
    out
}

/// For a bulk load into SQLite, a bulk-load connection (see `Db::sqlite_bulk_writer`);
/// otherwise the writes go through the pool.
async fn open_writer(reg: &Registry, bulk: bool) -> AppResult<Option<crate::db::Db>> {
    match bulk {
        true => reg.db.sqlite_bulk_writer().await,
        false => Ok(None),
    }
}

/// After the write, committed or not: closes the bulk-load connection and begins the
/// checkpoint it left; PostgreSQL ends a large load with `VACUUM (ANALYZE)`.
async fn close_writer(reg: &Registry, writer: Option<crate::db::Db>, inserted: u64) {
    if let Some(writer) = writer {
        writer.close().await;
        reg.db.checkpoint_in_background();
    }
    if inserted > 10_000 && reg.db.backend() == Backend::Postgres {
        // VACUUM also marks the new rows all-visible, so that counts over an index (a
        // union's members) need not visit the table; until autovacuum comes round they
        // would (measured: a district's unions counted in 940 ms before, 18 ms after).
        let vacuum = "VACUUM (ANALYZE) members, memberships, stat_deltas";
        if let Err(e) = sqlx::query(vacuum).execute(reg.db.pool()).await {
            tracing::warn!(error = %e, "refreshing planner statistics after the import failed");
        }
    }
}

/// Begins the import's transaction; for a bulk load, drops the secondary indexes (and on
/// PostgreSQL the foreign keys) to rebuild them in [`finish`].
async fn begin(db: &crate::db::Db, bulk: bool) -> AppResult<Tx> {
    let mut tx = db.begin_write().await?;
    if bulk && db.backend() == Backend::Postgres {
        // Dropping the indexes and foreign keys locks these tables one statement after
        // another; a page reading two of them in between would deadlock with the import.
        // One statement takes all the locks at once, the tables most pages read first.
        sqlx::query("LOCK TABLE orgs, units, members, memberships IN ACCESS EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    if bulk {
        for (name, _) in BULK_INDEXES {
            sqlx::query(&format!("DROP INDEX {name}"))
                .execute(&mut *tx)
                .await?;
        }
        if db.backend() == Backend::Postgres {
            for (table, name, _) in BULK_FOREIGN_KEYS {
                sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    Ok(tx)
}

/// Rebuilds what [`begin`] dropped, refreshes the planner's statistics after a large load and
/// commits.
async fn finish(
    mut tx: Tx,
    db: &crate::db::Db,
    bulk: bool,
    inserted: u64,
    progress: &Progress,
) -> AppResult<()> {
    if bulk {
        progress.set_phase("重建索引");
        for (_, create) in BULK_INDEXES {
            sqlx::query(create).execute(&mut *tx).await?;
        }
        if db.backend() == Backend::Postgres {
            // Re-adding validates every row; a violation fails the whole import.
            for (table, name, definition) in BULK_FOREIGN_KEYS {
                sqlx::query(&format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    if inserted > 10_000 && db.backend() == Backend::Sqlite {
        // Fresh statistics for the query planner after a large load, in the transaction, on
        // the connection whose cache holds the new pages. In full: a sampled ANALYZE
        // (`analysis_limit`) leaves out the key samples (sqlite_stat4) the planner needs to
        // choose well between name indexes (measured: a district's page of initials `wxy` took
        // 31 ms without them, 2 ms with them).
        progress.set_phase("更新统计信息");
        sqlx::query("ANALYZE").execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn err(row: usize, column: &str, message: impl Into<String>) -> RowIssue {
    RowIssue {
        row,
        column: column.into(),
        message: message.into(),
        severity: super::Severity::Error,
        same_as_row: None,
    }
}

const MEMBER_COLS: &[&str] = &[
    "id",
    "id_hash",
    "id_enc",
    "id_masked",
    "id_tail",
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "ethnicity",
    "political",
    "education",
    "hukou",
    "mobile_enc",
    "mobile_hash",
    "mobile_masked",
    "unit_id",
    "migrant",
    "nef_group",
    "card_no",
    "status",
    "org_id",
    "org_path",
    "joined_on",
    "created_at",
    "updated_at",
];
const MEMBERSHIP_COLS: &[&str] = &[
    "id",
    "member_id",
    "org_id",
    "org_path",
    "retained",
    "start_date",
    "start_reason",
    "created_at",
];

async fn write_plan(
    tx: &mut Tx,
    reg: &Registry,
    lk: &Arc<Lookups>,
    rows: Arc<Vec<(usize, MemberRow)>>,
    plan: &[(usize, Action)],
    progress: &Progress,
) -> AppResult<Written> {
    let mut w = Written::default();
    let backend = reg.db.backend();
    let mut inserts: Vec<usize> = Vec::new();
    for (i, action) in plan {
        let r = &rows[*i].1;
        let org = &lk.orgs[r.org];
        match action {
            Action::Unchanged => w.unchanged += 1,
            Action::Insert => inserts.push(*i),
            Action::Update(id) | Action::Rejoin(id) => {
                let mh = r
                    .fields
                    .mobile
                    .as_ref()
                    .map(|mo| reg.keys.blind_index(MOBILE_DOMAIN, mo.as_str()));
                let before = counters::load_person(tx, *id).await?;
                m::update_person_tx(tx, &reg.keys, *id, &r.fields, mh.as_deref()).await?;
                if matches!(action, Action::Rejoin(_)) {
                    m::open_membership_tx(tx, *id, org, r.joined, "join", 0).await?;
                    sqlx::query("UPDATE members SET status = 'active', org_id = $1, org_path = $2, joined_on = $3 WHERE id = $4")
                        .bind(org.id)
                        .bind(&org.path)
                        .bind(r.joined.to_string())
                        .bind(*id)
                        .execute(&mut **tx)
                        .await?;
                }
                counters::settle(tx, *id, &before).await?;
                w.updated += 1;
                progress.rows_written.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    w.inserted = inserts.len() as u64;
    // New people: a blocking thread encrypts and prepares chunks while this task inserts the
    // previous chunk, so the two cores overlap (crypto on one, SQLite/PostgreSQL on the other).
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<NewRows>(2);
    let (keys, lk2) = (reg.keys.clone(), lk.clone());
    // The new people's part of the statistics totals, added up on the way.
    let nodes = counters::Nodes::all(tx).await?;
    let producer = tokio::task::spawn_blocking(move || {
        let now = now_ms();
        let mut totals = counters::Deltas::new();
        for chunk in inserts.chunks(5000) {
            let mut rows_out = NewRows::default();
            for i in chunk {
                let r = &rows[*i].1;
                add_new_person(
                    &mut rows_out,
                    &mut totals,
                    &keys,
                    &lk2.orgs[r.org],
                    r,
                    &nodes,
                    now,
                );
            }
            if sender.blocking_send(rows_out).is_err() {
                break; // the writer stopped (an error); it reports why
            }
        }
        totals
    });
    while let Some(chunk) = receiver.recv().await {
        write_new_rows(tx, backend, chunk, progress).await?;
    }
    let totals = producer.await.map_err(AppError::internal)?;
    counters::write_deltas(tx, totals).await?;
    Ok(w)
}

/// A new person as the statistics totals see them: one spell, from joining.
fn counted_person(org: &Org, r: &MemberRow) -> counters::Person {
    counters::Person {
        female: r.fields.sex == crate::types::Sex::Female,
        migrant: r.fields.migrant,
        nef_group: r.fields.nef_group.unwrap_or_default().to_string(),
        spells: vec![counters::Spell {
            org_path: org.path.clone(),
            retained: false,
            start_date: r.joined.to_string(),
            start_reason: "join".into(),
            end_date: None,
            end_reason: None,
        }],
    }
}

/// The `members` and `memberships` rows for a new person.
fn new_rows(
    keys: &crate::crypto::FieldKeys,
    org: &Org,
    r: &MemberRow,
    now: i64,
) -> (Vec<Val>, Vec<Val>) {
    let id = new_id();
    let f = &r.fields;
    let (py, ini) = pinyin_forms(&f.name);
    let person = vec![
        Val::I(id),
        Val::B(Some(r.id_hash.clone())),
        Val::B(Some(keys.encrypt(f.id.as_str()))),
        Val::T(Some(f.id.masked())),
        Val::I(crate::registry::search::id_tail_of(keys, &f.id)),
        Val::T(Some(f.name.clone())),
        Val::T(Some(py)),
        Val::T(Some(ini)),
        Val::T(Some(f.sex.label().into())),
        Val::T(Some(f.birth_date.to_string())),
        Val::T(f.ethnicity.map(Into::into)),
        Val::T(f.political.map(Into::into)),
        Val::T(f.education.map(Into::into)),
        Val::T(f.hukou.map(Into::into)),
        Val::B(f.mobile.as_ref().map(|mo| keys.encrypt(mo.as_str()))),
        Val::B(
            f.mobile
                .as_ref()
                .map(|mo| keys.blind_index(MOBILE_DOMAIN, mo.as_str())),
        ),
        Val::T(f.mobile.as_ref().map(Mobile::masked)),
        Val::N(f.unit_id),
        Val::I(f.migrant as i64),
        Val::T(f.nef_group.map(Into::into)),
        Val::T(f.card_no.clone()),
        Val::T(Some("active".into())),
        Val::I(org.id),
        Val::T(Some(org.path.clone())),
        Val::T(Some(r.joined.to_string())),
        Val::I(now),
        Val::I(now),
    ];
    let spell = vec![
        Val::I(new_id()),
        Val::I(id),
        Val::I(org.id),
        Val::T(Some(org.path.clone())),
        Val::I(0),
        Val::T(Some(r.joined.to_string())),
        Val::T(Some("join".into())),
        Val::I(now),
    ];
    (person, spell)
}
