//! People a module records who may not be members — a petition's requester, a dispute's
//! workers, later a household's members — with the protection members have: the ID number
//! and mobile encrypted, the ID number blind-indexed (to find the same person again), both
//! shown masked; a member is linked by the registry's id, never copied.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::crypto::FieldKeys;
use crate::db::Db;
use crate::error::FieldIssue;
use crate::registry::members::{self, ID_DOMAIN};
use crate::registry::scope::Scope;
use crate::types::{IdCardNo, Mobile, normalize_name};
use crate::workflow::{given, issue};

/// A person as a form or the API gives them: a member's registry id, or a name with an ID
/// number and mobile if known.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub member_id: Option<String>,
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub mobile: Option<String>,
}

/// A person checked, ready to store.
#[derive(Debug, Clone)]
pub enum Person {
    Member(i64),
    Other(Sealed),
}

/// A person who is not a member, as stored.
#[derive(Debug, Clone, Default)]
pub struct Sealed {
    pub name: String,
    pub id_hash: Option<Vec<u8>>,
    pub id_enc: Option<Vec<u8>>,
    pub id_masked: Option<String>,
    pub mobile_enc: Option<Vec<u8>>,
    pub mobile_masked: Option<String>,
}

impl Person {
    pub fn member_id(&self) -> Option<i64> {
        match self {
            Person::Member(id) => Some(*id),
            Person::Other(_) => None,
        }
    }

    pub fn sealed(&self) -> Sealed {
        match self {
            Person::Member(_) => Sealed::default(),
            Person::Other(s) => s.clone(),
        }
    }
}

/// Checks a person typed as `who` (e.g. 诉求人): a member visible in `scope`, or a name with
/// a valid ID number and mobile when given. Every problem goes to `issues`.
pub async fn check(
    db: &Db,
    keys: &FieldKeys,
    scope: &Scope,
    who: &str,
    input: &PersonInput,
    issues: &mut Vec<FieldIssue>,
) -> Option<Person> {
    if let Some(m) = given(input.member_id.as_deref()) {
        return match m.parse::<i64>() {
            Ok(id) if members::get(db, scope, id).await.is_ok() => Some(Person::Member(id)),
            _ => {
                issues.push(issue(who, "会员不存在或不在您的管理范围内"));
                None
            }
        };
    }
    let name = match given(input.name.as_deref()) {
        None => {
            issues.push(issue(
                &format!("{who}姓名"),
                format!("请填写{who}姓名，或选择会员"),
            ));
            None
        }
        Some(n) => match normalize_name(n) {
            Ok(n) => Some(n),
            Err(e) => {
                issues.push(issue(&format!("{who}姓名"), e.message()));
                None
            }
        },
    };
    let id = given(input.id_number.as_deref()).and_then(|s| match IdCardNo::parse(s) {
        Ok(id) => Some(id),
        Err(e) => {
            issues.push(issue(&format!("{who}身份证号"), e.message()));
            None
        }
    });
    let mobile = given(input.mobile.as_deref()).and_then(|s| match Mobile::parse(s) {
        Ok(m) => Some(m),
        Err(e) => {
            issues.push(issue(&format!("{who}手机号"), e.message()));
            None
        }
    });
    name.map(|name| {
        Person::Other(Sealed {
            name,
            id_hash: id.as_ref().map(|i| keys.blind_index(ID_DOMAIN, i.as_str())),
            id_enc: id.as_ref().map(|i| keys.encrypt(i.as_str())),
            id_masked: id.as_ref().map(IdCardNo::masked),
            mobile_enc: mobile.as_ref().map(|m| keys.encrypt(m.as_str())),
            mobile_masked: mobile.as_ref().map(Mobile::masked),
        })
    })
}
