//! Running totals of aid paid, for the federation-level unions (as the registry and casework
//! keep theirs): per union, campaign (0: all) and day, the lines paid and their fen, and the
//! persons and households whose first paid line of the year — in the campaign, or in any — in
//! the union's subtree falls on that day. Summed from 1 January to a day they give the year's
//! 人次, amount, distinct 人 and 户 without reading a line; `aid_firsts` keeps each first day so a
//! line dated earlier than a person's first moves it.
//!
//! Kept in the transaction that pays lines; rebuilt from the lines when the hierarchy changes.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::db::bulk::{Val, insert_rows};
use crate::db::{Db, Tx, in_list_from, tx_backend};
use crate::error::AppResult;
use crate::registry::counters::Nodes;
use crate::registry::scope::Scope;

/// A line just paid, as the totals count it.
#[derive(Debug, Clone)]
pub(crate) struct Paid {
    pub org_path: String,
    pub campaign_id: i64,
    pub member_id: i64,
    pub file_id: Option<i64>,
    pub amount_fen: i64,
    pub paid_on: String,
}

/// (union, campaign, day) → [lines, fen, first persons, first households].
type Deltas = BTreeMap<(i64, i64, String), [i64; 4]>;

/// (union, year, campaign, kind, key) → the earliest day among the lines counted now.
type Firsts = BTreeMap<(i64, String, i64, &'static str, i64), String>;

/// (union, year, campaign, kind) → the keys counted now with their earliest day.
type Groups = BTreeMap<(i64, String, i64, &'static str), Vec<(i64, String)>>;

/// Counts lines just paid into the totals of every federation-level union above them.
pub(crate) async fn count_paid(tx: &mut Tx, lines: &[Paid]) -> AppResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let nodes = Nodes::above(tx, lines.iter().map(|l| l.org_path.as_str())).await?;
    let mut deltas = Deltas::new();
    let mut firsts = Firsts::new();
    for l in lines {
        let year = l.paid_on[..4].to_string();
        for (org, _) in nodes.over(&l.org_path) {
            for c in [l.campaign_id, 0] {
                let d = deltas.entry((org, c, l.paid_on.clone())).or_default();
                d[0] += 1;
                d[1] += l.amount_fen;
                let keys = [("p", Some(l.member_id)), ("h", l.file_id)];
                for (kind, key) in keys {
                    if let Some(key) = key {
                        let e = firsts
                            .entry((org, year.clone(), c, kind, key))
                            .or_insert_with(|| l.paid_on.clone());
                        if l.paid_on < *e {
                            e.clone_from(&l.paid_on);
                        }
                    }
                }
            }
        }
    }
    // The first days already kept for the same keys, group by group.
    let mut groups = Groups::new();
    for ((org, year, c, kind, key), day) in firsts {
        groups
            .entry((org, year, c, kind))
            .or_default()
            .push((key, day));
    }
    let mut new_rows = Vec::new();
    for ((org, year, c, kind), keys) in groups {
        let mut kept: BTreeMap<i64, String> = BTreeMap::new();
        for chunk in keys.chunks(900) {
            let sql = format!(
                "SELECT key_id, first_on FROM aid_firsts WHERE org_id = $1 AND year = $2 AND campaign_id = $3 AND kind = $4 AND key_id IN ({})",
                in_list_from(5, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql)
                .bind(org)
                .bind(&year)
                .bind(c)
                .bind(kind);
            for (key, _) in chunk {
                q = q.bind(*key);
            }
            kept.extend(q.fetch_all(&mut **tx).await?);
        }
        let slot = usize::from(kind == "h") + 2;
        for (key, day) in keys {
            match kept.get(&key) {
                None => {
                    deltas.entry((org, c, day.clone())).or_default()[slot] += 1;
                    new_rows.push(vec![
                        Val::I(org),
                        Val::T(Some(year.clone())),
                        Val::I(c),
                        Val::T(Some(kind.into())),
                        Val::I(key),
                        Val::T(Some(day)),
                    ]);
                }
                Some(old) if *old > day => {
                    deltas.entry((org, c, old.clone())).or_default()[slot] -= 1;
                    deltas.entry((org, c, day.clone())).or_default()[slot] += 1;
                    sqlx::query("UPDATE aid_firsts SET first_on = $1 WHERE org_id = $2 AND year = $3 AND campaign_id = $4 AND kind = $5 AND key_id = $6")
                        .bind(&day)
                        .bind(org)
                        .bind(&year)
                        .bind(c)
                        .bind(kind)
                        .bind(key)
                        .execute(&mut **tx)
                        .await?;
                }
                Some(_) => {}
            }
        }
    }
    let backend = tx_backend(tx);
    insert_rows(
        tx,
        backend,
        "aid_firsts",
        &[
            "org_id",
            "year",
            "campaign_id",
            "kind",
            "key_id",
            "first_on",
        ],
        new_rows,
    )
    .await?;
    for ((org, c, day), d) in deltas {
        sqlx::query(
            "INSERT INTO aid_totals (org_id, campaign_id, day, person_times, amount_fen, first_persons, first_households) \
             VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (org_id, campaign_id, day) DO UPDATE SET \
             person_times = aid_totals.person_times + excluded.person_times, amount_fen = aid_totals.amount_fen + excluded.amount_fen, \
             first_persons = aid_totals.first_persons + excluded.first_persons, \
             first_households = aid_totals.first_households + excluded.first_households",
        )
        .bind(org)
        .bind(c)
        .bind(day)
        .bind(d[0])
        .bind(d[1])
        .bind(d[2])
        .bind(d[3])
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The totals of a federation-level union from `from` to `to` (in one year, `from` its
/// 1 January): campaign (0: all) → [人次, fen, 人, 户].
pub(crate) async fn read(
    db: &Db,
    org_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<BTreeMap<i64, [i64; 4]>> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT campaign_id, CAST(SUM(person_times) AS BIGINT), CAST(SUM(amount_fen) AS BIGINT), CAST(SUM(first_persons) AS BIGINT), \
         CAST(SUM(first_households) AS BIGINT) FROM aid_totals WHERE org_id = $1 AND day >= $2 AND day <= $3 GROUP BY campaign_id",
    )
    .bind(org_id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(c, a, b, p, h)| (c, [a, b, p, h]))
        .collect())
}

/// Recomputes every total from the paid lines: when the hierarchy changes, after a bulk load.
pub async fn rebuild(tx: &mut Tx) -> AppResult<()> {
    sqlx::query("DELETE FROM aid_totals")
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM aid_firsts")
        .execute(&mut **tx)
        .await?;
    let nodes = Nodes::all(tx).await?;
    let nodes: Vec<(String, i64)> = nodes.iter().map(|(p, id)| (p.to_string(), id)).collect();
    const PAID: &str =
        "FROM aid_payouts WHERE status = 'paid' AND org_path >= $1 AND org_path < $2";
    for (path, id) in nodes {
        let (lo, hi) = Scope::subtree(&path).range();
        // Ids come from the database, never from typed text.
        let statements = [
            format!(
                "INSERT INTO aid_totals (org_id, campaign_id, day, person_times, amount_fen, first_persons, first_households) \
                 SELECT {id}, campaign_id, paid_on, COUNT(*), SUM(amount_fen), 0, 0 {PAID} GROUP BY campaign_id, paid_on"
            ),
            format!(
                "INSERT INTO aid_totals (org_id, campaign_id, day, person_times, amount_fen, first_persons, first_households) \
                 SELECT {id}, 0, paid_on, COUNT(*), SUM(amount_fen), 0, 0 {PAID} GROUP BY paid_on"
            ),
            format!(
                "INSERT INTO aid_firsts (org_id, year, campaign_id, kind, key_id, first_on) \
                 SELECT {id}, substr(paid_on, 1, 4), campaign_id, 'p', member_id, MIN(paid_on) {PAID} GROUP BY substr(paid_on, 1, 4), campaign_id, member_id"
            ),
            format!(
                "INSERT INTO aid_firsts (org_id, year, campaign_id, kind, key_id, first_on) \
                 SELECT {id}, substr(paid_on, 1, 4), 0, 'p', member_id, MIN(paid_on) {PAID} GROUP BY substr(paid_on, 1, 4), member_id"
            ),
            format!(
                "INSERT INTO aid_firsts (org_id, year, campaign_id, kind, key_id, first_on) \
                 SELECT {id}, substr(paid_on, 1, 4), campaign_id, 'h', file_id, MIN(paid_on) {PAID} AND file_id IS NOT NULL \
                 GROUP BY substr(paid_on, 1, 4), campaign_id, file_id"
            ),
            format!(
                "INSERT INTO aid_firsts (org_id, year, campaign_id, kind, key_id, first_on) \
                 SELECT {id}, substr(paid_on, 1, 4), 0, 'h', file_id, MIN(paid_on) {PAID} AND file_id IS NOT NULL \
                 GROUP BY substr(paid_on, 1, 4), file_id"
            ),
        ];
        for sql in statements {
            sqlx::query(&sql)
                .bind(&lo)
                .bind(&hi)
                .execute(&mut **tx)
                .await?;
        }
    }
    // Every first day has its totals row (a line was paid that day): set the first counts.
    let firsts: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT org_id, campaign_id, first_on, CAST(SUM(CASE WHEN kind = 'p' THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN kind = 'h' THEN 1 ELSE 0 END) AS BIGINT) FROM aid_firsts GROUP BY org_id, campaign_id, first_on",
    )
    .fetch_all(&mut **tx)
    .await?;
    for (org, c, day, p, h) in firsts {
        sqlx::query("UPDATE aid_totals SET first_persons = $1, first_households = $2 WHERE org_id = $3 AND campaign_id = $4 AND day = $5")
            .bind(p)
            .bind(h)
            .bind(org)
            .bind(c)
            .bind(day)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
