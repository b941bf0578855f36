//! What the CSV exports read: a term, a section's roster, a term's enrollments, the priority
//! groups' members.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    courses, departments, enrollments, priority_group_members, priority_groups, sections, terms,
    users,
};

/// The requested term, else the current one: its id and `year-season`.
pub fn term_of(conn: &mut MysqlConnection, requested: Option<i32>) -> QueryResult<(i32, String)> {
    let (id, year, season): (i32, i16, String) = match requested {
        Some(id) => terms::table
            .find(id)
            .select((terms::id, terms::year, terms::season))
            .first(conn)?,
        None => {
            let t = crate::catalog::queries::current_term(conn)?
                .ok_or(diesel::result::Error::NotFound)?;
            (t.id, t.year, t.season)
        }
    };
    Ok((id, format!("{year}-{season}")))
}

/// The section as its roster file is named: `code-no`, the number in two digits.
pub fn section_label(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<String> {
    let (code, no): (String, i16) = sections::table
        .inner_join(courses::table)
        .filter(sections::id.eq(section_id))
        .select((courses::code, sections::section_no))
        .first(conn)?;
    Ok(format!("{code}-{no:02}"))
}

/// A roster line: login id, name, department code, class year, source, enrolled at.
pub type RosterRow = (
    String,
    String,
    Option<String>,
    Option<i8>,
    String,
    NaiveDateTime,
);

/// The section's enrolled students by login id.
pub fn roster(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Vec<RosterRow>> {
    enrollments::table
        .inner_join(users::table.left_join(departments::table))
        .filter(enrollments::section_id.eq(section_id))
        .order(users::login_id)
        .select((
            users::login_id,
            users::name,
            departments::code.nullable(),
            users::class_year,
            enrollments::source,
            enrollments::created_at,
        ))
        .load(conn)
}

/// An enrollment line: login id, name, course code, section number, Korean and English
/// titles, credits, source, enrolled at.
pub type EnrollmentRow = (
    String,
    String,
    String,
    i16,
    String,
    String,
    i8,
    String,
    NaiveDateTime,
);

/// Every enrollment of the term, by course code, section number and login id.
pub fn enrollments(conn: &mut MysqlConnection, term_id: i32) -> QueryResult<Vec<EnrollmentRow>> {
    enrollments::table
        .inner_join(users::table)
        .inner_join(sections::table)
        .inner_join(courses::table)
        .filter(enrollments::term_id.eq(term_id))
        .order((courses::code, sections::section_no, users::login_id))
        .select((
            users::login_id,
            users::name,
            courses::code,
            sections::section_no,
            courses::title_ko,
            courses::title_en,
            courses::credits,
            enrollments::source,
            enrollments::created_at,
        ))
        .load(conn)
}

/// Every priority group's members by group code and login id: login id, group code, name.
pub fn group_members(conn: &mut MysqlConnection) -> QueryResult<Vec<(String, String, String)>> {
    priority_group_members::table
        .inner_join(users::table)
        .inner_join(priority_groups::table)
        .order((priority_groups::code, users::login_id))
        .select((users::login_id, priority_groups::code, users::name))
        .load(conn)
}
