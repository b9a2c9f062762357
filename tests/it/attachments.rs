//! Files on cases: kept encrypted and given back byte for byte, checked for kind and size,
//! refused twice, out of reach of another subtree, removed only with a reason and never lost;
//! the member's own petition; the case page's upload and remove forms.

use serde_json::{Value, json};

use crate::helpers::*;

const LETTER: &[u8] = b"%PDF-1.7\n% worker's letter: wages owed since March\n%%EOF\n";

async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    name: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let r = c
        .post(app.url(&format!("{path}?file_name={}", urlencode(name))))
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
    ))
    .await
}

#[tokio::test]
async fn a_petitions_files_are_kept_sealed_checked_and_removed_only_with_a_reason() {
    let app = spawn_app_with(|c| c.attachment_max_mb = 1).await;
    app.seed_tree().await;
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    app.add_account("d2cadre", "cadre", Some("D2"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let d2 = app.signed_in("d2cadre", TESTER_PASSWORD).await;
    let (s, p) = app
        .post_as(
            &d1,
            "/api/v1/casework/petitions",
            json!({"org_code": "U1", "channel": "来信", "kind": "求决", "category": "wages",
                   "requester_name": "褚来信", "summary": "三个月工资未发"}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let files = format!(
        "/api/v1/casework/petitions/{}/attachments",
        p["id"].as_str().unwrap()
    );

    let (s, kept) = upload(&app, &d1, &files, "C:\\扫描件\\褚来信的信.pdf", LETTER).await;
    assert_eq!(s, 201, "{kept}");
    assert_eq!(
        (
            kept["file_name"].as_str(),
            kept["mime"].as_str(),
            kept["size_bytes"].as_i64()
        ),
        (
            Some("褚来信的信.pdf"),
            Some("application/pdf"),
            Some(LETTER.len() as i64)
        )
    );
    let file = kept["id"].as_str().unwrap().to_string();
    // Given back byte for byte, named for the browser; kept sealed in the database.
    let r = d1
        .get(app.url(&format!("{files}/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), LETTER);
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT content FROM attachments")
        .fetch_one(app.reg.db.pool())
        .await
        .unwrap();
    assert!(
        !sealed.windows(12).any(|w| w == b"worker's let"),
        "the content is not kept in the clear"
    );
    assert_eq!(audit_count(&app, "attachment.download").await, 1);

    // The same paper again, the wrong kind, a renamed program, an empty or too large file.
    let (s, v) = upload(&app, &d1, &files, "again.pdf", LETTER).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ATTACHMENT_DUPLICATE")),
        "{v}"
    );
    let (s, v) = upload(&app, &d1, &files, "信.pdf", b"MZ\x90\x00\x03\x00").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("ATTACHMENT_REFUSED")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("不符"), "{v}");
    let (s, v) = upload(&app, &d1, &files, "tool.exe", b"MZ\x90\x00\x03\x00").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("ATTACHMENT_REFUSED")),
        "{v}"
    );
    assert!(
        v["message"].as_str().unwrap().contains("pdf"),
        "names what is taken: {v}"
    );
    let (s, v) = upload(&app, &d1, &files, "空.txt", b"").await;
    assert_eq!(s, 422, "{v}");
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(1024 * 1024 + 10, b'x');
    let (s, v) = upload(&app, &d1, &files, "大.pdf", &big).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (413, Some("ATTACHMENT_TOO_LARGE")),
        "{v}"
    );
    // A multipart upload, as a form sends it.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png.clone()).file_name("身份证.png"),
    );
    let r = d1
        .post(app.url(&files))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let (_, list) = app.get_as(&d1, &files).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "refused files left nothing: {list}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM attachments").await, 2);

    // Another district's cadre finds neither the case's files nor a way to add one.
    let (s, _) = app.get_as(&d2, &files).await;
    assert_eq!(s, 404);
    let r = d2
        .get(app.url(&format!("{files}/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let (s, _) = upload(&app, &d2, &files, "x.pdf", b"%PDF-1.4 other").await;
    assert_eq!(s, 404);
    let (s, _) = app
        .post_as(
            &d2,
            &format!("{files}/{file}/remove"),
            json!({"reason": "越权"}),
        )
        .await;
    assert_eq!(s, 404);

    // Removed only with a reason, once; the file stays listed with it and can be read back.
    let (s, v) = app
        .post_as(
            &d1,
            &format!("{files}/{file}/remove"),
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = app
        .post_as(
            &d1,
            &format!("{files}/{file}/remove"),
            json!({"reason": "上传错了案件"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["removed_reason"].as_str(), v["removed_by"].as_str()),
        (Some("上传错了案件"), Some("d1cadre"))
    );
    let (s, v) = app
        .post_as(
            &d1,
            &format!("{files}/{file}/remove"),
            json!({"reason": "再来一次"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("ATTACHMENT_REMOVED")));
    let (_, list) = app.get_as(&d1, &files).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    // Once removed, the same paper may be attached again.
    let (s, _) = upload(&app, &d1, &files, "褚来信的信.pdf", LETTER).await;
    assert_eq!(s, 201);
    assert_eq!(
        (
            audit_count(&app, "attachment.add").await,
            audit_count(&app, "attachment.remove").await
        ),
        (3, 1)
    );
    // The auditor's chain still holds with the new events in it.
    app.add_account("checker", "auditadmin", None, None).await;
    let auditor = app.signed_in("checker", TESTER_PASSWORD).await;
    let (s, v) = app.get_as(&auditor, "/api/v1/audit/verify").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["problems"], json!([]), "{v}");
}

#[tokio::test]
async fn a_member_adds_papers_to_their_own_petition_only_and_a_dispute_keeps_its_own() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (_, m) = app
        .post(
            "/api/v1/members",
            json!({"name": "卫十", "id_number": id_number("340402", "19900101", 91), "org_code": "U1", "joined_on": "2020-01-01"}),
        )
        .await;
    let member_id: i64 = m["member"]["id"].as_str().unwrap().parse().unwrap();
    app.add_account("weishi", "member", None, Some(member_id))
        .await;
    let me = app.signed_in("weishi", TESTER_PASSWORD).await;
    let (s, mine) = app
        .post_as(
            &me,
            "/api/v1/me/petitions",
            json!({"kind": "consult", "category": "injury", "summary": "工伤认定怎么办"}),
        )
        .await;
    assert_eq!(s, 201, "{mine}");
    let mine = mine["id"].as_str().unwrap().to_string();
    let (_, theirs) = app
        .post(
            "/api/v1/casework/petitions",
            json!({"org_code": "U1", "channel": "来访", "kind": "咨询", "category": "wages",
                   "requester_name": "别人", "summary": "别人的诉求"}),
        )
        .await;
    let theirs = theirs["id"].as_str().unwrap().to_string();

    let recording = b"#!AMR\n\x3c\x48\xf5\x1f".to_vec();
    let (s, v) = upload(
        &app,
        &me,
        &format!("/api/v1/me/petitions/{mine}/attachments"),
        "诊断书.jpg",
        b"\xFF\xD8\xFF\xE0 jfif",
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = upload(
        &app,
        &me,
        &format!("/api/v1/me/petitions/{theirs}/attachments"),
        "x.amr",
        &recording,
    )
    .await;
    assert_eq!(s, 404, "another's petition is not found");
    let (s, _) = app
        .get_as(&me, &format!("/api/v1/me/petitions/{theirs}/attachments"))
        .await;
    assert_eq!(s, 404);
    // The cadre sees the member's paper on the case, and the member reads it back.
    let (_, list) = app
        .get(&format!("/api/v1/casework/petitions/{mine}/attachments"))
        .await;
    assert_eq!(list[0]["file_name"], "诊断书.jpg", "{list}");
    assert_eq!(list[0]["uploaded_by"], "weishi");
    let r = me
        .get(app.url(&format!(
            "/api/v1/me/petitions/{mine}/attachments/{}",
            list[0]["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"\xFF\xD8\xFF\xE0 jfif");

    // A dispute's files are its own: the petition's file is not found under it.
    let (s, d) = app
        .post(
            "/api/v1/casework/disputes",
            json!({"kind": "mediation", "org_code": "U1", "source": "direct", "claim": "wages",
                   "unit_name": "某餐馆", "workers": [{"name": "争议职工"}], "summary": "欠薪"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let dispute_files = format!(
        "/api/v1/casework/disputes/{}/attachments",
        d["id"].as_str().unwrap()
    );
    let (s, v) = upload(
        &app,
        &app.client,
        &dispute_files,
        "调解协议.amr",
        &recording,
    )
    .await;
    assert_eq!((s, v["mime"].as_str()), (201, Some("audio/amr")), "{v}");
    let r = app
        .client
        .get(app.url(&format!(
            "{dispute_files}/{}",
            list[0]["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn the_case_page_uploads_lists_and_removes_files() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let (_, p) = app
        .post(
            "/api/v1/casework/petitions",
            json!({"org_code": "U1", "channel": "来访", "kind": "求决", "category": "wages",
                   "requester_name": "蒋来访", "summary": "加班费"}),
        )
        .await;
    let id = p["id"].as_str().unwrap().to_string();
    let c = browser(&app, "d1cadre", TESTER_PASSWORD).await;
    let (s, html) = page(&c, &app, &format!("/casework/{id}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("还没有附件") && html.contains("enctype=\"multipart/form-data\""));
    let csrf = csrf_in(&html);
    let send = |name: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
        c.post(app.url(&format!("/casework/{id}/attachments?_csrf={csrf}")))
            .multipart(form)
            .send()
    };
    let r = send("工资条.xlsx", b"PK\x03\x04 sheet".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("附件已上传") && html.contains("工资条.xlsx"),
        "{html}"
    );
    // A refused file: the case page again with why, nothing kept.
    let r = send("工资条.xlsx", b"not a spreadsheet".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("不符"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM attachments").await, 1);
    // Without the token the upload is refused.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.4".to_vec()).file_name("a.pdf"),
    );
    let r = c
        .post(app.url(&format!("/casework/{id}/attachments")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    let file: i64 = app.scalar("SELECT id FROM attachments").await;
    let r = c
        .get(app.url(&format!("/casework/{id}/attachments/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"PK\x03\x04 sheet");
    let remove = format!("/casework/{id}/attachments/{file}/remove");
    let r = c
        .post(app.url(&remove))
        .form(&[("_csrf", csrf.as_str()), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("请填写移除附件的理由"));
    let r = c
        .post(app.url(&remove))
        .form(&[("_csrf", csrf.as_str()), ("reason", "不是本案材料")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("附件已移除")
            && html.contains("<s>工资条.xlsx</s>")
            && html.contains("不是本案材料"),
        "{html}"
    );
}
