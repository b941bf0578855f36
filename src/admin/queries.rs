//! The console's Diesel statements for sections: small `QueryResult` functions over
//! `&mut MysqlConnection` that compose inside the caller's transaction (`forms::run`), as
//! `registration/queries.rs` does for registration. Locks are taken by the callers, in the order
//! docs/REGISTRATION.md gives.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::admin::courses::Course;
use crate::db::schema::{
    basket_items, courses, enrollments, meetings, sections, users, waitlist_entries,
};

/// A meeting to insert: weekday (1 = Monday) and minutes of the day, start before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMeeting {
    pub weekday: i8,
    pub starts: i16,
    pub ends: i16,
}

/// A section to insert into the current term.
pub struct NewSection<'a> {
    pub term_id: i32,
    pub course_id: i32,
    pub section_no: i16,
    pub instructor: &'a str,
    pub capacity: i32,
    pub waitlist_capacity: i32,
    pub restrict_department_id: Option<i32>,
    pub restrict_class_years: i8,
}

/// The editable details of a section.
pub struct SectionDetails<'a> {
    pub instructor: &'a str,
    pub waitlist_capacity: i32,
    pub restrict_department_id: Option<i32>,
    pub restrict_class_years: i8,
}

pub fn course_id_by_code(conn: &mut MysqlConnection, code: &str) -> QueryResult<Option<i32>> {
    courses::table
        .filter(courses::code.eq(code))
        .select(courses::id)
        .first(conn)
        .optional()
}

/// Inserts the section; returns its id.
pub fn insert_section(conn: &mut MysqlConnection, s: &NewSection) -> QueryResult<i32> {
    diesel::insert_into(sections::table)
        .values((
            sections::term_id.eq(s.term_id),
            sections::course_id.eq(s.course_id),
            sections::section_no.eq(s.section_no),
            sections::instructor.eq(s.instructor),
            sections::capacity.eq(s.capacity),
            sections::waitlist_capacity.eq(s.waitlist_capacity),
            sections::restrict_department_id.eq(s.restrict_department_id),
            sections::restrict_class_years.eq(s.restrict_class_years),
        ))
        .execute(conn)?;
    Ok(crate::db::last_insert_id(conn)? as i32)
}

pub fn update_details(conn: &mut MysqlConnection, id: i32, d: &SectionDetails) -> QueryResult<()> {
    diesel::update(sections::table.find(id))
        .set((
            sections::instructor.eq(d.instructor),
            sections::waitlist_capacity.eq(d.waitlist_capacity),
            sections::restrict_department_id.eq(d.restrict_department_id),
            sections::restrict_class_years.eq(d.restrict_class_years),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_meetings(
    conn: &mut MysqlConnection,
    section_id: i32,
    list: &[(NewMeeting, String)],
) -> QueryResult<()> {
    for (m, room) in list {
        diesel::insert_into(meetings::table)
            .values((
                meetings::section_id.eq(section_id),
                meetings::weekday.eq(m.weekday),
                meetings::starts_at_min.eq(m.starts),
                meetings::ends_at_min.eq(m.ends),
                meetings::room.eq(room),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces every meeting of the section with `list`.
pub fn replace_meetings(
    conn: &mut MysqlConnection,
    section_id: i32,
    list: &[(NewMeeting, String)],
) -> QueryResult<()> {
    diesel::delete(meetings::table.filter(meetings::section_id.eq(section_id))).execute(conn)?;
    insert_meetings(conn, section_id, list)
}

pub fn set_capacity(conn: &mut MysqlConnection, id: i32, capacity: i32) -> QueryResult<()> {
    diesel::update(sections::table.find(id))
        .set(sections::capacity.eq(capacity))
        .execute(conn)?;
    Ok(())
}

/// Sets the seats held for the next release time; none held means no release instant either.
pub fn set_held_seats(conn: &mut MysqlConnection, id: i32, held: i32) -> QueryResult<()> {
    diesel::update(sections::table.find(id))
        .set(sections::held_seats.eq(held))
        .execute(conn)?;
    if held == 0 {
        diesel::update(sections::table.find(id))
            .set(sections::held_until.eq(None::<NaiveDateTime>))
            .execute(conn)?;
    }
    Ok(())
}

/// The students enrolled in the section, ascending.
pub fn enrolled_students(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Vec<i32>> {
    enrollments::table
        .filter(enrollments::section_id.eq(section_id))
        .order(enrollments::student_id)
        .select(enrollments::student_id)
        .load(conn)
}

/// Locks the users' rows, ascending (the first step of the lock order).
pub fn lock_users(conn: &mut MysqlConnection, ids: &[i32]) -> QueryResult<()> {
    if !ids.is_empty() {
        users::table
            .filter(users::id.eq_any(ids))
            .order(users::id)
            .select(users::id)
            .for_update()
            .load::<i32>(conn)?;
    }
    Ok(())
}

/// The section's course and number.
pub fn course_and_number(conn: &mut MysqlConnection, id: i32) -> QueryResult<(Course, i16)> {
    sections::table
        .inner_join(courses::table)
        .filter(sections::id.eq(id))
        .select((Course::as_select(), sections::section_no))
        .first(conn)
}

/// 폐강 of a locked section: every enrollment removed, the counter at zero, nothing held, the
/// reason kept; returns the students who were enrolled, ascending.
pub fn cancel_section(conn: &mut MysqlConnection, id: i32, reason: &str) -> QueryResult<Vec<i32>> {
    let dropped = enrolled_students(conn, id)?;
    diesel::delete(enrollments::table.filter(enrollments::section_id.eq(id))).execute(conn)?;
    diesel::update(sections::table.find(id))
        .set((
            sections::status.eq("cancelled"),
            sections::enrolled.eq(0),
            // Nothing is held for a release of a cancelled section.
            sections::held_seats.eq(0),
            sections::held_until.eq(None::<NaiveDateTime>),
            sections::cancel_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
    Ok(dropped)
}

/// Empties the section's waitlist; returns who was waiting.
pub fn clear_waitlist(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Vec<i32>> {
    let waiting = waitlist_entries::table
        .filter(waitlist_entries::section_id.eq(section_id))
        .select(waitlist_entries::student_id)
        .load(conn)?;
    diesel::delete(waitlist_entries::table.filter(waitlist_entries::section_id.eq(section_id)))
        .execute(conn)?;
    Ok(waiting)
}

/// Takes the section out of every basket; returns whose baskets held it.
pub fn clear_baskets(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Vec<i32>> {
    let basket = basket_items::table
        .filter(basket_items::section_id.eq(section_id))
        .select(basket_items::student_id)
        .load(conn)?;
    diesel::delete(basket_items::table.filter(basket_items::section_id.eq(section_id)))
        .execute(conn)?;
    Ok(basket)
}
