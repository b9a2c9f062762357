//! `gonghui bench casework`: the queues, a year's figures for the city and a case page with
//! the demo city holding (at least) the given number of cases, with the round-trip floor
//! measured in the same run.

use std::time::Instant;

use super::{open_for_timing, summary};
use crate::casework::{disputes, figures, petitions};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::registry::stats::Period;

pub async fn run(config: &Config, cases: u64, rounds: usize) -> AppResult<()> {
    let rounds = rounds.max(3);
    let reg = open_for_timing(config, rounds).await?;
    let db = &reg.db;
    let city = crate::registry::orgs::scope_root(db, &Scope::all())
        .await?
        .ok_or_else(|| AppError::not_found("工会"))?;
    let today = crate::clock::local_date(crate::db::now_ms());
    let have: i64 = sqlx::query_scalar(
        "SELECT CAST((SELECT COUNT(*) FROM petitions) + (SELECT COUNT(*) FROM disputes) AS BIGINT)",
    )
    .fetch_one(db.pool())
    .await?;
    let missing = cases.saturating_sub(have.max(0) as u64);
    if missing > 0 {
        let t = Instant::now();
        let r =
            crate::casework::demo::seed(db, missing * 3 / 4, missing - missing * 3 / 4, 99, today)
                .await?;
        println!(
            "generated {} petitions and {} disputes over two years in {:.1} s",
            r.petitions,
            r.disputes,
            t.elapsed().as_secs_f64()
        );
    }
    let (p_n, d_n, e_n): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST((SELECT COUNT(*) FROM petitions) AS BIGINT), CAST((SELECT COUNT(*) FROM disputes) AS BIGINT), CAST((SELECT COUNT(*) FROM case_events) AS BIGINT)",
    )
    .fetch_one(db.pool())
    .await?;
    println!("cases: {p_n} petitions, {d_n} disputes, {e_n} history rows");

    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let _: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(db.pool())
            .await?;
        t.push(s.elapsed());
    }
    summary("floor: SELECT 1 round trip", t);

    // An officer: the one who took the open cases of the busiest district (set here, as
    // acting on them would).
    let (district, district_path): (String, String) = sqlx::query_as(
        "SELECT o.code, o.path FROM orgs o WHERE o.kind = 'district' ORDER BY o.code LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let officer = 4_242_424_242i64;
    let (lo, hi) = Scope::subtree(&district_path).range();
    sqlx::query("UPDATE petitions SET officer_id = $1 WHERE org_path >= $2 AND org_path < $3 AND status IN ('accepted','dispatched','replied')")
        .bind(officer)
        .bind(lo)
        .bind(hi)
        .execute(db.pool())
        .await?;
    let queues: [(&str, petitions::QueueFilter, Option<i64>); 4] = [
        (
            "queue: an officer's own cases (first page)",
            petitions::QueueFilter {
                mine: Some(true),
                ..Default::default()
            },
            Some(officer),
        ),
        (
            "queue: a district union's open cases (first page)",
            petitions::QueueFilter {
                org: Some(district.clone()),
                ..Default::default()
            },
            None,
        ),
        (
            "queue: whole city, open cases (first page)",
            petitions::QueueFilter::default(),
            None,
        ),
        (
            "queue: whole city, past their deadline",
            petitions::QueueFilter {
                due: Some("overdue".into()),
                ..Default::default()
            },
            None,
        ),
    ];
    for (label, f, me) in queues {
        let mut t = Vec::new();
        for _ in 0..rounds {
            let s = Instant::now();
            let _ = petitions::queue(db, &Scope::all(), &f, me, today).await?;
            t.push(s.elapsed());
        }
        summary(label, t);
    }
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let f = disputes::DisputeFilter::default();
        let _ = disputes::list(db, &Scope::all(), &f, today).await?;
        t.push(s.elapsed());
    }
    summary("queue: whole city, open disputes (first page)", t);

    let this_year = || Period {
        from: chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1)
            .expect("a date"),
        to: today,
    };
    for (label, period) in [
        ("figures: whole city, this year (with 同比)", this_year()),
        (
            "figures: whole city, last 365 days (with 同比)",
            Period {
                from: today - chrono::Duration::days(364),
                to: today,
            },
        ),
    ] {
        let mut t = Vec::new();
        for _ in 0..rounds {
            let s = Instant::now();
            let f = figures::compute(db, &city, &period).await?;
            assert!(!f.is_empty());
            t.push(s.elapsed());
        }
        summary(label, t);
    }

    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM petitions ORDER BY id LIMIT 200")
        .fetch_all(db.pool())
        .await?;
    let mut t = Vec::new();
    for i in 0..rounds.max(ids.len().min(100)) {
        let id = ids[i % ids.len()];
        let s = Instant::now();
        let _ = petitions::get(db, &Scope::all(), id, today).await?;
        let _ = petitions::timeline(db, &Scope::all(), id).await?;
        t.push(s.elapsed());
    }
    summary("case page: a petition with its history", t);
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM disputes ORDER BY id LIMIT 200")
        .fetch_all(db.pool())
        .await?;
    let mut t = Vec::new();
    for i in 0..rounds.max(ids.len().min(100)) {
        let id = ids[i % ids.len()];
        let s = Instant::now();
        let _ = disputes::get(db, &Scope::all(), id, today).await?;
        let _ = disputes::workers(db, &Scope::all(), id).await?;
        let _ = disputes::timeline(db, &Scope::all(), id).await?;
        t.push(s.elapsed());
    }
    summary("case page: a dispute with its workers and history", t);

    // The registers as a download: the city's year of petitions in one XLSX (a few rounds: a
    // download, not a page). The process's peak memory before and after says what it costs
    // at most (SQLite's page cache, already warm from the reads above, is in both).
    let peak_mb = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .map_or(0.0, |kb| kb / 1024.0)
    };
    let before = peak_mb();
    let mut t = Vec::new();
    let mut rows = 0;
    for _ in 0..rounds.clamp(1, 3) {
        let s = Instant::now();
        let (_, bytes, n) = crate::casework::export::petitions_sheet(
            db,
            &city,
            &this_year(),
            crate::registry::export::ExportFormat::Xlsx,
            today,
        )
        .await?;
        assert!(!bytes.is_empty());
        rows = n;
        t.push(s.elapsed());
    }
    summary(
        &format!("export: the city's petitions this year, XLSX ({rows} rows)"),
        t,
    );
    println!(
        "export: process peak memory {before:.0} MB before, {:.0} MB after",
        peak_mb()
    );
    Ok(())
}
