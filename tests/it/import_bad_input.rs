//! Every bad input named in the registry issue: a clear Chinese error, nothing lost, nothing half-written.

use serde_json::Value;

use crate::helpers::*;

fn issues_for(outcome: &Value, row: u64) -> Vec<(String, String, String)> {
    outcome["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter(|i| i["row"] == row)
        .map(|i| {
            (
                i["column"].as_str().unwrap().to_string(),
                i["message"].as_str().unwrap().to_string(),
                i["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Imports a member file expecting it to be rejected as a whole; returns the outcome.
async fn rejected(app: &TestApp, body: &str) -> Value {
    let s = app
        .import(
            "members",
            "m.csv",
            format!("{MEMBER_HEADER}{body}").into_bytes(),
            "",
        )
        .await;
    assert_eq!(s["state"], "finished", "{s}");
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    s["outcome"].clone()
}

#[tokio::test]
async fn id_number_wrong_length_bad_check_and_impossible_date_are_row_errors_and_nothing_is_written()
 {
    let app = spawn_app().await;
    app.seed_tree().await;
    let good = id_number("340402", "19900101", 12);
    let mut bad_check = good.clone();
    bad_check.replace_range(17..18, if good.ends_with('0') { "1" } else { "0" });
    let bad_date = id_number("340402", "19900230", 12);
    let body = format!(
        "张三,{good},,,U1,2020-01-01,否,\n李四,34040219900101,,,U1,2020-01-01,否,\n王五,{bad_check},,,U1,2020-01-01,否,\n赵六,{bad_date},,,U1,2020-01-01,否,\n"
    );
    let o = rejected(&app, &body).await;
    assert!(issues_for(&o, 3)[0].1.contains("18位"), "{o}");
    assert!(issues_for(&o, 4)[0].1.contains("校验位"), "{o}");
    assert!(issues_for(&o, 5)[0].1.contains("出生日期"), "{o}");
    assert_eq!(issues_for(&o, 2).len(), 0);
    assert_eq!(o["rows_invalid"], 3);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members").await,
        0,
        "all-or-nothing: the valid row was not written either"
    );
}

#[tokio::test]
async fn unknown_region_prefix_is_only_a_warning() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("990101", "19900101", 12);
    let o = app
        .import_ok(
            "members",
            &format!("{MEMBER_HEADER}张三,{id},,,U1,2020-01-01,否,\n"),
        )
        .await;
    let issues = issues_for(&o, 2);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].2, "warning");
    assert!(issues[0].1.contains("990101"));
    assert_eq!(o["inserted"], 1);
}

#[tokio::test]
async fn sex_or_birth_date_disagreeing_with_the_id_number_is_rejected() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let male = id_number("340402", "19900101", 11);
    let body = format!(
        "姓名,身份证号,性别,出生日期,所属工会代码,入会日期\n张三,{male},女,,U1,2020-01-01\n李四,{},,1990-01-02,U1,2020-01-01\n",
        id_number("340402", "19900101", 13)
    );
    let s = app.import("members", "m.csv", body.into_bytes(), "").await;
    let o = &s["outcome"];
    assert_eq!(o["committed"], false);
    assert!(
        issues_for(o, 2)
            .iter()
            .any(|i| i.0 == "性别" && i.1.contains("不一致")),
        "{o}"
    );
    assert!(
        issues_for(o, 3)
            .iter()
            .any(|i| i.0 == "出生日期" && i.1.contains("不一致")),
        "{o}"
    );
}

#[tokio::test]
async fn the_same_id_number_twice_in_one_file_is_reported_on_the_second_row() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("340402", "19900101", 12);
    let o = rejected(
        &app,
        &format!(
            "张三,{id},,,U1,2020-01-01,否,\n张三,{},,,U2,2021-01-01,否,\n",
            id.to_lowercase()
        ),
    )
    .await;
    assert!(issues_for(&o, 3)[0].1.contains("与第2行"), "{o}");
    assert!(issues_for(&o, 2).is_empty());
}

#[tokio::test]
async fn an_id_number_already_in_the_database_updates_in_the_same_union_and_conflicts_in_another() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("340402", "19900101", 12);
    app.import_ok(
        "members",
        &format!("{MEMBER_HEADER}张三,{id},,13812345678,U1,2020-01-01,否,\n"),
    )
    .await;
    // Same union, changed mobile → an update, no new person.
    let o = app
        .import_ok(
            "members",
            &format!("{MEMBER_HEADER}张三,{id},,13900001111,U1,2020-01-01,否,\n"),
        )
        .await;
    assert_eq!(
        (o["inserted"].as_u64(), o["updated"].as_u64()),
        (Some(0), Some(1)),
        "{o}"
    );
    // Another union → transfer conflict, never moved silently.
    let o = rejected(&app, &format!("张三,{id},,13900001111,U3,2021-01-01,否,\n")).await;
    let issue = &issues_for(&o, 2)[0];
    assert!(
        issue.1.contains("转会冲突") && issue.1.contains("甲公司工会"),
        "{o}"
    );
    let (org,): (String,) =
        sqlx::query_as("SELECT o.code FROM members m JOIN orgs o ON o.id = m.org_id")
            .fetch_one(app.reg.db.pool())
            .await
            .unwrap();
    assert_eq!(org, "U1");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 1);
}

#[tokio::test]
async fn a_bad_mobile_is_a_row_error() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let o = rejected(
        &app,
        &format!(
            "张三,{},,12812345678,U1,2020-01-01,否,\n",
            id_number("340402", "19900101", 12)
        ),
    )
    .await;
    assert!(issues_for(&o, 2).iter().any(|i| i.0 == "手机号"), "{o}");
}

#[tokio::test]
async fn bad_or_missing_uscc_and_the_accepted_check_character_warning() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let good = uscc("91340400MA2N00001");
    let mut bad_check = good.clone();
    bad_check.replace_range(17..18, if good.ends_with('0') { "1" } else { "0" });
    let csv = format!(
        "统一社会信用代码,单位名称,职工人数,覆盖工会代码\n{good},甲公司,100,U1\n,无代码公司,10,U1\n91340400MA2N0000O1,含O公司,10,U1\n{bad_check},早期代码公司,10,U1\n"
    );
    let s = app
        .import("units", "u.csv", csv.clone().into_bytes(), "")
        .await;
    let o = &s["outcome"];
    assert_eq!(o["committed"], false);
    assert!(issues_for(o, 3)[0].1.contains("不能为空"), "{o}");
    assert!(issues_for(o, 4)[0].1.contains("不允许的字符"), "{o}");
    assert!(issues_for(o, 5)[0].1.contains("校验位"), "{o}");
    let n: i64 = app.scalar("SELECT COUNT(*) FROM units").await;
    assert_eq!(n, 0);
    // An administrator accepts the early code; the two broken rows are skipped explicitly.
    let s = app
        .import(
            "units",
            "u.csv",
            csv.into_bytes(),
            "accept_uscc_warnings=1&skip_invalid=1",
        )
        .await;
    let o = &s["outcome"];
    assert_eq!(o["committed"], true, "{o}");
    assert_eq!(o["inserted"], 2);
    assert_eq!(issues_for(o, 5)[0].2, "warning");
    let ok: i64 = app
        .scalar("SELECT uscc_check_ok FROM units WHERE name = '早期代码公司'")
        .await;
    assert_eq!(ok, 0);
}

#[tokio::test]
async fn unknown_parent_union_codes_and_cycles_in_a_file_are_rejected() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let csv = "工会代码,工会名称,组织类型,上级工会代码\nX1,新工会,基层工会,NOPE\nA,甲,基层工会,B\nB,乙,基层工会,A\nOK1,好工会,基层工会,S1\n";
    let s = app
        .import("orgs", "o.csv", csv.as_bytes().to_vec(), "")
        .await;
    let o = &s["outcome"];
    assert_eq!(o["committed"], false);
    assert!(issues_for(o, 2)[0].1.contains("NOPE"), "{o}");
    assert!(issues_for(o, 3).iter().any(|i| i.1.contains("循环")), "{o}");
    let n: i64 = app
        .scalar("SELECT COUNT(*) FROM orgs WHERE code = 'OK1'")
        .await;
    assert_eq!(n, 0, "nothing half-written");
    // Parents later in the same file are fine.
    let o = app.import_ok("orgs", "工会代码,工会名称,组织类型,上级工会代码\nK2,子工会,基层工会,K1\nK1,新街道,乡镇(街道)工会联合会,D1\n").await;
    assert_eq!(o["inserted"], 2);
}

#[tokio::test]
async fn moving_a_subtree_under_its_own_descendant_is_refused() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (status, body) = app
        .post(
            "/api/v1/orgs/D1/move",
            serde_json::json!({"parent_code": "U1"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "ORG_CYCLE");
    assert!(body["message"].as_str().unwrap().contains("循环"));
    let (status, body) = app
        .post(
            "/api/v1/orgs/D1/move",
            serde_json::json!({"parent_code": "D1"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("ORG_CYCLE")));
    let (_, d1) = app.get("/api/v1/orgs/D1").await;
    let (_, c) = app.get("/api/v1/orgs/C").await;
    assert!(
        d1["path"]
            .as_str()
            .unwrap()
            .starts_with(c["path"].as_str().unwrap()),
        "unchanged: D1 still under C"
    );
    assert_eq!(d1["depth"], 1);
}

#[tokio::test]
async fn missing_required_columns_are_named() {
    let app = spawn_app().await;
    let s = app
        .import(
            "members",
            "m.csv",
            "姓名,身份证号,性别\n张三,1,男\n".as_bytes().to_vec(),
            "",
        )
        .await;
    assert_eq!(s["state"], "failed");
    assert_eq!(s["error"]["code"], "IMPORT_MISSING_COLUMNS");
    let msg = s["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("所属工会代码") && msg.contains("入会日期"),
        "{msg}"
    );
}

#[tokio::test]
async fn unknown_extra_columns_are_ignored_and_reported_and_empty_rows_skipped() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("340402", "19900101", 12);
    let csv = format!(
        "序号,姓名,身份证号,所属工会代码,入会日期,备注\n1,张三,{id},U1,2020-01-01,班组长\n,,,,,\n\n"
    );
    let o = app.import_ok("members", &csv).await;
    assert_eq!(o["ignored_columns"], serde_json::json!(["序号", "备注"]));
    assert_eq!(o["inserted"], 1);
    assert_eq!(o["rows_total"], 1);
    assert!(o["rows_empty"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn a_file_that_is_not_a_spreadsheet_an_empty_file_and_a_header_only_file() {
    let app = spawn_app().await;
    let s = app
        .import(
            "members",
            "x.xlsx",
            vec![0x7F, b'E', b'L', b'F', 0, 0, 1, 2, 3],
            "",
        )
        .await;
    assert_eq!(
        (s["state"].as_str(), s["error"]["code"].as_str()),
        (Some("failed"), Some("IMPORT_NOT_SPREADSHEET")),
        "{s}"
    );
    let s = app
        .import(
            "members",
            "x.xlsx",
            b"PK\x03\x04 not really a zip".to_vec(),
            "",
        )
        .await;
    assert_eq!(s["error"]["code"], "IMPORT_NOT_SPREADSHEET", "{s}");
    let s = app.import("members", "x.csv", vec![], "").await;
    assert_eq!(s["error"]["code"], "IMPORT_EMPTY");
    assert!(s["error"]["message"].as_str().unwrap().contains("空"));
    let s = app
        .import("members", "x.csv", MEMBER_HEADER.as_bytes().to_vec(), "")
        .await;
    assert_eq!(s["error"]["code"], "IMPORT_EMPTY");
}

#[tokio::test]
async fn a_file_over_the_size_limit_gets_413_with_a_chinese_message() {
    let app = spawn_app_with(|c| c.import_max_mb = 1).await;
    let big = vec![b'a'; 1024 * 1024 + 10];
    let r = app
        .client
        .post(app.url("/api/v1/imports/members?file_name=big.csv"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "IMPORT_TOO_LARGE");
    assert!(body["message"].as_str().unwrap().contains("1MB"));
}

#[tokio::test]
async fn names_with_middle_dot_and_rare_characters_are_accepted() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let body = format!(
        "{MEMBER_HEADER}阿依古丽•买买提,{},,,U1,2020-01-01,否,\n𠮷田堃,{},,,U1,2020-01-01,否,\n",
        id_number("650102", "19900101", 22),
        id_number("340402", "19850505", 13)
    );
    let o = app.import_ok("members", &body).await;
    assert_eq!(o["inserted"], 2);
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM members ORDER BY name")
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap();
    assert!(names.contains(&"阿依古丽·买买提".to_string()), "{names:?}");
    assert!(names.contains(&"𠮷田堃".to_string()));
}

#[tokio::test]
async fn skip_invalid_commits_only_the_valid_rows_and_dry_run_writes_nothing() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let body = format!(
        "{MEMBER_HEADER}张三,{},,,U1,2020-01-01,否,\n李四,123,,,U1,2020-01-01,否,\n",
        id_number("340402", "19900101", 12)
    );
    let s = app
        .import("members", "m.csv", body.clone().into_bytes(), "dry_run=1")
        .await;
    assert_eq!(s["outcome"]["committed"], false);
    assert_eq!(s["outcome"]["rows_invalid"], 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 0);
    let s = app
        .import("members", "m.csv", body.into_bytes(), "skip_invalid=1")
        .await;
    assert_eq!(s["outcome"]["committed"], true);
    assert_eq!(s["outcome"]["inserted"], 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 1);
}

#[tokio::test]
async fn the_error_report_has_the_failing_rows_under_the_original_header_and_can_be_fixed_and_reimported()
 {
    let app = spawn_app().await;
    app.seed_tree().await;
    let good = id_number("340402", "19900101", 12);
    let body =
        format!("{MEMBER_HEADER}张三,{good},,,U1,2020-01-01,否,\n李四,123,,,U1,2020-01-01,否,\n");
    let status = app.import("members", "m.csv", body.into_bytes(), "").await;
    assert_eq!(status["outcome"]["committed"], false);
    let id = status["id"].as_str().unwrap();
    let rows = app
        .download_sheet(
            &format!("/api/v1/import-jobs/{id}/errors.xlsx"),
            "待修改的行",
        )
        .await;
    assert_eq!(rows.len(), 2, "header + the one failing row");
    assert_eq!(rows[0][0], "姓名");
    assert_eq!(rows[1][0], "李四");
    assert!(rows[1].last().unwrap().contains("身份证号"));
    // The cadre fixes the number in the report and uploads it again.
    let fixed_id = id_number("340402", "19920202", 14);
    let mut out = rust_xlsxwriter::Workbook::new();
    let ws = out.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let v = if r == 1 && c == 1 {
                fixed_id.clone()
            } else {
                v.clone()
            };
            ws.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    let s = app
        .import("members", "fixed.xlsx", out.save_to_buffer().unwrap(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], true, "{s}");
    assert_eq!(s["outcome"]["inserted"], 1);
    assert_eq!(
        s["outcome"]["ignored_columns"][0],
        "错误说明（改正后可删除本列）"
    );
}

/// Several thousand rows (more than one batch of the reader): a problem far down the file is
/// still found, and only then decides what is written. On SQLite a first load writes while it
/// reads, so this checks that rows already written are taken back.
fn name_of(i: usize) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let digits: String = i
        .to_string()
        .bytes()
        .map(|b| DIGITS[(b - b'0') as usize])
        .collect();
    format!("会员{digits}")
}

fn many_members(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let day = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()
                + chrono::Duration::days((i / 400) as i64);
            let id = id_number(
                "340402",
                &day.format("%Y%m%d").to_string(),
                (i % 400) as u32 + 1,
            );
            let org = if i % 3 == 0 { "U2" } else { "U1" };
            format!(
                "{},{id},,,{org},2020-01-{:02},否,\n",
                name_of(i),
                i % 28 + 1
            )
        })
        .collect()
}

#[tokio::test]
async fn an_error_far_down_a_long_file_leaves_nothing_written() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let mut rows = many_members(5000);
    rows[4700] = "坏行,11010519900101123,,,U1,2020-01-01,否,\n".into();
    let body = format!("{MEMBER_HEADER}{}", rows.concat());
    let s = app.import("members", "m.csv", body.into_bytes(), "").await;
    let o = &s["outcome"];
    assert_eq!(o["committed"], false, "{o}");
    assert_eq!(o["rows_invalid"], 1, "{o}");
    assert!(!issues_for(o, 4702).is_empty(), "row 4702 named: {o}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM memberships").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM stat_deltas").await, 0);
}

#[tokio::test]
async fn a_person_repeated_far_down_a_long_file_keeps_the_first_row() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let mut rows = many_members(5000);
    let first_id = rows[10].split(',').nth(1).unwrap().to_string();
    rows[4600] = format!("重复者,{first_id},,,U2,2021-01-01,否,\n");
    let body = format!("{MEMBER_HEADER}{}", rows.concat());
    // All or nothing: nothing written, the repeat named with the row it repeats.
    let s = app
        .import("members", "m.csv", body.clone().into_bytes(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let issues = issues_for(&s["outcome"], 4602);
    assert!(issues.iter().any(|i| i.1.contains("第12行")), "{issues:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 0);
    // Valid rows only: the first row stands, in its own union.
    let s = app
        .import("members", "m.csv", body.into_bytes(), "skip_invalid=1")
        .await;
    assert_eq!(s["outcome"]["committed"], true, "{s}");
    assert_eq!(s["outcome"]["inserted"], 4999, "{s}");
    let union: String = sqlx::query_scalar(
        "SELECT o.code FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.name = '会员一零'",
    )
    .fetch_one(app.reg.db.pool())
    .await
    .unwrap();
    assert_eq!(union, "U1");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE name = '重复者'")
            .await,
        0
    );
    // The statistics totals were added up on the way and agree with the history.
    let check = gonghui::registry::counters::reconcile(&app.reg.db)
        .await
        .unwrap();
    assert!(
        check.differences.is_empty(),
        "{:?}",
        check.differences.len()
    );
    assert!(check.rows_checked > 0);
}
