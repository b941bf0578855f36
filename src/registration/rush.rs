//! Enroll as registration opening needs it. Per attempt:
//!
//! 1. the frame — the current term's catalog and windows — comes from this instance's memory
//!    (checked against the catalog version at most every `SUGANG_FRAME_MAX_AGE_MS`);
//! 2. a section the seats-left signal says is full is refused without a transaction or a row
//!    lock: the rules run in their order over plain reads of the student's standing with the
//!    section counted full; the activity line is written in a shared batch before the answer
//!    leaves;
//! 3. everything else runs the enroll transaction (`service::enroll_in`), whose locked counter
//!    alone grants seats, and the new seats-left figure is published after the commit.
//!
//! Refusals found inside the transaction (a rule, or the section found full under its lock)
//! roll back and are logged through the same batch.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::catalog::Window;
use crate::registration::queries;
use crate::registration::rules::Refusal;
use crate::registration::service::{self, Attempt, Frame, Receipt, TxError};
use crate::startup::AppState;
use crate::web::AppError;

/// Windows of a term and when they were read.
type Cached = (Instant, i32, Arc<Vec<Window>>);

/// The current term's windows, cached per instance.
#[derive(Default)]
pub struct WindowCache {
    slot: RwLock<Option<Cached>>,
}

impl WindowCache {
    fn get(&self, term_id: i32, max_age: Duration) -> Option<Arc<Vec<Window>>> {
        let slot = self.slot.read().ok()?;
        slot.as_ref()
            .filter(|(at, id, _)| *id == term_id && at.elapsed() < max_age)
            .map(|(_, _, w)| w.clone())
    }

    fn put(&self, term_id: i32, windows: Arc<Vec<Window>>) {
        if let Ok(mut slot) = self.slot.write() {
            *slot = Some((Instant::now(), term_id, windows));
        }
    }
}

/// The frame of the current term; `None` when no term is current.
pub async fn frame(app: &AppState) -> Result<Option<Frame>, AppError> {
    let Some(catalog) = app
        .catalog
        .snapshot_within(&app.db, &app.cache, app.settings.frame_max_age)
        .await?
    else {
        return Ok(None);
    };
    let term_id = catalog.term.id;
    let windows = match app.windows.get(term_id, app.settings.frame_max_age) {
        Some(w) => w,
        None => {
            let w = Arc::new(
                app.db
                    .run(move |conn| Ok(queries::windows(conn, term_id)?))
                    .await?,
            );
            app.windows.put(term_id, w.clone());
            w
        }
    };
    Ok(Some(Frame { catalog, windows }))
}

/// One enroll attempt of `a` for `section_id`, as described above.
pub async fn enroll(app: &AppState, a: Attempt, section_id: i32) -> Result<Receipt, AppError> {
    let now = service::now_ms();
    let Some(frame) = frame(app).await? else {
        // No current term: no window can be open.
        let closed = TxError::Refused(Refusal::WindowClosed { opens_at: None });
        return Err(refused(app, &a, section_id, closed, true).await);
    };
    if app.seats.is_full(section_id) {
        if let Some(capacity) = frame
            .catalog
            .section(section_id)
            .filter(|s| s.status == "open")
            .map(|s| s.capacity)
        {
            let (attempt, frame) = (a.clone(), frame.clone());
            let refusal = app
                .db
                .run(move |conn| {
                    Ok(service::refuse_full(
                        conn, &attempt, &frame, section_id, capacity, now,
                    ))
                })
                .await??;
            return Err(refused(app, &a, section_id, TxError::Refused(refusal), true).await);
        }
    }
    let attempt = a.clone();
    let decided = app
        .db
        .run(move |conn| Ok(service::enroll_in(conn, &attempt, &frame, section_id, now)))
        .await?;
    match decided {
        Ok((receipt, seats_left)) => {
            decision(&a, section_id, "ok", false);
            app.seats.publish(&[(section_id, seats_left)]);
            Ok(receipt)
        }
        Err(e) => {
            if let TxError::Aborted(Refusal::SectionFull { .. }) = &e {
                // Found full under the row lock: from now on the signal answers for it.
                app.seats.publish(&[(section_id, 0)]);
            }
            Err(refused(app, &a, section_id, e, false).await)
        }
    }
}

/// Counts and logs one decision of the hot path.
fn decision(a: &Attempt, section_id: i32, outcome: &str, fast: bool) {
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

/// A refused attempt: its activity line goes into the shared batch, and the answer leaves only
/// once the line is written (without it, the student is told to retry). `fast`: decided without
/// a transaction.
async fn refused(app: &AppState, a: &Attempt, section_id: i32, e: TxError, fast: bool) -> AppError {
    let Some(line) = service::refusal_line(a, section_id, &e) else {
        return e.into();
    };
    let outcome = line.outcome.clone();
    if !app.activity.record(line).await {
        return AppError::Unavailable("activity log unavailable".into());
    }
    decision(a, section_id, &outcome, fast);
    e.into()
}
