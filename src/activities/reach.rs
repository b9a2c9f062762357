//! The activities' running reach per federation-level union (national to district), day and
//! kind: sessions held, guests, member check-ins, and which activities and which members were
//! reached, as compressed bitmaps. 人 and 项 are distinct counts, which cannot be added up
//! from daily numbers; the union of the days' bitmaps counts each member (activity) once
//! however many days they appear on. A year of a city is ~3,650 rows instead of millions of
//! check-ins.
//!
//! Members and activities get a small dense number (`activity_numbers`) the first time they
//! are reached, so the bitmaps stay small. Rows are kept in the transaction that holds the
//! session or check-in; a bulk load and a change of the hierarchy rebuild them from the rows.

use std::collections::{BTreeMap, HashMap};

use futures_util::TryStreamExt;
use roaring::RoaringBitmap;

use crate::db::{Db, Tx, tx_backend};
use crate::error::{AppError, AppResult};
use crate::registry::counters::Nodes;

/// What a session or check-ins add to a day of a kind.
#[derive(Debug, Default, Clone)]
pub struct Delta {
    pub sessions: i64,
    pub guests: i64,
    pub checkins: i64,
    /// Competition events (工种) held.
    pub trades: i64,
    pub entrants: i64,
    pub teams: i64,
    /// Activity ids (numbered here).
    pub activities: Vec<i64>,
    /// Member ids (numbered here).
    pub members: Vec<i64>,
    /// Competitions (activity ids) holding an event.
    pub contests: Vec<i64>,
}

/// One day's (or a period's) reach of a kind.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Reach {
    pub sessions: i64,
    pub guests: i64,
    pub checkins: i64,
    pub trades: i64,
    pub entrants: i64,
    pub teams: i64,
    pub activities: RoaringBitmap,
    pub members: RoaringBitmap,
    pub contests: RoaringBitmap,
}

impl Reach {
    fn merge(&mut self, other: &Reach) {
        self.sessions += other.sessions;
        self.guests += other.guests;
        self.checkins += other.checkins;
        self.trades += other.trades;
        self.entrants += other.entrants;
        self.teams += other.teams;
        self.activities |= &other.activities;
        self.members |= &other.members;
        self.contests |= &other.contests;
    }
}

fn bytes(b: &RoaringBitmap) -> AppResult<Vec<u8>> {
    let mut out = Vec::with_capacity(b.serialized_size());
    b.serialize_into(&mut out).map_err(AppError::internal)?;
    Ok(out)
}

fn bitmap(b: &[u8]) -> AppResult<RoaringBitmap> {
    RoaringBitmap::deserialize_from(b).map_err(AppError::internal)
}

/// The dense numbers of `ids` of `what` (`member` or `activity`), given on first use. A
/// rebuild (`all`) reads every number of the kind at once rather than looking its ids up.
async fn numbers(tx: &mut Tx, what: &str, ids: &[i64], all: bool) -> AppResult<Vec<u32>> {
    let mut known: HashMap<i64, u32> = HashMap::new();
    if all {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT ref_id, num FROM activity_numbers WHERE kind = $1")
                .bind(what)
                .fetch_all(&mut **tx)
                .await?;
        known.extend(rows.into_iter().map(|(id, num)| (id, num as u32)));
    }
    for chunk in ids.chunks(500).filter(|_| !all) {
        let sql = format!(
            "SELECT ref_id, num FROM activity_numbers WHERE kind = $1 AND ref_id IN ({})",
            crate::db::in_list_from(2, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(what);
        for id in chunk {
            q = q.bind(id);
        }
        for (id, num) in q.fetch_all(&mut **tx).await? {
            known.insert(id, num as u32);
        }
    }
    let mut missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|i| !known.contains_key(i))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        let last: i64 = sqlx::query_scalar(
            "UPDATE activity_number_next SET last_num = last_num + $1 WHERE kind = $2 RETURNING last_num",
        )
        .bind(missing.len() as i64)
        .bind(what)
        .fetch_one(&mut **tx)
        .await?;
        let first = last - missing.len() as i64 + 1;
        if last > i64::from(u32::MAX) {
            return Err(AppError::internal(anyhow::anyhow!(
                "activity numbers of {what} exhausted"
            )));
        }
        use crate::db::bulk::Val;
        let mut rows = Vec::with_capacity(missing.len());
        for (n, id) in missing.iter().enumerate() {
            let num = first + n as i64;
            rows.push(vec![
                Val::T(Some(what.to_string())),
                Val::I(*id),
                Val::I(num),
            ]);
            known.insert(*id, num as u32);
        }
        let backend = tx_backend(tx);
        crate::db::bulk::insert_rows(
            tx,
            backend,
            "activity_numbers",
            &["kind", "ref_id", "num"],
            rows,
        )
        .await?;
    }
    Ok(ids.iter().map(|i| known[i]).collect())
}

/// Adds `d` to the reach of every federation-level union above (or at) `org_path` on `day`,
/// kind `kind`, inside the caller's transaction.
pub async fn add(tx: &mut Tx, org_path: &str, day: &str, kind: &str, d: &Delta) -> AppResult<()> {
    let backend = tx_backend(tx);
    let nodes = Nodes::above(tx, std::iter::once(org_path)).await?;
    if nodes.iter().next().is_none() {
        return Ok(());
    }
    // One transaction at a time changes these shared rows (see `audit::lock_head`).
    crate::audit::lock_head(tx, backend).await?;
    let activities = numbers(tx, "activity", &d.activities, false).await?;
    let members = numbers(tx, "member", &d.members, false).await?;
    let contests = numbers(tx, "activity", &d.contests, false).await?;
    let empty = bytes(&RoaringBitmap::new())?;
    let lock = match backend {
        crate::db::Backend::Postgres => " FOR UPDATE",
        crate::db::Backend::Sqlite => "",
    };
    for (_, org_id) in nodes.iter() {
        sqlx::query(
            "INSERT INTO activity_reach (org_id, day, kind, sessions, guests, checkins, trades, entrants, teams, activities, members, contests) \
             VALUES ($1, $2, $3, 0, 0, 0, 0, 0, 0, $4, $4, $4) ON CONFLICT (org_id, day, kind) DO NOTHING",
        )
        .bind(org_id)
        .bind(day)
        .bind(kind)
        .bind(&empty)
        .execute(&mut **tx)
        .await?;
        let (a, m, k): (Vec<u8>, Vec<u8>, Vec<u8>) = sqlx::query_as(&format!(
            "SELECT activities, members, contests FROM activity_reach WHERE org_id = $1 AND day = $2 AND kind = $3{lock}"
        ))
        .bind(org_id)
        .bind(day)
        .bind(kind)
        .fetch_one(&mut **tx)
        .await?;
        let (mut a, mut m, mut k) = (bitmap(&a)?, bitmap(&m)?, bitmap(&k)?);
        a.extend(activities.iter().copied());
        m.extend(members.iter().copied());
        k.extend(contests.iter().copied());
        sqlx::query(
            "UPDATE activity_reach SET sessions = sessions + $1, guests = guests + $2, checkins = checkins + $3, \
             trades = trades + $4, entrants = entrants + $5, teams = teams + $6, \
             activities = $7, members = $8, contests = $9 WHERE org_id = $10 AND day = $11 AND kind = $12",
        )
        .bind(d.sessions)
        .bind(d.guests)
        .bind(d.checkins)
        .bind(d.trades)
        .bind(d.entrants)
        .bind(d.teams)
        .bind(bytes(&a)?)
        .bind(bytes(&m)?)
        .bind(bytes(&k)?)
        .bind(org_id)
        .bind(day)
        .bind(kind)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const COLS: &str =
    "sessions, guests, checkins, trades, entrants, teams, activities, members, contests";

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(default)]
    org_id: i64,
    #[sqlx(default)]
    day: String,
    kind: String,
    sessions: i64,
    guests: i64,
    checkins: i64,
    trades: i64,
    entrants: i64,
    teams: i64,
    activities: Vec<u8>,
    members: Vec<u8>,
    contests: Vec<u8>,
}

impl Row {
    fn reach(&self) -> AppResult<Reach> {
        Ok(Reach {
            sessions: self.sessions,
            guests: self.guests,
            checkins: self.checkins,
            trades: self.trades,
            entrants: self.entrants,
            teams: self.teams,
            activities: bitmap(&self.activities)?,
            members: bitmap(&self.members)?,
            contests: bitmap(&self.contests)?,
        })
    }
}

/// The reach of federation-level union `org_id` from `from` to `to` (YYYY-MM-DD), by kind.
pub async fn of(db: &Db, org_id: i64, from: &str, to: &str) -> AppResult<BTreeMap<String, Reach>> {
    let sql = format!(
        "SELECT kind, {COLS} FROM activity_reach WHERE org_id = $1 AND day >= $2 AND day <= $3"
    );
    let mut rows = sqlx::query_as::<_, Row>(&sql)
        .bind(org_id)
        .bind(from)
        .bind(to)
        .fetch(db.pool());
    let mut out: BTreeMap<String, Reach> = BTreeMap::new();
    while let Some(r) = rows.try_next().await? {
        let kind = r.kind.clone();
        out.entry(kind).or_default().merge(&r.reach()?);
    }
    Ok(out)
}

/// Every union's reach as the session and check-in rows give it: (org id, day, kind) → reach.
async fn recount(tx: &mut Tx) -> AppResult<HashMap<(i64, String, String), Reach>> {
    let nodes = Nodes::all(tx).await?;
    let mut out: HashMap<(i64, String, String), Reach> = HashMap::new();
    let sessions: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT activity_id, org_path, held_on, kind, guests FROM activity_sessions",
    )
    .fetch_all(&mut **tx)
    .await?;
    let ids: Vec<i64> = sessions.iter().map(|s| s.0).collect();
    let nums = numbers(tx, "activity", &ids, true).await?;
    for ((_, path, day, kind, guests), num) in sessions.iter().zip(nums) {
        for (node, _) in nodes.over(path) {
            let r = out.entry((node, day.clone(), kind.clone())).or_default();
            r.sessions += 1;
            r.guests += guests;
            r.activities.insert(num);
        }
    }
    let checkins: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT member_id, org_path, held_on, kind FROM activity_checkins")
            .fetch_all(&mut **tx)
            .await?;
    let ids: Vec<i64> = checkins.iter().map(|c| c.0).collect();
    let nums = numbers(tx, "member", &ids, true).await?;
    for ((_, path, day, kind), num) in checkins.iter().zip(nums) {
        for (node, _) in nodes.over(path) {
            let r = out.entry((node, day.clone(), kind.clone())).or_default();
            r.checkins += 1;
            r.members.insert(num);
        }
    }
    let trades: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT activity_id, org_path, held_on, kind FROM contest_trades")
            .fetch_all(&mut **tx)
            .await?;
    let ids: Vec<i64> = trades.iter().map(|t| t.0).collect();
    let nums = numbers(tx, "activity", &ids, true).await?;
    for ((_, path, day, kind), num) in trades.iter().zip(nums) {
        for (node, _) in nodes.over(path) {
            let r = out.entry((node, day.clone(), kind.clone())).or_default();
            r.trades += 1;
            r.contests.insert(num);
        }
    }
    let entrants: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT org_path, held_on, kind, CAST(COUNT(member_id) AS BIGINT), CAST(COUNT(team_name) AS BIGINT) \
         FROM contest_entrants GROUP BY org_path, held_on, kind",
    )
    .fetch_all(&mut **tx)
    .await?;
    for (path, day, kind, members, teams) in entrants {
        for (node, _) in nodes.over(&path) {
            let r = out.entry((node, day.clone(), kind.clone())).or_default();
            r.entrants += members;
            r.teams += teams;
        }
    }
    Ok(out)
}

/// Rebuilds every row from the sessions and check-ins: after a bulk load, and when the
/// hierarchy changes (a subtree moved, a union becoming or ceasing to be a federation level).
pub async fn rebuild(tx: &mut Tx) -> AppResult<()> {
    let backend = tx_backend(tx);
    crate::audit::lock_head(tx, backend).await?;
    let all = recount(tx).await?;
    sqlx::query("DELETE FROM activity_reach")
        .execute(&mut **tx)
        .await?;
    let mut rows = Vec::with_capacity(all.len());
    for ((org, day, kind), r) in all {
        use crate::db::bulk::Val;
        rows.push(vec![
            Val::I(org),
            Val::T(Some(day)),
            Val::T(Some(kind)),
            Val::I(r.sessions),
            Val::I(r.guests),
            Val::I(r.checkins),
            Val::I(r.trades),
            Val::I(r.entrants),
            Val::I(r.teams),
            Val::B(Some(bytes(&r.activities)?)),
            Val::B(Some(bytes(&r.members)?)),
            Val::B(Some(bytes(&r.contests)?)),
        ]);
    }
    for chunk in rows.chunks(2_000) {
        crate::db::bulk::insert_rows(
            tx,
            backend,
            "activity_reach",
            &[
                "org_id",
                "day",
                "kind",
                "sessions",
                "guests",
                "checkins",
                "trades",
                "entrants",
                "teams",
                "activities",
                "members",
                "contests",
            ],
            chunk.to_vec(),
        )
        .await?;
    }
    Ok(())
}

/// Whether the kept rows equal a recount from the sessions and check-ins (the tests ask).
pub async fn verify(db: &Db) -> AppResult<bool> {
    let mut tx = db.begin_write().await?;
    let expected = recount(&mut tx).await?;
    let kept: Vec<Row> = sqlx::query_as(&format!(
        "SELECT org_id, day, kind, {COLS} FROM activity_reach"
    ))
    .fetch_all(&mut *tx)
    .await?;
    tx.rollback().await?;
    let mut found: HashMap<(i64, String, String), Reach> = HashMap::new();
    for r in kept {
        found.insert((r.org_id, r.day.clone(), r.kind.clone()), r.reach()?);
    }
    Ok(found == expected)
}
