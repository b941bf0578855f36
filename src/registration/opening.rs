//! The opening draw: enroll requests that arrive in the first `SUGANG_OPENING_DRAW_SPAN_MS`
//! after a `register` window opens are not decided in arrival order. They are collected, and at
//! the end of the span decided one after the other in a random order drawn once from a seed; the
//! seed and the drawn order go into the activity log (action `opening_draw`) and onto the
//! registrar dashboard. Before the window opens a request is refused `window_closed` with the
//! opening time by the hot path itself and earns no position; after the span, first come first
//! served (`rush::enroll`) as before.
//!
//! Each instance collects its own arrivals and releases them at the same instant (the window's
//! opening plus the span, on clocks the deployment keeps in sync), each in an independent random
//! order: whichever instance a request lands on, its place among the requests of the span does
//! not depend on when inside the span it arrived, so firing early inside the span buys nothing.
//!
//! The draw sits in front of the enroll entry point: the drawn order is handed to the decision
//! queue (`registration::batch`) in batches of `SUGANG_DECISION_BATCH`, each decided in that order.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::web;

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::{RngCore, SeedableRng};
use tokio::sync::oneshot;

use crate::activity::NewActivity;
use crate::app::AppState;
use crate::registration::rush;
use crate::registration::service::{self, Attempt, Receipt};
use crate::registration::Engine;
use crate::web::AppError;

type Answer = oneshot::Sender<Result<Receipt, AppError>>;

/// One waiting request of a draw.
struct Entry {
    attempt: Attempt,
    section_id: i32,
    answer: Answer,
}

/// A draw that has been made: shown on the registrar dashboard.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DrawRecord {
    pub opens_at: DateTime<Utc>,
    pub seed: u64,
    /// Student ids in the order they were decided.
    pub order: Vec<i32>,
}

/// The draws of this instance: the requests collected per opening instant, and the last draw made.
#[derive(Default)]
pub struct Draws {
    pending: Mutex<HashMap<i64, Vec<Entry>>>,
    last: Mutex<Option<DrawRecord>>,
}

impl Draws {
    pub fn last(&self) -> Option<DrawRecord> {
        self.last.lock().ok().and_then(|l| l.clone())
    }
}

/// The order of `n` requests drawn from `seed`: a permutation of `0..n`.
pub fn drawn_order(seed: u64, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    order
}

/// The opening instant of a `register` window whose draw span contains `now`, if any.
fn in_span(windows: &[crate::catalog::Window], span_ms: i64, now: DateTime<Utc>) -> Option<i64> {
    windows
        .iter()
        .filter(|w| w.phase == "register")
        .map(|w| w.opens().timestamp_millis())
        .find(|opens| {
            let t = now.timestamp_millis();
            *opens <= t && t < opens + span_ms
        })
}

/// One enroll attempt: through the draw inside the span, straight to the hot path otherwise.
pub async fn enroll(
    app: &web::Data<AppState>,
    engine: &web::Data<Engine>,
    a: Attempt,
    section_id: i32,
) -> Result<Receipt, AppError> {
    let span_ms = app.settings.opening_draw_span.as_millis() as i64;
    if span_ms == 0 {
        return rush::enroll(app, engine, a, section_id).await;
    }
    let now = service::now_ms();
    let opens = match rush::frame(app, engine).await? {
        Some(frame) => in_span(&frame.windows, span_ms, now),
        None => None,
    };
    let Some(opens) = opens else {
        return rush::enroll(app, engine, a, section_id).await;
    };
    let (answer, wait) = oneshot::channel();
    let first = {
        let Ok(mut pending) = engine.opening.pending.lock() else {
            return Err(AppError::Unavailable("opening draw unavailable".into()));
        };
        let entries = pending.entry(opens).or_default();
        entries.push(Entry {
            attempt: a,
            section_id,
            answer,
        });
        entries.len() == 1
    };
    if first {
        // The draw runs on its own, so it survives this request being dropped.
        let (app, engine) = (app.clone(), engine.clone());
        tokio::task::spawn_local(async move { release(app, engine, opens, span_ms).await });
    }
    wait.await
        .unwrap_or_else(|_| Err(AppError::Unavailable("opening draw interrupted".into())))
}

/// At the end of the span: draw the order once, record it, decide every request in that order.
async fn release(app: web::Data<AppState>, engine: web::Data<Engine>, opens: i64, span_ms: i64) {
    let (app, engine): (&AppState, &Engine) = (&app, &engine);
    let end = opens + span_ms;
    let wait_ms = end - Utc::now().timestamp_millis();
    if wait_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(wait_ms as u64)).await;
    }
    let entries = match engine.opening.pending.lock() {
        Ok(mut pending) => pending.remove(&opens).unwrap_or_default(),
        Err(_) => return,
    };
    let seed = app
        .settings
        .opening_draw_seed
        .unwrap_or_else(|| rand::rngs::OsRng.next_u64());
    // One place in the draw per student, however many requests they sent: a macro firing many
    // times gains no extra chances. A student's requests keep their arrival order at that place.
    let by_student = group_by_student(entries);
    let order = drawn_order(seed, by_student.len());
    let mut slots: Vec<Option<Vec<Entry>>> = by_student.into_iter().map(Some).collect();
    let drawn: Vec<Vec<Entry>> = order.iter().filter_map(|i| slots[*i].take()).collect();
    let record = DrawRecord {
        opens_at: DateTime::from_timestamp_millis(opens).unwrap_or_default(),
        seed,
        order: drawn
            .iter()
            .filter_map(|e| e.first())
            .map(|e| e.attempt.student_id)
            .collect(),
    };
    tracing::info!(seed, requests = record.order.len(), "opening draw");
    // The drawn order, in activity lines short enough for the log's detail column.
    let parts = crate::activity::id_parts(&record.order, 400);
    let total = parts.len();
    for (i, part) in parts.into_iter().enumerate() {
        let line = NewActivity {
            actor_id: None,
            student_id: None,
            action: "opening_draw",
            section_id: None,
            outcome: "drawn".into(),
            detail: Some(format!(
                "opens_at={} seed={} part={}/{} order={}",
                record.opens_at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                seed,
                i + 1,
                total,
                part
            )),
            request_id: format!("opening-draw-{opens}-{}", i + 1),
            session_ref: None,
            client_ip: None,
        };
        if !engine.activity.record(line).await {
            tracing::warn!(seed, "opening draw: activity line not written");
        }
    }
    if let Ok(mut last) = engine.opening.last.lock() {
        *last = Some(record);
    }
    // The drawn order is decided as batches of the decision queue, one after the other: each
    // batch decides its attempts in the drawn order, and the next starts once it has committed.
    let entries: Vec<Entry> = drawn.into_iter().flatten().collect();
    let mut entries = entries.into_iter().peekable();
    while entries.peek().is_some() {
        let chunk: Vec<Entry> = entries
            .by_ref()
            .take(app.settings.decision_batch.max(1))
            .collect();
        let (attempts, answers): (Vec<_>, Vec<_>) = chunk
            .into_iter()
            .map(|e| ((e.attempt, e.section_id), e.answer))
            .unzip();
        let outcomes = rush::enroll_all(app, engine, attempts).await;
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            let _ = answer.send(outcome);
        }
    }
}

/// Entries grouped by student, students in order of their first request.
fn group_by_student(entries: Vec<Entry>) -> Vec<Vec<Entry>> {
    let mut groups: Vec<Vec<Entry>> = Vec::new();
    let mut index: HashMap<i32, usize> = HashMap::new();
    for e in entries {
        match index.get(&e.attempt.student_id) {
            Some(&i) => groups[i].push(e),
            None => {
                index.insert(e.attempt.student_id, groups.len());
                groups.push(vec![e]);
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(student_id: i32) -> Entry {
        let (answer, _) = oneshot::channel();
        Entry {
            attempt: Attempt {
                student_id,
                session_ref: None,
                request_id: String::new(),
                client_ip: String::new(),
                lang: crate::web::i18n::Lang::Ko,
            },
            section_id: 1,
            answer,
        }
    }

    #[test]
    fn a_student_holds_one_place_in_the_draw_however_many_requests_they_sent() {
        let groups = group_by_student(vec![entry(7), entry(3), entry(7), entry(7), entry(5)]);
        let students: Vec<i32> = groups.iter().map(|g| g[0].attempt.student_id).collect();
        assert_eq!(students, vec![7, 3, 5]);
        assert_eq!(groups[0].len(), 3);
        assert_eq!(drawn_order(1, groups.len()).len(), 3);
    }

    #[test]
    fn the_drawn_order_is_a_permutation_fixed_by_the_seed() {
        let a = drawn_order(7, 50);
        assert_eq!(a, drawn_order(7, 50));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(a, (0..50).collect::<Vec<_>>());
        assert_ne!(a, drawn_order(8, 50));
    }
}
