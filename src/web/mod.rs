//! What every page and endpoint shares: the error type, the message catalog, the layout context,
//! request context, and the response middleware.

pub mod assets;
pub mod error;
pub mod flash;
pub mod form;
pub mod i18n;
pub mod layout;
pub mod middleware;
pub mod request;

pub use error::{AppError, Invalid};
pub use i18n::Lang;
pub use layout::Layout;
pub use request::RequestMeta;

use actix_web::{web, HttpRequest, HttpResponse};

/// A same-site path that is safe to send back in `Location` (a `next` field, a Referer): one
/// leading `/`, no backslash, printable ASCII only (a control character would make the header
/// invalid: a 500 after the action had already happened), at most 512 bytes.
pub fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && p.len() <= 512
        && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// Renders an Askama page as an HTML response.
pub fn html(page: impl askama::Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// Extractor configuration: malformed JSON, forms, queries and paths become clear 4xx errors.
pub fn configure_extractors(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(64 * 1024)
            .error_handler(json_error),
    )
    .app_data(
        web::FormConfig::default()
            .limit(64 * 1024)
            .error_handler(form_error),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| AppError::BadRequest(e.to_string()).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()));
}

fn form_error(err: actix_web::error::UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::UrlencodedError as U;
    match err {
        U::Overflow { .. } => AppError::PayloadTooLarge,
        U::ContentType => {
            AppError::BadRequest("expected a form (application/x-www-form-urlencoded)".into())
        }
        other => AppError::BadRequest(other.to_string()),
    }
    .into()
}

fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let app = match &err {
        J::OverflowKnownLength { .. } | J::Overflow { .. } => AppError::PayloadTooLarge,
        J::ContentType => AppError::BadRequest("expected Content-Type: application/json".into()),
        other => AppError::BadRequest(other.to_string()),
    };
    app.into()
}
