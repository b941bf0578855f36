//! Writes a generated [`Dataset`] in one transaction: multi-row inserts in chunks, then the ids
//! MySQL assigned are read back by natural key (code, login id, section number), since MySQL has
//! no `RETURNING`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel::MysqlConnection;

use super::calendar::CURRENT;
use super::Dataset;
use crate::db::schema::{
    basket_items, completed_courses, course_prerequisites, courses, departments, enrollments,
    holds, meetings, registration_windows, sections, terms, users,
};

/// Rows per INSERT: big enough to be fast, far below MySQL's 65,535 placeholders.
const CHUNK: usize = 1_000;

macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let mut inserted = 0usize;
        for chunk in $rows.chunks(CHUNK) {
            inserted += diesel::insert_into($table).values(chunk).execute($conn)?;
        }
        inserted
    }};
}

#[derive(Insertable)]
#[diesel(table_name = departments)]
struct NewDepartment<'a> {
    code: &'a str,
    name_ko: &'a str,
    name_en: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = terms)]
struct NewTerm<'a> {
    year: i16,
    season: &'a str,
    name_ko: &'a str,
    name_en: &'a str,
    starts_on: chrono::NaiveDate,
    ends_on: chrono::NaiveDate,
    is_current: bool,
    max_credits: i8,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = registration_windows)]
struct NewWindow<'a> {
    term_id: i32,
    phase: &'a str,
    cohort: &'a str,
    opens_at: NaiveDateTime,
    closes_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = courses)]
struct NewCourse<'a> {
    code: &'a str,
    title_ko: &'a str,
    title_en: &'a str,
    credits: i8,
    department_id: i32,
    category: &'a str,
    description: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = course_prerequisites)]
struct NewPrerequisite {
    course_id: i32,
    required_course_id: i32,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_default_value = false)]
struct NewUser<'a> {
    login_id: &'a str,
    name: &'a str,
    password_hash: &'a str,
    role: &'a str,
    department_id: Option<i32>,
    class_year: Option<i8>,
    status: &'a str,
    max_credits: Option<i8>,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = sections)]
#[diesel(treat_none_as_default_value = false)]
struct NewSection<'a> {
    term_id: i32,
    course_id: i32,
    section_no: i16,
    instructor: &'a str,
    capacity: i32,
    enrolled: i32,
    waitlist_capacity: i32,
    restrict_department_id: Option<i32>,
    restrict_class_years: i8,
    status: &'a str,
    cancel_reason: Option<&'a str>,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = meetings)]
struct NewMeeting<'a> {
    section_id: i32,
    weekday: i8,
    starts_at_min: i16,
    ends_at_min: i16,
    room: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = holds)]
#[diesel(treat_none_as_default_value = false)]
struct NewHold<'a> {
    student_id: i32,
    reason: &'a str,
    created_by: i32,
    created_at: NaiveDateTime,
    released_at: Option<NaiveDateTime>,
    released_by: Option<i32>,
}

#[derive(Insertable)]
#[diesel(table_name = completed_courses)]
struct NewCompleted<'a> {
    student_id: i32,
    course_id: i32,
    term_label: &'a str,
    grade: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = enrollments)]
struct NewEnrollment<'a> {
    student_id: i32,
    section_id: i32,
    term_id: i32,
    course_id: i32,
    source: &'a str,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = basket_items)]
struct NewBasketItem {
    student_id: i32,
    section_id: i32,
    created_at: NaiveDateTime,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Looks up the id of every key, in order; a missing key means the insert went wrong.
fn ids_in_order<K: std::hash::Hash + Eq + std::fmt::Debug>(
    table: &str,
    found: Vec<(K, i32)>,
    keys: impl IntoIterator<Item = K>,
) -> anyhow::Result<Vec<i32>> {
    let map: HashMap<K, i32> = found.into_iter().collect();
    keys.into_iter()
        .map(|k| {
            map.get(&k)
                .copied()
                .ok_or_else(|| anyhow::anyhow!("{table}: {k:?} was inserted but not found"))
        })
        .collect()
}

fn small(n: u16) -> i16 {
    i16::try_from(n).unwrap_or(i16::MAX)
}

/// Inserts everything; returns the rows inserted per table, in insertion order.
pub fn insert(
    conn: &mut MysqlConnection,
    data: &Dataset,
    password_hash: &str,
) -> anyhow::Result<Vec<(&'static str, usize)>> {
    let now = data.now;
    let catalog = &data.catalog;
    let people = &data.people;
    let mut counts = Vec::new();

    let rows: Vec<NewDepartment> = catalog
        .departments
        .iter()
        .map(|d| NewDepartment {
            code: d.code,
            name_ko: d.name_ko,
            name_en: d.name_en,
        })
        .collect();
    counts.push(("departments", insert_all!(conn, departments::table, rows)));
    let department_ids = ids_in_order(
        "departments",
        departments::table
            .select((departments::code, departments::id))
            .load::<(String, i32)>(conn)?,
        catalog.departments.iter().map(|d| d.code.to_string()),
    )?;

    let rows: Vec<NewTerm> = data
        .calendar
        .terms
        .iter()
        .map(|t| NewTerm {
            year: t.year,
            season: t.season,
            name_ko: &t.name_ko,
            name_en: &t.name_en,
            starts_on: t.starts_on,
            ends_on: t.ends_on,
            is_current: t.is_current,
            max_credits: t.max_credits,
            created_at: now,
        })
        .collect();
    counts.push(("terms", insert_all!(conn, terms::table, rows)));
    let term_ids = ids_in_order(
        "terms",
        terms::table
            .select(((terms::year, terms::season), terms::id))
            .load::<((i16, String), i32)>(conn)?,
        data.calendar
            .terms
            .iter()
            .map(|t| (t.year, t.season.to_string())),
    )?;
    let current_term = term_ids[CURRENT];

    let rows: Vec<NewWindow> = data
        .calendar
        .windows
        .iter()
        .map(|w| NewWindow {
            term_id: term_ids[w.term],
            phase: w.phase,
            cohort: w.cohort,
            opens_at: w.opens_at,
            closes_at: w.closes_at,
        })
        .collect();
    counts.push((
        "registration_windows",
        insert_all!(conn, registration_windows::table, rows),
    ));

    let rows: Vec<NewCourse> = catalog
        .courses
        .iter()
        .map(|c| NewCourse {
            code: &c.code,
            title_ko: &c.title_ko,
            title_en: &c.title_en,
            credits: c.credits,
            department_id: department_ids[c.department],
            category: c.category,
            description: &c.description,
        })
        .collect();
    counts.push(("courses", insert_all!(conn, courses::table, rows)));
    let course_ids = ids_in_order(
        "courses",
        courses::table
            .select((courses::code, courses::id))
            .load::<(String, i32)>(conn)?,
        catalog.courses.iter().map(|c| c.code.clone()),
    )?;

    let rows: Vec<NewPrerequisite> = catalog
        .prerequisites
        .iter()
        .map(|&(course, required)| NewPrerequisite {
            course_id: course_ids[course],
            required_course_id: course_ids[required],
        })
        .collect();
    counts.push((
        "course_prerequisites",
        insert_all!(conn, course_prerequisites::table, rows),
    ));

    let registrars = people.registrars.iter().map(|r| NewUser {
        login_id: r.login_id,
        name: &r.name,
        password_hash,
        role: "registrar",
        department_id: None,
        class_year: None,
        status: "enrolled",
        max_credits: None,
        created_at: now,
    });
    let students = people.students.iter().map(|s| NewUser {
        login_id: &s.login_id,
        name: &s.name,
        password_hash,
        role: "student",
        department_id: Some(department_ids[s.department]),
        class_year: Some(i8::try_from(s.class_year).unwrap_or(i8::MAX)),
        status: s.status,
        max_credits: s.max_credits,
        created_at: now,
    });
    let rows: Vec<NewUser> = registrars.chain(students).collect();
    counts.push(("users", insert_all!(conn, users::table, rows)));
    let found = users::table
        .select((users::login_id, users::id))
        .load::<(String, i32)>(conn)?;
    let user_ids = ids_in_order(
        "users",
        found,
        people
            .registrars
            .iter()
            .map(|r| r.login_id.to_string())
            .chain(people.students.iter().map(|s| s.login_id.clone())),
    )?;
    let (registrar_ids, student_ids) = user_ids.split_at(people.registrars.len());

    let rows: Vec<NewSection> = catalog
        .sections
        .iter()
        .map(|s| NewSection {
            term_id: current_term,
            course_id: course_ids[s.course],
            section_no: s.section_no,
            instructor: &s.instructor,
            capacity: s.capacity,
            enrolled: 0,
            waitlist_capacity: s.waitlist_capacity,
            restrict_department_id: s.restrict_department.map(|d| department_ids[d]),
            restrict_class_years: i8::try_from(s.restrict_class_years).unwrap_or(0),
            status: if s.cancelled.is_some() {
                "cancelled"
            } else {
                "open"
            },
            cancel_reason: s.cancelled,
            created_at: now,
        })
        .collect();
    counts.push(("sections", insert_all!(conn, sections::table, rows)));
    let section_ids = ids_in_order(
        "sections",
        sections::table
            .filter(sections::term_id.eq(current_term))
            .select(((sections::course_id, sections::section_no), sections::id))
            .load::<((i32, i16), i32)>(conn)?,
        catalog
            .sections
            .iter()
            .map(|s| (course_ids[s.course], s.section_no)),
    )?;

    let rows: Vec<NewMeeting> = catalog
        .sections
        .iter()
        .zip(&section_ids)
        .flat_map(|(s, &section_id)| {
            s.meetings.iter().map(move |m| NewMeeting {
                section_id,
                weekday: i8::try_from(m.weekday).unwrap_or(1),
                starts_at_min: small(m.starts_at_min),
                ends_at_min: small(m.ends_at_min),
                room: &m.room,
            })
        })
        .collect();
    counts.push(("meetings", insert_all!(conn, meetings::table, rows)));

    let rows: Vec<NewHold> = people
        .holds
        .iter()
        .map(|h| NewHold {
            student_id: student_ids[h.student],
            reason: h.reason,
            created_by: registrar_ids[h.created_by],
            created_at: h.created_at,
            released_at: h.released.map(|(at, _)| at),
            released_by: h.released.map(|(_, by)| registrar_ids[by]),
        })
        .collect();
    counts.push(("holds", insert_all!(conn, holds::table, rows)));

    let rows: Vec<NewCompleted> = people
        .completed
        .iter()
        .map(|c| NewCompleted {
            student_id: student_ids[c.student],
            course_id: course_ids[c.course],
            term_label: &c.term_label,
            grade: c.grade,
        })
        .collect();
    counts.push((
        "completed_courses",
        insert_all!(conn, completed_courses::table, rows),
    ));

    let rows: Vec<NewEnrollment> = data
        .timetables
        .enrollments
        .iter()
        .map(|e| NewEnrollment {
            student_id: student_ids[e.student],
            section_id: section_ids[e.section],
            term_id: current_term,
            course_id: course_ids[catalog.sections[e.section].course],
            source: "student",
            created_at: e.created_at,
        })
        .collect();
    counts.push(("enrollments", insert_all!(conn, enrollments::table, rows)));

    let rows: Vec<NewBasketItem> = data
        .timetables
        .basket
        .iter()
        .map(|b| NewBasketItem {
            student_id: student_ids[b.student],
            section_id: section_ids[b.section],
            created_at: b.created_at,
        })
        .collect();
    counts.push(("basket_items", insert_all!(conn, basket_items::table, rows)));

    // The seat counters come from the rows themselves (invariant 1: enrolled == count), then
    // are checked, together with capacity, before anything commits.
    diesel::sql_query(
        "UPDATE sections s SET s.enrolled = \
         (SELECT COUNT(*) FROM enrollments e WHERE e.section_id = s.id) \
         WHERE s.term_id = ?",
    )
    .bind::<Integer, _>(current_term)
    .execute(conn)?;
    let broken = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM sections s WHERE s.term_id = ? AND \
         (s.enrolled <> (SELECT COUNT(*) FROM enrollments e WHERE e.section_id = s.id) \
          OR s.enrolled > s.capacity)",
    )
    .bind::<Integer, _>(current_term)
    .get_result::<Count>(conn)?
    .n;
    anyhow::ensure!(
        broken == 0,
        "{broken} sections would break enrolled == count(enrollments) <= capacity"
    );
    let expected: i64 = data.timetables.enrolled.iter().map(|&n| i64::from(n)).sum();
    anyhow::ensure!(
        expected == i64::try_from(data.timetables.enrollments.len())?,
        "seat counters disagree with the planned enrollments"
    );
    Ok(counts)
}
