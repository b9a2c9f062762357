//! The roster of mediators and union lawyers (调解员、工会维权律师团) a union keeps, each with
//! their organisation and how many open cases they hold. A union's cases may be given to
//! anyone on its own roster or on the roster of a union above it.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::orgs;
use crate::registry::scope::Scope;
use crate::types::{Mobile, normalize_name};
use crate::workflow::{self, Named, coded_enum, given, issue, pick};

coded_enum! {
    /// What a person on the roster does.
    Role {
        Mediator = "mediator", "调解员";
        Lawyer = "lawyer", "律师";
    }
}

/// A person on the roster, with the open cases they hold.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Advocate {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(skip)]
    pub org_id: i64,
    #[serde(skip)]
    pub org_path: String,
    pub org_name: String,
    pub role: String,
    pub name: String,
    /// 律师事务所、调解委员会 …
    pub organisation: String,
    pub mobile_masked: Option<String>,
    pub active: i64,
    /// Mediations and legal-aid cases assigned and not yet finished.
    pub open_cases: i64,
}

impl Advocate {
    pub fn role_label(&self) -> &'static str {
        Role::parse(&self.role).map(Role::label).unwrap_or("未知")
    }
}

const SELECT: &str = "SELECT a.id, a.org_id, a.org_path, o.name AS org_name, a.role, a.name, a.organisation, a.mobile_masked, a.active, \
    (SELECT COUNT(*) FROM disputes d WHERE d.advocate_id = a.id AND d.status IN ('assigned','in_progress')) AS open_cases \
    FROM advocates a JOIN orgs o ON o.id = a.org_id";

/// A person to add to the roster, as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvocateInput {
    /// The union whose roster it is (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    /// mediator / lawyer, or 调解员 / 律师.
    pub role: Option<String>,
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub mobile: Option<String>,
}

/// Adds a person to the roster of a union in the caller's scope.
pub async fn add(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    input: &AdvocateInput,
    now: i64,
) -> AppResult<Advocate> {
    let mut issues = Vec::new();
    let role: Option<Role> = pick("身份", input.role.as_deref(), &mut issues);
    let name = match given(input.name.as_deref()).map(normalize_name) {
        None => {
            issues.push(issue("姓名", "请填写姓名"));
            None
        }
        Some(Err(e)) => {
            issues.push(issue("姓名", e.message()));
            None
        }
        Some(Ok(n)) => Some(n),
    };
    let organisation = match given(input.organisation.as_deref()) {
        None => {
            issues.push(issue(
                "所在机构",
                "请填写所在机构，如律师事务所或调解委员会",
            ));
            None
        }
        Some(o) if o.chars().count() > 100 => {
            issues.push(issue("所在机构", "所在机构不能超过100字"));
            None
        }
        Some(o) => Some(o.to_string()),
    };
    let mobile = match given(input.mobile.as_deref()).map(Mobile::parse) {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            issues.push(issue("手机号", e.message()));
            None
        }
    };
    let org = workflow::union_in_scope(
        db,
        &actor.scope,
        "所属工会",
        input.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let (Some(role), Some(name), Some(organisation), Some(org), true) =
        (role, name, organisation, org, issues.is_empty())
    else {
        return Err(AppError::invalid_fields(
            "名录信息有误，请按提示修改",
            issues,
        ));
    };
    let id = new_id();
    let backend = db.backend();
    let mobile_enc = mobile.as_ref().map(|m| keys.encrypt(m.as_str()));
    let mobile_masked = mobile.as_ref().map(Mobile::masked);
    let actor2 = actor.clone();
    db.write(move |tx| {
        let (actor, org, name, organisation, mobile_enc, mobile_masked) = (
            actor2.clone(),
            org.clone(),
            name.clone(),
            organisation.clone(),
            mobile_enc.clone(),
            mobile_masked.clone(),
        );
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO advocates (id, org_id, org_path, role, name, organisation, mobile_enc, mobile_masked, active, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,1,$9)",
            )
            .bind(id)
            .bind(org.id)
            .bind(&org.path)
            .bind(role.code())
            .bind(&name)
            .bind(&organisation)
            .bind(mobile_enc)
            .bind(&mobile_masked)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            audit::append_tx(
                tx,
                backend,
                &actor,
                now,
                Event::new("advocate.add")
                    .target("advocate", id)
                    .detail(serde_json::json!({"role": role.code(), "org": org.code, "organisation": organisation})),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    get(db, id).await
}

/// Takes a person off the roster (no new case can be assigned to them; the cases they hold
/// stay theirs) or puts them back. Only the people of the caller's own subtree; the reason is
/// kept in the audit trail.
pub async fn set_active(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    active: bool,
    reason: &str,
    now: i64,
) -> AppResult<Advocate> {
    let a = get(db, id).await?;
    if !scope.contains(&a.org_path) {
        return Err(AppError::not_found("调解员或律师"));
    }
    let reason = if active {
        reason.trim().to_string()
    } else {
        crate::workflow::required(reason, "停用原因", 200)?
    };
    if (a.active == 1) == active {
        return Err(AppError::conflict(
            "ROSTER_UNCHANGED",
            if active {
                "此人已在名录中启用"
            } else {
                "此人已经停用"
            },
        ));
    }
    let backend = db.backend();
    let actor2 = actor.clone();
    db.write(move |tx| {
        let (actor, reason) = (actor2.clone(), reason.clone());
        Box::pin(async move {
            sqlx::query("UPDATE advocates SET active = $1 WHERE id = $2")
                .bind(i64::from(active))
                .bind(id)
                .execute(&mut **tx)
                .await?;
            audit::append_tx(
                tx,
                backend,
                &actor,
                now,
                Event::new(if active {
                    "advocate.activate"
                } else {
                    "advocate.deactivate"
                })
                .target("advocate", id)
                .detail(serde_json::json!({"reason": reason})),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    get(db, id).await
}

/// A person on the roster by id (any union: the caller checks what it may use).
pub async fn get(db: &Db, id: i64) -> AppResult<Advocate> {
    let found: Option<Advocate> = sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    found.ok_or_else(|| AppError::not_found("调解员或律师"))
}

/// The roster a caller works with: the people of the unions in its scope and of the unions
/// above it, by role then name.
pub async fn list(db: &Db, scope: &Scope, role: Option<Role>) -> AppResult<Vec<Advocate>> {
    let (lo, hi) = scope.range();
    // The unions above the scope's top are the prefixes of its path.
    let above = orgs::paths_above(scope.path());
    let mut sql = format!("{SELECT} WHERE ((a.org_path >= $1 AND a.org_path < $2)");
    let mut n = 2;
    for _ in &above {
        n += 1;
        sql.push_str(&format!(" OR a.org_path = ${n}"));
    }
    sql.push(')');
    if role.is_some() {
        n += 1;
        sql.push_str(&format!(" AND a.role = ${n}"));
    }
    sql.push_str(" ORDER BY a.active DESC, a.role, a.name, a.id LIMIT 1000");
    let mut q = sqlx::query_as::<_, Advocate>(&sql).bind(lo).bind(hi);
    for p in &above {
        q = q.bind(p);
    }
    if let Some(r) = role {
        q = q.bind(r.code());
    }
    Ok(q.fetch_all(db.pool()).await?)
}
