//! Accounts: students and registrar staff.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{departments, users};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::mysql::Mysql))]
pub struct User {
    pub id: i32,
    pub login_id: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub department_id: Option<i32>,
    pub class_year: Option<i8>,
    pub status: String,
    pub max_credits: Option<i8>,
    pub created_at: NaiveDateTime,
    /// Set while the account is disabled: no sign-in, no session.
    pub disabled_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub login_id: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub department_id: Option<i32>,
    pub class_year: Option<i8>,
    pub status: &'a str,
    pub max_credits: Option<i8>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = departments, check_for_backend(diesel::mysql::Mysql))]
pub struct Department {
    pub id: i32,
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
}

pub fn find_by_login_id(conn: &mut MysqlConnection, login_id: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::login_id.eq(login_id))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut MysqlConnection, id: i32) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).first(conn)
}

/// Whether the account is disabled now (a missing account reads as disabled).
pub fn is_disabled(conn: &mut MysqlConnection, id: i32) -> QueryResult<bool> {
    let row: Option<Option<NaiveDateTime>> = users::table
        .find(id)
        .select(users::disabled_at)
        .first(conn)
        .optional()?;
    Ok(row.is_none_or(|d| d.is_some()))
}

pub fn department(conn: &mut MysqlConnection, id: i32) -> QueryResult<Department> {
    departments::table
        .find(id)
        .select(Department::as_select())
        .first(conn)
}

pub fn insert(conn: &mut MysqlConnection, user: &NewUser<'_>) -> QueryResult<i32> {
    conn.transaction(|conn| {
        diesel::insert_into(users::table)
            .values(user)
            .execute(conn)?;
        crate::db::last_insert_id(conn).map(|id| id as i32)
    })
}
