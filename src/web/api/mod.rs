//! JSON API handlers, one file per domain. Every handler takes the caller's [`ApiScope`];
//! records outside it are 404.

pub mod activities;
pub mod aid;
pub mod attachments;
pub mod casework;
pub mod contracts;
pub mod figures;
pub mod files;
pub mod funds;
pub mod honours;
pub mod innovation;
pub mod ledger;
pub mod members;
pub mod mutual;
pub mod orgs;
pub mod research;
pub mod stats;
pub mod transfers;
pub mod units;

pub(crate) use files::{XLSX_MIME, attachment, export_response, upload_refused};
pub use orgs::OrgInput;
pub(crate) use orgs::org_fields;
pub(crate) use units::{UnitInput, unit_fields};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::scope::Scope;
pub use crate::web::hardening::{ApiQuery, JsonBody};
use crate::web::openapi::{ErrorResponses, RequestRules, SecurityAddon};

/// The caller's org-subtree scope, from the [`Caller`] the access guard placed in the request.
pub struct ApiScope(pub Scope);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiScope {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(ApiScope(caller.scope))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "智慧工会平台 API", description = "工会组织、单位、会员实名库；导入导出；统计。错误一律返回 {code, message}，message 为中文。"),
    paths(
        orgs::list_orgs, orgs::create_org, orgs::get_org, orgs::update_org, orgs::move_org, orgs::close_org,
        units::list_units, units::save_unit, units::get_unit,
        members::list_members, members::search_members, members::enroll_member, members::lookup_member, members::get_member, members::member_event,
        transfers::request_transfer, transfers::list_transfers, transfers::decide_transfer,
        stats::get_stats, stats::drill_stats,
        files::start_import, files::import_status, files::import_errors, files::download_template, files::export_members, health,
        files::export_members_full, members::reveal_member, members::my_member, members::update_my_contact,
        casework::list_petitions, casework::create_petition, casework::get_petition, casework::step_petition,
        casework::my_petitions, casework::file_my_petition, casework::my_petition,
        casework::list_disputes, casework::create_dispute, casework::get_dispute, casework::step_dispute,
        casework::list_roster, casework::add_to_roster, casework::set_roster_status, casework::export_petitions, casework::export_disputes, figures::list_figures, figures::figure_cases, figures::export_figure_cases,
        attachments::list_petition_files, attachments::add_petition_file, attachments::get_petition_file, attachments::remove_petition_file,
        attachments::list_dispute_files, attachments::add_dispute_file, attachments::get_dispute_file, attachments::remove_dispute_file,
        attachments::list_my_files, attachments::add_my_file, attachments::get_my_file,
        ledger::list_accounts, ledger::list_postings, ledger::get_posting,
        funds::list_receipts, funds::list_policies, funds::set_policy, funds::compute_refunds, funds::list_refunds,
        funds::act_on_refunds, funds::list_grants, funds::grant, funds::export_receipts, funds::export_refunds, aid::export_paid, aid::export_files, mutual::export_claims, aid::change_budget,
        aid::list_lines, aid::set_line, aid::list_files, aid::list_file_persons, aid::open_file, aid::get_file, aid::review_file, aid::replan_file, aid::exit_file,
        aid::list_campaigns, aid::create_campaign, aid::get_campaign, aid::apply, aid::list_applications, aid::get_application,
        aid::decide, aid::object, aid::resolve, aid::make_batch, aid::get_batch, aid::bank_file, aid::record_results, aid::act_on_line,
        mutual::list_plans, mutual::create_plan, mutual::get_plan, mutual::enrol, mutual::claim, mutual::get_claim, mutual::decide,
        mutual::list_enrolments, mutual::list_enrollees, mutual::list_claims,
        attachments::list_claim_files, attachments::add_claim_file, attachments::get_claim_file, attachments::remove_claim_file,
        aid::paid, aid::my_campaigns, aid::my_applications, aid::apply_myself,
        contracts::list_contracts, contracts::create_contract, contracts::get_contract, contracts::step_contract, contracts::list_covered, contracts::list_checklists, contracts::export_contracts, contracts::export_covered,
        attachments::list_contract_files, attachments::add_contract_file, attachments::get_contract_file, attachments::remove_contract_file,
        contracts::list_campaigns, contracts::create_campaign, contracts::get_campaign, contracts::send_offers, contracts::answer_offer,
        contracts::get_employer, contracts::add_congress, contracts::add_disclosure, contracts::confirm_checklist, contracts::handle_motion,
        activities::list_activities, activities::create_activity, activities::get_activity, activities::step_activity, activities::add_session,
        activities::list_participants, activities::enter_sheet, activities::set_guests, activities::list_persons,
        activities::list_contests, activities::list_awards, activities::list_spending, activities::spend,
        activities::reverse_spending, activities::raise_budget, activities::add_trade, activities::get_trade,
        activities::add_entrants, activities::set_scores, activities::award,
        activities::my_activities, activities::sign_up, activities::withdraw, activities::check_in,
        honours::list_honours, honours::nominate, honours::record, honours::get_honour, honours::review,
        honours::object, honours::resolve, honours::award, honours::end, honours::give_care,
        honours::reverse_care, honours::list_care,
        innovation::list_studios, innovation::name_studio, innovation::get_studio, innovation::add_members,
        innovation::remove_member, innovation::revoke_studio, innovation::list_achievements,
        innovation::submit_achievement, innovation::get_achievement, innovation::decide_achievement,
        innovation::list_pairs, innovation::sign_pair, innovation::get_pair, innovation::close_pair,
        innovation::list_projects, innovation::post_project, innovation::get_project, innovation::step_project,
        research::list_tasks, research::create_task, research::get_task, research::add_visit, research::add_questionnaire,
        research::conclude, research::get_questionnaire, research::list_issues, research::raise_issue, research::get_issue,
        research::rectify, research::my_questionnaires, research::answer, research::list_visits, research::list_answers,
        super::auth_api::login_handler, super::auth_api::totp_handler, super::auth_api::totp_setup_begin,
        super::auth_api::totp_setup_confirm, super::auth_api::password_handler, super::auth_api::logout_handler,
        super::auth_api::logout_all_handler, super::auth_api::me_handler,
        super::admin_api::list_accounts, super::admin_api::create_account, super::admin_api::get_account,
        super::admin_api::set_status, super::admin_api::reset_password, super::admin_api::approve, super::admin_api::set_role,
        super::admin_api::unlock, super::admin_api::reset_totp, super::admin_api::list_tokens,
        super::admin_api::create_token, super::admin_api::revoke_token, super::admin_api::list_audit,
        super::admin_api::verify_audit, super::admin_api::system_status
    ),
    components(schemas(ErrorBody, transfers::TransferDirection, transfers::TransferDecision)),
    modifiers(&SecurityAddon, &ErrorResponses, &RequestRules),
    tags((name = "auth", description = "登录与会话"), (name = "admin", description = "账号、令牌与审计（三员分立）"), (name = "unions", description = "工会组织"), (name = "employers", description = "单位"), (name = "members", description = "会员"),
         (name = "stats", description = "统计"), (name = "files", description = "导入、导出、模板"),
         (name = "casework", description = "职工诉求（信访）、调解与法律援助"),
         (name = "finance", description = "资金账目（只读）"),
         (name = "aid", description = "困难职工档案、帮扶活动、审核公示与发放"),
         (name = "mutual", description = "职工医疗互助：计划、单位参保、理赔"),
         (name = "funds", description = "工会经费：税务代收、小微企业经费返还、补助下级工会"),
         (name = "contracts", description = "集体协商要约、集体合同、职代会与厂务公开"),
         (name = "activities", description = "职工活动：劳动竞赛、培训、宣讲、文体活动、走访、招聘会的场次、报名与签到，竞赛项目、成绩与奖项，活动经费"),
         (name = "honours", description = "评先评优：劳模、五一劳动奖章（状）、工人先锋号、工匠等荣誉的推荐、审核、公示与授予，外单位授予荣誉登记，劳模关爱"),
         (name = "innovation", description = "职工创新：劳模工匠创新工作室、“五小”创新、发明创造与合理化建议、名师带徒、揭榜挂帅"),
         (name = "research", description = "调研：调研任务、走访企业与座谈会、会员在线问卷，问题台账与整改"))
)]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(orgs::list_orgs).post(orgs::create_org))
        .route("/orgs/{code}", get(orgs::get_org).put(orgs::update_org))
        .route("/orgs/{code}/move", post(orgs::move_org))
        .route("/orgs/{code}/close", post(orgs::close_org))
        .route("/units", get(units::list_units).post(units::save_unit))
        .route("/units/{id}", get(units::get_unit))
        .route(
            "/members",
            get(members::list_members).post(members::enroll_member),
        )
        .route("/members/lookup", post(members::lookup_member))
        .route("/members/search", post(members::search_members))
        .route("/members/{id}", get(members::get_member))
        .route("/members/{id}/events", post(members::member_event))
        .route("/members/{id}/transfers", post(transfers::request_transfer))
        .route("/transfers", get(transfers::list_transfers))
        .route(
            "/transfers/{id}/{decision}",
            post(transfers::decide_transfer),
        )
        .route("/stats", get(stats::get_stats))
        .route("/stats/drill", get(stats::drill_stats))
        .route("/figures", get(figures::list_figures))
        .route("/figures/{key}/cases", get(figures::figure_cases))
        .route(
            "/figures/{key}/cases/export",
            get(figures::export_figure_cases),
        )
        .route("/import-jobs/{id}", get(files::import_status))
        .route("/import-jobs/{id}/errors.xlsx", get(files::import_errors))
        .route("/templates/{kind}", get(files::download_template))
        .route("/exports/members", get(files::export_members))
        .route("/exports/members/full", get(files::export_members_full))
        .route("/members/{id}/reveal", post(members::reveal_member))
        .route("/me/member", get(members::my_member))
        .route(
            "/me/member/contact",
            axum::routing::put(members::update_my_contact),
        )
        .route(
            "/casework/petitions",
            get(casework::list_petitions).post(casework::create_petition),
        )
        .route(
            "/casework/petitions/export",
            get(casework::export_petitions),
        )
        .route("/casework/petitions/{id}", get(casework::get_petition))
        .route(
            "/casework/petitions/{id}/steps",
            post(casework::step_petition),
        )
        .route(
            "/casework/disputes",
            get(casework::list_disputes).post(casework::create_dispute),
        )
        .route("/casework/disputes/export", get(casework::export_disputes))
        .route("/casework/disputes/{id}", get(casework::get_dispute))
        .route(
            "/casework/disputes/{id}/steps",
            post(casework::step_dispute),
        )
        .route(
            "/casework/roster",
            get(casework::list_roster).post(casework::add_to_roster),
        )
        .route(
            "/casework/roster/{id}/status",
            post(casework::set_roster_status),
        )
        .route(
            "/me/petitions",
            get(casework::my_petitions).post(casework::file_my_petition),
        )
        .route("/me/petitions/{id}", get(casework::my_petition))
        .route("/ledger/accounts", get(ledger::list_accounts))
        .route("/ledger/postings", get(ledger::list_postings))
        .route("/ledger/postings/{id}", get(ledger::get_posting))
        .route("/funds/receipts", get(funds::list_receipts))
        .route("/funds/receipts/export", get(funds::export_receipts))
        .route("/funds/refunds/export", get(funds::export_refunds))
        .route("/aid/paid/export", get(aid::export_paid))
        .route("/aid/files/export", get(aid::export_files))
        .route("/aid/campaigns/{id}/budget", post(aid::change_budget))
        .route(
            "/funds/policies",
            get(funds::list_policies).post(funds::set_policy),
        )
        .route("/funds/refunds", get(funds::list_refunds))
        .route("/funds/refunds/compute", post(funds::compute_refunds))
        .route("/funds/refunds/act", post(funds::act_on_refunds))
        .route("/funds/grants", get(funds::list_grants).post(funds::grant))
        .route("/aid/lines", get(aid::list_lines).post(aid::set_line))
        .route("/aid/files", get(aid::list_files).post(aid::open_file))
        .route("/aid/file-persons", get(aid::list_file_persons))
        .route("/aid/files/{id}", get(aid::get_file))
        .route("/aid/files/{id}/review", post(aid::review_file))
        .route("/aid/files/{id}/plan", post(aid::replan_file))
        .route("/aid/files/{id}/exit", post(aid::exit_file))
        .route(
            "/aid/campaigns",
            get(aid::list_campaigns).post(aid::create_campaign),
        )
        .route("/aid/campaigns/{id}", get(aid::get_campaign))
        .route("/aid/campaigns/{id}/applications", post(aid::apply))
        .route("/aid/campaigns/{id}/batches", post(aid::make_batch))
        .route("/aid/applications", get(aid::list_applications))
        .route("/aid/applications/{id}", get(aid::get_application))
        .route("/aid/applications/{id}/decision", post(aid::decide))
        .route("/aid/applications/{id}/objections", post(aid::object))
        .route(
            "/aid/applications/{id}/objections/{objection}/resolve",
            post(aid::resolve),
        )
        .route("/aid/batches/{id}", get(aid::get_batch))
        .route("/aid/batches/{id}/bank-file", get(aid::bank_file))
        .route("/aid/batches/{id}/results", post(aid::record_results))
        .route("/aid/batches/{id}/lines/{line}", post(aid::act_on_line))
        .route("/aid/paid", get(aid::paid))
        .route(
            "/mutual/plans",
            get(mutual::list_plans).post(mutual::create_plan),
        )
        .route("/mutual/plans/{id}", get(mutual::get_plan))
        .route("/mutual/plans/{id}/enrolments", post(mutual::enrol))
        .route("/mutual/plans/{id}/claims", post(mutual::claim))
        .route("/mutual/enrolments", get(mutual::list_enrolments))
        .route("/mutual/enrollees", get(mutual::list_enrollees))
        .route("/mutual/claims", get(mutual::list_claims))
        .route("/mutual/claims/export", get(mutual::export_claims))
        .route("/mutual/claims/{id}", get(mutual::get_claim))
        .route("/mutual/claims/{id}/decision", post(mutual::decide))
        .route(
            "/activities",
            get(activities::list_activities).post(activities::create_activity),
        )
        .route("/activities/persons", get(activities::list_persons))
        .route("/activities/contests", get(activities::list_contests))
        .route("/activities/awards", get(activities::list_awards))
        .route("/activities/spending", get(activities::list_spending))
        .route("/activities/{id}/spending", post(activities::spend))
        .route(
            "/activities/{id}/spending/{spending}/reverse",
            post(activities::reverse_spending),
        )
        .route("/activities/{id}/budget", post(activities::raise_budget))
        .route("/activities/{id}/trades", post(activities::add_trade))
        .route("/activities/trades/{id}", get(activities::get_trade))
        .route(
            "/activities/trades/{id}/entrants",
            post(activities::add_entrants),
        )
        .route(
            "/activities/trades/{id}/scores",
            post(activities::set_scores),
        )
        .route("/activities/trades/{id}/awards", post(activities::award))
        .route("/activities/{id}", get(activities::get_activity))
        .route("/activities/{id}/sessions", post(activities::add_session))
        .route(
            "/activities/{id}/participants",
            get(activities::list_participants),
        )
        .route("/activities/{id}/{action}", post(activities::step_activity))
        .route(
            "/activities/sessions/{id}/sheet",
            post(activities::enter_sheet),
        )
        .route(
            "/activities/sessions/{id}/guests",
            post(activities::set_guests),
        )
        .route(
            "/honours",
            get(honours::list_honours).post(honours::nominate),
        )
        .route("/honours/record", post(honours::record))
        .route("/honours/care", get(honours::list_care))
        .route("/honours/care/{id}/reverse", post(honours::reverse_care))
        .route("/honours/{id}", get(honours::get_honour))
        .route("/honours/{id}/review", post(honours::review))
        .route("/honours/{id}/objections", post(honours::object))
        .route(
            "/honours/{id}/objections/{objection}/resolve",
            post(honours::resolve),
        )
        .route("/honours/{id}/award", post(honours::award))
        .route("/honours/{id}/end/{action}", post(honours::end))
        .route("/honours/{id}/care", post(honours::give_care))
        .route(
            "/innovation/studios",
            get(innovation::list_studios).post(innovation::name_studio),
        )
        .route("/innovation/studios/{id}", get(innovation::get_studio))
        .route(
            "/innovation/studios/{id}/members",
            post(innovation::add_members),
        )
        .route(
            "/innovation/studios/{id}/members/{member}/remove",
            post(innovation::remove_member),
        )
        .route(
            "/innovation/studios/{id}/revoke",
            post(innovation::revoke_studio),
        )
        .route(
            "/innovation/achievements",
            get(innovation::list_achievements).post(innovation::submit_achievement),
        )
        .route(
            "/innovation/achievements/{id}",
            get(innovation::get_achievement),
        )
        .route(
            "/innovation/achievements/{id}/decide",
            post(innovation::decide_achievement),
        )
        .route(
            "/innovation/pairs",
            get(innovation::list_pairs).post(innovation::sign_pair),
        )
        .route("/innovation/pairs/{id}", get(innovation::get_pair))
        .route("/innovation/pairs/{id}/close", post(innovation::close_pair))
        .route(
            "/innovation/projects",
            get(innovation::list_projects).post(innovation::post_project),
        )
        .route("/innovation/projects/{id}", get(innovation::get_project))
        .route(
            "/innovation/projects/{id}/step",
            post(innovation::step_project),
        )
        .route(
            "/research",
            get(research::list_tasks).post(research::create_task),
        )
        .route(
            "/research/issues",
            get(research::list_issues).post(research::raise_issue),
        )
        .route("/research/visits", get(research::list_visits))
        .route("/research/answers", get(research::list_answers))
        .route("/research/issues/{id}", get(research::get_issue))
        .route("/research/issues/{id}/rectify", post(research::rectify))
        .route(
            "/research/questionnaires/{id}",
            get(research::get_questionnaire),
        )
        .route("/research/{id}", get(research::get_task))
        .route("/research/{id}/visits", post(research::add_visit))
        .route(
            "/research/{id}/questionnaires",
            post(research::add_questionnaire),
        )
        .route("/research/{id}/conclude", post(research::conclude))
        .route("/me/activities", get(activities::my_activities))
        .route("/me/activities/{id}/signup", post(activities::sign_up))
        .route("/me/activities/{id}/withdraw", post(activities::withdraw))
        .route("/me/checkin", post(activities::check_in))
        .route("/me/questionnaires", get(research::my_questionnaires))
        .route("/me/questionnaires/{id}/answers", post(research::answer))
        .route(
            "/contracts",
            get(contracts::list_contracts).post(contracts::create_contract),
        )
        .route("/contracts/export", get(contracts::export_contracts))
        .route("/contracts/covered", get(contracts::list_covered))
        .route("/contracts/covered/export", get(contracts::export_covered))
        .route("/contracts/checklists", get(contracts::list_checklists))
        .route(
            "/contracts/campaigns",
            get(contracts::list_campaigns).post(contracts::create_campaign),
        )
        .route("/contracts/campaigns/{id}", get(contracts::get_campaign))
        .route(
            "/contracts/campaigns/{id}/send",
            post(contracts::send_offers),
        )
        .route(
            "/contracts/offers/{id}/answer",
            post(contracts::answer_offer),
        )
        .route("/contracts/employers/{id}", get(contracts::get_employer))
        .route(
            "/contracts/employers/{id}/congresses",
            post(contracts::add_congress),
        )
        .route(
            "/contracts/employers/{id}/disclosures",
            post(contracts::add_disclosure),
        )
        .route(
            "/contracts/employers/{id}/checklists/{year}",
            axum::routing::put(contracts::confirm_checklist),
        )
        .route("/contracts/motions/{id}", post(contracts::handle_motion))
        .route("/contracts/{id}", get(contracts::get_contract))
        .route("/contracts/{id}/{action}", post(contracts::step_contract))
        .route("/me/aid/campaigns", get(aid::my_campaigns))
        .route("/me/aid/applications", get(aid::my_applications))
        .route(
            "/me/aid/campaigns/{id}/applications",
            post(aid::apply_myself),
        )
}

/// The import upload route, with its own (larger) body limit.
pub fn upload_router(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/imports/{kind}", post(files::start_import))
        .layer(axum::extract::DefaultBodyLimit::max(max_bytes))
}

/// A path id; anything unparsable is simply a record that does not exist.
pub(crate) fn parse_id(s: &str, what: &str) -> AppResult<i64> {
    s.parse().map_err(|_| AppError::not_found(what))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub schema_version: Option<i64>,
}

#[utoipa::path(get, path = "/healthz", tag = "stats", responses((status = 200, body = Health)))]
pub async fn health(State(st): State<AppState>) -> AppResult<Json<Health>> {
    let (_, current) = crate::db::migrations::status(&st.reg.db).await?;
    let database = match st.reg.db.backend() {
        crate::db::Backend::Sqlite => "sqlite",
        crate::db::Backend::Postgres => "postgres",
    };
    Ok(Json(Health {
        status: "ok".into(),
        database: database.into(),
        schema_version: current,
    }))
}
