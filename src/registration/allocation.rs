//! Basket allocation (장바구니 배정): between the basket and the register phase, every open section
//! whose basket demand fits its free seats enrolls all its eligible basket holders at once.
//! An oversubscribed section is left to first come, first served under the term's `fits_only`
//! policy; under `lottery` its winners are drawn: the holders' student ids, ascending, are
//! shuffled by `drawn_holders` from the run's seed (published in the report and the activity log,
//! so anyone can redo the draw), and the holders are tried in that order — every rule applies, so
//! a student wins at most one section of a course — until the section is full. The others keep
//! the section in their basket and may join its waitlist.
//!
//! Each holder is one transaction with the lock order of `service` (the student's row, then the
//! section's row) and the guarded seat counter, checked against every rule except the phase
//! window. Runs of one term serialize on a named MySQL lock, and holders already enrolled are
//! not demand, so a re-run (or a second run racing the first) enrolls nobody twice.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{BigInt, Integer, Nullable};
use rand::seq::SliceRandom;
use rand::{RngCore, SeedableRng};
use serde::Serialize;

use crate::activity::{self, NewActivity};
use crate::catalog::{Term, Window};
use crate::db::schema::terms;
use crate::registration::basket;
use crate::registration::notices::{self, NoticeKind};
use crate::registration::queries;
use crate::registration::rules::{self, Refusal, SectionLabel, Target};
use crate::registration::service::{self, TxError};
use crate::web::Lang;

/// The activity-log action of every allocation attempt.
pub const ACTION: &str = "basket_allocation";
/// `enrollments.source` of a seat given by allocation.
pub const SOURCE: &str = "basket_allocation";
/// How long a run waits for another run of the same term to finish.
const LOCK_WAIT_SECS: i32 = 60;
/// The phase of the stand-in window that stands for "allocation ignores the phase windows".
const PHASE: &str = "allocation";

#[derive(Debug, thiserror::Error)]
pub enum AllocationError {
    #[error("no such term")]
    NoSuchTerm,
    /// Another allocation of the term kept running longer than this run would wait.
    #[error("another basket allocation of this term is running")]
    Busy,
    #[error(transparent)]
    Db(#[from] DieselError),
}

/// A section's demand as the registrar's preview and the run see it.
#[derive(Debug, Clone, Serialize)]
pub struct Demand {
    pub section_id: i32,
    pub label: String,
    pub title_ko: String,
    pub title_en: String,
    pub capacity: i32,
    pub enrolled: i32,
    pub seats_left: i32,
    /// Basket holders not enrolled in the section.
    pub demand: i64,
    pub fits: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionOutcome {
    Allocated,
    Oversubscribed,
    /// Oversubscribed under the `lottery` policy: winners drawn.
    Drawn,
}

impl SectionOutcome {
    pub fn code(self) -> &'static str {
        match self {
            SectionOutcome::Allocated => "allocated",
            SectionOutcome::Oversubscribed => "oversubscribed",
            SectionOutcome::Drawn => "drawn",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionReport {
    pub section_id: i32,
    pub label: String,
    pub capacity: i32,
    pub enrolled_before: i32,
    pub demand: i64,
    pub outcome: SectionOutcome,
    pub enrolled: usize,
    pub refused: usize,
    /// The drawn order of the holders (student ids) when the section's winners were drawn.
    pub drawn_order: Option<Vec<i32>>,
}

/// The term's policy for oversubscribed sections.
pub const FITS_ONLY: &str = "fits_only";
pub const LOTTERY: &str = "lottery";

#[derive(Debug, Clone, Serialize)]
pub struct AllocationReport {
    pub term_id: i32,
    pub request_id: String,
    /// `fits_only` or `lottery`.
    pub policy: String,
    /// The seed every section's draw of this run came from (`lottery` only).
    pub seed: Option<u64>,
    /// Sections whose winners were drawn.
    pub sections_drawn: usize,
    /// Sections with basket demand, ascending id.
    pub sections: Vec<SectionReport>,
    pub sections_allocated: usize,
    pub sections_oversubscribed: usize,
    pub sections_with_refusals: usize,
    /// Distinct students who got at least one seat.
    pub students_enrolled: usize,
    pub enrollments: usize,
    /// Refusals by rule code.
    pub refusals: BTreeMap<String, usize>,
}

impl fmt::Display for AllocationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "basket allocation of term {} (request {})",
            self.term_id, self.request_id
        )?;
        if let Some(seed) = self.seed {
            writeln!(f, "policy {}, seed {seed}", self.policy)?;
        }
        writeln!(
            f,
            "{:<14} {:>8} {:>8} {:>7} {:<15} {:>9} {:>8}",
            "section", "capacity", "enrolled", "demand", "result", "allocated", "refused"
        )?;
        for s in &self.sections {
            writeln!(
                f,
                "{:<14} {:>8} {:>8} {:>7} {:<15} {:>9} {:>8}",
                s.label,
                s.capacity,
                s.enrolled_before,
                s.demand,
                s.outcome.code(),
                s.enrolled,
                s.refused
            )?;
            if let Some(order) = &s.drawn_order {
                let ids: Vec<String> = order.iter().map(|id| id.to_string()).collect();
                writeln!(f, "  drawn order: {}", ids.join(" "))?;
            }
        }
        writeln!(
            f,
            "sections allocated: {}, drawn: {}, skipped as oversubscribed: {}, with refusals: {}",
            self.sections_allocated,
            self.sections_drawn,
            self.sections_oversubscribed,
            self.sections_with_refusals
        )?;
        writeln!(
            f,
            "students enrolled: {} ({} enrollments)",
            self.students_enrolled, self.enrollments
        )?;
        if self.refusals.is_empty() {
            write!(f, "refusals: none")
        } else {
            let list: Vec<String> = self
                .refusals
                .iter()
                .map(|(code, n)| format!("{code} {n}"))
                .collect();
            write!(f, "refusals: {}", list.join(", "))
        }
    }
}

/// Finds a term by id or by `year-season` (`2026-fall`); the current term when `spec` is `None`.
pub fn find_term(conn: &mut MysqlConnection, spec: Option<&str>) -> Result<Term, AllocationError> {
    let term = match spec.map(str::trim) {
        None | Some("") => crate::catalog::queries::current_term(conn)?,
        Some(s) if s.chars().all(|c| c.is_ascii_digit()) => {
            let id: i32 = s.parse().map_err(|_| AllocationError::NoSuchTerm)?;
            terms::table
                .find(id)
                .select(Term::as_select())
                .first(conn)
                .optional()?
        }
        Some(s) => {
            let (year, season) = s.split_once('-').ok_or(AllocationError::NoSuchTerm)?;
            let year: i16 = year.parse().map_err(|_| AllocationError::NoSuchTerm)?;
            terms::table
                .filter(terms::year.eq(year))
                .filter(terms::season.eq(season.to_ascii_lowercase()))
                .select(Term::as_select())
                .first(conn)
                .optional()?
        }
    };
    term.ok_or(AllocationError::NoSuchTerm)
}

#[derive(QueryableByName)]
struct DemandRow {
    #[diesel(sql_type = Integer)]
    section_id: i32,
    #[diesel(sql_type = Integer)]
    capacity: i32,
    #[diesel(sql_type = Integer)]
    enrolled: i32,
    #[diesel(sql_type = Integer)]
    held_seats: i32,
    #[diesel(sql_type = BigInt)]
    demand: i64,
}

/// Open sections of the term with basket demand (holders not enrolled in them), ascending id.
pub fn demand(conn: &mut MysqlConnection, term_id: i32) -> QueryResult<Vec<Demand>> {
    let rows: Vec<DemandRow> = diesel::sql_query(
        "SELECT s.id AS section_id, s.capacity, s.enrolled, s.held_seats, COUNT(*) AS demand \
         FROM sections s \
         JOIN basket_items b ON b.section_id = s.id \
         LEFT JOIN enrollments e ON e.student_id = b.student_id AND e.section_id = s.id \
         WHERE s.term_id = ? AND s.status = 'open' AND e.id IS NULL \
         GROUP BY s.id, s.capacity, s.enrolled, s.held_seats \
         ORDER BY s.id",
    )
    .bind::<Integer, _>(term_id)
    .load(conn)?;
    let ids: Vec<i32> = rows.iter().map(|r| r.section_id).collect();
    let labels = queries::section_labels(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let label = labels.get(&r.section_id);
            // Held seats wait for their release time: allocation does not hand them out.
            let seats_left = (r.capacity - r.enrolled - r.held_seats).max(0);
            Demand {
                section_id: r.section_id,
                label: label
                    .map(short)
                    .unwrap_or_else(|| format!("#{}", r.section_id)),
                title_ko: label.map(|l| l.title_ko.clone()).unwrap_or_default(),
                title_en: label.map(|l| l.title_en.clone()).unwrap_or_default(),
                capacity: r.capacity,
                enrolled: r.enrolled,
                seats_left,
                demand: r.demand,
                fits: r.demand <= i64::from(seats_left),
            }
        })
        .collect())
}

fn short(l: &SectionLabel) -> String {
    format!("{}-{:02}", l.course_code, l.section_no)
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = Integer)]
    student_id: i32,
}

/// The section's basket holders not enrolled in it, in the order they put it in their basket.
fn holders(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<Vec<i32>> {
    let rows: Vec<Holder> = diesel::sql_query(
        "SELECT b.student_id FROM basket_items b \
         LEFT JOIN enrollments e ON e.student_id = b.student_id AND e.section_id = b.section_id \
         WHERE b.section_id = ? AND e.id IS NULL \
         ORDER BY b.created_at, b.id",
    )
    .bind::<Integer, _>(section_id)
    .load(conn)?;
    Ok(rows.into_iter().map(|h| h.student_id).collect())
}

#[derive(QueryableByName)]
struct Got {
    #[diesel(sql_type = Nullable<BigInt>)]
    got: Option<i64>,
}

/// Lock names are server-wide: the database's name keeps two databases (tests, staging) apart.
const LOCK_NAME: &str = "LEFT(CONCAT('sugang_alloc:', ?, ':', DATABASE()), 64)";

fn get_lock(conn: &mut MysqlConnection, term_id: i32) -> Result<(), AllocationError> {
    let got: Got = diesel::sql_query(format!(
        "SELECT CAST(GET_LOCK({LOCK_NAME}, ?) AS SIGNED) AS got"
    ))
    .bind::<Integer, _>(term_id)
    .bind::<Integer, _>(LOCK_WAIT_SECS)
    .get_result(conn)?;
    match got.got {
        Some(1) => Ok(()),
        _ => Err(AllocationError::Busy),
    }
}

fn release_lock(conn: &mut MysqlConnection, term_id: i32) {
    let released = diesel::sql_query(format!(
        "SELECT CAST(RELEASE_LOCK({LOCK_NAME}) AS SIGNED) AS got"
    ))
    .bind::<Integer, _>(term_id)
    .get_result::<Got>(conn);
    if let Err(e) = released {
        tracing::warn!(error = %e, term.id = term_id, "allocation lock not released");
    }
}

/// Runs the allocation of `term_id`. `actor_id` is the registrar who asked (`None` from the
/// command line); every attempt is logged under `request_id`.
pub fn allocate_baskets(
    conn: &mut MysqlConnection,
    term_id: i32,
    actor_id: Option<i32>,
    request_id: &str,
    seed: Option<u64>,
) -> Result<AllocationReport, AllocationError> {
    let term: Term = terms::table
        .find(term_id)
        .select(Term::as_select())
        .first(conn)
        .optional()?
        .ok_or(AllocationError::NoSuchTerm)?;
    get_lock(conn, term_id)?;
    let seed = (term.allocation_policy == LOTTERY)
        .then(|| seed.unwrap_or_else(|| rand::rngs::OsRng.next_u64()));
    let report = run(conn, &term, actor_id, request_id, seed);
    release_lock(conn, term_id);
    let report = report?;
    tracing::info!(
        term.id = term_id,
        sections = report.sections_allocated,
        oversubscribed = report.sections_oversubscribed,
        students = report.students_enrolled,
        enrollments = report.enrollments,
        "basket allocation"
    );
    Ok(report)
}

/// Sets the term's policy for oversubscribed sections (`FITS_ONLY` or `LOTTERY`).
pub fn set_policy(conn: &mut MysqlConnection, term_id: i32, policy: &str) -> QueryResult<()> {
    diesel::update(terms::table.find(term_id))
        .set(terms::allocation_policy.eq(policy))
        .execute(conn)
        .map(|_| ())
}

/// The order in which the holders of `section_id` are tried in a draw from `seed`: their student
/// ids ascending, shuffled by rand 0.8's `StdRng` (ChaCha12) seeded with `seed XOR section_id`.
pub fn drawn_holders(seed: u64, section_id: i32, holders: &[i32]) -> Vec<i32> {
    let mut order = holders.to_vec();
    order.sort_unstable();
    order.dedup();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(
        seed ^ u64::from(section_id.unsigned_abs()),
    ));
    order
}

/// The activity lines recording a section's draw: the seed and the drawn order, in parts short
/// enough for the log's detail column.
fn draw_lines(
    actor_id: Option<i32>,
    request_id: &str,
    section_id: i32,
    seed: u64,
    order: &[i32],
) -> Vec<NewActivity> {
    let parts = activity::id_parts(order, 400);
    let total = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| NewActivity {
            actor_id,
            student_id: None,
            action: "allocation_draw",
            section_id: Some(section_id),
            outcome: "drawn".into(),
            detail: Some(format!("seed={seed} part={}/{total} order={part}", i + 1)),
            request_id: request_id.to_string(),
            session_ref: None,
            client_ip: None,
        })
        .collect()
}

fn run(
    conn: &mut MysqlConnection,
    term: &Term,
    actor_id: Option<i32>,
    request_id: &str,
    seed: Option<u64>,
) -> Result<AllocationReport, AllocationError> {
    let mut report = AllocationReport {
        term_id: term.id,
        request_id: request_id.to_string(),
        policy: term.allocation_policy.clone(),
        seed,
        sections_drawn: 0,
        sections: Vec::new(),
        sections_allocated: 0,
        sections_oversubscribed: 0,
        sections_with_refusals: 0,
        students_enrolled: 0,
        enrollments: 0,
        refusals: BTreeMap::new(),
    };
    let mut students: HashSet<i32> = HashSet::new();
    for d in demand(conn, term.id)? {
        // Fresh numbers for the decision: first-come-first-served may be running beside us.
        let holders = holders(conn, d.section_id)?;
        let Some(target) = queries::target(conn, d.section_id, term.id)? else {
            continue;
        };
        if holders.is_empty() || target.status != "open" {
            continue;
        }
        let mut section = SectionReport {
            section_id: d.section_id,
            label: d.label.clone(),
            capacity: target.capacity,
            enrolled_before: target.enrolled,
            demand: holders.len() as i64,
            outcome: SectionOutcome::Allocated,
            enrolled: 0,
            refused: 0,
            drawn_order: None,
        };
        let oversubscribed = holders.len() as i64 > i64::from(target.seats_left());
        let holders = match (oversubscribed, seed) {
            (false, _) => holders,
            (true, None) => {
                section.outcome = SectionOutcome::Oversubscribed;
                report.sections_oversubscribed += 1;
                report.sections.push(section);
                continue;
            }
            (true, Some(seed)) => {
                let order = drawn_holders(seed, d.section_id, &holders);
                for line in draw_lines(actor_id, request_id, d.section_id, seed, &order) {
                    activity::record(conn, &line)?;
                }
                section.outcome = SectionOutcome::Drawn;
                section.drawn_order = Some(order.clone());
                order
            }
        };
        for student_id in holders {
            let now = service::now_ms();
            match allocate_one(
                conn,
                term,
                d.section_id,
                student_id,
                actor_id,
                request_id,
                now,
            )? {
                Placed::Enrolled => {
                    section.enrolled += 1;
                    students.insert(student_id);
                }
                Placed::Already => {}
                // The section is full: in a draw, the holders after this one did not win.
                Placed::Refused("section_full") if section.outcome == SectionOutcome::Drawn => {
                    break
                }
                Placed::Refused(code) => {
                    section.refused += 1;
                    *report.refusals.entry(code.to_string()).or_default() += 1;
                }
            }
        }
        if section.outcome == SectionOutcome::Drawn {
            report.sections_drawn += 1;
        } else {
            report.sections_allocated += 1;
        }
        if section.refused > 0 {
            report.sections_with_refusals += 1;
        }
        report.enrollments += section.enrolled;
        report.sections.push(section);
    }
    report.students_enrolled = students.len();
    Ok(report)
}

enum Placed {
    Enrolled,
    /// Enrolled in the section meanwhile (by their own click, or a racing run): not an attempt.
    Already,
    Refused(&'static str),
}

/// A window that is always open: allocation is decided by every rule but the phase window.
fn always_open(term_id: i32) -> Window {
    Window {
        id: 0,
        term_id,
        phase: PHASE.to_string(),
        cohort: "all".to_string(),
        opens_at: NaiveDateTime::MIN,
        closes_at: NaiveDateTime::MAX,
        group_id: None,
        parity: None,
    }
}

fn line(
    actor_id: Option<i32>,
    student_id: i32,
    section_id: i32,
    request_id: &str,
    refusal: Option<&Refusal>,
) -> NewActivity {
    NewActivity {
        actor_id,
        student_id: Some(student_id),
        action: ACTION,
        section_id: Some(section_id),
        outcome: refusal.map_or("ok", Refusal::code).to_string(),
        detail: refusal.map(|r| service::truncate(r.message(Lang::Ko), 500)),
        request_id: request_id.to_string(),
        session_ref: None,
        client_ip: None,
    }
}

/// One holder, one transaction: the student's row, then the section's, then the guarded seat.
fn allocate_one(
    conn: &mut MysqlConnection,
    term: &Term,
    section_id: i32,
    student_id: i32,
    actor_id: Option<i32>,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<Placed, DieselError> {
    let windows = [always_open(term.id)];
    let decided = service::transaction(conn, |conn| {
        let user = queries::lock_student(conn, student_id)?;
        let mut target = queries::target(conn, section_id, term.id)?.ok_or(TxError::NotFound)?;
        let facts = queries::student_facts(conn, &user, term)?;
        let held = queries::held_sections(conn, student_id, term.id, !target.meetings.is_empty())?;
        if held.iter().any(|h| h.section_id == section_id) {
            return Ok(Placed::Already);
        }
        let completed = if target.prerequisites.is_empty() {
            Vec::new()
        } else {
            queries::completed_course_ids(conn, student_id)?
        };
        let check = |target: &Target| {
            rules::check(&rules::Snapshot {
                student: &facts,
                windows: &windows,
                phases: &[PHASE],
                now,
                enrolled: &held,
                completed: &completed,
                target,
            })
        };
        if let Err(r) = check(&target) {
            // Nothing written yet: the refusal's line commits alone.
            activity::record(
                conn,
                &line(actor_id, student_id, section_id, request_id, Some(&r)),
            )?;
            return Ok(Placed::Refused(r.code()));
        }
        let (seats, status) = queries::lock_section(conn, section_id)?;
        target.capacity = seats.capacity;
        target.enrolled = seats.enrolled;
        target.waitlist_capacity = seats.waitlist_capacity;
        target.held_seats = seats.held_seats;
        target.status = status;
        if let Err(r) = check(&target) {
            activity::record(
                conn,
                &line(actor_id, student_id, section_id, request_id, Some(&r)),
            )?;
            return Ok(Placed::Refused(r.code()));
        }
        service::add_seat(conn, student_id, term.id, &target, SOURCE, request_id, now)?;
        // A seat makes a place in this section's waitlist pointless; the basket item has become
        // the enrollment, so a later drop is final and a re-run does not bring it back.
        queries::delete_waitlist(conn, section_id, student_id)?;
        basket::settle(conn, student_id, section_id)?;
        activity::record(
            conn,
            &line(actor_id, student_id, section_id, request_id, None),
        )?;
        let section = |lang| target.label.show(lang);
        notices::post(
            conn,
            student_id,
            NoticeKind::RegistrarChange,
            &Lang::Ko.format("notice.basket_allocated", &[("section", section(Lang::Ko))]),
            &Lang::En.format("notice.basket_allocated", &[("section", section(Lang::En))]),
        )?;
        Ok(Placed::Enrolled)
    });
    let placed = match decided {
        Ok(placed) => Ok(placed),
        Err(TxError::Aborted(Refusal::AlreadyEnrolled)) => Ok(Placed::Already),
        // A constraint or the guarded counter said no after a write: rolled back, then logged.
        Err(TxError::Aborted(r)) | Err(TxError::Refused(r)) => {
            activity::record(
                conn,
                &line(actor_id, student_id, section_id, request_id, Some(&r)),
            )?;
            Ok(Placed::Refused(r.code()))
        }
        Err(TxError::NotFound) => Ok(Placed::Already),
        Err(TxError::Db(e)) => Err(e),
    }?;
    let outcome = match &placed {
        Placed::Enrolled => "ok",
        Placed::Already => return Ok(placed),
        Placed::Refused(code) => code,
    };
    metrics::counter!("sugang_basket_allocation_total", "outcome" => outcome).increment(1);
    Ok(placed)
}
