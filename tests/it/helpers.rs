//! `spawn_app()`: the real application on 127.0.0.1:0 with a fresh database per test —
//! a temporary SQLite file by default, or a new PostgreSQL database when `TEST_DATABASE_URL`
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) is set.

use std::sync::{Arc, Mutex, OnceLock};

use gonghui::app::{self, AppState};
use gonghui::clock::{Clock, ManualClock};
use gonghui::config::Config;
use gonghui::registry::Registry;
use serde_json::Value;

pub struct TestApp {
    pub base: String,
    /// Signed in as `tester`, a 工会干部 for the whole registry, sending the CSRF header.
    pub client: reqwest::Client,
    pub reg: Registry,
    pub config: Config,
    pub dir: tempfile::TempDir,
    /// The server's clock; tests move it instead of sleeping.
    pub clock: Arc<ManualClock>,
    _db: DropDb,
}

/// Every log line written by the code under test, checked for personal data as it is written.
/// The check runs for the whole test run; `TestApp` fails a test when any line carried an ID
/// number or a full mobile number.
static LOG_VIOLATIONS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

static ERROR_LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

/// ERROR lines logged so far in this test run that contain `needle`.
pub fn error_lines_containing(needle: &str) -> Vec<String> {
    ERROR_LINES
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(needle))
        .cloned()
        .collect()
}

struct PiiCheckingWriter;

impl std::io::Write for PiiCheckingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        if text.contains(" ERROR ") {
            ERROR_LINES
                .get_or_init(Default::default)
                .lock()
                .unwrap()
                .push(text.trim().to_string());
        }
        if let Some(found) = personal_data_in(&text) {
            LOG_VIOLATIONS
                .get_or_init(Default::default)
                .lock()
                .unwrap()
                .push(format!("{found} in: {}", text.trim()));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,hyper=info,hyper_util=info,h2=info,reqwest=info,tower=info",
            ))
            .with_ansi(false)
            .with_writer(|| PiiCheckingWriter)
            .try_init();
    });
}

/// A full ID number (18 characters passing the GB 11643 check) or a mobile number (11 digits
/// starting 13–19) standing alone in `text`, masked for the failure message.
pub fn personal_data_in(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let mut end = i;
        if end - start == 17 && i < b.len() && (b[i] == b'X' || b[i] == b'x') {
            end += 1;
            i += 1;
        }
        let run = &text[start..end];
        // Part of a longer token (a request id's hex, a record id) is not a number on its own.
        let standalone = (i >= b.len() || !b[i].is_ascii_alphanumeric())
            && (start == 0 || !b[start - 1].is_ascii_alphanumeric());
        if standalone && run.len() == 18 && gonghui::types::IdCardNo::parse(run).is_ok() {
            return Some(format!("ID number {}…", &run[..6]));
        }
        if standalone
            && run.len() == 11
            && run.starts_with('1')
            && (b'3'..=b'9').contains(&run.as_bytes()[1])
        {
            return Some(format!("mobile {}…", &run[..3]));
        }
    }
    None
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let v = LOG_VIOLATIONS.get_or_init(Default::default).lock().unwrap();
        assert!(v.is_empty(), "personal data reached the logs: {v:?}");
    }
}

pub const TESTER_PASSWORD: &str = "Test#Pass2026";

/// The TOTP secret the helpers give an administrator account (derived from its name).
pub fn totp_secret_for(username: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(username.as_bytes())[..20].to_vec()
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
        database_url: Some(url),
        data_dir: dir.path().to_path_buf(),
        demo_on_first_start: false,
        db_max_connections: 4,
        ..Config::default()
    };
    adjust(&mut config);
    capture_logs();
    let (reg, _) = app::bootstrap(&config, false).await.expect("bootstrap");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let clock = ManualClock::starting_now();
    let state = AppState::new(reg.clone(), config.clone(), clock.clone());
    tokio::spawn(async move { app::serve(state, listener).await.expect("serve") });
    let mut app = TestApp {
        base,
        client: reqwest::Client::new(),
        reg,
        config,
        dir,
        clock,
        _db: db_guard,
    };
    app.add_account("tester", "cadre", None, None).await;
    app.client = app.signed_in("tester", TESTER_PASSWORD).await;
    app
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

    /// Creates an account directly in the database with password [`TESTER_PASSWORD`], no forced
    /// change, and (for administrator roles) a known TOTP secret. `org`: a union code, or `None`
    /// for the whole platform. Returns the account id.
    pub async fn add_account(
        &self,
        username: &str,
        role: &str,
        org: Option<&str>,
        member_id: Option<i64>,
    ) -> i64 {
        let org_id: Option<i64> = match org {
            Some(code) => Some(
                sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
                    .bind(code)
                    .fetch_one(self.reg.db.pool())
                    .await
                    .expect("org exists"),
            ),
            None => None,
        };
        let hash = gonghui::auth::password::hash(TESTER_PASSWORD.into())
            .await
            .unwrap();
        let is_admin = gonghui::auth::permissions::Role::parse(role)
            .unwrap()
            .is_admin();
        let totp = is_admin.then(|| {
            self.reg
                .keys
                .encrypt(&gonghui::auth::totp::encode(&totp_secret_for(username)))
        });
        let id = gonghui::db::new_id();
        let now = self.clock.now_ms();
        sqlx::query("INSERT INTO accounts (id, username, display_name, password_hash, org_id, member_id, role, status, must_change_password, password_changed_at, totp_secret_enc, created_at, updated_at) VALUES ($1, $2, $2, $3, $4, $5, $6, 'active', 0, $7, $8, $7, $7)")
            .bind(id)
            .bind(username)
            .bind(hash)
            .bind(org_id)
            .bind(member_id)
            .bind(role)
            .bind(now)
            .bind(totp)
            .execute(self.reg.db.pool())
            .await
            .expect("insert account");
        id
    }

    /// A client with its own cookie jar, not signed in.
    pub fn anonymous(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// Signs in (password, then the TOTP code for administrators) and returns a client that
    /// carries the session cookie and sends the CSRF header.
    pub async fn signed_in(&self, username: &str, password: &str) -> reqwest::Client {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let c = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        let r = c
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "login {username}");
        let mut me: Value = r.json().await.unwrap();
        let csrf = me["csrf_token"].as_str().unwrap().to_string();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-csrf-token", csrf.parse().unwrap());
        let c = reqwest::Client::builder()
            .cookie_provider(jar)
            .default_headers(headers)
            .build()
            .unwrap();
        if me["stage"] == "totp" {
            // Each code is accepted once: move past the step any earlier login used.
            self.clock.advance_ms(30_000);
            let code =
                gonghui::auth::totp::code_at(&totp_secret_for(username), self.clock.now_ms())
                    .unwrap();
            let r = c
                .post(self.url("/api/v1/auth/totp"))
                .json(&serde_json::json!({ "code": code }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200, "totp {username}");
            me = r.json().await.unwrap();
        }
        assert_eq!(me["stage"], "full", "{me}");
        c
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

    /// A GET as another signed-in client.
    pub async fn get_as(&self, c: &reqwest::Client, path: &str) -> (u16, Value) {
        let r = c.get(self.url(path)).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A POST with a JSON body as another signed-in client.
    pub async fn post_as(&self, c: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
        self.send(c.post(self.url(path)), body).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.client.post(self.url(path)), body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.client.put(self.url(path)), body).await
    }

    /// A PUT with a JSON body as another signed-in client.
    pub async fn put_as(&self, c: &reqwest::Client, path: &str, body: Value) -> (u16, Value) {
        self.send(c.put(self.url(path)), body).await
    }

    async fn send(&self, request: reqwest::RequestBuilder, body: Value) -> (u16, Value) {
        let r = request.json(&body).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Transfers a member at once: the request, then the receiving union's acceptance (the
    /// tester's scope covers both sides). Returns the refusal of the request, or the accepted
    /// transfer.
    pub async fn transfer_now(
        &self,
        member_id: &str,
        to_org: &str,
        on: Option<&str>,
    ) -> (u16, Value) {
        let mut body = serde_json::json!({ "to_org": to_org });
        if let Some(on) = on {
            body["on"] = on.into();
        }
        let (s, t) = self
            .post(&format!("/api/v1/members/{member_id}/transfers"), body)
            .await;
        if s != 201 {
            return (s, t);
        }
        let id = t["id"].as_str().expect("transfer id").to_string();
        self.post(
            &format!("/api/v1/transfers/{id}/accept"),
            serde_json::json!({}),
        )
        .await
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
        self.post_concurrently_as(&self.client, path, bodies).await
    }

    /// The same, as another signed-in client (a member on the portal).
    pub async fn post_concurrently_as(
        &self,
        c: &reqwest::Client,
        path: &str,
        bodies: Vec<Value>,
    ) -> Vec<u16> {
        let handles: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let (client, url) = (c.clone(), self.url(path));
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

    /// The catalogue's figures for a query (`org=C&from=…&to=…`), their values by key.
    pub async fn figure_values(&self, query: &str) -> std::collections::HashMap<String, f64> {
        let (s, figs) = self.get(&format!("/api/v1/figures?{query}")).await;
        assert_eq!(s, 200, "{figs}");
        figs["figures"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| Some((f["key"].as_str()?.to_string(), f["value"].as_f64()?)))
            .collect()
    }

    /// The server's today (its clock's local day).
    pub fn today(&self) -> chrono::NaiveDate {
        gonghui::clock::local_date(self.clock.now_ms())
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

#[test]
fn the_log_check_finds_id_numbers_and_mobiles_and_ignores_record_ids() {
    let idn = id_number("110105", "19900307", 2);
    assert!(personal_data_in(&format!("member {idn} enrolled")).is_some());
    assert!(personal_data_in("mobile=13812345678;").is_some());
    assert!(personal_data_in("member_id=7391234567890123456 at=1790000000000").is_none());
    // Hex of a request id that happens to hold eleven digits starting 13–19.
    assert!(personal_data_in("request_id=56b21c5e-4f2e-42b5-b0b9-d13898564672").is_none());
    assert!(personal_data_in("手机13812345678").is_some());
    assert!(personal_data_in("masked 110105********002X 138****5678").is_none());
}

/// Signs in through the login form (no CSRF header preset), as a browser would.
pub async fn browser(app: &TestApp, user: &str, pw: &str) -> reqwest::Client {
    let c = app.anonymous();
    let r = c
        .post(app.url("/login"))
        .form(&[("username", user), ("password", pw), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "signed in and redirected home");
    c
}

pub async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a console form with the page's CSRF token, as a browser would: the status, the path
/// it landed on, the page.
pub async fn submit(
    c: &reqwest::Client,
    app: &TestApp,
    path: String,
    csrf: &str,
    mut form: Vec<(&'static str, String)>,
) -> (u16, String, String) {
    form.push(("_csrf", csrf.to_string()));
    let r = c.post(app.url(&path)).form(&form).send().await.unwrap();
    (
        r.status().as_u16(),
        r.url().path().to_string(),
        r.text().await.unwrap(),
    )
}

pub fn csrf_in(html: &str) -> String {
    let at = html
        .find(r#"name="_csrf" value=""#)
        .expect("a form with a CSRF field");
    let rest = &html[at + r#"name="_csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// A value as it goes in a query string.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_string()
}

/// A small deterministic generator: the same cases and movements on every run and backend.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}
