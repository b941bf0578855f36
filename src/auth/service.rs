//! Signing in and out.

use crate::activity::{self, NewActivity};
use crate::app::AppState;
use crate::auth::account_error::AccountError;
use crate::auth::domain::{LoginId, Password};
use crate::auth::models;
use crate::auth::throttle::Attempt;
use crate::auth::Auth;
use crate::session::{Role, Session};
use crate::web::{AppError, RequestMeta};

fn count(outcome: &'static str) {
    metrics::counter!("sugang_logins_total", "outcome" => outcome).increment(1);
}

/// Checks the credentials and starts a session, ending the account's older sessions.
/// `device_cookie` is the browser's device cookie, if any (see `auth::device`).
/// Returns the session cookie value and the session.
pub async fn sign_in(
    app: &AppState,
    auth: &Auth,
    raw_login_id: &str,
    raw_password: &str,
    device_cookie: Option<&str>,
    meta: &RequestMeta,
) -> Result<(String, Session), AppError> {
    let (login_id, password) = match (LoginId::parse(raw_login_id), Password::parse(raw_password)) {
        (Ok(l), Ok(p)) => (l, p),
        (Err(e), _) | (_, Err(e)) => {
            count("invalid");
            return Err(AppError::Validation(e));
        }
    };
    let device = device_cookie.and_then(|c| app.settings.device_key.verify(login_id.as_str(), c));
    let attempt = Attempt {
        login_id: login_id.as_str(),
        address: &meta.client_ip,
        device: device.as_deref(),
    };
    if let Some(throttled) = auth.throttle.check(attempt).await? {
        count("throttled");
        tracing::warn!(login.id = %login_id.as_str(), ?throttled, "sign-in throttled");
        return Err(AppError::RateLimited {
            retry_after: throttled.retry_after(),
        });
    }
    let lookup = login_id.as_str().to_string();
    let user = app
        .db
        .query(move |conn| models::find_by_login_id(conn, &lookup))
        .await?;
    let verified = auth
        .hasher
        .verify(
            user.as_ref().map(|u| u.password_hash.clone()),
            password.into_inner(),
        )
        .await?;
    let role = user.as_ref().and_then(|u| Role::parse(&u.role));
    let (user, role) = match (verified, user, role) {
        (true, Some(user), Some(role)) => (user, role),
        (_, user, _) => {
            count("bad_credentials");
            auth.throttle.record_failure(attempt).await?;
            let mut entry = NewActivity::new("login", "bad_credentials", meta);
            entry.student_id = user.map(|u| u.id);
            log_activity(app, entry).await;
            return Err(AppError::BadCredentials);
        }
    };
    // Disabled is told only after the password verified (the same argon2id work as any other
    // attempt): a guesser learns nothing about an account it does not hold the password of. A
    // pending one-time password is left unused.
    if user.disabled_at.is_some() {
        return Err(refuse_disabled(app, &user, role, meta).await);
    }
    // A one-time password signs in once, within 72 h, and only to change the password.
    let must_change = crate::auth::one_time::at_sign_in(app, &user, meta).await?;
    auth.throttle.record_success(attempt).await?;
    let (cookie, session) = auth
        .sessions
        .start(user.id, &user.login_id, &user.name, role, must_change)
        .await?;
    // A registrar may have disabled the account between the read above and the session's start;
    // disabling commits before it ends sessions, so one of the two sides sees the other.
    let id = user.id;
    let disabled_now = app
        .db
        .query(move |conn| models::is_disabled(conn, id))
        .await?;
    if disabled_now {
        auth.sessions.end_disabled(user.id).await?;
        return Err(refuse_disabled(app, &user, role, meta).await);
    }
    count("ok");
    tracing::info!(user.id = user.id, role = ?role, "signed in");
    let mut entry = NewActivity::new("login", "ok", meta);
    entry.actor_id = Some(user.id);
    entry.student_id = (role == Role::Student).then_some(user.id);
    entry.session_ref = Some(session.reference());
    log_activity(app, entry).await;
    Ok((cookie, session))
}

async fn refuse_disabled(
    app: &AppState,
    user: &models::User,
    role: Role,
    meta: &RequestMeta,
) -> AppError {
    count("disabled");
    tracing::info!(user.id = user.id, "sign-in of a disabled account refused");
    let mut entry = NewActivity::new("login", "account_disabled", meta);
    entry.actor_id = Some(user.id);
    entry.student_id = (role == Role::Student).then_some(user.id);
    log_activity(app, entry).await;
    AppError::account(AccountError::AccountDisabled)
}

pub async fn sign_out(
    app: &AppState,
    auth: &Auth,
    session: &Session,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    auth.sessions.sign_out(session).await?;
    let mut entry = NewActivity::new("logout", "ok", meta);
    entry.actor_id = Some(session.user_id);
    entry.student_id = (session.role == Role::Student).then_some(session.user_id);
    entry.session_ref = Some(session.reference());
    log_activity(app, entry).await;
    Ok(())
}

/// Sign-in records are an audit trail, not part of the answer: a failed write is logged, not
/// turned into a failed sign-in.
async fn log_activity(app: &AppState, entry: NewActivity) {
    if let Err(e) = app
        .db
        .query(move |conn| activity::record(conn, &entry))
        .await
    {
        tracing::warn!(error = %e, "activity log write failed");
    }
}
