//! Running totals behind the statistics of the federation levels (全国/省/市/县区总工会).
//!
//! A city's figures computed from the membership history read every spell of half a million
//! people; these totals make them a read of a few thousand rows. Each membership spell adds,
//! for every federation-level union above it, +1 on the day it starts and −1 on the day it
//! ends (stock), and one event on the day of a join, leave, death or transfer across that
//! union's boundary (flows), per new-employment group. A figure at date T is the sum of the
//! days up to T; a flow over a period is the sum of its days.
//!
//! The totals are kept in the same transaction as every write to the history: a write takes
//! the person's contribution before and after ([`load_person`], [`settle`]) and applies the
//! difference, so every kind of change is handled by one function ([`contribute`]).
//! [`rebuild`] recomputes everything from the history, [`reconcile`] compares.
//!
//! Head counts are persons, not events: a person with two joins in one period counts once.
//! Such people are rare and listed in `repeat_members`; the statistics correct for them by
//! reading their few spells.

use std::collections::{BTreeMap, HashMap};

use futures_util::TryStreamExt;
use serde::Serialize;

use crate::db::{Db, Tx};
use crate::error::AppResult;

/// Union kinds whose figures come from the running totals. Lower levels are computed from
/// the history directly: their subtrees are small.
pub const COUNTED_KINDS: [&str; 4] = ["national", "provincial", "city", "district"];

pub fn is_counted(kind: &str) -> bool {
    COUNTED_KINDS.contains(&kind)
}

/// The figures kept per union, day and new-employment group.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cells {
    /// Active (not retired) members: +1 when a spell starts, −1 when it ends.
    pub members: i64,
    pub female: i64,
    pub migrant: i64,
    /// Retired members keeping their membership.
    pub retired: i64,
    pub joined: i64,
    /// Leavers, deaths included.
    pub left: i64,
    pub deceased: i64,
    pub transferred_in: i64,
    pub transferred_out: i64,
    /// Active members who retired (their active spell ended with `retire`).
    pub retirements: i64,
}

impl Cells {
    fn add(&mut self, o: &Cells, sign: i64) {
        self.members += sign * o.members;
        self.female += sign * o.female;
        self.migrant += sign * o.migrant;
        self.retired += sign * o.retired;
        self.joined += sign * o.joined;
        self.left += sign * o.left;
        self.deceased += sign * o.deceased;
        self.transferred_in += sign * o.transferred_in;
        self.transferred_out += sign * o.transferred_out;
        self.retirements += sign * o.retirements;
    }

    /// The non-zero figures in words, for reports: `会员 +3，女性 +1`.
    pub fn describe(&self) -> String {
        const LABELS: [&str; 10] = [
            "会员",
            "女性",
            "农民工",
            "退休会员",
            "入会",
            "离会",
            "去世",
            "转入",
            "转出",
            "退休",
        ];
        let parts: Vec<String> = LABELS
            .iter()
            .zip(self.values())
            .filter(|(_, v)| *v != 0)
            .map(|(label, v)| format!("{label} {v:+}"))
            .collect();
        if parts.is_empty() {
            "无".into()
        } else {
            parts.join("，")
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Cells::default()
    }

    fn values(&self) -> [i64; 10] {
        [
            self.members,
            self.female,
            self.migrant,
            self.retired,
            self.joined,
            self.left,
            self.deceased,
            self.transferred_in,
            self.transferred_out,
            self.retirements,
        ]
    }
}

const CELL_COLUMNS: [&str; 10] = [
    "members",
    "female",
    "migrant",
    "retired",
    "joined",
    "left_union",
    "deceased",
    "transferred_in",
    "transferred_out",
    "retirements",
];

/// One membership spell, as the history holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spell {
    pub org_path: String,
    pub retained: bool,
    pub start_date: String,
    pub start_reason: String,
    pub end_date: Option<String>,
    pub end_reason: Option<String>,
}

/// What of a person the figures depend on: the attributes counted and every spell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    pub female: bool,
    pub migrant: bool,
    /// New-employment group, `""` for none.
    pub nef_group: String,
    pub spells: Vec<Spell>,
}

impl Person {
    /// True when the person has two events of one kind (two joins, two transfers in, …): a
    /// period could hold both, and a head count must count the person once.
    pub fn repeats_events(&self) -> bool {
        let count = |f: &dyn Fn(&Spell) -> bool| self.spells.iter().filter(|s| f(s)).count();
        count(&|s| s.start_reason == "join") > 1
            || count(&|s| s.start_reason == "transfer_in") > 1
            || count(&|s| matches!(s.end_reason.as_deref(), Some("leave" | "death"))) > 1
            || count(&|s| s.end_reason.as_deref() == Some("transfer_out")) > 1
            || count(&|s| s.end_reason.as_deref() == Some("retire")) > 1
    }
}

/// The federation-level unions, by path.
#[derive(Debug, Default, Clone)]
pub struct Nodes(HashMap<String, i64>);

impl Nodes {
    /// Every federation-level union.
    pub async fn all(tx: &mut Tx) -> AppResult<Nodes> {
        let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT path, id FROM orgs WHERE kind IN ({})",
            kinds_list()
        ))
        .fetch_all(&mut **tx)
        .await?;
        Ok(Nodes(rows.into_iter().collect()))
    }

    /// The federation-level unions above (or at) any of `paths`.
    pub async fn above<'a>(tx: &mut Tx, paths: impl Iterator<Item = &'a str>) -> AppResult<Nodes> {
        let mut prefixes: Vec<&str> = paths.flat_map(prefixes).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        if prefixes.is_empty() {
            return Ok(Nodes::default());
        }
        let sql = format!(
            "SELECT path, id FROM orgs WHERE kind IN ({}) AND path IN ({})",
            kinds_list(),
            crate::db::in_list(prefixes.len())
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
        for p in prefixes {
            q = q.bind(p.to_string());
        }
        Ok(Nodes(q.fetch_all(&mut **tx).await?.into_iter().collect()))
    }

    /// The unions, as (path, id).
    pub fn iter(&self) -> impl Iterator<Item = (&str, i64)> {
        self.0.iter().map(|(p, id)| (p.as_str(), *id))
    }

    /// Only the union `id` at `path`.
    pub fn single(path: &str, id: i64) -> Nodes {
        Nodes(HashMap::from([(path.to_string(), id)]))
    }

    /// The counted unions whose subtree holds `path`: (id, path).
    pub(crate) fn over<'a>(&'a self, path: &'a str) -> impl Iterator<Item = (i64, &'a str)> + 'a {
        prefixes(path).filter_map(|p| self.0.get(p).map(|id| (*id, p)))
    }
}

fn kinds_list() -> String {
    COUNTED_KINDS.map(|k| format!("'{k}'")).join(",")
}

/// Every ancestor path of `path` and `path` itself: `/1/2/` → `/1/`, `/1/2/`.
fn prefixes(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|(i, c)| *c == '/' && *i > 0)
        .map(move |(i, _)| &path[..=i])
}

/// Per (union id, day, group): the change of each figure.
pub type Deltas = HashMap<(i64, String, String), Cells>;

/// Adds `sign` × the person's contribution to `out`. The rules are those of the statistics
/// computed from the history (`stats::compute_from_history`), spell by spell.
pub fn contribute(person: &Person, nodes: &Nodes, sign: i64, out: &mut Deltas) {
    let stock = |retained: bool| Cells {
        members: i64::from(!retained),
        female: i64::from(!retained && person.female),
        migrant: i64::from(!retained && person.migrant),
        retired: i64::from(retained),
        ..Cells::default()
    };
    for s in &person.spells {
        for (node, node_path) in nodes.over(&s.org_path) {
            let mut add = |day: &str, cells: Cells| {
                out.entry((node, day.to_string(), person.nef_group.clone()))
                    .or_default()
                    .add(&cells, sign);
            };
            let mut at_start = stock(s.retained);
            at_start.joined = i64::from(s.start_reason == "join");
            // A transfer counts as "in" only when it crossed into this union's subtree.
            at_start.transferred_in = i64::from(
                s.start_reason == "transfer_in"
                    && !person.spells.iter().any(|p| {
                        p.end_reason.as_deref() == Some("transfer_out")
                            && p.end_date.as_deref() == Some(s.start_date.as_str())
                            && p.org_path.starts_with(node_path)
                    }),
            );
            add(&s.start_date, at_start);
            if let Some(end) = &s.end_date {
                let mut at_end = Cells::default();
                at_end.add(&stock(s.retained), -1);
                let reason = s.end_reason.as_deref();
                at_end.left = i64::from(matches!(reason, Some("leave" | "death")));
                at_end.deceased = i64::from(reason == Some("death"));
                at_end.retirements = i64::from(reason == Some("retire") && !s.retained);
                at_end.transferred_out = i64::from(
                    reason == Some("transfer_out")
                        && !person.spells.iter().any(|n| {
                            n.start_reason == "transfer_in"
                                && n.start_date == *end
                                && n.org_path.starts_with(node_path)
                        }),
                );
                add(end, at_end);
            }
        }
    }
}

type SpellRow = (
    i64,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<String>,
);

const PERSON_SELECT: &str = "SELECT s.member_id, s.org_path, s.retained, s.start_date, s.start_reason, s.end_date, s.end_reason, \
     p.sex, p.migrant, p.nef_group FROM memberships s JOIN members p ON p.id = s.member_id";

fn person_from(rows: impl IntoIterator<Item = SpellRow>) -> Person {
    let mut person = Person::default();
    for (
        _,
        org_path,
        retained,
        start_date,
        start_reason,
        end_date,
        end_reason,
        sex,
        migrant,
        nef,
    ) in rows
    {
        person.female = sex == "女";
        person.migrant = migrant == 1;
        person.nef_group = nef.unwrap_or_default();
        person.spells.push(Spell {
            org_path,
            retained: retained == 1,
            start_date,
            start_reason,
            end_date,
            end_reason,
        });
    }
    person
}

/// The person's current facts (no spells: nothing to count).
pub async fn load_person(tx: &mut Tx, member_id: i64) -> AppResult<Person> {
    let rows: Vec<SpellRow> = sqlx::query_as(&format!(
        "{PERSON_SELECT} WHERE s.member_id = $1 ORDER BY s.start_date, s.id"
    ))
    .bind(member_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(person_from(rows))
}

/// Records, in the totals, what changed for one person since `before` was loaded.
pub async fn settle(tx: &mut Tx, member_id: i64, before: &Person) -> AppResult<()> {
    let after = load_person(tx, member_id).await?;
    if after == *before {
        return Ok(());
    }
    let paths = before
        .spells
        .iter()
        .chain(&after.spells)
        .map(|s| s.org_path.as_str());
    let nodes = Nodes::above(tx, paths).await?;
    let mut deltas = Deltas::new();
    contribute(before, &nodes, -1, &mut deltas);
    contribute(&after, &nodes, 1, &mut deltas);
    write_deltas(tx, deltas).await?;
    if before.repeats_events() != after.repeats_events() {
        set_repeat(tx, member_id, after.repeats_events()).await?;
    }
    Ok(())
}

async fn set_repeat(tx: &mut Tx, member_id: i64, repeats: bool) -> AppResult<()> {
    let sql = if repeats {
        "INSERT INTO repeat_members (member_id) VALUES ($1) ON CONFLICT (member_id) DO NOTHING"
    } else {
        "DELETE FROM repeat_members WHERE member_id = $1"
    };
    sqlx::query(sql).bind(member_id).execute(&mut **tx).await?;
    Ok(())
}

/// Adds `deltas` to the stored totals, in key order (concurrent writers lock rows in the same
/// order, so they cannot deadlock).
pub async fn write_deltas(tx: &mut Tx, deltas: Deltas) -> AppResult<()> {
    let backend = crate::db::tx_backend(tx);
    let rows: BTreeMap<_, _> = deltas.into_iter().filter(|(_, c)| !c.is_zero()).collect();
    if rows.is_empty() {
        return Ok(());
    }
    let columns = CELL_COLUMNS.join(", ");
    let updates = CELL_COLUMNS
        .map(|c| format!("{c} = stat_deltas.{c} + excluded.{c}"))
        .join(", ");
    let per_row = 3 + CELL_COLUMNS.len();
    let rows: Vec<_> = rows.into_iter().collect();
    for chunk in rows.chunks(1000) {
        let sql = format!(
            "INSERT INTO stat_deltas (node_id, day, nef_group, {columns}) VALUES {} \
             ON CONFLICT (node_id, day, nef_group) DO UPDATE SET {updates}",
            crate::db::values_placeholders(backend, chunk.len(), per_row)
        );
        let mut q = sqlx::query(&sql);
        for ((node, day, group), cells) in chunk {
            q = q.bind(*node).bind(day.clone()).bind(group.clone());
            for v in cells.values() {
                q = q.bind(v);
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Streams the people who have a spell in the subtree at `subtree` (everyone: `None`) and
/// adds their contribution × `sign`. Returns the repeaters among them.
async fn contribute_people(
    tx: &mut Tx,
    subtree: Option<&str>,
    nodes: &Nodes,
    sign: i64,
    out: &mut Deltas,
) -> AppResult<Vec<i64>> {
    const ORDER: &str = "ORDER BY s.member_id, s.start_date, s.id";
    let sql = match subtree {
        Some(_) => format!(
            "{PERSON_SELECT} WHERE s.member_id IN (SELECT f.member_id FROM memberships f \
             WHERE f.org_path >= $1 AND f.org_path < $2) {ORDER}"
        ),
        None => format!("{PERSON_SELECT} {ORDER}"),
    };
    let mut q = sqlx::query_as::<_, SpellRow>(&sql);
    if let Some(path) = subtree {
        q = q.bind(path.to_string()).bind(crate::db::path_upper(path));
    }
    let mut stream = q.fetch(&mut **tx);
    let mut repeaters = Vec::new();
    let mut current: Vec<SpellRow> = Vec::new();
    let mut finish = |rows: &mut Vec<SpellRow>, out: &mut Deltas| {
        if let Some(id) = rows.first().map(|r| r.0) {
            let person = person_from(rows.drain(..));
            contribute(&person, nodes, sign, out);
            if person.repeats_events() {
                repeaters.push(id);
            }
        }
    };
    while let Some(row) = stream.try_next().await? {
        if current.first().is_some_and(|r| r.0 != row.0) {
            finish(&mut current, out);
        }
        current.push(row);
    }
    finish(&mut current, out);
    drop(stream);
    Ok(repeaters)
}

/// The contribution × `sign` of everyone with a spell in the subtree at `path`. A move calls it
/// with −1 before (old paths) and +1 after (new paths): the difference is what the move changes.
pub async fn contribute_subtree(
    tx: &mut Tx,
    path: &str,
    sign: i64,
    out: &mut Deltas,
) -> AppResult<()> {
    let nodes = Nodes::all(tx).await?;
    contribute_people(tx, Some(path), &nodes, sign, out).await?;
    Ok(())
}

/// A union became, or stopped being, a federation-level union: builds or drops its totals.
pub async fn kind_changed(tx: &mut Tx, id: i64, path: &str, kind: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM stat_deltas WHERE node_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if is_counted(kind) {
        let mut deltas = Deltas::new();
        contribute_people(tx, Some(path), &Nodes::single(path, id), 1, &mut deltas).await?;
        write_deltas(tx, deltas).await?;
    }
    Ok(())
}

/// The totals and repeaters recomputed from the whole history.
async fn fresh(tx: &mut Tx) -> AppResult<(Deltas, Vec<i64>)> {
    let nodes = Nodes::all(tx).await?;
    let mut deltas = Deltas::new();
    let repeaters = contribute_people(tx, None, &nodes, 1, &mut deltas).await?;
    deltas.retain(|_, c| !c.is_zero());
    Ok((deltas, repeaters))
}

/// Replaces the totals with ones recomputed from the history. Returns the rows written.
pub async fn rebuild(db: &Db) -> AppResult<usize> {
    let mut tx = db.begin_write().await?;
    let (deltas, repeaters) = fresh(&mut tx).await?;
    let written = deltas.len();
    sqlx::query("DELETE FROM stat_deltas")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM repeat_members")
        .execute(&mut *tx)
        .await?;
    write_deltas(&mut tx, deltas).await?;
    for id in repeaters {
        set_repeat(&mut tx, id, true).await?;
    }
    sqlx::query("DELETE FROM stat_state")
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO stat_state (id, built_at) VALUES (1, $1)")
        .bind(crate::db::now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(written)
}

/// Builds the totals once, for a database that has none yet (new, or older than them).
pub async fn ensure_built(db: &Db) -> AppResult<()> {
    let built: Option<i64> = sqlx::query_scalar("SELECT built_at FROM stat_state WHERE id = 1")
        .fetch_optional(db.pool())
        .await?;
    if built.is_none() {
        let rows = rebuild(db).await?;
        db.tidy_after_rewrite(&["stat_deltas"]).await?;
        tracing::info!(rows, "statistics totals built from the membership history");
    }
    Ok(())
}

/// One stored total that differs from the history.
#[derive(Debug, Serialize)]
pub struct Difference {
    pub org_code: String,
    pub day: String,
    pub nef_group: String,
    pub stored: Cells,
    pub expected: Cells,
}

/// What [`reconcile`] found.
#[derive(Debug, Serialize)]
pub struct Reconciliation {
    pub rows_checked: usize,
    pub differences: Vec<Difference>,
    pub repeaters_missing: usize,
    pub repeaters_extra: usize,
}

/// Compares the stored totals with the history (read in one transaction, so concurrent writes
/// cannot show as differences). Changes nothing.
pub async fn reconcile(db: &Db) -> AppResult<Reconciliation> {
    let mut tx = db.begin_write().await?;
    let (expected, repeaters) = fresh(&mut tx).await?;
    let select = format!(
        "SELECT node_id, day, nef_group, {} FROM stat_deltas",
        CELL_COLUMNS.join(", ")
    );
    let mut stored = Deltas::new();
    {
        let mut rows = sqlx::query(&select).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            use sqlx::Row;
            let v = |i: usize| row.try_get::<i64, _>(i);
            let cells = Cells {
                members: v(3)?,
                female: v(4)?,
                migrant: v(5)?,
                retired: v(6)?,
                joined: v(7)?,
                left: v(8)?,
                deceased: v(9)?,
                transferred_in: v(10)?,
                transferred_out: v(11)?,
                retirements: v(12)?,
            };
            if !cells.is_zero() {
                stored.insert((v(0)?, row.try_get(1)?, row.try_get(2)?), cells);
            }
        }
    }
    let stored_repeaters: Vec<i64> = sqlx::query_scalar("SELECT member_id FROM repeat_members")
        .fetch_all(&mut *tx)
        .await?;
    let codes: HashMap<i64, String> =
        sqlx::query_as::<_, (i64, String)>("SELECT id, code FROM orgs")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    tx.rollback().await?;
    let mut keys: Vec<_> = expected.keys().chain(stored.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    let rows_checked = keys.len();
    let differences = keys
        .into_iter()
        .filter_map(|key| {
            let (s, e) = (
                stored.get(&key).copied().unwrap_or_default(),
                expected.get(&key).copied().unwrap_or_default(),
            );
            (s != e).then(|| Difference {
                org_code: codes
                    .get(&key.0)
                    .cloned()
                    .unwrap_or_else(|| key.0.to_string()),
                day: key.1,
                nef_group: key.2,
                stored: s,
                expected: e,
            })
        })
        .collect();
    let (want, have): (
        std::collections::HashSet<i64>,
        std::collections::HashSet<i64>,
    ) = (
        repeaters.into_iter().collect(),
        stored_repeaters.into_iter().collect(),
    );
    Ok(Reconciliation {
        rows_checked,
        differences,
        repeaters_missing: want.difference(&have).count(),
        repeaters_extra: have.difference(&want).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spell(path: &str, start: &str, reason: &str, end: Option<(&str, &str)>) -> Spell {
        Spell {
            org_path: path.into(),
            retained: reason == "retire",
            start_date: start.into(),
            start_reason: reason.into(),
            end_date: end.map(|e| e.0.into()),
            end_reason: end.map(|e| e.1.into()),
        }
    }

    fn sum(d: &Deltas, node: i64) -> Cells {
        let mut c = Cells::default();
        for ((n, _, _), cells) in d {
            if *n == node {
                c.add(cells, 1);
            }
        }
        c
    }

    #[test]
    fn prefixes_are_every_ancestor_and_the_path_itself() {
        assert_eq!(
            prefixes("/1/2a/b/").collect::<Vec<_>>(),
            ["/1/", "/1/2a/", "/1/2a/b/"]
        );
        assert_eq!(prefixes("/").count(), 0);
    }

    #[test]
    fn a_transfer_inside_a_district_is_not_a_flow_of_the_district_but_is_of_the_city() {
        // City /1/ with districts /1/a/ and /1/b/.
        let nodes = Nodes(HashMap::from([
            ("/1/".to_string(), 1),
            ("/1/a/".to_string(), 2),
            ("/1/b/".to_string(), 3),
        ]));
        let person = Person {
            female: true,
            migrant: false,
            nef_group: String::new(),
            spells: vec![
                spell(
                    "/1/a/x/",
                    "2020-01-01",
                    "join",
                    Some(("2021-01-01", "transfer_out")),
                ),
                spell(
                    "/1/a/y/",
                    "2021-01-01",
                    "transfer_in",
                    Some(("2022-01-01", "transfer_out")),
                ),
                spell("/1/b/z/", "2022-01-01", "transfer_in", None),
            ],
        };
        let mut d = Deltas::new();
        contribute(&person, &nodes, 1, &mut d);
        let city = sum(&d, 1);
        assert_eq!((city.members, city.female, city.joined), (1, 1, 1));
        assert_eq!((city.transferred_in, city.transferred_out), (0, 0));
        let a = sum(&d, 2);
        assert_eq!((a.members, a.transferred_in, a.transferred_out), (0, 0, 1));
        let b = sum(&d, 3);
        assert_eq!((b.members, b.transferred_in, b.transferred_out), (1, 1, 0));
        // Taking the same contribution away leaves nothing.
        contribute(&person, &nodes, -1, &mut d);
        assert!(d.values().all(Cells::is_zero));
        // Two transfers in: a period holding both must count the person once.
        assert!(person.repeats_events());
    }

    #[test]
    fn retirement_moves_a_person_from_members_to_retired_and_rejoining_repeats() {
        let nodes = Nodes::single("/1/", 1);
        let retired = Person {
            female: false,
            migrant: true,
            nef_group: "网约车司机".into(),
            spells: vec![
                spell(
                    "/1/x/",
                    "2010-01-01",
                    "join",
                    Some(("2020-06-01", "retire")),
                ),
                spell("/1/x/", "2020-06-01", "retire", None),
            ],
        };
        let mut d = Deltas::new();
        contribute(&retired, &nodes, 1, &mut d);
        let c = sum(&d, 1);
        assert_eq!((c.members, c.migrant, c.retired, c.left), (0, 0, 1, 0));
        assert!(d.keys().all(|k| k.2 == "网约车司机"));
        let rejoined = Person {
            spells: vec![
                spell("/1/x/", "2010-01-01", "join", Some(("2012-01-01", "leave"))),
                spell("/1/x/", "2015-01-01", "join", None),
            ],
            ..Person::default()
        };
        assert!(rejoined.repeats_events());
    }
}
