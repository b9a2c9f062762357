//! The downloadable error report: the rows that had errors, with the original header so the
//! cadre can fix them in place and upload the same file again, plus a sheet listing each problem.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Format, Workbook};

use super::header::HeaderMap;
use super::{RowIssue, Severity};
use crate::error::{AppError, AppResult};

/// Builds the report; the failing rows' cells are read again from the uploaded file, so the
/// import never has to keep every row in memory.
/// A row of the report: its own problems, and the later rows that repeat it.
#[derive(Default)]
struct ReportRow<'a> {
    problems: Vec<&'a RowIssue>,
    repeated_by: Vec<usize>,
}

impl ReportRow<'_> {
    fn note(&self, row_no: usize) -> String {
        let mut parts: Vec<String> = self
            .problems
            .iter()
            .map(|p| format!("{}：{}", p.column, p.message))
            .collect();
        if !self.repeated_by.is_empty() {
            let later: Vec<String> = self
                .repeated_by
                .iter()
                .map(|n| format!("第{n}行"))
                .collect();
            parts.push(format!(
                "{}与此行重复；只保留正确的一行（删去另一行）后再上传",
                later.join("、")
            ));
        }
        format!("原第{row_no}行 — {}", parts.join("；"))
    }
}

pub fn error_report(header: &HeaderMap, data: &[u8], issues: &[RowIssue]) -> AppResult<Vec<u8>> {
    // Rows with errors, and the rows they repeat (which may have none): uploaded again as
    // the report stands, a repeat is still a repeat.
    let mut by_row: BTreeMap<usize, ReportRow> = BTreeMap::new();
    for i in issues.iter().filter(|i| i.severity == Severity::Error) {
        by_row.entry(i.row).or_default().problems.push(i);
        if let Some(first) = i.same_as_row {
            by_row.entry(first).or_default().repeated_by.push(i.row);
        }
    }
    let xl = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let red = Format::new().set_font_color("#C00000");
    let text = Format::new().set_num_format("@");
    {
        let ws = wb.add_worksheet();
        ws.set_name("待修改的行").map_err(xl)?;
        for (c, label) in header.labels.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, label, &bold)
                .map_err(xl)?;
            ws.set_column_format(c as u16, &text).map_err(xl)?;
        }
        let note_col = header.labels.len() as u16;
        ws.write_string_with_format(0, note_col, "错误说明（改正后可删除本列）", &bold)
            .map_err(xl)?;
        ws.set_column_width(note_col, 60).map_err(xl)?;
        let mut originals: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        if !by_row.is_empty() {
            super::reader::read_rows(data, |n, cells| {
                if by_row.contains_key(&n) {
                    originals.insert(n, cells);
                }
                Ok(())
            })?;
        }
        for (r, (row_no, entry)) in by_row.iter().enumerate() {
            let r = r as u32 + 1;
            if let Some(cells) = originals.get(row_no) {
                for (c, v) in cells.iter().enumerate() {
                    ws.write_string(r, c as u16, v).map_err(xl)?;
                }
            }
            ws.write_string_with_format(r, note_col, entry.note(*row_no), &red)
                .map_err(xl)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xl)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("问题清单").map_err(xl)?;
        for (c, h) in ["原行号", "列", "问题", "级别"].iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(xl)?;
        }
        for (r, i) in issues.iter().enumerate() {
            let r = r as u32 + 1;
            ws.write_number(r, 0, i.row as f64).map_err(xl)?;
            ws.write_string(r, 1, &i.column).map_err(xl)?;
            ws.write_string(r, 2, &i.message).map_err(xl)?;
            ws.write_string(
                r,
                3,
                if i.severity == Severity::Error {
                    "错误"
                } else {
                    "提示"
                },
            )
            .map_err(xl)?;
        }
        ws.set_column_width(2, 70).map_err(xl)?;
    }
    wb.save_to_buffer().map_err(xl)
}
