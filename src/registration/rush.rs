//! Enroll as registration opening needs it. Per attempt:
//!
//! 1. the frame — the current term's catalog and windows — comes from this instance's memory
//!    (checked against the catalog version at most every `SUGANG_FRAME_MAX_AGE_MS`);
//! 2. the attempt joins the decision queue (`registration::batch`), marked when the seats-left
//!    signal says its section is full (decided without locking the section);
//! 3. a decision worker decides it with the other attempts of its batch in one transaction,
//!    whose locked counters alone grant seats; the activity line of every attempt is written in
//!    that transaction, and the seats-left figures are published after the commit.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::app::AppState;
use crate::catalog::Window;
use crate::registration::batch::JobData;
use crate::registration::queries;
use crate::registration::rules::Refusal;
use crate::registration::service::{self, Attempt, Frame, Receipt, TxError};
use crate::registration::Engine;
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
pub async fn frame(app: &AppState, engine: &Engine) -> Result<Option<Frame>, AppError> {
    let Some(catalog) = engine
        .catalog
        .snapshot_within(&app.db, &app.cache, app.settings.frame_max_age)
        .await?
    else {
        return Ok(None);
    };
    let term_id = catalog.term.id;
    let windows = match engine.windows.get(term_id, app.settings.frame_max_age) {
        Some(w) => w,
        None => {
            let w = Arc::new(
                app.db
                    .query(move |conn| queries::windows(conn, term_id))
                    .await?,
            );
            engine.windows.put(term_id, w.clone());
            w
        }
    };
    Ok(Some(Frame { catalog, windows }))
}

/// One enroll attempt of `a` for `section_id`, as described above.
pub async fn enroll(
    app: &AppState,
    engine: &Engine,
    a: Attempt,
    section_id: i32,
) -> Result<Receipt, AppError> {
    let mut answers = enroll_all(app, engine, vec![(a, section_id)]).await;
    answers
        .pop()
        .unwrap_or_else(|| Err(AppError::Unavailable("registration busy".into())))
}

/// Enroll attempts decided in the order given (one unit of the decision queue): the opening
/// draw's drawn order, or one student's basket. Answers in the same order.
pub async fn enroll_all(
    app: &AppState,
    engine: &Engine,
    attempts: Vec<(Attempt, i32)>,
) -> Vec<Result<Receipt, AppError>> {
    let now = service::now_ms();
    let frame = match frame(app, engine).await {
        Ok(frame) => frame,
        Err(e) => {
            let message = e.to_string();
            return attempts
                .iter()
                .map(|_| Err(AppError::Unavailable(message.clone())))
                .collect();
        }
    };
    let Some(frame) = frame else {
        // No current term: no window can be open.
        let mut out = Vec::with_capacity(attempts.len());
        for (a, section_id) in attempts {
            let closed = TxError::Refused(Refusal::WindowClosed { opens_at: None });
            out.push(Err(refused(engine, &a, section_id, closed, true).await));
        }
        return out;
    };
    let jobs: Vec<_> = attempts
        .into_iter()
        .map(|(a, section_id)| {
            let assume_full = engine.seats.is_full(section_id)
                && frame
                    .catalog
                    .section(section_id)
                    .is_some_and(|s| s.status == "open");
            JobData {
                attempt: a,
                section_id,
                now,
                assume_full,
                frame: frame.clone(),
            }
        })
        .collect();
    let decided = engine.decider.decide_all(jobs).await;
    decided
        .into_iter()
        .map(|outcome| outcome.map(|(receipt, _)| receipt).map_err(AppError::from))
        .collect()
}

/// A refused attempt: its activity line goes into the shared batch, and the answer leaves only
/// once the line is written (without it, the student is told to retry). `fast`: decided without
/// a transaction.
async fn refused(
    engine: &Engine,
    a: &Attempt,
    section_id: i32,
    e: TxError,
    fast: bool,
) -> AppError {
    let Some(line) = service::refusal_line(a, section_id, &e) else {
        return e.into();
    };
    let outcome = line.outcome.clone();
    if !engine.activity.record(line).await {
        return AppError::Unavailable("activity log unavailable".into());
    }
    crate::registration::batch::count_decision(a, section_id, &outcome, fast);
    e.into()
}
