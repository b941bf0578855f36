//! The student's week: the timetable grid (pure layout and conflict logic in `grid`), its page
//! and JSON, and the `.ics` calendar export (`ics`).

pub mod grid;
pub mod ics;
pub mod routes;
pub mod view;

use std::collections::HashMap;

use actix_web::web;
use diesel::prelude::*;

use crate::catalog::snapshot::{SectionItem, Snapshot};
use crate::db::schema::enrollments;
use grid::{Slot, TimetableSection};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/timetable", web::get().to(routes::page))
        .route("/timetable.ics", web::get().to(routes::calendar))
        .route("/api/v1/timetable", web::get().to(routes::api));
}

/// Sections the student is enrolled in for the term, in the order they were taken
/// (registration reads them as `queries::held_ids`).
pub fn enrolled_section_ids(
    conn: &mut MysqlConnection,
    student_id: i32,
    term_id: i32,
) -> QueryResult<Vec<i32>> {
    enrollments::table
        .filter(enrollments::student_id.eq(student_id))
        .filter(enrollments::term_id.eq(term_id))
        .order(enrollments::created_at)
        .select(enrollments::section_id)
        .load(conn)
}

pub fn timetable_section(s: &SectionItem) -> TimetableSection {
    TimetableSection {
        section_id: s.id,
        course_code: s.course_code.clone(),
        section_no: s.section_no,
        title_ko: s.title_ko.clone(),
        title_en: s.title_en.clone(),
        credits: s.credits,
        instructor: s.instructor.clone(),
        meetings: s
            .meetings
            .iter()
            .map(|m| Slot {
                meeting_id: m.id,
                weekday: m.weekday,
                start: m.starts_at_min,
                end: m.ends_at_min,
                room: m.room.clone(),
            })
            .collect(),
    }
}

/// The snapshot's sections for `ids`, in course-code order, each once.
pub fn sections_of(snapshot: &Snapshot, ids: &[i32]) -> Vec<TimetableSection> {
    let mut seen = HashMap::new();
    let mut out: Vec<TimetableSection> = ids
        .iter()
        .filter_map(|id| snapshot.section(*id))
        .filter(|s| seen.insert(s.id, ()).is_none())
        .map(timetable_section)
        .collect();
    out.sort_by(|a, b| {
        (a.course_code.as_str(), a.section_no).cmp(&(b.course_code.as_str(), b.section_no))
    });
    out
}
