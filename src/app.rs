//! Building and running the platform: bootstrap (database, keys, migrations, first-start demo
//! and administrator), the router, and the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::audit::Actor;
use crate::auth::accounts::FirstAccount;
use crate::auth::{Auth, AuthSettings};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::{FieldKeys, KeyOrigin};
use crate::db::{Db, migrations};
use crate::error::{AppError, AppResult};
use crate::registry::jobs::Jobs;
use crate::registry::{Registry, demo};
use crate::web::{admin_api, api, auth_api, guard, hardening, pages};

#[derive(Clone)]
pub struct AppState {
    pub reg: Registry,
    pub jobs: Jobs,
    pub config: Arc<Config>,
    pub auth: Arc<Auth>,
    /// Values a form post shows once on the page it redirects to.
    pub once: crate::web::pages::once::ShowOnce,
    /// Searches by a whole ID number or mobile, behind a token in the URL.
    pub searches: crate::web::pages::once::SearchTexts,
}

impl AppState {
    /// Today by the server's clock (deadlines and dates of steps count days).
    pub fn today(&self) -> chrono::NaiveDate {
        crate::clock::local_date(self.auth.now())
    }

    pub fn new(reg: Registry, config: Config, clock: SharedClock) -> AppState {
        let auth = Auth::new(AuthSettings::from_config(&config), clock);
        AppState {
            reg,
            jobs: Jobs::default(),
            config: Arc::new(config),
            auth: Arc::new(auth),
            once: Default::default(),
            searches: Default::default(),
        }
    }

    pub fn import_max_bytes(&self) -> usize {
        (self.config.import_max_mb as usize).saturating_mul(1024 * 1024)
    }

    pub fn attachment_max_bytes(&self) -> usize {
        (self.config.attachment_max_mb as usize).saturating_mul(1024 * 1024)
    }
}

/// What happened during bootstrap, for the start-up banner.
#[derive(Debug, Default)]
pub struct Boot {
    pub created_database: bool,
    pub generated_keys: bool,
    pub demo: Option<demo::DemoReport>,
    pub demo_cases: Option<crate::casework::demo::Report>,
    pub demo_aid: Option<crate::aid::demo::Report>,
    pub demo_contracts: Option<crate::contracts::demo::Report>,
    pub demo_activities: Option<crate::activities::demo::Report>,
    /// Accounts created on this start, with their one-time passwords.
    pub accounts: Vec<FirstAccount>,
}

/// Connects, loads or creates keys, migrates; on a brand-new database also seeds the demo city
/// (if configured) and creates the first administrator.
pub async fn bootstrap(config: &Config, seed_demo: bool) -> AppResult<(Registry, Boot)> {
    let db = Db::connect(&config.database_url(), config.db_max_connections).await?;
    let (_, current) = migrations::status(&db).await?;
    let created_database = current.is_none();
    migrations::run(&db).await?;
    crate::registry::counters::ensure_built(&db).await?;
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
    crate::registry::search::backfill(&reg.db, &reg.keys).await?;
    let mut boot = Boot {
        created_database,
        generated_keys: origin == KeyOrigin::Generated,
        ..Default::default()
    };
    if created_database && seed_demo && config.demo_on_first_start {
        boot.demo = Some(demo::seed(&reg, config.demo_members, 2024, None).await?);
        boot.demo_cases = Some(seed_demo_cases(&reg, config.demo_members, 2024).await?);
        boot.demo_aid = Some(seed_demo_aid(&reg, config.demo_members, 2024).await?);
        boot.demo_contracts = Some(seed_demo_contracts(&reg, 2024).await?);
        boot.demo_activities = Some(seed_demo_activities(&reg, 2024).await?);
    }
    let actor = Actor::system(&reg.keys, "首次启动");
    // Seals are added by the start that applies their migration, and to an empty chain whose
    // database was created by `gonghui migrate` without the keys at hand.
    let (head_seq, _, head_seal) = crate::audit::checkpoint::head(&reg.db).await?;
    if current.is_none_or(|v| v < migrations::AUDIT_SEALS_VERSION)
        || (head_seq == 0 && head_seal.is_none())
    {
        crate::audit::seal_on_upgrade(&reg.db, &actor.key).await?;
    }
    boot.accounts =
        crate::auth::accounts::ensure_first_accounts(&reg.db, &actor, boot.demo.is_some()).await?;
    write_audit_checkpoint(&reg, config, 0).await;
    Ok((reg, boot))
}

/// Two years of casework for a demo city of `members` members (a city of 500,000 receives
/// some 600 petitions a year).
pub async fn seed_demo_cases(
    reg: &Registry,
    members: u32,
    seed: u64,
) -> AppResult<crate::casework::demo::Report> {
    let petitions = (u64::from(members) / 400).clamp(240, 20_000);
    let today = chrono::Local::now().date_naive();
    let mut report =
        crate::casework::demo::seed(&reg.db, petitions, petitions / 3, seed, today).await?;
    report.papers = crate::casework::demo::attach_papers(&reg.db, &reg.keys, 40).await?;
    Ok(report)
}

/// A year of hardship files, aid, mutual aid and union funds in the demo city.
pub async fn seed_demo_aid(
    reg: &Registry,
    members: u32,
    seed: u64,
) -> AppResult<crate::aid::demo::Report> {
    let today = chrono::Local::now().date_naive();
    let mut report = crate::aid::demo::seed(&reg.db, &reg.keys, members, seed, today).await?;
    report.funds = crate::funds::demo::seed(reg, seed, today).await?;
    Ok(report)
}

/// Collective contracts, an offer campaign and yearly checklists in the demo city.
pub async fn seed_demo_contracts(
    reg: &Registry,
    seed: u64,
) -> AppResult<crate::contracts::demo::Report> {
    let today = chrono::Local::now().date_naive();
    crate::contracts::demo::seed(&reg.db, &reg.keys, seed, today).await
}

/// A year of activities with their sessions and check-ins, of honours, innovation and research,
/// in the demo city.
pub async fn seed_demo_activities(
    reg: &Registry,
    seed: u64,
) -> AppResult<crate::activities::demo::Report> {
    let today = chrono::Local::now().date_naive();
    let mut report = crate::activities::demo::seed(&reg.db, &reg.keys, seed, today).await?;
    report.honours = crate::honours::demo::seed(&reg.db, &reg.keys, seed, today).await?;
    report.innovation = crate::innovation::demo::seed(&reg.db, &reg.keys, seed, today).await?;
    report.research = crate::research::demo::seed(&reg.db, &reg.keys, seed, today).await?;
    Ok(report)
}

/// Writes the audit checkpoint when the chain has grown by `min_rows` rows since the last one
/// (0: by any). A failure is logged, never fatal: the chain itself is intact either way.
pub async fn write_audit_checkpoint(reg: &Registry, config: &Config, min_rows: i64) {
    let key = crate::audit::ChainKey::from_keys(&reg.keys);
    let path = config.audit_checkpoint_path();
    let now = crate::db::now_ms();
    if let Err(e) = crate::audit::checkpoint::update(&reg.db, &key, &path, min_rows, now).await {
        tracing::error!(error = ?e, "could not write the audit checkpoint");
    }
}

/// Writes the audit checkpoint every `audit_checkpoint_rows` rows (looked at every few seconds).
pub fn spawn_audit_checkpoints(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        let every = i64::from(state.config.audit_checkpoint_rows.max(1));
        loop {
            tick.tick().await;
            write_audit_checkpoint(&state.reg, &state.config, every).await;
        }
    });
}

/// Content-Security-Policy: no inline script anywhere; inline style attributes are allowed for
/// the bundled API explorer.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    let api = api::router()
        .merge(api::upload_router(state.import_max_bytes()))
        .merge(api::attachments::router(state.attachment_max_bytes()))
        .merge(auth_api::router())
        .merge(admin_api::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard,
        ))
        .layer(axum::middleware::from_fn(hardening::api_errors_as_json));
    let hsts = state.config.public_https.then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    });
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(api::health))
        .merge(pages::router(state.clone()))
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api::ApiDoc::openapi()))
        .fallback(|req: axum::extract::Request| async move {
            // JSON for the API, a page for people.
            if req.uri().path().starts_with("/api/") {
                AppError::not_found("页面").into_response()
            } else {
                pages::PageError(AppError::not_found("页面")).into_response()
            }
        })
        .with_state(state)
        .layer(axum::middleware::from_fn(hardening::refuse_control_characters))
        .layer(axum::middleware::from_fn(hardening::no_store))
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(tower::util::option_layer(hsts))
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

/// Escalates cases past their deadline (督办) at start-up and every hour; contracts whose review
/// period passed take effect and expiry reminders fire in the same pass.
pub fn spawn_case_escalation(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let actor = Actor::system(&state.reg.keys, "超期督办");
            let now = state.auth.now();
            let today = crate::clock::local_date(now);
            match crate::casework::escalation::run(&state.reg.db, &actor, today, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(cases = n, "cases past their deadline escalated"),
                Err(e) => tracing::error!(error = ?e, "case escalation failed"),
            }
            let actor = Actor::system(&state.reg.keys, "集体合同到期提醒");
            match crate::contracts::contract::sweep(&state.reg.db, &actor, today, now).await {
                Ok((0, 0)) => {}
                Ok((effective, reminders)) => {
                    tracing::info!(
                        effective,
                        reminders,
                        "contracts took effect or were reminded"
                    )
                }
                Err(e) => tracing::error!(error = ?e, "contract sweep failed"),
            }
        }
    });
}

/// Moves audit rows past the retention period to archive files at start-up and once a day.
pub fn spawn_daily_archiving(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(24 * 3600));
        loop {
            tick.tick().await;
            let actor = Actor::system(&state.reg.keys, "定期归档");
            match crate::audit::verify::archive(
                &state.reg.db,
                &actor,
                &state.config.audit_sources(),
                state.config.audit_retention_days,
                state.auth.now(),
            )
            .await
            {
                Ok(Some(a)) => tracing::info!(file = %a.file, rows = a.rows, "audit rows archived"),
                Ok(None) => {}
                Err(e) => tracing::error!(error = ?e, "audit archiving failed"),
            }
        }
    });
}
