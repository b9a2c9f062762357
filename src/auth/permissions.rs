//! The role × permission matrix and the endpoint → permission table: the one place access is
//! decided. `docs/permissions.md` is the written form of both; the matrix test checks that every
//! role gets exactly what the document says on every endpoint.

use axum::http::Method;

use crate::error::{AppError, AppResult};

/// One thing a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Perm {
    OrgRead,
    OrgWrite,
    UnitRead,
    UnitWrite,
    MemberRead,
    MemberWrite,
    /// See a full ID number or mobile, with a stated reason.
    MemberReveal,
    Import,
    /// Export lists with ID numbers and mobiles masked.
    Export,
    /// Export lists with full ID numbers and mobiles.
    ExportFull,
    StatsRead,
    /// Money records (dues, aid paid); read by the auditor (经审). Used by later modules.
    FinanceRead,
    /// Work in the named business modules of a case officer's account. Used by later modules.
    CaseWork,
    /// A member's own record.
    SelfRead,
    SelfWrite,
    AccountRead,
    /// Create accounts, enable/disable them, reset passwords (系统管理员).
    AccountManage,
    /// Approve new and reset accounts, assign roles and scopes, unlock accounts, reset second
    /// factors (安全管理员).
    AccountGrant,
    TokenManage,
    /// Read and verify the audit trail (审计管理员).
    AuditRead,
    /// Health and configuration status.
    SystemRead,
}

pub const ALL_PERMS: &[Perm] = &[
    Perm::OrgRead,
    Perm::OrgWrite,
    Perm::UnitRead,
    Perm::UnitWrite,
    Perm::MemberRead,
    Perm::MemberWrite,
    Perm::MemberReveal,
    Perm::Import,
    Perm::Export,
    Perm::ExportFull,
    Perm::StatsRead,
    Perm::FinanceRead,
    Perm::CaseWork,
    Perm::SelfRead,
    Perm::SelfWrite,
    Perm::AccountRead,
    Perm::AccountManage,
    Perm::AccountGrant,
    Perm::TokenManage,
    Perm::AuditRead,
    Perm::SystemRead,
];

impl Perm {
    pub fn code(self) -> &'static str {
        match self {
            Perm::OrgRead => "org.read",
            Perm::OrgWrite => "org.write",
            Perm::UnitRead => "unit.read",
            Perm::UnitWrite => "unit.write",
            Perm::MemberRead => "member.read",
            Perm::MemberWrite => "member.write",
            Perm::MemberReveal => "member.reveal",
            Perm::Import => "import",
            Perm::Export => "export",
            Perm::ExportFull => "export.full",
            Perm::StatsRead => "stats.read",
            Perm::FinanceRead => "finance.read",
            Perm::CaseWork => "case.work",
            Perm::SelfRead => "self.read",
            Perm::SelfWrite => "self.write",
            Perm::AccountRead => "account.read",
            Perm::AccountManage => "account.manage",
            Perm::AccountGrant => "account.grant",
            Perm::TokenManage => "token.manage",
            Perm::AuditRead => "audit.read",
            Perm::SystemRead => "system.read",
        }
    }

    /// What the permission allows, in Chinese (shown on the account page).
    pub fn label(self) -> &'static str {
        match self {
            Perm::OrgRead => "查看工会组织",
            Perm::OrgWrite => "维护工会组织",
            Perm::UnitRead => "查看用人单位",
            Perm::UnitWrite => "维护用人单位",
            Perm::MemberRead => "查看会员",
            Perm::MemberWrite => "办理会员业务",
            Perm::MemberReveal => "查看完整身份证号和手机号（须说明原因）",
            Perm::Import => "批量导入",
            Perm::Export => "导出名单（脱敏）",
            Perm::ExportFull => "导出名单（含完整信息）",
            Perm::StatsRead => "查看统计",
            Perm::FinanceRead => "查看经费与资金记录",
            Perm::CaseWork => "办理业务案件",
            Perm::SelfRead => "查看本人会员信息",
            Perm::SelfWrite => "修改本人联系方式",
            Perm::AccountRead => "查看账号",
            Perm::AccountManage => "管理账号",
            Perm::AccountGrant => "核准账号、授予角色与范围",
            Perm::TokenManage => "管理接口令牌",
            Perm::AuditRead => "查看审计日志",
            Perm::SystemRead => "查看系统状态",
        }
    }

    pub fn parse(code: &str) -> AppResult<Perm> {
        ALL_PERMS
            .iter()
            .copied()
            .find(|p| p.code() == code.trim())
            .ok_or_else(|| AppError::invalid(format!("未知的权限“{code}”")))
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermSet(u32);

impl PermSet {
    pub fn of(perms: &[Perm]) -> PermSet {
        PermSet(perms.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn has(self, p: Perm) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn intersect(self, other: PermSet) -> PermSet {
        PermSet(self.0 & other.0)
    }

    pub fn list(self) -> Vec<Perm> {
        ALL_PERMS.iter().copied().filter(|p| self.has(*p)).collect()
    }

    pub fn codes(self) -> Vec<&'static str> {
        self.list().into_iter().map(Perm::code).collect()
    }
}

/// Permissions an API token may carry: business reads and writes, never account, token or
/// audit administration, and never full values.
pub const TOKEN_GRANTABLE: &[Perm] = &[
    Perm::OrgRead,
    Perm::OrgWrite,
    Perm::UnitRead,
    Perm::UnitWrite,
    Perm::MemberRead,
    Perm::MemberWrite,
    Perm::Import,
    Perm::Export,
    Perm::StatsRead,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 系统管理员: accounts and system operation; no business data.
    SysAdmin,
    /// 安全管理员: roles, scopes, unlocks, API tokens; no business data.
    SecAdmin,
    /// 审计管理员: the audit trail; no business data.
    AuditAdmin,
    /// 工会干部: manages its subtree.
    Cadre,
    /// 业务经办人: reads its subtree, works in named modules.
    Officer,
    /// 经审人员: reads everything in its subtree, money included; changes nothing.
    Auditor,
    /// 会员: only their own record.
    Member,
}

pub const ALL_ROLES: &[Role] = &[
    Role::SysAdmin,
    Role::SecAdmin,
    Role::AuditAdmin,
    Role::Cadre,
    Role::Officer,
    Role::Auditor,
    Role::Member,
];

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::SysAdmin => "sysadmin",
            Role::SecAdmin => "secadmin",
            Role::AuditAdmin => "auditadmin",
            Role::Cadre => "cadre",
            Role::Officer => "officer",
            Role::Auditor => "auditor",
            Role::Member => "member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SysAdmin => "系统管理员",
            Role::SecAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
            Role::Cadre => "工会干部",
            Role::Officer => "业务经办人",
            Role::Auditor => "经审人员",
            Role::Member => "会员",
        }
    }

    pub fn parse(s: &str) -> AppResult<Role> {
        let s = s.trim();
        ALL_ROLES
            .iter()
            .copied()
            .find(|r| r.code() == s || r.label() == s)
            .ok_or_else(|| AppError::invalid(format!("未知的角色“{s}”")))
    }

    /// The three separated administrator roles (三员分立); they log in with a second factor.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::SysAdmin | Role::SecAdmin | Role::AuditAdmin)
    }

    /// The matrix. Keep `docs/permissions.md` in step: the matrix test reads it.
    pub fn perms(self) -> PermSet {
        use Perm::*;
        PermSet::of(match self {
            Role::SysAdmin => &[AccountRead, AccountManage, SystemRead],
            Role::SecAdmin => &[AccountRead, AccountGrant, TokenManage],
            Role::AuditAdmin => &[AuditRead],
            Role::Cadre => &[
                OrgRead,
                OrgWrite,
                UnitRead,
                UnitWrite,
                MemberRead,
                MemberWrite,
                MemberReveal,
                Import,
                Export,
                ExportFull,
                StatsRead,
                FinanceRead,
                TokenManage,
                CaseWork,
            ],
            Role::Officer => &[OrgRead, UnitRead, MemberRead, StatsRead, CaseWork],
            Role::Auditor => &[
                OrgRead,
                UnitRead,
                MemberRead,
                StatsRead,
                Export,
                FinanceRead,
            ],
            Role::Member => &[SelfRead, SelfWrite],
        })
    }
}

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login, health).
    Public,
    /// A session at any login stage (second factor, password change, logout, who am I).
    AnySession,
    /// A fully signed-in session or token holding this permission.
    Need(Perm),
}

/// Every API route and what it requires. A route missing here is refused (deny by default).
pub const ROUTES: &[(&str, &str, Access)] = {
    use Access::*;
    use Perm::*;
    &[
        ("POST", "/api/v1/auth/login", Public),
        ("POST", "/api/v1/auth/totp", AnySession),
        ("GET", "/api/v1/auth/totp/setup", AnySession),
        ("POST", "/api/v1/auth/totp/setup", AnySession),
        ("POST", "/api/v1/auth/password", AnySession),
        ("POST", "/api/v1/auth/logout", AnySession),
        ("POST", "/api/v1/auth/logout-all", AnySession),
        ("GET", "/api/v1/auth/me", AnySession),
        ("GET", "/api/v1/orgs", Need(OrgRead)),
        ("POST", "/api/v1/orgs", Need(OrgWrite)),
        ("GET", "/api/v1/orgs/{code}", Need(OrgRead)),
        ("PUT", "/api/v1/orgs/{code}", Need(OrgWrite)),
        ("POST", "/api/v1/orgs/{code}/move", Need(OrgWrite)),
        ("POST", "/api/v1/orgs/{code}/close", Need(OrgWrite)),
        ("GET", "/api/v1/units", Need(UnitRead)),
        ("POST", "/api/v1/units", Need(UnitWrite)),
        ("GET", "/api/v1/units/{id}", Need(UnitRead)),
        ("GET", "/api/v1/members", Need(MemberRead)),
        ("POST", "/api/v1/members", Need(MemberWrite)),
        ("POST", "/api/v1/members/lookup", Need(MemberRead)),
        ("POST", "/api/v1/members/search", Need(MemberRead)),
        ("GET", "/api/v1/members/{id}", Need(MemberRead)),
        ("POST", "/api/v1/members/{id}/events", Need(MemberWrite)),
        ("POST", "/api/v1/members/{id}/reveal", Need(MemberReveal)),
        ("POST", "/api/v1/members/{id}/transfers", Need(MemberWrite)),
        ("GET", "/api/v1/transfers", Need(MemberRead)),
        (
            "POST",
            "/api/v1/transfers/{id}/{decision}",
            Need(MemberWrite),
        ),
        ("GET", "/api/v1/stats", Need(StatsRead)),
        ("GET", "/api/v1/stats/drill", Need(StatsRead)),
        ("GET", "/api/v1/figures", Need(StatsRead)),
        ("GET", "/api/v1/figures/{key}/cases", Need(CaseWork)),
        ("GET", "/api/v1/figures/{key}/cases/export", Need(CaseWork)),
        ("POST", "/api/v1/imports/{kind}", Need(Import)),
        ("GET", "/api/v1/import-jobs/{id}", Need(Import)),
        ("GET", "/api/v1/import-jobs/{id}/errors.xlsx", Need(Import)),
        ("GET", "/api/v1/templates/{kind}", Need(Import)),
        ("GET", "/api/v1/exports/members", Need(Export)),
        ("GET", "/api/v1/exports/members/full", Need(ExportFull)),
        ("GET", "/api/v1/me/member", Need(SelfRead)),
        ("PUT", "/api/v1/me/member/contact", Need(SelfWrite)),
        ("GET", "/api/v1/casework/petitions", Need(CaseWork)),
        ("POST", "/api/v1/casework/petitions", Need(CaseWork)),
        ("GET", "/api/v1/casework/petitions/export", Need(CaseWork)),
        ("GET", "/api/v1/casework/petitions/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/casework/petitions/{id}/steps",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/casework/disputes", Need(CaseWork)),
        ("POST", "/api/v1/casework/disputes", Need(CaseWork)),
        ("GET", "/api/v1/casework/disputes/export", Need(CaseWork)),
        ("GET", "/api/v1/casework/disputes/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/casework/disputes/{id}/steps",
            Need(CaseWork),
        ),
        (
            "GET",
            "/api/v1/casework/petitions/{id}/attachments",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/casework/petitions/{id}/attachments",
            Need(CaseWork),
        ),
        (
            "GET",
            "/api/v1/casework/petitions/{id}/attachments/{file}",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/casework/petitions/{id}/attachments/{file}/remove",
            Need(CaseWork),
        ),
        (
            "GET",
            "/api/v1/casework/disputes/{id}/attachments",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/casework/disputes/{id}/attachments",
            Need(CaseWork),
        ),
        (
            "GET",
            "/api/v1/casework/disputes/{id}/attachments/{file}",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/casework/disputes/{id}/attachments/{file}/remove",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/casework/roster", Need(CaseWork)),
        ("POST", "/api/v1/casework/roster", Need(CaseWork)),
        (
            "POST",
            "/api/v1/casework/roster/{id}/status",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/me/petitions", Need(SelfRead)),
        ("POST", "/api/v1/me/petitions", Need(SelfWrite)),
        ("GET", "/api/v1/me/petitions/{id}", Need(SelfRead)),
        ("GET", "/api/v1/ledger/accounts", Need(FinanceRead)),
        ("GET", "/api/v1/ledger/postings", Need(FinanceRead)),
        ("GET", "/api/v1/ledger/postings/{id}", Need(FinanceRead)),
        ("GET", "/api/v1/funds/receipts", Need(CaseWork)),
        ("GET", "/api/v1/funds/receipts/export", Need(CaseWork)),
        ("GET", "/api/v1/funds/refunds/export", Need(CaseWork)),
        ("GET", "/api/v1/aid/paid/export", Need(CaseWork)),
        ("GET", "/api/v1/aid/files/export", Need(CaseWork)),
        ("GET", "/api/v1/mutual/claims/export", Need(CaseWork)),
        ("POST", "/api/v1/aid/campaigns/{id}/budget", Need(CaseWork)),
        ("GET", "/api/v1/funds/policies", Need(CaseWork)),
        ("POST", "/api/v1/funds/policies", Need(CaseWork)),
        ("GET", "/api/v1/funds/refunds", Need(CaseWork)),
        ("POST", "/api/v1/funds/refunds/compute", Need(CaseWork)),
        ("POST", "/api/v1/funds/refunds/act", Need(CaseWork)),
        ("GET", "/api/v1/funds/grants", Need(CaseWork)),
        ("POST", "/api/v1/funds/grants", Need(CaseWork)),
        ("GET", "/api/v1/aid/lines", Need(CaseWork)),
        ("POST", "/api/v1/aid/lines", Need(CaseWork)),
        ("GET", "/api/v1/aid/files", Need(CaseWork)),
        ("POST", "/api/v1/aid/files", Need(CaseWork)),
        ("GET", "/api/v1/aid/file-persons", Need(CaseWork)),
        ("GET", "/api/v1/aid/files/{id}", Need(CaseWork)),
        ("POST", "/api/v1/aid/files/{id}/review", Need(CaseWork)),
        ("POST", "/api/v1/aid/files/{id}/plan", Need(CaseWork)),
        ("POST", "/api/v1/aid/files/{id}/exit", Need(CaseWork)),
        ("GET", "/api/v1/aid/campaigns", Need(CaseWork)),
        ("POST", "/api/v1/aid/campaigns", Need(CaseWork)),
        ("GET", "/api/v1/aid/campaigns/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/aid/campaigns/{id}/applications",
            Need(CaseWork),
        ),
        ("POST", "/api/v1/aid/campaigns/{id}/batches", Need(CaseWork)),
        ("GET", "/api/v1/aid/applications", Need(CaseWork)),
        ("GET", "/api/v1/aid/applications/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/aid/applications/{id}/decision",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/aid/applications/{id}/objections",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/aid/applications/{id}/objections/{objection}/resolve",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/aid/batches/{id}", Need(CaseWork)),
        ("GET", "/api/v1/aid/batches/{id}/bank-file", Need(CaseWork)),
        ("POST", "/api/v1/aid/batches/{id}/results", Need(CaseWork)),
        (
            "POST",
            "/api/v1/aid/batches/{id}/lines/{line}",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/aid/paid", Need(CaseWork)),
        ("GET", "/api/v1/activities", Need(CaseWork)),
        ("POST", "/api/v1/activities", Need(CaseWork)),
        ("GET", "/api/v1/activities/persons", Need(CaseWork)),
        ("GET", "/api/v1/activities/{id}", Need(CaseWork)),
        ("POST", "/api/v1/activities/{id}/sessions", Need(CaseWork)),
        (
            "GET",
            "/api/v1/activities/{id}/participants",
            Need(CaseWork),
        ),
        ("POST", "/api/v1/activities/{id}/{action}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/activities/sessions/{id}/sheet",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/activities/sessions/{id}/guests",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/activities/contests", Need(CaseWork)),
        ("GET", "/api/v1/activities/awards", Need(CaseWork)),
        ("GET", "/api/v1/activities/spending", Need(CaseWork)),
        ("POST", "/api/v1/activities/{id}/spending", Need(CaseWork)),
        (
            "POST",
            "/api/v1/activities/{id}/spending/{spending}/reverse",
            Need(CaseWork),
        ),
        ("POST", "/api/v1/activities/{id}/budget", Need(CaseWork)),
        ("POST", "/api/v1/activities/{id}/trades", Need(CaseWork)),
        ("GET", "/api/v1/activities/trades/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/activities/trades/{id}/entrants",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/activities/trades/{id}/scores",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/activities/trades/{id}/awards",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/me/activities", Need(SelfRead)),
        ("POST", "/api/v1/me/activities/{id}/signup", Need(SelfWrite)),
        (
            "POST",
            "/api/v1/me/activities/{id}/withdraw",
            Need(SelfWrite),
        ),
        ("POST", "/api/v1/me/checkin", Need(SelfWrite)),
        ("GET", "/api/v1/honours", Need(CaseWork)),
        ("POST", "/api/v1/honours", Need(CaseWork)),
        ("POST", "/api/v1/honours/record", Need(CaseWork)),
        ("GET", "/api/v1/honours/care", Need(CaseWork)),
        ("POST", "/api/v1/honours/care/{id}/reverse", Need(CaseWork)),
        ("GET", "/api/v1/honours/{id}", Need(CaseWork)),
        ("POST", "/api/v1/honours/{id}/review", Need(CaseWork)),
        ("POST", "/api/v1/honours/{id}/objections", Need(CaseWork)),
        (
            "POST",
            "/api/v1/honours/{id}/objections/{objection}/resolve",
            Need(CaseWork),
        ),
        ("POST", "/api/v1/honours/{id}/award", Need(CaseWork)),
        ("POST", "/api/v1/honours/{id}/end/{action}", Need(CaseWork)),
        ("POST", "/api/v1/honours/{id}/care", Need(CaseWork)),
        ("GET", "/api/v1/innovation/studios", Need(CaseWork)),
        ("POST", "/api/v1/innovation/studios", Need(CaseWork)),
        ("GET", "/api/v1/innovation/studios/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/innovation/studios/{id}/members",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/innovation/studios/{id}/members/{member}/remove",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/innovation/studios/{id}/revoke",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/innovation/achievements", Need(CaseWork)),
        ("POST", "/api/v1/innovation/achievements", Need(CaseWork)),
        (
            "GET",
            "/api/v1/innovation/achievements/{id}",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/innovation/achievements/{id}/decide",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/innovation/pairs", Need(CaseWork)),
        ("POST", "/api/v1/innovation/pairs", Need(CaseWork)),
        ("GET", "/api/v1/innovation/pairs/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/innovation/pairs/{id}/close",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/innovation/projects", Need(CaseWork)),
        ("POST", "/api/v1/innovation/projects", Need(CaseWork)),
        ("GET", "/api/v1/innovation/projects/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/innovation/projects/{id}/step",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/research", Need(CaseWork)),
        ("POST", "/api/v1/research", Need(CaseWork)),
        ("GET", "/api/v1/research/visits", Need(CaseWork)),
        ("GET", "/api/v1/research/answers", Need(CaseWork)),
        ("GET", "/api/v1/research/issues", Need(CaseWork)),
        ("POST", "/api/v1/research/issues", Need(CaseWork)),
        ("GET", "/api/v1/research/issues/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/research/issues/{id}/rectify",
            Need(CaseWork),
        ),
        (
            "GET",
            "/api/v1/research/questionnaires/{id}",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/research/{id}", Need(CaseWork)),
        ("POST", "/api/v1/research/{id}/visits", Need(CaseWork)),
        (
            "POST",
            "/api/v1/research/{id}/questionnaires",
            Need(CaseWork),
        ),
        ("POST", "/api/v1/research/{id}/conclude", Need(CaseWork)),
        ("GET", "/api/v1/me/questionnaires", Need(SelfRead)),
        (
            "POST",
            "/api/v1/me/questionnaires/{id}/answers",
            Need(SelfWrite),
        ),
        ("GET", "/api/v1/contracts", Need(CaseWork)),
        ("POST", "/api/v1/contracts", Need(CaseWork)),
        ("GET", "/api/v1/contracts/export", Need(CaseWork)),
        ("GET", "/api/v1/contracts/covered", Need(CaseWork)),
        ("GET", "/api/v1/contracts/covered/export", Need(CaseWork)),
        ("GET", "/api/v1/contracts/checklists", Need(CaseWork)),
        ("GET", "/api/v1/contracts/campaigns", Need(CaseWork)),
        ("POST", "/api/v1/contracts/campaigns", Need(CaseWork)),
        ("GET", "/api/v1/contracts/campaigns/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/contracts/campaigns/{id}/send",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/contracts/offers/{id}/answer",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/contracts/employers/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/contracts/employers/{id}/congresses",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/contracts/employers/{id}/disclosures",
            Need(CaseWork),
        ),
        (
            "PUT",
            "/api/v1/contracts/employers/{id}/checklists/{year}",
            Need(CaseWork),
        ),
        ("POST", "/api/v1/contracts/motions/{id}", Need(CaseWork)),
        ("GET", "/api/v1/contracts/{id}", Need(CaseWork)),
        ("POST", "/api/v1/contracts/{id}/{action}", Need(CaseWork)),
        ("GET", "/api/v1/contracts/{id}/attachments", Need(CaseWork)),
        ("POST", "/api/v1/contracts/{id}/attachments", Need(CaseWork)),
        (
            "GET",
            "/api/v1/contracts/{id}/attachments/{file}",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/contracts/{id}/attachments/{file}/remove",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/mutual/plans", Need(CaseWork)),
        ("POST", "/api/v1/mutual/plans", Need(CaseWork)),
        ("GET", "/api/v1/mutual/plans/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/mutual/plans/{id}/enrolments",
            Need(CaseWork),
        ),
        ("POST", "/api/v1/mutual/plans/{id}/claims", Need(CaseWork)),
        ("GET", "/api/v1/mutual/enrolments", Need(CaseWork)),
        ("GET", "/api/v1/mutual/enrollees", Need(CaseWork)),
        ("GET", "/api/v1/mutual/claims", Need(CaseWork)),
        ("GET", "/api/v1/mutual/claims/{id}", Need(CaseWork)),
        (
            "POST",
            "/api/v1/mutual/claims/{id}/decision",
            Need(CaseWork),
        ),
        (
            "GET",
            "/api/v1/mutual/claims/{id}/attachments",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/mutual/claims/{id}/attachments",
            Need(CaseWork),
        ),
        (
            "GET",
            "/api/v1/mutual/claims/{id}/attachments/{file}",
            Need(CaseWork),
        ),
        (
            "POST",
            "/api/v1/mutual/claims/{id}/attachments/{file}/remove",
            Need(CaseWork),
        ),
        ("GET", "/api/v1/me/aid/campaigns", Need(SelfRead)),
        ("GET", "/api/v1/me/aid/applications", Need(SelfRead)),
        (
            "POST",
            "/api/v1/me/aid/campaigns/{id}/applications",
            Need(SelfWrite),
        ),
        (
            "GET",
            "/api/v1/me/petitions/{id}/attachments",
            Need(SelfRead),
        ),
        (
            "POST",
            "/api/v1/me/petitions/{id}/attachments",
            Need(SelfWrite),
        ),
        (
            "GET",
            "/api/v1/me/petitions/{id}/attachments/{file}",
            Need(SelfRead),
        ),
        ("GET", "/api/v1/accounts", Need(AccountRead)),
        ("POST", "/api/v1/accounts", Need(AccountManage)),
        ("GET", "/api/v1/accounts/{id}", Need(AccountRead)),
        ("POST", "/api/v1/accounts/{id}/status", Need(AccountManage)),
        (
            "POST",
            "/api/v1/accounts/{id}/reset-password",
            Need(AccountManage),
        ),
        ("POST", "/api/v1/accounts/{id}/approve", Need(AccountGrant)),
        ("POST", "/api/v1/accounts/{id}/role", Need(AccountGrant)),
        ("POST", "/api/v1/accounts/{id}/unlock", Need(AccountGrant)),
        (
            "POST",
            "/api/v1/accounts/{id}/reset-totp",
            Need(AccountGrant),
        ),
        ("GET", "/api/v1/tokens", Need(TokenManage)),
        ("POST", "/api/v1/tokens", Need(TokenManage)),
        ("POST", "/api/v1/tokens/{id}/revoke", Need(TokenManage)),
        ("GET", "/api/v1/audit", Need(AuditRead)),
        ("GET", "/api/v1/audit/verify", Need(AuditRead)),
        ("GET", "/api/v1/system/status", Need(SystemRead)),
    ]
};

/// What the route `method path` (axum's matched path) requires; `None` means the route is
/// unknown here and must be refused.
pub fn access_for(method: &Method, matched_path: &str) -> Option<Access> {
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && *p == matched_path)
        .map(|(_, _, a)| *a)
}

/// The console's pages, decided by the same rules as the API. `AnySession` pages check the
/// sign-in stage themselves (they include the sign-in steps).
pub const PAGES: &[(&str, &str, Access)] = {
    use Access::*;
    use Perm::*;
    &[
        ("GET", "/login", Public),
        ("POST", "/login", Public),
        ("GET", "/login/continue", AnySession),
        ("GET", "/login/totp", AnySession),
        ("POST", "/login/totp", AnySession),
        ("GET", "/login/totp-setup", AnySession),
        ("POST", "/login/totp-setup", AnySession),
        ("GET", "/login/password", AnySession),
        ("POST", "/login/password", AnySession),
        ("POST", "/logout", AnySession),
        ("GET", "/", AnySession),
        ("GET", "/account", AnySession),
        ("POST", "/account/logout-all", AnySession),
        ("POST", "/scope", Need(OrgRead)),
        ("GET", "/dashboard", Need(StatsRead)),
        ("GET", "/dashboard/statistics.xlsx", Need(StatsRead)),
        ("GET", "/drill", Need(StatsRead)),
        ("GET", "/figures", Need(StatsRead)),
        ("GET", "/figures/{key}", Need(CaseWork)),
        ("GET", "/orgs", Need(OrgRead)),
        ("GET", "/orgs/new", Need(OrgWrite)),
        ("POST", "/orgs/new", Need(OrgWrite)),
        ("GET", "/orgs/{code}", Need(OrgRead)),
        ("GET", "/orgs/{code}/edit", Need(OrgWrite)),
        ("POST", "/orgs/{code}/edit", Need(OrgWrite)),
        ("GET", "/orgs/{code}/move", Need(OrgWrite)),
        ("POST", "/orgs/{code}/move", Need(OrgWrite)),
        ("GET", "/orgs/{code}/close", Need(OrgWrite)),
        ("POST", "/orgs/{code}/close", Need(OrgWrite)),
        ("POST", "/orgs/{code}/officers", Need(OrgWrite)),
        ("POST", "/orgs/{code}/officers/{id}/remove", Need(OrgWrite)),
        ("GET", "/units", Need(UnitRead)),
        ("GET", "/units/new", Need(UnitWrite)),
        ("POST", "/units/new", Need(UnitWrite)),
        ("GET", "/units/{id}", Need(UnitRead)),
        ("GET", "/units/{id}/edit", Need(UnitWrite)),
        ("POST", "/units/{id}/edit", Need(UnitWrite)),
        ("GET", "/members", Need(MemberRead)),
        ("POST", "/members/find", Need(MemberRead)),
        ("GET", "/members/export-full", Need(ExportFull)),
        ("POST", "/members/export-full", Need(ExportFull)),
        ("GET", "/members/new", Need(MemberWrite)),
        ("POST", "/members/new", Need(MemberWrite)),
        ("GET", "/members/{id}", Need(MemberRead)),
        ("GET", "/members/{id}/edit", Need(MemberWrite)),
        ("POST", "/members/{id}/edit", Need(MemberWrite)),
        ("POST", "/members/{id}/reveal", Need(MemberReveal)),
        ("GET", "/members/{id}/transfer", Need(MemberWrite)),
        ("POST", "/members/{id}/transfer", Need(MemberWrite)),
        ("GET", "/members/{id}/event", Need(MemberWrite)),
        ("POST", "/members/{id}/event", Need(MemberWrite)),
        ("GET", "/transfers", Need(MemberRead)),
        ("POST", "/transfers/{id}/accept", Need(MemberWrite)),
        ("POST", "/transfers/{id}/decline", Need(MemberWrite)),
        ("POST", "/transfers/{id}/cancel", Need(MemberWrite)),
        ("GET", "/casework", Need(CaseWork)),
        ("GET", "/casework/new", Need(CaseWork)),
        ("POST", "/casework/new", Need(CaseWork)),
        ("GET", "/casework/export", Need(CaseWork)),
        ("GET", "/casework/{id}", Need(CaseWork)),
        ("POST", "/casework/{id}/step", Need(CaseWork)),
        ("GET", "/casework/disputes", Need(CaseWork)),
        ("GET", "/casework/disputes/new", Need(CaseWork)),
        ("POST", "/casework/disputes/new", Need(CaseWork)),
        ("GET", "/casework/disputes/export", Need(CaseWork)),
        ("GET", "/casework/disputes/{id}", Need(CaseWork)),
        ("POST", "/casework/disputes/{id}/step", Need(CaseWork)),
        ("POST", "/casework/{id}/attachments", Need(CaseWork)),
        ("GET", "/casework/{id}/attachments/{file}", Need(CaseWork)),
        (
            "POST",
            "/casework/{id}/attachments/{file}/remove",
            Need(CaseWork),
        ),
        (
            "POST",
            "/casework/disputes/{id}/attachments",
            Need(CaseWork),
        ),
        (
            "GET",
            "/casework/disputes/{id}/attachments/{file}",
            Need(CaseWork),
        ),
        (
            "POST",
            "/casework/disputes/{id}/attachments/{file}/remove",
            Need(CaseWork),
        ),
        ("GET", "/casework/roster", Need(CaseWork)),
        ("POST", "/casework/roster", Need(CaseWork)),
        ("POST", "/casework/roster/{id}/status", Need(CaseWork)),
        ("GET", "/casework/figures/{key}", Need(CaseWork)),
        ("GET", "/casework/figures/{key}/export", Need(CaseWork)),
        ("GET", "/aid", Need(CaseWork)),
        ("POST", "/aid/campaigns", Need(CaseWork)),
        ("GET", "/aid/campaigns/{id}", Need(CaseWork)),
        ("POST", "/aid/campaigns/{id}/batches", Need(CaseWork)),
        ("POST", "/aid/campaigns/{id}/budget", Need(CaseWork)),
        ("GET", "/aid/batches/{id}", Need(CaseWork)),
        ("POST", "/aid/batches/{id}/pay-all", Need(CaseWork)),
        ("POST", "/aid/batches/{id}/lines/{line}", Need(CaseWork)),
        ("GET", "/aid/applications", Need(CaseWork)),
        ("GET", "/aid/applications/{id}", Need(CaseWork)),
        ("POST", "/aid/applications/{id}/decision", Need(CaseWork)),
        ("POST", "/aid/applications/{id}/objections", Need(CaseWork)),
        ("GET", "/aid/files", Need(CaseWork)),
        ("POST", "/aid/files", Need(CaseWork)),
        ("GET", "/aid/files/new", Need(CaseWork)),
        ("GET", "/aid/files/{id}", Need(CaseWork)),
        ("POST", "/aid/files/{id}/review", Need(CaseWork)),
        ("POST", "/aid/files/{id}/exit", Need(CaseWork)),
        ("GET", "/mutual", Need(CaseWork)),
        ("POST", "/mutual", Need(CaseWork)),
        ("GET", "/mutual/plans/{id}", Need(CaseWork)),
        ("POST", "/mutual/plans/{id}/enrolments", Need(CaseWork)),
        ("POST", "/mutual/plans/{id}/claims", Need(CaseWork)),
        ("GET", "/mutual/claims/{id}", Need(CaseWork)),
        ("POST", "/mutual/claims/{id}/decision", Need(CaseWork)),
        ("GET", "/activities", Need(CaseWork)),
        ("POST", "/activities", Need(CaseWork)),
        ("GET", "/activities/persons", Need(CaseWork)),
        ("GET", "/activities/{id}", Need(CaseWork)),
        ("POST", "/activities/{id}/sessions", Need(CaseWork)),
        ("POST", "/activities/{id}/step/{action}", Need(CaseWork)),
        ("POST", "/activities/sessions/{id}/sheet", Need(CaseWork)),
        ("GET", "/activities/contests", Need(CaseWork)),
        ("GET", "/activities/awards", Need(CaseWork)),
        ("GET", "/activities/spending", Need(CaseWork)),
        ("POST", "/activities/{id}/spending", Need(CaseWork)),
        (
            "POST",
            "/activities/{id}/spending/{spending}/reverse",
            Need(CaseWork),
        ),
        ("POST", "/activities/{id}/budget", Need(CaseWork)),
        ("POST", "/activities/{id}/trades", Need(CaseWork)),
        ("GET", "/activities/trades/{id}", Need(CaseWork)),
        ("POST", "/activities/trades/{id}/entrants", Need(CaseWork)),
        ("POST", "/activities/trades/{id}/scores", Need(CaseWork)),
        ("POST", "/activities/trades/{id}/awards", Need(CaseWork)),
        ("GET", "/honours", Need(CaseWork)),
        ("POST", "/honours", Need(CaseWork)),
        ("POST", "/honours/record", Need(CaseWork)),
        ("GET", "/honours/care", Need(CaseWork)),
        ("POST", "/honours/care/{id}/reverse", Need(CaseWork)),
        ("GET", "/honours/{id}", Need(CaseWork)),
        ("POST", "/honours/{id}/review", Need(CaseWork)),
        ("POST", "/honours/{id}/objections", Need(CaseWork)),
        (
            "POST",
            "/honours/{id}/objections/{objection}/resolve",
            Need(CaseWork),
        ),
        ("POST", "/honours/{id}/award", Need(CaseWork)),
        ("POST", "/honours/{id}/end/{action}", Need(CaseWork)),
        ("POST", "/honours/{id}/care", Need(CaseWork)),
        ("GET", "/innovation", Need(CaseWork)),
        ("GET", "/innovation/studios", Need(CaseWork)),
        ("POST", "/innovation/studios", Need(CaseWork)),
        ("GET", "/innovation/studios/{id}", Need(CaseWork)),
        ("POST", "/innovation/studios/{id}/members", Need(CaseWork)),
        (
            "POST",
            "/innovation/studios/{id}/members/{member}/remove",
            Need(CaseWork),
        ),
        ("POST", "/innovation/studios/{id}/revoke", Need(CaseWork)),
        ("GET", "/innovation/achievements", Need(CaseWork)),
        ("POST", "/innovation/achievements", Need(CaseWork)),
        (
            "POST",
            "/innovation/achievements/{id}/decide",
            Need(CaseWork),
        ),
        ("GET", "/innovation/pairs", Need(CaseWork)),
        ("POST", "/innovation/pairs", Need(CaseWork)),
        ("POST", "/innovation/pairs/{id}/close", Need(CaseWork)),
        ("GET", "/innovation/projects", Need(CaseWork)),
        ("POST", "/innovation/projects", Need(CaseWork)),
        ("POST", "/innovation/projects/{id}/step", Need(CaseWork)),
        ("GET", "/research", Need(CaseWork)),
        ("POST", "/research", Need(CaseWork)),
        ("GET", "/research/visits", Need(CaseWork)),
        ("GET", "/research/answers", Need(CaseWork)),
        ("GET", "/research/issues", Need(CaseWork)),
        ("POST", "/research/issues", Need(CaseWork)),
        ("POST", "/research/issues/{id}/rectify", Need(CaseWork)),
        ("GET", "/research/{id}", Need(CaseWork)),
        ("POST", "/research/{id}/visits", Need(CaseWork)),
        ("POST", "/research/{id}/questionnaires", Need(CaseWork)),
        ("POST", "/research/{id}/issues", Need(CaseWork)),
        ("POST", "/research/{id}/conclude", Need(CaseWork)),
        ("GET", "/contracts", Need(CaseWork)),
        ("POST", "/contracts", Need(CaseWork)),
        ("GET", "/contracts/campaigns", Need(CaseWork)),
        ("POST", "/contracts/campaigns", Need(CaseWork)),
        ("GET", "/contracts/campaigns/{id}", Need(CaseWork)),
        ("POST", "/contracts/campaigns/{id}/send", Need(CaseWork)),
        ("POST", "/contracts/offers/{id}/answer", Need(CaseWork)),
        ("GET", "/contracts/covered", Need(CaseWork)),
        ("GET", "/contracts/checklists", Need(CaseWork)),
        ("GET", "/contracts/employers/{id}", Need(CaseWork)),
        (
            "POST",
            "/contracts/employers/{id}/checklist",
            Need(CaseWork),
        ),
        (
            "POST",
            "/contracts/employers/{id}/congresses",
            Need(CaseWork),
        ),
        (
            "POST",
            "/contracts/employers/{id}/disclosures",
            Need(CaseWork),
        ),
        ("POST", "/contracts/motions/{id}", Need(CaseWork)),
        ("GET", "/contracts/{id}", Need(CaseWork)),
        ("POST", "/contracts/{id}/step/{action}", Need(CaseWork)),
        ("POST", "/contracts/{id}/attachments", Need(CaseWork)),
        ("GET", "/contracts/{id}/attachments/{file}", Need(CaseWork)),
        (
            "POST",
            "/contracts/{id}/attachments/{file}/remove",
            Need(CaseWork),
        ),
        ("POST", "/mutual/claims/{id}/attachments", Need(CaseWork)),
        (
            "GET",
            "/mutual/claims/{id}/attachments/{file}",
            Need(CaseWork),
        ),
        (
            "POST",
            "/mutual/claims/{id}/attachments/{file}/remove",
            Need(CaseWork),
        ),
        ("GET", "/funds", Need(CaseWork)),
        ("POST", "/funds/policies", Need(CaseWork)),
        ("POST", "/funds/refunds/compute", Need(CaseWork)),
        ("POST", "/funds/refunds/act", Need(CaseWork)),
        ("POST", "/funds/grants", Need(CaseWork)),
        ("GET", "/ledger", Need(FinanceRead)),
        ("GET", "/ledger/postings/{id}", Need(FinanceRead)),
        ("GET", "/imports", Need(Import)),
        ("GET", "/imports/history", Need(Import)),
        ("GET", "/imports/history/{id}/errors.xlsx", Need(Import)),
        ("POST", "/imports", Need(Import)),
        ("GET", "/imports/{id}", Need(Import)),
        ("POST", "/imports/{id}/confirm", Need(Import)),
        ("GET", "/accounts", Need(AccountRead)),
        ("GET", "/accounts/new", Need(AccountManage)),
        ("POST", "/accounts/new", Need(AccountManage)),
        ("GET", "/accounts/{id}", Need(AccountRead)),
        ("POST", "/accounts/{id}/status", Need(AccountManage)),
        ("POST", "/accounts/{id}/reset-password", Need(AccountManage)),
        ("POST", "/accounts/{id}/approve", Need(AccountGrant)),
        ("POST", "/accounts/{id}/role", Need(AccountGrant)),
        ("POST", "/accounts/{id}/unlock", Need(AccountGrant)),
        ("POST", "/accounts/{id}/reset-totp", Need(AccountGrant)),
        ("GET", "/pick/unions", Need(OrgRead)),
        ("GET", "/pick/receiving-unions", Need(MemberWrite)),
        ("GET", "/pick/account-unions", Need(AccountRead)),
        ("GET", "/pick/employers", Need(UnitRead)),
        ("GET", "/pick/tree", Need(AccountRead)),
        ("GET", "/audit", Need(AuditRead)),
        ("GET", "/audit/verify", Need(AuditRead)),
    ]
};

/// The access a console page requires; `None` for a page missing from [`PAGES`] (refused).
pub fn page_access_for(method: &Method, matched_path: &str) -> Option<Access> {
    PAGES
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && *p == matched_path)
        .map(|(_, _, a)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perm_codes_round_trip_and_bits_are_distinct() {
        for p in ALL_PERMS {
            assert_eq!(Perm::parse(p.code()).unwrap(), *p);
        }
        assert_eq!(PermSet::of(ALL_PERMS).list().len(), ALL_PERMS.len());
    }

    #[test]
    fn administrators_are_separated_and_see_no_business_data() {
        for admin in [Role::SysAdmin, Role::SecAdmin, Role::AuditAdmin] {
            let perms = admin.perms();
            // No administrator holds anything that reads or writes people, directly or by
            // granting it to a token.
            for p in [
                Perm::MemberRead,
                Perm::MemberWrite,
                Perm::MemberReveal,
                Perm::Import,
                Perm::Export,
                Perm::ExportFull,
                Perm::SelfRead,
                Perm::OrgRead,
                Perm::StatsRead,
            ] {
                assert!(!perms.has(p), "{admin:?} must not have {p:?}");
            }
        }
        assert!(!Role::SysAdmin.perms().has(Perm::AccountGrant));
        assert!(!Role::SecAdmin.perms().has(Perm::AccountManage));
        assert!(!Role::SysAdmin.perms().has(Perm::AuditRead));
        assert!(!Role::SecAdmin.perms().has(Perm::AuditRead));
    }

    #[test]
    fn the_auditor_changes_nothing() {
        let writes = [
            Perm::OrgWrite,
            Perm::UnitWrite,
            Perm::MemberWrite,
            Perm::Import,
            Perm::SelfWrite,
            Perm::AccountManage,
            Perm::AccountGrant,
            Perm::TokenManage,
        ];
        for p in writes {
            assert!(!Role::Auditor.perms().has(p), "{p:?}");
        }
    }

    #[test]
    fn every_route_is_listed_once() {
        for (i, (m, p, _)) in ROUTES.iter().enumerate() {
            assert!(
                !ROUTES[i + 1..].iter().any(|(m2, p2, _)| m2 == m && p2 == p),
                "{m} {p} twice"
            );
        }
    }
}
