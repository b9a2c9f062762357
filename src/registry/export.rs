//! Member list export to XLSX or CSV (UTF-8 with BOM so Excel shows Chinese). Sensitive
//! values are masked unless the caller explicitly asks for full values. The columns match the
//! import template, so an unmasked export can be imported elsewhere.

use std::io::Write;

use rust_xlsxwriter::{Format, Workbook};

use super::Registry;
use super::members::{MemberFilter, filter_sql};
use super::scope::Scope;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

impl ExportFormat {
    pub fn parse(s: &str) -> AppResult<ExportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xlsx" | "excel" => Ok(ExportFormat::Xlsx),
            "csv" => Ok(ExportFormat::Csv),
            other => Err(AppError::invalid(format!(
                "导出格式“{other}”无效，可选 xlsx 或 csv"
            ))),
        }
    }
}

const HEADERS: &[&str] = &[
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "民族",
    "政治面貌",
    "学历",
    "户籍类型",
    "手机号",
    "工作单位",
    "工作单位统一社会信用代码",
    "所属工会代码",
    "所属工会",
    "入会日期",
    "农民工",
    "新就业形态群体",
    "会员卡号",
    "会员状态",
];

#[derive(sqlx::FromRow)]
struct ExportRow {
    id: i64,
    name: String,
    id_masked: String,
    id_enc: Vec<u8>,
    sex: String,
    birth_date: String,
    ethnicity: Option<String>,
    political: Option<String>,
    education: Option<String>,
    hukou: Option<String>,
    mobile_masked: Option<String>,
    mobile_enc: Option<Vec<u8>>,
    unit_name: Option<String>,
    unit_uscc: Option<String>,
    org_code: Option<String>,
    org_name: Option<String>,
    joined_on: Option<String>,
    migrant: i64,
    nef_group: Option<String>,
    card_no: Option<String>,
    status: String,
}

fn status_label(s: &str) -> &'static str {
    match s {
        "active" => "在会",
        "retired" => "退休(保留会籍)",
        "left" => "已离会",
        "deceased" => "已故",
        _ => "",
    }
}

/// Streams the filtered member list to `out`. Returns the number of rows written.
pub async fn export_members(
    reg: &Registry,
    scope: &Scope,
    filter: &MemberFilter,
    format: ExportFormat,
    full_values: bool,
    out: &mut (dyn Write + Send),
) -> AppResult<u64> {
    let (w, args) = filter_sql(&reg.db, &reg.keys, scope, filter).await?;
    let base = format!(
        "SELECT m.id, m.name, m.id_masked, m.id_enc, m.sex, m.birth_date, m.ethnicity, m.political, m.education, m.hukou, \
         m.mobile_masked, m.mobile_enc, un.name AS unit_name, un.uscc AS unit_uscc, o.code AS org_code, o.name AS org_name, \
         m.joined_on, m.migrant, m.nef_group, m.card_no, m.status \
         FROM members m LEFT JOIN units un ON un.id = m.unit_id LEFT JOIN orgs o ON o.id = m.org_id WHERE {w} AND m.id > ${} ORDER BY m.id LIMIT 5000",
        args.len() + 1
    );
    let mut rows_out: Vec<Vec<String>> = Vec::new();
    let mut last_id = i64::MIN;
    let mut total = 0u64;
    let csv_mode = format == ExportFormat::Csv;
    if csv_mode {
        out.write_all(b"\xEF\xBB\xBF")?;
        out.write_all(&csv_lines(&[HEADERS
            .iter()
            .map(|s| s.to_string())
            .collect()])?)?;
    }
    loop {
        let mut q = sqlx::query_as::<_, ExportRow>(&base);
        for a in &args {
            q = q.bind(a);
        }
        let batch = q.bind(last_id).fetch_all(reg.db.pool()).await?;
        if batch.is_empty() {
            break;
        }
        last_id = batch.last().map(|r| r.id).unwrap_or(last_id);
        for r in batch {
            let (id_text, mobile_text) = if full_values {
                (
                    reg.keys.decrypt(&r.id_enc)?,
                    r.mobile_enc
                        .as_deref()
                        .map(|m| reg.keys.decrypt(m))
                        .transpose()?,
                )
            } else {
                (r.id_masked.clone(), r.mobile_masked.clone())
            };
            let cells = vec![
                r.name,
                id_text,
                r.sex,
                r.birth_date,
                r.ethnicity.unwrap_or_default(),
                r.political.unwrap_or_default(),
                r.education.unwrap_or_default(),
                r.hukou.unwrap_or_default(),
                mobile_text.unwrap_or_default(),
                r.unit_name.unwrap_or_default(),
                r.unit_uscc.unwrap_or_default(),
                r.org_code.unwrap_or_default(),
                r.org_name.unwrap_or_default(),
                r.joined_on.unwrap_or_default(),
                if r.migrant == 1 { "是" } else { "否" }.into(),
                r.nef_group.unwrap_or_default(),
                r.card_no.unwrap_or_default(),
                status_label(&r.status).into(),
            ];
            total += 1;
            rows_out.push(cells);
        }
        if csv_mode {
            out.write_all(&csv_lines(&rows_out)?)?;
            rows_out.clear();
        }
    }
    if format == ExportFormat::Xlsx {
        out.write_all(&sheet(ExportFormat::Xlsx, "会员名册", HEADERS, &rows_out)?)?;
    }
    Ok(total)
}

/// A table as a file: an XLSX sheet with a bold header row, or a CSV (UTF-8 with BOM) whose
/// cells spreadsheet programs show as text. Empty cells stay empty.
pub fn sheet(
    format: ExportFormat,
    sheet_name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> AppResult<Vec<u8>> {
    let mut w = SheetWriter::new(format, sheet_name, headers)?;
    for row in rows {
        w.row(row)?;
    }
    w.finish()
}

/// A table written row by row, for exports too large to hold as rows first: the XLSX sheet
/// is kept in constant memory (rows go to a temporary file as they come), a CSV as its bytes.
pub struct SheetWriter {
    book: Option<Workbook>,
    csv: Vec<u8>,
    next_row: u32,
}

fn xl(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(e)
}

impl SheetWriter {
    pub fn new(format: ExportFormat, sheet_name: &str, headers: &[&str]) -> AppResult<Self> {
        let mut w = SheetWriter {
            book: None,
            csv: Vec::new(),
            next_row: 1,
        };
        match format {
            ExportFormat::Csv => {
                w.csv.extend_from_slice(b"\xEF\xBB\xBF");
                w.csv.extend(csv_lines(&[headers
                    .iter()
                    .map(|h| h.to_string())
                    .collect()])?);
            }
            ExportFormat::Xlsx => {
                let mut wb = Workbook::new();
                let bold = Format::new().set_bold();
                let ws = wb.add_worksheet_with_constant_memory();
                ws.set_name(sheet_name).map_err(xl)?;
                for (c, h) in headers.iter().enumerate() {
                    ws.write_string_with_format(0, c as u16, *h, &bold)
                        .map_err(xl)?;
                }
                w.book = Some(wb);
            }
        }
        Ok(w)
    }

    pub fn row(&mut self, cells: &[String]) -> AppResult<()> {
        match self.book.as_mut() {
            Some(wb) => {
                let ws = wb.worksheet_from_index(0).map_err(xl)?;
                for (c, v) in cells.iter().enumerate() {
                    if !v.is_empty() {
                        ws.write_string(self.next_row, c as u16, v).map_err(xl)?;
                    }
                }
            }
            None => self
                .csv
                .extend(csv_lines(std::slice::from_ref(&cells.to_vec()))?),
        }
        self.next_row += 1;
        Ok(())
    }

    /// The file's bytes.
    pub fn finish(self) -> AppResult<Vec<u8>> {
        match self.book {
            Some(mut wb) => wb.save_to_buffer().map_err(xl),
            None => Ok(self.csv),
        }
    }
}

fn csv_lines(rows: &[Vec<String>]) -> AppResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        let cells: Vec<_> = r.iter().map(|c| inert_in_spreadsheets(c)).collect();
        w.write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(AppError::internal)?;
    }
    w.into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))
}

/// A CSV cell that spreadsheet programs show as text: a value typed as `=…`, `+…`, `-…` or `@…`
/// (a union name, a card number) would otherwise run as a formula when the file is opened.
/// XLSX cells are written as strings and need no such care.
fn inert_in_spreadsheets(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// First characters that make a spreadsheet program read a cell as a formula. The import
/// removes the guarding apostrophe again (`import::reader`), so an exported file imports
/// back unchanged.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

#[cfg(test)]
mod tests {
    use super::inert_in_spreadsheets;
    use crate::registry::import::reader::without_export_guard;
    use proptest::prelude::*;

    #[test]
    fn formulas_in_csv_cells_are_shown_as_text() {
        assert_eq!(
            inert_in_spreadsheets("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(inert_in_spreadsheets("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert_in_spreadsheets("张三"), "张三");
        assert_eq!(inert_in_spreadsheets(""), "");
    }

    proptest! {
        /// What the CSV export writes, the import reads back as it was (a value that itself
        /// begins with an apostrophe is left out: the import takes that as a guard).
        #[test]
        fn a_guarded_cell_imports_as_it_was(cell in "[=+@\\-\t\ra-z0-9张三 ]{0,12}") {
            prop_assert_eq!(without_export_guard(&inert_in_spreadsheets(&cell)), cell);
        }
    }

    #[test]
    fn only_a_guarding_apostrophe_is_removed() {
        assert_eq!(without_export_guard("'-0001"), "-0001");
        assert_eq!(without_export_guard("'=1+1"), "=1+1");
        assert_eq!(without_export_guard("O'Brien"), "O'Brien");
        assert_eq!(without_export_guard("'张三"), "'张三");
        assert_eq!(without_export_guard("'"), "'");
    }
}
