//! Diesel queries of registration: the snapshot the rules read, the row locks, and the writes.
//! Every function takes the caller's connection, so it runs inside the caller's transaction.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::models::User;
use crate::catalog::{Term, Window};
use crate::db::schema::{
    activity_log, completed_courses, course_prerequisites, courses, enrollments, holds, meetings,
    priority_group_members, sections, users, waitlist_entries,
};
use crate::domain::Meeting;
use crate::registration::rules::{Held, SectionLabel, StudentFacts, Target};

use crate::catalog::queries::group_ids;

/// Locks the student's row: every write of one student's registrations takes this lock first,
/// so a student's own concurrent requests run one after another.
pub fn lock_student(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<User> {
    users::table
        .find(student_id)
        .select(User::as_select())
        .for_update()
        .first(conn)
}

/// The student's row and the reasons of their active holds (oldest first), in one statement:
/// the hot path's first read. With `lock`, the row is locked as `lock_student` does.
pub fn student_with_holds(
    conn: &mut MysqlConnection,
    student_id: i32,
    lock: bool,
) -> QueryResult<(User, Vec<String>)> {
    let query = users::table
        .left_join(
            holds::table.on(holds::student_id
                .eq(users::id)
                .and(holds::released_at.is_null())),
        )
        .filter(users::id.eq(student_id))
        .order((holds::created_at, holds::id))
        .select((User::as_select(), holds::reason.nullable()));
    let rows: Vec<(User, Option<String>)> = if lock {
        query.for_update().load(conn)?
    } else {
        query.load(conn)?
    };
    let mut rows = rows.into_iter();
    let (user, first) = rows.next().ok_or(diesel::result::Error::NotFound)?;
    let holds = first
        .into_iter()
        .chain(rows.filter_map(|(_, r)| r))
        .collect();
    Ok((user, holds))
}

pub fn student_facts(
    conn: &mut MysqlConnection,
    user: &User,
    term: &Term,
) -> QueryResult<StudentFacts> {
    let holds = active_holds(conn, user.id)?;
    Ok(StudentFacts {
        id: user.id,
        status: user.status.clone(),
        department_id: user.department_id,
        class_year: user.class_year,
        credit_limit: i32::from(user.max_credits.unwrap_or(term.max_credits)),
        holds,
        number: user.login_id.clone(),
        // Read by the caller when a window of the term names a group (`with_groups`).
        groups: Vec::new(),
    })
}

/// Fills in the student's priority groups when a window of `windows` names a group: the one
/// read that rule 1 needs beyond the student's row, and only then.
pub fn with_groups(
    conn: &mut MysqlConnection,
    mut facts: StudentFacts,
    windows: &[Window],
) -> QueryResult<StudentFacts> {
    if Window::any_group(windows) {
        facts.groups = group_ids(conn, facts.id)?;
    }
    Ok(facts)
}

/// The priority groups of several students in one statement, by student.
pub fn group_ids_of(
    conn: &mut MysqlConnection,
    student_ids: &[i32],
) -> QueryResult<HashMap<i32, Vec<i32>>> {
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    for (student, group) in priority_group_members::table
        .filter(priority_group_members::student_id.eq_any(student_ids))
        .order((
            priority_group_members::student_id,
            priority_group_members::group_id,
        ))
        .select((
            priority_group_members::student_id,
            priority_group_members::group_id,
        ))
        .load::<(i32, i32)>(conn)?
    {
        out.entry(student).or_default().push(group);
    }
    Ok(out)
}

/// Reasons of the student's active holds, oldest first.
pub fn active_holds(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<Vec<String>> {
    holds::table
        .filter(holds::student_id.eq(student_id))
        .filter(holds::released_at.is_null())
        .order((holds::created_at, holds::id))
        .select(holds::reason)
        .load(conn)
}

/// Ids of the student's enrolled sections in the term, in the order they were taken: the
/// timetable's query, which sits below registration.
pub use crate::timetable::enrolled_section_ids as held_ids;

/// Meetings of the student's enrolled sections in the term, by section. A join rather than
/// `IN (...)`: a fixed statement shape stays in the prepared-statement cache.
fn held_meetings(
    conn: &mut MysqlConnection,
    student_id: i32,
    term_id: i32,
) -> QueryResult<HashMap<i32, Vec<Meeting>>> {
    let rows: Vec<(i32, i8, i16, i16)> = meetings::table
        .inner_join(enrollments::table.on(enrollments::section_id.eq(meetings::section_id)))
        .filter(enrollments::student_id.eq(student_id))
        .filter(enrollments::term_id.eq(term_id))
        .select((
            meetings::section_id,
            meetings::weekday,
            meetings::starts_at_min,
            meetings::ends_at_min,
        ))
        .load(conn)?;
    Ok(group_meetings(rows))
}

fn group_meetings(rows: Vec<(i32, i8, i16, i16)>) -> HashMap<i32, Vec<Meeting>> {
    let mut out: HashMap<i32, Vec<Meeting>> = HashMap::new();
    for (sid, weekday, starts, ends) in rows {
        out.entry(sid)
            .or_default()
            .push(Meeting::stored(weekday, starts, ends));
    }
    out
}

/// The student's enrollments in the term, with credits and meetings.
pub fn held_sections(
    conn: &mut MysqlConnection,
    student_id: i32,
    term_id: i32,
    with_meetings: bool,
) -> QueryResult<Vec<Held>> {
    let rows: Vec<(i32, i32, i8, String, i16, String, String)> = enrollments::table
        .inner_join(sections::table)
        .inner_join(courses::table)
        .filter(enrollments::student_id.eq(student_id))
        .filter(enrollments::term_id.eq(term_id))
        .order(enrollments::created_at)
        .select((
            sections::id,
            courses::id,
            courses::credits,
            courses::code,
            sections::section_no,
            courses::title_ko,
            courses::title_en,
        ))
        .load(conn)?;
    let mut meetings = if with_meetings && !rows.is_empty() {
        held_meetings(conn, student_id, term_id)?
    } else {
        HashMap::new()
    };
    Ok(rows
        .into_iter()
        .map(
            |(section_id, course_id, credits, code, no, title_ko, title_en)| Held {
                section_id,
                course_id,
                credits: i32::from(credits),
                label: SectionLabel {
                    course_code: code,
                    section_no: no,
                    title_ko,
                    title_en,
                },
                meetings: meetings.remove(&section_id).unwrap_or_default(),
            },
        )
        .collect())
}

pub fn completed_course_ids(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<Vec<i32>> {
    completed_courses::table
        .filter(completed_courses::student_id.eq(student_id))
        .select(completed_courses::course_id)
        .load(conn)
}

type SectionRow = (
    i32,
    i32,
    i32,
    i16,
    i32,
    i32,
    i32,
    i32,
    Option<i32>,
    i8,
    String,
    i8,
    String,
    String,
    String,
);

/// The section (of `term_id`) as the rules see it; `None` when it does not exist in that term.
pub fn target(
    conn: &mut MysqlConnection,
    section_id: i32,
    term_id: i32,
) -> QueryResult<Option<Target>> {
    let row: Option<SectionRow> = sections::table
        .inner_join(courses::table)
        .filter(sections::id.eq(section_id))
        .filter(sections::term_id.eq(term_id))
        .select((
            sections::id,
            sections::term_id,
            sections::course_id,
            sections::section_no,
            sections::capacity,
            sections::enrolled,
            sections::waitlist_capacity,
            sections::held_seats,
            sections::restrict_department_id,
            sections::restrict_class_years,
            sections::status,
            courses::credits,
            courses::code,
            courses::title_ko,
            courses::title_en,
        ))
        .first(conn)
        .optional()?;
    let Some((
        id,
        _term,
        course_id,
        section_no,
        capacity,
        enrolled,
        waitlist_capacity,
        held_seats,
        restrict_department_id,
        restrict_class_years,
        status,
        credits,
        code,
        title_ko,
        title_en,
    )) = row
    else {
        return Ok(None);
    };
    let prerequisites: Vec<(i32, String)> = course_prerequisites::table
        .inner_join(courses::table.on(courses::id.eq(course_prerequisites::required_course_id)))
        .filter(course_prerequisites::course_id.eq(course_id))
        .order(courses::code)
        .select((courses::id, courses::code))
        .load(conn)?;
    let meetings = meetings::table
        .filter(meetings::section_id.eq(id))
        .order((meetings::weekday, meetings::starts_at_min))
        .select((
            meetings::weekday,
            meetings::starts_at_min,
            meetings::ends_at_min,
        ))
        .load::<(i8, i16, i16)>(conn)?
        .into_iter()
        .map(|(weekday, starts, ends)| Meeting::stored(weekday, starts, ends))
        .collect();
    Ok(Some(Target {
        id,
        course_id,
        credits: i32::from(credits),
        label: SectionLabel {
            course_code: code,
            section_no,
            title_ko,
            title_en,
        },
        meetings,
        prerequisites,
        restrict_department_id,
        restrict_class_years,
        capacity,
        enrolled,
        waitlist_capacity,
        held_seats,
        status,
    }))
}

/// The seat counters of a section, read under its row lock.
#[derive(Debug, Clone, Copy)]
pub struct Seats {
    pub capacity: i32,
    pub enrolled: i32,
    pub waitlist_capacity: i32,
    /// Freed seats held until the next release time: neither enrolled nor free.
    pub held_seats: i32,
}

impl Seats {
    /// Seats anyone may take now.
    pub fn free(&self) -> i32 {
        (self.capacity - self.enrolled - self.held_seats).max(0)
    }
}

/// Locks the section's row (after the student's row, never before) and reads its counters.
pub fn lock_section(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<(Seats, String)> {
    let (capacity, enrolled, waitlist_capacity, held_seats, status) = sections::table
        .find(section_id)
        .select((
            sections::capacity,
            sections::enrolled,
            sections::waitlist_capacity,
            sections::held_seats,
            sections::status,
        ))
        .for_update()
        .first::<(i32, i32, i32, i32, String)>(conn)?;
    Ok((
        Seats {
            capacity,
            enrolled,
            waitlist_capacity,
            held_seats,
        },
        status,
    ))
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = enrollments)]
pub struct NewEnrollment<'a> {
    pub student_id: i32,
    pub section_id: i32,
    pub term_id: i32,
    pub course_id: i32,
    pub source: &'a str,
    pub request_id: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

pub fn insert_enrollment(conn: &mut MysqlConnection, e: &NewEnrollment<'_>) -> QueryResult<()> {
    diesel::insert_into(enrollments::table)
        .values(e)
        .execute(conn)
        .map(|_| ())
}

/// Takes a seat only while one is left (held seats are not); returns whether it did.
pub fn take_seat(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<bool> {
    let n = diesel::update(
        sections::table
            .filter(sections::id.eq(section_id))
            .filter((sections::enrolled + sections::held_seats).lt(sections::capacity)),
    )
    .set(sections::enrolled.eq(sections::enrolled + 1))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn release_seat(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<()> {
    diesel::update(
        sections::table
            .filter(sections::id.eq(section_id))
            .filter(sections::enrolled.gt(0)),
    )
    .set(sections::enrolled.eq(sections::enrolled - 1))
    .execute(conn)
    .map(|_| ())
}

/// Deletes the student's enrollment in the section; returns whether there was one.
pub fn delete_enrollment(
    conn: &mut MysqlConnection,
    student_id: i32,
    section_id: i32,
) -> QueryResult<bool> {
    let n = diesel::delete(
        enrollments::table
            .filter(enrollments::student_id.eq(student_id))
            .filter(enrollments::section_id.eq(section_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

// ---- waitlist ----

/// The waitlist of a section in FIFO order: (entry id, student id).
pub fn waitlist_head(
    conn: &mut MysqlConnection,
    section_id: i32,
) -> QueryResult<Option<(i64, i32)>> {
    waitlist_entries::table
        .filter(waitlist_entries::section_id.eq(section_id))
        .order((waitlist_entries::created_at, waitlist_entries::id))
        .select((waitlist_entries::id, waitlist_entries::student_id))
        .first(conn)
        .optional()
}

pub fn waitlist_len(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<i64> {
    waitlist_entries::table
        .filter(waitlist_entries::section_id.eq(section_id))
        .count()
        .get_result(conn)
}

/// The entry's 1-based place in its section's line, or `None` when not on it.
pub fn waitlist_position(
    conn: &mut MysqlConnection,
    section_id: i32,
    student_id: i32,
) -> QueryResult<Option<i64>> {
    let mine: Option<(i64, NaiveDateTime)> = waitlist_entries::table
        .filter(waitlist_entries::section_id.eq(section_id))
        .filter(waitlist_entries::student_id.eq(student_id))
        .select((waitlist_entries::id, waitlist_entries::created_at))
        .first(conn)
        .optional()?;
    let Some((id, at)) = mine else {
        return Ok(None);
    };
    let ahead: i64 = waitlist_entries::table
        .filter(waitlist_entries::section_id.eq(section_id))
        .filter(
            waitlist_entries::created_at
                .lt(at)
                .or(waitlist_entries::created_at
                    .eq(at)
                    .and(waitlist_entries::id.lt(id))),
        )
        .count()
        .get_result(conn)?;
    Ok(Some(ahead + 1))
}

pub fn insert_waitlist(
    conn: &mut MysqlConnection,
    section_id: i32,
    student_id: i32,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(waitlist_entries::table)
        .values((
            waitlist_entries::section_id.eq(section_id),
            waitlist_entries::student_id.eq(student_id),
            waitlist_entries::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn delete_waitlist(
    conn: &mut MysqlConnection,
    section_id: i32,
    student_id: i32,
) -> QueryResult<bool> {
    let n = diesel::delete(
        waitlist_entries::table
            .filter(waitlist_entries::section_id.eq(section_id))
            .filter(waitlist_entries::student_id.eq(student_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// The student's waitlist entries in the term's sections: (section id, created_at).
pub fn my_waitlist(
    conn: &mut MysqlConnection,
    student_id: i32,
    term_id: i32,
) -> QueryResult<Vec<i32>> {
    waitlist_entries::table
        .inner_join(sections::table)
        .filter(waitlist_entries::student_id.eq(student_id))
        .filter(sections::term_id.eq(term_id))
        .order(waitlist_entries::created_at)
        .select(waitlist_entries::section_id)
        .load(conn)
}

pub fn windows(conn: &mut MysqlConnection, term_id: i32) -> QueryResult<Vec<Window>> {
    crate::catalog::queries::windows_for_term(conn, term_id)
}

// ---- activity ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activity_log, check_for_backend(diesel::mysql::Mysql))]
pub struct ActivityRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub action: String,
    pub section_id: Option<i32>,
    pub outcome: String,
    pub detail: Option<String>,
    pub request_id: String,
}

/// One page of the student's own activity, newest first, and whether an older page exists.
pub fn activity_page(
    conn: &mut MysqlConnection,
    student_id: i32,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<ActivityRow>, bool)> {
    let mut rows: Vec<ActivityRow> = activity_log::table
        .filter(activity_log::student_id.eq(student_id))
        .order((activity_log::at.desc(), activity_log::id.desc()))
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
        .select(ActivityRow::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// Course code and section number of sections, for labels.
pub fn section_labels(
    conn: &mut MysqlConnection,
    ids: &[i32],
) -> QueryResult<HashMap<i32, SectionLabel>> {
    let rows: Vec<(i32, String, i16, String, String)> = sections::table
        .inner_join(courses::table)
        .filter(sections::id.eq_any(ids))
        .select((
            sections::id,
            courses::code,
            sections::section_no,
            courses::title_ko,
            courses::title_en,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, course_code, section_no, title_ko, title_en)| {
            (
                id,
                SectionLabel {
                    course_code,
                    section_no,
                    title_ko,
                    title_en,
                },
            )
        })
        .collect())
}

/// (course code, section number, id) of the term's sections of these courses.
pub fn sections_of_courses(
    conn: &mut MysqlConnection,
    term_id: i32,
    course_codes: &[&str],
) -> QueryResult<Vec<(String, i16, i32)>> {
    sections::table
        .inner_join(courses::table)
        .filter(sections::term_id.eq(term_id))
        .filter(courses::code.eq_any(course_codes))
        .select((courses::code, sections::section_no, sections::id))
        .load(conn)
}
