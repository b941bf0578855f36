//! Enroll, drop, swap and the waitlist, each one MySQL transaction under READ COMMITTED.
//!
//! Lock order: the acting student's `users` row first (serializes one student's own requests),
//! then section rows in ascending id. Waitlist promotion is the one place that locks a second
//! student's row *after* a section row; the cycle it can form with that student's own request is
//! broken by InnoDB's deadlock detection (error 1213), and the victim transaction is retried a
//! bounded number of times from the start. Refusals roll back and leave only an activity line.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

use crate::activity::{self, NewActivity};
use crate::auth::models::User;
use crate::auth::Session;
use crate::catalog::queries::current_term;
use crate::catalog::{Term, Window};
use crate::registration::queries::{self, NewEnrollment};
use crate::registration::rules::{self, Held, Refusal, StudentFacts, Target, CHANGE_PHASES};
use crate::web::{Lang, RequestMeta};

/// Who is attempting what, for the activity log.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub student_id: i32,
    pub session_ref: Option<String>,
    pub request_id: String,
    pub client_ip: String,
    /// The language refusal details are written in for the student's own log.
    pub lang: Lang,
}

impl Attempt {
    pub fn new(session: &Session, meta: &RequestMeta, lang: Lang) -> Attempt {
        Attempt {
            student_id: session.user_id,
            session_ref: Some(session.reference()),
            request_id: meta.request_id.clone(),
            client_ip: meta.client_ip.clone(),
            lang,
        }
    }

    pub(crate) fn activity(
        &self,
        action: &'static str,
        outcome: &str,
        section_id: Option<i32>,
    ) -> NewActivity {
        NewActivity {
            actor_id: Some(self.student_id),
            student_id: Some(self.student_id),
            action,
            section_id,
            outcome: outcome.to_string(),
            detail: None,
            request_id: self.request_id.clone(),
            session_ref: self.session_ref.clone(),
            client_ip: Some(self.client_ip.clone()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// A rule refused before the transaction wrote anything: the refusal's activity line is
    /// written and committed in the same transaction (one commit, no rollback).
    #[error("refused: {}", .0.code())]
    Refused(Refusal),
    /// Refused after a write (a constraint or the guarded counter said no): rolled back, and
    /// the activity line is written afterwards.
    #[error("refused after a write: {}", .0.code())]
    Aborted(Refusal),
    #[error("no such section")]
    NotFound,
    #[error(transparent)]
    Db(DieselError),
}

impl From<DieselError> for TxError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => TxError::NotFound,
            other => TxError::Db(other),
        }
    }
}

impl From<Refusal> for TxError {
    fn from(r: Refusal) -> Self {
        TxError::Refused(r)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SectionSummary {
    pub id: i32,
    pub course_code: String,
    pub section_no: i16,
    pub title_ko: String,
    pub title_en: String,
    pub credits: i32,
}

impl SectionSummary {
    pub(crate) fn of(t: &Target) -> Self {
        SectionSummary {
            id: t.id,
            course_code: t.label.course_code.clone(),
            section_no: t.label.section_no,
            title_ko: t.label.title_ko.clone(),
            title_en: t.label.title_en.clone(),
            credits: t.credits,
        }
    }

    fn of_held(h: &Held) -> Self {
        SectionSummary {
            id: h.section_id,
            course_code: h.label.course_code.clone(),
            section_no: h.label.section_no,
            title_ko: h.label.title_ko.clone(),
            title_en: h.label.title_en.clone(),
            credits: h.credits,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub request_id: String,
    pub enrolled_at: String,
    pub section: SectionSummary,
    pub credits_total: i32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DropReceipt {
    pub request_id: String,
    pub dropped_at: String,
    pub section: SectionSummary,
    pub credits_total: i32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SwapReceipt {
    pub request_id: String,
    pub swapped_at: String,
    pub dropped: SectionSummary,
    pub added: SectionSummary,
    pub credits_total: i32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaitlistReceipt {
    pub request_id: String,
    pub joined_at: String,
    pub section: SectionSummary,
    pub position: i64,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Server time at millisecond precision, so the receipt and the stored row agree.
pub fn now_ms() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// What the rules read about one student, loaded after their row is locked.
struct Context {
    term_id: i32,
    facts: StudentFacts,
    windows: std::sync::Arc<Vec<Window>>,
    held: Vec<Held>,
    completed: Vec<i32>,
}

/// What a check reads beyond the student's standing: meetings of the enrolled sections only
/// matter when the target meets at all, completed courses only when it has prerequisites.
#[derive(Debug, Clone, Copy)]
struct Needs {
    meetings: bool,
    completed: bool,
}

impl Needs {
    const NOTHING: Needs = Needs {
        meetings: false,
        completed: false,
    };

    fn of(target: &Target) -> Needs {
        Needs {
            meetings: !target.meetings.is_empty(),
            completed: !target.prerequisites.is_empty(),
        }
    }
}

impl Context {
    fn load(
        conn: &mut MysqlConnection,
        user: &User,
        term: Term,
        needs: Needs,
    ) -> QueryResult<Context> {
        let facts = queries::student_facts(conn, user, &term)?;
        let term_id = term.id;
        let windows = std::sync::Arc::new(queries::windows(conn, term.id)?);
        let facts = queries::with_groups(conn, facts, &windows)?;
        let held = queries::held_sections(conn, user.id, term.id, needs.meetings)?;
        let completed = if needs.completed {
            queries::completed_course_ids(conn, user.id)?
        } else {
            Vec::new()
        };
        Ok(Context {
            term_id,
            facts,
            windows,
            held,
            completed,
        })
    }

    /// Locks the student's row and finds the current term; the snapshot is loaded after.
    fn lock(conn: &mut MysqlConnection, student_id: i32) -> Result<(User, Term), TxError> {
        let user = queries::lock_student(conn, student_id)?;
        let term = current_term(conn)?.ok_or(Refusal::WindowClosed { opens_at: None })?;
        Ok((user, term))
    }

    /// The rules for adding `target`, as if `without` (a section being swapped out) were gone.
    fn check(
        &self,
        target: &Target,
        now: DateTime<Utc>,
        without: Option<i32>,
    ) -> Result<(), Refusal> {
        // Only a swap needs a copy without the section it gives up.
        let held: std::borrow::Cow<'_, [Held]> = match without {
            None => std::borrow::Cow::Borrowed(&self.held),
            Some(id) => self
                .held
                .iter()
                .filter(|h| h.section_id != id)
                .cloned()
                .collect(),
        };
        rules::check(&rules::Snapshot {
            student: &self.facts,
            windows: &self.windows,
            phases: CHANGE_PHASES,
            now,
            enrolled: &held,
            completed: &self.completed,
            target,
        })
    }

    fn credits(&self) -> i32 {
        self.held.iter().map(|h| h.credits).sum()
    }

    fn window(&self, now: DateTime<Utc>) -> Result<(), Refusal> {
        rules::window_open(&self.facts, &self.windows, CHANGE_PHASES, now)
    }
}

impl crate::db::tx::DbFailure for TxError {
    fn db_error(&self) -> Option<&DieselError> {
        match self {
            TxError::Db(e) => Some(e),
            _ => None,
        }
    }
}

/// Runs `f` in a transaction of the one kit (`db::tx`), retrying deadlock victims from the start.
pub(crate) fn transaction<T>(
    conn: &mut MysqlConnection,
    f: impl Fn(&mut MysqlConnection) -> Result<T, TxError>,
) -> Result<T, TxError> {
    crate::db::tx::transaction(conn, None, f)
}

/// Runs one attempt of `action` as a transaction and records its decision: successes wrote
/// their activity line inside `f`; early refusals (and unknown sections) get theirs inside the
/// same transaction, which then commits nothing else; refusals after a write are rolled back and
/// logged afterwards. Every decision is counted and logged.
pub(crate) fn attempt<T>(
    conn: &mut MysqlConnection,
    a: &Attempt,
    action: &'static str,
    section_id: Option<i32>,
    f: impl Fn(&mut MysqlConnection) -> Result<T, TxError>,
) -> Result<T, TxError> {
    let refusal_line = |r: Option<&Refusal>| {
        let outcome = r.map_or("not_found", Refusal::code);
        let mut entry = a.activity(action, outcome, section_id);
        entry.detail = r.map(|r| truncate(r.message(a.lang), 500));
        entry
    };
    let result = transaction(conn, |c| match f(c) {
        Ok(v) => Ok(Ok(v)),
        Err(TxError::Refused(r)) => {
            activity::record(c, &refusal_line(Some(&r)))?;
            Ok(Err(TxError::Refused(r)))
        }
        Err(TxError::NotFound) => {
            activity::record(c, &refusal_line(None))?;
            Ok(Err(TxError::NotFound))
        }
        Err(other) => Err(other),
    })
    .and_then(|inner| inner);
    let result = match result {
        Err(TxError::Aborted(r)) => {
            activity::record(conn, &refusal_line(Some(&r)))?;
            Err(TxError::Refused(r))
        }
        other => other,
    };
    let outcome = match &result {
        Ok(_) => "ok",
        Err(TxError::Refused(r)) | Err(TxError::Aborted(r)) => r.code(),
        Err(TxError::NotFound) => "not_found",
        Err(TxError::Db(_)) => return result,
    };
    metrics::counter!("sugang_registration_decisions_total", "outcome" => outcome).increment(1);
    tracing::info!(
        student.id = a.student_id,
        section.id = section_id,
        action,
        outcome,
        "registration"
    );
    result
}

pub(crate) fn truncate(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        s
    } else {
        s.chars().take(max).collect()
    }
}

fn unique_to_refusal(e: DieselError, target: &Target) -> TxError {
    match &e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            if info.message().contains("student_section") {
                TxError::Aborted(Refusal::AlreadyEnrolled)
            } else {
                TxError::Aborted(Refusal::DuplicateCourse {
                    other: target.label.clone(),
                })
            }
        }
        _ => e.into(),
    }
}

/// Locks the section row and refreshes the target's counters and status from it.
fn lock_target(conn: &mut MysqlConnection, target: &mut Target) -> QueryResult<()> {
    let (seats, status) = queries::lock_section(conn, target.id)?;
    target.capacity = seats.capacity;
    target.enrolled = seats.enrolled;
    target.waitlist_capacity = seats.waitlist_capacity;
    target.held_seats = seats.held_seats;
    target.status = status;
    Ok(())
}

pub(crate) fn add_seat(
    conn: &mut MysqlConnection,
    student_id: i32,
    term_id: i32,
    target: &Target,
    source: &str,
    request_id: &str,
    at: DateTime<Utc>,
) -> Result<(), TxError> {
    queries::insert_enrollment(
        conn,
        &NewEnrollment {
            student_id,
            section_id: target.id,
            term_id,
            course_id: target.course_id,
            source,
            request_id: Some(request_id),
            created_at: at.naive_utc(),
        },
    )
    .map_err(|e| unique_to_refusal(e, target))?;
    if !queries::take_seat(conn, target.id)? {
        return Err(TxError::Aborted(Refusal::SectionFull {
            waitlist: target.waitlist_capacity > 0,
        }));
    }
    Ok(())
}

// ---- enroll ----

/// What the hot path of registration reads without asking MySQL: the current term's catalog
/// (static facts of every section: course, credits, meetings, prerequisites, restrictions) and
/// the term's windows, both cached per instance (`registration::rush`). Seat counters, the
/// student's standing and enrollments are always read from MySQL under the locks.
#[derive(Clone)]
pub struct Frame {
    pub catalog: std::sync::Arc<crate::catalog::snapshot::Snapshot>,
    pub windows: std::sync::Arc<Vec<Window>>,
}

/// A section of the catalog snapshot as the rules see it, with the given counters and status:
/// the one translation the enroll path and the read-only preview share.
pub fn target_of(
    item: &crate::catalog::snapshot::SectionItem,
    seats: queries::Seats,
    status: String,
) -> Target {
    Target {
        id: item.id,
        course_id: item.course_id,
        credits: i32::from(item.credits),
        label: rules::SectionLabel {
            course_code: item.course_code.clone(),
            section_no: item.section_no,
            title_ko: item.title_ko.clone(),
            title_en: item.title_en.clone(),
        },
        meetings: item
            .meetings
            .iter()
            .map(crate::catalog::snapshot::MeetingItem::meeting)
            .collect(),
        prerequisites: item
            .prerequisites
            .iter()
            .map(|c| (c.id, c.code.clone()))
            .collect(),
        restrict_department_id: item.restrict_department.as_ref().map(|d| d.id),
        restrict_class_years: item.restrict_class_years as i8,
        capacity: seats.capacity,
        enrolled: seats.enrolled,
        waitlist_capacity: seats.waitlist_capacity,
        held_seats: seats.held_seats,
        status,
    }
}

impl Frame {
    /// The section as the rules see it, its counters as `seats` says.
    fn target(&self, section_id: i32, seats: queries::Seats, status: String) -> Option<Target> {
        let item = self.catalog.section(section_id)?;
        Some(target_of(item, seats, status))
    }

    /// The student's sections in the frame's term, from their ids; `None` when one is missing
    /// from the catalog (the caller then reads them from MySQL).
    pub(crate) fn held(&self, ids: &[i32]) -> Option<Vec<Held>> {
        let none = queries::Seats {
            capacity: 0,
            enrolled: 0,
            waitlist_capacity: 0,
            held_seats: 0,
        };
        ids.iter()
            .map(|&id| {
                let t = self.target(id, none, String::new())?;
                Some(Held {
                    section_id: t.id,
                    course_id: t.course_id,
                    credits: t.credits,
                    label: t.label,
                    meetings: t.meetings,
                })
            })
            .collect()
    }
}

/// Enroll on the hot path: the same rules, locks and writes as `enroll`, with the catalog and
/// windows taken from `frame` instead of being read inside the transaction. Returns the receipt
/// and the section's seats left after the commit (for the seats-left signal). A refusal rolls
/// back and leaves its activity line to the caller (`refusal_line`).
pub fn enroll_in(
    conn: &mut MysqlConnection,
    a: &Attempt,
    frame: &Frame,
    section_id: i32,
    now: DateTime<Utc>,
) -> Result<(Receipt, i32), TxError> {
    transaction(conn, |conn| {
        enroll_frame_tx(conn, a, frame, section_id, now)
    })
}

/// The activity line of a refused hot-path attempt, written by the caller (in a shared batch)
/// after the transaction rolled back.
pub fn refusal_line(a: &Attempt, section_id: i32, e: &TxError) -> Option<NewActivity> {
    let (outcome, detail) = match e {
        TxError::Refused(r) | TxError::Aborted(r) => {
            (r.code(), Some(truncate(r.message(a.lang), 500)))
        }
        TxError::NotFound => ("not_found", None),
        TxError::Db(_) => return None,
    };
    let mut line = a.activity("enroll", outcome, Some(section_id));
    line.detail = detail;
    Some(line)
}

/// What the rules read for `a` adding `section_id`: the student's standing (their row locked
/// when `lock`) and the section, with its counters as `seats` says.
fn standing(
    conn: &mut MysqlConnection,
    a: &Attempt,
    frame: &Frame,
    section_id: i32,
    seats: queries::Seats,
    lock: bool,
) -> Result<(Context, Target), TxError> {
    let term = &frame.catalog.term;
    let (user, holds) = queries::student_with_holds(conn, a.student_id, lock)?;
    let status = frame
        .catalog
        .section(section_id)
        .map(|s| s.status.clone())
        .ok_or(TxError::NotFound)?;
    let target = frame
        .target(section_id, seats, status)
        .ok_or(TxError::NotFound)?;
    // Group memberships are read only when a window of the term targets a group.
    let groups = if Window::any_group(&frame.windows) {
        crate::catalog::queries::group_ids(conn, user.id)?
    } else {
        Vec::new()
    };
    let facts = StudentFacts {
        id: user.id,
        status: user.status.clone(),
        department_id: user.department_id,
        class_year: user.class_year,
        credit_limit: i32::from(user.max_credits.unwrap_or(term.max_credits)),
        holds,
        number: user.login_id.clone(),
        groups,
    };
    let ids = queries::held_ids(conn, user.id, term.id)?;
    let held = match frame.held(&ids) {
        Some(held) => held,
        None => queries::held_sections(conn, user.id, term.id, true)?,
    };
    let completed = if target.prerequisites.is_empty() {
        Vec::new()
    } else {
        queries::completed_course_ids(conn, user.id)?
    };
    let ctx = Context {
        term_id: term.id,
        facts,
        windows: frame.windows.clone(),
        held,
        completed,
    };
    Ok((ctx, target))
}

/// The answer for a section the seats-left signal says is full, without a transaction or a
/// lock: the rules in their order over plain reads of the student's standing, with the section
/// counted full. The first reason that applies is the answer (`section_full` unless an earlier
/// rule refuses).
pub fn refuse_full(
    conn: &mut MysqlConnection,
    a: &Attempt,
    frame: &Frame,
    section_id: i32,
    capacity: i32,
    now: DateTime<Utc>,
) -> Result<Refusal, TxError> {
    let full = queries::Seats {
        capacity,
        enrolled: capacity,
        waitlist_capacity: frame
            .catalog
            .section(section_id)
            .map_or(0, |s| s.waitlist_capacity),
        held_seats: 0,
    };
    let (ctx, target) = standing(conn, a, frame, section_id, full, false)?;
    Ok(match ctx.check(&target, now, None) {
        Err(r) => r,
        // Not reachable with the section counted full; answer as the signal says.
        Ok(()) => Refusal::SectionFull {
            waitlist: target.waitlist_capacity > 0,
        },
    })
}

fn enroll_frame_tx(
    conn: &mut MysqlConnection,
    a: &Attempt,
    frame: &Frame,
    section_id: i32,
    now: DateTime<Utc>,
) -> Result<(Receipt, i32), TxError> {
    // Rules 1–8 do not look at the counters: checked before the section's lock is taken, as if
    // a seat were free, so a refusal never waits on a hot section.
    let unknown = queries::Seats {
        capacity: 1,
        enrolled: 0,
        waitlist_capacity: 0,
        held_seats: 0,
    };
    let (ctx, mut target) = standing(conn, a, frame, section_id, unknown, true)?;
    let term = &frame.catalog.term;
    ctx.check(&target, now, None)?;
    lock_target(conn, &mut target)?;
    ctx.check(&target, now, None).map_err(TxError::Aborted)?;
    add_seat(
        conn,
        a.student_id,
        term.id,
        &target,
        "student",
        &a.request_id,
        now,
    )?;
    activity::record(conn, &a.activity("enroll", "ok", Some(section_id)))?;
    // A student who gets the seat without waiting leaves the line for it (a section without a
    // waitlist has no line).
    if target.waitlist_capacity > 0 {
        queries::delete_waitlist(conn, section_id, a.student_id)?;
    }
    let seats_left = target.seats_left() - 1;
    Ok((
        Receipt {
            request_id: a.request_id.clone(),
            enrolled_at: rfc3339(now),
            section: SectionSummary::of(&target),
            credits_total: ctx.credits() + target.credits,
        },
        seats_left,
    ))
}

/// The answer an enroll attempt would have had, when its COMMIT went unanswered and a repeat with
/// the same `Idempotency-Key` asks (`idempotency::run_settled`): `Some` if it took effect — its
/// `enroll ok` activity line is written in the seat's own transaction — else `None`.
pub fn settled_enroll(
    conn: &mut MysqlConnection,
    student_id: i32,
    request_id: &str,
) -> QueryResult<Option<Receipt>> {
    use crate::db::schema::{activity_log, courses, enrollments, sections};
    let line: Option<(Option<i32>, chrono::NaiveDateTime)> = activity_log::table
        .filter(activity_log::request_id.eq(request_id))
        .filter(activity_log::student_id.eq(student_id))
        .filter(activity_log::action.eq("enroll"))
        .filter(activity_log::outcome.eq("ok"))
        .select((activity_log::section_id, activity_log::at))
        .first(conn)
        .optional()?;
    let Some((Some(section_id), logged_at)) = line else {
        return Ok(None);
    };
    let (term_id, credits): (i32, i8) = sections::table
        .inner_join(courses::table)
        .filter(sections::id.eq(section_id))
        .select((sections::term_id, courses::credits))
        .first(conn)?;
    let enrolled_at: Option<chrono::NaiveDateTime> = enrollments::table
        .filter(enrollments::student_id.eq(student_id))
        .filter(enrollments::section_id.eq(section_id))
        .filter(enrollments::request_id.eq(request_id))
        .select(enrollments::created_at)
        .first(conn)
        .optional()?;
    let held = queries::held_sections(conn, student_id, term_id, false)?;
    let section = match held.iter().find(|h| h.section_id == section_id) {
        Some(h) => SectionSummary::of_held(h),
        // Dropped since: the seat was granted all the same.
        None => {
            let label = queries::section_labels(conn, &[section_id])?
                .remove(&section_id)
                .ok_or(DieselError::NotFound)?;
            SectionSummary {
                id: section_id,
                course_code: label.course_code,
                section_no: label.section_no,
                title_ko: label.title_ko,
                title_en: label.title_en,
                credits: i32::from(credits),
            }
        }
    };
    Ok(Some(Receipt {
        request_id: request_id.to_string(),
        enrolled_at: rfc3339(enrolled_at.unwrap_or(logged_at).and_utc()),
        section,
        credits_total: held.iter().map(|h| h.credits).sum(),
    }))
}

// ---- drop ----

pub fn drop_enrollment(
    conn: &mut MysqlConnection,
    a: &Attempt,
    section_id: i32,
    now: DateTime<Utc>,
) -> Result<DropReceipt, TxError> {
    attempt(conn, a, "drop", Some(section_id), |conn| {
        drop_tx(conn, a, section_id, now)
    })
}

fn drop_tx(
    conn: &mut MysqlConnection,
    a: &Attempt,
    section_id: i32,
    now: DateTime<Utc>,
) -> Result<DropReceipt, TxError> {
    let (user, term) = Context::lock(conn, a.student_id)?;
    if queries::target(conn, section_id, term.id)?.is_none() {
        return Err(TxError::NotFound);
    }
    let ctx = Context::load(conn, &user, term, Needs::NOTHING)?;
    ctx.window(now)?;
    let held = ctx
        .held
        .iter()
        .find(|h| h.section_id == section_id)
        .ok_or(Refusal::NotEnrolled)?;
    queries::lock_section(conn, section_id)?;
    if !queries::delete_enrollment(conn, a.student_id, section_id)? {
        return Err(Refusal::NotEnrolled.into());
    }
    queries::release_seat(conn, section_id)?;
    activity::record(conn, &a.activity("drop", "ok", Some(section_id)))?;
    promote_waitlist_with(conn, section_id, now, &a.request_id)?;
    Ok(DropReceipt {
        request_id: a.request_id.clone(),
        dropped_at: rfc3339(now),
        section: SectionSummary::of_held(held),
        credits_total: ctx.credits() - held.credits,
    })
}

// ---- swap ----

pub fn swap(
    conn: &mut MysqlConnection,
    a: &Attempt,
    drop_section_id: i32,
    add_section_id: i32,
    now: DateTime<Utc>,
) -> Result<SwapReceipt, TxError> {
    attempt(conn, a, "swap", Some(add_section_id), |conn| {
        swap_tx(conn, a, drop_section_id, add_section_id, now)
    })
}

fn swap_tx(
    conn: &mut MysqlConnection,
    a: &Attempt,
    drop_id: i32,
    add_id: i32,
    now: DateTime<Utc>,
) -> Result<SwapReceipt, TxError> {
    let (user, term) = Context::lock(conn, a.student_id)?;
    let mut target = queries::target(conn, add_id, term.id)?.ok_or(TxError::NotFound)?;
    if queries::target(conn, drop_id, term.id)?.is_none() {
        return Err(TxError::NotFound);
    }
    let ctx = Context::load(conn, &user, term, Needs::of(&target))?;
    ctx.window(now)?;
    let dropped = ctx
        .held
        .iter()
        .find(|h| h.section_id == drop_id)
        .ok_or(Refusal::NotEnrolled)?;
    ctx.check(&target, now, Some(drop_id))?;
    // Both section rows, in ascending id order, so two swaps over the same pair cannot deadlock.
    let (first, second) = (drop_id.min(add_id), drop_id.max(add_id));
    for id in [first, second] {
        if id == add_id {
            lock_target(conn, &mut target)?;
        } else {
            queries::lock_section(conn, id)?;
        }
    }
    ctx.check(&target, now, Some(drop_id))?;
    if !queries::delete_enrollment(conn, a.student_id, drop_id)? {
        return Err(Refusal::NotEnrolled.into());
    }
    queries::release_seat(conn, drop_id)?;
    add_seat(
        conn,
        a.student_id,
        ctx.term_id,
        &target,
        "student",
        &a.request_id,
        now,
    )?;
    queries::delete_waitlist(conn, add_id, a.student_id)?;
    let mut entry = a.activity("swap", "ok", Some(add_id));
    entry.detail = Some(format!("drop {drop_id} -> add {add_id}"));
    activity::record(conn, &entry)?;
    promote_waitlist_with(conn, drop_id, now, &a.request_id)?;
    Ok(SwapReceipt {
        request_id: a.request_id.clone(),
        swapped_at: rfc3339(now),
        dropped: SectionSummary::of_held(dropped),
        added: SectionSummary::of(&target),
        credits_total: ctx.credits() - dropped.credits + target.credits,
    })
}

// ---- waitlist ----

pub fn join_waitlist(
    conn: &mut MysqlConnection,
    a: &Attempt,
    section_id: i32,
    now: DateTime<Utc>,
) -> Result<WaitlistReceipt, TxError> {
    attempt(conn, a, "waitlist", Some(section_id), |conn| {
        join_tx(conn, a, section_id, now)
    })
}

fn join_tx(
    conn: &mut MysqlConnection,
    a: &Attempt,
    section_id: i32,
    now: DateTime<Utc>,
) -> Result<WaitlistReceipt, TxError> {
    let (user, term) = Context::lock(conn, a.student_id)?;
    let mut target = queries::target(conn, section_id, term.id)?.ok_or(TxError::NotFound)?;
    let ctx = Context::load(conn, &user, term, Needs::of(&target))?;
    // The section's row lock makes "is it full, is there room in the line" one decision.
    lock_target(conn, &mut target)?;
    match ctx.check(&target, now, None) {
        Ok(()) => return Err(Refusal::WaitlistNotNeeded.into()),
        Err(Refusal::SectionFull { waitlist: true }) => {}
        Err(Refusal::SectionFull { waitlist: false }) => return Err(Refusal::WaitlistFull.into()),
        Err(other) => return Err(other.into()),
    }
    if queries::waitlist_position(conn, section_id, a.student_id)?.is_some() {
        return Err(Refusal::AlreadyWaitlisted.into());
    }
    if queries::waitlist_len(conn, section_id)? >= i64::from(target.waitlist_capacity) {
        return Err(Refusal::WaitlistFull.into());
    }
    queries::insert_waitlist(conn, section_id, a.student_id, now.naive_utc())?;
    let position = queries::waitlist_position(conn, section_id, a.student_id)?.unwrap_or(0);
    let mut entry = a.activity("waitlist", "ok", Some(section_id));
    entry.detail = Some(format!("position {position}"));
    activity::record(conn, &entry)?;
    Ok(WaitlistReceipt {
        request_id: a.request_id.clone(),
        joined_at: rfc3339(now),
        section: SectionSummary::of(&target),
        position,
    })
}

pub fn leave_waitlist(
    conn: &mut MysqlConnection,
    a: &Attempt,
    section_id: i32,
) -> Result<(), TxError> {
    attempt(conn, a, "waitlist_leave", Some(section_id), |conn| {
        queries::lock_student(conn, a.student_id)?;
        if queries::section_labels(conn, &[section_id])?.is_empty() {
            return Err(TxError::NotFound);
        }
        if !queries::delete_waitlist(conn, section_id, a.student_id)? {
            return Err(Refusal::NotWaitlisted.into());
        }
        activity::record(conn, &a.activity("waitlist_leave", "ok", Some(section_id)))?;
        Ok(())
    })
}

/// What became of one waitlisted student when a seat freed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    pub student_id: i32,
    /// `ok`, or the code of the rule that removed them from the line.
    pub outcome: &'static str,
}

/// Gives free seats of `section_id` to its waitlist, first come first served, inside the
/// caller's transaction (a drop, a swap, a capacity raise). Each candidate is checked against
/// every rule under their own row lock; whoever no longer qualifies leaves the line with the
/// reason logged, and the next is tried.
///
/// Call it in a READ COMMITTED transaction (`SET TRANSACTION ISOLATION LEVEL READ COMMITTED`
/// before it begins, as this module's transactions do): each candidate's snapshot is read after
/// their row lock and must see their latest commit, which a REPEATABLE READ view taken earlier in
/// the transaction would not.
pub fn promote_waitlist(
    conn: &mut MysqlConnection,
    section_id: i32,
    now: DateTime<Utc>,
) -> QueryResult<Vec<Promotion>> {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    promote_waitlist_with(conn, section_id, now, &request_id)
}

pub fn promote_waitlist_with(
    conn: &mut MysqlConnection,
    section_id: i32,
    now: DateTime<Utc>,
    request_id: &str,
) -> QueryResult<Vec<Promotion>> {
    Ok(seats_freed(
        conn,
        section_id,
        now,
        request_id,
        Leftover::HoldUntilRelease,
    )?
    .promotions)
}

/// What became of the free seats of a section after a drop, a raise or a release.
#[derive(Debug, Clone, Default)]
pub struct Freed {
    pub promotions: Vec<Promotion>,
    /// Watchers told of seats the waitlist left free.
    pub notified: usize,
    /// Seats the waitlist left free that are held until the next release time.
    pub held: i32,
}

/// What happens to seats the waitlist leaves free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leftover {
    /// Held until the next release time when the term has release times; else free at once.
    HoldUntilRelease,
    /// Free at once: the release time has come.
    Release,
}

/// Inside the release transaction (`registration::release`), the section's held seats just
/// returned to its free seats: the waitlist first, then every watcher is told — all before the
/// transaction commits and the seats become takeable.
pub(crate) fn seats_released(
    conn: &mut MysqlConnection,
    section_id: i32,
    now: DateTime<Utc>,
    request_id: &str,
) -> QueryResult<Freed> {
    seats_freed(conn, section_id, now, request_id, Leftover::Release)
}

fn seats_freed(
    conn: &mut MysqlConnection,
    section_id: i32,
    now: DateTime<Utc>,
    request_id: &str,
    leftover: Leftover,
) -> QueryResult<Freed> {
    let mut done = Freed::default();
    let Some(term) = current_term(conn)? else {
        return Ok(done);
    };
    // Seats still free when the line ran out (read under the section's lock).
    let mut seats_left = 0;
    loop {
        let (seats, status) = queries::lock_section(conn, section_id)?;
        if status != "open" || seats.free() == 0 {
            break;
        }
        let Some((_entry, student_id)) = queries::waitlist_head(conn, section_id)? else {
            seats_left = seats.free();
            break;
        };
        let user = queries::lock_student(conn, student_id)?;
        let Some(mut target) = queries::target(conn, section_id, term.id)? else {
            break;
        };
        let ctx = Context::load(conn, &user, term.clone(), Needs::of(&target))?;
        target.capacity = seats.capacity;
        target.enrolled = seats.enrolled;
        target.waitlist_capacity = seats.waitlist_capacity;
        target.held_seats = seats.held_seats;
        let mut entry = NewActivity {
            actor_id: None,
            student_id: Some(student_id),
            action: "waitlist_promoted",
            section_id: Some(section_id),
            outcome: "ok".into(),
            detail: None,
            request_id: request_id.to_string(),
            session_ref: None,
            client_ip: None,
        };
        // A savepoint around the seat: should a constraint still say no, only this candidate's
        // writes are undone and the line moves on.
        let seated = match ctx.check(&target, now, None) {
            Ok(()) => conn.transaction(|c| {
                add_seat(c, student_id, term.id, &target, "waitlist", request_id, now)
            }),
            Err(r) => Err(TxError::Refused(r)),
        };
        let outcome = match seated {
            Ok(()) => {
                queries::delete_waitlist(conn, section_id, student_id)?;
                promoted_notice(conn, student_id, &target)?;
                "ok"
            }
            Err(TxError::Db(e)) => return Err(e),
            Err(TxError::NotFound) => return Err(DieselError::NotFound),
            Err(TxError::Refused(r)) | Err(TxError::Aborted(r)) => {
                queries::delete_waitlist(conn, section_id, student_id)?;
                entry.action = "waitlist_removed";
                entry.detail = Some(truncate(r.message(Lang::Ko), 500));
                r.code()
            }
        };
        entry.outcome = outcome.to_string();
        activity::record(conn, &entry)?;
        tracing::info!(
            student.id = student_id,
            section.id = section_id,
            outcome,
            "waitlist promotion"
        );
        done.promotions.push(Promotion {
            student_id,
            outcome,
        });
    }
    if seats_left == 0 {
        return Ok(done);
    }
    // Seats the waitlist did not take. Outside a release time they are held until the next one
    // (and watchers hear of them then); otherwise the watchers hear of them now, before anyone
    // can take them (the section's row is still locked by this transaction).
    let release_times = crate::registration::release::ReleaseTimes::of(&term);
    match (leftover, release_times) {
        (Leftover::HoldUntilRelease, Some(times)) => {
            crate::registration::release::hold(
                conn,
                section_id,
                seats_left,
                times.next_after(now),
            )?;
            done.held = seats_left;
        }
        _ => done.notified = crate::registration::watches::notify(conn, section_id)?,
    }
    Ok(done)
}

/// Tells the promoted student, in the same transaction as their seat.
fn promoted_notice(
    conn: &mut MysqlConnection,
    student_id: i32,
    target: &Target,
) -> QueryResult<()> {
    let section = |lang| target.label.show(lang);
    crate::registration::notices::post(
        conn,
        student_id,
        crate::registration::notices::NoticeKind::WaitlistPromoted,
        &Lang::Ko.format(
            "notice.waitlist_promoted",
            &[("section", section(Lang::Ko))],
        ),
        &Lang::En.format(
            "notice.waitlist_promoted",
            &[("section", section(Lang::En))],
        ),
    )
}

// ---- reads ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrollmentItem {
    pub section: SectionSummary,
    pub meetings: Vec<MeetingJson>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = EnrolledMeeting)]
pub struct MeetingJson {
    pub weekday: i8,
    pub starts_at_min: i16,
    pub ends_at_min: i16,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyEnrollments {
    pub term_id: Option<i32>,
    pub credits_total: i32,
    pub credit_limit: Option<i32>,
    pub enrollments: Vec<EnrollmentItem>,
}

pub fn my_enrollments(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<MyEnrollments> {
    let Some(term) = current_term(conn)? else {
        return Ok(MyEnrollments {
            term_id: None,
            credits_total: 0,
            credit_limit: None,
            enrollments: Vec::new(),
        });
    };
    let user = crate::auth::models::find(conn, student_id)?;
    let held = queries::held_sections(conn, student_id, term.id, true)?;
    Ok(MyEnrollments {
        term_id: Some(term.id),
        credits_total: held.iter().map(|h| h.credits).sum(),
        credit_limit: Some(i32::from(user.max_credits.unwrap_or(term.max_credits))),
        enrollments: held
            .iter()
            .map(|h| EnrollmentItem {
                section: SectionSummary::of_held(h),
                meetings: h
                    .meetings
                    .iter()
                    // Read from the columns, so each value fits back.
                    .map(|m| MeetingJson {
                        weekday: m.day as i8,
                        starts_at_min: m.start as i16,
                        ends_at_min: m.end as i16,
                    })
                    .collect(),
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaitlistItem {
    pub section: SectionSummary,
    pub position: i64,
}

pub fn my_waitlist(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<Vec<WaitlistItem>> {
    let Some(term) = current_term(conn)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for section_id in queries::my_waitlist(conn, student_id, term.id)? {
        let Some(target) = queries::target(conn, section_id, term.id)? else {
            continue;
        };
        let position = queries::waitlist_position(conn, section_id, student_id)?.unwrap_or(0);
        out.push(WaitlistItem {
            section: SectionSummary::of(&target),
            position,
        });
    }
    Ok(out)
}
