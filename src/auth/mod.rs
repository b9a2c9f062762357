//! Who is calling and what they may do: accounts and roles, sign-in with a second factor,
//! sessions, API tokens, and the permission matrix enforced for every API route.

pub mod accounts;
pub mod login;
pub mod password;
pub mod permissions;
pub mod sessions;
pub mod tokens;
pub mod totp;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::audit::{Actor, ChainKey};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::FieldKeys;
use crate::registry::scope::Scope;
use password::PasswordPolicy;
use permissions::{PermSet, Role};
use sessions::Stage;

/// The signed-in caller of one request, placed in the request by the access guard.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: Option<i64>,
    pub token_id: Option<i64>,
    /// Username, or `token:<name>` for an API token.
    pub name: String,
    pub role: Option<Role>,
    pub perms: PermSet,
    pub scope: Scope,
    pub member_id: Option<i64>,
    /// The business modules a case officer (业务经办人) is named for.
    pub modules: Vec<String>,
    pub session_id: Option<i64>,
    pub stage: Stage,
    pub ip: Option<String>,
}

impl Caller {
    /// Whether the caller works on cases of a business module: `case.work`, and for a case
    /// officer the module among those the account is named for.
    pub fn works_on(&self, module: &str) -> bool {
        self.perms.has(crate::auth::permissions::Perm::CaseWork)
            && match self.role {
                Some(crate::auth::permissions::Role::Officer) => {
                    self.modules.iter().any(|m| m == module)
                }
                _ => true,
            }
    }

    /// [`Self::works_on`], or the refusal.
    pub fn must_work_on(&self, module: &str) -> crate::error::AppResult<()> {
        if self.works_on(module) {
            Ok(())
        } else {
            Err(crate::error::AppError::forbidden(
                "MODULE_NOT_ASSIGNED",
                "您的账号未被指定办理这项业务",
            ))
        }
    }

    pub fn actor(&self, keys: &FieldKeys) -> Actor {
        Actor {
            account_id: self.account_id,
            name: self.name.clone(),
            kind: if self.token_id.is_some() {
                "token"
            } else {
                "account"
            },
            ip: self.ip.clone(),
            scope: self.scope.clone(),
            key: ChainKey::from_keys(keys),
        }
    }
}

/// Access settings taken from the configuration.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub idle_ms: i64,
    pub max_hours: u32,
    pub lockout_failures: i64,
    pub lockout_ms: i64,
    pub ip_max_failures: u32,
    pub policy: PasswordPolicy,
    pub password_max_age_ms: i64,
    pub totp_required_for_admins: bool,
    pub public_https: bool,
    pub trust_proxy_headers: bool,
}

impl AuthSettings {
    pub fn from_config(c: &Config) -> AuthSettings {
        AuthSettings {
            idle_ms: i64::from(c.session_idle_minutes.max(1)) * 60_000,
            max_hours: c.session_max_hours.max(1),
            lockout_failures: i64::from(c.lockout_failures.max(1)),
            lockout_ms: i64::from(c.lockout_minutes.max(1)) * 60_000,
            ip_max_failures: c.login_ip_max_failures.max(1),
            policy: PasswordPolicy::from_config(c),
            password_max_age_ms: i64::from(c.password_max_age_days) * 86_400_000,
            totp_required_for_admins: c.totp_required_for_admins,
            public_https: c.public_https,
            trust_proxy_headers: c.trust_proxy_headers,
        }
    }
}

/// Runtime state of access control: settings, the clock, and per-address login throttling.
pub struct Auth {
    pub settings: AuthSettings,
    pub clock: SharedClock,
    ip_failures: Mutex<HashMap<String, (i64, u32)>>,
}

const IP_WINDOW_MS: i64 = 15 * 60_000;

impl Auth {
    pub fn new(settings: AuthSettings, clock: SharedClock) -> Auth {
        Auth {
            settings,
            clock,
            ip_failures: Mutex::new(HashMap::new()),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Too many failed logins from this address in the current window.
    pub fn ip_blocked(&self, ip: &str) -> bool {
        let now = self.now();
        let map = self.ip_failures.lock().expect("not poisoned");
        map.get(ip).is_some_and(|(start, n)| {
            now - start < IP_WINDOW_MS && *n >= self.settings.ip_max_failures
        })
    }

    pub fn ip_failed(&self, ip: &str) {
        let now = self.now();
        let mut map = self.ip_failures.lock().expect("not poisoned");
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now - *start < IP_WINDOW_MS);
        }
        let e = map.entry(ip.to_string()).or_insert((now, 0));
        if now - e.0 >= IP_WINDOW_MS {
            *e = (now, 0);
        }
        e.1 += 1;
    }
}
