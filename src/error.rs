//! One error type for the whole platform: a stable code, a short Chinese message for people,
//! an HTTP status, and (for logs only) the full cause chain.

use std::fmt;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub type AppResult<T> = Result<T, AppError>;

pub struct AppError {
    code: &'static str,
    message: String,
    status: StatusCode,
    /// Problems with single fields of a form, shown next to each field.
    fields: Vec<FieldIssue>,
    /// For 405: the methods the address does accept (the `Allow` header).
    allow: Option<String>,
    source: Option<anyhow::Error>,
}

/// A problem with one field: which field (its Chinese label) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
}

impl AppError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            status,
            fields: Vec::new(),
            allow: None,
            source: None,
        }
    }

    pub fn new_status(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> AppError {
        AppError::new(status, code, message)
    }

    /// Not signed in, or the sign-in is no longer valid.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// Signed in, but not allowed to do this.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, code, message)
    }

    /// Input that fails validation.
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_INPUT", message)
    }

    /// Input with problems in named fields (422), each shown next to its field.
    pub fn invalid_fields(message: impl Into<String>, fields: Vec<FieldIssue>) -> AppError {
        let mut e = AppError::invalid(message);
        e.fields = fields;
        e
    }

    /// A method the address does not accept (405), naming the ones it does.
    pub fn method_not_allowed(allowed: &[&str]) -> AppError {
        let mut e = AppError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "此地址不支持该请求方法",
        );
        e.allow = Some(allowed.join(", "));
        e
    }

    pub fn allow(&self) -> Option<&str> {
        self.allow.as_deref()
    }

    pub fn fields(&self) -> &[FieldIssue] {
        &self.fields
    }

    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub fn not_found(what: &str) -> AppError {
        AppError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{what}不存在或不在您的管理范围内"),
        )
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::CONFLICT, code, message)
    }

    pub fn too_large(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "TOO_LARGE", message)
    }

    /// Something on our side failed. The person sees a generic message; logs get the cause.
    pub fn internal(source: impl Into<anyhow::Error>) -> AppError {
        AppError {
            code: "INTERNAL",
            message: "系统内部错误，请稍后重试或联系管理员".into(),
            status: StatusCode::INTERNAL_SERVER_ERROR,
            fields: Vec::new(),
            allow: None,
            source: Some(source.into()),
        }
    }

    pub fn with_code(mut self, code: &'static str) -> AppError {
        self.code = code;
        self
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn source_ref(&self) -> Option<&anyhow::Error> {
        self.source.as_ref()
    }

    /// Prefixes the message, e.g. with the column a value came from.
    pub fn context(mut self, prefix: &str) -> AppError {
        self.message = format!("{prefix}：{}", self.message);
        self
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")?;
        if let Some(src) = &self.source {
            write!(f, "; cause: {src:#}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        AppError::internal(e)
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> AppError {
        AppError::internal(e)
    }
}

/// Every error answer of the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `INVALID_INPUT`.
    pub code: String,
    /// Message for people, in Chinese.
    pub message: String,
    /// Field-level problems, when the input had some (e.g. a member's enrolment form).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub fields: Vec<FieldIssue>,
}

impl From<&AppError> for ErrorBody {
    fn from(e: &AppError) -> ErrorBody {
        ErrorBody {
            code: e.code.to_string(),
            message: e.message.clone(),
            fields: e.fields.clone(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            // Full cause chain for operators; record ids only, never personal data.
            tracing::error!(code = self.code, error = ?self, "request failed");
        }
        let body = ErrorBody {
            code: self.code.to_string(),
            message: self.message,
            fields: self.fields,
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(allow) = self.allow.and_then(|a| a.parse().ok()) {
            res.headers_mut().insert(axum::http::header::ALLOW, allow);
        }
        res
    }
}
