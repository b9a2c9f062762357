//! The figures of hardship files and aid, for any subtree and period, in the catalogue.
//!
//! Aid counts payout lines paid in the period, where the person aided belongs (the union of
//! the application): 人次 is every line paid, 人 every distinct member, 户 every distinct
//! hardship file behind them, 金额 the fen paid — cash and the value of goods alike, and by
//! campaign. Hardship counts files: households and persons on file at the period's end by
//! tier, households entered and exited in the period.

use chrono::Datelike;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::error::AppResult;
use crate::figures::{Amount, FigurePart, FigureUnit, FigureValue};
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;
use crate::workflow::Named;

use super::hardship::Tier;

/// Aid paid in a subtree and period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct AidTotals {
    pub person_times: i64,
    pub persons: i64,
    pub households: i64,
    pub amount_fen: i64,
}

/// Aid paid in the subtree at `path` between the period's dates, in every campaign or one.
pub async fn aid_totals(
    db: &Db,
    path: &str,
    period: &Period,
    campaign: Option<i64>,
) -> AppResult<AidTotals> {
    let (lo, hi) = Scope::subtree(path).range();
    // The campaign id is a number parsed by the caller, never typed text.
    let only = campaign
        .map(|c| format!(" AND campaign_id = {c}"))
        .unwrap_or_default();
    let (person_times, persons, households, amount_fen): (i64, i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT member_id) AS BIGINT), CAST(COUNT(DISTINCT file_id) AS BIGINT), \
         CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM aid_payouts \
         WHERE org_path >= $1 AND org_path < $2 AND paid_on >= $3 AND paid_on <= $4 AND status = 'paid'{only}"
    ))
    .bind(lo)
    .bind(hi)
    .bind(period.from.to_string())
    .bind(period.to.to_string())
    .fetch_one(db.pool())
    .await?;
    Ok(AidTotals {
        person_times,
        persons,
        households,
        amount_fen,
    })
}

/// Aid paid by campaign: (campaign id, name, totals), largest amount first.
pub async fn aid_by_campaign(
    db: &Db,
    path: &str,
    period: &Period,
) -> AppResult<Vec<(i64, String, AidTotals)>> {
    let (lo, hi) = Scope::subtree(path).range();
    let rows: Vec<(i64, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT p.campaign_id, c.name, CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT p.member_id) AS BIGINT), \
         CAST(COUNT(DISTINCT p.file_id) AS BIGINT), CAST(COALESCE(SUM(p.amount_fen), 0) AS BIGINT) \
         FROM aid_payouts p JOIN aid_campaigns c ON c.id = p.campaign_id \
         WHERE p.org_path >= $1 AND p.org_path < $2 AND p.paid_on >= $3 AND p.paid_on <= $4 AND p.status = 'paid' \
         GROUP BY p.campaign_id, c.name ORDER BY 6 DESC, 1 LIMIT 200",
    )
    .bind(lo)
    .bind(hi)
    .bind(period.from.to_string())
    .bind(period.to.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, person_times, persons, households, amount_fen)| {
                (
                    id,
                    name,
                    AidTotals {
                        person_times,
                        persons,
                        households,
                        amount_fen,
                    },
                )
            },
        )
        .collect())
}

/// Hardship files of a subtree: on file at the period's end by tier (households, persons),
/// entered and exited in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct HardshipTotals {
    /// (tier code, households, persons) on file at the end.
    pub on_file: Vec<(String, i64, i64)>,
    pub entered: i64,
    pub exited: i64,
}

pub async fn hardship_totals(db: &Db, path: &str, period: &Period) -> AppResult<HardshipTotals> {
    let (lo, hi) = Scope::subtree(path).range();
    let end = period.to.to_string();
    // On file at the end: entered by then and not exited by then. The tier is the file's
    // current one.
    let on_file: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT f.tier, CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(f.household_size), 0) AS BIGINT) FROM hardship_files f \
         WHERE f.org_path >= $1 AND f.org_path < $2 AND f.entered_on <= $3 AND (f.exited_on IS NULL OR f.exited_on > $3) \
         GROUP BY f.tier",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&end)
    .fetch_all(db.pool())
    .await?;
    let (entered, exited): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN entered_on >= $3 AND entered_on <= $4 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN exited_on >= $3 AND exited_on <= $4 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM hardship_files WHERE org_path >= $1 AND org_path < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(period.from.to_string())
    .bind(&end)
    .fetch_one(db.pool())
    .await?;
    let on_file: Vec<(String, i64, i64)> = Tier::all()
        .iter()
        .map(|t| {
            let found = on_file.iter().find(|r| r.0 == t.code());
            (
                t.code().to_string(),
                found.map_or(0, |r| r.1),
                found.map_or(0, |r| r.2),
            )
        })
        .collect();
    Ok(HardshipTotals {
        on_file,
        entered,
        exited,
    })
}

/// Every hardship and aid figure of a union's subtree for a period.
/// Aid paid in a union's subtree and period, in total and by campaign: from the running
/// totals for a federation-level union and a period from 1 January, from the lines otherwise.
async fn aid_of(
    db: &Db,
    org: &Org,
    period: &Period,
) -> AppResult<(AidTotals, Vec<(i64, String, AidTotals)>)> {
    let year_start = chrono::NaiveDate::from_ymd_opt(period.to.year(), 1, 1);
    if !(crate::registry::counters::is_counted(&org.kind) && Some(period.from) == year_start) {
        return tokio::try_join!(
            aid_totals(db, &org.path, period, None),
            aid_by_campaign(db, &org.path, period)
        );
    }
    let sums = super::totals::read(db, org.id, period.from, period.to).await?;
    let t = |v: &[i64; 4]| AidTotals {
        person_times: v[0],
        amount_fen: v[1],
        persons: v[2],
        households: v[3],
    };
    let all = sums.get(&0).map(t).unwrap_or_default();
    let ids: Vec<i64> = sums.keys().copied().filter(|c| *c != 0).collect();
    let mut names: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    if !ids.is_empty() {
        let sql = format!(
            "SELECT id, name FROM aid_campaigns WHERE id IN ({})",
            crate::db::in_list(ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        names.extend(q.fetch_all(db.pool()).await?);
    }
    let mut by: Vec<(i64, String, AidTotals)> = sums
        .iter()
        .filter(|(c, v)| **c != 0 && v[0] != 0)
        .map(|(c, v)| (*c, names.remove(c).unwrap_or_default(), t(v)))
        .collect();
    by.sort_by(|a, b| b.2.amount_fen.cmp(&a.2.amount_fen).then(a.0.cmp(&b.0)));
    Ok((all, by))
}

pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let ((aid, by_campaign), files, mutual) = tokio::try_join!(
        aid_of(db, org, period),
        hardship_totals(db, &org.path, period),
        super::mutual::totals(db, &org.path, period.from, period.to)
    )?;
    let q = format!("org={}&from={}&to={}", org.code, period.from, period.to);
    let drill = Some(format!("/api/v1/aid/paid?{q}"));
    let campaign_parts = |pick: fn(&AidTotals) -> i64| -> Vec<FigurePart> {
        by_campaign
            .iter()
            .map(|(id, name, t)| FigurePart {
                dimension: "帮扶活动".into(),
                code: id.to_string(),
                label: name.clone(),
                value: pick(t),
            })
            .collect()
    };
    let tier_parts = |pick: fn(&(String, i64, i64)) -> i64| -> Vec<FigurePart> {
        files
            .on_file
            .iter()
            .map(|r| FigurePart {
                dimension: "困难类别".into(),
                code: r.0.clone(),
                label: Tier::parse(&r.0)
                    .map(Tier::label)
                    .unwrap_or_default()
                    .into(),
                value: pick(r),
            })
            .collect()
    };
    let households: i64 = files.on_file.iter().map(|r| r.1).sum();
    let persons: i64 = files.on_file.iter().map(|r| r.2).sum();
    let mut out = vec![
        FigureValue::of(
            super::MODULE,
            "hardship.households",
            "在档困难职工（户）",
            FigureUnit::Households,
            "统计期末在档（已建档、未解困脱困）的困难职工家庭户数，按困难类别分",
            Amount::Count(households),
            tier_parts(|r| r.1),
            Some(format!(
                "/api/v1/aid/files?org={}&on_file_at={}",
                org.code, period.to
            )),
        ),
        FigureValue::of(
            super::MODULE,
            "hardship.persons",
            "在档困难职工家庭人口（人）",
            FigureUnit::Persons,
            "统计期末在档困难职工家庭的家庭成员人数合计",
            Amount::Count(persons),
            tier_parts(|r| r.2),
            Some(format!(
                "/api/v1/aid/file-persons?org={}&on_file_at={}",
                org.code, period.to
            )),
        ),
        FigureValue::of(
            super::MODULE,
            "hardship.entered",
            "新建档困难职工（户）",
            FigureUnit::Households,
            "统计期内新建档的困难职工家庭户数",
            Amount::Count(files.entered),
            Vec::new(),
            Some(format!("/api/v1/aid/files?entered=true&{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "hardship.exited",
            "解困脱困（户）",
            FigureUnit::Households,
            "统计期内解困脱困、退出档案的困难职工家庭户数",
            Amount::Count(files.exited),
            Vec::new(),
            Some(format!("/api/v1/aid/files?exited=true&{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "aid.person_times",
            "帮扶救助（人次）",
            FigureUnit::PersonTimes,
            "统计期内发放成功的帮扶明细笔数：同一人多次受助计多人次（现金和实物）",
            Amount::Count(aid.person_times),
            campaign_parts(|t| t.person_times),
            drill.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "aid.persons",
            "帮扶救助（人）",
            FigureUnit::Persons,
            "统计期内受助的不同职工人数：同一人多次受助只计一人",
            Amount::Count(aid.persons),
            campaign_parts(|t| t.persons),
            drill.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "aid.households",
            "帮扶困难职工家庭（户）",
            FigureUnit::Households,
            "统计期内受助职工所在的不同困难职工档案户数（无档案的受助不计户）",
            Amount::Count(aid.households),
            campaign_parts(|t| t.households),
            drill.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "aid.amount",
            "帮扶救助金额",
            FigureUnit::Yuan,
            "统计期内发放成功的帮扶金额合计（现金及实物折价），精确到分",
            Amount::Fen(aid.amount_fen),
            campaign_parts(|t| t.amount_fen),
            drill,
        ),
    ];
    let enrolled = Some(format!("/api/v1/mutual/enrolments?{q}"));
    let claims = Some(format!("/api/v1/mutual/claims?{q}"));
    let mut mutual_figures = vec![
        FigureValue::of(
            super::MODULE,
            "mutual.units",
            "参加医疗互助单位（家次）",
            FigureUnit::EmployerTimes,
            "统计期内办理参保的单位家次（同一单位参加两个计划计两家次）",
            Amount::Count(mutual.units),
            Vec::new(),
            enrolled.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "mutual.persons",
            "参加医疗互助职工（人次）",
            FigureUnit::PersonTimes,
            "统计期内各单位参保的职工人数合计（参加两个计划计两人次）",
            Amount::Count(mutual.persons),
            Vec::new(),
            Some(format!("/api/v1/mutual/enrollees?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "mutual.contributions",
            "医疗互助缴费金额",
            FigureUnit::Yuan,
            "统计期内参保单位缴纳的互助金合计，精确到分",
            Amount::Fen(mutual.contributions_fen),
            Vec::new(),
            enrolled,
        ),
        FigureValue::of(
            super::MODULE,
            "mutual.claims",
            "医疗互助理赔（人次）",
            FigureUnit::PersonTimes,
            "统计期内赔付的理赔件数，每件计一人次",
            Amount::Count(mutual.claims),
            Vec::new(),
            claims.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "mutual.paid",
            "医疗互助赔付金额",
            FigureUnit::Yuan,
            "统计期内赔付的互助金合计，精确到分",
            Amount::Fen(mutual.paid_fen),
            Vec::new(),
            claims,
        ),
    ];
    for f in &mut mutual_figures {
        f.module = super::mutual::MODULE.into();
    }
    out.extend(mutual_figures);
    Ok(out)
}

/// A payout line behind the aid figures.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PaidRow {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub line_id: i64,
    pub campaign_name: String,
    pub org_name: String,
    pub member_name: String,
    pub member_id_masked: String,
    pub form: String,
    pub amount_fen: i64,
    pub paid_on: String,
}

/// The lines the aid figures count (all of them: 人次 is their number), newest first.
pub async fn paid_rows(
    db: &Db,
    path: &str,
    period: &Period,
    campaign: Option<i64>,
    paging: &crate::db::Paging,
) -> AppResult<(Vec<PaidRow>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let only = campaign
        .map(|c| format!(" AND p.campaign_id = {c}"))
        .unwrap_or_default();
    let cond = format!(
        "p.org_path >= $1 AND p.org_path < $2 AND p.paid_on >= $3 AND p.paid_on <= $4 AND p.status = 'paid'{only}"
    );
    let total_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM aid_payouts p WHERE {cond}");
    let total: i64 = sqlx::query_scalar(&total_sql)
        .bind(&lo)
        .bind(&hi)
        .bind(period.from.to_string())
        .bind(period.to.to_string())
        .fetch_one(db.pool())
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT p.id AS line_id, c.name AS campaign_name, o.name AS org_name, m.name AS member_name, m.id_masked AS member_id_masked, \
         p.form, p.amount_fen, p.paid_on FROM aid_payouts p JOIN aid_campaigns c ON c.id = p.campaign_id \
         JOIN aid_applications a ON a.id = p.application_id JOIN orgs o ON o.id = a.org_id JOIN members m ON m.id = p.member_id \
         WHERE {cond} ORDER BY p.paid_on DESC, p.id DESC LIMIT {} OFFSET {}",
        paging.per_page,
        paging.offset()
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(period.from.to_string())
    .bind(period.to.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok((rows, total))
}
