//! Per-request context: a request id made here (a trusted proxy's `X-Request-Id` kept beside
//! it), the client address (from `X-Forwarded-For` only when the peer is in
//! `SUGANG_TRUSTED_PROXIES`), and a tracing span.

use std::future::{ready, Ready};
use std::net::IpAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use ipnet::IpNet;
use tracing::Instrument;

use crate::app::AppState;
use crate::web::AppError;

pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Echoes a trusted proxy's own request id beside the server's.
pub const UPSTREAM_ID_HEADER: &str = "x-upstream-request-id";

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

/// Requests that change a student's enrollments: the registration freeze stops these and the
/// waiting room asks them for an admission pass. `route` is the
/// pattern of the matched route (see `web::request::matched_route`), never the raw path.
pub fn is_registration_action(method: &Method, route: &str) -> bool {
    let path = route;
    let changes = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    changes
        && (path.starts_with("/api/v1/enrollments")
            || path.starts_with("/api/v1/waitlist")
            || path.starts_with("/api/v1/watches")
            || path == "/registration"
            || path.starts_with("/registration/")
            || path == "/waitlist"
            || path.starts_with("/waitlist/")
            || path == "/watches"
            || path.starts_with("/watches/")
            || path == "/basket/register"
            || path == "/api/v1/basket/register")
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

fn trusted(proxies: &[IpNet], ip: &IpAddr) -> bool {
    proxies.iter().any(|net| net.contains(ip))
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy (each proxy appends the address it
/// saw, so entries to the left of the first untrusted one are the client's own claims).
fn client_ip(peer: Option<IpAddr>, forwarded_for: Option<&str>, proxies: &[IpNet]) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    if !trusted(proxies, &peer) {
        return peer.to_string();
    }
    let mut client = peer;
    for entry in forwarded_for.unwrap_or("").rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted(proxies, &ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client.to_string()
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let proxies: &[IpNet] = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.trusted_proxies.as_slice())
        .unwrap_or(&[]);
    let peer = req.peer_addr().map(|a| a.ip());
    let from_proxy = peer.is_some_and(|p| trusted(proxies, &p));
    // The id in logs and the activity log is always made here; a trusted proxy's own id is kept
    // beside it for correlation, a client's is ignored (it could forge log lines).
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let upstream_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| from_proxy && well_formed_id(v))
        .map(str::to_string);
    let forwarded_for = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let meta = RequestMeta {
        request_id: request_id.clone(),
        client_ip: client_ip(peer, forwarded_for, proxies),
    };
    let span = tracing::info_span!(
        "request",
        request.id = %meta.request_id,
        request.upstream_id = upstream_id.as_deref().unwrap_or("-"),
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
    if let Some(value) = upstream_id.and_then(|v| HeaderValue::from_str(&v).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static(UPSTREAM_ID_HEADER), value);
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
    use super::{client_ip, is_registration_action, well_formed_id};
    use actix_web::http::Method;

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxies = vec!["10.0.0.0/8".parse().expect("net")];
        let peer = |s: &str| Some(s.parse().expect("ip"));
        // A pod in the cluster but not a proxy: its header is ignored.
        assert_eq!(
            client_ip(peer("172.16.0.9"), Some("1.2.3.4"), &proxies),
            "172.16.0.9"
        );
        // Through the load balancer: the address it saw, not the client's own claim.
        assert_eq!(
            client_ip(peer("10.0.3.4"), Some("6.6.6.6, 203.0.113.5"), &proxies),
            "203.0.113.5"
        );
        // Two proxies in a row.
        assert_eq!(
            client_ip(peer("10.0.3.4"), Some("203.0.113.5, 10.0.9.9"), &proxies),
            "203.0.113.5"
        );
        assert_eq!(
            client_ip(peer("10.0.3.4"), Some("junk"), &proxies),
            "10.0.3.4"
        );
        assert_eq!(client_ip(peer("10.0.3.4"), None, &proxies), "10.0.3.4");
        assert_eq!(
            client_ip(peer("10.0.3.4"), Some("1.2.3.4"), &[]),
            "10.0.3.4"
        );
    }

    #[test]
    fn request_ids_from_clients_are_bounded() {
        assert!(well_formed_id("0123456789abcdef"));
        assert!(!well_formed_id("short"));
        assert!(!well_formed_id(&"a".repeat(65)));
        assert!(!well_formed_id("abc def ghi jkl"));
        assert!(!well_formed_id("<script>alert(1)</script>"));
    }

    #[test]
    fn only_enrollment_changes_are_gated() {
        assert!(is_registration_action(&Method::POST, "/api/v1/enrollments"));
        assert!(is_registration_action(
            &Method::DELETE,
            "/api/v1/enrollments/{section_id}"
        ));
        assert!(is_registration_action(
            &Method::POST,
            "/api/v1/enrollments/swap"
        ));
        assert!(is_registration_action(&Method::POST, "/api/v1/waitlist"));
        assert!(is_registration_action(
            &Method::POST,
            "/registration/enroll"
        ));
        assert!(!is_registration_action(&Method::GET, "/api/v1/enrollments"));
        assert!(!is_registration_action(&Method::POST, "/api/v1/basket"));
        assert!(!is_registration_action(&Method::POST, "/api/v1/session"));
        assert!(is_registration_action(&Method::POST, "/registration"));
        assert!(is_registration_action(&Method::POST, "/waitlist"));
        assert!(!is_registration_action(&Method::POST, "/basket"));
        assert!(!is_registration_action(&Method::GET, "/registration"));
        assert!(is_registration_action(&Method::POST, "/basket/register"));
        assert!(is_registration_action(
            &Method::POST,
            "/api/v1/basket/register"
        ));
    }
}
