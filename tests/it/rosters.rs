//! Member rosters laid out as federations' own collection forms are (issue 13): the values and
//! headers real forms use, ID numbers Excel has damaged, row numbers after blank lines, and a
//! re-uploaded error report.

use rust_xlsxwriter::Workbook;
use serde_json::Value;

use crate::helpers::{TestApp, id_number, spawn_app, uscc};

fn outcome(s: &Value) -> &Value {
    assert_eq!(s["state"], "finished", "{s}");
    &s["outcome"]
}

fn issues(s: &Value) -> Vec<(u64, String, String, String)> {
    outcome(s)["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["row"].as_u64().unwrap(),
                i["column"].as_str().unwrap().to_string(),
                i["message"].as_str().unwrap().to_string(),
                i["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn stored(app: &TestApp, name: &str, column: &str) -> Option<String> {
    sqlx::query_scalar(&format!("SELECT {column} FROM members WHERE name = $1"))
        .bind(name)
        .fetch_one(app.reg.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn coded_values_as_forms_write_them_are_stored_as_the_standard_says() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let rows = [
        ("甲一", "高中/中专", "党员", "外卖骑手"),
        ("甲二", "初中及以下", "群众", "否"),
        ("甲三", "中专", "团员", ""),
        ("甲四", "小学", "中国共产党党员", "快递小哥"),
        ("甲五", "本科学历", "无党派", "货车司机"),
    ];
    let mut csv =
        String::from("姓名,身份证号,所属工会代码,入会日期,学历,政治面貌,新就业形态群体\n");
    for (i, (name, edu, pol, nef)) in rows.iter().enumerate() {
        let idn = id_number("340402", "19900101", 11 + 2 * i as u32);
        csv.push_str(&format!("{name},{idn},U1,2020-01-01,{edu},{pol},{nef}\n"));
    }
    let s = app.import("members", "m.csv", csv.into_bytes(), "").await;
    assert_eq!(outcome(&s)["inserted"], 5, "{s}");
    for (name, edu, pol, nef) in [
        ("甲一", "高中/中专", "中共党员", Some("网约送餐员")),
        ("甲二", "初中及以下", "群众", None),
        ("甲三", "中等专科", "共青团员", None),
        ("甲四", "小学", "中共党员", Some("快递员")),
        ("甲五", "大学本科", "无党派人士", Some("货车司机")),
    ] {
        assert_eq!(stored(&app, name, "education").await.as_deref(), Some(edu));
        assert_eq!(stored(&app, name, "political").await.as_deref(), Some(pol));
        assert_eq!(
            stored(&app, name, "nef_group").await.as_deref(),
            nef,
            "{name}"
        );
    }
}

#[tokio::test]
async fn an_unknown_value_lists_what_would_pass_and_may_be_left_empty_instead() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let csv = format!(
        "姓名,身份证号,所属工会代码,入会日期,学历,民族\n乙一,{},U1,2020-01-01,大学本,汉\n乙二,{},U1,2020-01-01,本科,火星族\n",
        id_number("340402", "19900101", 11),
        id_number("340402", "19900101", 13)
    );
    let s = app
        .import("members", "m.csv", csv.clone().into_bytes(), "")
        .await;
    assert_eq!(outcome(&s)["committed"], false);
    let found = issues(&s);
    let edu = found.iter().find(|i| i.1 == "学历").expect("学历 refused");
    assert_eq!(edu.0, 2);
    assert!(edu.2.contains("您是否想填写“大学本科”？"), "{}", edu.2);
    for value in ["研究生", "高中/中专", "初中及以下", "文盲或半文盲"] {
        assert!(edu.2.contains(value), "{value} in {}", edu.2);
    }
    assert!(found.iter().any(|i| i.1 == "民族" && i.0 == 3));
    // The cadre chooses to keep the rows: the two fields are left empty with warnings.
    let s = app
        .import(
            "members",
            "m.csv",
            csv.into_bytes(),
            "blank_unknown_values=1",
        )
        .await;
    assert_eq!(outcome(&s)["inserted"], 2, "{s}");
    let warned = issues(&s);
    assert!(
        warned
            .iter()
            .all(|i| i.3 == "warning" && i.2.contains("已留空"))
    );
    assert_eq!(stored(&app, "乙一", "education").await, None);
    assert_eq!(
        stored(&app, "乙一", "ethnicity").await.as_deref(),
        Some("汉族")
    );
    assert_eq!(stored(&app, "乙二", "ethnicity").await, None);
    // A required field still keeps its row out.
    let csv = format!(
        "姓名,身份证号,所属工会代码,入会日期\n乙三,{},U1,去年\n",
        id_number("340402", "19900101", 15)
    );
    let s = app
        .import(
            "members",
            "m.csv",
            csv.into_bytes(),
            "blank_unknown_values=1",
        )
        .await;
    assert_eq!(outcome(&s)["committed"], false);
}

#[tokio::test]
async fn the_union_and_the_employer_are_found_by_the_names_forms_use() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let code = uscc("91340400MA0000011");
    let (s, _) = app
        .post(
            "/api/v1/units",
            serde_json::json!({"uscc": code, "name": "甲物流有限公司", "employee_count": 10, "org_code": "U1"}),
        )
        .await;
    assert_eq!(s, 200);
    // A second union named like an existing one makes that name ambiguous.
    let (s, _) = app
        .post(
            "/api/v1/orgs",
            serde_json::json!({"code": "U9", "name": "乙联合工会", "kind": "joint", "parent_code": "D2"}),
        )
        .await;
    assert_eq!(s, 201);
    let ids: Vec<String> = (0..5)
        .map(|i| id_number("340402", "19900101", 21 + 2 * i))
        .collect();
    let csv = format!(
        "姓名,身份证号,所在工会,入会日期,统一社会信用代码,工作单位,联系手机号码,民族成分\n\
         丙一,{},甲公司工会,2020-01-01,{code},,13800000001,汉族\n\
         丙二,{},甲公司工会,2020-01-01,,甲物流有限公司,,\n\
         丙三,{},乙联合工会,2020-01-01,,,,\n\
         丙四,{},甲公司公会,2020-01-01,,,,\n\
         丙五,{},甲公司工会,2020-01-01,,甲物流公司,,\n",
        ids[0], ids[1], ids[2], ids[3], ids[4]
    );
    let s = app.import("members", "m.csv", csv.into_bytes(), "").await;
    let found = issues(&s);
    let at = |row: u64, column: &str| {
        found
            .iter()
            .find(|i| i.0 == row && i.1 == column && i.3 == "error")
            .map(|i| i.2.clone())
            .unwrap_or_else(|| panic!("no error at row {row} {column}: {found:?}"))
    };
    assert!(at(4, "所在工会").contains("U2") && at(4, "所在工会").contains("U9"));
    assert!(
        at(5, "所在工会").contains("“甲公司工会”"),
        "a near name is offered"
    );
    assert!(at(6, "工作单位").contains("“甲物流有限公司”"));
    assert!(
        !found.iter().any(|i| i.0 == 2 || i.0 == 3),
        "rows 2 and 3 pass: {found:?}"
    );
    // Fixed: the good rows go in with their union and employer.
    let csv = format!(
        "姓名,身份证号,所在工会,入会日期,统一社会信用代码,工作单位,联系手机号码\n\
         丙一,{},甲公司工会,2020-01-01,{code},,13800000001\n\
         丙二,{},甲公司工会,2020-01-01,,甲物流有限公司,\n",
        ids[0], ids[1]
    );
    let s = app.import("members", "m.csv", csv.into_bytes(), "").await;
    assert_eq!(outcome(&s)["inserted"], 2, "{s}");
    let employed = app
        .scalar("SELECT COUNT(*) FROM members WHERE unit_id IS NOT NULL AND org_path LIKE '%/'")
        .await;
    assert_eq!(employed, 2);
    assert_eq!(
        stored(&app, "丙一", "mobile_masked").await.as_deref(),
        Some("138****0001")
    );
    // A file without any union column is refused with what was found and what was meant.
    let csv = format!(
        "姓名,身份证号,工会,入会年月\n丁一,{},U1,2020-01-01\n",
        ids[4]
    );
    let s = app.import("members", "m.csv", csv.into_bytes(), "").await;
    assert_eq!(s["state"], "failed", "{s}");
    let m = s["error"]["message"].as_str().unwrap();
    assert!(m.contains("“所属工会代码”或“所在工会”"), "{m}");
    assert!(
        m.contains("入会年月") && m.contains("已识别：姓名、身份证号"),
        "{m}"
    );
}

#[tokio::test]
async fn a_column_that_looks_like_a_known_one_is_never_passed_over_in_silence() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let csv = format!(
        "姓名,身份证号,所属工会代码,入会日期,会员手机\n戊一,{},U1,2020-01-01,13800000002\n",
        id_number("340402", "19900101", 31)
    );
    let s = app.import("members", "m.csv", csv.into_bytes(), "").await;
    assert_eq!(outcome(&s)["inserted"], 1);
    let warned = issues(&s);
    assert!(
        warned
            .iter()
            .any(|i| i.0 == 1 && i.1 == "会员手机" && i.2.contains("“手机号”") && i.3 == "warning"),
        "{warned:?}"
    );
}

#[tokio::test]
async fn an_id_number_excel_stored_as_a_number_is_refused_and_the_cell_named() {
    let app = spawn_app().await;
    app.seed_tree().await;
    // 620102199003074123 keeps its check character when Excel turns it into 620102199003074000.
    let real = "620102199003074123";
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "会员信息采集表").unwrap();
    for (c, h) in ["姓名", "身份证号", "手机号", "所属工会代码", "入会日期"]
        .iter()
        .enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    ws.write_string(2, 0, "己一").unwrap();
    ws.write_number(2, 1, real.parse::<f64>().unwrap()).unwrap();
    ws.write_number(2, 2, 13812345678.0).unwrap();
    ws.write_string(2, 3, "U1").unwrap();
    ws.write_string(2, 4, "2020-01-01").unwrap();
    ws.write_string(3, 0, "己二").unwrap();
    ws.write_string(3, 1, id_number("340402", "19900101", 33))
        .unwrap();
    ws.write_number(3, 2, 13812345679.0).unwrap();
    ws.write_string(3, 3, "U1").unwrap();
    ws.write_string(3, 4, "2020-01-01").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let s = app
        .import("members", "m.xlsx", bytes.clone(), "skip_invalid=1")
        .await;
    assert_eq!(outcome(&s)["inserted"], 1, "{s}");
    let found = issues(&s);
    let id_issue = found
        .iter()
        .find(|i| i.0 == 3 && i.1 == "身份证号")
        .expect("the damaged number is named");
    assert!(
        id_issue.2.contains("文本") && id_issue.2.contains("15位"),
        "{}",
        id_issue.2
    );
    assert!(
        !id_issue.2.contains("校验"),
        "not blamed on the check character"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE name = '己一'")
            .await,
        0,
        "never stored under another person's number"
    );
    // A mobile in a number cell is exact: kept.
    assert_eq!(
        stored(&app, "己二", "mobile_masked").await.as_deref(),
        Some("138****5679")
    );
}

#[tokio::test]
async fn csv_row_numbers_are_the_spreadsheets_whatever_the_encoding_and_line_ends() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let good = id_number("340402", "19900101", 41);
    let body = format!(
        "姓名,身份证号,所属工会代码,入会日期\n\n庚一,{good},U1,2020-01-01\n\n\n庚二,123,U1,2020-01-01\n"
    );
    let utf8 = body.clone().into_bytes();
    let crlf = body.replace('\n', "\r\n").into_bytes();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(body.as_bytes());
    let (gbk, _, _) = encoding_rs::GBK.encode(&body);
    for (what, bytes) in [
        ("utf8", utf8),
        ("crlf", crlf),
        ("bom", bom),
        ("gbk", gbk.to_vec()),
    ] {
        let s = app.import("members", "m.csv", bytes, "dry_run=1").await;
        let rows: Vec<u64> = issues(&s).iter().map(|i| i.0).collect();
        assert_eq!(rows, vec![6], "{what}: {s}");
        assert_eq!(outcome(&s)["rows_empty"], 3, "{what}");
        assert!(
            outcome(&s)["message"].as_str().unwrap().contains("空行3行"),
            "{what}"
        );
    }
}

#[tokio::test]
async fn a_re_uploaded_error_report_treats_every_row_as_the_first_upload_did() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (a, b) = (
        id_number("340402", "19900101", 51),
        id_number("340402", "19900101", 53),
    );
    // Row 3 repeats row 2's person with another mobile; row 4 has an error of its own.
    let csv = format!(
        "姓名,身份证号,手机号,所属工会代码,入会日期\n\
         辛一,{a},13800000011,U1,2020-01-01\n\
         辛一,{a},13900000099,U1,2020-01-01\n\
         辛二,{b},13800000012,NOPE,2020-01-01\n"
    );
    let s = app
        .import("members", "m.csv", csv.into_bytes(), "skip_invalid=1")
        .await;
    assert_eq!(outcome(&s)["inserted"], 1, "{s}");
    let job = s["id"].as_str().unwrap();
    let report = app
        .download_sheet(
            &format!("/api/v1/import-jobs/{job}/errors.xlsx"),
            "待修改的行",
        )
        .await;
    // The repeat and the row it repeats are both there, with the reason.
    assert_eq!(report.len(), 4, "header + rows 2, 3, 4: {report:?}");
    assert!(report[1].last().unwrap().contains("第3行与此行重复"));
    // Uploaded again as it stands: the repeat is still a repeat, nobody's mobile changes.
    let again = to_csv(&report);
    let s = app
        .import(
            "members",
            "r.csv",
            again.clone().into_bytes(),
            "skip_invalid=1",
        )
        .await;
    assert!(issues(&s).iter().any(|i| i.2.contains("重复")), "{s}");
    assert_eq!(
        stored(&app, "辛一", "mobile_masked").await.as_deref(),
        Some("138****0011")
    );
    // The cadre keeps the later row (the new mobile) and fixes the union: both apply.
    let fixed: Vec<Vec<String>> = report
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, r)| r.iter().map(|c| c.replace("NOPE", "U1")).collect())
        .collect();
    let s = app
        .import("members", "f.csv", to_csv(&fixed).into_bytes(), "")
        .await;
    assert_eq!(outcome(&s)["committed"], true, "{s}");
    assert_eq!(
        stored(&app, "辛一", "mobile_masked").await.as_deref(),
        Some("139****0099")
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 2);
}

/// The report's first sheet as a CSV file (the note column comes along, as a cadre's would).
fn to_csv(rows: &[Vec<String>]) -> String {
    rows.iter()
        .map(|r| r.join(","))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[tokio::test]
async fn employer_check_warnings_and_the_report_of_a_clean_file() {
    let app = spawn_app().await;
    app.seed_tree().await;
    // An early credit code with a wrong check character, accepted for the employer.
    let mut bad = uscc("91340400MA0000077");
    let last = bad.pop().unwrap();
    bad.push(if last == '0' { '1' } else { '0' });
    let (s, v) = app
        .post(
            "/api/v1/units",
            serde_json::json!({"uscc": bad, "accept_bad_check": true, "name": "老代码公司", "employee_count": 3, "org_code": "U1"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let csv = format!(
        "姓名,身份证号,所属工会代码,入会日期,工作单位统一社会信用代码\n壬一,{},U1,2020-01-01,{bad}\n",
        id_number("340402", "19900101", 61)
    );
    let s = app.import("members", "m.csv", csv.into_bytes(), "").await;
    assert_eq!(outcome(&s)["inserted"], 1);
    assert!(
        issues(&s).iter().any(|i| i.1 == "工作单位统一社会信用代码"
            && i.2.contains("校验位")
            && i.3 == "warning"),
        "{s}"
    );
    // A clean file has no report to download.
    let csv = format!(
        "姓名,身份证号,所属工会代码,入会日期\n壬二,{},U1,2020-01-01\n",
        id_number("340402", "19900101", 63)
    );
    let s = app.import("members", "m.csv", csv.into_bytes(), "").await;
    let job = s["id"].as_str().unwrap();
    let (status, v) = app
        .get(&format!("/api/v1/import-jobs/{job}/errors.xlsx"))
        .await;
    assert_eq!((status, v["code"].as_str()), (404, Some("NO_REPORT")));
}

#[tokio::test]
async fn the_import_command_says_by_its_exit_code_what_happened() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let dir = app.dir.path();
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let header = "姓名,身份证号,所属工会代码,入会日期\n";
    let ok = write(
        "ok.csv",
        format!(
            "{header}癸一,{},U1,2020-01-01\n",
            id_number("340402", "19900101", 71)
        ),
    );
    let mixed = write(
        "mixed.csv",
        format!(
            "{header}癸二,{},U1,2020-01-01\n癸三,123,U1,2020-01-01\n",
            id_number("340402", "19900101", 73)
        ),
    );
    let refused = write("refused.csv", "这不是名册\n随便写的\n".into());
    let report = dir.join("report.xlsx");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gonghui"))
            .arg("import")
            .arg("members")
            .args(args)
            .env("GONGHUI_DATABASE_URL", app.config.database_url())
            .env("GONGHUI_DATA_DIR", &app.config.data_dir)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (code, text) = run(&[ok.as_os_str(), "--errors".as_ref(), report.as_os_str()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("未生成错误报告") && !report.exists(),
        "{text}"
    );
    assert_eq!(run(&[mixed.as_os_str()]).0, Some(3));
    assert_eq!(run(&[refused.as_os_str()]).0, Some(4));
    let (code, text) = run(&[mixed.as_os_str(), "--skip-invalid".as_ref()]);
    assert_eq!(code, Some(5), "{text}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 2);
}
