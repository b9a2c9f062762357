//! One migration set for both backends. Each migration is SQL written once; `{blob}` becomes
//! BLOB/BYTEA and `{c}` pins byte-wise ("C") collation on PostgreSQL for columns compared by
//! range (materialised paths, ISO dates, pinyin), which SQLite does by default.

use sqlx::Executor;

use super::{Backend, Db};
use crate::error::{AppError, AppResult};

struct Migration {
    version: i64,
    name: &'static str,
    /// Portable statements separated by `;`.
    sql: &'static str,
    /// Whole statements (which may contain `;`) for one backend only, e.g. triggers.
    sqlite_only: &'static [&'static str],
    postgres_only: &'static [&'static str],
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "registry",
        sql: V1_REGISTRY,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 2,
        name: "access and audit",
        sql: V2_ACCESS,
        sqlite_only: V2_SQLITE_TRIGGERS,
        postgres_only: V2_POSTGRES_TRIGGERS,
    },
    Migration {
        version: 3,
        name: "console: narrowed scope, transfers awaiting acceptance",
        sql: V3_CONSOLE,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 4,
        name: "console lists: members by employer, members in union order",
        sql: V4_CONSOLE_INDEXES,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 5,
        name: "statistics totals of the federation levels",
        sql: V5_STAT_TOTALS,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 6,
        name: "member lists sorted by join date",
        sql: "CREATE INDEX IF NOT EXISTS members_joined ON members(joined_on, id)",
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 7,
        name: "ended memberships index holds ended memberships only",
        sql: V7_ENDED_ONLY,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 8,
        name: "audit trail: sealed chain head and archive records",
        sql: V8_AUDIT_SEALS,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 9,
        name: "accounts: approval by the security administrator, initial password in two halves",
        sql: V9_ACCOUNT_APPROVAL,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 10,
        name: "search: ID number tails, mobile tails, pinyin of unions and employers, ü as v; retirements in the statistics totals",
        sql: V10_SEARCH,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 11,
        name: "union officers; who imported what, and its error report",
        sql: V11_OFFICERS,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 12,
        name: "casework: petitions, disputes (mediation, legal aid), the roster, case histories",
        sql: V12_CASEWORK,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 13,
        name: "attachments of records (a case's papers)",
        sql: V13_ATTACHMENTS,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 14,
        name: "money ledger (accounts, balanced postings, lines in fen)",
        sql: V14_LEDGER,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 15,
        name: "hardship files, aid campaigns with review chains, public notice and payout batches",
        sql: V15_AID,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 16,
        name: "medical mutual aid: plans, enrolments per employer and term, enrolled members, claims",
        sql: V16_MUTUAL_AID,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 17,
        name: "union funds: tax-collected receipts, refund policies and refunds to small firms, grants",
        sql: V17_FUNDS,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 18,
        name: "ledger: each account's movement per month, for balances at an earlier date",
        sql: V18_LEDGER_MONTHS,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 19,
        name: "collective contracts, offers to bargain, democratic management, employers' headcount history",
        sql: V19_CONTRACTS,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 20,
        name: "activities: sessions, sign-ups and check-ins",
        sql: V20_ACTIVITIES,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 21,
        name: "activities: spending against the budget, competitions (trades, entrants, scores, awards)",
        sql: V21_SPENDING_CONTESTS,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 22,
        name: "honours: nominations, review, public notice, awards and care for model workers",
        sql: V22_HONOURS,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 23,
        name: "innovation: studios, 五小 / inventions / proposals, 名师带徒 pairs, 揭榜挂帅 projects",
        sql: V23_INNOVATION,
        sqlite_only: &[],
        postgres_only: &[],
    },
    Migration {
        version: 24,
        name: "field research: tasks, visits and symposia, questionnaires and answers, the issue ledger",
        sql: V24_RESEARCH,
        sqlite_only: &[],
        postgres_only: &[],
    },
];

/// Field research (调研) and its issue ledger (问题台账).
///
/// `research_tasks`: a research task of a union (`org_path`), running `starts_on`…`ends_on`,
/// concluded with a summary. `research_visits`: a visit to an employer (`unit_id`) or a
/// symposium (座谈会) held for a task, with how many took part; `org_path` is the task's.
/// `questionnaires`: a questionnaire of a task, open `opens_on`…`closes_on` to the members of the
/// task's union's subtree, its single-choice questions as JSON. `questionnaire_answers`: one per
/// member (the primary key), the chosen option of each question as JSON; `org_path` is the
/// task's, so answers count under the union that asked.
///
/// `research_issues`: a problem found (by a task, or raised on its own), with the union that owns
/// its rectification (`org_path`), the person in charge, a due day (`due_on`) and a status
/// (整改中 `rectifying`, 已整改 `rectified` with the day and the measures); overdue is read from
/// the due day, never stored.
const V24_RESEARCH: &str = r#"
CREATE TABLE research_tasks (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    title TEXT NOT NULL,
    purpose TEXT NOT NULL,
    starts_on TEXT {c} NOT NULL,
    ends_on TEXT NOT NULL,
    status TEXT NOT NULL,
    summary TEXT,
    concluded_on TEXT,
    version BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX research_tasks_path ON research_tasks(org_path, starts_on);
CREATE TABLE research_visits (
    id {pk},
    task_id BIGINT NOT NULL REFERENCES research_tasks(id),
    org_path TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    unit_id BIGINT REFERENCES units(id),
    held_on TEXT {c} NOT NULL,
    people BIGINT NOT NULL DEFAULT 0,
    notes TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX research_visits_task ON research_visits(task_id, held_on);
CREATE INDEX research_visits_path ON research_visits(org_path, held_on);
CREATE TABLE questionnaires (
    id {pk},
    task_id BIGINT NOT NULL REFERENCES research_tasks(id),
    org_path TEXT {c} NOT NULL,
    title TEXT NOT NULL,
    questions TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX questionnaires_task ON questionnaires(task_id);
CREATE TABLE questionnaire_answers (
    questionnaire_id BIGINT NOT NULL REFERENCES questionnaires(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    org_path TEXT {c} NOT NULL,
    answered_on TEXT {c} NOT NULL,
    answers TEXT NOT NULL,
    PRIMARY KEY (questionnaire_id, member_id)
);
CREATE INDEX questionnaire_answers_path ON questionnaire_answers(org_path, answered_on);
CREATE TABLE research_issues (
    id {pk},
    task_id BIGINT REFERENCES research_tasks(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    owner TEXT NOT NULL,
    raised_on TEXT {c} NOT NULL,
    due_on TEXT {c} NOT NULL,
    status TEXT NOT NULL,
    rectified_on TEXT {c},
    measures TEXT,
    version BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX research_issues_path ON research_issues(org_path, raised_on);
CREATE INDEX research_issues_task ON research_issues(task_id)
"#;

/// Innovation (职工创新).
///
/// `innovation_studios`: a 劳模工匠创新工作室 of a union (`org_path`, the leader's union), hosted
/// by an employer (`unit_id`), named at a `level` by a union of the platform (`named_by_id`,
/// `named_path`) or by a body outside it (`named_body` only); `once_key` (union, name, level)
/// while it stands, so one studio is not named twice at one level.
///
/// `innovation_people`: who belongs to a studio, an achievement or a project's team (`owner_id`
/// is the studio's, the achievement's or the project's id), with a role (`leader`, `member`,
/// `author`); once each.
///
/// `innovation_achievements`: a 五小 innovation, an invention or a rationalisation proposal
/// (`kind`) put forward by members (`lead_id` the first author; all in `innovation_people`) of
/// the first author's union (`org_path`), maybe from a studio; decided
/// (`adopted` or `declined` on `decided_on`) and, once adopted, put into use (`implemented_on`)
/// with the benefit it brought in fen (`benefit_fen`).
///
/// `mentor_pairs`: a 名师带徒 pair of two members (`mentor_id`, `apprentice_id`) signed by a union
/// on `starts_on` for a trade until `ends_on`; closed as 出师 (`graduated`) or ended early.
/// `once_key` (mentor, apprentice) is set while the pair is open, so it is not signed twice.
///
/// `innovation_projects`: a 揭榜挂帅 project put up by a union (`org_path`) for an employer's
/// problem with a reward, taken by a studio or a member's team (`taken_on`, `studio_id`,
/// `leader_id`), due by `due_on`, then completed with its benefit, or failed, or withdrawn.
const V23_INNOVATION: &str = r#"
CREATE TABLE innovation_studios (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    unit_id BIGINT REFERENCES units(id),
    name TEXT NOT NULL,
    field TEXT NOT NULL,
    leader_id BIGINT NOT NULL REFERENCES members(id),
    level TEXT NOT NULL,
    named_by_id BIGINT REFERENCES orgs(id),
    named_path TEXT {c},
    named_body TEXT NOT NULL,
    named_on TEXT {c} NOT NULL,
    document_no TEXT,
    status TEXT NOT NULL,
    revoked_on TEXT,
    revoke_reason TEXT,
    once_key TEXT,
    version BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX innovation_studios_once ON innovation_studios(once_key);
CREATE INDEX innovation_studios_path ON innovation_studios(org_path, named_on);
CREATE TABLE innovation_people (
    owner_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    role TEXT NOT NULL,
    joined_on TEXT NOT NULL,
    PRIMARY KEY (owner_id, member_id)
);
CREATE INDEX innovation_people_member ON innovation_people(member_id);
CREATE TABLE innovation_achievements (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    unit_id BIGINT REFERENCES units(id),
    studio_id BIGINT REFERENCES innovation_studios(id),
    lead_id BIGINT NOT NULL REFERENCES members(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    submitted_on TEXT {c} NOT NULL,
    status TEXT NOT NULL,
    decided_on TEXT {c},
    decided_by TEXT,
    decline_reason TEXT,
    implemented_on TEXT {c},
    benefit_fen BIGINT NOT NULL DEFAULT 0,
    patent_no TEXT,
    version BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX innovation_achievements_path ON innovation_achievements(org_path, submitted_on);
CREATE INDEX innovation_achievements_studio ON innovation_achievements(studio_id);
CREATE TABLE mentor_pairs (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    mentor_id BIGINT NOT NULL REFERENCES members(id),
    apprentice_id BIGINT NOT NULL REFERENCES members(id),
    trade TEXT NOT NULL,
    starts_on TEXT {c} NOT NULL,
    ends_on TEXT NOT NULL,
    status TEXT NOT NULL,
    closed_on TEXT {c},
    outcome TEXT,
    once_key TEXT,
    version BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mentor_pairs_once ON mentor_pairs(once_key);
CREATE INDEX mentor_pairs_path ON mentor_pairs(org_path, starts_on);
CREATE INDEX mentor_pairs_apprentice ON mentor_pairs(apprentice_id);
CREATE TABLE innovation_projects (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    unit_id BIGINT REFERENCES units(id),
    title TEXT NOT NULL,
    challenge TEXT NOT NULL,
    reward_fen BIGINT NOT NULL DEFAULT 0,
    posted_on TEXT {c} NOT NULL,
    apply_by TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    studio_id BIGINT REFERENCES innovation_studios(id),
    leader_id BIGINT REFERENCES members(id),
    taken_on TEXT,
    closed_on TEXT {c},
    benefit_fen BIGINT NOT NULL DEFAULT 0,
    outcome TEXT,
    version BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX innovation_projects_path ON innovation_projects(org_path, posted_on)
"#;

/// Honours (劳动模范, 五一劳动奖章, 工人先锋号, 工匠 …).
///
/// `honours`: one per nomination or recorded honour, on the books of the honouree's union
/// (`org_path`: the member's union, the employer's covering union, or the union honoured) so a
/// subtree sees its own people's honours. `awarding_org_id`/`awarding_path` is the union that
/// grants it (an ancestor of `org_path`, or the union itself); both are null for an honour
/// granted outside the platform and recorded here (全国劳模 by the State Council). A nomination is
/// reviewed up the chain in `reviews` (`review_path` the level deciding now), shown in public
/// (`notice_until`, objections in `notice_objections`), then awarded (`awarded_on`,
/// `document_no`); an awarded honour may be revoked. `once_key` (honouree, title, year) is set
/// while a nomination or honour stands, so the same person is not put up twice for one title in
/// one year, even by two cadres at once. `holder` names the honouree (`m:` a member, `u:` an
/// employer's collective, `o:` a union's) so persons and collectives are counted once each.
///
/// `notice_objections`: objections raised during a public notice (公示), of any kind of record
/// (`subject_type`, `subject_id`); a notice ends only with none open.
///
/// `honour_care`: care for an honoured person (yearly health check, visits, allowances) by a
/// union (`org_path`); an allowance is posted in the union's ledger (`posting_id`), undone by a
/// reversal (`reversal_posting`).
const V22_HONOURS: &str = r#"
CREATE TABLE honours (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    awarding_org_id BIGINT REFERENCES orgs(id),
    awarding_path TEXT {c},
    awarding_body TEXT NOT NULL,
    title_kind TEXT NOT NULL,
    title TEXT NOT NULL,
    level TEXT NOT NULL,
    year BIGINT NOT NULL,
    subject TEXT NOT NULL,
    holder TEXT NOT NULL,
    member_id BIGINT REFERENCES members(id),
    unit_id BIGINT REFERENCES units(id),
    collective_name TEXT,
    deeds TEXT NOT NULL,
    nominated_on TEXT {c} NOT NULL,
    review_path TEXT {c},
    notice_until TEXT,
    objections_open BIGINT NOT NULL DEFAULT 0,
    awarded_on TEXT {c},
    document_no TEXT,
    revoked_on TEXT,
    revoke_reason TEXT,
    once_key TEXT,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX honours_once ON honours(once_key);
CREATE INDEX honours_path ON honours(org_path, awarded_on);
CREATE INDEX honours_review ON honours(status, review_path);
CREATE INDEX honours_member ON honours(member_id);
CREATE INDEX honours_awarding ON honours(awarding_path, status);
CREATE TABLE notice_objections (
    id {pk},
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    raised_on TEXT NOT NULL,
    raised_by TEXT NOT NULL,
    text TEXT NOT NULL,
    resolution TEXT,
    resolution_note TEXT,
    resolved_by TEXT,
    resolved_at BIGINT
);
CREATE INDEX notice_objections_subject ON notice_objections(subject_type, subject_id);
CREATE TABLE honour_care (
    id {pk},
    honour_id BIGINT NOT NULL REFERENCES honours(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    cared_on TEXT {c} NOT NULL,
    amount_fen BIGINT NOT NULL DEFAULT 0,
    note TEXT,
    posting_id BIGINT,
    reversal_posting BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX honour_care_path ON honour_care(org_path, cared_on, kind);
CREATE INDEX honour_care_honour ON honour_care(honour_id, cared_on)
"#;

/// Activities' money and competitions.
///
/// `activities.budget_account`: the ledger account holding what is left of the activity's
/// budget (funded from the union's activity fund when the activity is set up).
/// `activity_spending`: each payment charged to an activity, posted from its budget to the
/// union's activity spending; `reversal_posting` is set when it was undone.
///
/// `contest_trades`: the events of a competition (工种 or 项目), each held on a day, for members
/// or for teams. `contest_entrants`: a member or a team entered in one event, once (the unique
/// indexes), with the score in hundredths of a point once marked; ranks are read from the scores.
/// `contest_awards`: an award (技术能手, 团体奖 …) to an entrant, with its level and the body
/// that grants it; an entrant gets a title once.
///
/// `activity_reach`: per federation-level union, day and kind, the sessions, guests,
/// check-ins, competition events, member entrants and teams, and bitmaps of the activities,
/// members and competitions reached (`activities::reach`), so 人
/// and 项 over a period are unions of a few thousand small bitmaps, not distinct counts over
/// millions of check-ins. `activity_numbers` gives members and activities the small dense
/// numbers the bitmaps hold (`activity_number_next` the last one given). Filled from the rows here.
const V21_SPENDING_CONTESTS: &str = r#"
ALTER TABLE activities ADD COLUMN budget_account BIGINT;
CREATE TABLE activity_spending (
    id {pk},
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    org_path TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    spent_on TEXT {c} NOT NULL,
    amount_fen BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    payee TEXT,
    posting_id BIGINT NOT NULL,
    reversal_posting BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX activity_spending_activity ON activity_spending(activity_id, spent_on);
CREATE INDEX activity_spending_path ON activity_spending(org_path, spent_on, kind);
CREATE TABLE contest_trades (
    id {pk},
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    org_path TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    teams BIGINT NOT NULL DEFAULT 0,
    held_on TEXT {c} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contest_trades_name ON contest_trades(activity_id, name);
CREATE INDEX contest_trades_path ON contest_trades(org_path, held_on);
CREATE TABLE contest_entrants (
    id {pk},
    trade_id BIGINT NOT NULL REFERENCES contest_trades(id),
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    org_path TEXT {c} NOT NULL,
    held_on TEXT {c} NOT NULL,
    member_id BIGINT REFERENCES members(id),
    team_name TEXT,
    kind TEXT NOT NULL,
    employer TEXT,
    score_centi BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contest_entrants_member ON contest_entrants(trade_id, member_id);
CREATE UNIQUE INDEX contest_entrants_team ON contest_entrants(trade_id, team_name);
CREATE INDEX contest_entrants_path ON contest_entrants(org_path, held_on, member_id);
CREATE TABLE contest_awards (
    id {pk},
    entrant_id BIGINT NOT NULL REFERENCES contest_entrants(id),
    trade_id BIGINT NOT NULL REFERENCES contest_trades(id),
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    org_path TEXT {c} NOT NULL,
    awarded_on TEXT {c} NOT NULL,
    title TEXT NOT NULL,
    level TEXT NOT NULL,
    awarding_body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contest_awards_once ON contest_awards(entrant_id, title);
CREATE INDEX contest_awards_path ON contest_awards(org_path, awarded_on, level, title);
CREATE INDEX contest_awards_trade ON contest_awards(trade_id);
CREATE TABLE activity_number_next (
    kind TEXT PRIMARY KEY,
    last_num BIGINT NOT NULL
);
INSERT INTO activity_number_next (kind, last_num) VALUES ('member', 0), ('activity', 0);
CREATE TABLE activity_numbers (
    kind TEXT NOT NULL,
    ref_id BIGINT NOT NULL,
    num BIGINT NOT NULL,
    PRIMARY KEY (kind, ref_id)
);
CREATE TABLE activity_reach (
    org_id BIGINT NOT NULL,
    day TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    sessions BIGINT NOT NULL,
    guests BIGINT NOT NULL,
    checkins BIGINT NOT NULL,
    trades BIGINT NOT NULL,
    entrants BIGINT NOT NULL,
    teams BIGINT NOT NULL,
    activities {blob} NOT NULL,
    members {blob} NOT NULL,
    contests {blob} NOT NULL,
    PRIMARY KEY (org_id, day, kind)
)
"#;

/// Activities (职工活动): competitions, trainings, lectures, events, visits, job fairs.
///
/// `activities`: one per activity, on the books of the organising union; `eligible_path` is
/// the subtree whose members may take part and `eligible_group` a 新就业形态 group they must
/// belong to; `signups` counts `activity_signups` so a capacity holds under concurrent
/// sign-ups (one conditional update). `activity_sessions`: each 场次 held, on one day, with
/// its check-in code (shown as a QR) and the guests head-counted at the door.
/// `activity_checkins`: a member present at a session, once per session (the key), with the
/// activity's path, kind and the session's day copied so 人次 and 人 of a subtree and period
/// are one index range.
const V20_ACTIVITIES: &str = r#"
CREATE TABLE activities (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    partners TEXT,
    place TEXT,
    starts_on TEXT {c} NOT NULL,
    ends_on TEXT {c} NOT NULL,
    capacity BIGINT,
    signups BIGINT NOT NULL DEFAULT 0,
    eligible_path TEXT {c} NOT NULL,
    eligible_group TEXT,
    budget_fen BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX activities_path ON activities(org_path, starts_on);
CREATE INDEX activities_open ON activities(status, eligible_path, ends_on);
CREATE TABLE activity_sessions (
    id {pk},
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    org_path TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    held_on TEXT {c} NOT NULL,
    title TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    guests BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX activity_sessions_path ON activity_sessions(org_path, held_on, kind);
CREATE INDEX activity_sessions_activity ON activity_sessions(activity_id, held_on);
CREATE TABLE activity_signups (
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    org_path TEXT {c} NOT NULL,
    signed_at BIGINT NOT NULL,
    PRIMARY KEY (activity_id, member_id)
);
CREATE INDEX activity_signups_member ON activity_signups(member_id);
CREATE TABLE activity_checkins (
    session_id BIGINT NOT NULL REFERENCES activity_sessions(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    org_path TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    held_on TEXT {c} NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, member_id)
);
CREATE INDEX activity_checkins_path ON activity_checkins(org_path, held_on, kind, member_id);
CREATE INDEX activity_checkins_activity ON activity_checkins(activity_id, member_id);
CREATE INDEX activity_checkins_member ON activity_checkins(member_id, held_on)
"#;

/// Collective contracts (集体合同) and democratic management.
///
/// `unit_headcounts`: an employer's headcount over time, one row per interval (`to_on`
/// 9999-12-31 while current); the registry writes a new interval when the count changes. The
/// first known count stands for every earlier day (the registry knows none before it). Coverage
/// counts employees from the headcount at the date asked.
///
/// `contracts`: one per contract, on the books of the union that files it; `valid_from` and
/// `valid_to` are the days it is in force (from the later of its start and the day it took
/// effect, to the earlier of its end and the day it was ended; `valid_from` 9999-12-31 while
/// not in force). `contract_units`: each employer a contract covers, with the contract's kind,
/// scope and days in force copied so coverage at a date is one index range; `org_path` is where
/// the employer is counted (its union, or the filing union when it has none).
/// `contract_reminders`: an expiry reminder fired once per contract and lead time.
///
/// `bargain_campaigns` / `bargain_offers`: a campaign's target employers, each an offer row
/// (`target` until sent; sent → accepted or declined, the answer due 20 days after sending).
///
/// `congresses` (职代会 or 职工大会 sessions) with their `congress_motions` (提案),
/// `disclosures` (厂务公开 items) and `democracy_checks` (the yearly checklist per employer,
/// with who confirmed it).
const V19_CONTRACTS: &str = r#"
CREATE TABLE unit_headcounts (
    unit_id BIGINT NOT NULL REFERENCES units(id),
    from_on TEXT {c} NOT NULL,
    to_on TEXT {c} NOT NULL,
    employee_count BIGINT NOT NULL,
    PRIMARY KEY (unit_id, from_on)
);
INSERT INTO unit_headcounts (unit_id, from_on, to_on, employee_count)
SELECT id, '0001-01-01', '9999-12-31', employee_count FROM units;
CREATE TABLE contracts (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    kind_note TEXT,
    scope TEXT NOT NULL,
    union_side TEXT NOT NULL,
    employer_side TEXT NOT NULL,
    starts_on TEXT {c} NOT NULL,
    ends_on TEXT {c} NOT NULL,
    prev_avg_wage_fen BIGINT,
    raise_bp BIGINT,
    lowest_wage_fen BIGINT,
    min_wage_fen BIGINT,
    vote_body TEXT,
    vote_on TEXT {c},
    delegates BIGINT,
    present BIGINT,
    votes_for BIGINT,
    votes_against BIGINT,
    signed_on TEXT {c},
    filed_on TEXT {c},
    decided_on TEXT {c},
    objection TEXT,
    effective_on TEXT {c},
    ended_on TEXT {c},
    end_reason TEXT,
    valid_from TEXT {c} NOT NULL,
    valid_to TEXT {c} NOT NULL,
    status TEXT NOT NULL,
    renews BIGINT,
    offer_id BIGINT,
    employers BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX contracts_path ON contracts(org_path, status);
CREATE INDEX contracts_valid ON contracts(valid_from, valid_to, org_path, kind, scope);
CREATE INDEX contracts_signed ON contracts(signed_on, org_path);
CREATE INDEX contracts_start ON contracts(starts_on, org_path);
CREATE INDEX contracts_ends ON contracts(ends_on, status, org_path);
CREATE TABLE contract_units (
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    org_path TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    valid_from TEXT {c} NOT NULL,
    valid_to TEXT {c} NOT NULL,
    PRIMARY KEY (contract_id, unit_id)
);
CREATE INDEX contract_units_unit ON contract_units(unit_id, kind, valid_from);
CREATE INDEX contract_units_path ON contract_units(org_path, valid_to, valid_from, kind, unit_id);
CREATE INDEX contract_units_day ON contract_units(valid_from, valid_to, org_path, kind, unit_id);
CREATE TABLE contract_reminders (
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    days_before BIGINT NOT NULL,
    org_path TEXT {c} NOT NULL,
    fired_on TEXT {c} NOT NULL,
    ends_on TEXT {c} NOT NULL,
    PRIMARY KEY (contract_id, days_before)
);
CREATE INDEX contract_reminders_path ON contract_reminders(org_path, ends_on);
CREATE TABLE bargain_campaigns (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    name TEXT NOT NULL,
    starts_on TEXT {c} NOT NULL,
    ends_on TEXT {c} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bargain_campaigns_path ON bargain_campaigns(org_path, starts_on);
CREATE TABLE bargain_offers (
    id {pk},
    campaign_id BIGINT NOT NULL REFERENCES bargain_campaigns(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    org_path TEXT {c} NOT NULL,
    status TEXT NOT NULL,
    sent_on TEXT {c},
    due_on TEXT {c},
    answered_on TEXT {c},
    reason TEXT,
    updated_by TEXT,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX bargain_offers_unit ON bargain_offers(campaign_id, unit_id);
CREATE INDEX bargain_offers_path ON bargain_offers(org_path, campaign_id, status);
CREATE TABLE congresses (
    id {pk},
    unit_id BIGINT NOT NULL REFERENCES units(id),
    org_path TEXT {c} NOT NULL,
    kind TEXT NOT NULL,
    session TEXT NOT NULL,
    held_on TEXT {c} NOT NULL,
    delegates BIGINT NOT NULL,
    present BIGINT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX congresses_unit ON congresses(unit_id, held_on);
CREATE TABLE congress_motions (
    id {pk},
    congress_id BIGINT NOT NULL REFERENCES congresses(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    title TEXT NOT NULL,
    proposer TEXT,
    status TEXT NOT NULL,
    handling TEXT,
    updated_by TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX congress_motions_congress ON congress_motions(congress_id);
CREATE TABLE disclosures (
    id {pk},
    unit_id BIGINT NOT NULL REFERENCES units(id),
    org_path TEXT {c} NOT NULL,
    year BIGINT NOT NULL,
    item TEXT NOT NULL,
    channel TEXT NOT NULL,
    frequency TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX disclosures_unit ON disclosures(unit_id, year);
CREATE TABLE democracy_checks (
    unit_id BIGINT NOT NULL REFERENCES units(id),
    year BIGINT NOT NULL,
    org_path TEXT {c} NOT NULL,
    congress BIGINT NOT NULL,
    disclosure BIGINT NOT NULL,
    supervision BIGINT NOT NULL,
    grievance BIGINT NOT NULL,
    note TEXT,
    confirmed_by TEXT NOT NULL,
    confirmed_on TEXT {c} NOT NULL,
    PRIMARY KEY (unit_id, year)
);
CREATE INDEX democracy_checks_path ON democracy_checks(year, org_path, congress, disclosure)
"#;

/// `ledger_month_moves`: what each account moved in each month (`month` as YYYYMM by the
/// posting's date), kept by `ledger::post` in the posting's transaction and checked against
/// the lines by `ledger verify`. A balance at an earlier date is the months before it plus
/// the lines of its own month, never a scan of every line since the books began. Filled here
/// from the lines already posted.
///
/// Also indexes by day first (covering what the figures read) for the tables a federation's
/// yearly figures scan: at the top of the hierarchy every path is in the subtree, so the
/// path-first indexes read every row ever written; the planner picks by subtree and period.
/// A batch's waiting lines are read in id order, 500 at a time: the batch index now gives that
/// order (without it PostgreSQL walked every payout ever made for each chunk).
const V18_LEDGER_MONTHS: &str = r#"
CREATE INDEX ledger_postings_on ON ledger_postings(posted_on, org_path);
CREATE INDEX fund_receipts_day ON fund_receipts(received_on, org_path, unit_id, amount_fen);
CREATE INDEX mutual_claims_day ON mutual_claims(paid_on, org_path, status, payable_fen);
DROP INDEX aid_payouts_batch;
CREATE INDEX aid_payouts_batch ON aid_payouts(batch_id, status, id);
CREATE TABLE ledger_month_moves (
    account_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    PRIMARY KEY (account_id, month)
);
INSERT INTO ledger_month_moves (account_id, month, amount_fen)
SELECT l.account_id, CAST(substr(p.posted_on, 1, 4) AS BIGINT) * 100 + CAST(substr(p.posted_on, 6, 2) AS BIGINT), SUM(l.amount_fen)
FROM ledger_lines l JOIN ledger_postings p ON p.id = l.posting_id
GROUP BY l.account_id, CAST(substr(p.posted_on, 1, 4) AS BIGINT) * 100 + CAST(substr(p.posted_on, 6, 2) AS BIGINT)
"#;

/// Union funds (工会经费). `fund_receipts`: the 2% fund the tax bureau collected from an
/// employer for a month (所属期 `period`, YYYY-MM), on the books of the union that imported it
/// (`books_org_id`), counted where the employer belongs (`org_path`: its union, or the books'
/// union when it has none). One line per employer and month: the unique index refuses the same
/// line twice. `refund_id` is set when a refund takes the line, so a line is refunded once.
/// `fund_policies`: a federation's refund policy for a year (share refunded, the largest
/// employer, whether a union is required). `fund_refunds`: one per employer and computation,
/// computed → approved (posted to refunds payable) → paid (posted to refunds paid, and income
/// on the employer union's books), or cancelled (its receipts freed). `fund_grants`: money a
/// union grants to a union below it, posted on both books.
const V17_FUNDS: &str = r#"
CREATE TABLE fund_receipts (
    id {pk},
    unit_id BIGINT NOT NULL REFERENCES units(id),
    books_org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    period TEXT {c} NOT NULL,
    amount_fen BIGINT NOT NULL,
    wage_base_fen BIGINT,
    voucher_no TEXT,
    received_on TEXT {c} NOT NULL,
    posting_id BIGINT NOT NULL,
    refund_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX fund_receipts_line ON fund_receipts(unit_id, period);
CREATE INDEX fund_receipts_path ON fund_receipts(org_path, received_on);
CREATE INDEX fund_receipts_books ON fund_receipts(books_org_id, period);
CREATE TABLE fund_policies (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    year BIGINT NOT NULL,
    refund_pct BIGINT NOT NULL,
    max_employees BIGINT,
    requires_union BIGINT NOT NULL,
    note TEXT,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX fund_policies_year ON fund_policies(org_id, year);
CREATE TABLE fund_refunds (
    id {pk},
    policy_id BIGINT NOT NULL REFERENCES fund_policies(id),
    books_org_id BIGINT NOT NULL REFERENCES orgs(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    org_path TEXT {c} NOT NULL,
    period_from TEXT {c} NOT NULL,
    period_to TEXT {c} NOT NULL,
    lines BIGINT NOT NULL,
    receipts_fen BIGINT NOT NULL,
    refund_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    computed_by TEXT NOT NULL,
    approved_by TEXT,
    approve_posting BIGINT,
    pay_posting BIGINT,
    paid_on TEXT {c},
    cancel_reason TEXT,
    version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX fund_refunds_paid ON fund_refunds(org_path, paid_on);
CREATE INDEX fund_refunds_books ON fund_refunds(books_org_id, status);
CREATE TABLE fund_grants (
    id {pk},
    from_org_id BIGINT NOT NULL REFERENCES orgs(id),
    to_org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    amount_fen BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    granted_on TEXT {c} NOT NULL,
    from_posting BIGINT NOT NULL,
    to_posting BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX fund_grants_path ON fund_grants(org_path, granted_on)
"#;

/// Medical mutual aid (职工医疗互助): a union's plan for a term (contribution per person,
/// deductible, reimbursed share, cap per person), its pool an account in the ledger. An
/// employer enrols once per plan (`unit_members` is its active members then, `enrolled` those
/// enrolled; below the plan's share only with `override_reason`); each enrolled member is a row
/// of `mutual_enrollees`, unique per plan, whose `claimed_fen` is moved by one conditional update
/// per claim so that two claims at once cannot pass the cap together. Claims go up the shared
/// review chain and are paid from the pool when approved.
const V16_MUTUAL_AID: &str = r#"
CREATE TABLE mutual_plans (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    name TEXT NOT NULL,
    term_start TEXT {c} NOT NULL,
    term_end TEXT {c} NOT NULL,
    contribution_fen BIGINT NOT NULL,
    deductible_fen BIGINT NOT NULL,
    share_pct BIGINT NOT NULL,
    cap_fen BIGINT NOT NULL,
    min_share_pct BIGINT NOT NULL,
    review_kinds TEXT NOT NULL,
    pool_account BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mutual_plans_path ON mutual_plans(org_path);
CREATE TABLE mutual_enrolments (
    id {pk},
    plan_id BIGINT NOT NULL REFERENCES mutual_plans(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    unit_members BIGINT NOT NULL,
    enrolled BIGINT NOT NULL,
    override_reason TEXT,
    contribution_fen BIGINT NOT NULL,
    posting_id BIGINT NOT NULL,
    enrolled_on TEXT {c} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mutual_enrolments_unit ON mutual_enrolments(plan_id, unit_id);
CREATE INDEX mutual_enrolments_path ON mutual_enrolments(org_path, enrolled_on);
CREATE TABLE mutual_enrollees (
    id {pk},
    enrolment_id BIGINT NOT NULL REFERENCES mutual_enrolments(id),
    plan_id BIGINT NOT NULL REFERENCES mutual_plans(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    claimed_fen BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX mutual_enrollees_member ON mutual_enrollees(plan_id, member_id);
CREATE INDEX mutual_enrollees_enrolment ON mutual_enrollees(enrolment_id);
CREATE TABLE mutual_claims (
    id {pk},
    plan_id BIGINT NOT NULL REFERENCES mutual_plans(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    illness TEXT NOT NULL,
    occurred_on TEXT {c} NOT NULL,
    expense_fen BIGINT NOT NULL,
    payable_fen BIGINT NOT NULL,
    review_path TEXT {c},
    status TEXT NOT NULL,
    paid_on TEXT {c},
    posting_id BIGINT,
    version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX mutual_claims_member ON mutual_claims(plan_id, member_id);
CREATE INDEX mutual_claims_paid ON mutual_claims(org_path, paid_on)
"#;

/// Hardship files (困难职工档案): a household (`hardship_files`) with its persons
/// (`hardship_persons`, members linked, others protected like members). `active_key` is the
/// person's ID-number blind index (hex) while the file is active and NULL after exit: its
/// unique index makes "one active file per person" hold whatever route writes. The tier is
/// computed against the local 低保 line of the region and year (`hardship_lines`: monthly fen
/// per person; the 相对困难 multiple and the 意外致困 share in percent, per region and year).
///
/// Aid campaigns (送温暖 …) own a budget account in the ledger; applications name the member,
/// the amount (cash, or the value of goods) and move up the campaign's review chain
/// (`reviews`: one row per level, shared by every module that reviews), then through the
/// public notice (`notice_until`, objections in `aid_objections`). `once_key` (campaign and
/// member) is set while an application counts against "once per campaign": its unique index
/// stops a second one even when two arrive at once. A payout batch reserves its total from the
/// budget (one posting); each line is paid (posted from the reserve to money paid out) or
/// failed, retried or cancelled (the reserve returned); an application is in one line only.
/// The aid figures read the paid lines of a period through `aid_payouts_figures`, which holds
/// every column they count, so no row is looked up. For a federation-level union and a period
/// from 1 January they read running totals instead: `aid_totals` per union, campaign (0: all)
/// and day — lines paid, fen, and persons and households whose first paid line of the year (in
/// the campaign, or in any) in the union's subtree is that day; `aid_firsts` keeps each such
/// first day (`kind` p: a member, h: a hardship file).
const V15_AID: &str = r#"
CREATE TABLE hardship_lines (
    id {pk},
    region_code TEXT {c} NOT NULL,
    year BIGINT NOT NULL,
    line_fen BIGINT NOT NULL,
    relative_pct BIGINT NOT NULL,
    sudden_pct BIGINT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX hardship_lines_region_year ON hardship_lines(region_code, year);
CREATE TABLE hardship_files (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    region_code TEXT NOT NULL,
    assessed_year BIGINT NOT NULL,
    household_size BIGINT NOT NULL,
    income_fen BIGINT NOT NULL,
    rigid_fen BIGINT NOT NULL,
    sudden_fen BIGINT NOT NULL,
    tier TEXT NOT NULL,
    tier_reason TEXT NOT NULL,
    causes TEXT NOT NULL,
    plan TEXT NOT NULL,
    measures TEXT NOT NULL,
    entered_on TEXT {c} NOT NULL,
    review_due TEXT {c} NOT NULL,
    reviewed_on TEXT {c},
    exited_on TEXT {c},
    exit_reason TEXT,
    exit_note TEXT,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX hardship_files_path ON hardship_files(org_path, status);
CREATE INDEX hardship_files_review ON hardship_files(status, review_due);
CREATE INDEX hardship_files_entered ON hardship_files(entered_on, org_path);
CREATE TABLE hardship_persons (
    id {pk},
    file_id BIGINT NOT NULL REFERENCES hardship_files(id),
    member_id BIGINT REFERENCES members(id),
    name TEXT,
    id_hash {blob},
    id_enc {blob},
    id_masked TEXT,
    mobile_enc {blob},
    mobile_masked TEXT,
    relation TEXT NOT NULL,
    birth_year BIGINT,
    health TEXT NOT NULL,
    schooling TEXT NOT NULL,
    work TEXT NOT NULL,
    active_key TEXT
);
CREATE INDEX hardship_persons_file ON hardship_persons(file_id);
CREATE INDEX hardship_persons_member ON hardship_persons(member_id);
CREATE UNIQUE INDEX hardship_persons_active ON hardship_persons(active_key);
CREATE TABLE reviews (
    id {pk},
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    level BIGINT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    decision TEXT,
    comment TEXT,
    actor TEXT,
    decided_at BIGINT
);
CREATE UNIQUE INDEX reviews_level ON reviews(subject_type, subject_id, level);
CREATE TABLE aid_campaigns (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    starts_on TEXT {c} NOT NULL,
    ends_on TEXT {c} NOT NULL,
    budget_fen BIGINT NOT NULL,
    max_per_person_fen BIGINT NOT NULL,
    eligible_tiers TEXT NOT NULL,
    eligible_groups TEXT NOT NULL,
    review_kinds TEXT NOT NULL,
    notice_days BIGINT NOT NULL,
    allow_repeat BIGINT NOT NULL,
    budget_account BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX aid_campaigns_path ON aid_campaigns(org_path, starts_on);
CREATE TABLE aid_applications (
    id {pk},
    campaign_id BIGINT NOT NULL REFERENCES aid_campaigns(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    file_id BIGINT REFERENCES hardship_files(id),
    tier TEXT,
    form TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    goods TEXT,
    reason TEXT NOT NULL,
    bank_name TEXT,
    bank_account_enc {blob},
    bank_account_masked TEXT,
    channel TEXT NOT NULL,
    applied_on TEXT {c} NOT NULL,
    review_path TEXT {c},
    notice_until TEXT {c},
    objections_open BIGINT NOT NULL DEFAULT 0,
    once_key TEXT,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX aid_applications_once ON aid_applications(once_key);
CREATE INDEX aid_applications_campaign ON aid_applications(campaign_id, status);
CREATE INDEX aid_applications_review ON aid_applications(review_path, status);
CREATE INDEX aid_applications_path ON aid_applications(org_path, status);
CREATE INDEX aid_applications_member ON aid_applications(member_id);
CREATE TABLE aid_objections (
    id {pk},
    application_id BIGINT NOT NULL REFERENCES aid_applications(id),
    raised_on TEXT {c} NOT NULL,
    raised_by TEXT NOT NULL,
    text TEXT NOT NULL,
    resolution TEXT,
    resolution_note TEXT,
    resolved_by TEXT,
    resolved_at BIGINT
);
CREATE INDEX aid_objections_application ON aid_objections(application_id);
CREATE TABLE aid_batches (
    id {pk},
    campaign_id BIGINT NOT NULL REFERENCES aid_campaigns(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    made_on TEXT {c} NOT NULL,
    line_count BIGINT NOT NULL,
    total_fen BIGINT NOT NULL,
    posting_id BIGINT NOT NULL,
    made_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX aid_batches_campaign ON aid_batches(campaign_id);
CREATE TABLE aid_payouts (
    id {pk},
    batch_id BIGINT NOT NULL REFERENCES aid_batches(id),
    application_id BIGINT NOT NULL REFERENCES aid_applications(id),
    campaign_id BIGINT NOT NULL REFERENCES aid_campaigns(id),
    org_path TEXT {c} NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    file_id BIGINT,
    form TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    failed_reason TEXT,
    paid_on TEXT {c},
    posting_id BIGINT,
    version BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX aid_payouts_application ON aid_payouts(application_id);
CREATE INDEX aid_payouts_batch ON aid_payouts(batch_id, status);
CREATE INDEX aid_payouts_figures ON aid_payouts(status, paid_on, org_path, member_id, campaign_id, file_id, amount_fen);
CREATE INDEX aid_payouts_campaign ON aid_payouts(campaign_id, status);
CREATE TABLE aid_totals (
    org_id BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    day TEXT {c} NOT NULL,
    person_times BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    first_persons BIGINT NOT NULL,
    first_households BIGINT NOT NULL
);
CREATE UNIQUE INDEX aid_totals_key ON aid_totals(org_id, campaign_id, day);
CREATE TABLE aid_firsts (
    org_id BIGINT NOT NULL,
    year TEXT NOT NULL,
    campaign_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    key_id BIGINT NOT NULL,
    first_on TEXT {c} NOT NULL
);
CREATE UNIQUE INDEX aid_firsts_key ON aid_firsts(org_id, year, campaign_id, kind, key_id)
"#;

/// The money ledger: a union's accounts, each movement of money a posting of lines in fen that
/// add up to zero. A posting is never changed; a reversal is another posting that names it
/// (`reverses`, unique: once). An account's balance is kept beside it in the same transaction
/// as its lines, and `gonghui ledger verify` proves it equals their sum. Postings and lines
/// carry the union's path (scope; a future distribution key).
const V14_LEDGER: &str = r#"
CREATE TABLE ledger_accounts (
    id {pk},
    org_id BIGINT NOT NULL,
    org_path TEXT {c} NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    may_go_negative INTEGER NOT NULL,
    balance_fen BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ledger_accounts_code ON ledger_accounts(org_id, code);
CREATE INDEX ledger_accounts_path ON ledger_accounts(org_path);
CREATE TABLE ledger_postings (
    id {pk},
    org_id BIGINT NOT NULL,
    org_path TEXT {c} NOT NULL,
    posted_on TEXT NOT NULL,
    posted_at BIGINT NOT NULL,
    memo TEXT NOT NULL,
    source_type TEXT,
    source_id BIGINT,
    reverses BIGINT,
    idempotency_key TEXT,
    actor TEXT NOT NULL
);
CREATE UNIQUE INDEX ledger_postings_key ON ledger_postings(idempotency_key);
CREATE UNIQUE INDEX ledger_postings_reverses ON ledger_postings(reverses);
CREATE INDEX ledger_postings_day ON ledger_postings(org_path, posted_on);
CREATE INDEX ledger_postings_source ON ledger_postings(source_type, source_id);
CREATE TABLE ledger_lines (
    id {pk},
    posting_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    org_path TEXT {c} NOT NULL,
    amount_fen BIGINT NOT NULL
);
CREATE INDEX ledger_lines_posting ON ledger_lines(posting_id);
CREATE INDEX ledger_lines_account ON ledger_lines(account_id)
"#;

/// Files kept on a record of any module (`attachments::Owner`), content encrypted. The owner
/// is read through its module, which checks scope, so no path is copied here to keep in step
/// with a case's dispatch.
const V13_ATTACHMENTS: &str = r#"
CREATE TABLE attachments (
    id {pk},
    owner_type TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content {blob} NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    removed_at BIGINT,
    removed_by TEXT,
    removed_reason TEXT
);
CREATE INDEX attachments_owner ON attachments(owner_type, owner_id, uploaded_at)
"#;

/// Petitions (信访、职工诉求) as tracked cases: who brought what, about whom, which union handles
/// it now (`org_path`, moved down by a dispatch) and which received it (`received_path`, where
/// the figures count it), the dates and deadlines of each step, and the outcome. A repeat of an
/// earlier petition links to it (`repeat_of`): one 件, several 件次. `version` makes a step
/// taken twice at once fail for the second. `case_events` is the history of a case of any
/// module: every step with who, when and from which state to which; replaying it gives the
/// current state. `officer_id` is the account that took the case in its handling union (the
/// first to act on it there; a dispatch hands it on); `escalated_*` record the deadline a case
/// passed and the union above it was alerted for (督办).
///
/// Disputes (mediation and legal aid) carry their handling union the same way, the amounts in
/// fen, the workers named in `dispute_workers` (members linked, others protected like members)
/// and the number involved in `workers`; `advocates` is each union's roster of mediators and
/// lawyers. `case_totals` holds, for each federation-level union (as the registry's totals),
/// day of receipt and part (all, or one channel, type, category …), the sums the casework
/// figures are made of (`t0`… in the order of the figure definitions), kept by every step.
const V12_CASEWORK: &str = r#"
CREATE TABLE petitions (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    received_org_id BIGINT NOT NULL REFERENCES orgs(id),
    received_path TEXT {c} NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    member_id BIGINT REFERENCES members(id),
    requester_name TEXT,
    requester_id_hash {blob},
    requester_id_enc {blob},
    requester_id_masked TEXT,
    requester_mobile_enc {blob},
    requester_mobile_masked TEXT,
    unit_id BIGINT REFERENCES units(id),
    unit_name TEXT,
    summary TEXT NOT NULL,
    received_on TEXT {c} NOT NULL,
    accept_due TEXT {c} NOT NULL,
    accepted_on TEXT {c},
    refuse_reason TEXT,
    reply_due TEXT {c},
    extended_days BIGINT NOT NULL DEFAULT 0,
    extension_reason TEXT,
    replied_on TEXT {c},
    reply_text TEXT,
    reply_method TEXT,
    satisfaction TEXT,
    closed_on TEXT {c},
    repeat_of BIGINT REFERENCES petitions(id),
    reopened BIGINT NOT NULL DEFAULT 0,
    officer_id BIGINT,
    ref_no TEXT,
    escalated_due TEXT {c},
    escalated_org_id BIGINT REFERENCES orgs(id),
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX petitions_queue ON petitions(org_path, status);
CREATE INDEX petitions_received ON petitions(received_path, received_on);
CREATE INDEX petitions_member ON petitions(member_id);
CREATE INDEX petitions_requester ON petitions(requester_id_hash);
CREATE INDEX petitions_officer ON petitions(officer_id, status);
CREATE UNIQUE INDEX petitions_ref_no ON petitions(received_org_id, ref_no);
CREATE INDEX petitions_escalated ON petitions(escalated_org_id, status);
CREATE TABLE case_events (
    id {pk},
    case_type TEXT NOT NULL,
    case_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    on_date TEXT {c} NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_type, case_id, id);
CREATE TABLE advocates (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    mobile_enc {blob},
    mobile_masked TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX advocates_org ON advocates(org_path);
CREATE TABLE disputes (
    id {pk},
    kind TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    source TEXT NOT NULL,
    source_ref TEXT,
    claim TEXT NOT NULL,
    amount_claimed BIGINT NOT NULL DEFAULT 0,
    unit_id BIGINT REFERENCES units(id),
    unit_name TEXT,
    workers BIGINT NOT NULL,
    summary TEXT NOT NULL,
    received_on TEXT {c} NOT NULL,
    due_on TEXT {c},
    advocate_id BIGINT REFERENCES advocates(id),
    assigned_on TEXT {c},
    stage TEXT,
    sessions BIGINT NOT NULL DEFAULT 0,
    outcome TEXT,
    amount_agreed BIGINT,
    amount_recovered BIGINT,
    referred_to TEXT,
    confirmed_on TEXT {c},
    closed_on TEXT {c},
    ref_no TEXT,
    escalated_due TEXT {c},
    escalated_org_id BIGINT REFERENCES orgs(id),
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX disputes_queue ON disputes(org_path, status);
CREATE INDEX disputes_received ON disputes(org_path, received_on);
CREATE INDEX disputes_advocate ON disputes(advocate_id, status);
CREATE INDEX disputes_escalated ON disputes(escalated_org_id, status);
CREATE UNIQUE INDEX disputes_ref_no ON disputes(org_id, ref_no);
CREATE TABLE dispute_workers (
    id {pk},
    dispute_id BIGINT NOT NULL REFERENCES disputes(id),
    member_id BIGINT REFERENCES members(id),
    name TEXT,
    id_hash {blob},
    id_enc {blob},
    id_masked TEXT,
    mobile_enc {blob},
    mobile_masked TEXT
);
CREATE INDEX dispute_workers_case ON dispute_workers(dispute_id);
CREATE INDEX dispute_workers_member ON dispute_workers(member_id);
CREATE INDEX petitions_open ON petitions(status, org_path);
CREATE INDEX petitions_day ON petitions(received_on, received_path);
CREATE INDEX disputes_day ON disputes(received_on, org_path);
CREATE INDEX disputes_open ON disputes(status, org_path);
CREATE TABLE case_totals (
    org_id BIGINT NOT NULL,
    case_type TEXT NOT NULL,
    day TEXT {c} NOT NULL,
    part TEXT NOT NULL,
    t0 BIGINT NOT NULL DEFAULT 0, t1 BIGINT NOT NULL DEFAULT 0, t2 BIGINT NOT NULL DEFAULT 0, t3 BIGINT NOT NULL DEFAULT 0,
    t4 BIGINT NOT NULL DEFAULT 0, t5 BIGINT NOT NULL DEFAULT 0, t6 BIGINT NOT NULL DEFAULT 0, t7 BIGINT NOT NULL DEFAULT 0,
    t8 BIGINT NOT NULL DEFAULT 0, t9 BIGINT NOT NULL DEFAULT 0, t10 BIGINT NOT NULL DEFAULT 0, t11 BIGINT NOT NULL DEFAULT 0,
    t12 BIGINT NOT NULL DEFAULT 0, t13 BIGINT NOT NULL DEFAULT 0, t14 BIGINT NOT NULL DEFAULT 0, t15 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, case_type, day, part)
)
"#;

/// A union's officers (chair, vice-chairs, committee heads, contact) for its page. The mobile
/// is kept encrypted and shown masked. The import history: who ran each import, for which
/// part of the hierarchy, and its error report.
const V11_OFFICERS: &str = r#"
CREATE TABLE org_officers (
    id {pk},
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    position TEXT NOT NULL,
    name TEXT NOT NULL,
    mobile_enc {blob},
    mobile_masked TEXT,
    since TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX org_officers_org ON org_officers(org_id);
ALTER TABLE import_batches ADD COLUMN actor TEXT;
ALTER TABLE import_batches ADD COLUMN scope_path TEXT {c};
ALTER TABLE import_batches ADD COLUMN error_report {blob};
CREATE INDEX import_batches_started ON import_batches(started_at)
"#;

/// What the console's search boxes need (see `registry::search`): the keyed index of each ID
/// number's last five characters (filled by the program, which holds the key, at the start
/// that applies this migration), the pinyin of union and employer names (likewise), and `ü`
/// written `v` in stored pinyin, as people type it. The indexes are in [`BULK_INDEXES`].
/// The statistics totals gain retirements in a period (rebuilt from the history at the
/// start that applies this).
pub const SEARCH_COLUMNS_VERSION: i64 = 10;

const V10_SEARCH: &str = r#"
ALTER TABLE members ADD COLUMN id_tail BIGINT;
ALTER TABLE orgs ADD COLUMN name_pinyin TEXT {c};
ALTER TABLE orgs ADD COLUMN name_initials TEXT {c};
ALTER TABLE units ADD COLUMN name_pinyin TEXT {c};
ALTER TABLE units ADD COLUMN name_initials TEXT {c};
UPDATE members SET name_pinyin = replace(name_pinyin, 'ü', 'v') WHERE name_pinyin LIKE '%ü%';
ALTER TABLE stat_deltas ADD COLUMN retirements BIGINT NOT NULL DEFAULT 0;
DELETE FROM stat_state
"#;

/// An account the system administrator creates waits (`status = 'pending'`) until the security
/// administrator approves it (`approved_at`); each holds one half of its initial password
/// (`password_hash`, `activation_hash`); its first use is recorded. Accounts made before this
/// rule count as approved.
const V9_ACCOUNT_APPROVAL: &str = r#"
ALTER TABLE accounts ADD COLUMN activation_hash TEXT;
ALTER TABLE accounts ADD COLUMN activated_at BIGINT;
ALTER TABLE accounts ADD COLUMN activated_ip TEXT;
ALTER TABLE accounts ADD COLUMN approved_at BIGINT;
UPDATE accounts SET approved_at = created_at
"#;

/// The chain head and every archive record carry an HMAC under the audit key, so that a row
/// written into either by someone holding only the database is found by `audit verify`.
/// Existing rows get theirs from the program at the start that applies this migration.
const V8_AUDIT_SEALS: &str = r#"
ALTER TABLE audit_head ADD COLUMN seal TEXT;
ALTER TABLE audit_archives ADD COLUMN seal TEXT
"#;

/// The first schema version whose audit head and archive records are sealed.
pub const AUDIT_SEALS_VERSION: i64 = 8;

/// Every query that reads memberships by end date asks for a range of end dates, which
/// excludes open memberships; leaving those out makes the index smaller and a bulk load of new
/// (open) memberships adds nothing to it.
const V7_ENDED_ONLY: &str = r#"
DROP INDEX IF EXISTS memberships_end;
CREATE INDEX memberships_end ON memberships(end_date, org_path) WHERE end_date IS NOT NULL
"#;

/// Secondary indexes on the two big tables. Created after the migrations (each start makes any missing), and
/// dropped and rebuilt by a bulk load into a comparatively small table: building an index once
/// from sorted data is far cheaper than maintaining it row by row (see docs/benchmarks.md).
/// Unique indexes are never dropped: they guard one-person-one-record and one open membership.
/// PostgreSQL checks a foreign key with a row-locking lookup per row; for a large load into a
/// comparatively small table they are dropped and re-added (which validates every row at once)
/// in the same transaction. Measured on 500,000 members: write phase 16.2 s → 9.2 s, re-adding
/// all four 0.8 s. Names are PostgreSQL's defaults for the inline REFERENCES of migration 1.
/// SQLite cannot drop a constraint; its bulk loads run on a connection with the checks off
/// instead (`Db::sqlite_bulk_writer`).
pub const BULK_FOREIGN_KEYS: &[(&str, &str, &str)] = &[
    (
        "members",
        "members_org_id_fkey",
        "FOREIGN KEY (org_id) REFERENCES orgs(id)",
    ),
    (
        "members",
        "members_unit_id_fkey",
        "FOREIGN KEY (unit_id) REFERENCES units(id)",
    ),
    (
        "memberships",
        "memberships_member_id_fkey",
        "FOREIGN KEY (member_id) REFERENCES members(id)",
    ),
    (
        "memberships",
        "memberships_org_id_fkey",
        "FOREIGN KEY (org_id) REFERENCES orgs(id)",
    ),
];

pub const BULK_INDEXES: &[(&str, &str)] = &[
    (
        "members_org_path",
        "CREATE INDEX members_org_path ON members(org_path, status)",
    ),
    (
        "members_pinyin",
        "CREATE INDEX members_pinyin ON members(name_pinyin)",
    ),
    (
        "members_initials",
        "CREATE INDEX members_initials ON members(name_initials)",
    ),
    (
        "members_unit",
        "CREATE INDEX members_unit ON members(unit_id, status)",
    ),
    (
        "members_path_name",
        "CREATE INDEX members_path_name ON members(org_path, name_pinyin, id)",
    ),
    (
        "members_joined",
        "CREATE INDEX members_joined ON members(joined_on, id)",
    ),
    (
        "members_id_tail",
        "CREATE INDEX members_id_tail ON members(id_tail)",
    ),
    (
        "members_mobile_tail",
        "CREATE INDEX members_mobile_tail ON members(substr(mobile_masked, 8, 4))",
    ),
    (
        "memberships_member",
        "CREATE INDEX memberships_member ON memberships(member_id, start_date)",
    ),
    (
        "memberships_path_start",
        "CREATE INDEX memberships_path_start ON memberships(org_path, start_date)",
    ),
    (
        "memberships_start",
        "CREATE INDEX memberships_start ON memberships(start_date, org_path)",
    ),
    (
        "memberships_end",
        "CREATE INDEX memberships_end ON memberships(end_date, org_path) WHERE end_date IS NOT NULL",
    ),
];

const V1_REGISTRY: &str = r#"
CREATE TABLE orgs (
    id {pk},
    code TEXT {c} NOT NULL UNIQUE,
    num BIGINT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('national','provincial','city','district','street','community','industry','grassroots','joint')),
    parent_id BIGINT REFERENCES orgs(id),
    path TEXT {c} NOT NULL UNIQUE,
    depth BIGINT NOT NULL,
    region_code TEXT,
    founded_on TEXT {c},
    new_employment BIGINT NOT NULL DEFAULT 0,
    industry TEXT,
    standardised BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed')),
    closed_on TEXT {c},
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id);
CREATE INDEX orgs_name ON orgs(name);

CREATE TABLE units (
    id {pk},
    uscc TEXT {c} NOT NULL UNIQUE,
    uscc_check_ok BIGINT NOT NULL,
    name TEXT NOT NULL,
    ownership TEXT,
    small_micro BIGINT NOT NULL DEFAULT 0,
    industry TEXT,
    region_code TEXT,
    employee_count BIGINT NOT NULL DEFAULT 0 CHECK (employee_count >= 0),
    org_id BIGINT REFERENCES orgs(id),
    org_path TEXT {c},
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX units_org_path ON units(org_path);
CREATE INDEX units_name ON units(name);

CREATE TABLE members (
    id {pk},
    id_hash {blob} NOT NULL UNIQUE,
    id_enc {blob} NOT NULL,
    id_masked TEXT NOT NULL,
    name TEXT NOT NULL,
    name_pinyin TEXT {c} NOT NULL,
    name_initials TEXT {c} NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('男','女')),
    birth_date TEXT {c} NOT NULL,
    ethnicity TEXT,
    political TEXT,
    education TEXT,
    hukou TEXT,
    mobile_enc {blob},
    mobile_hash {blob},
    mobile_masked TEXT,
    unit_id BIGINT REFERENCES units(id),
    migrant BIGINT NOT NULL DEFAULT 0,
    nef_group TEXT,
    card_no TEXT,
    status TEXT NOT NULL CHECK (status IN ('active','retired','left','deceased')),
    org_id BIGINT REFERENCES orgs(id),
    org_path TEXT {c},
    joined_on TEXT {c},
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    id {pk},
    member_id BIGINT NOT NULL REFERENCES members(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    org_path TEXT {c} NOT NULL,
    retained BIGINT NOT NULL DEFAULT 0,
    start_date TEXT {c} NOT NULL,
    start_reason TEXT NOT NULL CHECK (start_reason IN ('join','transfer_in','retire')),
    end_date TEXT {c},
    end_reason TEXT CHECK (end_reason IN ('transfer_out','leave','retire','death')),
    created_at BIGINT NOT NULL,
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE UNIQUE INDEX memberships_one_open ON memberships(member_id) WHERE end_date IS NULL;

CREATE TABLE import_batches (
    id {pk},
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    dry_run BIGINT NOT NULL,
    status TEXT NOT NULL,
    rows_total BIGINT NOT NULL DEFAULT 0,
    rows_invalid BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    message TEXT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT
);

CREATE TABLE accounts (
    id {pk},
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    org_id BIGINT REFERENCES orgs(id),
    role TEXT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
)
"#;

/// Accounts, sessions, login throttling, API tokens and the hash-chained audit trail.
const V2_ACCESS: &str = r#"
ALTER TABLE accounts ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN member_id BIGINT REFERENCES members(id);
ALTER TABLE accounts ADD COLUMN modules TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE accounts ADD COLUMN totp_secret_enc {blob};
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN password_changed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX accounts_member ON accounts (member_id) WHERE member_id IS NOT NULL;
CREATE TABLE sessions (
    id {pk},
    token_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    stage TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    ip TEXT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE TABLE login_throttle (
    key_hash TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    first_failure_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);
CREATE TABLE api_tokens (
    id {pk},
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    permissions TEXT NOT NULL,
    created_by BIGINT REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE TABLE audit_log (
    seq {pk},
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    scope_path TEXT {c},
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_action ON audit_log (action, at);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE audit_archives (
    id {pk},
    from_seq BIGINT NOT NULL,
    upto_seq BIGINT NOT NULL,
    upto_hash TEXT NOT NULL,
    file TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    archived_at BIGINT NOT NULL
)
"#;

/// The audit trail is append-only in the database itself: no UPDATE ever, DELETE only for rows
/// already copied to an archive file (see `audit::archive`).
/// A session may be narrowed to one union below the account's own (the console's scope
/// switcher). A transfer (转会) is a request the receiving union accepts or declines; at most one
/// is pending per member.
const V3_CONSOLE: &str = r#"
ALTER TABLE sessions ADD COLUMN narrow_org_id BIGINT REFERENCES orgs(id);
CREATE TABLE transfers (
    id {pk},
    member_id BIGINT NOT NULL REFERENCES members(id),
    from_org_id BIGINT NOT NULL REFERENCES orgs(id),
    to_org_id BIGINT NOT NULL REFERENCES orgs(id),
    on_date TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    decision_note TEXT
);
CREATE UNIQUE INDEX transfers_one_pending ON transfers (member_id) WHERE status = 'pending';
CREATE INDEX transfers_to ON transfers (to_org_id, status);
CREATE INDEX transfers_from ON transfers (from_org_id, status)
"#;

/// Indexes the console's lists need at a city's size: an employer's members (the employer page
/// counted them by scanning every member) and a union's roster in name order (the default
/// member list sorted the whole subtree to show its first page). New databases get them from
/// the start that creates them, which makes every entry of [`BULK_INDEXES`].
const V4_CONSOLE_INDEXES: &str = r#"
CREATE INDEX IF NOT EXISTS members_unit ON members(unit_id, status);
CREATE INDEX IF NOT EXISTS members_path_name ON members(org_path, name_pinyin, id)
"#;

/// Running totals behind the federation levels' statistics (see `registry::counters`): per
/// union, day and new-employment group (`''` for none), the change of each figure that day.
/// `repeat_members` lists the people with two events of one kind (rare), whom head counts
/// correct for. `stat_state` holds one row once the totals have been built from the history;
/// a database migrated from an older version builds them at its next start.
const V5_STAT_TOTALS: &str = r#"
CREATE TABLE stat_deltas (
    node_id BIGINT NOT NULL REFERENCES orgs(id),
    day TEXT {c} NOT NULL,
    nef_group TEXT {c} NOT NULL,
    members BIGINT NOT NULL,
    female BIGINT NOT NULL,
    migrant BIGINT NOT NULL,
    retired BIGINT NOT NULL,
    joined BIGINT NOT NULL,
    left_union BIGINT NOT NULL,
    deceased BIGINT NOT NULL,
    transferred_in BIGINT NOT NULL,
    transferred_out BIGINT NOT NULL,
    PRIMARY KEY (node_id, day, nef_group)
);
CREATE TABLE repeat_members (
    member_id BIGINT PRIMARY KEY REFERENCES members(id)
);
CREATE TABLE stat_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    built_at BIGINT NOT NULL
)
"#;

const V2_SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN OLD.seq > (SELECT COALESCE(MAX(upto_seq), 0) FROM audit_archives) BEGIN SELECT RAISE(ABORT, 'audit_log rows are removed only after archiving'); END",
];

const V2_POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'audit_log is append-only'; END IF; IF OLD.seq > (SELECT COALESCE(MAX(upto_seq), 0) FROM audit_archives) THEN RAISE EXCEPTION 'audit_log rows are removed only after archiving'; END IF; RETURN OLD; END $$",
    "CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_guard()",
];

fn render(sql: &str, backend: Backend) -> String {
    // SQLite: INTEGER PRIMARY KEY is the 64-bit rowid itself (no separate index).
    let (blob, c, pk) = match backend {
        Backend::Sqlite => ("BLOB", "", "INTEGER PRIMARY KEY"),
        Backend::Postgres => ("BYTEA", "COLLATE \"C\"", "BIGINT PRIMARY KEY"),
    };
    sql.replace("{blob}", blob)
        .replace("{c}", c)
        .replace("{pk}", pk)
}

/// Applies pending migrations, each in its own transaction. Returns how many were applied.
/// A migration's transaction. On PostgreSQL an `IF NOT EXISTS` on what exists is no news:
/// its notices stay out of the log.
async fn begin_quiet(db: &Db) -> AppResult<super::Tx> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SET LOCAL client_min_messages TO warning")
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

pub async fn run(db: &Db) -> AppResult<usize> {
    let mut tx = begin_quiet(db).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut applied = 0;
    for m in MIGRATIONS {
        let mut tx = begin_quiet(db).await?;
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            continue;
        }
        let sql = render(m.sql, db.backend());
        let only = match db.backend() {
            Backend::Sqlite => m.sqlite_only,
            Backend::Postgres => m.postgres_only,
        };
        let statements = sql
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .chain(only.iter().copied());
        for stmt in statements {
            (&mut *tx).execute(stmt).await.map_err(|e| {
                AppError::internal(anyhow::anyhow!(
                    "migration {} ({}) failed: {e}",
                    m.version,
                    m.name
                ))
            })?;
        }
        // Rows kept by Rust code are filled by it from the rows already there.
        if m.version == 21 {
            crate::activities::reach::rebuild(&mut tx).await?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(super::now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        applied += 1;
    }
    // The secondary indexes of the big tables, made once their columns exist (and again
    // after a bulk load that dropped them was cut short, or a migration that redefines one).
    // The planner is told about new ones at once: without statistics it may prefer an
    // index that reads the table for every row.
    let mut tx = begin_quiet(db).await?;
    let mut made = 0;
    for (name, create) in BULK_INDEXES {
        let exists_sql = match db.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $1"
            }
            Backend::Postgres => "SELECT COUNT(*) FROM pg_indexes WHERE indexname = $1",
        };
        let exists: i64 = sqlx::query_scalar(exists_sql)
            .bind(*name)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            (&mut *tx).execute(*create).await?;
            made += 1;
        }
    }
    // (An empty registry is not analysed: statistics saying "empty" would outlive the data.)
    let has_members: Option<i64> = sqlx::query_scalar("SELECT id FROM members LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    if made > 0 && has_members.is_some() {
        (&mut *tx)
            .execute(match db.backend() {
                Backend::Sqlite => "ANALYZE",
                Backend::Postgres => "ANALYZE members, memberships",
            })
            .await?;
        tracing::info!(indexes = made, "indexes made and the tables analysed");
    }
    tx.commit().await?;
    Ok(applied)
}

/// Latest schema version known to this binary, and the one in the database.
pub async fn status(db: &Db) -> AppResult<(i64, Option<i64>)> {
    let latest = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
    let current: Option<i64> =
        sqlx::query_scalar("SELECT CAST(MAX(version) AS BIGINT) FROM schema_migrations")
            .fetch_optional(db.pool())
            .await
            .ok()
            .flatten();
    Ok((latest, current))
}
