//! The registration rules of DESIGN.md section 4: a pure function over a snapshot the transaction
//! loaded under its locks. The first reason that applies wins, in the documented order; each
//! reason has a stable code and a message in the catalog (`rule.<code>`).

use chrono::{DateTime, Utc};

use crate::catalog::{Applicant, Window};
use crate::domain::Meeting;
use crate::web::layout::seoul;
use crate::web::Lang;

/// Phases in which students may enroll, drop and swap. A real registrar lets students cancel and
/// change during registration as well as during add/drop, so both count.
pub const CHANGE_PHASES: &[&str] = &["register", "add_drop"];

/// How a section is named in messages: `CSE2010-01 자료구조`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionLabel {
    pub course_code: String,
    pub section_no: i16,
    pub title_ko: String,
    pub title_en: String,
}

impl SectionLabel {
    pub fn show(&self, lang: Lang) -> String {
        let title = match lang {
            Lang::Ko => &self.title_ko,
            Lang::En => &self.title_en,
        };
        format!("{} {}", self.code(), title)
    }

    /// The course code and section number, `CSE2010-01`.
    pub fn code(&self) -> String {
        format!("{}-{:02}", self.course_code, self.section_no)
    }
}

#[derive(Debug, Clone)]
pub struct StudentFacts {
    pub id: i32,
    pub status: String,
    pub department_id: Option<i32>,
    pub class_year: Option<i8>,
    /// `users.max_credits`, else the term's default.
    pub credit_limit: i32,
    pub holds: Vec<String>,
    /// The student number (`users.login_id`): parity windows look at its last digit.
    pub number: String,
    /// Ids of the priority groups the student belongs to. Only read when a window of the term
    /// targets a group (`Window::any_group`); empty otherwise.
    pub groups: Vec<i32>,
}

impl StudentFacts {
    /// The student as windows see them. A student without a class year matches `all` windows
    /// only (never a year's).
    pub fn applicant(&self) -> Applicant<'_> {
        Applicant {
            class_year: Some(self.class_year.unwrap_or(0)),
            number: &self.number,
            groups: &self.groups,
        }
    }
}

/// A section the student is enrolled in this term.
#[derive(Debug, Clone)]
pub struct Held {
    pub section_id: i32,
    pub course_id: i32,
    pub credits: i32,
    pub label: SectionLabel,
    pub meetings: Vec<Meeting>,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub id: i32,
    pub course_id: i32,
    pub credits: i32,
    pub label: SectionLabel,
    pub meetings: Vec<Meeting>,
    /// (course id, course code) of each prerequisite.
    pub prerequisites: Vec<(i32, String)>,
    pub restrict_department_id: Option<i32>,
    /// Bit n-1 set: class year n may enroll; 0: every year.
    pub restrict_class_years: i8,
    pub capacity: i32,
    pub enrolled: i32,
    pub waitlist_capacity: i32,
    /// Freed seats held until the term's next release time: neither enrolled nor free.
    pub held_seats: i32,
    pub status: String,
}

impl Target {
    pub fn seats_left(&self) -> i32 {
        (self.capacity - self.enrolled - self.held_seats).max(0)
    }
}

/// Everything the rules look at.
#[derive(Debug, Clone)]
pub struct Snapshot<'a> {
    pub student: &'a StudentFacts,
    pub windows: &'a [Window],
    pub phases: &'a [&'a str],
    pub now: DateTime<Utc>,
    pub enrolled: &'a [Held],
    pub completed: &'a [i32],
    pub target: &'a Target,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    Status,
    Cancelled,
    Department,
    ClassYear,
}

/// Why an attempt was refused. The first nine are the ordered rules; the rest belong to drop,
/// swap and waitlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    WindowClosed {
        opens_at: Option<DateTime<Utc>>,
    },
    Hold {
        reason: String,
    },
    NotEligible(Ineligible),
    AlreadyEnrolled,
    DuplicateCourse {
        other: SectionLabel,
    },
    TimeConflict {
        other: SectionLabel,
    },
    PrerequisiteMissing {
        courses: Vec<String>,
    },
    CreditLimit {
        current: i32,
        adding: i32,
        limit: i32,
    },
    SectionFull {
        waitlist: bool,
    },
    NotEnrolled,
    AlreadyWaitlisted,
    NotWaitlisted,
    /// The section has seats: enroll instead of waiting.
    WaitlistNotNeeded,
    /// No waitlist, or the waitlist is full.
    WaitlistFull,
    /// The section has seats: nothing to watch for.
    WatchNotNeeded,
    AlreadyWatching,
    /// The student already watches `limit` sections.
    WatchLimit {
        limit: i64,
    },
}

/// What the HTTP edge answers for a refused attempt: 409 with the rule's code and message.
impl crate::web::error::Reason for Refusal {
    fn code(&self) -> &'static str {
        Refusal::code(self)
    }

    fn message(&self, lang: Lang) -> String {
        Refusal::message(self, lang)
    }

    fn status(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::CONFLICT
    }
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::WindowClosed { .. } => "window_closed",
            Refusal::Hold { .. } => "hold",
            Refusal::NotEligible(_) => "not_eligible",
            Refusal::AlreadyEnrolled => "already_enrolled",
            Refusal::DuplicateCourse { .. } => "duplicate_course",
            Refusal::TimeConflict { .. } => "time_conflict",
            Refusal::PrerequisiteMissing { .. } => "prerequisite_missing",
            Refusal::CreditLimit { .. } => "credit_limit",
            Refusal::SectionFull { .. } => "section_full",
            Refusal::NotEnrolled => "not_enrolled",
            Refusal::AlreadyWaitlisted => "already_waitlisted",
            Refusal::NotWaitlisted => "not_waitlisted",
            Refusal::WaitlistNotNeeded => "waitlist_not_needed",
            Refusal::WaitlistFull => "waitlist_full",
            Refusal::WatchNotNeeded => "watch_not_needed",
            Refusal::AlreadyWatching => "already_watching",
            Refusal::WatchLimit { .. } => "watch_limit",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            Refusal::WindowClosed { opens_at: Some(at) } => {
                lang.format("rule.window_closed", &[("opens_at", seoul(at))])
            }
            Refusal::WindowClosed { opens_at: None } => {
                lang.text("rule.window_closed_none").to_string()
            }
            Refusal::Hold { reason } => lang.format("rule.hold", &[("reason", reason.clone())]),
            Refusal::NotEligible(Ineligible::Status) => {
                lang.text("rule.not_eligible_status").to_string()
            }
            Refusal::NotEligible(Ineligible::Cancelled) => {
                lang.text("rule.not_eligible_cancelled").to_string()
            }
            Refusal::NotEligible(Ineligible::Department) => {
                lang.text("rule.not_eligible_department").to_string()
            }
            Refusal::NotEligible(Ineligible::ClassYear) => {
                lang.text("rule.not_eligible_class_year").to_string()
            }
            Refusal::AlreadyEnrolled => lang.text("rule.already_enrolled").to_string(),
            Refusal::DuplicateCourse { other } => {
                lang.format("rule.duplicate_course", &[("section", other.show(lang))])
            }
            Refusal::TimeConflict { other } => {
                lang.format("rule.time_conflict", &[("section", other.show(lang))])
            }
            Refusal::PrerequisiteMissing { courses } => lang.format(
                "rule.prerequisite_missing",
                &[("courses", courses.join(", "))],
            ),
            Refusal::CreditLimit {
                current,
                adding,
                limit,
            } => lang.format(
                "rule.credit_limit",
                &[
                    ("current", current.to_string()),
                    ("adding", adding.to_string()),
                    ("limit", limit.to_string()),
                ],
            ),
            Refusal::SectionFull { waitlist: true } => {
                lang.text("rule.section_full_waitlist").to_string()
            }
            Refusal::SectionFull { waitlist: false } => lang.text("rule.section_full").to_string(),
            Refusal::NotEnrolled => lang.text("rule.not_enrolled").to_string(),
            Refusal::AlreadyWaitlisted => lang.text("rule.already_waitlisted").to_string(),
            Refusal::NotWaitlisted => lang.text("rule.not_waitlisted").to_string(),
            Refusal::WaitlistNotNeeded => lang.text("rule.waitlist_not_needed").to_string(),
            Refusal::WaitlistFull => lang.text("rule.waitlist_full").to_string(),
            Refusal::WatchNotNeeded => lang.text("rule.watch_not_needed").to_string(),
            Refusal::AlreadyWatching => lang.text("rule.already_watching").to_string(),
            Refusal::WatchLimit { limit } => {
                lang.format("rule.watch_limit", &[("limit", limit.to_string())])
            }
        }
    }
}

/// Rule 1 alone: is a window of one of `phases` open for the student now? Drops use it too.
pub fn window_open(
    student: &StudentFacts,
    windows: &[Window],
    phases: &[&str],
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let who = student.applicant();
    let mine = || {
        windows
            .iter()
            .filter(|w| phases.contains(&w.phase.as_str()))
            .filter(|w| w.applies_to(&who))
    };
    if mine().any(|w| w.opens() <= now && now < w.closes()) {
        return Ok(());
    }
    let opens_at = mine().map(|w| w.opens()).filter(|at| *at > now).min();
    Err(Refusal::WindowClosed { opens_at })
}

/// The ordered checks for adding `snapshot.target`.
pub fn check(s: &Snapshot<'_>) -> Result<(), Refusal> {
    let student = s.student;
    let target = s.target;

    window_open(student, s.windows, s.phases, s.now)?;

    if let Some(reason) = student.holds.first() {
        return Err(Refusal::Hold {
            reason: reason.clone(),
        });
    }

    if student.status != "enrolled" {
        return Err(Refusal::NotEligible(Ineligible::Status));
    }
    if target.status != "open" {
        return Err(Refusal::NotEligible(Ineligible::Cancelled));
    }
    if let Some(dept) = target.restrict_department_id {
        if student.department_id != Some(dept) {
            return Err(Refusal::NotEligible(Ineligible::Department));
        }
    }
    if target.restrict_class_years != 0 {
        let allowed = student
            .class_year
            .filter(|y| (1..=7).contains(y))
            .is_some_and(|y| target.restrict_class_years & (1 << (y - 1)) != 0);
        if !allowed {
            return Err(Refusal::NotEligible(Ineligible::ClassYear));
        }
    }

    if s.enrolled.iter().any(|h| h.section_id == target.id) {
        return Err(Refusal::AlreadyEnrolled);
    }
    if let Some(other) = s.enrolled.iter().find(|h| h.course_id == target.course_id) {
        return Err(Refusal::DuplicateCourse {
            other: other.label.clone(),
        });
    }
    if let Some(other) = s.enrolled.iter().find(|h| {
        h.meetings
            .iter()
            .any(|m| target.meetings.iter().any(|t| t.overlaps(m)))
    }) {
        return Err(Refusal::TimeConflict {
            other: other.label.clone(),
        });
    }

    let missing: Vec<String> = target
        .prerequisites
        .iter()
        .filter(|(id, _)| !s.completed.contains(id))
        .map(|(_, code)| code.clone())
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::PrerequisiteMissing { courses: missing });
    }

    let current: i32 = s.enrolled.iter().map(|h| h.credits).sum();
    if current + target.credits > student.credit_limit {
        return Err(Refusal::CreditLimit {
            current,
            adding: target.credits,
            limit: student.credit_limit,
        });
    }

    if target.seats_left() == 0 || target.status != "open" {
        return Err(Refusal::SectionFull {
            waitlist: target.waitlist_capacity > 0,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 2, 11, 1, 0, 0)
            .single()
            .expect("valid")
    }

    fn window(phase: &str, cohort: &str, from_h: i64, to_h: i64) -> Window {
        Window {
            id: 1,
            term_id: 1,
            phase: phase.into(),
            cohort: cohort.into(),
            opens_at: (now() + Duration::hours(from_h)).naive_utc(),
            closes_at: (now() + Duration::hours(to_h)).naive_utc(),
            group_id: None,
            parity: None,
        }
    }

    fn label(code: &str, no: i16) -> SectionLabel {
        SectionLabel {
            course_code: code.into(),
            section_no: no,
            title_ko: format!("{code} 과목"),
            title_en: format!("{code} course"),
        }
    }

    fn student() -> StudentFacts {
        StudentFacts {
            id: 7,
            status: "enrolled".into(),
            department_id: Some(1),
            class_year: Some(2),
            credit_limit: 18,
            holds: vec![],
            number: "20250007".into(),
            groups: vec![],
        }
    }

    fn mon(start: u16, end: u16) -> Meeting {
        Meeting { day: 1, start, end }
    }

    fn target() -> Target {
        Target {
            id: 100,
            course_id: 10,
            credits: 3,
            label: label("CSE2010", 1),
            meetings: vec![mon(540, 615)],
            prerequisites: vec![],
            restrict_department_id: None,
            restrict_class_years: 0,
            capacity: 30,
            enrolled: 0,
            waitlist_capacity: 0,
            held_seats: 0,
            status: "open".into(),
        }
    }

    fn held(section_id: i32, course_id: i32, credits: i32, meetings: Vec<Meeting>) -> Held {
        Held {
            section_id,
            course_id,
            credits,
            label: label(&format!("CSE{course_id}"), 2),
            meetings,
        }
    }

    struct Case {
        student: StudentFacts,
        windows: Vec<Window>,
        enrolled: Vec<Held>,
        completed: Vec<i32>,
        target: Target,
    }

    impl Case {
        fn new() -> Case {
            Case {
                student: student(),
                windows: vec![window("register", "all", -1, 24)],
                enrolled: vec![],
                completed: vec![],
                target: target(),
            }
        }

        fn check(&self) -> Result<(), Refusal> {
            check(&Snapshot {
                student: &self.student,
                windows: &self.windows,
                phases: CHANGE_PHASES,
                now: now(),
                enrolled: &self.enrolled,
                completed: &self.completed,
                target: &self.target,
            })
        }

        fn code(&self) -> &'static str {
            match self.check() {
                Ok(()) => "ok",
                Err(r) => r.code(),
            }
        }
    }

    #[test]
    fn a_clean_attempt_passes() {
        assert_eq!(Case::new().code(), "ok");
    }

    #[test]
    fn window_closed_names_when_the_students_window_opens() {
        let mut c = Case::new();
        c.windows = vec![
            window("basket", "all", -5, 5),
            window("register", "year3", -1, 24),
            window("register", "year2", 2, 24),
        ];
        let err = c.check().expect_err("closed");
        assert_eq!(
            err,
            Refusal::WindowClosed {
                opens_at: Some(now() + Duration::hours(2))
            }
        );
        assert!(err.message(Lang::En).contains("KST"));
        c.windows = vec![window("register", "all", -10, -1)];
        assert_eq!(c.check(), Err(Refusal::WindowClosed { opens_at: None }));
        // Add/drop counts as a change phase; the window is half-open.
        c.windows = vec![window("add_drop", "year2", 0, 1)];
        assert_eq!(c.code(), "ok");
        c.windows = vec![window("add_drop", "year2", -1, 0)];
        assert_eq!(c.code(), "window_closed");
    }

    #[test]
    fn a_group_window_opens_for_its_members_only() {
        let mut c = Case::new();
        let mut early = window("register", "all", -1, 24);
        early.group_id = Some(3);
        c.windows = vec![early, window("register", "all", 24, 48)];
        // Not a member: their own window (everyone's, a day later) is the one named.
        assert_eq!(
            c.check(),
            Err(Refusal::WindowClosed {
                opens_at: Some(now() + Duration::hours(24))
            })
        );
        c.student.groups = vec![3];
        assert_eq!(c.code(), "ok");
    }

    #[test]
    fn a_parity_day_opens_for_matching_student_numbers_only() {
        let mut c = Case::new();
        let mut odd = window("register", "all", -1, 23);
        odd.parity = Some("odd".into());
        let mut even = window("register", "all", 23, 47);
        even.parity = Some("even".into());
        c.windows = vec![odd, even];
        c.student.number = "20250007".into();
        assert_eq!(c.code(), "ok");
        c.student.number = "20250008".into();
        assert_eq!(
            c.check(),
            Err(Refusal::WindowClosed {
                opens_at: Some(now() + Duration::hours(23))
            })
        );
    }

    #[test]
    fn a_window_of_another_group_or_parity_does_not_change_the_answer() {
        // The same student with and without windows that are not theirs: same reason, same time.
        let mut c = Case::new();
        c.windows = vec![window("register", "all", 2, 24)];
        let plain = c.check();
        let mut other_group = window("register", "all", -1, 24);
        other_group.group_id = Some(9);
        let mut even = window("register", "all", -1, 1);
        even.parity = Some("even".into());
        c.windows.push(other_group);
        c.windows.push(even);
        assert_eq!(c.check(), plain);
        assert_eq!(
            plain,
            Err(Refusal::WindowClosed {
                opens_at: Some(now() + Duration::hours(2))
            })
        );
    }

    #[test]
    fn hold_shows_its_reason() {
        let mut c = Case::new();
        c.student.holds = vec!["등록금 미납".into()];
        let err = c.check().expect_err("hold");
        assert_eq!(err.code(), "hold");
        assert!(err.message(Lang::Ko).contains("등록금 미납"));
    }

    #[test]
    fn not_eligible_covers_status_cancellation_department_and_year() {
        let mut c = Case::new();
        c.student.status = "on_leave".into();
        assert_eq!(c.check(), Err(Refusal::NotEligible(Ineligible::Status)));
        let mut c = Case::new();
        c.target.status = "cancelled".into();
        assert_eq!(c.check(), Err(Refusal::NotEligible(Ineligible::Cancelled)));
        let mut c = Case::new();
        c.target.restrict_department_id = Some(2);
        assert_eq!(c.check(), Err(Refusal::NotEligible(Ineligible::Department)));
        c.target.restrict_department_id = Some(1);
        assert_eq!(c.code(), "ok");
        c.target.restrict_class_years = 0b0100; // year 3 only
        assert_eq!(c.check(), Err(Refusal::NotEligible(Ineligible::ClassYear)));
        c.target.restrict_class_years = 0b0110; // years 2 and 3
        assert_eq!(c.code(), "ok");
    }

    #[test]
    fn already_enrolled_and_duplicate_course() {
        let mut c = Case::new();
        c.enrolled = vec![held(100, 10, 3, vec![mon(540, 615)])];
        assert_eq!(c.code(), "already_enrolled");
        c.enrolled = vec![held(101, 10, 3, vec![])];
        let err = c.check().expect_err("duplicate");
        assert_eq!(err.code(), "duplicate_course");
        assert!(err.message(Lang::En).contains("CSE10-02"));
    }

    #[test]
    fn time_conflict_names_the_other_section_and_touching_ends_do_not_clash() {
        let mut c = Case::new();
        c.enrolled = vec![held(200, 20, 3, vec![mon(600, 675)])];
        let err = c.check().expect_err("conflict");
        assert_eq!(err.code(), "time_conflict");
        assert!(err.message(Lang::Ko).contains("CSE20-02"));
        c.enrolled = vec![held(200, 20, 3, vec![mon(615, 690)])];
        assert_eq!(c.code(), "ok");
        c.enrolled = vec![held(
            200,
            20,
            3,
            vec![Meeting {
                day: 2,
                start: 540,
                end: 615,
            }],
        )];
        assert_eq!(c.code(), "ok");
    }

    #[test]
    fn prerequisites_are_named() {
        let mut c = Case::new();
        c.target.prerequisites = vec![(1, "CSE1010".into()), (2, "MAT1010".into())];
        c.completed = vec![1];
        let err = c.check().expect_err("missing");
        assert_eq!(
            err,
            Refusal::PrerequisiteMissing {
                courses: vec!["MAT1010".into()]
            }
        );
        c.completed = vec![1, 2];
        assert_eq!(c.code(), "ok");
    }

    #[test]
    fn credit_limit_shows_the_numbers() {
        let mut c = Case::new();
        c.enrolled = vec![held(200, 20, 6, vec![]), held(201, 21, 6, vec![])];
        c.student.credit_limit = 14;
        let err = c.check().expect_err("limit");
        assert_eq!(
            err,
            Refusal::CreditLimit {
                current: 12,
                adding: 3,
                limit: 14
            }
        );
        let msg = err.message(Lang::En);
        assert!(msg.contains("12") && msg.contains("14"), "{msg}");
        // Reaching the limit exactly is allowed.
        c.student.credit_limit = 15;
        assert_eq!(c.code(), "ok");
    }

    #[test]
    fn section_full_offers_the_waitlist_when_there_is_one() {
        let mut c = Case::new();
        c.target.enrolled = 30;
        assert_eq!(c.check(), Err(Refusal::SectionFull { waitlist: false }));
        c.target.waitlist_capacity = 5;
        assert_eq!(c.check(), Err(Refusal::SectionFull { waitlist: true }));
        assert_ne!(
            Refusal::SectionFull { waitlist: true }.message(Lang::Ko),
            Refusal::SectionFull { waitlist: false }.message(Lang::Ko)
        );
    }

    #[test]
    fn held_seats_are_not_free_seats() {
        let mut c = Case::new();
        c.target.enrolled = 28;
        c.target.held_seats = 2;
        assert_eq!(c.target.seats_left(), 0);
        assert_eq!(c.check(), Err(Refusal::SectionFull { waitlist: false }));
        c.target.held_seats = 1;
        assert_eq!(c.target.seats_left(), 1);
        assert_eq!(c.code(), "ok");
    }

    #[test]
    fn the_first_failing_rule_wins_in_the_documented_order() {
        // Everything wrong at once; fix one reason at a time and watch the next one appear.
        let mut c = Case::new();
        c.windows = vec![window("register", "all", 1, 2)];
        c.student.holds = vec!["hold".into()];
        c.student.status = "suspended".into();
        c.enrolled = vec![
            held(100, 10, 3, vec![]),
            held(300, 10, 3, vec![]),
            held(200, 20, 9, vec![mon(540, 600)]),
        ];
        c.target.prerequisites = vec![(5, "CSE0005".into())];
        c.target.enrolled = 30;
        let mut seen = vec![c.code()];
        c.windows = vec![window("register", "all", -1, 2)];
        seen.push(c.code());
        c.student.holds.clear();
        seen.push(c.code());
        c.student.status = "enrolled".into();
        seen.push(c.code());
        c.enrolled.remove(0);
        seen.push(c.code());
        c.enrolled.remove(0);
        seen.push(c.code());
        c.enrolled[0].meetings.clear();
        c.student.credit_limit = 11;
        seen.push(c.code());
        c.completed = vec![5];
        seen.push(c.code());
        c.student.credit_limit = 18;
        seen.push(c.code());
        c.target.enrolled = 29;
        seen.push(c.code());
        assert_eq!(
            seen,
            [
                "window_closed",
                "hold",
                "not_eligible",
                "already_enrolled",
                "duplicate_course",
                "time_conflict",
                "prerequisite_missing",
                "credit_limit",
                "section_full",
                "ok"
            ]
        );
    }

    #[test]
    fn every_refusal_has_a_message_in_both_languages() {
        let all = [
            Refusal::WindowClosed { opens_at: None },
            Refusal::WindowClosed {
                opens_at: Some(now()),
            },
            Refusal::Hold { reason: "x".into() },
            Refusal::NotEligible(Ineligible::Status),
            Refusal::NotEligible(Ineligible::Cancelled),
            Refusal::NotEligible(Ineligible::Department),
            Refusal::NotEligible(Ineligible::ClassYear),
            Refusal::AlreadyEnrolled,
            Refusal::DuplicateCourse {
                other: label("A", 1),
            },
            Refusal::TimeConflict {
                other: label("A", 1),
            },
            Refusal::PrerequisiteMissing {
                courses: vec!["A".into()],
            },
            Refusal::CreditLimit {
                current: 1,
                adding: 2,
                limit: 3,
            },
            Refusal::SectionFull { waitlist: true },
            Refusal::SectionFull { waitlist: false },
            Refusal::NotEnrolled,
            Refusal::AlreadyWaitlisted,
            Refusal::NotWaitlisted,
            Refusal::WaitlistNotNeeded,
            Refusal::WaitlistFull,
            Refusal::WatchNotNeeded,
            Refusal::AlreadyWatching,
            Refusal::WatchLimit { limit: 10 },
        ];
        for r in all {
            for lang in [Lang::Ko, Lang::En] {
                let m = r.message(lang);
                assert!(!m.is_empty() && !m.contains('?') && !m.contains('{'), "{m}");
            }
        }
    }
}
