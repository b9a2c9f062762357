//! Reads spreadsheet rows from XLSX (streamed, so a 500,000-row sheet is never held whole) or
//! CSV in UTF-8, UTF-8 with BOM, or GBK/GB18030 (detected).

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx, open_workbook_from_rs};

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Xlsx,
    Csv,
}

/// Decides from the bytes (not the file name) what the file is.
pub fn sniff(data: &[u8]) -> AppResult<FileKind> {
    if data.is_empty() || data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(AppError::invalid("文件是空的").with_code("IMPORT_EMPTY"));
    }
    if data.starts_with(b"PK\x03\x04") {
        return Ok(FileKind::Xlsx);
    }
    if data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(AppError::invalid(
            "这是旧版Excel（.xls）文件，请在Excel中另存为.xlsx或CSV后再导入",
        )
        .with_code("IMPORT_NOT_SPREADSHEET"));
    }
    // Text files: no NUL bytes and few control characters in the first 64 KiB.
    let head = &data[..data.len().min(65536)];
    let controls = head
        .iter()
        .filter(|b| **b < 0x09 || (**b > 0x0D && **b < 0x20))
        .count();
    if head.contains(&0) || controls * 100 > head.len() {
        return Err(
            AppError::invalid("文件不是Excel（.xlsx）或CSV表格，请使用下载的模板填写")
                .with_code("IMPORT_NOT_SPREADSHEET"),
        );
    }
    Ok(FileKind::Csv)
}

/// Decodes CSV bytes to text: UTF-8 (with or without BOM), otherwise GB18030 (a superset of GBK).
pub fn decode_text(data: &[u8]) -> AppResult<String> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if let Ok(s) = std::str::from_utf8(data) {
        return Ok(s.to_string());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(data);
    if had_errors {
        return Err(
            AppError::invalid("无法识别文件编码，请保存为UTF-8或GBK编码的CSV")
                .with_code("IMPORT_ENCODING"),
        );
    }
    Ok(text.into_owned())
}

/// The blank lines at the start of `bytes` (line breaks before anything else).
fn leading_line_breaks(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count()
}

/// A CSV cell as typed before the export guarded it: the export puts `'` before a value that
/// starts like a formula (`=…`, `-…`), and a cell typed so in the first place means the same.
pub(crate) fn without_export_guard(cell: &str) -> String {
    let cell = without_control_chars(cell);
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(crate::registry::export::FORMULA_STARTS) => rest.into(),
        _ => cell,
    }
}

/// A cell without invisible control characters (NUL and the like come from copying out of
/// other systems; nobody types them, and the database must never receive them). Line breaks
/// and tabs inside a cell stay.
fn without_control_chars(cell: &str) -> String {
    if cell
        .chars()
        .any(|c| crate::web::hardening::is_refused_char(c, true))
    {
        cell.chars()
            .filter(|c| !crate::web::hardening::is_refused_char(*c, true))
            .collect()
    } else {
        cell.to_string()
    }
}

/// Calls `sink(row_number, cells)` for every row, row numbers 1-based as Excel shows them.
pub fn read_rows(
    data: &[u8],
    mut sink: impl FnMut(usize, Vec<String>) -> AppResult<()>,
) -> AppResult<FileKind> {
    let kind = sniff(data)?;
    match kind {
        FileKind::Csv => {
            let text = decode_text(data)?;
            let delimiter = if text
                .lines()
                .next()
                .is_some_and(|l| l.matches('\t').count() > l.matches(',').count())
            {
                b'\t'
            } else {
                b','
            };
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(text.as_bytes());
            let mut record = csv::StringRecord::new();
            // Row numbers as a spreadsheet program shows the file: every record is one row,
            // and so is every blank line, which the CSV reader passes over. A record's
            // position is where the reader began looking for it, blank lines included.
            let bytes = text.as_bytes();
            let mut rows = 0usize;
            loop {
                match rdr.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        let mut from = record.position().map_or(0, |p| p.byte() as usize);
                        // After a CRLF the reader may stop between its CR and LF.
                        if from > 0
                            && bytes.get(from - 1) == Some(&b'\r')
                            && bytes.get(from) == Some(&b'\n')
                        {
                            from += 1;
                        }
                        // Blank lines are empty rows, as a spreadsheet shows them.
                        for _ in 0..leading_line_breaks(&bytes[from.min(bytes.len())..]) {
                            rows += 1;
                            sink(rows, Vec::new())?;
                        }
                        rows += 1;
                        sink(rows, record.iter().map(without_export_guard).collect())?;
                    }
                    Err(e) => {
                        return Err(
                            AppError::invalid(format!("CSV第{}行格式错误：{e}", rows + 1))
                                .with_code("IMPORT_CSV"),
                        );
                    }
                }
            }
        }
        FileKind::Xlsx => {
            let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(data)).map_err(|_| {
                AppError::invalid("Excel文件已损坏或不是有效的.xlsx文件")
                    .with_code("IMPORT_NOT_SPREADSHEET")
            })?;
            let sheet = wb.sheet_names().first().cloned().ok_or_else(|| {
                AppError::invalid("Excel文件中没有工作表").with_code("IMPORT_EMPTY")
            })?;
            let mut cells = wb.worksheet_cells_reader(&sheet).map_err(|e| {
                AppError::invalid(format!("无法读取工作表“{sheet}”：{e}"))
                    .with_code("IMPORT_NOT_SPREADSHEET")
            })?;
            let mut current: Option<(u32, Vec<String>)> = None;
            loop {
                let cell = cells.next_cell().map_err(|e| {
                    AppError::invalid(format!("Excel内容读取失败：{e}")).with_code("IMPORT_XLSX")
                })?;
                let Some(cell) = cell else { break };
                let (r, c) = cell.get_position();
                if current.as_ref().is_some_and(|(cr, _)| *cr != r) {
                    let (cr, row) = current.take().expect("checked");
                    sink(cr as usize + 1, row)?;
                }
                let row = &mut current.get_or_insert_with(|| (r, Vec::new())).1;
                let c = c as usize;
                if row.len() <= c {
                    row.resize(c + 1, String::new());
                }
                row[c] = cell_text(cell.get_value());
            }
            if let Some((cr, row)) = current {
                sink(cr as usize + 1, row)?;
            }
        }
    }
    Ok(kind)
}

/// The text a cadre sees in a cell. Whole numbers print without `.0`, dates as ISO. A number
/// of 16 or more digits cannot be what was typed: Excel keeps 15 significant digits, so an ID
/// number typed into a number cell has lost its last digits. It is shown the way Excel shows
/// it (`6.20102199003074E+17`), which no field accepts and [`crate::types::excel_damaged_number`]
/// explains.
fn cell_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) if f.abs() >= 1e15 => excel_scientific(*f),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) => without_control_chars(s),
        DataRef::SharedString(s) => without_control_chars(s),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.into(),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(d) => d.date().to_string(),
            None => dt.as_f64().to_string(),
        },
        DataRef::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#错误:{e}"),
        DataRef::Empty => String::new(),
    }
}

/// A number in Excel's scientific notation with its 15 significant digits: `6.20102199003074E+17`.
fn excel_scientific(f: f64) -> String {
    let s = format!("{f:.14E}");
    // Rust writes `6.20102199003074E17`; drop trailing zeros of the mantissa, sign the exponent.
    let (mantissa, exp) = s.split_once('E').unwrap_or((&s, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    let exp = exp.trim_start_matches('+');
    match exp.strip_prefix('-') {
        Some(e) => format!("{mantissa}E-{e}"),
        None => format!("{mantissa}E+{exp}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_row_numbers_count_blank_lines_like_a_spreadsheet() {
        let texts = [
            "姓名,备注\n张三,一\n\n李四,二\n\n\n王五,\"两\n行\"\n赵六,四\n",
            "姓名,备注\r\n张三,一\r\n\r\n李四,二\r\n\r\n\r\n王五,\"两\r\n行\"\r\n赵六,四\r\n",
            "\u{feff}姓名,备注\n张三,一\n\n李四,二\n\n\n王五,\"两\n行\"\n赵六,四\n",
        ];
        for text in texts {
            let mut rows = vec![];
            read_rows(text.as_bytes(), |n, r| {
                if !r.is_empty() {
                    rows.push((n, r[0].clone()));
                }
                Ok(())
            })
            .unwrap();
            let numbers: Vec<usize> = rows.iter().map(|(n, _)| *n).collect();
            assert_eq!(numbers, [1, 2, 4, 7, 8], "{text:?}");
        }
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名\n\n张三\n");
        let mut numbers = vec![];
        read_rows(&gbk, |n, r| {
            numbers.push((n, r.len()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            numbers,
            [(1, 1), (2, 0), (3, 1)],
            "the blank line is an empty row"
        );
    }

    #[test]
    fn long_numbers_read_as_excel_shows_them_and_are_named_damaged() {
        assert_eq!(
            excel_scientific(620102199003074123.0),
            "6.20102199003074E+17"
        );
        assert_eq!(excel_scientific(1e15), "1E+15");
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("姓名,身份证号\n张三,1\n");
        let mut rows = vec![];
        read_rows(&bytes, |n, r| {
            rows.push((n, r));
            Ok(())
        })
        .unwrap();
        assert_eq!(rows[0].1, vec!["姓名", "身份证号"]);
        assert_eq!(rows[1].0, 2);
    }

    #[test]
    fn control_characters_in_cells_are_dropped() {
        let mut text = String::from("姓名,备注\n张\u{7f}三,第一行\u{1}\n");
        for _ in 0..20 {
            text.push_str("李四,备注内容较长的一行\n");
        }
        let mut rows = vec![];
        read_rows(text.as_bytes(), |_, r| {
            rows.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(rows[1], vec!["张三", "第一行"]);
    }

    #[test]
    fn binary_and_empty_files_are_rejected() {
        assert_eq!(sniff(b"").unwrap_err().code(), "IMPORT_EMPTY");
        assert_eq!(
            sniff(&[0x7F, 0x45, 0x4C, 0x46, 0, 1, 2])
                .unwrap_err()
                .code(),
            "IMPORT_NOT_SPREADSHEET"
        );
    }
}
