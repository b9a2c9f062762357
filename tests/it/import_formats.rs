//! Files as cadres really have them: GBK CSV, BOM, XLSX with a title row, Excel dates, formulas.

use rust_xlsxwriter::{Formula, Workbook};
use serde_json::Value;

use crate::helpers::*;

fn committed(s: &Value) -> &Value {
    assert_eq!(s["state"], "finished", "{s}");
    assert_eq!(s["outcome"]["committed"], true, "{s}");
    &s["outcome"]
}

#[tokio::test]
async fn gbk_and_utf8_bom_csv_are_detected() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let text = format!(
        "{MEMBER_HEADER}张三,{},,,U1,2020-01-01,否,网约送餐员\n",
        id_number("340402", "19900101", 12)
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let o = committed(&app.import("members", "gbk.csv", gbk.to_vec(), "").await).clone();
    assert_eq!(o["inserted"], 1);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(
        format!(
            "{MEMBER_HEADER}李四,{},,,U1,2020-01-01,否,\n",
            id_number("340402", "19900101", 14)
        )
        .as_bytes(),
    );
    let o = committed(&app.import("members", "bom.csv", bom, "").await).clone();
    assert_eq!(o["inserted"], 1);
    let mut names: Vec<String> = sqlx::query_scalar("SELECT name FROM members")
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap();
    names.sort();
    assert_eq!(names, vec!["张三".to_string(), "李四".to_string()]);
}

#[tokio::test]
async fn xlsx_with_title_row_header_variants_fullwidth_digits_dates_and_formulas() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id1 = id_number("340402", "19900101", 12);
    let id2 = id_number("34040219", "851111", 1);
    let id3 = id_number("340402", "19770707", 23);
    let fullwidth: String = id2
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                char::from_u32(c as u32 + 0xFEE0).unwrap()
            } else {
                c
            }
        })
        .collect();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "某某公司工会会员信息采集表").unwrap();
    for (c, h) in [
        "序号",
        "会员姓名",
        "公民身份号码",
        "手机号码",
        "工会代码",
        "入会时间",
        "是否农民工",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    // Row 3: Excel date serial for 2021-03-05 and a lowercase x / spaces in the number.
    ws.write_number(2, 0, 1).unwrap();
    ws.write_string(2, 1, "张三").unwrap();
    ws.write_string(2, 2, format!(" {} ", id1.to_lowercase()))
        .unwrap();
    ws.write_number(2, 3, 13812345678.0).unwrap();
    ws.write_string(2, 4, "U1").unwrap();
    ws.write_number(2, 5, 44260.0).unwrap();
    ws.write_string(2, 6, "是").unwrap();
    // Row 4: full-width digits and a Chinese text date.
    ws.write_number(3, 0, 2).unwrap();
    ws.write_string(3, 1, "李四").unwrap();
    ws.write_string(3, 2, &fullwidth).unwrap();
    ws.write_string(3, 4, "U1").unwrap();
    ws.write_string(3, 5, "2021年3月5日").unwrap();
    // Row 5: the name is a formula; its computed value is what the cadre sees and what is imported.
    ws.write_number(4, 0, 3).unwrap();
    ws.write_formula(4, 1, Formula::new("=\"王\"&\"五\"").set_result("王五"))
        .unwrap();
    ws.write_string(4, 2, &id3).unwrap();
    ws.write_string(4, 4, "U2").unwrap();
    ws.write_string(4, 5, "2021/3/5").unwrap();
    let s = app
        .import("members", "m.xlsx", wb.save_to_buffer().unwrap(), "")
        .await;
    let o = committed(&s).clone();
    assert_eq!(o["header_row"], 2);
    assert_eq!(o["inserted"], 3, "{o}");
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, joined_on FROM members ORDER BY name")
            .fetch_all(app.reg.db.pool())
            .await
            .unwrap();
    assert!(rows.iter().all(|(_, d)| d == "2021-03-05"), "{rows:?}");
    assert!(rows.iter().any(|(n, _)| n == "王五"));
    let migrant: i64 = app
        .scalar("SELECT migrant FROM members WHERE name = '张三'")
        .await;
    assert_eq!(migrant, 1);
}

#[tokio::test]
async fn a_formula_cell_with_an_error_value_is_reported() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["姓名", "身份证号", "所属工会代码", "入会日期"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "张三").unwrap();
    ws.write_formula(1, 1, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    ws.write_string(1, 2, "U1").unwrap();
    ws.write_string(1, 3, "2021-01-01").unwrap();
    let s = app
        .import("members", "m.xlsx", wb.save_to_buffer().unwrap(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let issue = &s["outcome"]["issues"][0];
    assert_eq!(issue["column"], "身份证号");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 0);
}

#[tokio::test]
async fn reimporting_the_same_file_changes_nothing() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let body = format!(
        "{MEMBER_HEADER}张三,{},,13812345678,U1,2020-01-01,是,快递员\n李四,{},女,,U2,2019-05-06,否,\n",
        id_number("340402", "19900101", 12),
        id_number("340402", "19910101", 24)
    );
    let first = app.import_ok("members", &body).await;
    assert_eq!(first["inserted"], 2);
    let snapshot: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT id, name, updated_at FROM members ORDER BY id")
            .fetch_all(app.reg.db.pool())
            .await
            .unwrap();
    let again = app.import_ok("members", &body).await;
    assert_eq!(
        (
            again["inserted"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2))
    );
    let after: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT id, name, updated_at FROM members ORDER BY id")
            .fetch_all(app.reg.db.pool())
            .await
            .unwrap();
    assert_eq!(snapshot, after);
    let memberships: i64 = app.scalar("SELECT COUNT(*) FROM memberships").await;
    assert_eq!(memberships, 2);
    // Orgs and units too.
    let orgs = app.import_ok("orgs", "工会代码,工会名称,组织类型,上级工会代码,成立日期\nU1,甲公司工会,基层工会,S1,2010-01-01\n").await;
    assert_eq!(
        (orgs["inserted"].as_u64(), orgs["unchanged"].as_u64()),
        (Some(0), Some(1))
    );
}

#[tokio::test]
async fn templates_download_with_headers_notes_and_drop_downs() {
    let app = spawn_app().await;
    for kind in ["orgs", "units", "members", "aid_payouts"] {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/templates/{kind}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("filename*=UTF-8''")
        );
        let bytes = r.bytes().await.unwrap().to_vec();
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
        let names = wb.sheet_names();
        assert!(
            names.contains(&"填写说明".to_string()) && names.contains(&"代码表".to_string()),
            "{names:?}"
        );
        let first = wb.worksheet_range(&names[0]).unwrap();
        let header: Vec<String> = first
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert!(
            header.iter().any(|h| h.ends_with('*')),
            "required columns marked: {header:?}"
        );
        // Drop-downs are data validations in the sheet XML.
        let xml = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            xml.contains("<dataValidation "),
            "{kind} template has drop-down lists"
        );
        // An empty template imported as-is is a clear error, not a crash.
        let s = app.import(kind, "t.xlsx", bytes, "").await;
        assert_eq!(s["error"]["code"], "IMPORT_EMPTY", "{s}");
    }
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("xlsx is a zip");
    let mut text = String::new();
    archive
        .by_name(name)
        .expect("entry")
        .read_to_string(&mut text)
        .expect("utf-8 xml");
    text
}

/// An unmasked CSV export imports back with no changes, even where the export guarded a value
/// that starts like a formula (`'-0001`).
#[tokio::test]
async fn a_full_csv_export_imports_back_unchanged() {
    use gonghui::registry::export::{ExportFormat, export_members};
    use gonghui::registry::members::MemberFilter;
    use gonghui::registry::scope::Scope;
    let app = spawn_app().await;
    app.seed_tree().await;
    let csv = format!(
        "姓名,身份证号,性别,手机号,所属工会代码,入会日期,农民工,新就业形态群体,会员卡号\n\
         张三,{},,13800138000,U1,2020-01-01,否,,-0001\n\
         李四,{},,,U2,2021-03-05,是,快递员,=1+1\n\
         王五,{},,,U1,2022-07-01,否,,@home\n",
        id_number("340402", "19900101", 12),
        id_number("340402", "19850505", 14),
        id_number("340402", "19770707", 23),
    );
    assert_eq!(app.import_ok("members", &csv).await["inserted"], 3);
    let mut file = Vec::new();
    let rows = export_members(
        &app.reg,
        &Scope::all(),
        &MemberFilter::default(),
        ExportFormat::Csv,
        true,
        &mut file,
    )
    .await
    .unwrap();
    assert_eq!(rows, 3);
    let text = String::from_utf8(file.clone()).unwrap();
    for guarded in ["'-0001", "'=1+1", "'@home"] {
        assert!(text.contains(guarded), "{guarded} guarded in {text}");
    }
    let o = committed(&app.import("members", "export.csv", file, "").await).clone();
    assert_eq!(
        (&o["inserted"], &o["updated"], &o["unchanged"]),
        (&Value::from(0), &Value::from(0), &Value::from(3)),
        "{o}"
    );
    let mut cards: Vec<String> = sqlx::query_scalar("SELECT card_no FROM members")
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap();
    cards.sort();
    assert_eq!(cards, ["-0001", "=1+1", "@home"]);
}
