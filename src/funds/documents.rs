//! The documents behind a posting, for the 经审 view: each posting names the record that caused
//! it (a fund import, a refund, a grant, an aid batch or payout line, a mutual-aid enrolment
//! or claim, a reversed posting); this reads that record as labelled fields, with the receipt
//! lines of an import and the files kept with a claim. Read only.

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use super::receipts::Receipt;
use crate::attachments::{self, Attachment};
use crate::db::Db;
use crate::error::AppResult;
use crate::types::Fen;

/// One labelled value of a document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentField {
    pub name: String,
    pub value: String,
}

/// The record behind a posting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceDocument {
    /// The kind of record (`fund_refund`, `aid_payout` …) and its Chinese name.
    pub kind: String,
    pub kind_label: String,
    pub fields: Vec<DocumentField>,
    /// A fund import's receipt lines (the first 1000).
    pub receipts: Vec<Receipt>,
    /// Files kept with the record (a claim's invoices), without content.
    pub attachments: Vec<Attachment>,
}

/// How each kind of record is read: its name, and a query of its fields by id. A label
/// starting with `¥` marks fen shown as 元; every column is read as text.
const KINDS: &[(&str, &str, &str, &[&str])] = &[
    (
        "fund_import",
        "税务代收经费入账",
        "SELECT CAST(COUNT(*) AS TEXT), CAST(SUM(amount_fen) AS TEXT), MIN(period), MAX(period) FROM fund_receipts WHERE posting_id = \
         (SELECT id FROM ledger_postings WHERE source_type = 'fund_import' AND source_id = $1)",
        &["入账户次", "¥合计", "最早所属期", "最晚所属期"],
    ),
    (
        "fund_history",
        "小微企业经费返还历史导入",
        "SELECT CAST(COUNT(*) AS TEXT), CAST(SUM(refund_fen) AS TEXT), MIN(paid_on), MAX(paid_on) FROM fund_refunds WHERE pay_posting = \
         (SELECT id FROM ledger_postings WHERE source_type = 'fund_history' AND source_id = $1)",
        &["返还家次", "¥合计", "最早返还日期", "最晚返还日期"],
    ),
    (
        "fund_refund",
        "小微企业经费返还",
        "SELECT u.name, u.uscc, f.period_from, f.period_to, CAST(f.lines AS TEXT), CAST(f.receipts_fen AS TEXT), CAST(f.refund_fen AS TEXT), \
         CAST(p.refund_pct AS TEXT), f.status, f.computed_by, f.approved_by, f.paid_on, f.cancel_reason \
         FROM fund_refunds f JOIN units u ON u.id = f.unit_id JOIN fund_policies p ON p.id = f.policy_id WHERE f.id = $1",
        &[
            "企业",
            "统一社会信用代码",
            "起始所属期",
            "截止所属期",
            "经费笔数",
            "¥已缴经费",
            "¥返还金额",
            "返还比例（%）",
            "状态",
            "计算人",
            "审批人",
            "支付日期",
            "撤销原因",
        ],
    ),
    (
        "fund_grant",
        "补助下级工会",
        "SELECT a.name, b.name, CAST(g.amount_fen AS TEXT), g.purpose, g.granted_on, g.created_by FROM fund_grants g \
         JOIN orgs a ON a.id = g.from_org_id JOIN orgs b ON b.id = g.to_org_id WHERE g.id = $1",
        &[
            "拨付工会",
            "受补助工会",
            "¥金额",
            "用途",
            "拨付日期",
            "经办人",
        ],
    ),
    (
        "aid_campaign",
        "帮扶活动预算",
        "SELECT name, starts_on, ends_on, CAST(budget_fen AS TEXT), created_by FROM aid_campaigns WHERE id = $1",
        &["活动", "开始日期", "结束日期", "¥预算", "创建人"],
    ),
    (
        "aid_batch",
        "帮扶发放批次",
        "SELECT c.name, b.made_on, CAST(b.line_count AS TEXT), CAST(b.total_fen AS TEXT), b.made_by FROM aid_batches b \
         JOIN aid_campaigns c ON c.id = b.campaign_id WHERE b.id = $1",
        &["活动", "制单日期", "笔数", "¥合计", "制单人"],
    ),
    (
        "aid_payout",
        "帮扶发放明细",
        "SELECT c.name, m.name, m.id_masked, p.form, CAST(p.amount_fen AS TEXT), p.status, p.paid_on, CAST(p.attempts AS TEXT) \
         FROM aid_payouts p JOIN aid_campaigns c ON c.id = p.campaign_id JOIN members m ON m.id = p.member_id WHERE p.id = $1",
        &[
            "活动",
            "受助人",
            "身份证号",
            "形式",
            "¥金额",
            "状态",
            "发放日期",
            "发放次数",
        ],
    ),
    (
        "mutual_enrolment",
        "医疗互助参保",
        "SELECT p.name, u.name, CAST(e.unit_members AS TEXT), CAST(e.enrolled AS TEXT), CAST(e.contribution_fen AS TEXT), e.override_reason, \
         e.enrolled_on FROM mutual_enrolments e JOIN mutual_plans p ON p.id = e.plan_id JOIN units u ON u.id = e.unit_id WHERE e.id = $1",
        &[
            "互助计划",
            "单位",
            "在册会员",
            "参保人数",
            "¥缴费",
            "低于比例说明",
            "参保日期",
        ],
    ),
    (
        "mutual_claim",
        "医疗互助理赔",
        "SELECT p.name, m.name, m.id_masked, c.illness, c.occurred_on, CAST(c.expense_fen AS TEXT), CAST(c.payable_fen AS TEXT), \
         c.status, c.paid_on FROM mutual_claims c JOIN mutual_plans p ON p.id = c.plan_id JOIN members m ON m.id = c.member_id WHERE c.id = $1",
        &[
            "互助计划",
            "职工",
            "身份证号",
            "病种",
            "就诊日期",
            "¥医疗费用",
            "¥赔付金额",
            "状态",
            "赔付日期",
        ],
    ),
    (
        "mutual_history",
        "医疗互助赔付历史导入",
        "SELECT CAST(COUNT(*) AS TEXT), CAST(SUM(payable_fen) AS TEXT), MIN(paid_on), MAX(paid_on) FROM mutual_claims WHERE posting_id = \
         (SELECT id FROM ledger_postings WHERE source_type = 'mutual_history' AND source_id = $1)",
        &["赔付人次", "¥合计", "最早赔付日期", "最晚赔付日期"],
    ),
    (
        "ledger_posting",
        "冲销",
        "SELECT CAST(id AS TEXT), posted_on, memo FROM ledger_postings WHERE id = $1",
        &["被冲销凭证", "原记账日期", "原摘要"],
    ),
];

/// A coded value of a document in words (a status, cash or goods).
fn label_of(kind: &str, field: &str, code: String) -> String {
    use crate::workflow::Named;
    fn find<T: Named>(code: &str) -> Option<&'static str> {
        T::all()
            .iter()
            .find(|v| v.code() == code)
            .map(|v| v.label())
    }
    let label = match (kind, field) {
        ("fund_refund", "状态") => find::<super::refunds::RefundStatus>(&code),
        ("aid_payout", "状态") => find::<crate::aid::campaigns::PayStatus>(&code),
        ("aid_payout", "形式") => find::<crate::aid::campaigns::Form>(&code),
        ("mutual_claim", "状态") => find::<crate::aid::mutual::ClaimStatus>(&code),
        _ => None,
    };
    label.map_or(code, str::to_string)
}

/// The record a posting names, read as a document; none when it names none.
pub async fn behind(
    db: &Db,
    posting_id: i64,
    source: Option<(&str, i64)>,
) -> AppResult<Option<SourceDocument>> {
    let Some((kind, id)) = source else {
        return Ok(None);
    };
    let Some((kind, label, sql, names)) = KINDS.iter().find(|k| k.0 == kind) else {
        return Ok(None);
    };
    let row = sqlx::query(sql).bind(id).fetch_optional(db.pool()).await?;
    let mut fields = Vec::new();
    if let Some(row) = row {
        for (n, name) in names.iter().enumerate() {
            let v: Option<String> = row.try_get(n).unwrap_or(None);
            let Some(v) = v.filter(|v| !v.is_empty()) else {
                continue;
            };
            let (name, v) = match name.strip_prefix('¥') {
                Some(name) => (
                    name,
                    v.parse().map(|f| format!("{} 元", Fen(f))).unwrap_or(v),
                ),
                None => (*name, label_of(kind, name, v)),
            };
            fields.push(DocumentField {
                name: name.to_string(),
                value: v,
            });
        }
    }
    let receipts = if *kind == "fund_import" {
        crate::db::paged(
            db,
            "r.id, u.name AS unit_name, u.uscc, o.name AS org_name, r.period, r.amount_fen, r.received_on, r.voucher_no, \
             CASE WHEN r.refund_id IS NULL THEN 0 ELSE 1 END AS refunded, r.posting_id FROM fund_receipts r \
             JOIN units u ON u.id = r.unit_id LEFT JOIN orgs o ON o.id = u.org_id",
            "FROM fund_receipts r",
            "r.posting_id = CAST($1 AS BIGINT)",
            "r.id",
            &[posting_id.to_string()],
            &crate::db::Paging::new(Some(1), Some(1000), 1000),
        )
        .await?
        .0
    } else {
        Vec::new()
    };
    let attachments = if *kind == crate::aid::mutual::CASE {
        attachments::list(
            db,
            attachments::Owner {
                kind: crate::aid::mutual::CASE,
                id,
            },
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(Some(SourceDocument {
        kind: kind.to_string(),
        kind_label: label.to_string(),
        fields,
        receipts,
        attachments,
    }))
}
