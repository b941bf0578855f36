//! Per-request context: a request id (honoured from `X-Request-Id` when well-formed, else new),
//! the client address (from the proxy header only when the proxy is trusted), and a tracing span.

use std::future::{ready, Ready};
use std::net::IpAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use tracing::Instrument;

use crate::startup::AppState;
use crate::web::AppError;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub client_ip: String,
}

impl RequestMeta {
    pub fn of(req: &HttpRequest) -> RequestMeta {
        req.extensions()
            .get::<RequestMeta>()
            .cloned()
            .unwrap_or_else(|| RequestMeta {
                request_id: String::from("-"),
                client_ip: req
                    .peer_addr()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_default(),
            })
    }
}

impl FromRequest for RequestMeta {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(RequestMeta::of(req)))
    }
}

/// The path as the router matches it: percent-encoded characters decoded (except `%`, `/`, `+`),
/// so `/api/v1/enrollment%73` reads `/api/v1/enrollments` here. Middleware that branches on a
/// path uses this or [`matched_route`], never the raw `req.path()`, or an encoded path would be
/// routed to a handler while walking around the check.
pub fn routed_path(req: &HttpRequest) -> &str {
    req.match_info().as_str()
}

/// The pattern of the route that serves this request (`/api/v1/enrollments/{section_id}`), the
/// same decision the router makes, also before routing has run (middleware). `None` when no
/// route matches (the answer is 404).
pub fn matched_route(req: &HttpRequest) -> Option<String> {
    req.resource_map().match_pattern(routed_path(req))
}

fn well_formed_id(v: &str) -> bool {
    (8..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn client_ip(req: &ServiceRequest, trust_proxy: bool) -> String {
    if trust_proxy {
        // The load balancer appends the address it saw; the last entry is the one it vouches for.
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let trust_proxy = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.trust_proxy);
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let meta = RequestMeta {
        request_id: request_id.clone(),
        client_ip: client_ip(&req, trust_proxy),
    };
    let span = tracing::info_span!(
        "request",
        request.id = %meta.request_id,
        client.ip = %meta.client_ip,
        http.method = %req.method(),
        http.path = %req.path(),
    );
    req.extensions_mut().insert(meta);
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    let status = res.status().as_u16();
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(http.status = status, "request finished");
        } else {
            tracing::debug!(http.status = status, "request finished");
        }
    });
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::well_formed_id;

    #[test]
    fn request_ids_from_clients_are_bounded() {
        assert!(well_formed_id("0123456789abcdef"));
        assert!(!well_formed_id("short"));
        assert!(!well_formed_id(&"a".repeat(65)));
        assert!(!well_formed_id("abc def ghi jkl"));
        assert!(!well_formed_id("<script>alert(1)</script>"));
    }
}
