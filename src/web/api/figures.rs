//! The figure catalogue: every figure of a subtree and period with its label, unit,
//! definition and drill link; and the cases behind a casework figure.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiScope;
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::Caller;
use crate::casework::figures::{self as case_figures, CaseList, Side};
use crate::error::AppResult;
use crate::figures::{self, FigureValue};
use crate::registry::export::ExportFormat;
use crate::registry::stats::{self, StatsQuery};
use crate::web::hardening::ApiQuery;

/// Every figure of a subtree and period.
#[derive(Debug, Serialize, ToSchema)]
pub struct Catalogue {
    pub org_code: String,
    pub org_name: String,
    pub from: String,
    pub to: String,
    /// How money shown in 万元 is rounded.
    pub rounding: String,
    pub figures: Vec<FigureValue>,
}

#[utoipa::path(get, path = "/api/v1/figures", tag = "stats", params(StatsQuery),
    responses((status = 200, body = Catalogue)))]
pub async fn list_figures(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> AppResult<Json<Catalogue>> {
    let (org, period) = stats::resolve(&st.reg.db, &scope, &q).await?;
    let figures = figures::catalogue(&st.reg.db, &org, &period).await?;
    Ok(Json(Catalogue {
        org_code: org.code,
        org_name: org.name,
        from: period.from.to_string(),
        to: period.to.to_string(),
        rounding: figures::WAN_ROUNDING.into(),
        figures,
    }))
}

/// Which cases of a figure to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    pub org: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// For a rate: `numerator` (default) or `denominator`.
    pub side: Option<Side>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/figures/{key}/cases", tag = "casework", params(CasesQuery),
    responses((status = 200, body = CaseList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn figure_cases(
    State(st): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> AppResult<Json<CaseList>> {
    caller.must_work_on(crate::casework::MODULE)?;
    let sq = StatsQuery {
        org: q.org.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let (org, period) = stats::resolve(&st.reg.db, &caller.scope, &sq).await?;
    Ok(Json(
        case_figures::cases(
            &st.reg.db,
            &key,
            &org,
            &period,
            q.side.unwrap_or_default(),
            q.page,
            q.per_page,
        )
        .await?,
    ))
}

/// The cases behind a figure as a spreadsheet: the whole drill, not a page of it.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesExportQuery {
    pub org: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// For a rate: `numerator` (default) or `denominator`.
    pub side: Option<Side>,
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/figures/{key}/cases/export", tag = "casework", params(CasesExportQuery),
    responses((status = 200, description = "XLSX or CSV: one row per case the figure counts"),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn export_figure_cases(
    State(st): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<CasesExportQuery>,
) -> AppResult<axum::response::Response> {
    caller.must_work_on(crate::casework::MODULE)?;
    let sq = StatsQuery {
        org: q.org.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    cases_file(
        &st,
        &caller,
        &key,
        &sq,
        q.side.unwrap_or_default(),
        q.format.as_deref(),
    )
    .await
}

/// Builds the drill's spreadsheet, writes the export to the audit trail and sends the file.
pub(crate) async fn cases_file(
    st: &AppState,
    caller: &Caller,
    key: &str,
    sq: &StatsQuery,
    side: Side,
    format_text: Option<&str>,
) -> AppResult<axum::response::Response> {
    let format = ExportFormat::parse(format_text.unwrap_or("xlsx"))?;
    let (org, period) = stats::resolve(&st.reg.db, &caller.scope, sq).await?;
    let (name, bytes, rows) =
        case_figures::cases_sheet(&st.reg.db, key, &org, &period, side, format).await?;
    audit::record(
        &st.reg.db,
        &caller.actor(&st.reg.keys),
        st.auth.now(),
        Event::new("export.figure_cases").detail(serde_json::json!({
            "figure": key, "org": org.code, "from": period.from.to_string(),
            "to": period.to.to_string(), "rows": rows,
        })),
    )
    .await?;
    Ok(super::files::sheet_download(&name, format, bytes))
}
