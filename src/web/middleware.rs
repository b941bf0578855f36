//! Middleware every response passes through: errors rendered in the client's language (HTML page
//! or JSON body by path), sign-in redirects for pages, the language cookie, security headers.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::session::SESSION_COOKIE;
use crate::web::i18n::{query_lang, Lang, LANG_COOKIE};
use crate::web::layout::Layout;
use crate::web::request::RequestMeta;
use crate::web::AppError;

/// Headers on every response. With `Secure` cookies the site is served over HTTPS only, so
/// browsers are told to never try plain HTTP (HSTS), which would expose the first request.
pub fn security_headers(https_only: bool) -> DefaultHeaders {
    let headers = if https_only {
        DefaultHeaders::new().add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        DefaultHeaders::new()
    };
    headers
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
        .add((header::CACHE_CONTROL, "no-store"))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
    request_id: String,
}

pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Maps errors that actix produced itself (no route, wrong method, bad payload) onto `AppError`.
fn as_app_error(res: &ServiceResponse<impl MessageBody>) -> Option<AppError> {
    let status = res.status();
    if let Some(err) = res.response().error() {
        if let Some(app) = err.as_error::<AppError>() {
            return Some(clone_for_render(app));
        }
        return Some(match status {
            StatusCode::NOT_FOUND => AppError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::BadRequest(err.to_string()),
            s if s.is_client_error() => AppError::BadRequest(err.to_string()),
            _ => AppError::Internal(anyhow::anyhow!("{err}")),
        });
    }
    match status {
        StatusCode::NOT_FOUND => Some(AppError::NotFound),
        StatusCode::METHOD_NOT_ALLOWED => Some(AppError::MethodNotAllowed),
        _ => None,
    }
}

/// A copy of the error that is enough to render it again (causes are logged already).
fn clone_for_render(e: &AppError) -> AppError {
    match e {
        AppError::Validation(i) => AppError::Validation(i.clone()),
        AppError::BadRequest(m) => AppError::BadRequest(m.clone()),
        AppError::Unauthenticated => AppError::Unauthenticated,
        AppError::BadCredentials => AppError::BadCredentials,
        AppError::SessionReplaced => AppError::SessionReplaced,
        AppError::Forbidden => AppError::Forbidden,
        AppError::Csrf => AppError::Csrf,
        AppError::NotFound => AppError::NotFound,
        AppError::MethodNotAllowed => AppError::MethodNotAllowed,
        AppError::PayloadTooLarge => AppError::PayloadTooLarge,
        AppError::RateLimited { retry_after } => AppError::RateLimited {
            retry_after: *retry_after,
        },
        AppError::QueueRequired {
            position,
            retry_after,
        } => AppError::QueueRequired {
            position: *position,
            retry_after: *retry_after,
        },
        AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
        AppError::OutcomeUnknown(m) => AppError::OutcomeUnknown(m.clone()),
        AppError::Internal(_) => AppError::Internal(anyhow::anyhow!("already logged")),
        AppError::Refused(r) => AppError::Refused(r.clone()),
        AppError::IdempotencyMismatch => AppError::IdempotencyMismatch,
        AppError::IdempotencyInProgress => AppError::IdempotencyInProgress,
        AppError::Account(e) => AppError::Account(e.clone()),
    }
}

pub fn render_error(req: &HttpRequest, err: &AppError) -> HttpResponse {
    let lang = Lang::from_request(req);
    let meta = RequestMeta::of(req);
    let status = err.status_code();
    let mut builder = HttpResponse::build(status);
    match err {
        AppError::RateLimited { retry_after } | AppError::QueueRequired { retry_after, .. } => {
            builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        AppError::Unavailable(_) | AppError::OutcomeUnknown(_) => {
            builder.insert_header((header::RETRY_AFTER, "1"));
        }
        _ => {}
    }
    let disabled = matches!(err, AppError::Account(e) if e.ends_session());
    if matches!(err, AppError::SessionReplaced) || disabled {
        builder.cookie(removal(SESSION_COOKIE));
    }
    if is_api(crate::web::request::routed_path(req)) {
        return builder.json(err.body(lang, &meta.request_id));
    }
    if let AppError::QueueRequired { .. } = err {
        // A page action without a pass goes to the waiting room, which keeps the ticket.
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/queue"))
            .finish();
    }
    if matches!(err, AppError::Unauthenticated | AppError::SessionReplaced) || disabled {
        // Pages send the visitor to sign in, with the reason and a way back.
        let notice = if matches!(err, AppError::SessionReplaced) {
            "replaced"
        } else if disabled {
            "disabled"
        } else {
            "required"
        };
        let back = if req.method() == actix_web::http::Method::GET {
            req.path()
        } else {
            "/"
        };
        let location = format!(
            "/login?{}",
            serde_urlencoded::to_string([("notice", notice), ("next", back)]).unwrap_or_default()
        );
        let mut redirect = HttpResponse::SeeOther();
        redirect.insert_header((header::LOCATION, location));
        if matches!(err, AppError::SessionReplaced) || disabled {
            redirect.cookie(removal(SESSION_COOKIE));
        }
        return redirect.finish();
    }
    let page = ErrorPage {
        layout: Layout::of(req),
        status: status.as_u16(),
        message: err.message(lang, &meta.request_id),
        request_id: meta.request_id,
    };
    match page.render() {
        Ok(html) => builder.content_type("text/html; charset=utf-8").body(html),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            builder
                .content_type("text/plain; charset=utf-8")
                .body(err.message(lang, "-"))
        }
    }
}

pub fn removal(name: &str) -> Cookie<'static> {
    let mut c = Cookie::build(name.to_string(), "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    c.make_removal();
    c
}

pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let set_lang = query_lang(req.query_string());
    // Inner middleware answers with error responses (never `Err`), so every error is seen here.
    let res = next.call(req).await?;
    let mut res = match as_app_error(&res) {
        Some(err) => {
            let (req, _) = res.into_parts();
            let rendered = render_error(&req, &err);
            ServiceResponse::new(req, rendered).map_into_right_body()
        }
        None => res.map_into_left_body(),
    };
    if let Some(lang) = set_lang {
        let cookie = Cookie::build(LANG_COOKIE, lang.code())
            .path("/")
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        if let Ok(value) = header::HeaderValue::from_str(&cookie.to_string()) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(res)
}
