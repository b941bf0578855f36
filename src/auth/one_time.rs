//! A one-time password at sign-in: it signs in once, within its validity, and only to change the
//! password. Registrars issue them (`accounts::one_time`).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::MysqlConnection;

use crate::activity::{self, NewActivity};
use crate::app::AppState;
use crate::auth::account_error::AccountError;
use crate::auth::models::User;
use crate::db::schema::one_time_passwords;
use crate::web::{AppError, RequestMeta};

/// After the password verified at sign-in: is it a one-time password, and may it still be used?
/// `Ok(true)` = it was one, now used up: the session must change the password.
pub fn use_at_sign_in(
    conn: &mut MysqlConnection,
    user_id: i32,
    verified_hash: &str,
) -> QueryResult<Result<bool, AccountError>> {
    let row: Option<(NaiveDateTime, Option<NaiveDateTime>)> = one_time_passwords::table
        .filter(one_time_passwords::user_id.eq(user_id))
        .filter(one_time_passwords::password_hash.eq(verified_hash))
        .select((one_time_passwords::expires_at, one_time_passwords::used_at))
        .first(conn)
        .optional()?;
    let Some((expires_at, used_at)) = row else {
        return Ok(Ok(false));
    };
    if used_at.is_some() {
        return Ok(Err(AccountError::OneTimePasswordUsed));
    }
    let now = Utc::now().naive_utc();
    if expires_at <= now {
        return Ok(Err(AccountError::OneTimePasswordExpired));
    }
    // Guarded: of two concurrent sign-ins with the same one-time password, one wins.
    let claimed = diesel::update(
        one_time_passwords::table
            .filter(one_time_passwords::user_id.eq(user_id))
            .filter(one_time_passwords::password_hash.eq(verified_hash))
            .filter(one_time_passwords::used_at.is_null()),
    )
    .set(one_time_passwords::used_at.eq(now))
    .execute(conn)?;
    Ok(if claimed == 1 {
        Ok(true)
    } else {
        Err(AccountError::OneTimePasswordUsed)
    })
}

/// The sign-in hook: `Ok(true)` when the session must be restricted to the password change; a
/// used or expired one-time password is refused (and logged) like bad credentials are.
pub async fn at_sign_in(app: &AppState, user: &User, meta: &RequestMeta) -> Result<bool, AppError> {
    let (user_id, hash) = (user.id, user.password_hash.clone());
    let is_student = user.role == "student";
    let outcome = app
        .db
        .query(move |conn| use_at_sign_in(conn, user_id, &hash))
        .await?;
    let logged = match outcome {
        Ok(false) => return Ok(false),
        Ok(true) => "one_time_password",
        Err(e) => e.code(),
    };
    let mut entry = NewActivity::new("login", logged, meta);
    entry.actor_id = Some(user_id);
    entry.student_id = is_student.then_some(user_id);
    if let Err(e) = app
        .db
        .query(move |conn| activity::record(conn, &entry))
        .await
    {
        tracing::warn!(error = %e, "activity log write failed");
    }
    outcome.map_err(AppError::account)
}
