//! Benchmark commands. They print their numbers together with a floor measured in the same run,
//! so results on a noisy shared machine can be read as ratios. Results go to docs/benchmarks.md.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub mod activities;
pub mod aid;
pub mod casework;
pub mod contracts;

use crate::app;
use crate::config::Config;
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Tx, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::import::{self, ImportKind, ImportOptions, Progress};
use crate::registry::members::{self, MemberFilter};
use crate::registry::scope::Scope;
use crate::registry::{Registry, stats};

async fn import_file(
    reg: &Registry,
    kind: ImportKind,
    path: &Path,
) -> AppResult<(import::ImportOutcome, Duration)> {
    let data = std::fs::read(path)
        .map_err(|e| AppError::bad_request(format!("无法读取 {}：{e}", path.display())))?;
    let t = Instant::now();
    let (o, _) = import::run(
        reg,
        &crate::audit::Actor::system(&reg.keys, "性能测试"),
        kind,
        Arc::new(data),
        &ImportOptions::default(),
        Arc::new(Progress::default()),
    )
    .await?;
    Ok((o, t.elapsed()))
}

/// Floor: the same rows, parsed but not validated, inserted as plain text into an unindexed table.
async fn floor(reg: &Registry, path: &Path) -> AppResult<(usize, Duration)> {
    let data = std::fs::read(path)?;
    let t = Instant::now();
    let mut rows: Vec<Vec<String>> = Vec::new();
    import::reader::read_rows(&data, |_, cells| {
        rows.push(cells);
        Ok(())
    })?;
    let width = rows.first().map(Vec::len).unwrap_or(0);
    let cols: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
    let col_refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    sqlx::query("DROP TABLE IF EXISTS bench_floor")
        .execute(reg.db.pool())
        .await?;
    sqlx::query(&format!(
        "CREATE TABLE bench_floor (id BIGINT, {})",
        cols.iter()
            .map(|c| format!("{c} TEXT"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .execute(reg.db.pool())
    .await?;
    let mut all_cols = vec!["id"];
    all_cols.extend(col_refs);
    let n = rows.len().saturating_sub(1);
    let mut tx: Tx = reg.db.begin_write().await?;
    let mut batch = Vec::with_capacity(5000);
    for r in rows.into_iter().skip(1) {
        let mut v = vec![Val::I(new_id())];
        v.extend((0..width).map(|i| Val::T(r.get(i).cloned())));
        batch.push(v);
        if batch.len() == 5000 {
            insert_rows(
                &mut tx,
                reg.db.backend(),
                "bench_floor",
                &all_cols,
                std::mem::take(&mut batch),
            )
            .await?;
        }
    }
    insert_rows(&mut tx, reg.db.backend(), "bench_floor", &all_cols, batch).await?;
    tx.commit().await?;
    let elapsed = t.elapsed();
    sqlx::query("DROP TABLE bench_floor")
        .execute(reg.db.pool())
        .await?;
    Ok((n, elapsed))
}

/// What one run of the import command cost, from starting it to its exit.
struct CommandRun {
    elapsed: Duration,
    peak_rss_mb: Option<f64>,
    stdout: String,
}

/// Runs `gonghui import members FILE` as a cadre or operator would: this same binary in a child
/// process on the same database, timed from start to exit (bootstrap, import, audit record,
/// checkpoint, exit). Its peak memory is read from `/proc` while it runs.
fn run_import_command(config: &Config, file: &Path) -> AppResult<CommandRun> {
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let mut child = std::process::Command::new(exe)
        .arg("--database-url")
        .arg(config.database_url())
        .arg("--data-dir")
        .arg(&config.data_dir)
        .args(["import", "members"])
        .arg(file)
        .env("GONGHUI_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb: Option<f64> = None;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(&status_path).ok().and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        }) {
            peak_kb = Some(peak_kb.map_or(kb, |p| p.max(kb)));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        use std::io::Read;
        out.read_to_string(&mut stdout)?;
    }
    if !status.success() {
        return Err(AppError::internal(anyhow::anyhow!(
            "gonghui import exited with {status}: {stdout}"
        )));
    }
    Ok(CommandRun {
        elapsed,
        peak_rss_mb: peak_kb.map(|kb| kb / 1024.0),
        stdout,
    })
}

/// Size of the SQLite write-ahead log left beside the database, in MB (None on PostgreSQL).
fn wal_mb(config: &Config) -> Option<f64> {
    let url = config.database_url();
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    let len = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
    Some(len as f64 / 1_048_576.0)
}

pub async fn import(config: &Config, dir: &Path, format: &str) -> AppResult<()> {
    let (reg, _) = app::bootstrap(config, false).await?;
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
        .fetch_one(reg.db.pool())
        .await?;
    if existing > 0 {
        return Err(AppError::bad_request(
            "bench import 需要一个空数据库：请用 --database-url 指向新的数据库",
        ));
    }
    let members_file = dir.join(format!("members.{format}"));
    println!(
        "backend: {:?}; file: {}",
        reg.db.backend(),
        members_file.display()
    );
    let (o, t) = import_file(&reg, ImportKind::Orgs, &dir.join("orgs.csv")).await?;
    println!("orgs:  {} rows in {:.2}s", o.inserted, t.as_secs_f64());
    let (o, t) = import_file(&reg, ImportKind::Units, &dir.join("units.csv")).await?;
    println!("units: {} rows in {:.2}s", o.inserted, t.as_secs_f64());
    // The command owns the database while it runs, as it would on a server.
    reg.db.checkpoint_now().await;
    reg.db.close().await;
    let first = run_import_command(config, &members_file)?;
    println!(
        "members import, the command `gonghui import members {}` from start to exit (validate, dedupe, encrypt, index, history, audit, checkpoint): {:.2}s",
        members_file.display(),
        first.elapsed.as_secs_f64()
    );
    print!("  its report: {}", first.stdout);
    if let Some(mb) = first.peak_rss_mb {
        println!("  peak RSS of the command: {mb:.0} MB");
    }
    if let Some(mb) = wal_mb(config) {
        println!("  write-ahead log left at exit: {mb:.1} MB");
    }
    let again = run_import_command(config, &members_file)?;
    println!(
        "re-import of the same file (the command again): {:.2}s — {}",
        again.elapsed.as_secs_f64(),
        again.stdout.lines().last().unwrap_or_default()
    );
    let (reg, _) = app::bootstrap(config, false).await?;
    let (n, floor_t) = floor(&reg, &members_file).await?;
    println!(
        "floor (parse only + bare insert of {n} rows as text, no index, no validation): {:.2}s",
        floor_t.as_secs_f64()
    );
    println!(
        "ratio import command / floor: {:.2}x",
        first.elapsed.as_secs_f64() / floor_t.as_secs_f64()
    );
    Ok(())
}

pub(crate) fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{label:<58} median {:>8.2} ms   p95 {:>8.2} ms   max {:>8.2} ms",
        ms(p(0.5)),
        ms(p(0.95)),
        ms(*samples.last().expect("samples"))
    );
}

/// Opens the configured database and prints what a timing run is measured on.
pub(crate) async fn open_for_timing(config: &Config, rounds: usize) -> AppResult<Registry> {
    let (reg, _) = app::bootstrap(config, false).await?;
    let members_n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(reg.db.pool())
        .await?;
    println!(
        "backend: {:?}; members in registry: {members_n}; rounds: {rounds}",
        reg.db.backend()
    );
    Ok(reg)
}

pub async fn queries(config: &Config, rounds: usize) -> AppResult<()> {
    let rounds = rounds.max(3);
    let reg = open_for_timing(config, rounds).await?;
    let db = &reg.db;
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let _: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(db.pool())
            .await?;
        t.push(s.elapsed());
    }
    summary("floor: SELECT 1 round trip", t);
    let city = crate::registry::orgs::scope_root(db, &Scope::all())
        .await?
        .ok_or_else(|| AppError::not_found("工会"))?;
    let big_union: String = sqlx::query_scalar(
        "SELECT o.code FROM orgs o JOIN members m ON m.org_id = o.id WHERE o.kind IN ('grassroots','joint') GROUP BY o.code ORDER BY COUNT(*) DESC, o.code LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let district: String =
        sqlx::query_scalar("SELECT code FROM orgs WHERE kind = 'district' ORDER BY code LIMIT 1")
            .fetch_one(db.pool())
            .await?;
    for (label, code) in [
        ("stats: whole city, this year", city.code.clone()),
        (
            &*format!("stats: largest grassroots union ({big_union})"),
            big_union.clone(),
        ),
    ] {
        let mut t = Vec::new();
        for _ in 0..rounds {
            let s = Instant::now();
            let (org, period) = stats::resolve(
                db,
                &Scope::all(),
                &stats::StatsQuery {
                    org: Some(code.clone()),
                    from: None,
                    to: None,
                },
            )
            .await?;
            let _ = stats::compute(db, &org, &period).await?;
            t.push(s.elapsed());
        }
        summary(label, t);
    }
    // ID lookups: decrypt a sample of real numbers first (not timed).
    let encs: Vec<Vec<u8>> = sqlx::query_scalar("SELECT id_enc FROM members ORDER BY id LIMIT 200")
        .fetch_all(db.pool())
        .await?;
    let ids: Vec<String> = encs
        .iter()
        .map(|e| reg.keys.decrypt(e))
        .collect::<AppResult<_>>()?;
    let mut t = Vec::new();
    for i in 0..rounds.max(ids.len().min(200)) {
        let id = &ids[i % ids.len()];
        let s = Instant::now();
        let _ = members::find_by_id_number(db, &reg.keys, &Scope::all(), id).await?;
        t.push(s.elapsed());
    }
    summary("member lookup by ID number (blind index)", t);
    for (label, org) in [
        ("member page (50) by pinyin prefix 'zh', whole city", None),
        (
            "member page (50) by pinyin prefix 'zh', one district",
            Some(district.clone()),
        ),
    ] {
        let mut t = Vec::new();
        for _ in 0..rounds {
            let s = Instant::now();
            let f = MemberFilter {
                org: org.clone(),
                q: Some("zh".into()),
                per_page: Some(50),
                ..Default::default()
            };
            let page = members::list(db, &reg.keys, &Scope::all(), &f).await?;
            assert!(!page.rows.is_empty());
            t.push(s.elapsed());
        }
        summary(label, t);
    }
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let f = MemberFilter {
            org: Some(district.clone()),
            q: Some("wxy".into()),
            per_page: Some(50),
            ..Default::default()
        };
        let _ = members::list(db, &reg.keys, &Scope::all(), &f).await?;
        t.push(s.elapsed());
    }
    summary("member page (50) by initials 'wxy', one district", t);
    Ok(())
}

/// One request through the whole router in this process (middleware, access check, handler,
/// template): the server time of a page, without the network.
async fn page_once(
    router: &axum::Router,
    method: &str,
    path: &str,
    cookie: &str,
    csrf: &str,
    json: Option<serde_json::Value>,
) -> AppResult<(u16, Vec<u8>, Option<String>)> {
    use tower::ServiceExt;
    let mut b = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie)
        .header("x-csrf-token", csrf);
    let body = match json {
        Some(v) => {
            b = b.header("content-type", "application/json");
            axum::body::Body::from(v.to_string())
        }
        None => axum::body::Body::empty(),
    };
    let req = b.body(body).map_err(AppError::internal)?;
    let resp = router
        .clone()
        .oneshot(req)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    let status = resp.status().as_u16();
    let set_cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024)
        .await
        .map_err(AppError::internal)?;
    Ok((status, bytes.to_vec(), set_cookie))
}

/// Where a page sends the browser (its `Location`).
async fn redirect_target(router: &axum::Router, path: &str, cookie: &str) -> AppResult<String> {
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .uri(path)
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .map_err(AppError::internal)?;
    let resp = router
        .clone()
        .oneshot(req)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("{path}: no redirect")))
}

/// Console pages at the registry's size, as a cadre of the top union sees them.
pub async fn pages(config: &Config, rounds: usize) -> AppResult<()> {
    let rounds = rounds.max(3);
    let reg = open_for_timing(config, rounds).await?;
    let db = reg.db.clone();
    let city = crate::registry::orgs::scope_root(&db, &Scope::all())
        .await?
        .ok_or_else(|| AppError::not_found("工会"))?;
    // A cadre account of the top union, made and signed in the way a person would be.
    let actor = crate::audit::Actor::system(&reg.keys, "bench");
    let username = format!("bench{}", new_id() % 1_000_000_000);
    let (account, first_half) = crate::auth::accounts::create(
        &db,
        &actor,
        &crate::auth::accounts::NewAccount {
            username: username.clone(),
            display_name: "基准测试".into(),
            role: "cadre".into(),
            org_code: Some(city.code.clone()),
            member_id: None,
            modules: Vec::new(),
        },
        crate::db::now_ms(),
    )
    .await?;
    // The security administrator's approval and second half (the system actor holds both roles here).
    let (_, second_half) =
        crate::auth::accounts::approve(&db, &actor, account.id, None, crate::db::now_ms()).await?;
    let one_time = format!("{first_half}{second_half}");
    let state = app::AppState::new(reg.clone(), config.clone(), crate::clock::system());
    let router = app::router(state);
    let login = serde_json::json!({"username": username, "password": one_time});
    let (s, body, cookie) =
        page_once(&router, "POST", "/api/v1/auth/login", "", "", Some(login)).await?;
    let me: serde_json::Value = serde_json::from_slice(&body).map_err(AppError::internal)?;
    let (Some(cookie), Some(csrf)) = (cookie, me["csrf_token"].as_str()) else {
        return Err(AppError::internal(anyhow::anyhow!("sign-in failed: {s}")));
    };
    let change =
        serde_json::json!({"current_password": one_time, "new_password": "Bench#Pages2026"});
    let (s, _, renewed) = page_once(
        &router,
        "POST",
        "/api/v1/auth/password",
        &cookie,
        csrf,
        Some(change),
    )
    .await?;
    if s != 200 {
        return Err(AppError::internal(anyhow::anyhow!("password change: {s}")));
    }
    let cookie = renewed.unwrap_or(cookie);

    let district: String =
        sqlx::query_scalar("SELECT code FROM orgs WHERE kind = 'district' ORDER BY code LIMIT 1")
            .fetch_one(db.pool())
            .await?;
    let union: String = sqlx::query_scalar(
        "SELECT code FROM orgs WHERE kind IN ('grassroots','joint') ORDER BY code LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let member: i64 = sqlx::query_scalar("SELECT id FROM members ORDER BY id LIMIT 1")
        .fetch_one(db.pool())
        .await?;
    let unit: i64 =
        sqlx::query_scalar("SELECT id FROM units WHERE org_id IS NOT NULL ORDER BY id LIMIT 1")
            .fetch_one(db.pool())
            .await?;
    // A member with a mobile: the searches by full ID number, ID tails, full mobile and its tail.
    let (id_enc, mobile_enc): (Vec<u8>, Vec<u8>) = sqlx::query_as(
        "SELECT id_enc, mobile_enc FROM members WHERE mobile_enc IS NOT NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let (id_number, mobile) = (reg.keys.decrypt(&id_enc)?, reg.keys.decrypt(&mobile_enc)?);
    // Casework pages, when the database holds cases.
    let petition: Option<i64> = sqlx::query_scalar("SELECT MIN(id) FROM petitions")
        .fetch_one(db.pool())
        .await?;
    let dispute: Option<i64> = sqlx::query_scalar("SELECT MIN(id) FROM disputes")
        .fetch_one(db.pool())
        .await?;
    let mut casework: Vec<String> = Vec::new();
    if let (Some(p), Some(d)) = (petition, dispute) {
        casework = vec![
            "/casework".into(),
            "/casework?due=overdue".into(),
            format!("/casework?org={district}"),
            format!("/casework/{p}"),
            "/casework/disputes".into(),
            format!("/casework/disputes/{d}"),
            "/casework/roster".into(),
            "/casework/figures/petitions.items".into(),
        ];
    }
    let paths = [
        "/healthz".to_string(),
        "/dashboard".into(),
        format!("/dashboard?org={district}"),
        "/dashboard?period=last_year".into(),
        "/dashboard?period=this_quarter".into(),
        "/dashboard/statistics.xlsx".into(),
        "/orgs".into(),
        format!("/orgs/{}", city.code),
        format!("/orgs/{district}"),
        format!("/orgs/{union}"),
        "/orgs?q=街道".into(),
        "/units".into(),
        format!("/units/{unit}"),
        "/members".into(),
        "/members?q=zh".into(),
        format!("/members?org={district}&q=wxy"),
        "/members?sort=joined_desc&nef=true".into(),
        format!("/members?q={id_number}"),
        format!("/members?q={}", &id_number[12..]),
        format!("/members?q={}", &id_number[14..]),
        format!("/members?q={mobile}"),
        format!("/members?q={}", &mobile[7..]),
        "/members?q=lv".into(),
        "/members?q=zhang%20wei".into(),
        "/members/export-full?q=zh".into(),
        "/units?uncovered=true".into(),
        "/pick/unions?q=jie".into(),
        "/pick/receiving-unions?q=gs".into(),
        "/pick/employers?q=you".into(),
        "/imports/history".into(),
        "/drill?figure=retired".into(),
        format!("/members/{member}"),
        format!("/members/{member}/edit"),
        "/drill?figure=joined".into(),
        "/transfers".into(),
        "/imports".into(),
    ];
    let paths: Vec<String> = paths.into_iter().chain(casework).collect();
    // A whole ID number or mobile goes behind a token (it never stays in a URL): the page timed
    // is the list at the token's URL the search is answered with.
    let mut paths = paths.to_vec();
    for path in paths.iter_mut() {
        if let Some(q) = path.strip_prefix("/members?q=")
            && crate::registry::search::names_a_person(q)
        {
            *path = redirect_target(&router, path, &cookie).await?;
        }
    }
    for (i, path) in paths.iter().enumerate() {
        let mut t = Vec::new();
        for _ in 0..rounds {
            let s = Instant::now();
            let (status, _, _) = page_once(&router, "GET", path, &cookie, csrf, None).await?;
            t.push(s.elapsed());
            if status != 200 {
                return Err(AppError::internal(anyhow::anyhow!("{path}: {status}")));
            }
        }
        // The searched ID number and mobile are a real person's: never printed whole.
        let shown = match path.split_once("qt=") {
            Some((head, _)) => format!("{head}qt=… (a whole number's token)"),
            None => crate::crypto::mask_personal_in_text(path),
        };
        let label = if i == 0 {
            format!("floor: GET {shown} (router + one query)")
        } else {
            format!("GET {shown}")
        };
        summary(&label, t);
    }
    // The timing account is not left usable.
    if let Some(a) = crate::auth::accounts::by_username(&db, &username).await? {
        crate::auth::accounts::set_status(&db, &actor, a.id, false, crate::db::now_ms()).await?;
    }
    Ok(())
}
