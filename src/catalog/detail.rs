//! The live part of a section page: demand (basket count), waitlist length and the viewer's own
//! standing (enrolled, in basket, on the waitlist, eligibility, open windows). Always read from
//! MySQL: these are small indexed counts and must not lag.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::models;
use crate::catalog::actions::Viewer;
use crate::catalog::queries;
use crate::catalog::snapshot::SectionItem;
use crate::catalog::WindowState;
use crate::db::schema::{
    basket_items, completed_courses, courses, enrollments, sections, waitlist_entries,
};

#[derive(Debug, Clone, Serialize)]
pub struct Demand {
    pub basket_count: i64,
    pub waitlist_length: i64,
}

pub fn demand(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Demand> {
    let basket_count = basket_items::table
        .filter(basket_items::section_id.eq(section_id))
        .count()
        .get_result(conn)?;
    let waitlist_length = waitlist_entries::table
        .filter(waitlist_entries::section_id.eq(section_id))
        .count()
        .get_result(conn)?;
    Ok(Demand {
        basket_count,
        waitlist_length,
    })
}

/// What the page says about the viewer, beyond `Viewer` (which drives the actions).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ViewerFacts {
    /// Course ids of prerequisites the student has completed.
    pub completed_prerequisites: Vec<i32>,
    /// When the student's next registration window opens, if none is open now.
    pub registration_opens_at: Option<DateTime<Utc>>,
}

pub fn viewer(
    conn: &mut MysqlConnection,
    user_id: i32,
    section: &SectionItem,
    term_id: i32,
    now: DateTime<Utc>,
) -> QueryResult<(Viewer, ViewerFacts)> {
    let user = models::find(conn, user_id)?;
    if user.role != "student" {
        return Ok((Viewer::default(), ViewerFacts::default()));
    }
    let mine: Vec<(i32, i32, String, i16)> = enrollments::table
        .inner_join(sections::table)
        .inner_join(courses::table)
        .filter(enrollments::student_id.eq(user_id))
        .filter(enrollments::term_id.eq(term_id))
        .filter(enrollments::course_id.eq(section.course_id))
        .select((
            enrollments::section_id,
            enrollments::course_id,
            courses::code,
            sections::section_no,
        ))
        .load(conn)?;
    let enrolled_here = mine.iter().any(|e| e.0 == section.id);
    let enrolled_other_section = mine
        .iter()
        .find(|e| e.0 != section.id)
        .map(|(_, _, code, no)| format!("{code}-{no:02}"));
    let in_basket = basket_items::table
        .filter(basket_items::student_id.eq(user_id))
        .filter(basket_items::section_id.eq(section.id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    let my_entry: Option<(chrono::NaiveDateTime, i64)> = waitlist_entries::table
        .filter(waitlist_entries::section_id.eq(section.id))
        .filter(waitlist_entries::student_id.eq(user_id))
        .select((waitlist_entries::created_at, waitlist_entries::id))
        .first(conn)
        .optional()?;
    let waitlist_position = match my_entry {
        Some((at, id)) => {
            let ahead: i64 = waitlist_entries::table
                .filter(waitlist_entries::section_id.eq(section.id))
                .filter(
                    waitlist_entries::created_at
                        .lt(at)
                        .or(waitlist_entries::created_at
                            .eq(at)
                            .and(waitlist_entries::id.lt(id))),
                )
                .count()
                .get_result(conn)?;
            Some(ahead as u64 + 1)
        }
        None => None,
    };
    let completed_prerequisites = if section.prerequisites.is_empty() {
        Vec::new()
    } else {
        let ids: Vec<i32> = section.prerequisites.iter().map(|c| c.id).collect();
        completed_courses::table
            .filter(completed_courses::student_id.eq(user_id))
            .filter(completed_courses::course_id.eq_any(ids))
            .select(completed_courses::course_id)
            .load(conn)?
    };
    let restricted = section
        .restrict_department
        .as_ref()
        .is_some_and(|d| user.department_id != Some(d.id))
        || user
            .class_year
            .and_then(|y| u8::try_from(y).ok())
            .is_some_and(|y| !section.admits_year(y));

    let watching = crate::db::schema::section_watches::table
        .filter(crate::db::schema::section_watches::student_id.eq(user_id))
        .filter(crate::db::schema::section_watches::section_id.eq(section.id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    let windows = queries::windows_for_term(conn, term_id)?;
    let groups = if crate::catalog::Window::any_group(&windows) {
        crate::catalog::queries::group_ids(conn, user.id)?
    } else {
        Vec::new()
    };
    // As the rules see the student: no class year matches `all` windows only.
    let who = crate::catalog::Applicant {
        class_year: Some(user.class_year.unwrap_or(0)),
        number: &user.login_id,
        groups: &groups,
    };
    let mine: Vec<_> = windows.iter().filter(|w| w.applies_to(&who)).collect();
    let open = |phase: &str| {
        mine.iter()
            .any(|w| w.phase == phase && w.state(now) == WindowState::Open)
    };
    let basket_open = open("basket");
    let registration_open = open("register") || open("add_drop");
    let registration_opens_at = if registration_open {
        None
    } else {
        mine.iter()
            .filter(|w| w.phase != "basket" && w.state(now) == WindowState::Upcoming)
            .map(|w| w.opens())
            .min()
    };
    Ok((
        Viewer {
            is_student: true,
            enrolled_here,
            enrolled_other_section,
            in_basket,
            waitlist_position,
            restricted,
            basket_open,
            registration_open,
            watching,
        },
        ViewerFacts {
            completed_prerequisites,
            registration_opens_at,
        },
    ))
}
