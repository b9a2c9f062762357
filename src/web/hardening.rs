//! What stands between hostile or careless input and the handlers: control characters refused
//! before anything reads them (PostgreSQL refuses NUL in text, and no field of ours needs
//! one), query strings and JSON bodies parsed into our Chinese errors, and a last net that
//! turns any other 4xx the framework writes for `/api` into the same JSON error.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, ErrorBody};

/// Characters no request may carry: C0 controls (NUL included), DEL and C1 controls. Line
/// breaks and tabs are allowed in bodies (multi-line notes), never in a URL.
pub fn is_refused_char(c: char, in_body: bool) -> bool {
    c.is_control() && !(in_body && matches!(c, '\n' | '\r' | '\t'))
}

pub fn control_char_error() -> AppError {
    AppError::invalid("输入内容中含有不可见的控制字符（如空字符），请删除后重新提交")
        .with_code("CONTROL_CHARACTER")
}

/// `%XX` sequences decoded (anything else kept as it is), for checking a path or query string.
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|v| v as u8)
}

/// Whether a URL's path or query string carries a refused character once decoded.
pub fn url_part_refused(part: &str) -> bool {
    percent_decoded(part)
        .chars()
        .any(|c| is_refused_char(c, false))
}

/// Middleware in front of everything: a path or query string with a control character is
/// answered 422 before routing (JSON under `/api`, a page elsewhere).
pub async fn refuse_control_characters(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let refused = url_part_refused(uri.path()) || uri.query().is_some_and(url_part_refused);
    if !refused {
        return next.run(req).await;
    }
    if uri.path().starts_with("/api/") {
        control_char_error().into_response()
    } else {
        super::pages::PageError(control_char_error()).into_response()
    }
}

/// Middleware on `/api`: a client error written by the framework (a malformed path, an
/// unsupported media type …) becomes our JSON error with a Chinese message.
pub async fn api_errors_as_json(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return res;
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("NOT_FOUND", "请求的资源不存在"),
        StatusCode::METHOD_NOT_ALLOWED => ("METHOD_NOT_ALLOWED", "此地址不支持该请求方法"),
        StatusCode::PAYLOAD_TOO_LARGE => ("TOO_LARGE", "请求内容过大"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "UNSUPPORTED_MEDIA_TYPE",
            "请求内容的类型不受支持，请以 application/json 发送",
        ),
        StatusCode::REQUEST_TIMEOUT => ("TIMEOUT", "请求处理超时，请稍后重试"),
        StatusCode::UNPROCESSABLE_ENTITY => ("INVALID_INPUT", "请求内容不符合要求"),
        _ => ("BAD_REQUEST", "请求格式有误，请检查地址和参数"),
    };
    let mut out = (
        status,
        axum::Json(ErrorBody {
            code: code.into(),
            message: message.into(),
            fields: Vec::new(),
        }),
    )
        .into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(header::ALLOW, a);
    }
    out
}

/// Query-string extractor whose rejections are our Chinese JSON errors, naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                if path.is_empty() || path == "." {
                    AppError::bad_request(format!(
                        "查询参数有误：{}",
                        chinese_serde_error(&e.inner().to_string())
                    ))
                } else {
                    AppError::invalid(format!(
                        "查询参数“{path}”的取值有误：{}",
                        chinese_serde_error(&e.inner().to_string())
                    ))
                }
            })
    }
}

fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

/// A short Chinese reading of serde's usual complaints (the English detail stays in no answer).
fn chinese_serde_error(e: &str) -> &'static str {
    if e.contains("missing field") {
        "缺少必填项"
    } else if e.contains("unknown field") {
        "不是此接口可识别的字段"
    } else if e.contains("unknown variant") {
        "不是可选的值之一"
    } else if e.contains("invalid digit")
        || e.contains("invalid type")
        || e.contains("number too large")
        || e.contains("too large")
        || e.contains("too small")
    {
        "应为有效的数字"
    } else if e.contains("provided string was not `true` or `false`") || e.contains("bool") {
        "应为 true 或 false"
    } else if e.contains("duplicate field") {
        "参数重复"
    } else {
        "格式不正确"
    }
}

/// JSON body extractor: the body must be one JSON object with no control characters in its
/// text (line breaks and tabs aside); every refusal is our Chinese JSON error.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::too_large("请求内容过大"));
            }
            Err(e) if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                return Err(AppError::new_status(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "请求内容须为JSON（Content-Type: application/json）",
                ));
            }
            Err(_) => return Err(AppError::bad_request("请求内容不是有效的JSON")),
        };
        if !value.is_object() {
            return Err(AppError::invalid("请求内容应为一个JSON对象（{…}）"));
        }
        if json_has_refused_char(&value) {
            return Err(control_char_error());
        }
        serde_path_to_error::deserialize(value)
            .map(JsonBody)
            .map_err(|e| {
                let inner = e.inner().to_string();
                if let Some(name) = inner
                    .strip_prefix("unknown field `")
                    .and_then(|rest| rest.split('`').next())
                {
                    return AppError::invalid(format!("“{name}”不是此接口可识别的字段"));
                }
                let path = e.path().to_string();
                let why = chinese_serde_error(&inner);
                if path.is_empty() || path == "." {
                    AppError::invalid(format!("请求内容有误：{why}"))
                } else {
                    AppError::invalid(format!("字段“{path}”有误：{why}"))
                }
            })
    }
}

fn json_has_refused_char(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => s.chars().any(|c| is_refused_char(c, true)),
        Value::Array(a) => a.iter().any(json_has_refused_char),
        Value::Object(o) => o
            .iter()
            .any(|(k, v)| k.chars().any(|c| is_refused_char(c, true)) || json_has_refused_char(v)),
        _ => false,
    }
}

/// Every response carrying records or personal data must not be kept by the browser or a
/// proxy: `Cache-Control: no-store` on everything but our static assets (which set their own).
pub async fn no_store(req: Request<Body>, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_encoded_or_not() {
        assert!(url_part_refused("q=%00"));
        assert!(url_part_refused("/api/v1/orgs/a%09b"));
        assert!(url_part_refused("next=/%0a/x"));
        assert!(url_part_refused("q=%C2%85"), "C1 control NEL");
        assert!(!url_part_refused("q=%E5%BC%A0+%E4%B8%89&page=2"));
        assert!(!url_part_refused("q=100%25"));
        assert!(
            !url_part_refused("q=%"),
            "a lone % is not a control character"
        );
        assert!(is_refused_char('\0', true));
        assert!(!is_refused_char('\n', true));
        assert!(is_refused_char('\n', false));
    }

    #[test]
    fn json_control_characters_are_found_in_keys_and_nested_values() {
        let v: serde_json::Value = serde_json::json!({"a": [{"b": "x\u{0}y"}]});
        assert!(json_has_refused_char(&v));
        let v: serde_json::Value = serde_json::json!({"note": "第一行\n第二行\t"});
        assert!(!json_has_refused_char(&v));
        let v: serde_json::Value = serde_json::json!({"a\u{7f}": 1});
        assert!(json_has_refused_char(&v));
    }
}
