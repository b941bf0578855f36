//! Accounts as the registrars page lists and changes them: registrars with their last sign-in,
//! the lock that keeps one registrar active, and enabling or disabling an account.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{activity_log, users};

/// An account listed: id, login id, name, disabled at, created at.
pub type Listed = (i32, String, String, Option<NaiveDateTime>, NaiveDateTime);

/// The accounts of `role` by login id.
pub fn accounts(conn: &mut MysqlConnection, role: &str) -> QueryResult<Vec<Listed>> {
    users::table
        .filter(users::role.eq(role))
        .order(users::login_id.asc())
        .select((
            users::id,
            users::login_id,
            users::name,
            users::disabled_at,
            users::created_at,
        ))
        .load(conn)
}

/// The last successful sign-in of each of the users, from the activity log
/// (ix_activity_actor_at).
pub fn last_sign_in(
    conn: &mut MysqlConnection,
    ids: &[i32],
) -> QueryResult<HashMap<i32, NaiveDateTime>> {
    let last: Vec<(Option<i32>, Option<NaiveDateTime>)> = activity_log::table
        .filter(activity_log::actor_id.eq_any(ids))
        .filter(activity_log::action.eq("login"))
        .filter(activity_log::outcome.eq_any(["ok", "one_time_password"]))
        .group_by(activity_log::actor_id)
        .select((activity_log::actor_id, diesel::dsl::max(activity_log::at)))
        .load(conn)?;
    Ok(last
        .into_iter()
        .filter_map(|(id, at)| Some((id?, at?)))
        .collect())
}

/// Locks the enabled accounts of `role`; returns their ids.
pub fn lock_active(conn: &mut MysqlConnection, role: &str) -> QueryResult<Vec<i32>> {
    users::table
        .filter(users::role.eq(role))
        .filter(users::disabled_at.is_null())
        .select(users::id)
        .for_update()
        .load(conn)
}

/// The login id of account `id` when it is of `role` (else not found).
pub fn login_of(conn: &mut MysqlConnection, id: i32, role: &str) -> QueryResult<String> {
    users::table
        .filter(users::id.eq(id))
        .filter(users::role.eq(role))
        .select(users::login_id)
        .first(conn)
}

/// Disables the account since `at`, or enables it (none).
pub fn set_disabled_at(
    conn: &mut MysqlConnection,
    id: i32,
    at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::disabled_at.eq(at))
        .execute(conn)?;
    Ok(())
}
