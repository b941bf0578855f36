//! Priority groups: the list with member and window counts, one group's row (locked for every
//! write of it), its members, and their changes.

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::Pairs;
use crate::admin::groups::{Member, PriorityGroup};
use crate::db::schema::{priority_group_members, priority_groups, registration_windows, users};

/// Every group, by code.
pub fn all(conn: &mut MysqlConnection) -> QueryResult<Vec<PriorityGroup>> {
    priority_groups::table
        .order(priority_groups::code)
        .select(PriorityGroup::as_select())
        .load(conn)
}

pub fn find(conn: &mut MysqlConnection, id: i32) -> QueryResult<PriorityGroup> {
    priority_groups::table
        .find(id)
        .select(PriorityGroup::as_select())
        .first(conn)
}

/// Locks the group's row: every write of a group and its members takes this lock first.
pub fn lock(conn: &mut MysqlConnection, id: i32) -> QueryResult<PriorityGroup> {
    priority_groups::table
        .find(id)
        .select(PriorityGroup::as_select())
        .for_update()
        .first(conn)
}

/// How many members each group has, by group id.
pub fn member_counts(conn: &mut MysqlConnection) -> QueryResult<HashMap<i32, i64>> {
    priority_group_members::table
        .group_by(priority_group_members::group_id)
        .select((priority_group_members::group_id, count_star()))
        .load::<(i32, i64)>(conn)
        .map(|rows| rows.into_iter().collect())
}

/// How many registration windows name each group, by group id.
pub fn window_counts(conn: &mut MysqlConnection) -> QueryResult<HashMap<i32, i64>> {
    registration_windows::table
        .filter(registration_windows::group_id.is_not_null())
        .group_by(registration_windows::group_id)
        .select((registration_windows::group_id, count_star()))
        .load::<(Option<i32>, i64)>(conn)
        .map(|rows| {
            rows.into_iter()
                .filter_map(|(g, n)| Some((g?, n)))
                .collect()
        })
}

/// How many registration windows name the group.
pub fn windows_naming(conn: &mut MysqlConnection, id: i32) -> QueryResult<i64> {
    registration_windows::table
        .filter(registration_windows::group_id.eq(id))
        .count()
        .get_result(conn)
}

/// Deletes the group with its members; returns how many members it had.
pub fn delete(conn: &mut MysqlConnection, id: i32) -> QueryResult<usize> {
    let members = diesel::delete(
        priority_group_members::table.filter(priority_group_members::group_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(priority_groups::table.find(id)).execute(conn)?;
    Ok(members)
}

/// The group's members, by student number.
pub fn members(conn: &mut MysqlConnection, group_id: i32) -> QueryResult<Vec<Member>> {
    let rows: Vec<(i32, String, String, Option<i8>)> = priority_group_members::table
        .inner_join(users::table)
        .filter(priority_group_members::group_id.eq(group_id))
        .order(users::login_id)
        .select((users::id, users::login_id, users::name, users::class_year))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(student_id, login_id, name, class_year)| Member {
            student_id,
            login_id,
            name,
            class_year,
        })
        .collect())
}

/// The student with that student number: id and login id.
pub fn student_by_number(
    conn: &mut MysqlConnection,
    number: &str,
) -> QueryResult<Option<(i32, String)>> {
    users::table
        .filter(users::login_id.eq(number))
        .filter(users::role.eq("student"))
        .select((users::id, users::login_id))
        .first(conn)
        .optional()
}

pub fn login_id_of(conn: &mut MysqlConnection, user_id: i32) -> QueryResult<String> {
    users::table
        .find(user_id)
        .select(users::login_id)
        .first(conn)
}

pub fn is_member(conn: &mut MysqlConnection, id: i32, student_id: i32) -> QueryResult<bool> {
    let n: i64 = priority_group_members::table
        .filter(priority_group_members::group_id.eq(id))
        .filter(priority_group_members::student_id.eq(student_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A group's members: group, then student.
type Members = Pairs<priority_group_members::group_id, priority_group_members::student_id>;

pub fn add_member(conn: &mut MysqlConnection, id: i32, student_id: i32) -> QueryResult<()> {
    Members::insert(conn, id, student_id)
}

/// Takes the student out of the group; whether they were in it.
pub fn remove_member(conn: &mut MysqlConnection, id: i32, student_id: i32) -> QueryResult<bool> {
    Members::delete(conn, id, student_id)
}
