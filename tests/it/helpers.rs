//! `spawn_app()`: the real application on 127.0.0.1:0 with a fresh database per test —
//! a temporary SQLite file by default, or a new PostgreSQL database when `TEST_DATABASE_URL`
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) is set.

use std::sync::Arc;

use gonghui::app::{self, AppState};
use gonghui::config::Config;
use gonghui::registry::Registry;
use gonghui::registry::jobs::Jobs;
use serde_json::Value;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub reg: Registry,
    pub config: Config,
    pub dir: tempfile::TempDir,
    _db: DropDb,
}

/// Drops a per-test PostgreSQL database when the test ends.
pub struct DropDb(pub Option<(String, String)>);

pub fn is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL")
        .map(|u| u.starts_with("postgres"))
        .unwrap_or(false)
}

/// A fresh database URL: a new PostgreSQL database, or an SQLite file in `dir`.
pub async fn fresh_database(dir: &std::path::Path) -> (String, DropDb) {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    {
        Some(admin) => {
            let name = format!("gh_test_{}", gonghui::db::new_id());
            let conn = gonghui::db::Db::connect(&admin, 1)
                .await
                .expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(conn.pool())
                .await
                .expect("create test database");
            conn.close().await;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b)
                .expect("url with database")
                .to_string();
            (format!("{base}/{name}"), DropDb(Some((admin, name))))
        }
        None => (
            format!("sqlite://{}", dir.join("test.db").display()),
            DropDb(None),
        ),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, db_guard) = fresh_database(dir.path()).await;
    let mut config = Config {
        database_url: url,
        data_dir: dir.path().to_path_buf(),
        demo_on_first_start: false,
        db_max_connections: 4,
        ..Config::default()
    };
    adjust(&mut config);
    let (reg, _) = app::bootstrap(&config, false).await.expect("bootstrap");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state = AppState {
        reg: reg.clone(),
        jobs: Jobs::default(),
        config: Arc::new(config.clone()),
    };
    tokio::spawn(async move { app::serve(state, listener).await.expect("serve") });
    TestApp {
        base,
        client: reqwest::Client::new(),
        reg,
        config,
        dir,
        _db: db_guard,
    }
}

impl Drop for DropDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.0.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(conn) = gonghui::db::Db::connect(&admin, 1).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(conn.pool())
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Uploads a file for import and waits for the job to finish; returns the job status.
    pub async fn import(&self, kind: &str, name: &str, data: Vec<u8>, query: &str) -> Value {
        let r = self
            .client
            .post(self.url(&format!("/api/v1/imports/{kind}?file_name={name}&{query}")))
            .body(data)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status().as_u16(), 202, "upload accepted");
        let started: Value = r.json().await.expect("json");
        let status_url = started["status_url"]
            .as_str()
            .expect("status url")
            .to_string();
        for _ in 0..600 {
            let (_, s) = self.get(&status_url).await;
            if s["state"] != "running" {
                return s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("import did not finish");
    }

    /// Posts every body to `path` at the same time; returns the status codes in order.
    pub async fn post_concurrently(&self, path: &str, bodies: Vec<Value>) -> Vec<u16> {
        let handles: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let (client, url) = (self.client.clone(), self.url(path));
                tokio::spawn(async move {
                    client
                        .post(url)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for h in handles {
            statuses.push(h.await.unwrap());
        }
        statuses
    }

    /// One number from the test database, e.g. a `COUNT(*)`.
    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.reg.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Downloads an XLSX and returns the cells of one sheet as text.
    pub async fn download_sheet(&self, path: &str, sheet: &str) -> Vec<Vec<String>> {
        use calamine::Reader;
        let r = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("download");
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let bytes = r.bytes().await.expect("body").to_vec();
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
        let range = wb.worksheet_range(sheet).expect("sheet");
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    /// Imports and asserts the job finished and committed; returns the outcome.
    pub async fn import_ok(&self, kind: &str, csv: &str) -> Value {
        let s = self
            .import(kind, "t.csv", csv.as_bytes().to_vec(), "")
            .await;
        assert_eq!(s["state"], "finished", "{s}");
        assert_eq!(s["outcome"]["committed"], true, "{s}");
        s["outcome"].clone()
    }

    /// A small hierarchy: city C → district D1 (street S1 → unions U1, U2), district D2 (union U3).
    pub async fn seed_tree(&self) {
        self.import_ok(
            "orgs",
            "工会代码,工会名称,组织类型,上级工会代码,成立日期\n\
             C,测试市总工会,市总工会,,2000-01-01\n\
             D1,一区总工会,县(区)总工会,C,2000-01-01\n\
             S1,一街道工会联合会,乡镇(街道)工会联合会,D1,2001-01-01\n\
             U1,甲公司工会,基层工会,S1,2010-01-01\n\
             U2,乙联合工会,联合基层工会,S1,2012-01-01\n\
             D2,二区总工会,县(区)总工会,C,2000-01-01\n\
             U3,丙公司工会,基层工会,D2,2015-01-01\n",
        )
        .await;
    }
}

/// A valid ID number for the given birth date and sequence (odd = male).
pub fn id_number(region: &str, birth: &str, seq: u32) -> String {
    let first17 = format!("{region}{birth}{seq:03}");
    let c = gonghui::types::id_card::check_char(first17.as_bytes()) as char;
    format!("{first17}{c}")
}

/// A valid USCC from a 17-character body.
pub fn uscc(body17: &str) -> String {
    let c = gonghui::types::uscc::check_char(body17.as_bytes()) as char;
    format!("{body17}{c}")
}

pub const MEMBER_HEADER: &str =
    "姓名,身份证号,性别,手机号,所属工会代码,入会日期,农民工,新就业形态群体\n";
