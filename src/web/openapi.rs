//! What the OpenAPI document says beyond each handler's own annotations, so that it describes
//! the server as it answers: the error answers every operation can give (from the access
//! table: 401/403 where a sign-in is needed, 404 for a record named in the request, 409 for a
//! state that changed, 400/413/415/422 for malformed input), each with the one error body;
//! request schemas as strict as the server's checks where JSON Schema can say them; and the
//! two ways to authenticate.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder, Schema};

use crate::auth::permissions::{Access, access_for};

/// Documents the two ways to authenticate: the session cookie (with `X-CSRF-Token` on writes)
/// and API tokens.
pub struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("gh_session"))),
        );
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Adds the error answers the guard, the extractors and the framework give to every operation.
pub struct ErrorResponses;

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

/// The errors an operation can answer whatever it does: `(status, description)`.
fn common_errors(
    method: &str,
    path: &str,
    body: Option<&RequestBody>,
) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![
        (
            "400",
            "BAD_REQUEST：请求格式有误（查询参数或请求内容无法解析）",
        ),
        (
            "422",
            "INVALID_INPUT 等：输入不符合要求（含 CONTROL_CHARACTER：含控制字符）",
        ),
    ];
    if body.is_some() {
        out.push(("413", "TOO_LARGE：请求内容过大"));
        out.push(("415", "UNSUPPORTED_MEDIA_TYPE：请求内容类型不受支持"));
    }
    let access = axum::http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .ok()
        .and_then(|m| access_for(&m, path));
    match access {
        Some(Access::Public) | None => {}
        Some(Access::AnySession) => {
            out.push(("401", "未登录、登录已失效或已超时"));
            out.push(("403", "CSRF_FAILED：缺少有效的防跨站令牌"));
            out.push(("409", "LOGIN_STAGE：当前登录步骤不需要此操作"));
        }
        Some(Access::Need(_)) => {
            out.push(("401", "未登录、登录已失效，或接口令牌无效、过期、被吊销"));
            out.push((
                "403",
                "FORBIDDEN：没有此操作的权限；LOGIN_INCOMPLETE：登录步骤未完成；CSRF_FAILED",
            ));
        }
    }
    if matches!(access, Some(Access::Need(_))) {
        // A record named in the path, or a union named in a filter or a body.
        out.push((
            "404",
            "NOT_FOUND：所指的记录（路径中的，或查询、请求内容中所指的工会等）不存在或不在您的管理范围内",
        ));
        if method != "get" {
            out.push((
                "409",
                "记录的状态已经变化（已处理、重复、正在进行等），此操作不再适用",
            ));
        }
    }
    out
}

impl utoipa::Modify for ErrorResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops: [(&str, &mut Option<Operation>); 5] = [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ];
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                for (status, description) in common_errors(method, path, op.request_body.as_ref()) {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(description));
                }
            }
        }
    }
}

// ---------- request rules ----------

/// Text without control characters: what every text field of a JSON body accepts (line
/// breaks and tabs aside) and every query or path parameter.
const NO_CONTROL_BODY: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
const NO_CONTROL_URL: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// A name as `validate_name` takes it: not blank, no control characters or line breaks.
const NAME: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// A person's name: Chinese characters or Latin letters, the middle dot inside.
const PERSON_NAME: &str = "^[\\u3400-\\u4DBF\\u4E00-\\u9FFFA-Za-z]([\\u3400-\\u4DBF\\u4E00-\\u9FFFA-Za-z·]{0,48}[\\u3400-\\u4DBF\\u4E00-\\u9FFFA-Za-z])?$";
/// A stated reason: at least two characters besides spaces.
const REASON: &str = "^\\s*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F]\\s*$";
const ORG_CODE: &str = "^[A-Za-z0-9_-]{1,32}$";
const RECORD_ID: &str = "^[0-9]{1,19}$";
/// GB 11643: region, birth date, sequence, check character (the check itself is the server's).
const ID_NUMBER: &str =
    "^[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]$";
const MOBILE: &str = "^1[3-9][0-9]{9}$";
/// GB 32100: the alphabet without I, O, S, V, Z (the check character is the server's).
const USCC: &str = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$";
/// GB/T 2260, with a province that exists.
const REGION: &str = "^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])[0-9]{4}$";
const USERNAME: &str = "^[A-Za-z][A-Za-z0-9._-]{2,31}$";
const TOTP_CODE: &str = "^[0-9]{6}$";
/// Base32, whole bytes, at least 16 of them.
const TOTP_SECRET: &str = "^([A-Z2-7]{8}){4,8}$";

/// What one request field accepts, beyond its type.
#[derive(Default, Clone)]
struct FieldRule {
    pattern: Option<&'static str>,
    choices: Option<Vec<String>>,
    date: bool,
    max_length: Option<usize>,
    range: Option<(f64, f64)>,
}

fn pattern(p: &'static str) -> FieldRule {
    FieldRule {
        pattern: Some(p),
        ..Default::default()
    }
}

fn choices<S: ToString>(values: impl IntoIterator<Item = S>) -> FieldRule {
    FieldRule {
        choices: Some(values.into_iter().map(|v| v.to_string()).collect()),
        ..Default::default()
    }
}

fn date() -> FieldRule {
    FieldRule {
        date: true,
        ..Default::default()
    }
}

fn flags() -> FieldRule {
    choices(["是", "否", "true", "false", "1", "0"])
}

/// The rule of a field of a request body (`schema` is its component) or of a parameter
/// (`schema` is `query` or `path`); `None`: text without control characters.
fn rule_for(schema: &str, field: &str) -> Option<FieldRule> {
    use crate::auth::permissions::{ALL_ROLES, Role, TOKEN_GRANTABLE};
    use crate::registry::codes;
    use crate::registry::orgs::OrgKind;
    let kinds = || {
        OrgKind::ALL
            .iter()
            .flat_map(|k| [k.code(), k.label()])
            .collect::<Vec<_>>()
    };
    let roles = |business_only: bool| {
        ALL_ROLES
            .iter()
            .filter(|r| !business_only || !r.is_admin())
            .flat_map(|r: &Role| [r.code(), r.label()])
            .collect::<Vec<_>>()
    };
    Some(match (schema, field) {
        ("CodeInput", "code") | ("TotpConfirm", "code") => pattern(TOTP_CODE),
        ("TotpConfirm", "secret") => pattern(TOTP_SECRET),
        ("OrgInput", "kind") | ("query", "kind") => choices(kinds()),
        ("path", "kind") => choices(["orgs", "units", "members"]),
        ("path", "id") | (_, "member_id") => pattern(RECORD_ID),
        (_, "code" | "parent_code" | "org_code" | "to_org" | "org" | "parent") => pattern(ORG_CODE),
        ("EnrollInput", "name") => pattern(PERSON_NAME),
        ("OrgInput" | "UnitInput" | "NewToken", "name") => FieldRule {
            pattern: Some(NAME),
            max_length: Some(100),
            ..Default::default()
        },
        ("NewAccount", "display_name") => FieldRule {
            pattern: Some(NO_CONTROL_BODY),
            max_length: Some(100),
            ..Default::default()
        },
        ("NewAccount", "username") => pattern(USERNAME),
        ("NewAccount", "role") => choices(roles(true)),
        ("RoleChange" | "ApproveInput", "role") => choices(roles(false)),
        (_, "modules") => choices(crate::auth::accounts::MODULES.iter().map(|(c, _)| *c)),
        ("NewToken", "permissions") => choices(TOKEN_GRANTABLE.iter().map(|p| p.code())),
        ("NewToken", "expires_in_days") => FieldRule {
            range: Some((1.0, 365.0)),
            ..Default::default()
        },
        ("UnitInput", "employee_count") => FieldRule {
            range: Some((0.0, 10_000_000.0)),
            ..Default::default()
        },
        ("StatusInput", "status") => choices(["active", "disabled"]),
        (
            _,
            "on" | "joined_on" | "founded_on" | "birth_date" | "from" | "to" | "joined_from"
            | "joined_to",
        ) => date(),
        (_, "id_number") => pattern(ID_NUMBER),
        (_, "mobile") => pattern(MOBILE),
        (_, "uscc" | "unit_uscc") => pattern(USCC),
        (_, "region_code") => pattern(REGION),
        (_, "sex") => choices(["男", "女"]),
        (_, "ethnicity") => choices(codes::ETHNICITIES.iter()),
        (_, "political") => choices(codes::POLITICAL.iter()),
        (_, "education") => choices(codes::EDUCATION.iter()),
        (_, "hukou") => choices(codes::HUKOU.iter()),
        (_, "nef_group") => choices(codes::NEF_GROUPS.iter()),
        (_, "ownership") => choices(codes::OWNERSHIP.iter()),
        ("EnrollInput", "migrant") => flags(),
        ("query", "dry_run" | "skip_invalid" | "accept_uscc_warnings" | "blank_unknown_values") => {
            flags()
        }
        ("RevealInput", "reason") | ("query", "reason") => FieldRule {
            pattern: Some(REASON),
            max_length: Some(200),
            ..Default::default()
        },
        ("query", "format") => choices(["xlsx", "csv"]),
        ("query", "sort") => choices(["union", "name", "joined", "joined_desc"]),
        ("query", "outcome") => choices(["ok", "failed", "denied"]),
        _ => return None,
    })
}

/// Member list status filter and union status filter share the parameter name.
fn status_rule(path: &str) -> FieldRule {
    if path.starts_with("/api/v1/orgs") {
        choices(["active", "closed"])
    } else {
        choices(["active", "retired", "left", "deceased", "all"])
    }
}

/// Applies a rule to a schema: to a text (or, for lists, to its items) a pattern or a list of
/// choices; to a number its range.
fn apply(rule: &FieldRule, schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) => {
            if let Some(p) = rule.pattern {
                o.pattern = Some(p.to_string());
            }
            if let Some(c) = &rule.choices {
                let mut values: Vec<serde_json::Value> = c
                    .iter()
                    .map(|v| serde_json::Value::from(v.as_str()))
                    .collect();
                if matches!(&o.schema_type, SchemaType::Array(types) if types.contains(&Type::Null))
                {
                    values.push(serde_json::Value::Null);
                }
                o.enum_values = Some(values);
                o.pattern = None;
            }
            if rule.date {
                o.format = Some(SchemaFormat::KnownFormat(KnownFormat::Date));
            }
            if let Some(n) = rule.max_length {
                o.max_length = Some(n);
            }
            if let Some((lo, hi)) = rule.range {
                o.minimum = Some(lo.into());
                o.maximum = Some(hi.into());
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                apply(rule, items);
            }
        }
        _ => {}
    }
}

/// Whether a schema is text (possibly also null).
fn is_text(schema: &RefOr<Schema>) -> bool {
    match schema {
        RefOr::T(Schema::Object(o)) => match &o.schema_type {
            SchemaType::Type(Type::String) => true,
            SchemaType::Array(types) => types.contains(&Type::String),
            _ => false,
        },
        _ => false,
    }
}

/// Tightens request schemas to what the server accepts: each field's own rule, and for any
/// other text no control characters.
pub struct RequestRules;

impl utoipa::Modify for RequestRules {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut body_schemas = std::collections::BTreeSet::new();
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for p in op.parameters.iter_mut().flatten() {
                    let place = if matches!(p.parameter_in, ParameterIn::Path) {
                        "path"
                    } else {
                        "query"
                    };
                    let Some(schema) = p.schema.as_mut() else {
                        continue;
                    };
                    let rule = if place == "query" && p.name == "status" {
                        Some(status_rule(path))
                    } else {
                        rule_for(place, &p.name)
                    };
                    match rule {
                        Some(r) => apply(&r, schema),
                        None if is_text(schema) => apply(&pattern(NO_CONTROL_URL), schema),
                        None => {}
                    }
                }
                let Some(body) = op.request_body.as_mut() else {
                    continue;
                };
                for (content_type, content) in body.content.iter_mut() {
                    if content_type == "application/octet-stream" {
                        // A file's bytes, not a list of numbers.
                        content.schema = Some(RefOr::T(Schema::Object(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                                .build(),
                        )));
                    } else if let Some(RefOr::Ref(r)) = &content.schema {
                        body_schemas.insert(component_name(r));
                    }
                }
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        // Bodies and the components they are made of (a flattened struct is an `allOf`).
        let mut todo: Vec<String> = body_schemas.into_iter().collect();
        let mut done = std::collections::BTreeSet::new();
        while let Some(name) = todo.pop() {
            if !done.insert(name.clone()) {
                continue;
            }
            let Some(RefOr::T(schema)) = components.schemas.get_mut(&name) else {
                continue;
            };
            let parts: Vec<&mut utoipa::openapi::schema::Object> = match schema {
                Schema::Object(o) => vec![o],
                Schema::AllOf(all) => all
                    .items
                    .iter_mut()
                    .filter_map(|item| match item {
                        RefOr::T(Schema::Object(o)) => Some(o),
                        RefOr::Ref(r) => {
                            todo.push(component_name(r));
                            None
                        }
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let whole = parts.len() == 1;
            for o in parts {
                // Unknown fields are refused (`deny_unknown_fields`); a part of an `allOf`
                // cannot say so on its own.
                if whole {
                    o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
                for (field, schema) in o.properties.iter_mut() {
                    match rule_for(&name, field) {
                        Some(r) => apply(&r, schema),
                        None if is_text(schema) => apply(&pattern(NO_CONTROL_BODY), schema),
                        None => {}
                    }
                }
            }
        }
    }
}

fn component_name(r: &Ref) -> String {
    r.ref_location
        .trim_start_matches("#/components/schemas/")
        .to_string()
}
