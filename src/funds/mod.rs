//! Union funds (工会经费): the 2% fund the tax bureau collects from employers (税务代收) and
//! passes to the federation, refunds of it to small and micro firms' unions under a yearly
//! policy (小微企业工会经费返还), and grants from a union to the unions below it. Every yuan
//! moves through the ledger; the 经审 view reads the ledger. No HTTP here.

pub mod demo;
pub mod documents;
pub mod export;
pub mod figures;
pub mod grants;
pub mod history;
pub mod receipts;
pub mod refunds;

/// The business module a case officer (业务经办人) must be named for to work on funds.
pub const MODULE: &str = "funds";

/// The accounts of a union's books that funds use: (code, name). Codes ending in `:paid` are
/// money gone out (the balances figure leaves them out of the money held).
pub(crate) const TAX: (&str, &str) = ("funds:tax", "税务代收划入");
pub(crate) const INCOME: (&str, &str) = ("funds:income", "工会经费");
pub(crate) const REFUNDS_PAYABLE: (&str, &str) = ("funds:refunds:payable", "应返还小微企业经费");
pub(crate) const REFUNDS_PAID: (&str, &str) = ("funds:refunds:paid", "已返还小微企业经费");
pub(crate) const GRANTS_PAID: (&str, &str) = ("funds:grants:paid", "补助下级工会");
pub(crate) const FROM_ABOVE: (&str, &str) = ("funds:from_above", "上级拨付与返还");

/// The largest amount one fund line, refund or grant may carry: 1 亿元. More is a typing error.
pub const MAX_AMOUNT: crate::types::Fen = crate::types::Fen::yuan(100_000_000);

/// A positive amount of money typed in 元 for `field`, at most [`MAX_AMOUNT`].
pub fn amount(field: &str, typed: &str) -> Result<crate::types::Fen, String> {
    crate::types::Fen::read(field, typed, crate::types::Limits::positive(MAX_AMOUNT))
}

/// What waits in the inbox (待办) of `me` in `scope`: refunds on the scope's books computed by
/// someone else, for a second person to approve; approved ones waiting to be paid.
pub async fn inbox(
    db: &crate::db::Db,
    scope: &crate::registry::scope::Scope,
    me: &str,
) -> crate::error::AppResult<Vec<crate::workflow::inbox::Item>> {
    let (lo, hi) = scope.range();
    let (to_approve, to_pay): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN f.status = 'computed' AND f.computed_by <> $3 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN f.status = 'approved' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM fund_refunds f JOIN orgs b ON b.id = f.books_org_id WHERE b.path >= $1 AND b.path < $2 AND f.status IN ('computed', 'approved')",
    )
    .bind(lo)
    .bind(hi)
    .bind(me)
    .fetch_one(db.pool())
    .await?;
    let mut items = Vec::new();
    for (count, text, status) in [
        (to_approve, "笔小微企业经费返还等待审批", "computed"),
        (to_pay, "笔小微企业经费返还已审批待支付", "approved"),
    ] {
        if count > 0 {
            items.push(crate::workflow::inbox::Item {
                text: text.into(),
                count,
                href: format!("/funds?status={status}"),
                urgent: false,
            });
        }
    }
    Ok(items)
}
