//! Sign-in and sign-out: the page and form, and `POST/DELETE /api/v1/session`.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::device::{DEVICE_COOKIE, DEVICE_COOKIE_DAYS};
use crate::auth::extract::CurrentUser;
use crate::auth::service;
use crate::auth::Auth;
use crate::session::{Role, SESSION_COOKIE};
use crate::web::middleware::removal;
use crate::web::{AppError, Layout, RequestMeta};

/// Double-submit token for the sign-in form, which has no session to hold a CSRF token yet.
const LOGIN_FORM_COOKIE: &str = "sugang_login";

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    notice: Option<&'static str>,
    error: Option<String>,
    login_id: String,
    next: String,
    form_token: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    notice: Option<String>,
    next: Option<String>,
}

/// Only same-site paths: never an open redirect.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if crate::web::is_local_path(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

fn notice_key(notice: Option<&str>) -> Option<&'static str> {
    match notice? {
        "replaced" => Some("login.notice.replaced"),
        "expired" => Some("login.notice.expired"),
        "signed_out" => Some("login.notice.signed_out"),
        "required" => Some("login.notice.required"),
        "disabled" => Some("login.notice.disabled"),
        _ => None,
    }
}

fn random_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

pub(crate) fn session_cookie(app: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(app.settings.cookie_secure)
        .finish()
}

/// The device cookie a browser gets at each successful sign-in (see `auth::device`).
fn device_cookie(app: &AppState, login_id: &str) -> Cookie<'static> {
    Cookie::build(DEVICE_COOKIE, app.settings.device_key.issue(login_id))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(app.settings.cookie_secure)
        .max_age(actix_web::cookie::time::Duration::days(DEVICE_COOKIE_DAYS))
        .finish()
}

fn device_of(req: &HttpRequest) -> Option<String> {
    req.cookie(DEVICE_COOKIE).map(|c| c.value().to_string())
}

fn form_cookie(app: &AppState, value: &str) -> Cookie<'static> {
    Cookie::build(LOGIN_FORM_COOKIE, value.to_string())
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(app.settings.cookie_secure)
        .finish()
}

fn login_page(
    app: &AppState,
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    page: LoginPage,
) -> Result<HttpResponse, AppError> {
    let mut res = HttpResponse::build(status);
    if req
        .cookie(LOGIN_FORM_COOKIE)
        .map(|c| c.value().to_string())
        .as_deref()
        != Some(page.form_token.as_str())
    {
        res.cookie(form_cookie(app, &page.form_token));
    }
    Ok(res
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

pub async fn login_form(
    app: web::Data<AppState>,
    req: HttpRequest,
    layout: Layout,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let form_token = req
        .cookie(LOGIN_FORM_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_else(random_token);
    let page = LoginPage {
        layout,
        notice: notice_key(query.notice.as_deref()),
        error: None,
        login_id: String::new(),
        next: safe_next(query.next.as_deref()),
        form_token,
    };
    login_page(&app, &req, actix_web::http::StatusCode::OK, page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    form_token: String,
}

pub async fn login_submit(
    app: web::Data<AppState>,
    auth: web::Data<Auth>,
    req: HttpRequest,
    layout: Layout,
    meta: RequestMeta,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let expected = req.cookie(LOGIN_FORM_COOKIE).map(|c| c.value().to_string());
    if expected
        .as_deref()
        .is_none_or(|e| e.is_empty() || e != form.form_token)
    {
        return Err(AppError::Csrf);
    }
    let next = safe_next(form.next.as_deref());
    let device = device_of(&req);
    match service::sign_in(
        &app,
        &auth,
        &form.login_id,
        &form.password,
        device.as_deref(),
        &meta,
    )
    .await
    {
        Ok((cookie, session)) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next))
            .cookie(session_cookie(&app, cookie))
            .cookie(device_cookie(&app, &session.login_id))
            .cookie(removal_at(LOGIN_FORM_COOKIE, "/login"))
            .finish()),
        Err(
            err @ (AppError::Validation(_)
            | AppError::BadCredentials
            | AppError::Account(_)
            | AppError::RateLimited { .. }),
        ) => {
            let lang = layout.lang;
            let status = actix_web::ResponseError::status_code(&err);
            let page = LoginPage {
                error: Some(err.message(lang, &meta.request_id)),
                notice: None,
                login_id: form
                    .login_id
                    .chars()
                    .take(crate::auth::domain::LOGIN_ID_MAX)
                    .collect(),
                next,
                form_token: form.form_token,
                layout,
            };
            let mut res = login_page(&app, &req, status, page)?;
            if let AppError::RateLimited { retry_after } = err {
                if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            Ok(res)
        }
        Err(other) => Err(other),
    }
}

fn removal_at(name: &str, path: &str) -> Cookie<'static> {
    let mut c = Cookie::build(name.to_string(), "")
        .path(path.to_string())
        .finish();
    c.make_removal();
    c
}

pub async fn logout(
    app: web::Data<AppState>,
    auth: web::Data<Auth>,
    user: CurrentUser,
    meta: RequestMeta,
) -> Result<HttpResponse, AppError> {
    service::sign_out(&app, &auth, &user.0, &meta).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login?notice=signed_out"))
        .cookie(removal(SESSION_COOKIE))
        .finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SessionRequest {
    #[serde(default)]
    login_id: String,
    #[serde(default)]
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionUser {
    pub id: i32,
    pub login_id: String,
    pub name: String,
    pub role: Role,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionResponse {
    user: SessionUser,
    csrf_token: String,
}

pub async fn api_sign_in(
    app: web::Data<AppState>,
    auth: web::Data<Auth>,
    req: HttpRequest,
    meta: RequestMeta,
    body: web::Json<SessionRequest>,
) -> Result<HttpResponse, AppError> {
    let device = device_of(&req);
    let (cookie, session) = service::sign_in(
        &app,
        &auth,
        &body.login_id,
        &body.password,
        device.as_deref(),
        &meta,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&app, cookie))
        .cookie(device_cookie(&app, &session.login_id))
        .json(SessionResponse {
            user: SessionUser {
                id: session.user_id,
                login_id: session.login_id,
                name: session.name,
                role: session.role,
            },
            csrf_token: session.csrf_token,
        }))
}

pub async fn api_sign_out(
    app: web::Data<AppState>,
    auth: web::Data<Auth>,
    user: CurrentUser,
    meta: RequestMeta,
) -> Result<HttpResponse, AppError> {
    service::sign_out(&app, &auth, &user.0, &meta).await?;
    Ok(HttpResponse::NoContent()
        .cookie(removal(SESSION_COOKIE))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_never_an_open_redirect() {
        assert_eq!(safe_next(Some("/timetable")), "/timetable");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("/a\r\nSet-Cookie: x=1")), "/");
        assert_eq!(safe_next(Some("/a\u{7f}")), "/");
        assert_eq!(safe_next(Some("/강의")), "/");
    }
}
