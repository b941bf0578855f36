//! Courses: the searched list, one course, its creation and changes, and the prerequisite
//! graph.

use diesel::prelude::*;

use super::Pairs;
use crate::admin::courses::Course;
use crate::db::schema::{course_prerequisites, courses, departments};

/// A course's editable details as the form validated them: what a new course gets besides its
/// code, and what an edit sets.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = courses, check_for_backend(diesel::mysql::Mysql))]
pub struct CourseDetails {
    pub title_ko: String,
    pub title_en: String,
    pub credits: i8,
    pub category: String,
    pub department_id: i32,
    pub description: String,
}

/// Courses whose code or a title matches the LIKE `pattern`, by code, with their department's
/// code; `limit` of them from `offset`.
pub fn list(
    conn: &mut MysqlConnection,
    pattern: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<(Course, String)>> {
    courses::table
        .inner_join(departments::table)
        .filter(super::course_matches(pattern))
        .select((Course::as_select(), departments::code))
        .order(courses::code)
        .offset(offset)
        .limit(limit)
        .load(conn)
}

pub fn find(conn: &mut MysqlConnection, id: i32) -> QueryResult<Course> {
    courses::table
        .find(id)
        .select(Course::as_select())
        .first(conn)
}

/// The courses `id` requires directly, by code.
pub fn prerequisites_of(conn: &mut MysqlConnection, id: i32) -> QueryResult<Vec<Course>> {
    course_prerequisites::table
        .inner_join(courses::table.on(courses::id.eq(course_prerequisites::required_course_id)))
        .filter(course_prerequisites::course_id.eq(id))
        .order(courses::code)
        .select(Course::as_select())
        .load(conn)
}

/// Inserts the course; returns its id.
pub fn insert(conn: &mut MysqlConnection, code: &str, d: &CourseDetails) -> QueryResult<i32> {
    diesel::insert_into(courses::table)
        .values((courses::code.eq(code), d))
        .execute(conn)?;
    Ok(crate::db::last_insert_id(conn)? as i32)
}

/// Locks the course's row; returns its code.
pub fn lock(conn: &mut MysqlConnection, id: i32) -> QueryResult<String> {
    courses::table
        .find(id)
        .select(courses::code)
        .for_update()
        .first(conn)
}

pub fn update(conn: &mut MysqlConnection, id: i32, d: &CourseDetails) -> QueryResult<()> {
    diesel::update(courses::table.find(id))
        .set(d)
        .execute(conn)?;
    Ok(())
}

pub fn code_of(conn: &mut MysqlConnection, id: i32) -> QueryResult<String> {
    courses::table.find(id).select(courses::code).first(conn)
}

/// The codes of the courses `ids` that exist, with their ids.
pub fn codes_of(conn: &mut MysqlConnection, ids: &[i32]) -> QueryResult<Vec<(i32, String)>> {
    courses::table
        .filter(courses::id.eq_any(ids))
        .select((courses::id, courses::code))
        .load(conn)
}

/// Every prerequisite edge (course, required course), locked: the locking scan of the whole
/// graph serializes every prerequisite write.
pub fn lock_prerequisites(conn: &mut MysqlConnection) -> QueryResult<Vec<(i32, i32)>> {
    course_prerequisites::table
        .select((
            course_prerequisites::course_id,
            course_prerequisites::required_course_id,
        ))
        .for_update()
        .load(conn)
}

/// The prerequisite graph's edges: a course, then a course it requires.
type Edges = Pairs<course_prerequisites::course_id, course_prerequisites::required_course_id>;

pub fn add_prerequisite(conn: &mut MysqlConnection, id: i32, required_id: i32) -> QueryResult<()> {
    Edges::insert(conn, id, required_id)
}

/// Removes the edge; whether there was one.
pub fn remove_prerequisite(
    conn: &mut MysqlConnection,
    id: i32,
    required_id: i32,
) -> QueryResult<bool> {
    Edges::delete(conn, id, required_id)
}
