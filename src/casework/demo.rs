//! Casework for the demo city: two years of petitions, mediations and legal-aid cases with
//! their histories, so a first start shows the queues, the case pages and the figures (同比
//! included) populated; also the bulk for `gonghui bench casework`. Written in bulk, the way
//! the steps would have left them: dates in order, deadlines mostly kept and sometimes not,
//! repeats linked, amounts in fen.

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::bulk::{Val, insert_rows};
use crate::db::{Backend, Db, Tx, new_id};
use crate::error::AppResult;
use crate::workflow::{Named, history};

use super::{disputes, petitions};

/// How many cases were written.
#[derive(Debug, Default, Clone, Copy)]
pub struct Report {
    pub petitions: u64,
    pub disputes: u64,
    pub advocates: u64,
    /// Files on the recent letters and calls.
    pub papers: u64,
}

/// A value of a row written in bulk.
#[derive(Clone)]
enum V {
    I(i64),
    S(String),
    /// NULL of a number column, and of a text column (PostgreSQL wants the right type).
    NI,
    N,
}

impl From<i64> for V {
    fn from(v: i64) -> V {
        V::I(v)
    }
}
impl From<String> for V {
    fn from(v: String) -> V {
        V::S(v)
    }
}
impl From<&str> for V {
    fn from(v: &str) -> V {
        V::S(v.to_string())
    }
}
impl From<Option<i64>> for V {
    fn from(v: Option<i64>) -> V {
        v.map_or(V::NI, V::I)
    }
}
impl From<Option<String>> for V {
    fn from(v: Option<String>) -> V {
        v.map_or(V::N, V::S)
    }
}
impl From<Option<&str>> for V {
    fn from(v: Option<&str>) -> V {
        v.map_or(V::N, Into::into)
    }
}

/// Rows for one table, written a few hundred at a time.
struct Bulk {
    table: &'static str,
    cols: &'static [&'static str],
    rows: Vec<Vec<Val>>,
}

impl Bulk {
    fn new(table: &'static str, cols: &'static [&'static str]) -> Bulk {
        Bulk {
            table,
            cols,
            rows: Vec::new(),
        }
    }

    async fn push(&mut self, tx: &mut Tx, backend: Backend, row: Vec<V>) -> AppResult<()> {
        let row = row
            .into_iter()
            .map(|v| match v {
                V::I(i) => Val::I(i),
                V::S(s) => Val::T(Some(s)),
                V::NI => Val::N(None),
                V::N => Val::T(None),
            })
            .collect();
        self.push_row(tx, backend, row).await
    }

    async fn push_row(&mut self, tx: &mut Tx, backend: Backend, row: Vec<Val>) -> AppResult<()> {
        debug_assert_eq!(row.len(), self.cols.len());
        self.rows.push(row);
        if self.rows.len() >= 5_000 {
            self.flush(tx, backend).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, tx: &mut Tx, backend: Backend) -> AppResult<()> {
        let rows = std::mem::take(&mut self.rows);
        insert_rows(tx, backend, self.table, self.cols, rows).await
    }
}

const PETITION_COLS: &[&str] = &[
    "id",
    "org_id",
    "org_path",
    "received_org_id",
    "received_path",
    "channel",
    "kind",
    "category",
    "member_id",
    "requester_name",
    "unit_name",
    "summary",
    "received_on",
    "accept_due",
    "accepted_on",
    "refuse_reason",
    "reply_due",
    "replied_on",
    "reply_text",
    "reply_method",
    "satisfaction",
    "closed_on",
    "repeat_of",
    "status",
    "version",
    "created_at",
    "updated_at",
];

const DISPUTE_COLS: &[&str] = &[
    "id",
    "kind",
    "org_id",
    "org_path",
    "source",
    "source_ref",
    "claim",
    "amount_claimed",
    "unit_name",
    "workers",
    "summary",
    "received_on",
    "due_on",
    "advocate_id",
    "assigned_on",
    "stage",
    "sessions",
    "outcome",
    "amount_agreed",
    "amount_recovered",
    "referred_to",
    "confirmed_on",
    "closed_on",
    "status",
    "version",
    "created_at",
    "updated_at",
];
const WORKER_COLS: &[&str] = &["id", "dispute_id", "member_id", "name"];

const SUMMARIES: &[&str] = &[
    "反映用人单位拖欠三个月工资，多次讨要未果",
    "咨询加班费计算标准",
    "反映单位未依法缴纳社会保险",
    "工伤认定后单位拒不支付停工留薪期工资",
    "被单位无故辞退，要求支付经济补偿",
    "反映单位长期安排加班且不安排休息",
    "反映平台调整派单规则导致收入下降",
    "申请困难帮扶",
    "建议在园区增设户外劳动者服务站点",
    "反映劳务派遣单位扣押身份证",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
];
const EMPLOYERS: &[&str] = &[
    "某建筑劳务公司",
    "某物流公司",
    "某餐饮管理公司",
    "某电子厂",
    "某外卖配送站",
    "某物业公司",
    "某货运公司",
];

fn name(rng: &mut StdRng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.gen_range(0..SURNAMES.len())],
        GIVEN[rng.gen_range(0..GIVEN.len())]
    )
}

fn pick<T: Copy>(rng: &mut StdRng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|w| w.1).sum();
    let mut r = rng.gen_range(0..total);
    for (v, w) in weighted {
        if r < *w {
            return *v;
        }
        r -= w;
    }
    weighted[0].0
}

struct Org {
    id: i64,
    path: String,
    kind: String,
}

/// One step of a generated history.
struct Ev<'a> {
    on: NaiveDate,
    action: &'a str,
    from: Option<&'a str>,
    to: &'a str,
    detail: String,
}

async fn events(
    bulk: &mut Bulk,
    tx: &mut Tx,
    backend: Backend,
    case_type: &str,
    id: i64,
    evs: Vec<Ev<'_>>,
) -> AppResult<()> {
    for e in evs {
        let row = history::bulk_row(
            case_type,
            id,
            e.on,
            "演示数据",
            e.action,
            e.from,
            e.to,
            e.detail,
        );
        bulk.push_row(tx, backend, row).await?;
    }
    Ok(())
}

/// Writes `petitions` petitions and `disputes` disputes received over the two years before
/// `today` into the demo city (its unions must be loaded), with a roster to assign from.
pub async fn seed(
    db: &Db,
    petitions_n: u64,
    disputes_n: u64,
    seed: u64,
    today: NaiveDate,
) -> AppResult<Report> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xCA5E);
    let orgs: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, path, kind FROM orgs WHERE status = 'active' ORDER BY path")
            .fetch_all(db.pool())
            .await?;
    let orgs: Vec<Org> = orgs
        .into_iter()
        .map(|(id, path, kind)| Org { id, path, kind })
        .collect();
    let federations: Vec<&Org> = orgs
        .iter()
        .filter(|o| !matches!(o.kind.as_str(), "grassroots" | "joint"))
        .collect();
    let grassroots: Vec<&Org> = orgs
        .iter()
        .filter(|o| matches!(o.kind.as_str(), "grassroots" | "joint"))
        .collect();
    if federations.is_empty() || grassroots.is_empty() {
        return Ok(Report::default());
    }
    let member_ids: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT id, org_id, org_path FROM members WHERE status = 'active' ORDER BY id LIMIT 20000",
    )
    .fetch_all(db.pool())
    .await?;
    let backend = db.backend();
    let mut tx = db.begin_write().await?;
    let now = crate::db::now_ms();
    let mut report = Report::default();

    // The roster: mediators and lawyers at the top, mediators in each district.
    let top = federations[0];
    let mut advocates: Vec<(i64, String, &str)> = Vec::new();
    let mut roster = Bulk::new(
        "advocates",
        &[
            "id",
            "org_id",
            "org_path",
            "role",
            "name",
            "organisation",
            "mobile_masked",
            "active",
            "created_at",
        ],
    );
    let districts: Vec<&&Org> = federations
        .iter()
        .filter(|o| o.kind == "district")
        .collect();
    let mut places: Vec<(&Org, &str, &str)> =
        vec![(top, "lawyer", "市总工会维权律师团"); 4];
    places.extend(vec![
        (top, "mediator", "市劳动人事争议调解中心");
        4
    ]);
    for d in &districts {
        places.push((d, "mediator", "区总工会劳动争议调解委员会"));
        places.push((d, "mediator", "区总工会劳动争议调解委员会"));
    }
    for (org, role, organisation) in places {
        let id = new_id();
        let person = name(&mut rng);
        roster
            .push(
                &mut tx,
                backend,
                vec![
                    id.into(),
                    org.id.into(),
                    org.path.clone().into(),
                    role.into(),
                    person.into(),
                    organisation.into(),
                    format!("139****{:04}", rng.gen_range(0..10000)).into(),
                    1i64.into(),
                    now.into(),
                ],
            )
            .await?;
        advocates.push((id, org.path.clone(), role));
        report.advocates += 1;
    }
    roster.flush(&mut tx, backend).await?;

    let mut rows = Bulk::new("petitions", PETITION_COLS);
    let mut evs = Bulk::new("case_events", history::BULK_COLUMNS);
    let mut recent: Vec<(i64, i64, String)> = Vec::new();
    let start = today - Duration::days(730);
    let (accept_days, reply_days) = (15, 60);
    for _ in 0..petitions_n {
        let id = new_id();
        let received = start + Duration::days(rng.gen_range(0..=730));
        let age = (today - received).num_days();
        let at = federations[rng.gen_range(0..federations.len())];
        let channel = pick(
            &mut rng,
            &[
                ("visit", 25),
                ("letter", 10),
                ("hotline", 40),
                ("online", 15),
                ("member_app", 10),
            ],
        );
        let kind = pick(
            &mut rng,
            &[
                ("consult", 40),
                ("request", 40),
                ("suggestion", 8),
                ("complaint", 12),
            ],
        );
        let category = pick(
            &mut rng,
            &[
                ("wages", 30),
                ("contract", 12),
                ("social_insurance", 14),
                ("injury", 8),
                ("dismissal", 10),
                ("hours", 8),
                ("union_rights", 4),
                ("hardship", 8),
                ("other", 6),
            ],
        );
        let member = (rng.gen_bool(0.4) && !member_ids.is_empty())
            .then(|| member_ids[rng.gen_range(0..member_ids.len())].0);
        let requester = member.is_none().then(|| name(&mut rng));
        let repeat_of = (!recent.is_empty() && rng.gen_bool(0.07))
            .then(|| recent[rng.gen_range(0..recent.len())].0);
        let accept_due = received + Duration::days(accept_days);
        let mut status = petitions::Status::Received;
        let mut ev = vec![Ev {
            on: received,
            action: "intake",
            from: None,
            to: "received",
            detail: format!("{{\"channel\":\"{channel}\"}}"),
        }];
        let (
            mut accepted_on,
            mut reply_due,
            mut replied_on,
            mut closed_on,
            mut satisfaction,
            mut refuse,
        ) = (None, None, None, None, None, None);
        let mut handler = at;
        let accept_delay = if rng.gen_bool(0.03) {
            rng.gen_range(16..25)
        } else {
            rng.gen_range(0..8)
        };
        if age > accept_delay {
            let on = received + Duration::days(accept_delay);
            if rng.gen_bool(0.03) {
                status = petitions::Status::NotAccepted;
                refuse = Some("不属于工会受理范围，已告知向有关部门反映");
                closed_on = Some(on);
                ev.push(Ev {
                    on,
                    action: "refuse",
                    from: Some("received"),
                    to: "not_accepted",
                    detail: "{}".into(),
                });
            } else {
                status = petitions::Status::Accepted;
                accepted_on = Some(on);
                reply_due = Some(on + Duration::days(reply_days));
                ev.push(Ev {
                    on,
                    action: "accept",
                    from: Some("received"),
                    to: "accepted",
                    detail: "{}".into(),
                });
                // Dispatched down to a grassroots union below the receiving one, now and then.
                let below: Vec<&&Org> = grassroots
                    .iter()
                    .filter(|g| g.path.starts_with(&at.path))
                    .take(50)
                    .collect();
                if !below.is_empty() && rng.gen_bool(0.3) && age > accept_delay + 1 {
                    handler = below[rng.gen_range(0..below.len())];
                    status = petitions::Status::Dispatched;
                    ev.push(Ev {
                        on: on + Duration::days(1),
                        action: "dispatch",
                        from: Some("accepted"),
                        to: "dispatched",
                        detail: "{}".into(),
                    });
                }
                let reply_delay = if rng.gen_bool(0.04) {
                    rng.gen_range(61..80)
                } else {
                    rng.gen_range(3..45)
                };
                if age > accept_delay + reply_delay {
                    let r_on = on + Duration::days(reply_delay);
                    ev.push(Ev {
                        on: r_on,
                        action: "reply",
                        from: Some(status.code()),
                        to: "replied",
                        detail: "{\"method\":\"电话\"}".into(),
                    });
                    status = petitions::Status::Replied;
                    replied_on = Some(r_on);
                    if age > accept_delay + reply_delay + 3 {
                        let c_on = r_on + Duration::days(rng.gen_range(1..4));
                        if rng.gen_bool(0.95) {
                            let s = pick(&mut rng, &[("satisfied", 88), ("partly", 12)]);
                            satisfaction = Some(s);
                            ev.push(Ev {
                                on: c_on,
                                action: "satisfied",
                                from: Some("replied"),
                                to: "closed",
                                detail: format!("{{\"satisfaction\":\"{s}\"}}"),
                            });
                        } else {
                            ev.push(Ev {
                                on: c_on,
                                action: "close",
                                from: Some("replied"),
                                to: "closed",
                                detail: "{\"note\":\"多次联系未接通\"}".into(),
                            });
                        }
                        status = petitions::Status::Closed;
                        closed_on = Some(c_on);
                    }
                }
            }
        }
        let summary = SUMMARIES[rng.gen_range(0..SUMMARIES.len())];
        let version = ev.len() as i64 - 1;
        rows.push(
            &mut tx,
            backend,
            vec![
                id.into(),
                handler.id.into(),
                handler.path.clone().into(),
                at.id.into(),
                at.path.clone().into(),
                channel.into(),
                kind.into(),
                category.into(),
                member.into(),
                requester.into(),
                EMPLOYERS[rng.gen_range(0..EMPLOYERS.len())].into(),
                summary.into(),
                received.to_string().into(),
                accept_due.to_string().into(),
                accepted_on.map(|d: NaiveDate| d.to_string()).into(),
                refuse.into(),
                reply_due.map(|d: NaiveDate| d.to_string()).into(),
                replied_on.map(|d: NaiveDate| d.to_string()).into(),
                replied_on
                    .map(|_| "已与用人单位沟通协调，问题已解决并告知诉求人".to_string())
                    .into(),
                replied_on.map(|_| "电话".to_string()).into(),
                satisfaction.into(),
                closed_on.map(|d: NaiveDate| d.to_string()).into(),
                repeat_of.into(),
                status.code().into(),
                version.into(),
                now.into(),
                now.into(),
            ],
        )
        .await?;
        events(&mut evs, &mut tx, backend, "petition", id, ev).await?;
        if repeat_of.is_none() && recent.len() < 2000 {
            recent.push((id, at.id, at.path.clone()));
        }
        report.petitions += 1;
    }
    rows.flush(&mut tx, backend).await?;

    let mut drows = Bulk::new("disputes", DISPUTE_COLS);
    let mut workers = Bulk::new("dispute_workers", WORKER_COLS);
    for i in 0..disputes_n {
        let id = new_id();
        let received = start + Duration::days(rng.gen_range(0..=730));
        let age = (today - received).num_days();
        let legal = rng.gen_bool(0.3);
        let kind = if legal {
            disputes::Kind::LegalAid
        } else {
            disputes::Kind::Mediation
        };
        let at = federations[rng.gen_range(0..federations.len())];
        let source = pick(
            &mut rng,
            &[
                ("court", 40),
                ("arbitration", 15),
                ("union", 15),
                ("direct", 30),
            ],
        );
        let claim = pick(
            &mut rng,
            &[
                ("wages", 45),
                ("compensation", 25),
                ("social_insurance", 10),
                ("injury", 12),
                ("contract", 5),
                ("other", 3),
            ],
        );
        let claimed: i64 = rng.gen_range(2_000..200_000) * 100;
        let group = rng.gen_bool(0.15);
        let n_workers: i64 = if group { rng.gen_range(3..40) } else { 1 };
        let due_on = (!legal).then(|| received + Duration::days(15));
        let mut ev = vec![Ev {
            on: received,
            action: "register",
            from: None,
            to: "registered",
            detail: format!("{{\"kind\":\"{}\"}}", kind.code()),
        }];
        let mut status = disputes::Status::Registered;
        let role = if legal { "lawyer" } else { "mediator" };
        let usable: Vec<&(i64, String, &str)> = advocates
            .iter()
            .filter(|a| a.2 == role && at.path.starts_with(&a.1))
            .collect();
        let (mut advocate, mut assigned_on, mut stage, mut sessions, mut outcome) =
            (None, None, None, 0i64, None);
        let (mut agreed, mut recovered, mut referred, mut confirmed, mut closed) =
            (None, None, None, None, None);
        if age > 1 && !usable.is_empty() {
            let a = usable[rng.gen_range(0..usable.len())];
            advocate = Some(a.0);
            assigned_on = Some(received + Duration::days(1));
            status = disputes::Status::Assigned;
            ev.push(Ev {
                on: received + Duration::days(1),
                action: "assign",
                from: Some("registered"),
                to: "assigned",
                detail: "{}".into(),
            });
            let work_on = received + Duration::days(rng.gen_range(2..6));
            if age > 6 {
                if legal {
                    stage = Some(pick(
                        &mut rng,
                        &[
                            ("consultation", 30),
                            ("arbitration", 45),
                            ("litigation", 25),
                        ],
                    ));
                    ev.push(Ev {
                        on: work_on,
                        action: "stage",
                        from: Some("assigned"),
                        to: "in_progress",
                        detail: "{}".into(),
                    });
                } else {
                    sessions = rng.gen_range(1..4);
                    ev.push(Ev {
                        on: work_on,
                        action: "session",
                        from: Some("assigned"),
                        to: "in_progress",
                        detail: "{}".into(),
                    });
                }
                status = disputes::Status::InProgress;
                let end = work_on
                    + Duration::days(if legal {
                        rng.gen_range(20..120)
                    } else if rng.gen_bool(0.05) {
                        rng.gen_range(16..25)
                    } else {
                        rng.gen_range(3..12)
                    });
                if end < today {
                    closed = Some(end);
                    let roll: u32 = rng.gen_range(0..100);
                    if legal {
                        let result = pick(
                            &mut rng,
                            &[("won", 55), ("partly", 25), ("settled", 12), ("lost", 8)],
                        );
                        outcome = Some(result);
                        let got = match result {
                            "won" => claimed * rng.gen_range(85..=100) / 100,
                            "partly" | "settled" => claimed * rng.gen_range(40..80) / 100,
                            _ => 0,
                        };
                        recovered = Some(got);
                        status = disputes::Status::Concluded;
                        ev.push(Ev {
                            on: end,
                            action: "conclude",
                            from: Some("in_progress"),
                            to: "concluded",
                            detail: format!("{{\"result\":\"{result}\"}}"),
                        });
                    } else if roll < 70 {
                        let a = claimed * rng.gen_range(50..90) / 100;
                        agreed = Some(a);
                        recovered = Some(a * rng.gen_range(80..=100) / 100);
                        outcome = Some("agreed");
                        status = disputes::Status::Agreed;
                        ev.push(Ev {
                            on: end,
                            action: "agree",
                            from: Some("in_progress"),
                            to: "agreed",
                            detail: "{}".into(),
                        });
                        if source == "court" && rng.gen_bool(0.5) && end + Duration::days(7) < today
                        {
                            confirmed = Some(end + Duration::days(7));
                            ev.push(Ev {
                                on: end + Duration::days(7),
                                action: "confirm",
                                from: Some("agreed"),
                                to: "agreed",
                                detail: "{}".into(),
                            });
                        }
                    } else if roll < 95 {
                        let r = if source == "arbitration" {
                            disputes::Referral::Arbitration
                        } else {
                            disputes::Referral::Court
                        };
                        outcome = Some(r.code());
                        referred = Some(r.label());
                        status = disputes::Status::NotAgreed;
                        ev.push(Ev {
                            on: end,
                            action: "fail",
                            from: Some("in_progress"),
                            to: "not_agreed",
                            detail: "{}".into(),
                        });
                    } else {
                        outcome = Some("withdrawn");
                        status = disputes::Status::Withdrawn;
                        ev.push(Ev {
                            on: end,
                            action: "withdraw",
                            from: Some("in_progress"),
                            to: "withdrawn",
                            detail: "{}".into(),
                        });
                    }
                }
            }
        }
        let version = ev.len() as i64 - 1;
        let unit = EMPLOYERS[rng.gen_range(0..EMPLOYERS.len())];
        drows
            .push(
                &mut tx,
                backend,
                vec![
                    id.into(),
                    kind.code().into(),
                    at.id.into(),
                    at.path.clone().into(),
                    source.into(),
                    (source == "court")
                        .then(|| format!("（{}）民初{}号", received.format("%Y"), 1000 + i))
                        .into(),
                    claim.into(),
                    claimed.into(),
                    unit.into(),
                    n_workers.into(),
                    format!(
                        "{}名劳动者与{}{}",
                        n_workers,
                        unit,
                        disputes::Claim::parse(claim)
                            .map(Named::label)
                            .unwrap_or("")
                    )
                    .into(),
                    received.to_string().into(),
                    due_on.map(|d| d.to_string()).into(),
                    advocate.into(),
                    assigned_on.map(|d: NaiveDate| d.to_string()).into(),
                    stage.into(),
                    sessions.into(),
                    outcome.into(),
                    agreed.into(),
                    recovered.into(),
                    referred.into(),
                    confirmed.map(|d: NaiveDate| d.to_string()).into(),
                    closed.map(|d: NaiveDate| d.to_string()).into(),
                    status.code().into(),
                    version.into(),
                    now.into(),
                    now.into(),
                ],
            )
            .await?;
        workers
            .push(
                &mut tx,
                backend,
                vec![new_id().into(), id.into(), V::NI, name(&mut rng).into()],
            )
            .await?;
        events(&mut evs, &mut tx, backend, "dispute", id, ev).await?;
        report.disputes += 1;
    }
    drows.flush(&mut tx, backend).await?;
    workers.flush(&mut tx, backend).await?;
    evs.flush(&mut tx, backend).await?;
    super::figures::rebuild_totals(&mut tx).await?;
    tx.commit().await?;
    db.tidy_after_rewrite(&[
        "petitions",
        "disputes",
        "case_events",
        "dispute_workers",
        "advocates",
    ])
    .await?;
    Ok(report)
}

/// Papers on the demo's recent letters and 12351 calls: a call record or the letter's text as
/// a file on the case, as a cadre would have attached it (`count` cases at most). Kept sealed
/// like any other attachment.
pub async fn attach_papers(db: &Db, keys: &crate::crypto::FieldKeys, count: i64) -> AppResult<u64> {
    use sha2::{Digest, Sha256};
    let cases: Vec<(i64, String, String, String, String)> = sqlx::query_as(&format!(
        "SELECT id, channel, category, received_on, summary FROM petitions \
         WHERE channel IN ('hotline', 'letter') ORDER BY received_on DESC, id LIMIT {count}"
    ))
    .fetch_all(db.pool())
    .await?;
    let backend = db.backend();
    let mut tx = db.begin_write().await?;
    let mut files = Bulk::new(
        "attachments",
        &[
            "id",
            "owner_type",
            "owner_id",
            "file_name",
            "mime",
            "size_bytes",
            "sha256",
            "content",
            "uploaded_at",
            "uploaded_by",
        ],
    );
    for (id, channel, category, received_on, summary) in &cases {
        let (file_name, title) = if channel == "hotline" {
            ("12351来电记录.txt", "12351职工服务热线来电记录")
        } else {
            ("来信摘录.txt", "职工来信摘录")
        };
        let category = petitions::Category::parse(category)
            .map(Named::label)
            .unwrap_or("其他");
        let text = format!(
            "{title}\r\n日期：{received_on}\r\n事项：{category}\r\n内容：{summary}\r\n（演示数据）\r\n"
        );
        let at = crate::types::parse_date(received_on)
            .ok()
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .map_or(0, |t| t.and_utc().timestamp_millis());
        files
            .push_row(
                &mut tx,
                backend,
                vec![
                    Val::I(new_id()),
                    Val::T(Some("petition".into())),
                    Val::I(*id),
                    Val::T(Some(file_name.into())),
                    Val::T(Some("text/plain".into())),
                    Val::I(text.len() as i64),
                    Val::T(Some(hex::encode(Sha256::digest(text.as_bytes())))),
                    Val::B(Some(keys.encrypt_bytes(text.as_bytes()))),
                    Val::I(at),
                    Val::T(Some("演示数据".into())),
                ],
            )
            .await?;
    }
    files.flush(&mut tx, backend).await?;
    tx.commit().await?;
    Ok(cases.len() as u64)
}
