//! The registration-day figures behind `/admin` and `GET /api/v1/admin/summary`: seats, recent
//! enrollments and refusals (bounded time ranges over indexed `activity_log.at`), the waiting
//! room as Redis holds it, and this instance's share of 5xx answers.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::dsl::{count_star, sum};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Datetime, Varchar};
use serde::Serialize;

use crate::cache::{Cache, CacheError};
use crate::catalog::queries;
use crate::config::RoomConfig;
use crate::db::schema::{enrollments, sections, users};

/// Minutes covered by the enrollments-per-minute series and the refusal counts.
pub const WINDOW_MINUTES: i64 = 10;
/// Activity that puts a student into a section.
const SEAT_ACTIONS: &[&str] = &["enroll", "swap", "waitlist_promoted"];
/// Activity whose refusals the dashboard counts.
const REGISTRATION_ACTIONS: &[&str] = &[
    "enroll",
    "drop",
    "swap",
    "waitlist",
    "waitlist_leave",
    "rate_limit",
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MinuteCount {
    pub minute: DateTime<Utc>,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReasonCount {
    pub reason: String,
    /// The reason in the reader's words (the code itself when the catalog has no label).
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoomFigures {
    pub enabled: bool,
    pub waiting: u64,
    pub active_passes: u64,
    pub rate: u32,
    pub concurrency: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorFigures {
    /// Always "instance": these are this process's own request counters.
    pub scope: &'static str,
    /// Seconds the figures cover; `None` means since this instance started.
    pub window_seconds: Option<u64>,
    pub requests: u64,
    pub server_errors: u64,
    /// Percent of answers that were 5xx (0 when there were none).
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub generated_at: DateTime<Utc>,
    pub term_id: Option<i32>,
    pub term_name_ko: Option<String>,
    pub term_name_en: Option<String>,
    pub sections: i64,
    pub full_sections: i64,
    pub enrollments: i64,
    pub students: i64,
    pub seats_filled: i64,
    pub capacity: i64,
    pub window_minutes: i64,
    /// Oldest first, one entry per minute (zero-filled); the last is the current minute so far.
    pub enrollments_per_minute: Vec<MinuteCount>,
    pub enrollments_last_window: i64,
    /// Most frequent first.
    pub refusals: Vec<ReasonCount>,
    pub refusals_total: i64,
    pub waiting_room: Option<RoomFigures>,
    pub errors: ErrorFigures,
    pub frozen: bool,
    pub banner_on: bool,
}

impl Summary {
    pub fn fill_percent(&self) -> String {
        if self.capacity <= 0 {
            return "-".into();
        }
        format!(
            "{:.1}%",
            self.seats_filled as f64 * 100.0 / self.capacity as f64
        )
    }

    pub fn per_minute_max(&self) -> i64 {
        self.enrollments_per_minute
            .iter()
            .map(|m| m.count)
            .max()
            .unwrap_or(0)
            .max(1)
    }
}

/// Figures that come from MySQL.
pub struct DbFigures {
    term_id: Option<i32>,
    term_name_ko: Option<String>,
    term_name_en: Option<String>,
    sections: i64,
    full_sections: i64,
    enrollments: i64,
    students: i64,
    seats_filled: i64,
    capacity: i64,
    per_minute: Vec<MinuteCount>,
    refusals: Vec<ReasonCount>,
}

#[derive(QueryableByName)]
struct Bucket {
    #[diesel(sql_type = BigInt)]
    bucket: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Reason {
    #[diesel(sql_type = Varchar)]
    outcome: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn in_list(items: &[&str]) -> String {
    // Constants only (never request input), so they can be inlined into the statement.
    items
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn db_figures(conn: &mut MysqlConnection, now: DateTime<Utc>) -> QueryResult<DbFigures> {
    let term = queries::current_term(conn)?;
    let students = users::table
        .filter(users::role.eq("student"))
        .select(count_star())
        .first(conn)?;
    let (sections_n, full, enrolled, filled, capacity) = match &term {
        Some(t) => {
            let open = sections::table
                .filter(sections::term_id.eq(t.id))
                .filter(sections::status.eq("open"));
            let (filled, capacity): (Option<i64>, Option<i64>) = open
                .select((sum(sections::enrolled), sum(sections::capacity)))
                .first(conn)?;
            (
                open.select(count_star()).first(conn)?,
                // Seats held for a release time are not free: such a section is full for now.
                open.filter((sections::enrolled + sections::held_seats).ge(sections::capacity))
                    .select(count_star())
                    .first(conn)?,
                enrollments::table
                    .filter(enrollments::term_id.eq(t.id))
                    .select(count_star())
                    .first(conn)?,
                filled.unwrap_or(0),
                capacity.unwrap_or(0),
            )
        }
        None => (0, 0, 0, 0, 0),
    };
    // Calendar minutes: the window starts at the top of the minute WINDOW_MINUTES - 1 ago.
    let this_minute = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
    let start = this_minute - Duration::minutes(WINDOW_MINUTES - 1);
    let buckets: Vec<Bucket> = diesel::sql_query(format!(
        "SELECT TIMESTAMPDIFF(MINUTE, ?, at) AS bucket, COUNT(*) AS n FROM activity_log \
         WHERE at >= ? AND action IN ({}) AND outcome = 'ok' GROUP BY bucket",
        in_list(SEAT_ACTIONS)
    ))
    .bind::<Datetime, _>(start.naive_utc())
    .bind::<Datetime, _>(start.naive_utc())
    .load(conn)?;
    let mut per_minute: Vec<MinuteCount> = (0..WINDOW_MINUTES)
        .map(|i| MinuteCount {
            minute: start + Duration::minutes(i),
            count: 0,
        })
        .collect();
    for b in buckets {
        if let Some(slot) = usize::try_from(b.bucket)
            .ok()
            .and_then(|i| per_minute.get_mut(i))
        {
            slot.count += b.n;
        }
    }
    let refusals: Vec<Reason> = diesel::sql_query(format!(
        "SELECT outcome, COUNT(*) AS n FROM activity_log \
         WHERE at >= ? AND action IN ({}) AND outcome <> 'ok' \
         GROUP BY outcome ORDER BY n DESC, outcome",
        in_list(REGISTRATION_ACTIONS)
    ))
    .bind::<Datetime, _>(start.naive_utc())
    .load(conn)?;
    Ok(DbFigures {
        term_id: term.as_ref().map(|t| t.id),
        term_name_ko: term.as_ref().map(|t| t.name_ko.clone()),
        term_name_en: term.as_ref().map(|t| t.name_en.clone()),
        sections: sections_n,
        full_sections: full,
        enrollments: enrolled,
        students,
        seats_filled: filled,
        capacity,
        per_minute,
        refusals: refusals
            .into_iter()
            .map(|r| ReasonCount {
                label: r.outcome.clone(),
                reason: r.outcome,
                count: r.n,
            })
            .collect(),
    })
}

/// The waiting room as every instance sees it (its Redis keys; see `waiting_room::room`).
pub async fn room_figures(cache: &Cache, config: RoomConfig) -> Result<RoomFigures, CacheError> {
    let mut conn = cache.conn().await?;
    let (queued, early, active): (u64, u64, u64) = redis::pipe()
        .cmd("ZCARD")
        .arg(cache.key("wr:queue"))
        .cmd("SCARD")
        .arg(cache.key("wr:early"))
        .cmd("ZCARD")
        .arg(cache.key("wr:active"))
        .query_async(&mut conn)
        .await?;
    Ok(RoomFigures {
        enabled: config.enabled,
        waiting: queued + early,
        active_passes: active,
        rate: config.rate,
        concurrency: config.concurrency,
    })
}

/// (answers, 5xx answers) this process has counted so far, read from its Prometheus recorder.
fn request_totals() -> (u64, u64) {
    let text = crate::ops::metrics::handle().render();
    parse_request_totals(&text)
}

fn parse_request_totals(text: &str) -> (u64, u64) {
    let mut total = 0u64;
    let mut errors = 0u64;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("http_requests_total{") else {
            continue;
        };
        let Some(n) = rest.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        let n = n as u64;
        total += n;
        if rest.contains("status=\"5") {
            errors += n;
        }
    }
    (total, errors)
}

/// Samples of the request counters, so the error share covers the last few minutes rather than
/// the whole life of the process once the dashboard has been open a while.
static SAMPLES: Mutex<VecDeque<(Instant, u64, u64)>> = Mutex::new(VecDeque::new());
const ERROR_WINDOW_SECS: u64 = 300;

pub fn error_figures() -> ErrorFigures {
    let (total, errors) = request_totals();
    let now = Instant::now();
    let baseline = match SAMPLES.lock() {
        Ok(mut samples) => {
            // Keep one sample older than the window as its baseline.
            while samples.len() > 1
                && samples
                    .get(1)
                    .is_some_and(|s| now.duration_since(s.0).as_secs() >= ERROR_WINDOW_SECS)
            {
                samples.pop_front();
            }
            let base = samples.front().copied();
            if samples
                .back()
                .is_none_or(|s| now.duration_since(s.0).as_secs() >= 1)
            {
                samples.push_back((now, total, errors));
            }
            base
        }
        Err(_) => None,
    };
    let (window, requests, server_errors) = match baseline {
        Some((at, t, e)) if total >= t && errors >= e && total > t => (
            Some(now.duration_since(at).as_secs().max(1)),
            total - t,
            errors - e,
        ),
        _ => (None, total, errors),
    };
    ErrorFigures {
        scope: "instance",
        window_seconds: window,
        requests,
        server_errors,
        percent: if requests == 0 {
            0.0
        } else {
            server_errors as f64 * 100.0 / requests as f64
        },
    }
}

pub fn reason_label(lang: crate::web::Lang, code: &str) -> String {
    let key = format!("refusal.{code}");
    if crate::web::i18n::has_key(&key) {
        lang.text(&key).to_string()
    } else {
        code.to_string()
    }
}

pub fn assemble(
    lang: crate::web::Lang,
    mut db: DbFigures,
    room: Option<RoomFigures>,
    errors: ErrorFigures,
    controls: &crate::controls::SiteControls,
    now: DateTime<Utc>,
) -> Summary {
    for r in &mut db.refusals {
        r.label = reason_label(lang, &r.reason);
    }
    Summary {
        generated_at: now,
        term_id: db.term_id,
        term_name_ko: db.term_name_ko,
        term_name_en: db.term_name_en,
        sections: db.sections,
        full_sections: db.full_sections,
        enrollments: db.enrollments,
        students: db.students,
        seats_filled: db.seats_filled,
        capacity: db.capacity,
        window_minutes: WINDOW_MINUTES,
        enrollments_last_window: db.per_minute.iter().map(|m| m.count).sum(),
        enrollments_per_minute: db.per_minute,
        refusals_total: db.refusals.iter().map(|r| r.count).sum(),
        refusals: db.refusals,
        waiting_room: room,
        errors,
        frozen: controls.frozen,
        banner_on: controls.banner_on,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_request_totals;

    #[test]
    fn request_totals_count_only_5xx_as_errors() {
        let text = "# TYPE http_requests_total counter\n\
            http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 7\n\
            http_requests_total{method=\"POST\",route=\"/x\",status=\"503\"} 2\n\
            http_requests_total{method=\"GET\",route=\"/y\",status=\"404\"} 1\n\
            http_request_duration_seconds_count{method=\"GET\",route=\"/\"} 7\n";
        assert_eq!(parse_request_totals(text), (10, 2));
    }
}
