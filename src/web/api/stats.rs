//! Statistics of a subtree and period, and the records behind a figure.

use super::ApiScope;
use crate::app::AppState;
use crate::error::AppResult;
use crate::registry::stats::{self, Drill, DrillQuery, Stats, StatsQuery};
use crate::web::hardening::ApiQuery;
use axum::Json;
use axum::extract::State;

#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", params(StatsQuery), responses((status = 200, body = Stats)))]
pub async fn get_stats(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> AppResult<Json<Stats>> {
    let (org, period) = stats::resolve(&st.reg.db, &scope, &q).await?;
    Ok(Json(stats::compute(&st.reg.db, &org, &period).await?))
}

#[utoipa::path(get, path = "/api/v1/stats/drill", tag = "stats", params(DrillQuery), responses((status = 200, body = Drill)))]
pub async fn drill_stats(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(q): ApiQuery<DrillQuery>,
) -> AppResult<Json<Drill>> {
    let sq = StatsQuery {
        org: q.org.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let (org, period) = stats::resolve(&st.reg.db, &scope, &sq).await?;
    Ok(Json(
        stats::drill(
            &st.reg.db,
            &scope,
            &org,
            &period,
            q.figure,
            q.page.unwrap_or(1),
            q.per_page.unwrap_or(50),
        )
        .await?,
    ))
}
