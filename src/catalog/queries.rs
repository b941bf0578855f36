use diesel::prelude::*;

use crate::catalog::models::{Term, Window};
use crate::db::schema::{priority_group_members, registration_windows, terms};

pub fn current_term(conn: &mut MysqlConnection) -> QueryResult<Option<Term>> {
    terms::table
        .filter(terms::is_current.eq(true))
        .order(terms::id.desc())
        .select(Term::as_select())
        .first(conn)
        .optional()
}

pub fn windows_for_term(conn: &mut MysqlConnection, term_id: i32) -> QueryResult<Vec<Window>> {
    registration_windows::table
        .filter(registration_windows::term_id.eq(term_id))
        .order((registration_windows::opens_at, registration_windows::phase))
        .select(Window::as_select())
        .load(conn)
}

/// Ids of the priority groups the student belongs to (the windows they open for them).
pub fn group_ids(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<Vec<i32>> {
    priority_group_members::table
        .filter(priority_group_members::student_id.eq(student_id))
        .order(priority_group_members::group_id)
        .select(priority_group_members::group_id)
        .load(conn)
}
