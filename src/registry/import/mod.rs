//! Imports of unions, employers and members from XLSX or CSV: validate everything first,
//! report every problem by row and column in Chinese, then commit all-or-nothing (or only the
//! valid rows when asked). Re-importing the same file changes nothing.

pub mod header;
mod members;
mod orgs;
pub mod reader;
pub mod report;
mod units;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Registry;
use crate::error::{AppError, AppResult};
use header::{Column, HeaderMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Orgs,
    Units,
    Members,
    /// Earlier petitions (casework history).
    Petitions,
    /// Earlier mediations and legal-aid cases (casework history).
    Disputes,
    /// The 2% union fund the tax bureau collected (税务代收工会经费), per employer and month.
    FundReceipts,
    /// Aid paid in earlier years (帮扶发放台账).
    AidPayouts,
    /// Hardship files kept before the platform (困难职工档案).
    HardshipFiles,
    /// Medical mutual-aid claims paid before the platform (医疗互助理赔台账).
    MutualClaims,
    /// Refunds to small firms paid in earlier years (小微企业经费返还台账).
    FundRefunds,
    /// Collective contracts signed and filed before the platform (集体合同台账).
    Contracts,
    /// Honours granted before the platform or elsewhere (劳模、先进、奖章、先锋号台账).
    Honours,
}

impl ImportKind {
    pub fn parse(s: &str) -> AppResult<ImportKind> {
        match s {
            "orgs" | "unions" => Ok(ImportKind::Orgs),
            "units" | "employers" => Ok(ImportKind::Units),
            "members" => Ok(ImportKind::Members),
            "petitions" => Ok(ImportKind::Petitions),
            "disputes" => Ok(ImportKind::Disputes),
            "fund_receipts" => Ok(ImportKind::FundReceipts),
            "aid_payouts" => Ok(ImportKind::AidPayouts),
            "hardship_files" => Ok(ImportKind::HardshipFiles),
            "mutual_claims" => Ok(ImportKind::MutualClaims),
            "contracts" => Ok(ImportKind::Contracts),
            "fund_refunds" => Ok(ImportKind::FundRefunds),
            "honours" => Ok(ImportKind::Honours),
            _ => Err(AppError::bad_request(format!(
                "导入类型“{s}”无效，可选 orgs、units、members、petitions、disputes、fund_receipts、aid_payouts、hardship_files、mutual_claims、fund_refunds、contracts、honours"
            ))),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ImportKind::Orgs => "orgs",
            ImportKind::Units => "units",
            ImportKind::Members => "members",
            ImportKind::Petitions => "petitions",
            ImportKind::Disputes => "disputes",
            ImportKind::FundReceipts => "fund_receipts",
            ImportKind::AidPayouts => "aid_payouts",
            ImportKind::HardshipFiles => "hardship_files",
            ImportKind::MutualClaims => "mutual_claims",
            ImportKind::FundRefunds => "fund_refunds",
            ImportKind::Contracts => "contracts",
            ImportKind::Honours => "honours",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Orgs => "工会组织",
            ImportKind::Units => "单位",
            ImportKind::Members => "会员",
            ImportKind::Petitions => "职工诉求（历史）",
            ImportKind::Disputes => "调解与法律援助（历史）",
            ImportKind::FundReceipts => "税务代收工会经费",
            ImportKind::AidPayouts => "帮扶发放（历史）",
            ImportKind::HardshipFiles => "困难职工档案（历史）",
            ImportKind::MutualClaims => "医疗互助理赔（历史）",
            ImportKind::FundRefunds => "小微企业经费返还（历史）",
            ImportKind::Contracts => "集体合同（历史）",
            ImportKind::Honours => "荣誉（历史）",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            ImportKind::Orgs => header::ORG_COLUMNS,
            ImportKind::Units => header::UNIT_COLUMNS,
            ImportKind::Members => header::MEMBER_COLUMNS,
            ImportKind::Petitions => crate::casework::import::PETITION_COLUMNS,
            ImportKind::Disputes => crate::casework::import::DISPUTE_COLUMNS,
            ImportKind::FundReceipts => crate::funds::receipts::COLUMNS,
            ImportKind::AidPayouts => crate::aid::import::PAYOUT_COLUMNS,
            ImportKind::HardshipFiles => crate::aid::import::FILE_COLUMNS,
            ImportKind::MutualClaims => crate::aid::import::CLAIM_COLUMNS,
            ImportKind::FundRefunds => crate::funds::history::COLUMNS,
            ImportKind::Contracts => crate::contracts::import::COLUMNS,
            ImportKind::Honours => crate::honours::import::COLUMNS,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportOptions {
    /// Validate and report only; write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Commit the valid rows and skip the invalid ones (default: all-or-nothing).
    #[serde(default)]
    pub skip_invalid: bool,
    /// Accept 统一社会信用代码 whose check character is wrong (administrators only).
    #[serde(default)]
    pub accept_uscc_warnings: bool,
    /// An optional coded field (学历, 民族 …) with a value outside its list is left empty with
    /// a warning instead of keeping the row out.
    #[serde(default)]
    pub blank_unknown_values: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one row (row numbers as the spreadsheet shows them).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowIssue {
    pub row: usize,
    pub column: String,
    pub message: String,
    pub severity: Severity,
    /// For a row repeating an earlier one (the same person, union or employer twice in the
    /// file): that earlier row. The error report carries both, so that a re-upload of it
    /// still sees the repeat until the cadre keeps only one of the two.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as_row: Option<usize>,
}

impl RowIssue {
    pub fn is_error(&self) -> bool {
        matches!(self.severity, Severity::Error)
    }

    /// An error: this row repeats row `first` of the same file.
    pub fn repeat(row: usize, first: usize, column: &str, message: String) -> RowIssue {
        RowIssue {
            row,
            column: column.into(),
            message,
            severity: Severity::Error,
            same_as_row: Some(first),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportOutcome {
    pub kind: ImportKind,
    pub dry_run: bool,
    /// Whether anything was written.
    pub committed: bool,
    pub header_row: usize,
    /// Header cells that matched no known column (ignored).
    pub ignored_columns: Vec<String>,
    /// How the header was read: each recognised header cell and the field it fills.
    pub mapping: Vec<ColumnMatch>,
    pub rows_total: u64,
    pub rows_empty: u64,
    pub rows_valid: u64,
    pub rows_invalid: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub errors: u64,
    pub warnings: u64,
    /// Every problem, errors first (capped at 10,000 in the API; the XLSX report has all).
    pub issues: Vec<RowIssue>,
    pub duration_ms: u64,
    pub message: String,
}

/// A header cell of the file and the registry field it was matched to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ColumnMatch {
    pub header: String,
    pub field: String,
}

/// Live progress of a running import.
#[derive(Debug, Default)]
pub struct Progress {
    pub rows_read: AtomicU64,
    pub rows_written: AtomicU64,
    pub rows_to_write: AtomicU64,
    phase: Mutex<&'static str>,
    since: Mutex<Option<Instant>>,
}

impl Progress {
    /// Moves to the next phase; logs how long the previous one took (for tuning, no row data).
    pub fn set_phase(&self, p: &'static str) {
        let mut phase = self.phase.lock().expect("not poisoned");
        let mut since = self.since.lock().expect("not poisoned");
        if let Some(t) = *since {
            tracing::debug!(
                phase = *phase,
                ms = t.elapsed().as_millis() as u64,
                "import phase done"
            );
        }
        *since = Some(Instant::now());
        *phase = p;
    }

    pub fn phase(&self) -> &'static str {
        *self.phase.lock().expect("not poisoned")
    }

    /// A rough share of the work done, for progress bars: the phases in their order, and
    /// within a writing phase the rows written of those expected.
    pub fn percent(&self) -> u8 {
        let to_write = self.rows_to_write.load(Ordering::Relaxed);
        let written = self.rows_written.load(Ordering::Relaxed);
        let share = |from: u64, to: u64| match to_write {
            0 => from,
            n => from + (to - from) * written.min(n) / n,
        };
        let p = match self.phase() {
            "读取文件" => 5,
            "读取并写入" => share(5, 85),
            "写入数据库" => share(50, 85),
            "重建索引" => 88,
            "更新统计信息" => 95,
            "完成" => 100,
            _ => 40,
        };
        p as u8
    }
}

/// Rows as they came from the file, after header detection.
pub struct Sheet {
    pub header: HeaderMap,
    pub rows: Vec<(usize, Vec<String>)>,
    pub empty_rows: u64,
}

/// What a kind's validation produced, before looking at the database.
pub struct Checked<T> {
    pub ok: Vec<(usize, T)>,
    pub issues: Vec<RowIssue>,
}

impl<T> Default for Checked<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Checked<T> {
    pub fn new() -> Self {
        Checked {
            ok: Vec::new(),
            issues: Vec::new(),
        }
    }

    pub fn error(&mut self, row: usize, column: &str, message: impl Into<String>) {
        self.issues.push(RowIssue {
            row,
            column: column.into(),
            message: message.into(),
            severity: Severity::Error,
            same_as_row: None,
        });
    }

    pub fn warning(&mut self, row: usize, column: &str, message: impl Into<String>) {
        self.issues.push(RowIssue {
            row,
            column: column.into(),
            message: message.into(),
            severity: Severity::Warning,
            same_as_row: None,
        });
    }
}

/// Streams the file's data rows to `sink` after finding the header (CPU-bound; call from a
/// blocking thread). Returns the header, the number of data rows and of empty rows skipped.
pub fn stream_sheet(
    kind: ImportKind,
    data: &[u8],
    progress: &Progress,
    mut sink: impl FnMut(&HeaderMap, usize, Vec<String>) -> AppResult<()>,
) -> AppResult<(HeaderMap, u64, u64)> {
    const HEADER_SEARCH_ROWS: usize = 20;
    let columns = kind.columns();
    let mut first: Vec<(usize, Vec<String>)> = Vec::new();
    let mut header: Option<HeaderMap> = None;
    let (mut data_rows, mut empty_rows) = (0u64, 0u64);
    let mut push = |h: &HeaderMap, n: usize, cells: Vec<String>| -> AppResult<()> {
        if n <= h.row {
            return Ok(());
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            empty_rows += 1;
            Ok(())
        } else {
            data_rows += 1;
            sink(h, n, cells)
        }
    };
    reader::read_rows(data, |n, cells| {
        progress.rows_read.fetch_add(1, Ordering::Relaxed);
        match &header {
            Some(h) => push(h, n, cells),
            None => {
                first.push((n, cells));
                if first.len() == HEADER_SEARCH_ROWS {
                    let h = header::detect(columns, &first)?;
                    for (n, c) in first.drain(..) {
                        push(&h, n, c)?;
                    }
                    header = Some(h);
                }
                Ok(())
            }
        }
    })?;
    let header = match header {
        Some(h) => h,
        None => {
            if first
                .iter()
                .all(|(_, c)| c.iter().all(|x| x.trim().is_empty()))
            {
                return Err(AppError::invalid("文件中没有任何内容").with_code("IMPORT_EMPTY"));
            }
            let h = header::detect(columns, &first)?;
            for (n, c) in first.drain(..) {
                push(&h, n, c)?;
            }
            h
        }
    };
    if data_rows == 0 {
        return Err(AppError::invalid("表头下面没有数据行").with_code("IMPORT_EMPTY"));
    }
    Ok((header, data_rows, empty_rows))
}

/// Reads the whole file into rows (for the small kinds: unions and employers).
pub fn read_sheet(kind: ImportKind, data: &[u8], progress: &Progress) -> AppResult<Sheet> {
    let mut rows = Vec::new();
    let (header, _, empty_rows) = stream_sheet(kind, data, progress, |_, n, cells| {
        rows.push((n, cells));
        Ok(())
    })?;
    Ok(Sheet {
        header,
        rows,
        empty_rows,
    })
}

/// What a kind's importer reports back to [`run`].
pub struct KindResult {
    pub header: HeaderMap,
    pub rows_total: u64,
    pub rows_empty: u64,
    pub issues: Vec<RowIssue>,
    pub written: Option<Written>,
}

impl KindResult {
    pub fn from_sheet(sheet: Sheet, issues: Vec<RowIssue>, written: Option<Written>) -> KindResult {
        KindResult {
            rows_total: sheet.rows.len() as u64,
            rows_empty: sheet.empty_rows,
            header: sheet.header,
            issues,
            written,
        }
    }
}

/// A date cell of row `n`: empty is none; a date after `today` or one not read is an error in
/// column `label`.
pub fn date_cell<R>(
    n: usize,
    today: chrono::NaiveDate,
    label: &str,
    v: &str,
    out: &mut Checked<R>,
) -> Option<chrono::NaiveDate> {
    if v.is_empty() {
        return None;
    }
    match crate::types::parse_date(v) {
        Ok(d) if d > today => {
            out.error(n, label, format!("{label}不能晚于今天"));
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            out.error(n, label, e.message());
            None
        }
    }
}

/// Counts of what the commit did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// Runs a whole import. The heavy parsing runs on a blocking thread; the commit is one
/// transaction. Returns the outcome and the XLSX report of its problems (none when there were
/// none).
pub async fn run(
    reg: &Registry,
    actor: &crate::audit::Actor,
    kind: ImportKind,
    data: Arc<Vec<u8>>,
    opts: &ImportOptions,
    progress: Arc<Progress>,
) -> AppResult<(ImportOutcome, Option<Vec<u8>>)> {
    let started = Instant::now();
    let scope = &actor.scope;
    progress.set_phase("读取文件");
    let result = match kind {
        // Members stream: rows are validated while the file is read, never held whole.
        ImportKind::Members => members::import(reg, scope, data.clone(), opts, &progress).await?,
        ImportKind::Orgs
        | ImportKind::Units
        | ImportKind::Petitions
        | ImportKind::Disputes
        | ImportKind::FundReceipts
        | ImportKind::AidPayouts
        | ImportKind::HardshipFiles
        | ImportKind::MutualClaims
        | ImportKind::FundRefunds
        | ImportKind::Contracts
        | ImportKind::Honours => {
            let (p2, d2) = (progress.clone(), data.clone());
            let sheet = tokio::task::spawn_blocking(move || read_sheet(kind, &d2, &p2))
                .await
                .map_err(AppError::internal)??;
            progress.set_phase("校验数据");
            match kind {
                ImportKind::Orgs => orgs::import(reg, scope, sheet, opts, &progress).await?,
                ImportKind::Units => units::import(reg, scope, sheet, opts, &progress).await?,
                ImportKind::Disputes => {
                    crate::casework::import::import_disputes(reg, scope, sheet, opts, &progress)
                        .await?
                }
                ImportKind::FundReceipts => {
                    crate::funds::receipts::import(reg, actor, sheet, opts).await?
                }
                ImportKind::AidPayouts => {
                    crate::aid::import::import_payouts(reg, actor, sheet, opts).await?
                }
                ImportKind::HardshipFiles => {
                    crate::aid::import::import_files(reg, actor, sheet, opts).await?
                }
                ImportKind::MutualClaims => {
                    crate::aid::import::import_claims(reg, actor, sheet, opts).await?
                }
                ImportKind::FundRefunds => {
                    crate::funds::history::import(reg, actor, sheet, opts).await?
                }
                ImportKind::Contracts => {
                    crate::contracts::import::import(reg, actor, sheet, opts).await?
                }
                ImportKind::Honours => {
                    crate::honours::import::import(reg, actor, sheet, opts).await?
                }
                _ => crate::casework::import::import(reg, scope, sheet, opts, &progress).await?,
            }
        }
    };
    let KindResult {
        header,
        rows_total,
        rows_empty,
        issues,
        written,
    } = result;
    let mut issues = issues;
    // Columns nobody will see imported are said, never passed over in silence.
    for (cell, label) in &header.lookalikes {
        issues.push(RowIssue {
            row: header.row,
            column: cell.clone(),
            message: format!(
                "“{cell}”这一列没有导入：不是可识别的列名。是“{label}”吗？如是请把表头改为“{label}”后重新导入"
            ),
            severity: Severity::Warning,
            same_as_row: None,
        });
    }
    issues.sort_by_key(|i| (i.severity == Severity::Warning, i.row));
    let errors = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count() as u64;
    let warnings = issues.len() as u64 - errors;
    let mut bad_rows: Vec<usize> = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| i.row)
        .collect();
    bad_rows.dedup();
    let rows_invalid = bad_rows.len() as u64;
    let committed = written.is_some();
    let written = written.unwrap_or_default();
    let blank_rows = if rows_empty > 0 {
        format!("（另有空行{rows_empty}行，已跳过）")
    } else {
        String::new()
    };
    let message = if opts.dry_run {
        format!("校验完成（未写入）：共{rows_total}行，{rows_invalid}行有错误，{warnings}条提示")
    } else if committed {
        format!(
            "导入完成：新增{}，更新{}，无变化{}，跳过有错误的{}行",
            written.inserted,
            written.updated,
            written.unchanged,
            if opts.skip_invalid { rows_invalid } else { 0 }
        )
    } else {
        format!(
            "有{rows_invalid}行存在错误，未写入任何数据。请下载错误报告修改后重新导入，或选择只导入正确的行"
        )
    } + &blank_rows;
    // A clean file has nothing to report.
    let report = if issues.is_empty() {
        None
    } else {
        let (header, data, issues) = (header.clone(), data.clone(), issues.clone());
        Some(
            tokio::task::spawn_blocking(move || report::error_report(&header, &data, &issues))
                .await
                .map_err(AppError::internal)??,
        )
    };
    progress.set_phase("完成");
    let mut shown = issues;
    shown.truncate(10_000);
    Ok((
        ImportOutcome {
            kind,
            dry_run: opts.dry_run,
            committed,
            header_row: header.row,
            ignored_columns: header.unknown.clone(),
            mapping: header
                .positions
                .iter()
                .map(|(key, i)| ColumnMatch {
                    header: header.labels.get(*i).cloned().unwrap_or_default(),
                    field: HeaderMap::label_of(kind.columns(), key).to_string(),
                })
                .collect(),
            rows_total,
            rows_empty,
            rows_valid: rows_total - rows_invalid,
            rows_invalid,
            inserted: written.inserted,
            updated: written.updated,
            unchanged: written.unchanged,
            errors,
            warnings,
            issues: shown,
            duration_ms: started.elapsed().as_millis() as u64,
            message,
        },
        report,
    ))
}

/// Whether to commit given the problems found.
pub(crate) fn should_commit(opts: &ImportOptions, issues: &[RowIssue]) -> bool {
    !opts.dry_run && (opts.skip_invalid || !issues.iter().any(|i| i.severity == Severity::Error))
}

pub(crate) fn rows_with_errors(issues: &[RowIssue]) -> std::collections::HashSet<usize> {
    issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| i.row)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Progress;
    use std::sync::atomic::Ordering;

    #[test]
    fn progress_moves_forward_through_the_phases_and_the_rows() {
        let p = Progress::default();
        p.rows_to_write.store(1000, Ordering::Relaxed);
        let steps = [
            ("读取文件", 0),
            ("读取并写入", 0),
            ("读取并写入", 500),
            ("读取并写入", 1000),
            ("读取并写入", 1200), // more rows than lines were expected: capped
            ("重建索引", 1200),
            ("更新统计信息", 1200),
            ("完成", 1200),
        ];
        let seen: Vec<u8> = steps
            .iter()
            .map(|(phase, written)| {
                p.set_phase(phase);
                p.rows_written.store(*written, Ordering::Relaxed);
                p.percent()
            })
            .collect();
        assert_eq!(seen, [5, 5, 45, 85, 85, 88, 95, 100]);
        // Without an expected row count, a writing phase stands at its start.
        p.rows_to_write.store(0, Ordering::Relaxed);
        p.set_phase("写入数据库");
        assert_eq!(p.percent(), 50);
    }
}
