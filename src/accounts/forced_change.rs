//! While a session is restricted (signed in with a one-time password), every route but the
//! password change, sign-out and the probes answers `password_change_required`: JSON 403 for the
//! API, a redirect to `/account/password` for pages.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};

use crate::auth::account_error::AccountError;
use crate::session::SessionState;
use crate::web::AppError;

fn open_while_restricted(method: &Method, path: &str) -> bool {
    matches!(
        path,
        "/account/password" | "/api/v1/account/password" | "/logout"
    ) || (path == "/api/v1/session" && method == Method::DELETE)
        || matches!(path, "/healthz" | "/readyz" | "/api/v1/time")
        || path.starts_with("/static/")
}

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let restricted = matches!(
        req.extensions().get::<SessionState>(),
        Some(SessionState::Active(s)) if s.must_change_password
    );
    if !restricted || open_while_restricted(req.method(), req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    if req.path().starts_with("/api/") {
        let err = AppError::account(AccountError::PasswordChangeRequired);
        return Ok(req.error_response(err).map_into_right_body());
    }
    let res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/account/password"))
        .finish();
    Ok(req.into_response(res).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_password_change_sign_out_and_probes_stay_open() {
        assert!(open_while_restricted(&Method::GET, "/account/password"));
        assert!(open_while_restricted(
            &Method::POST,
            "/api/v1/account/password"
        ));
        assert!(open_while_restricted(&Method::DELETE, "/api/v1/session"));
        assert!(!open_while_restricted(&Method::POST, "/api/v1/session"));
        assert!(!open_while_restricted(&Method::GET, "/"));
        assert!(!open_while_restricted(&Method::POST, "/api/v1/enrollments"));
        assert!(!open_while_restricted(
            &Method::GET,
            "/account/password/../../admin"
        ));
    }
}
