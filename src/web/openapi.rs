//! What the OpenAPI document says beyond each handler's own annotations, so that it describes
//! the server as it answers: the error answers every operation can give (from the access
//! table: 401/403 where a sign-in is needed, 404 for a record in the path, 400/413/415/422 for
//! malformed input), each with the one error body; and the two ways to authenticate.

use utoipa::openapi::path::Operation;
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

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
        }
        Some(Access::Need(_)) => {
            out.push(("401", "未登录、登录已失效，或接口令牌无效、过期、被吊销"));
            out.push((
                "403",
                "FORBIDDEN：没有此操作的权限；LOGIN_INCOMPLETE：登录步骤未完成；CSRF_FAILED",
            ));
        }
    }
    if path.contains('{') {
        out.push(("404", "NOT_FOUND：记录不存在或不在您的管理范围内"));
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
