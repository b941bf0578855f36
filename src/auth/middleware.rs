//! Request-side guards: `load_session` puts the caller's `SessionState` in request extensions
//! (one Redis round trip, only when a session cookie is present); `csrf_guard` refuses any
//! state-changing request whose token does not match the session's.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use futures_util::StreamExt;

use crate::app::AppState;
use crate::auth::Auth;
use crate::session::{SessionState, SESSION_COOKIE};
use crate::web::AppError;

pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf_token";
const FORM_LIMIT: usize = 64 * 1024;
/// The only route that takes a multipart form; its handler checks the token in the body.
pub const MULTIPART_FORM_PATH: &str = "/admin/import";

/// Paths that never look at sessions (probes, metrics, assets): no Redis round trip for them.
fn sessionless(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/")
}

pub async fn load_session(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !sessionless(crate::web::request::routed_path(req.request())) {
        let state = match (
            req.cookie(SESSION_COOKIE),
            req.app_data::<web::Data<Auth>>(),
        ) {
            (Some(cookie), Some(auth)) => auth.sessions.load(cookie.value()).await,
            _ => SessionState::Anonymous,
        };
        let left = match (&state, req.app_data::<web::Data<AppState>>()) {
            (SessionState::Active(s), Some(app)) => Some(crate::web::layout::session_left(
                s,
                &app.settings,
                chrono::Utc::now(),
            )),
            _ => None,
        };
        req.extensions_mut().insert(state);
        if let Some(left) = left {
            req.extensions_mut()
                .insert(crate::web::layout::SessionLeft(left));
        }
        let mut res = next.call(req).await?;
        if let Some(left) = left {
            // What the session has left without further activity, for clients that warn.
            if let Ok(v) = header::HeaderValue::from_str(&left.to_string()) {
                res.headers_mut().insert(
                    header::HeaderName::from_static("x-session-idle-remaining"),
                    v,
                );
            }
        }
        return Ok(res);
    }
    next.call(req).await
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cross-site request announces itself in Origin; refuse it whatever else it carries.
fn foreign_origin(req: &ServiceRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let host = req.connection_info().host().to_string();
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    origin != "null" && origin_host != host
}

pub async fn csrf_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    if is_safe(req.method()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    if foreign_origin(&req) {
        return Ok(req.error_response(AppError::Csrf).map_into_right_body());
    }
    // Sign-in has no session yet: the API requires a JSON body (which no cross-site form can
    // send), the form checks its own double-submit token.
    let path = crate::web::request::routed_path(req.request()).to_string();
    if path == "/api/v1/session" && req.method() == Method::POST || path == "/login" {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let expected = match req.extensions().get::<SessionState>() {
        Some(SessionState::Active(s)) => Some(s.csrf_token.clone()),
        _ => None,
    };
    // Without a live session the handler answers 401 (or the sign-in redirect) itself.
    let Some(expected) = expected else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut presented = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if presented.is_none() && req.content_type() == mime_form() {
        match read_body(&mut req).await {
            Ok(body) => {
                presented = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
                    .ok()
                    .and_then(|pairs| {
                        pairs
                            .into_iter()
                            .find(|(k, _)| k == CSRF_FIELD)
                            .map(|(_, v)| v)
                    });
                req.set_payload(bytes_payload(body));
            }
            Err(e) => return Ok(req.error_response(e).map_into_right_body()),
        }
    }
    // Never from the query string: URLs end up in logs, histories and Referer headers. The one
    // multipart form (the CSV import) carries the token in its body, which its handler reads
    // and checks before anything else (`admin::csv_import::read_upload`).
    if presented.is_none()
        && path == MULTIPART_FORM_PATH
        && req.content_type() == "multipart/form-data"
    {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    match presented {
        Some(token) if same(&token, &expected) => Ok(next.call(req).await?.map_into_left_body()),
        _ => Ok(req.error_response(AppError::Csrf).map_into_right_body()),
    }
}

fn mime_form() -> &'static str {
    "application/x-www-form-urlencoded"
}

async fn read_body(req: &mut ServiceRequest) -> Result<web::Bytes, AppError> {
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > FORM_LIMIT {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn bytes_payload(body: web::Bytes) -> actix_web::dev::Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    actix_web::dev::Payload::from(payload)
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn token_comparison() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
        assert!(!same("", "a"));
    }
}
