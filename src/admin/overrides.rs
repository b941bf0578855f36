//! Registrar overrides: enroll or drop a student on their behalf, optionally beyond capacity or
//! waiving one named rule, always with a reason. The same transaction shape as the student's own
//! (`registration::service`): the student's row, then the section's, READ COMMITTED; counters move
//! with the rows; a freed seat goes to the waitlist in the same transaction.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::activity::{self, NewActivity};
use crate::admin::forms::{field, TxFail};
use crate::catalog::queries::current_term;
use crate::catalog::Window;
use crate::db::schema::sections;
use crate::registration::notices::{self, NoticeKind};
use crate::registration::queries::{self as reg, NewEnrollment};
use crate::registration::rules::{self, Ineligible, Refusal, SectionLabel, CHANGE_PHASES};
use crate::web::Lang;

/// The event an override ends with: the student, the section and the registrar, then what came
/// of it and the message.
macro_rules! override_event {
    ($student:expr, $section:expr, $registrar:expr, $($outcome:tt)+) => {
        tracing::info!(
            student.id = $student,
            section.id = $section,
            registrar.id = $registrar,
            $($outcome)+
        )
    };
}

/// The rules a registrar may waive. Already enrolled, another section of the same course and a
/// cancelled section are never waivable: the data model forbids them.
pub const WAIVABLE: &[&str] = &[
    "window_closed",
    "hold",
    "not_eligible",
    "time_conflict",
    "prerequisite_missing",
    "credit_limit",
];

/// What the registrar could pick on the override form to get past `refusal`: one of `WAIVABLE`,
/// or going beyond capacity. `None` when nothing on the form lifts it (already enrolled, a
/// cancelled section, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    Waive(&'static str),
    BeyondCapacity,
}

pub fn remedy(refusal: &Refusal) -> Option<Remedy> {
    match refusal {
        Refusal::SectionFull { .. } => Some(Remedy::BeyondCapacity),
        Refusal::NotEligible(Ineligible::Cancelled) => None,
        other => WAIVABLE
            .iter()
            .find(|w| **w == other.code())
            .map(|w| Remedy::Waive(w)),
    }
}

#[derive(Debug, Clone)]
pub struct Override {
    pub registrar_id: i32,
    pub student_id: i32,
    pub section_id: i32,
    pub beyond_capacity: bool,
    /// One of `WAIVABLE`.
    pub waive: Option<&'static str>,
    pub reason: String,
    pub request_id: String,
    pub session_ref: Option<String>,
    pub client_ip: String,
}

impl Override {
    fn line(&self, action: &'static str, outcome: &str) -> NewActivity {
        let mut flags = Vec::new();
        if self.beyond_capacity {
            flags.push("beyond_capacity".to_string());
        }
        if let Some(rule) = self.waive {
            flags.push(format!("waive={rule}"));
        }
        let detail = if flags.is_empty() {
            self.reason.clone()
        } else {
            format!("{} [{}]", self.reason, flags.join(", "))
        };
        NewActivity {
            actor_id: Some(self.registrar_id),
            student_id: Some(self.student_id),
            action,
            section_id: Some(self.section_id),
            outcome: outcome.to_string(),
            detail: Some(detail.chars().take(500).collect()),
            request_id: self.request_id.clone(),
            session_ref: self.session_ref.clone(),
            client_ip: Some(self.client_ip.clone()),
        }
    }

    fn waives(&self, rule: &str) -> bool {
        self.waive == Some(rule)
    }
}

/// Records a refused override after its transaction rolled back, so the attempt is on file.
pub fn record_refusal(
    conn: &mut MysqlConnection,
    o: &Override,
    action: &'static str,
    refusal: &Refusal,
) -> QueryResult<()> {
    activity::record(conn, &o.line(action, refusal.code()))
}

fn label_of(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<SectionLabel> {
    reg::section_labels(conn, &[section_id])?
        .remove(&section_id)
        .ok_or(DieselError::NotFound)
}

fn notify(
    conn: &mut MysqlConnection,
    o: &Override,
    key: &'static str,
    label: &SectionLabel,
) -> QueryResult<()> {
    let text = |lang: Lang| {
        lang.format(
            key,
            &[("section", label.show(lang)), ("reason", o.reason.clone())],
        )
    };
    notices::post(
        conn,
        o.student_id,
        NoticeKind::RegistrarChange,
        &text(Lang::Ko),
        &text(Lang::En),
    )
}

pub fn enroll(
    conn: &mut MysqlConnection,
    o: &Override,
    now: DateTime<Utc>,
) -> Result<SectionLabel, TxFail> {
    let user = reg::lock_student(conn, o.student_id)?;
    if user.role != "student" {
        return Err(TxFail::NotFound);
    }
    let term = current_term(conn)?
        .ok_or_else(|| field("admin.section.no_current_term", "override_section"))?;
    let mut target = reg::target(conn, o.section_id, term.id)?
        .ok_or_else(|| field("admin.override.no_section", "override_section"))?;
    let mut windows = reg::windows(conn, term.id)?;
    let facts = reg::student_facts(conn, &user, &term)?;
    let mut facts = reg::with_groups(conn, facts, &windows)?;
    let mut held = reg::held_sections(conn, user.id, term.id, true)?;
    let completed = reg::completed_course_ids(conn, user.id)?;
    let (seats, status) = reg::lock_section(conn, o.section_id)?;
    target.capacity = seats.capacity;
    target.enrolled = seats.enrolled;
    target.waitlist_capacity = seats.waitlist_capacity;
    target.held_seats = seats.held_seats;
    target.status = status;
    if target.status != "open" {
        return Err(TxFail::Refused(Refusal::NotEligible(Ineligible::Cancelled)));
    }
    // Waiving a rule is checking the rest against a snapshot in which it cannot fail.
    if o.waives("window_closed") {
        windows = vec![Window {
            id: 0,
            term_id: term.id,
            phase: CHANGE_PHASES[0].to_string(),
            cohort: "all".into(),
            opens_at: (now - Duration::minutes(1)).naive_utc(),
            closes_at: (now + Duration::minutes(1)).naive_utc(),
            group_id: None,
            parity: None,
        }];
    }
    if o.waives("hold") {
        facts.holds.clear();
    }
    if o.waives("not_eligible") {
        facts.status = "enrolled".into();
        target.restrict_department_id = None;
        target.restrict_class_years = 0;
    }
    if o.waives("time_conflict") {
        for h in &mut held {
            h.meetings.clear();
        }
    }
    if o.waives("prerequisite_missing") {
        target.prerequisites.clear();
    }
    if o.waives("credit_limit") {
        facts.credit_limit = i32::MAX / 2;
    }
    let mut checked = target.clone();
    if o.beyond_capacity {
        checked.capacity = i32::MAX / 2;
    }
    rules::check(&rules::Snapshot {
        student: &facts,
        windows: &windows,
        phases: CHANGE_PHASES,
        now,
        enrolled: &held,
        completed: &completed,
        target: &checked,
    })
    .map_err(TxFail::Refused)?;
    reg::insert_enrollment(
        conn,
        &NewEnrollment {
            student_id: user.id,
            section_id: target.id,
            term_id: term.id,
            course_id: target.course_id,
            source: "registrar",
            request_id: Some(&o.request_id),
            created_at: now.naive_utc(),
        },
    )
    .map_err(|e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            TxFail::Refused(Refusal::AlreadyEnrolled)
        }
        other => other.into(),
    })?;
    let seated = if o.beyond_capacity {
        // A recorded override may take the section past its capacity.
        diesel::update(sections::table.find(target.id))
            .set(sections::enrolled.eq(sections::enrolled + 1))
            .execute(conn)?
            == 1
    } else {
        reg::take_seat(conn, target.id)?
    };
    if !seated {
        return Err(TxFail::Refused(Refusal::SectionFull {
            waitlist: target.waitlist_capacity > 0,
        }));
    }
    reg::delete_waitlist(conn, target.id, user.id)?;
    let outcome = if o.beyond_capacity && target.enrolled >= target.capacity {
        "ok_beyond_capacity"
    } else {
        "ok"
    };
    activity::record(conn, &o.line("override_enroll", outcome))?;
    notify(conn, o, "admin.notice.override_enrolled", &target.label)?;
    override_event!(
        user.id,
        target.id,
        o.registrar_id,
        outcome,
        "registrar override enroll"
    );
    Ok(target.label)
}

/// Drops the student from the section; returns the section and how many waitlisted students
/// took the freed seat.
pub fn drop(
    conn: &mut MysqlConnection,
    o: &Override,
    now: DateTime<Utc>,
) -> Result<(SectionLabel, usize), TxFail> {
    let user = reg::lock_student(conn, o.student_id)?;
    if user.role != "student" {
        return Err(TxFail::NotFound);
    }
    reg::lock_section(conn, o.section_id)?;
    if !reg::delete_enrollment(conn, user.id, o.section_id)? {
        return Err(TxFail::Refused(Refusal::NotEnrolled));
    }
    reg::release_seat(conn, o.section_id)?;
    let label = label_of(conn, o.section_id)?;
    activity::record(conn, &o.line("override_drop", "ok"))?;
    notify(conn, o, "admin.notice.override_dropped", &label)?;
    let promoted = crate::registration::promote_waitlist(conn, o.section_id, now)?
        .iter()
        .filter(|p| p.outcome == "ok")
        .count();
    override_event!(
        user.id,
        o.section_id,
        o.registrar_id,
        promoted,
        "registrar override drop"
    );
    Ok((label, promoted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_waivable_refusal_names_its_waiver_and_the_others_name_none() {
        assert_eq!(
            remedy(&Refusal::Hold { reason: "x".into() }),
            Some(Remedy::Waive("hold"))
        );
        assert_eq!(
            remedy(&Refusal::NotEligible(Ineligible::ClassYear)),
            Some(Remedy::Waive("not_eligible"))
        );
        assert_eq!(
            remedy(&Refusal::NotEligible(Ineligible::Cancelled)),
            None,
            "a cancelled section is never waived"
        );
        assert_eq!(
            remedy(&Refusal::SectionFull { waitlist: true }),
            Some(Remedy::BeyondCapacity)
        );
        assert_eq!(remedy(&Refusal::AlreadyEnrolled), None);
        for w in WAIVABLE {
            assert!(
                crate::web::i18n::has_key(&format!("admin.override.waive.{w}")),
                "{w} has a label on the form"
            );
        }
    }
}
