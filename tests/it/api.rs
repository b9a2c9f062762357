//! The API surface: OpenAPI and the offline explorer, JSON errors, validation, 404s.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn openapi_document_and_offline_explorer_are_served() {
    let app = spawn_app().await;
    let (s, doc) = app.get("/api/openapi.json").await;
    assert_eq!(s, 200);
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/orgs",
        "/api/v1/members",
        "/api/v1/members/lookup",
        "/api/v1/stats",
        "/api/v1/stats/drill",
        "/api/v1/imports/{kind}",
        "/api/v1/exports/members",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    let r = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("swagger") && !html.contains("https://"),
        "explorer must not load anything from the internet"
    );
    let (s, h) = app.get("/healthz").await;
    let (latest, _) = gonghui::db::migrations::status(&app.reg.db).await.unwrap();
    assert_eq!(
        (s, h["status"].as_str(), h["schema_version"].as_i64()),
        (200, Some("ok"), Some(latest))
    );
}

#[tokio::test]
async fn errors_are_json_with_a_stable_code_and_a_chinese_message() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (s, v) = app.get("/api/v1/orgs/NOPE").await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
    assert!(v["message"].as_str().unwrap().contains("工会"));
    let (s, v) = app.get("/api/v1/members/123").await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
    let (s, v) = app.get("/api/v1/members/not-a-number").await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = app.get("/api/v1/no/such/route").await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
    // Outside the API, people get a page.
    let r = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().await.unwrap().contains("找不到页面"));
    let r = app
        .client
        .post(app.url("/api/v1/orgs"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("JSON"));
    let (s, v) = app
        .post(
            "/api/v1/orgs",
            json!({"code": "U9", "name": "新", "kind": "外星工会", "parent_code": "S1"}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(v["message"].as_str().unwrap().contains("组织类型"));
    let (s, v) = app
        .post(
            "/api/v1/orgs",
            json!({"code": "U1", "name": "重复", "kind": "基层工会", "parent_code": "S1"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("ORG_CODE_TAKEN")));
    let (s, v) = app
        .post(
            "/api/v1/orgs",
            json!({"code": "U9", "name": "新", "kind": "基层工会", "parent_code": "NOPE"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    // An oversized JSON body is refused before it is read.
    let big = "x".repeat(3 * 1024 * 1024);
    let r = app
        .client
        .post(app.url("/api/v1/orgs"))
        .header("content-type", "application/json")
        .body(format!("{{\"name\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
}

#[tokio::test]
async fn member_validation_reports_every_field_at_once() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (s, v) = app
        .post("/api/v1/members", json!({"name": "张3", "id_number": "110105194912310021", "mobile": "123", "political": "火星党", "org_code": "U1"}))
        .await;
    assert_eq!(s, 422, "{v}");
    let fields: Vec<&str> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["姓名", "身份证号", "手机号", "政治面貌"] {
        assert!(fields.contains(&f), "{f} missing in {v}");
    }
    let n: i64 = app.scalar("SELECT COUNT(*) FROM members").await;
    assert_eq!(n, 0);
}

#[tokio::test]
async fn injection_and_markup_in_text_fields_are_stored_as_given() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let name = "<script>alert(1)</script>'; DROP TABLE orgs; --";
    let (s, v) = app
        .post(
            "/api/v1/orgs",
            json!({"code": "U9", "name": name, "kind": "基层工会", "parent_code": "S1"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["name"], name);
    let (_, list) = app.get("/api/v1/orgs?q=DROP%20TABLE").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = app.get("/api/v1/members?q=%27%20OR%201%3D1%20--").await;
    assert_eq!(list["rows"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn unions_created_concurrently_all_get_distinct_places_in_the_tree() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let bodies = (0..8)
        .map(|i| json!({"code": format!("P{i}"), "name": format!("并发工会{i}"), "kind": "基层工会", "parent_code": "S1"}))
        .collect();
    let statuses = app.post_concurrently("/api/v1/orgs", bodies).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let paths: Vec<String> = sqlx::query_scalar("SELECT path FROM orgs WHERE code LIKE 'P%'")
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap();
    let distinct: std::collections::HashSet<&String> = paths.iter().collect();
    assert_eq!((paths.len(), distinct.len()), (8, 8));
}

#[tokio::test]
async fn a_duplicate_union_number_is_retried_on_postgresql_only() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let num: i64 = app.scalar("SELECT num FROM orgs WHERE code = 'U1'").await;
    let err = sqlx::query(
        "INSERT INTO orgs (id, code, num, name, kind, path, depth, created_at, updated_at) VALUES (1, 'DUP', $1, 'x', 'grassroots', '/dup/', 0, 0, 0)",
    )
    .bind(num)
    .execute(app.reg.db.pool())
    .await
    .unwrap_err();
    let err = gonghui::error::AppError::from(err);
    assert!(err.is_unique_violation());
    // PostgreSQL: two creations in flight can draw the same number, so the write helper redoes
    // the transaction. SQLite: writers are serialised (BEGIN IMMEDIATE); a duplicate is a bug.
    assert_eq!(err.is_transient(), is_postgres());
}

#[tokio::test]
async fn the_openapi_document_names_every_error_answer_and_the_inputs_the_server_takes() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/api/openapi.json").await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let codes = op["responses"].as_object().unwrap();
            for code in ["400", "422"] {
                assert!(codes.contains_key(code), "{method} {path} lacks {code}");
            }
            let signed_in = op["responses"].as_object().unwrap().contains_key("401");
            let public = path == "/api/v1/auth/login" || path == "/healthz";
            assert!(signed_in || public, "{method} {path}: 401 documented");
            for (code, r) in codes {
                if code.starts_with('4') {
                    let schema = &r["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {code}"
                    );
                }
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                let placed = p["in"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{}}}", p["name"].as_str().unwrap()));
                assert_eq!(placed == "path", in_path, "{method} {path} {}", p["name"]);
            }
        }
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["NewToken"]["additionalProperties"], false);
    assert!(
        schemas["UnitInput"]["properties"]["uscc"]["pattern"]
            .as_str()
            .is_some_and(|p| p.contains("A-HJ-NPQRTUWXY"))
    );
    assert!(
        schemas["OrgInput"]["properties"]["kind"]["enum"]
            .as_array()
            .is_some_and(
                |kinds| kinds.contains(&json!("grassroots")) && !kinds.contains(&json!(""))
            )
    );
    let export = &doc["paths"]["/api/v1/exports/members"]["get"]["parameters"];
    let format = export
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "format")
        .unwrap();
    assert_eq!(format["schema"]["enum"], json!(["xlsx", "csv"]));
}

#[tokio::test]
async fn a_field_the_api_does_not_know_is_refused_by_name() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (s, v) = app
        .post(
            "/api/v1/orgs",
            json!({"code": "N1", "name": "新工会", "kind": "grassroots", "parent_code": "S1", "parnet_code": "S1"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("INVALID_INPUT")), "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("parnet_code"),
        "{v}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM orgs WHERE code = 'N1'")
            .await,
        0
    );
}
