//! Downloadable XLSX import templates: Chinese headers, drop-down lists for coded fields
//! (from a hidden code sheet) and a notes sheet explaining every column.

use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook};

use super::codes;
use super::import::ImportKind;
use super::orgs::OrgKind;
use crate::error::{AppError, AppResult};

fn labels<T: crate::workflow::Named>() -> Vec<&'static str> {
    T::all().iter().map(|v| v.label()).collect()
}

fn list_for(kind: ImportKind, key: &str) -> Option<Vec<&'static str>> {
    let yes_no = || vec!["是", "否"];
    Some(match (kind, key) {
        (ImportKind::Orgs, "kind") => OrgKind::ALL.iter().map(|k| k.label()).collect(),
        (ImportKind::Orgs, "nef" | "standardised") => yes_no(),
        (ImportKind::Units, "ownership") => codes::OWNERSHIP.to_vec(),
        (ImportKind::Units, "small_micro") => yes_no(),
        (ImportKind::Members, "sex") => vec!["男", "女"],
        (ImportKind::Members, "ethnicity") => codes::ETHNICITIES.to_vec(),
        (ImportKind::Members, "political") => codes::POLITICAL.to_vec(),
        (ImportKind::Members, "education") => codes::EDUCATION.to_vec(),
        (ImportKind::Members, "hukou") => codes::HUKOU.to_vec(),
        (ImportKind::Members, "migrant") => yes_no(),
        (ImportKind::Members, "nef_group") => codes::NEF_GROUPS.to_vec(),
        (ImportKind::Petitions, "channel") => labels::<crate::casework::petitions::Channel>(),
        (ImportKind::Petitions, "kind") => labels::<crate::casework::petitions::Kind>(),
        (ImportKind::Petitions, "category") => labels::<crate::casework::petitions::Category>(),
        (ImportKind::Petitions, "satisfaction") => {
            labels::<crate::casework::petitions::Satisfaction>()
        }
        (ImportKind::Petitions, "reply_method") => vec!["书面", "电话", "面谈", "短信", "会员端"],
        (ImportKind::Honours, "subject") => labels::<crate::honours::honour::Subject>(),
        (ImportKind::Honours, "title_kind") => labels::<crate::honours::honour::TitleKind>(),
        (ImportKind::Honours, "level") => labels::<crate::activities::contests::Level>(),
        (ImportKind::AidPayouts, "kind") => labels::<crate::aid::campaigns::Kind>(),
        (ImportKind::AidPayouts, "form") => labels::<crate::aid::campaigns::Form>(),
        (ImportKind::HardshipFiles, "tier") => labels::<crate::aid::hardship::Tier>(),
        (ImportKind::HardshipFiles, "exit_reason") => labels::<crate::aid::hardship::ExitReason>(),
        (ImportKind::Disputes, "kind") => labels::<crate::casework::disputes::Kind>(),
        (ImportKind::Disputes, "source") => labels::<crate::casework::disputes::Source>(),
        (ImportKind::Disputes, "claim") => labels::<crate::casework::disputes::Claim>(),
        (ImportKind::Disputes, "outcome") => vec![
            "达成调解协议",
            "退回法院",
            "转仲裁",
            "撤回",
            "请求得到支持",
            "部分支持",
            "和解/调解结案",
            "未获支持",
        ],
        _ => return None,
    })
}

pub fn template(kind: ImportKind) -> AppResult<Vec<u8>> {
    let xl = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let columns = kind.columns();
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let required = Format::new()
        .set_bold()
        .set_font_color("#C00000")
        .set_background_color("#DDEBF7")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let sheet_name = format!("{}信息", kind.label());
    // Lists live in a hidden sheet so long lists (56 ethnic groups) are not limited to 255 characters.
    let mut lists: Vec<(usize, Vec<&'static str>)> = Vec::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet_name).map_err(xl)?;
        for (c, col) in columns.iter().enumerate() {
            let c16 = c as u16;
            // Of two columns that say the same thing (a union's code or its name) the first
            // carries the mark; the notes say either will do.
            let marked = col.required
                && (col.group.is_none()
                    || columns.iter().position(|o| o.group == col.group) == Some(c));
            let label = if marked {
                format!("{}*", col.label)
            } else {
                col.label.to_string()
            };
            ws.write_string_with_format(0, c16, &label, if marked { &required } else { &head })
                .map_err(xl)?;
            ws.set_column_width(
                c16,
                (col.label.chars().count() as f64 * 2.2 + 4.0).max(12.0),
            )
            .map_err(xl)?;
            ws.set_column_format(c16, &text).map_err(xl)?;
            if let Some(list) = list_for(kind, col.key) {
                let li = lists.len();
                let letter = (b'A' + li as u8) as char;
                let formula = format!("=代码表!${letter}$2:${letter}${}", list.len() + 1);
                let dv = DataValidation::new()
                    .allow_list_formula(Formula::new(formula))
                    .set_input_title(col.label)
                    .map_err(xl)?
                    .set_input_message(col.note)
                    .map_err(xl)?;
                ws.add_data_validation(1, c16, 100_000, c16, &dv)
                    .map_err(xl)?;
                lists.push((c, list));
            }
        }
        ws.set_freeze_panes(1, 0).map_err(xl)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("填写说明").map_err(xl)?;
        let bold = Format::new().set_bold();
        ws.write_string_with_format(0, 0, "列名", &bold)
            .map_err(xl)?;
        ws.write_string_with_format(0, 1, "是否必填", &bold)
            .map_err(xl)?;
        ws.write_string_with_format(0, 2, "说明", &bold)
            .map_err(xl)?;
        ws.write_string_with_format(0, 3, "也可识别的列名", &bold)
            .map_err(xl)?;
        for (r, col) in columns.iter().enumerate() {
            let r = r as u32 + 1;
            ws.write_string(r, 0, col.label).map_err(xl)?;
            let need = match (col.required, col.group) {
                (true, Some(_)) => "必填（二选一）",
                (true, None) => "必填",
                (false, _) => "选填",
            };
            ws.write_string(r, 1, need).map_err(xl)?;
            ws.write_string(r, 2, col.note).map_err(xl)?;
            ws.write_string(r, 3, col.aliases.join("、")).map_err(xl)?;
        }
        let n = columns.len() as u32 + 2;
        ws.write_string(n, 0, "提示：表头上方可以保留标题行；表头中带*的列必填；多余的列会被忽略并在结果中列出；日期可写2021-03-05、2021/3/5或2021年3月5日。").map_err(xl)?;
        ws.set_column_width(2, 60).map_err(xl)?;
        ws.set_column_width(3, 40).map_err(xl)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("代码表").map_err(xl)?;
        for (i, (c, list)) in lists.iter().enumerate() {
            ws.write_string(0, i as u16, columns[*c].label)
                .map_err(xl)?;
            for (r, v) in list.iter().enumerate() {
                ws.write_string(r as u32 + 1, i as u16, *v).map_err(xl)?;
            }
        }
        ws.set_hidden(true);
    }
    wb.save_to_buffer().map_err(xl)
}
