//! Decisions in batches: every enroll attempt of the instance goes through one queue, and a few
//! decision workers each take whatever is queued (up to `SUGANG_DECISION_BATCH` attempts) and
//! decide it in one READ COMMITTED transaction. While one batch commits the next one fills, so
//! the batch size grows with the load and a lone attempt waits for nothing (group commit).
//!
//! One batch transaction:
//! 1. locks the batch's students (`users` rows, ascending id), then the sections its attempts
//!    may take (ascending id) — the global lock order of `registration::service`, so a batch
//!    never deadlocks with another batch and meets drops, swaps and registrar changes in the
//!    order they use too;
//! 2. reads the standing of all its students in set-based statements: holds, enrollments of the
//!    term, completed courses (only for students whose targets have prerequisites);
//! 3. decides the attempts in arrival order with the ordered rules (`rules::check`) over that
//!    state in memory, updating it after each grant, so two attempts of one student see each
//!    other and the reason codes are those of a single attempt;
//! 4. writes the grants in one multi-row INSERT, the counters in one guarded UPDATE, the waitlist
//!    lines the grants make obsolete in one DELETE, and the activity lines of every attempt
//!    (granted or refused) in one multi-row INSERT; commits; and only then answers.
//!
//! An attempt for a section the seats-left signal says is full (`assume_full`) is decided in the
//! same batch without locking the section (counted full) unless another attempt of the batch
//! locks it anyway, in which case it sees the live counter.
//!
//! A deadlock or lock time-out retries the batch; a batch that keeps failing is split in halves,
//! down to single attempts, which take the one-attempt path (`service::enroll_in`). Whatever
//! fails is rolled back whole, and each attempt is answered exactly once.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::activity::NewActivity;
use crate::auth::models::User;
use crate::catalog::Window;
use crate::db::schema::{
    activity_log, completed_courses, enrollments, holds, sections, users, waitlist_entries,
};
use crate::db::tx::{is_in_doubt, is_retryable};
use crate::db::{is_connection_error, Db, DbError};
use crate::registration::queries::{self, NewEnrollment, Seats};
use crate::registration::rules::{self, Held, Refusal, StudentFacts, Target, CHANGE_PHASES};
use crate::registration::seats::SeatSignal;
use crate::registration::service::{self, Attempt, Frame, Receipt, SectionSummary, TxError};

/// What one attempt came to: the receipt and the seats left after the commit, or why not.
pub type Decided = Result<(Receipt, i32), TxError>;

/// One enroll attempt waiting in the queue, with where its decision goes.
struct Job {
    data: JobData,
    answer: oneshot::Sender<Decided>,
}

/// How the batcher is sized (`SUGANG_DECISION_WORKERS`, `SUGANG_DECISION_BATCH`).
#[derive(Debug, Clone, Copy)]
pub struct Sizing {
    pub workers: usize,
    pub batch: usize,
}

/// The queue in front of the decision workers.
#[derive(Clone)]
pub struct Decider {
    tx: mpsc::Sender<Vec<Job>>,
    depth: Arc<AtomicUsize>,
}

/// Times a failing batch is tried again whole before it is split.
const BATCH_ATTEMPTS: u32 = 3;

impl Decider {
    /// Starts `sizing.workers` decision workers on the current runtime.
    pub fn spawn(db: Db, seats: Arc<SeatSignal>, sizing: Sizing) -> Decider {
        let workers = sizing.workers.max(1);
        let limit = sizing.batch.max(1);
        let (tx, rx) = mpsc::channel::<Vec<Job>>(workers * limit * 8);
        let rx = Arc::new(Mutex::new(rx));
        let depth = Arc::new(AtomicUsize::new(0));
        for _ in 0..workers {
            let (rx, depth, db, seats) = (rx.clone(), depth.clone(), db.clone(), seats.clone());
            tokio::spawn(async move {
                while let Some(batch) = take(&rx, &depth, limit).await {
                    decide(&db, &seats, batch).await;
                }
            });
        }
        Decider { tx, depth }
    }

    /// Attempts queued and not yet taken by a worker.
    pub fn depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }

    /// Decides `section_id` for `a`; answers once the decision is committed.
    pub async fn decide(&self, job: JobData) -> Decided {
        let mut answers = self.decide_all(vec![job]).await;
        answers.pop().unwrap_or_else(|| Err(busy()))
    }

    /// Decides the attempts in the order given, as one unit of the queue (a worker takes them
    /// together, in that order); answers in the same order.
    pub async fn decide_all(&self, attempts: Vec<JobData>) -> Vec<Decided> {
        let mut waits = Vec::with_capacity(attempts.len());
        let jobs: Vec<Job> = attempts
            .into_iter()
            .map(|data| {
                let (answer, wait) = oneshot::channel();
                waits.push(wait);
                Job { data, answer }
            })
            .collect();
        let n = jobs.len();
        self.depth.fetch_add(n, Ordering::Relaxed);
        metrics::gauge!("sugang_decision_queue_depth").set(self.depth() as f64);
        if self.tx.send(jobs).await.is_err() {
            self.depth.fetch_sub(n, Ordering::Relaxed);
            return (0..n).map(|_| Err(busy())).collect();
        }
        let mut out = Vec::with_capacity(n);
        for wait in waits {
            // A worker that stopped mid-batch (the runtime shutting down) dropped the sender.
            out.push(wait.await.unwrap_or_else(|_| Err(busy())));
        }
        out
    }
}

/// The answer when a batch could not be decided: nothing of it was written.
fn busy() -> TxError {
    TxError::Db(DieselError::DatabaseError(
        DatabaseErrorKind::SerializationFailure,
        Box::new("registration busy: the decision could not be made".to_string()),
    ))
}

/// The next batch: waits for one unit, then adds what is already queued, up to `limit` attempts.
async fn take(
    rx: &Mutex<mpsc::Receiver<Vec<Job>>>,
    depth: &AtomicUsize,
    limit: usize,
) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let mut batch = rx.recv().await?;
    while batch.len() < limit {
        match rx.try_recv() {
            Ok(more) => batch.extend(more),
            Err(_) => break,
        }
    }
    drop(rx);
    depth.fetch_sub(batch.len(), Ordering::Relaxed);
    metrics::gauge!("sugang_decision_queue_depth").set(depth.load(Ordering::Relaxed) as f64);
    Some(batch)
}

/// Decides one batch, publishes the seats left it saw, and answers each of its attempts.
async fn decide(db: &Db, seats: &Arc<SeatSignal>, batch: Vec<Job>) {
    // A batch decides for one term; attempts whose frame names another (the current term changed
    // while they queued) form their own batches, in order.
    let mut groups: Vec<Vec<Job>> = Vec::new();
    for job in batch {
        match groups
            .last_mut()
            .filter(|g| g[0].data.frame.catalog.term.id == job.data.frame.catalog.term.id)
        {
            Some(g) => g.push(job),
            None => groups.push(vec![job]),
        }
    }
    for group in groups {
        let (jobs, answers): (Vec<JobData>, Vec<oneshot::Sender<Decided>>) =
            group.into_iter().map(|j| (j.data, j.answer)).unzip();
        let n = jobs.len();
        let sections: Vec<i32> = jobs.iter().map(|j| j.section_id).collect();
        let started = Instant::now();
        let decided = db.run(move |conn| Ok(decide_split(conn, &jobs))).await;
        metrics::histogram!("sugang_decision_batch_size").record(n as f64);
        metrics::histogram!("sugang_decision_batch_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        match decided {
            Ok(outcomes) => {
                seats.publish(&seat_changes(&sections, &outcomes));
                for (answer, outcome) in answers.into_iter().zip(outcomes) {
                    let _ = answer.send(outcome);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, attempts = n, "decision batch not run");
                for answer in answers {
                    let _ = answer.send(Err(match &e {
                        DbError::Unavailable(m) => TxError::Db(DieselError::DatabaseError(
                            DatabaseErrorKind::ClosedConnection,
                            Box::new(m.clone()),
                        )),
                        DbError::Query(_) => busy(),
                    }));
                }
            }
        }
    }
}

/// The seats-left figures a decided batch shows: after the last grant of a section, and 0 for a
/// section found full. One figure per section, the latest.
fn seat_changes(sections: &[i32], outcomes: &[Decided]) -> Vec<(i32, i32)> {
    let mut last: HashMap<i32, i32> = HashMap::new();
    for (&section, outcome) in sections.iter().zip(outcomes) {
        match outcome {
            Ok((_, left)) => {
                last.insert(section, *left);
            }
            Err(TxError::Refused(Refusal::SectionFull { .. }))
            | Err(TxError::Aborted(Refusal::SectionFull { .. })) => {
                last.insert(section, 0);
            }
            Err(_) => {}
        }
    }
    last.into_iter().collect()
}

/// One enroll attempt to decide.
#[derive(Clone)]
pub struct JobData {
    pub attempt: Attempt,
    pub section_id: i32,
    /// The attempt's own instant (arrival): windows are judged and receipts dated by it.
    pub now: DateTime<Utc>,
    /// The seats-left signal said the section is full when the attempt arrived.
    pub assume_full: bool,
    pub frame: Frame,
}

/// Decides `jobs` as one transaction, retrying a deadlock victim, then in halves; a single
/// attempt takes the one-attempt path. Returns one outcome per job, in order.
pub fn decide_split(conn: &mut MysqlConnection, jobs: &[JobData]) -> Vec<Decided> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let mut attempt = 0;
    let failure = loop {
        attempt += 1;
        match conn.transaction(|c| decide_tx(c, jobs)) {
            Ok(outcomes) => {
                for (job, outcome) in jobs.iter().zip(&outcomes) {
                    count(job, outcome);
                }
                return outcomes;
            }
            Err(e) if is_connection_error(&e) => break e,
            Err(e) if attempt < BATCH_ATTEMPTS && is_retryable(&e) => {
                metrics::counter!("sugang_decision_batch_retries_total", "kind" => "retry")
                    .increment(1);
                tracing::debug!(attempt, size = jobs.len(), error = %e, "decision batch retried");
                let jitter: u64 = rand::random::<u64>() % 5;
                std::thread::sleep(Duration::from_millis(u64::from(attempt) + jitter));
            }
            Err(e) => break e,
        }
    };
    if is_connection_error(&failure) {
        // The connection is gone. Before the COMMIT nothing was written; a COMMIT without an
        // answer leaves every attempt of the batch in doubt (see `tx::is_in_doubt`), and an
        // idempotent retry settles each from the rows it would have written.
        tracing::warn!(
            error = %failure,
            size = jobs.len(),
            in_doubt = is_in_doubt(&failure),
            "decision batch lost its connection"
        );
        return jobs
            .iter()
            .map(|_| Err(TxError::Db(clone_error(&failure))))
            .collect();
    }
    if jobs.len() == 1 {
        return vec![single(conn, &jobs[0])];
    }
    metrics::counter!("sugang_decision_batch_retries_total", "kind" => "split").increment(1);
    tracing::info!(size = jobs.len(), error = %failure, "decision batch split in halves");
    let (first, second) = jobs.split_at(jobs.len() / 2);
    let mut out = decide_split(conn, first);
    out.extend(decide_split(conn, second));
    out
}

/// One attempt alone, on the one-attempt path: its refusal lines (written after a roll-back) are
/// recorded here, so the batch path and this one leave the same activity log.
fn single(conn: &mut MysqlConnection, job: &JobData) -> Decided {
    let a = &job.attempt;
    let outcome = service::enroll_in(conn, a, &job.frame, job.section_id, job.now);
    if let Err(e) = &outcome {
        if let Some(line) = service::refusal_line(a, job.section_id, e) {
            if let Err(write) = crate::activity::record(conn, &line) {
                return Err(TxError::Db(write));
            }
        }
    }
    count(job, &outcome);
    outcome
}

/// Counts and logs one decision.
fn count(job: &JobData, outcome: &Decided) {
    let code = match outcome {
        Ok(_) => "ok",
        Err(TxError::Refused(r)) | Err(TxError::Aborted(r)) => r.code(),
        Err(TxError::NotFound) => "not_found",
        Err(TxError::Db(_)) => return,
    };
    let fast = job.assume_full && outcome.is_err();
    count_decision(&job.attempt, job.section_id, code, fast);
}

/// Counts and logs one enroll decision. `fast`: refused without the section's row lock.
pub(crate) fn count_decision(a: &Attempt, section_id: i32, outcome: &str, fast: bool) {
    metrics::counter!("sugang_registration_decisions_total", "outcome" => outcome.to_string())
        .increment(1);
    if fast {
        metrics::counter!("sugang_registration_fast_refusals_total").increment(1);
    }
    tracing::info!(
        student.id = a.student_id,
        section.id = section_id,
        action = "enroll",
        outcome,
        fast,
        "registration"
    );
}

/// A copy of `e` for each attempt of a failed batch: a lost connection stays one (so the answer
/// is 503), a commit in doubt stays in doubt, anything else keeps its message.
fn clone_error(e: &DieselError) -> DieselError {
    if let DieselError::RollbackErrorOnCommit { commit_error, .. } = e {
        return DieselError::RollbackErrorOnCommit {
            rollback_error: Box::new(DieselError::BrokenTransactionManager),
            commit_error: Box::new(clone_error(commit_error)),
        };
    }
    let kind = if is_connection_error(e) {
        DatabaseErrorKind::ClosedConnection
    } else {
        DatabaseErrorKind::Unknown
    };
    let message = match e {
        DieselError::DatabaseError(_, info) => info.message().to_string(),
        other => other.to_string(),
    };
    DieselError::DatabaseError(kind, Box::new(message))
}

/// One student's standing as the batch reads it, updated after each grant.
struct Standing {
    facts: StudentFacts,
    held: Vec<Held>,
    completed: Vec<i32>,
}

/// Counters of a section locked by the batch, updated after each grant.
struct Locked {
    seats: Seats,
    status: String,
    granted: i32,
}

/// What the transaction decides for each job before it writes.
enum Plan {
    Grant { target: Target, credits_total: i32 },
    Refuse(Refusal),
    NotFound,
}

/// The batch transaction (see the module's note). An error rolls everything back.
fn decide_tx(conn: &mut MysqlConnection, jobs: &[JobData]) -> QueryResult<Vec<Decided>> {
    let frame = &jobs[0].frame;
    let term = &frame.catalog.term;

    // 1. The students, locked in ascending id, and their standing.
    let ids: BTreeSet<i32> = jobs.iter().map(|j| j.attempt.student_id).collect();
    let ids: Vec<i32> = ids.into_iter().collect();
    let users: Vec<User> = users::table
        .filter(users::id.eq_any(&ids))
        .order(users::id)
        .select(User::as_select())
        .for_update()
        .load(conn)?;
    let mut holds_of: HashMap<i32, Vec<String>> = HashMap::new();
    for (student, reason) in holds::table
        .filter(holds::student_id.eq_any(&ids))
        .filter(holds::released_at.is_null())
        .order((holds::student_id, holds::created_at, holds::id))
        .select((holds::student_id, holds::reason))
        .load::<(i32, String)>(conn)?
    {
        holds_of.entry(student).or_default().push(reason);
    }
    let mut held_ids: HashMap<i32, Vec<i32>> = HashMap::new();
    for (student, section) in enrollments::table
        .filter(enrollments::term_id.eq(term.id))
        .filter(enrollments::student_id.eq_any(&ids))
        .order((
            enrollments::student_id,
            enrollments::created_at,
            enrollments::id,
        ))
        .select((enrollments::student_id, enrollments::section_id))
        .load::<(i32, i32)>(conn)?
    {
        held_ids.entry(student).or_default().push(section);
    }
    let need_completed: BTreeSet<i32> = jobs
        .iter()
        .filter(|j| {
            j.frame
                .catalog
                .section(j.section_id)
                .is_some_and(|s| !s.prerequisites.is_empty())
        })
        .map(|j| j.attempt.student_id)
        .collect();
    let mut completed_of: HashMap<i32, Vec<i32>> = HashMap::new();
    if !need_completed.is_empty() {
        let need: Vec<i32> = need_completed.into_iter().collect();
        for (student, course) in completed_courses::table
            .filter(completed_courses::student_id.eq_any(&need))
            .select((completed_courses::student_id, completed_courses::course_id))
            .load::<(i32, i32)>(conn)?
        {
            completed_of.entry(student).or_default().push(course);
        }
    }
    // Group memberships in one statement, and only when a window of the term targets a group.
    let mut groups_of = if jobs.iter().any(|j| Window::any_group(&j.frame.windows)) {
        queries::group_ids_of(conn, &ids)?
    } else {
        HashMap::new()
    };
    let mut standing: HashMap<i32, Standing> = HashMap::new();
    for user in users {
        let ids = held_ids.remove(&user.id).unwrap_or_default();
        let held = match frame.held(&ids) {
            Some(held) => held,
            // A section missing from the cached catalog: read them from MySQL.
            None => queries::held_sections(conn, user.id, term.id, true)?,
        };
        let facts = StudentFacts {
            id: user.id,
            status: user.status.clone(),
            department_id: user.department_id,
            class_year: user.class_year,
            credit_limit: i32::from(user.max_credits.unwrap_or(term.max_credits)),
            holds: holds_of.remove(&user.id).unwrap_or_default(),
            number: user.login_id.clone(),
            groups: groups_of.remove(&user.id).unwrap_or_default(),
        };
        standing.insert(
            user.id,
            Standing {
                facts,
                held,
                completed: completed_of.remove(&user.id).unwrap_or_default(),
            },
        );
    }

    // 2. The sections worth locking: targets of attempts that pass the rules which do not look
    //    at the counters (as if a seat were free). A refusal there stays a refusal after any
    //    grant of the batch (grants only add to a standing), so those sections are not locked.
    let free = Seats {
        capacity: 1,
        enrolled: 0,
        waitlist_capacity: 0,
        held_seats: 0,
    };
    let mut lock: BTreeSet<i32> = BTreeSet::new();
    for j in jobs.iter().filter(|j| !j.assume_full) {
        let (Some(s), Some(target)) = (
            standing.get(&j.attempt.student_id),
            target(&j.frame, j.section_id, free, None),
        ) else {
            continue;
        };
        if check(s, &j.frame, &target, j.now).is_ok() {
            lock.insert(j.section_id);
        }
    }
    let mut locked: HashMap<i32, Locked> = HashMap::new();
    if !lock.is_empty() {
        let lock: Vec<i32> = lock.into_iter().collect();
        for (id, capacity, enrolled, waitlist_capacity, held_seats, status) in sections::table
            .filter(sections::id.eq_any(&lock))
            .order(sections::id)
            .select((
                sections::id,
                sections::capacity,
                sections::enrolled,
                sections::waitlist_capacity,
                sections::held_seats,
                sections::status,
            ))
            .for_update()
            .load::<(i32, i32, i32, i32, i32, String)>(conn)?
        {
            locked.insert(
                id,
                Locked {
                    seats: Seats {
                        capacity,
                        enrolled,
                        waitlist_capacity,
                        held_seats,
                    },
                    status,
                    granted: 0,
                },
            );
        }
    }

    // 3. Decide in arrival order over the state in memory.
    let mut plans = Vec::with_capacity(jobs.len());
    for j in jobs {
        let Some(s) = standing.get_mut(&j.attempt.student_id) else {
            // No such student row: the session outlived its account.
            plans.push(Plan::NotFound);
            continue;
        };
        let live = locked.get(&j.section_id).map(|l| {
            (
                Seats {
                    capacity: l.seats.capacity,
                    enrolled: l.seats.enrolled + l.granted,
                    waitlist_capacity: l.seats.waitlist_capacity,
                    held_seats: l.seats.held_seats,
                },
                l.status.clone(),
            )
        });
        let seats = match (&live, j.assume_full) {
            (Some((seats, _)), _) => *seats,
            (None, true) => {
                let capacity = j
                    .frame
                    .catalog
                    .section(j.section_id)
                    .map_or(0, |s| s.capacity);
                Seats {
                    capacity,
                    enrolled: capacity,
                    waitlist_capacity: j
                        .frame
                        .catalog
                        .section(j.section_id)
                        .map_or(0, |s| s.waitlist_capacity),
                    held_seats: 0,
                }
            }
            (None, false) => free,
        };
        let Some(target) = target(&j.frame, j.section_id, seats, live.map(|(_, st)| st)) else {
            plans.push(Plan::NotFound);
            continue;
        };
        match check(s, &j.frame, &target, j.now) {
            Err(r) => plans.push(Plan::Refuse(r)),
            Ok(()) if !locked.contains_key(&j.section_id) => {
                // Counted full (or never locked): the signal answers as a full section would.
                plans.push(Plan::Refuse(Refusal::SectionFull {
                    waitlist: target.waitlist_capacity > 0,
                }))
            }
            Ok(()) => {
                let credits_total = s.held.iter().map(|h| h.credits).sum::<i32>() + target.credits;
                s.held.push(Held {
                    section_id: target.id,
                    course_id: target.course_id,
                    credits: target.credits,
                    label: target.label.clone(),
                    meetings: target.meetings.clone(),
                });
                if let Some(l) = locked.get_mut(&j.section_id) {
                    l.granted += 1;
                }
                plans.push(Plan::Grant {
                    target,
                    credits_total,
                });
            }
        }
    }

    // 4. The writes, then the answers.
    let grants: Vec<NewEnrollment<'_>> = jobs
        .iter()
        .zip(&plans)
        .filter_map(|(j, p)| match p {
            Plan::Grant { target, .. } => Some(NewEnrollment {
                student_id: j.attempt.student_id,
                section_id: target.id,
                term_id: term.id,
                course_id: target.course_id,
                source: "student",
                request_id: Some(&j.attempt.request_id),
                created_at: j.now.naive_utc(),
            }),
            _ => None,
        })
        .collect();
    if !grants.is_empty() {
        diesel::insert_into(enrollments::table)
            .values(&grants)
            .execute(conn)?;
    }
    // One guarded UPDATE for every section the batch granted seats in (one round trip however
    // many sections): each counter grows by its grants only while it stays within capacity
    // (held seats count as taken).
    let granted: Vec<(i32, i32)> = locked
        .iter()
        .filter(|(_, l)| l.granted > 0)
        .map(|(&id, l)| (id, l.granted))
        .collect();
    if !granted.is_empty() {
        let case: String = granted
            .iter()
            .map(|(id, k)| format!(" WHEN {id} THEN {k}"))
            .collect();
        let ids: Vec<String> = granted.iter().map(|(id, _)| id.to_string()).collect();
        // Only integers of this process go into the statement.
        let n = diesel::sql_query(format!(
            "UPDATE sections SET enrolled = enrolled + CASE id{case} END \
             WHERE id IN ({ids}) AND enrolled + held_seats + CASE id{case} END <= capacity",
            ids = ids.join(",")
        ))
        .execute(conn)?;
        if n != granted.len() {
            // Cannot happen under the locks; if it does, nothing of the batch stands.
            return Err(DieselError::RollbackTransaction);
        }
    }
    let leave_line: Vec<(i32, i32)> = jobs
        .iter()
        .zip(&plans)
        .filter_map(|(j, p)| match p {
            Plan::Grant { target, .. } if target.waitlist_capacity > 0 => {
                Some((target.id, j.attempt.student_id))
            }
            _ => None,
        })
        .collect();
    if !leave_line.is_empty() {
        // A student who gets the seat without waiting leaves the line for it.
        type Cond = Box<
            dyn BoxableExpression<
                waitlist_entries::table,
                diesel::mysql::Mysql,
                SqlType = diesel::sql_types::Bool,
            >,
        >;
        let cond = leave_line
            .iter()
            .map(|&(section, student)| -> Cond {
                Box::new(
                    waitlist_entries::section_id
                        .eq(section)
                        .and(waitlist_entries::student_id.eq(student)),
                )
            })
            .reduce(|a, b| Box::new(a.or(b)))
            .expect("one line at least");
        diesel::delete(waitlist_entries::table.filter(cond)).execute(conn)?;
    }
    let lines: Vec<NewActivity> = jobs
        .iter()
        .zip(&plans)
        .map(|(j, p)| {
            let a = &j.attempt;
            match p {
                Plan::Grant { .. } => a.activity("enroll", "ok", Some(j.section_id)),
                Plan::Refuse(r) => {
                    let mut line = a.activity("enroll", r.code(), Some(j.section_id));
                    line.detail = Some(service::truncate(r.message(a.lang), 500));
                    line
                }
                Plan::NotFound => a.activity("enroll", "not_found", Some(j.section_id)),
            }
        })
        .collect();
    diesel::insert_into(activity_log::table)
        .values(&lines)
        .execute(conn)?;

    Ok(jobs
        .iter()
        .zip(plans)
        .map(|(j, p)| match p {
            Plan::Grant {
                target,
                credits_total,
            } => {
                let l = &locked[&target.id];
                let seats_left = l.seats.free() - l.granted;
                Ok((
                    Receipt {
                        request_id: j.attempt.request_id.clone(),
                        enrolled_at: j.now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        section: SectionSummary::of(&target),
                        credits_total,
                    },
                    seats_left,
                ))
            }
            Plan::Refuse(r) => Err(TxError::Refused(r)),
            Plan::NotFound => Err(TxError::NotFound),
        })
        .collect())
}

/// The section as the rules see it: from the frame's catalog, with the given counters, and
/// the locked status when there is one.
fn target(frame: &Frame, section_id: i32, seats: Seats, status: Option<String>) -> Option<Target> {
    let item = frame.catalog.section(section_id)?;
    let status = status.unwrap_or_else(|| item.status.clone());
    Some(service::target_of(item, seats, status))
}

fn check(s: &Standing, frame: &Frame, target: &Target, now: DateTime<Utc>) -> Result<(), Refusal> {
    rules::check(&rules::Snapshot {
        student: &s.facts,
        windows: &frame.windows,
        phases: CHANGE_PHASES,
        now,
        enrolled: &s.held,
        completed: &s.completed,
        target,
    })
}
