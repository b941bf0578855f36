//! What the registration would answer, before the click: the same ordered rules
//! (`registration::rules`) run read-only, without a transaction or a lock, over plain reads of
//! the student's standing and the catalog snapshot's facts of each section. Pages use it to show
//! the first refusal where the button is, instead of an enabled button that can only fail.
//!
//! A preview is advice, never a decision: the registration itself checks again under its locks,
//! so a preview that is stale by a moment (a seat taken, a hold placed) only changes what the
//! page said, never what happens.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::catalog::snapshot::{SectionItem, Snapshot};
use crate::catalog::Window;
use crate::db::schema::{completed_courses, enrollments, holds, users};
use crate::registration::rules::{
    self, Held, Refusal, SectionLabel, StudentFacts, Target, CHANGE_PHASES,
};

/// One student's standing for the snapshot's term, read once per page.
#[derive(Debug, Clone)]
pub struct Preview {
    facts: StudentFacts,
    windows: Vec<Window>,
    held: Vec<Held>,
    completed: Vec<i32>,
}

/// The section as the rules see it, its counters as the page shows them (`held`: seats held
/// until the next release time, not takeable).
pub fn target_of(item: &SectionItem, enrolled: i32, capacity: i32, held: i32) -> Target {
    let seats = crate::registration::queries::Seats {
        capacity,
        enrolled,
        waitlist_capacity: item.waitlist_capacity,
        held_seats: held,
    };
    crate::registration::service::target_of(item, seats, item.status.clone())
}

/// (status, department, class year, personal credit limit, student number) of a student.
type UserRow = (String, Option<i32>, Option<i8>, Option<i8>, String);

/// Reads the student's standing with plain selects (no lock): the user row, active holds in the
/// order they were placed, the sections held this term (their facts from `catalog`) and the
/// completed courses. `None` when the user is gone.
pub fn load(
    conn: &mut MysqlConnection,
    student_id: i32,
    catalog: &Snapshot,
) -> QueryResult<Option<Preview>> {
    let user: Option<UserRow> = users::table
        .find(student_id)
        .select((
            users::status,
            users::department_id,
            users::class_year,
            users::max_credits,
            users::login_id,
        ))
        .first(conn)
        .optional()?;
    let Some((status, department_id, class_year, max_credits, number)) = user else {
        return Ok(None);
    };
    let hold_reasons: Vec<String> = holds::table
        .filter(holds::student_id.eq(student_id))
        .filter(holds::released_at.is_null())
        .order((holds::created_at, holds::id))
        .select(holds::reason)
        .load(conn)?;
    let term = &catalog.term;
    let ids: Vec<i32> = enrollments::table
        .filter(enrollments::student_id.eq(student_id))
        .filter(enrollments::term_id.eq(term.id))
        .order(enrollments::created_at)
        .select(enrollments::section_id)
        .load(conn)?;
    let held = ids
        .iter()
        .filter_map(|&id| catalog.section(id))
        .map(|s| {
            let t = target_of(s, 0, 0, 0);
            Held {
                section_id: t.id,
                course_id: t.course_id,
                credits: t.credits,
                label: t.label,
                meetings: t.meetings,
            }
        })
        .collect();
    let completed = completed_courses::table
        .filter(completed_courses::student_id.eq(student_id))
        .select(completed_courses::course_id)
        .load(conn)?;
    let windows = crate::catalog::queries::windows_for_term(conn, term.id)?;
    let groups = if Window::any_group(&windows) {
        crate::catalog::queries::group_ids(conn, student_id)?
    } else {
        Vec::new()
    };
    Ok(Some(Preview {
        facts: StudentFacts {
            id: student_id,
            status,
            department_id,
            class_year,
            credit_limit: i32::from(max_credits.unwrap_or(term.max_credits)),
            holds: hold_reasons,
            number,
            groups,
        },
        windows,
        held,
        completed,
    }))
}

impl Preview {
    /// The rules for adding `target`, in their order; the first refusal that applies.
    pub fn check(&self, target: &Target, now: DateTime<Utc>) -> Result<(), Refusal> {
        rules::check(&rules::Snapshot {
            student: &self.facts,
            windows: &self.windows,
            phases: CHANGE_PHASES,
            now,
            enrolled: &self.held,
            completed: &self.completed,
            target,
        })
    }

    /// What stands in the way of joining `target`'s waitlist: the same rules with the section
    /// counted full, so only the reasons before "full" can refuse.
    pub fn check_waitlist(&self, target: &Target, now: DateTime<Utc>) -> Result<(), Refusal> {
        let mut full = target.clone();
        full.enrolled = full.capacity.max(1);
        full.capacity = full.enrolled;
        match self.check(&full, now) {
            Err(Refusal::SectionFull { .. }) | Ok(()) => Ok(()),
            Err(r) => Err(r),
        }
    }

    pub fn is_enrolled(&self, section_id: i32) -> bool {
        self.held.iter().any(|h| h.section_id == section_id)
    }

    /// A held section that meets at the same time as `target` (the clash marker of lists).
    pub fn clash(&self, target: &Target) -> Option<&SectionLabel> {
        self.held
            .iter()
            .filter(|h| h.section_id != target.id)
            .find(|h| {
                h.meetings
                    .iter()
                    .any(|m| target.meetings.iter().any(|t| t.overlaps(m)))
            })
            .map(|h| &h.label)
    }
}

/// What a page shows where the button is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The rules let the student register now.
    Register,
    /// The section is full and its waitlist takes the student.
    Waitlist,
    /// The first refusal, in the page's words.
    Refused { code: &'static str, message: String },
}

impl Preview {
    /// The verdict for `target` at `now`, `frozen` when the registrar has frozen registration
    /// (its message comes first, as the registration answers it first).
    pub fn verdict(
        &self,
        target: &Target,
        now: DateTime<Utc>,
        lang: crate::web::Lang,
        frozen: Option<String>,
    ) -> Verdict {
        if let Some(message) = frozen {
            return Verdict::Refused {
                code: "registration_frozen",
                message,
            };
        }
        match self.check(target, now) {
            Ok(()) => Verdict::Register,
            Err(Refusal::SectionFull { waitlist: true }) => Verdict::Waitlist,
            Err(r) => Verdict::Refused {
                code: r.code(),
                message: r.message(lang),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Meeting;
    use chrono::{Duration, TimeZone};

    fn label(code: &str) -> SectionLabel {
        SectionLabel {
            course_code: code.into(),
            section_no: 1,
            title_ko: "과목".into(),
            title_en: "Course".into(),
        }
    }

    fn target(id: i32, day: u8, start: u16) -> Target {
        Target {
            id,
            course_id: id * 10,
            credits: 3,
            label: label("CSE2010"),
            meetings: vec![Meeting {
                day,
                start,
                end: start + 75,
            }],
            prerequisites: vec![],
            restrict_department_id: None,
            restrict_class_years: 0,
            capacity: 40,
            enrolled: 10,
            waitlist_capacity: 5,
            held_seats: 0,
            status: "open".into(),
        }
    }

    fn preview(now: DateTime<Utc>, held: Vec<Held>) -> Preview {
        Preview {
            facts: StudentFacts {
                id: 1,
                status: "enrolled".into(),
                department_id: Some(1),
                class_year: Some(2),
                credit_limit: 18,
                holds: vec![],
                number: "20250001".into(),
                groups: vec![],
            },
            windows: vec![Window {
                id: 1,
                term_id: 1,
                phase: "register".into(),
                cohort: "all".into(),
                opens_at: (now - Duration::hours(1)).naive_utc(),
                closes_at: (now + Duration::hours(1)).naive_utc(),
                group_id: None,
                parity: None,
            }],
            held,
            completed: vec![],
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 10, 1, 0, 0).unwrap()
    }

    fn held(t: &Target) -> Held {
        Held {
            section_id: t.id,
            course_id: t.course_id,
            credits: t.credits,
            label: t.label.clone(),
            meetings: t.meetings.clone(),
        }
    }

    #[test]
    fn a_clash_is_the_verdict_before_the_click() {
        let mine = target(1, 1, 540);
        let p = preview(now(), vec![held(&mine)]);
        let other = target(2, 1, 570);
        match p.verdict(&other, now(), crate::web::Lang::Ko, None) {
            Verdict::Refused { code, .. } => assert_eq!(code, "time_conflict"),
            v => panic!("expected a refusal, got {v:?}"),
        }
        assert!(p.clash(&other).is_some());
        assert_eq!(
            p.verdict(&target(3, 2, 540), now(), crate::web::Lang::Ko, None),
            Verdict::Register
        );
    }

    #[test]
    fn a_full_section_offers_the_waitlist_unless_an_earlier_rule_refuses() {
        let p = preview(now(), vec![]);
        let mut full = target(2, 3, 540);
        full.enrolled = full.capacity;
        assert_eq!(
            p.verdict(&full, now(), crate::web::Lang::Ko, None),
            Verdict::Waitlist
        );
        assert!(p.check_waitlist(&full, now()).is_ok());
        let mut p = p;
        p.facts.holds = vec!["등록금 미납".into()];
        assert!(matches!(
            p.check_waitlist(&full, now()),
            Err(Refusal::Hold { .. })
        ));
    }

    #[test]
    fn a_window_that_has_not_opened_and_a_freeze_refuse_first() {
        let p = preview(now() + Duration::hours(3), vec![]);
        let t = target(2, 3, 540);
        assert!(matches!(
            p.verdict(&t, now(), crate::web::Lang::En, None),
            Verdict::Refused {
                code: "window_closed",
                ..
            }
        ));
        let p = preview(now(), vec![]);
        assert!(matches!(
            p.verdict(&t, now(), crate::web::Lang::En, Some("frozen".into())),
            Verdict::Refused {
                code: "registration_frozen",
                ..
            }
        ));
    }
}
