//! Changing one's own password: `/account/password` (page and form) and
//! `POST /api/v1/account/password`. The current password is checked like a sign-in (argon2id,
//! throttled per account and address); the new one by `policy`. A change renews the session:
//! the caller gets a fresh session id and every other session of the account ends.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::policy;
use crate::activity::{self, NewActivity};
use crate::app::AppState;
use crate::auth::account_error::AccountError;
use crate::auth::domain::Password;
use crate::auth::extract::CurrentUser;
use crate::auth::models;
use crate::auth::routes::session_cookie;
use crate::auth::throttle::Attempt;
use crate::auth::Auth;
use crate::db::schema::users;
use crate::session::{Role, Session};
use crate::web::flash::{self, Flash, Level};
use crate::web::{AppError, Layout, RequestMeta};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange(..)")
    }
}

/// Checks, stores the new hash and renews the session. Returns the new cookie value and session.
pub async fn change_password(
    app: &AppState,
    auth: &Auth,
    session: &Session,
    change: PasswordChange,
    meta: &RequestMeta,
) -> Result<(String, Session), AppError> {
    let current = Password::parse(&change.current_password).map_err(|e| {
        AppError::Validation(crate::web::error::Invalid {
            field: "current_password",
            ..e
        })
    })?;
    // Guesses of the current password count as sign-in failures from an untrusted client.
    let attempt = Attempt {
        login_id: &session.login_id,
        address: &meta.client_ip,
        device: None,
    };
    if let Some(throttled) = auth.throttle.check(attempt).await? {
        return Err(AppError::RateLimited {
            retry_after: throttled.retry_after(),
        });
    }
    let user_id = session.user_id;
    let user = app
        .db
        .query(move |conn| models::find(conn, user_id))
        .await?;
    let stored = user.password_hash.clone();
    if !auth
        .hasher
        .verify(Some(stored.clone()), current.into_inner())
        .await?
    {
        auth.throttle.record_failure(attempt).await?;
        refuse(app, session, meta, AccountError::WrongCurrentPassword).await;
        return Err(AppError::account(AccountError::WrongCurrentPassword));
    }
    if let Err(problem) = policy::check_new_password(
        &session.login_id,
        &change.new_password,
        &change.new_password_confirm,
    ) {
        let err = AccountError::NewPassword(problem);
        refuse(app, session, meta, err).await;
        return Err(AppError::account(err));
    }
    let hash = auth.hasher.hash(change.new_password).await?;
    let mut entry = entry(session, meta, "ok");
    entry.detail = Some("own password changed; other sessions ended".into());
    let changed = app
        .db
        .run(move |conn| {
            Ok(conn.transaction(|conn| {
                // Guarded by the hash that was verified: two concurrent changes cannot both win.
                let n = diesel::update(
                    users::table
                        .filter(users::id.eq(user_id))
                        .filter(users::password_hash.eq(&stored)),
                )
                .set(users::password_hash.eq(&hash))
                .execute(conn)?;
                if n == 1 {
                    crate::accounts::one_time::clear(conn, user_id)?;
                    activity::record(conn, &entry)?;
                }
                QueryResult::Ok(n == 1)
            })?)
        })
        .await?;
    if !changed {
        return Err(AppError::account(AccountError::WrongCurrentPassword));
    }
    // A fresh session id: signing in again ends every other session of the account at once.
    let renewed = auth
        .sessions
        .sign_in(
            session.user_id,
            &session.login_id,
            &session.name,
            session.role,
        )
        .await?;
    tracing::info!(user.id = user_id, "password changed");
    Ok(renewed)
}

fn entry(session: &Session, meta: &RequestMeta, outcome: &str) -> NewActivity {
    let mut e = NewActivity::new("password_change", outcome, meta);
    e.actor_id = Some(session.user_id);
    e.student_id = (session.role == Role::Student).then_some(session.user_id);
    e.session_ref = Some(session.reference());
    e
}

/// Refusals are logged too; a failed log write does not change the answer.
async fn refuse(app: &AppState, session: &Session, meta: &RequestMeta, err: AccountError) {
    let e = entry(session, meta, err.code());
    if let Err(e) = app.db.query(move |conn| activity::record(conn, &e)).await {
        tracing::warn!(error = %e, "activity log write failed");
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Changed {
    csrf_token: String,
}

pub async fn api_change_password(
    app: web::Data<AppState>,
    auth: web::Data<Auth>,
    user: CurrentUser,
    meta: RequestMeta,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    let (cookie, session) = change_password(&app, &auth, &user.0, body.into_inner(), &meta).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&app, cookie))
        .json(Changed {
            csrf_token: session.csrf_token,
        }))
}

#[derive(Template)]
#[template(path = "accounts/password.html")]
struct PasswordPage {
    layout: Layout,
    /// The field the error belongs beside, and the message.
    error_field: &'static str,
    error: Option<String>,
}

fn page(
    layout: Layout,
    status: StatusCode,
    err: Option<&AppError>,
) -> Result<HttpResponse, AppError> {
    let lang = layout.lang;
    let (error_field, error) = match err {
        Some(AppError::Account(e)) => (e.field().unwrap_or_default(), Some(e.message(lang))),
        Some(AppError::Validation(i)) => (i.field, Some(i.message(lang))),
        Some(other) => ("", Some(other.message(lang, ""))),
        None => ("", None),
    };
    let body = PasswordPage {
        layout,
        error_field,
        error,
    }
    .render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub async fn password_form(_user: CurrentUser, layout: Layout) -> Result<HttpResponse, AppError> {
    page(layout, StatusCode::OK, None)
}

pub async fn password_submit(
    app: web::Data<AppState>,
    auth: web::Data<Auth>,
    user: CurrentUser,
    layout: Layout,
    meta: RequestMeta,
    form: web::Form<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    match change_password(&app, &auth, &user.0, form.into_inner(), &meta).await {
        Ok((cookie, session)) => {
            let message = layout.t("account.password.changed").to_string();
            let marker = flash::set(
                &app.cache,
                &session,
                &Flash {
                    level: Level::Ok,
                    message,
                },
            )
            .await?;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/"))
                .cookie(session_cookie(&app, cookie))
                .cookie(marker)
                .finish())
        }
        Err(
            err @ (AppError::Account(_) | AppError::Validation(_) | AppError::RateLimited { .. }),
        ) => {
            let status = actix_web::ResponseError::status_code(&err);
            page(layout, status, Some(&err))
        }
        Err(other) => Err(other),
    }
}
