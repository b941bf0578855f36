//! Sections: the list, one section with its meetings, roster, waitlist and baskets, its
//! creation and changes, capacity and cancellation; and what the student page reads (holds,
//! basket).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::{Like, Or};
use diesel::prelude::*;

use crate::admin::courses::Course;
use crate::db::schema::{
    basket_items, courses, enrollments, holds, meetings, sections, users, waitlist_entries,
};

/// `q` as a LIKE pattern that finds it anywhere, its wildcards taken literally.
pub fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub type CourseMatches = Or<
    Or<Like<courses::code, String>, Like<courses::title_ko, String>>,
    Like<courses::title_en, String>,
>;

/// Courses whose code or either title matches the LIKE pattern.
pub fn course_matches(pattern: &str) -> CourseMatches {
    courses::code
        .like(pattern.to_string())
        .or(courses::title_ko.like(pattern.to_string()))
        .or(courses::title_en.like(pattern.to_string()))
}

/// A meeting to insert: weekday (1 = Monday) and minutes of the day, start before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMeeting {
    pub weekday: i8,
    pub starts: i16,
    pub ends: i16,
}

/// A section as the console shows and edits it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sections, check_for_backend(diesel::mysql::Mysql))]
pub struct Section {
    pub id: i32,
    pub section_no: i16,
    pub instructor: String,
    pub capacity: i32,
    pub enrolled: i32,
    pub waitlist_capacity: i32,
    pub restrict_department_id: Option<i32>,
    pub restrict_class_years: i8,
    pub status: String,
    pub cancel_reason: Option<String>,
    /// Freed seats held until `held_until`, the term's next seat-release time.
    pub held_seats: i32,
    pub held_until: Option<NaiveDateTime>,
}

/// A section to insert (the console's form and the CSV import alike).
#[derive(Debug, Insertable)]
#[diesel(table_name = sections, check_for_backend(diesel::mysql::Mysql))]
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

/// The editable details of a section; no department restriction is stored as NULL.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = sections, treat_none_as_null = true)]
pub struct SectionChanges<'a> {
    pub instructor: &'a str,
    pub waitlist_capacity: i32,
    pub restrict_department_id: Option<i32>,
    pub restrict_class_years: i8,
}

/// What the section list is narrowed to: a LIKE pattern over the course's code and titles and
/// the instructor, a department of the course, a status; by default every section.
#[derive(Default)]
pub struct SectionFilter {
    pub pattern: Option<String>,
    pub department: Option<i32>,
    pub status: Option<String>,
}

/// The term's sections with their courses, by course code and number, `limit` of them from
/// `offset`.
pub fn term_sections(
    conn: &mut MysqlConnection,
    term_id: i32,
    filter: &SectionFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<(Section, Course)>> {
    let mut query = sections::table
        .inner_join(courses::table)
        .filter(sections::term_id.eq(term_id))
        .select((Section::as_select(), Course::as_select()))
        .order((courses::code, sections::section_no))
        .offset(offset)
        .limit(limit)
        .into_boxed();
    if let Some(p) = &filter.pattern {
        query = query.filter(course_matches(p).or(sections::instructor.like(p.clone())));
    }
    if let Some(d) = filter.department {
        query = query.filter(courses::department_id.eq(d));
    }
    if let Some(st) = &filter.status {
        query = query.filter(sections::status.eq(st.clone()));
    }
    query.load(conn)
}

/// The section and its course.
pub fn section_with_course(conn: &mut MysqlConnection, id: i32) -> QueryResult<(Section, Course)> {
    sections::table
        .inner_join(courses::table)
        .filter(sections::id.eq(id))
        .select((Section::as_select(), Course::as_select()))
        .first(conn)
}

/// The section's meetings by weekday and start: weekday, start, end (minutes of the day), room.
pub fn meetings_of(
    conn: &mut MysqlConnection,
    section_id: i32,
) -> QueryResult<Vec<(i8, i16, i16, String)>> {
    meetings::table
        .filter(meetings::section_id.eq(section_id))
        .order((meetings::weekday, meetings::starts_at_min))
        .select((
            meetings::weekday,
            meetings::starts_at_min,
            meetings::ends_at_min,
            meetings::room,
        ))
        .load(conn)
}

/// A student on a section's roster or waitlist: id, login id, name, how they came (the
/// enrollment's source, the waiting student's status) and since when.
pub type Listed = (i32, String, String, String, NaiveDateTime);

/// The students of a per-section table (`enrollments`, `waitlist_entries`) in the order they
/// came, with `how` they are there.
macro_rules! listed_students {
    ($table:ident, $how:expr, $conn:expr, $section_id:expr) => {
        $table::table
            .inner_join(users::table)
            .filter($table::section_id.eq($section_id))
            .order(($table::created_at, $table::id))
            .select((
                users::id,
                users::login_id,
                users::name,
                $how,
                $table::created_at,
            ))
            .load($conn)
    };
}

/// The section's enrolled students, in the order they enrolled, with each enrollment's source.
pub fn roster(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Vec<Listed>> {
    listed_students!(enrollments, enrollments::source, conn, section_id)
}

/// The section's waitlist, first come first, with each student's status.
pub fn waiting(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Vec<Listed>> {
    listed_students!(waitlist_entries, users::status, conn, section_id)
}

/// How many baskets hold the section.
pub fn basket_count(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<i64> {
    basket_items::table
        .filter(basket_items::section_id.eq(section_id))
        .count()
        .get_result(conn)
}

/// The section `code`-`no` of the current term, when there is one.
pub fn current_section_id(
    conn: &mut MysqlConnection,
    code: &str,
    no: i16,
) -> QueryResult<Option<i32>> {
    let Some(term) = crate::catalog::queries::current_term(conn)? else {
        return Ok(None);
    };
    sections::table
        .inner_join(courses::table)
        .filter(sections::term_id.eq(term.id))
        .filter(courses::code.eq(code))
        .filter(sections::section_no.eq(no))
        .select(sections::id)
        .first(conn)
        .optional()
}

/// A hold as the student's console page lists it, with who placed it.
#[derive(Debug, Queryable)]
pub struct Hold {
    pub id: i32,
    pub reason: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub released_at: Option<NaiveDateTime>,
}

/// The student's holds, active first, newest first.
pub fn holds_of(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<Vec<Hold>> {
    let creator = diesel::alias!(users as creator);
    holds::table
        .inner_join(creator.on(creator.field(users::id).eq(holds::created_by)))
        .filter(holds::student_id.eq(student_id))
        .order((holds::released_at.is_not_null(), holds::created_at.desc()))
        .select((
            holds::id,
            holds::reason,
            creator.field(users::login_id),
            holds::created_at,
            holds::released_at,
        ))
        .load(conn)
}

/// A section in a basket: section id, course code, section number, Korean and English titles.
pub type InBasket = (i32, String, i16, String, String);

/// The sections in the student's basket for the term, in the order they went in.
pub fn basket_of(
    conn: &mut MysqlConnection,
    student_id: i32,
    term_id: i32,
) -> QueryResult<Vec<InBasket>> {
    basket_items::table
        .inner_join(sections::table.inner_join(courses::table))
        .filter(basket_items::student_id.eq(student_id))
        .filter(sections::term_id.eq(term_id))
        .order(basket_items::created_at)
        .select((
            sections::id,
            courses::code,
            sections::section_no,
            courses::title_ko,
            courses::title_en,
        ))
        .load(conn)
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
        .values(s)
        .execute(conn)?;
    Ok(crate::db::last_insert_id(conn)? as i32)
}

pub fn update_section(conn: &mut MysqlConnection, id: i32, c: &SectionChanges) -> QueryResult<()> {
    diesel::update(sections::table.find(id))
        .set(c)
        .execute(conn)?;
    Ok(())
}

/// Sets the section's meetings to `list` (a new section's first ones too: nothing to remove).
pub fn replace_meetings(
    conn: &mut MysqlConnection,
    section_id: i32,
    list: &[(NewMeeting, String)],
) -> QueryResult<()> {
    diesel::delete(meetings::table.filter(meetings::section_id.eq(section_id))).execute(conn)?;
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

/// Deletes the section's rows of a per-student table (`waitlist_entries`, `basket_items`) and
/// returns whose they were.
macro_rules! take_students {
    ($table:ident, $conn:expr, $section_id:expr) => {{
        let of_section = $table::table.filter($table::section_id.eq($section_id));
        let students = of_section.select($table::student_id).load($conn)?;
        diesel::delete(of_section).execute($conn)?;
        Ok(students)
    }};
}

/// How many rows of a per-student table (`basket_items`, `waitlist_entries`) each section of
/// the term has, by section id.
macro_rules! count_per_section {
    ($table:ident, $conn:expr, $term_id:expr) => {
        $table::table
            .inner_join(sections::table)
            .filter(sections::term_id.eq($term_id))
            .group_by($table::section_id)
            .select(($table::section_id, diesel::dsl::count_star()))
            .load::<(i32, i64)>($conn)
            .map(|rows| rows.into_iter().collect())
    };
}

/// Empties the section's waitlist; returns who was waiting.
pub fn clear_waitlist(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Vec<i32>> {
    take_students!(waitlist_entries, conn, section_id)
}

/// Takes the section out of every basket; returns whose baskets held it.
pub fn clear_baskets(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Vec<i32>> {
    take_students!(basket_items, conn, section_id)
}

/// How many baskets hold each section of the term.
pub fn basket_counts(conn: &mut MysqlConnection, term_id: i32) -> QueryResult<HashMap<i32, i64>> {
    count_per_section!(basket_items, conn, term_id)
}

/// How many students wait for each section of the term.
pub fn waitlist_counts(conn: &mut MysqlConnection, term_id: i32) -> QueryResult<HashMap<i32, i64>> {
    count_per_section!(waitlist_entries, conn, term_id)
}
