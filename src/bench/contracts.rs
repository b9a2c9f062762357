//! `gonghui bench contracts`: coverage figures of the city at any date and an employer's page,
//! with the demo city holding (at least) the given number of contracts over ten years, with
//! the round-trip floor measured in the same run.
//!
//! The demo city's 2,300 employers are too few to hold 200,000 employer-terms, so the bench
//! first registers more employers (with their headcounts) under the city's grassroots and joint
//! unions, then writes contracts straight into the tables (as a history import would): four in
//! five single-employer contracts of the four kinds, one in five regional or sector contracts
//! over an average of 16 employers, terms of one to three years started over the last ten
//! years, a tenth of them ended early.

use std::time::Instant;

use chrono::{Days, NaiveDate};

use super::{open_for_timing, summary};
use crate::config::Config;
use crate::contracts::contract::{self, ListFilter};
use crate::contracts::{democracy, figures};
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::registry::stats::Period;

/// What the bench writes.
pub struct Sizes {
    pub contracts: usize,
    pub employer_terms: usize,
    pub employers: usize,
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

const KINDS: [&str; 4] = ["general", "wage", "women", "safety"];

pub async fn run(config: &Config, sizes: Sizes, rounds: usize) -> AppResult<()> {
    let rounds = rounds.max(3);
    let reg = open_for_timing(config, rounds).await?;
    let db = &reg.db;
    let city = crate::registry::orgs::scope_root(db, &Scope::all())
        .await?
        .ok_or_else(|| AppError::not_found("工会"))?;
    let today = crate::clock::local_date(crate::db::now_ms());
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contracts")
        .fetch_one(db.pool())
        .await?;
    if (have as usize) < sizes.contracts {
        let t = Instant::now();
        let units = employers(db, sizes.employers).await?;
        let (n, terms) = write(
            db,
            &units,
            sizes.contracts - have as usize,
            sizes.employer_terms,
            today,
        )
        .await?;
        db.tidy_after_rewrite(&["units", "unit_headcounts", "contracts", "contract_units"])
            .await?;
        println!(
            "wrote {n} contracts binding {terms} employer-terms over {} employers in {:.1} s",
            units.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let (c_n, t_n, u_n): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST((SELECT COUNT(*) FROM contracts) AS BIGINT), CAST((SELECT COUNT(*) FROM contract_units) AS BIGINT), \
         CAST((SELECT COUNT(*) FROM units WHERE org_path IS NOT NULL) AS BIGINT)",
    )
    .fetch_one(db.pool())
    .await?;
    println!("contracts: {c_n}; employer-terms: {t_n}; employers with a union: {u_n}");

    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let _: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(db.pool())
            .await?;
        t.push(s.elapsed());
    }
    summary("floor: SELECT 1 round trip", t);

    let year_start = NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today);
    let this_year = Period {
        from: year_start,
        to: today,
    };
    let mut shown = None;
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let f = figures::compute(db, &city, &this_year).await?;
        t.push(s.elapsed());
        shown = Some(f);
    }
    summary("contract figures: the city, this year (all nine)", t);
    if let Some(f) = shown {
        let line: Vec<String> = f
            .iter()
            .map(|f| format!("{} {}", f.key, f.display))
            .collect();
        println!("  ({})", line.join(", "));
    }
    for (label, at) in [
        ("coverage: the city, today", today),
        (
            "coverage: the city, five years ago",
            today - Days::new(5 * 365),
        ),
        (
            "coverage: the city, nine years ago",
            today - Days::new(9 * 365),
        ),
    ] {
        let mut t = Vec::new();
        let mut last = None;
        for _ in 0..rounds {
            let s = Instant::now();
            last = Some(figures::coverage(db, &city.path, at).await?);
            t.push(s.elapsed());
        }
        summary(label, t);
        if let Some(c) = last {
            println!(
                "  (employers {}, employees {}, unionised covered {} of {})",
                c.employers, c.employees, c.unionised_covered, c.unionised
            );
        }
    }
    let district: (String, String) =
        sqlx::query_as("SELECT code, path FROM orgs WHERE kind = 'district' ORDER BY code LIMIT 1")
            .fetch_one(db.pool())
            .await?;
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        figures::coverage(db, &district.1, today).await?;
        t.push(s.elapsed());
    }
    summary("coverage: a district, today", t);
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        figures::covered(db, &city.path, today, Default::default(), (1, 50)).await?;
        t.push(s.elapsed());
    }
    summary("the employers behind it: first page of 50 and the count", t);
    // The employer bound by the most contracts, as its page reads it.
    let busiest: i64 = sqlx::query_scalar(
        "SELECT cu.unit_id FROM contract_units cu JOIN units u ON u.id = cu.unit_id WHERE u.org_path IS NOT NULL \
         GROUP BY cu.unit_id ORDER BY COUNT(*) DESC, cu.unit_id LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let mut t = Vec::new();
    let mut bound = 0;
    let all = Scope::all();
    for _ in 0..rounds {
        let s = Instant::now();
        let f = ListFilter {
            unit: Some(busiest.to_string()),
            ..Default::default()
        };
        let (d, (list, _)) = tokio::try_join!(
            democracy::of_employer(db, &all, busiest),
            contract::list(db, &all, &f, today)
        )?;
        t.push(s.elapsed());
        bound = list.len() + d.checklists.len();
    }
    summary(
        "an employer's page: its contracts and democratic management",
        t,
    );
    println!("  (the busiest employer: {bound} contracts and checklists on its page)");
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        contract::list(db, &Scope::all(), &ListFilter::default(), today).await?;
        t.push(s.elapsed());
    }
    summary("the contracts list, first page of 50", t);
    Ok(())
}

/// Employers with a union, registering bench employers until there are `want`: (id, union path).
async fn employers(db: &Db, want: usize) -> AppResult<Vec<(i64, String)>> {
    let mut have: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, org_path FROM units WHERE org_path IS NOT NULL ORDER BY id")
            .fetch_all(db.pool())
            .await?;
    if have.len() >= want {
        return Ok(have);
    }
    let unions: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, path FROM orgs WHERE kind IN ('grassroots','joint') AND status = 'active' ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    if unions.is_empty() {
        return Err(AppError::invalid("先运行 gonghui demo 生成演示城市"));
    }
    let mut rng = Rng(7);
    let now = crate::db::now_ms();
    let mut tx = db.begin_write().await?;
    let backend = db.backend();
    let mut rows = Vec::new();
    let mut heads = Vec::new();
    for i in have.len()..want {
        let (org, path) = &unions[rng.below(unions.len() as u64) as usize];
        let id = new_id();
        let employees = 5 + rng.below(400) as i64;
        rows.push(vec![
            Val::I(id),
            Val::T(Some(format!("91349{i:013}"))),
            Val::I(0),
            Val::T(Some(format!("测试协商单位{i}号"))),
            Val::I(i64::from(employees < 100)),
            Val::I(employees),
            Val::I(*org),
            Val::T(Some(path.clone())),
            Val::I(now),
            Val::I(now),
            Val::T(Some(format!("ceshixieshangdanwei{i}hao"))),
            Val::T(Some(format!("csxsdw{i}h"))),
        ]);
        heads.push(vec![
            Val::I(id),
            Val::T(Some("0001-01-01".into())),
            Val::T(Some(crate::registry::headcounts::OPEN.into())),
            Val::I(employees),
        ]);
        have.push((id, path.clone()));
        if rows.len() == 2_000 {
            flush_units(&mut tx, backend, &mut rows, &mut heads).await?;
        }
    }
    flush_units(&mut tx, backend, &mut rows, &mut heads).await?;
    tx.commit().await?;
    Ok(have)
}

async fn flush_units(
    tx: &mut crate::db::Tx,
    backend: crate::db::Backend,
    rows: &mut Vec<Vec<Val>>,
    heads: &mut Vec<Vec<Val>>,
) -> AppResult<()> {
    insert_rows(
        tx,
        backend,
        "units",
        &[
            "id",
            "uscc",
            "uscc_check_ok",
            "name",
            "small_micro",
            "employee_count",
            "org_id",
            "org_path",
            "created_at",
            "updated_at",
            "name_pinyin",
            "name_initials",
        ],
        std::mem::take(rows),
    )
    .await?;
    insert_rows(
        tx,
        backend,
        "unit_headcounts",
        &["unit_id", "from_on", "to_on", "employee_count"],
        std::mem::take(heads),
    )
    .await
}

/// Writes `n` contracts binding about `terms` employer-terms; returns (contracts, terms).
async fn write(
    db: &Db,
    units: &[(i64, String)],
    n: usize,
    terms: usize,
    today: NaiveDate,
) -> AppResult<(usize, usize)> {
    let orgs: Vec<(String, i64)> = sqlx::query_as("SELECT path, id FROM orgs")
        .fetch_all(db.pool())
        .await?;
    let org_of: std::collections::HashMap<String, i64> = orgs.into_iter().collect();
    let regional = n / 5;
    let per_regional = (terms.saturating_sub(n - regional) / regional.max(1)).max(2);
    let mut rng = Rng(11);
    let now = crate::db::now_ms();
    let backend = db.backend();
    let mut tx = db.begin_write().await?;
    let (mut contracts, mut bound) = (Vec::new(), Vec::new());
    let mut written_terms = 0;
    for i in 0..n {
        let many = i < regional;
        let kind = KINDS[rng.below(4) as usize];
        let first = &units[rng.below(units.len() as u64) as usize];
        let mut picked = vec![first.clone()];
        if many {
            let k = 2 + rng.below(2 * per_regional as u64 - 3) as usize;
            for _ in 1..k {
                picked.push(units[rng.below(units.len() as u64) as usize].clone());
            }
            picked.sort();
            picked.dedup();
        }
        // The filing union: the employer's own for a single contract, the parent of its union
        // (a street or district) for a regional one.
        let filer_path = if many {
            let p = &first.1;
            let cut = p
                .trim_end_matches('/')
                .rfind('/')
                .map_or(p.len(), |i| i + 1);
            p[..cut].to_string()
        } else {
            first.1.clone()
        };
        let filer = org_of
            .get(&filer_path)
            .copied()
            .unwrap_or_else(|| org_of[&first.1]);
        let start = today - Days::new(rng.below(3650));
        let years = if kind == "wage" {
            1
        } else {
            1 + rng.below(3) as u32
        };
        let end = start
            .checked_add_months(chrono::Months::new(12 * years))
            .and_then(|d| d.pred_opt())
            .unwrap_or(start);
        let approved = start - Days::new(rng.below(20));
        let from = approved.max(start);
        let (status, to) = if rng.below(10) == 0 {
            ("ended", (from + Days::new(rng.below(300))).min(end))
        } else {
            ("effective", end)
        };
        let id = new_id();
        let reach = if many {
            if rng.below(2) == 0 {
                "regional"
            } else {
                "sector"
            }
        } else {
            "single"
        };
        contracts.push(vec![
            Val::I(id),
            Val::I(filer),
            Val::T(Some(filer_path.clone())),
            Val::T(Some(format!("测试集体合同{i}"))),
            Val::T(Some(kind.into())),
            Val::T(Some(reach.into())),
            Val::T(Some("工会方".into())),
            Val::T(Some("企业方".into())),
            Val::T(Some(start.to_string())),
            Val::T(Some(end.to_string())),
            Val::T(Some((approved - Days::new(15)).to_string())),
            Val::T(Some((approved - Days::new(10)).to_string())),
            Val::T(Some(approved.to_string())),
            Val::T(Some(from.to_string())),
            Val::T(Some(to.to_string())),
            Val::T(Some(status.into())),
            Val::I(picked.len() as i64),
            Val::T(Some("性能测试".into())),
            Val::I(now),
            Val::I(now),
        ]);
        for (unit, path) in &picked {
            bound.push(vec![
                Val::I(id),
                Val::I(*unit),
                Val::T(Some(path.clone())),
                Val::T(Some(kind.into())),
                Val::T(Some(reach.into())),
                Val::T(Some(from.to_string())),
                Val::T(Some(to.to_string())),
            ]);
        }
        written_terms += picked.len();
        if contracts.len() >= 2_000 {
            flush_contracts(&mut tx, backend, &mut contracts, &mut bound).await?;
        }
    }
    flush_contracts(&mut tx, backend, &mut contracts, &mut bound).await?;
    tx.commit().await?;
    Ok((n, written_terms))
}

async fn flush_contracts(
    tx: &mut crate::db::Tx,
    backend: crate::db::Backend,
    contracts: &mut Vec<Vec<Val>>,
    bound: &mut Vec<Vec<Val>>,
) -> AppResult<()> {
    insert_rows(
        tx,
        backend,
        "contracts",
        &[
            "id",
            "org_id",
            "org_path",
            "title",
            "kind",
            "scope",
            "union_side",
            "employer_side",
            "starts_on",
            "ends_on",
            "signed_on",
            "filed_on",
            "effective_on",
            "valid_from",
            "valid_to",
            "status",
            "employers",
            "created_by",
            "created_at",
            "updated_at",
        ],
        std::mem::take(contracts),
    )
    .await?;
    for chunk in std::mem::take(bound).chunks(2_000) {
        insert_rows(
            tx,
            backend,
            "contract_units",
            &[
                "contract_id",
                "unit_id",
                "org_path",
                "kind",
                "scope",
                "valid_from",
                "valid_to",
            ],
            chunk.to_vec(),
        )
        .await?;
    }
    Ok(())
}
