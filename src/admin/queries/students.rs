//! Students as the console finds and changes them: the search, one student with their
//! department, holds, and the credit limit.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::models::User;
use crate::db::schema::{departments, holds, users};

/// A student found: id, student number, name, class year, status.
pub type Found = (i32, String, String, Option<i8>, String);

/// Students whose number starts with `needle` or whose name holds it (wildcards taken
/// literally), by number, at most `limit`.
pub fn search(conn: &mut MysqlConnection, needle: &str, limit: i64) -> QueryResult<Vec<Found>> {
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    users::table
        .filter(users::role.eq("student"))
        .filter(
            users::login_id
                .like(format!("{escaped}%"))
                .or(users::name.like(format!("%{escaped}%"))),
        )
        .order(users::login_id)
        .limit(limit)
        .select((
            users::id,
            users::login_id,
            users::name,
            users::class_year,
            users::status,
        ))
        .load(conn)
}

/// The student `id` (a user of another role is not found).
pub fn student(conn: &mut MysqlConnection, id: i32) -> QueryResult<User> {
    users::table
        .find(id)
        .filter(users::role.eq("student"))
        .select(User::as_select())
        .first(conn)
}

/// The department's code and Korean and English names, when it exists.
pub fn department(
    conn: &mut MysqlConnection,
    id: i32,
) -> QueryResult<Option<(String, String, String)>> {
    departments::table
        .find(id)
        .select((
            departments::code,
            departments::name_ko,
            departments::name_en,
        ))
        .first(conn)
        .optional()
}

pub fn add_hold(
    conn: &mut MysqlConnection,
    student_id: i32,
    reason: &str,
    by: i32,
) -> QueryResult<()> {
    diesel::insert_into(holds::table)
        .values((
            holds::student_id.eq(student_id),
            holds::reason.eq(reason),
            holds::created_by.eq(by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether hold `hold_id` is the student's.
pub fn has_hold(conn: &mut MysqlConnection, student_id: i32, hold_id: i32) -> QueryResult<bool> {
    holds::table
        .filter(holds::id.eq(hold_id))
        .filter(holds::student_id.eq(student_id))
        .select(holds::id)
        .first::<i32>(conn)
        .optional()
        .map(|found| found.is_some())
}

/// Releases the hold `at`, by `by`, unless it was released already; whether this released it.
pub fn release_hold(
    conn: &mut MysqlConnection,
    hold_id: i32,
    by: i32,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        holds::table
            .filter(holds::id.eq(hold_id))
            .filter(holds::released_at.is_null()),
    )
    .set((
        holds::released_at.eq(Some(at)),
        holds::released_by.eq(Some(by)),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Sets the student's own credit limit; none: the term's limit applies.
pub fn set_credit_limit(conn: &mut MysqlConnection, id: i32, limit: Option<i8>) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::max_credits.eq(limit))
        .execute(conn)?;
    Ok(())
}
