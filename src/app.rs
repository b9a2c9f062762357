//! Building and running the platform: bootstrap (database, keys, migrations, first-start demo
//! and administrator), the router, and the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::crypto::{FieldKeys, KeyOrigin};
use crate::db::{Db, migrations};
use crate::error::{AppError, AppResult};
use crate::registry::jobs::Jobs;
use crate::registry::{Registry, demo};
use crate::web::api;

#[derive(Clone)]
pub struct AppState {
    pub reg: Registry,
    pub jobs: Jobs,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn import_max_bytes(&self) -> usize {
        (self.config.import_max_mb as usize).saturating_mul(1024 * 1024)
    }
}

/// What happened during bootstrap, for the start-up banner.
#[derive(Debug, Default)]
pub struct Boot {
    pub created_database: bool,
    pub generated_keys: bool,
    pub demo: Option<demo::DemoReport>,
    pub admin_password: Option<String>,
}

/// Connects, loads or creates keys, migrates; on a brand-new database also seeds the demo city
/// (if configured) and creates the first administrator.
pub async fn bootstrap(config: &Config, seed_demo: bool) -> AppResult<(Registry, Boot)> {
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    let (_, current) = migrations::status(&db).await?;
    let created_database = current.is_none();
    migrations::run(&db).await?;
    // New keys only while no personal data is stored: otherwise a lost key file must be
    // restored from backup, never silently replaced.
    let has_people: Option<i64> = sqlx::query_scalar("SELECT id FROM members LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    let (keys, origin) = FieldKeys::load_or_create(&config.keys_path(), has_people.is_none())?;
    let reg = Registry {
        db,
        keys: Arc::new(keys),
    };
    let mut boot = Boot {
        created_database,
        generated_keys: origin == KeyOrigin::Generated,
        ..Default::default()
    };
    if created_database && seed_demo && config.demo_on_first_start {
        boot.demo = Some(demo::seed(&reg, config.demo_members, 2024, None).await?);
    }
    boot.admin_password = crate::accounts::ensure_first_admin(&reg.db).await?;
    Ok((reg, boot))
}

pub fn router(state: AppState) -> Router {
    let api = api::router().merge(api::upload_router(state.import_max_bytes()));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(api::health))
        .route("/", get(|| async { axum::response::Redirect::temporary("/api/docs/") }))
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api::ApiDoc::openapi()))
        .fallback(|| async { AppError::not_found("页面") })
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(120)))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            // Path only: query strings may carry search terms typed by cadres.
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::new())
}

/// Serves until Ctrl-C / SIGTERM.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> AppResult<()> {
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(AppError::internal)
}
