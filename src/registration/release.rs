//! Seat-release times (좌석 공개 시각): in a term with release times, a seat that a drop, a swap,
//! a registrar's removal or a capacity raise frees and that nobody on the waitlist takes is
//! *held* — counted neither as enrolled nor as free — until the next release time, and then
//! released all at once: watchers are told and the waitlist served in the release transaction,
//! before the seats become takeable. Constant refreshing gains nothing.
//!
//! `release_due` is the one way seats are released: the `sugang release-seats` command (a
//! Kubernetes CronJob) and the in-process releaser both call it. Each section is released in its
//! own transaction under its row lock, and only while it still holds seats that are due, so two
//! runs at once release every seat once.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Asia::Seoul;
use diesel::prelude::*;

use crate::activity::{self, NewActivity};
use crate::catalog::Term;
use crate::db::schema::sections;
use crate::db::tx::transaction;
use crate::domain::MinuteOfDay;

/// At most this many release times a day (they fit the column, and more is no longer "announced").
pub const MAX_TIMES: usize = 16;

/// A term's release times: Seoul local minutes of the day, sorted, without repeats, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTimes(Vec<u16>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseTimesError {
    /// A part is not a time of day `HH:MM` (00:00–23:59).
    #[error("not a time of day: {0}")]
    NotATime(String),
    #[error("more than {MAX_TIMES} release times")]
    TooMany,
}

impl ReleaseTimes {
    /// Parses what a registrar typed: times `HH:MM` separated by commas or spaces, in any order,
    /// repeats allowed. Blank input is `None` (the feature off).
    pub fn parse(input: &str) -> Result<Option<ReleaseTimes>, ReleaseTimesError> {
        let mut minutes = Vec::new();
        for part in input
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            let time = NaiveTime::parse_from_str(part, "%H:%M")
                .map_err(|_| ReleaseTimesError::NotATime(part.chars().take(20).collect()))?;
            minutes.push((time.hour() * 60 + time.minute()) as u16);
        }
        minutes.sort_unstable();
        minutes.dedup();
        if minutes.len() > MAX_TIMES {
            return Err(ReleaseTimesError::TooMany);
        }
        Ok((!minutes.is_empty()).then_some(ReleaseTimes(minutes)))
    }

    /// The term's release times; `None` when it has none (or, never expected, when the stored
    /// value no longer parses: the feature is then off rather than the term unusable).
    pub fn of(term: &Term) -> Option<ReleaseTimes> {
        let stored = term.release_times.as_deref()?;
        match ReleaseTimes::parse(stored) {
            Ok(times) => times,
            Err(e) => {
                tracing::warn!(term.id = term.id, error = %e, "release times ignored");
                None
            }
        }
    }

    /// The first release time strictly after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let local = now.with_timezone(&Seoul);
        // Seoul has no daylight saving time: every local time exists exactly once.
        for day in [
            local.date_naive(),
            local.date_naive() + chrono::Days::new(1),
        ] {
            for &m in &self.0 {
                let at = day.and_time(MinuteOfDay::stored(m).time());
                if let Some(at) = Seoul.from_local_datetime(&at).single() {
                    let at = at.with_timezone(&Utc);
                    if at > now {
                        return at;
                    }
                }
            }
        }
        // Unreachable: tomorrow's first time is always after now.
        now + chrono::Duration::days(1)
    }
}

/// As stored and shown: `09:00,13:00,17:00,21:00`.
impl fmt::Display for ReleaseTimes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", MinuteOfDay::stored(*m))?;
        }
        Ok(())
    }
}

/// Inside the transaction that freed them, with the section's row locked: `seats` more seats of
/// `section_id` are held until `until` — or until the time the seats it already holds are due,
/// which is earlier, so seats held together are released together.
pub fn hold(
    conn: &mut MysqlConnection,
    section_id: i32,
    seats: i32,
    until: DateTime<Utc>,
) -> QueryResult<()> {
    // MySQL assigns left to right: `held_until` is decided on the count before this change.
    diesel::sql_query(
        "UPDATE sections SET held_until = IF(held_seats > 0 AND held_until IS NOT NULL, \
         held_until, ?), held_seats = held_seats + ? WHERE id = ?",
    )
    .bind::<diesel::sql_types::Datetime, _>(until.naive_utc())
    .bind::<diesel::sql_types::Integer, _>(seats)
    .bind::<diesel::sql_types::Integer, _>(section_id)
    .execute(conn)
    .map(|_| ())
}

/// What one release did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    pub section_id: i32,
    /// Seats that stopped being held.
    pub seats: i32,
    /// Waitlisted students seated by the release.
    pub promoted: usize,
    /// Watchers told of the free seats.
    pub notified: usize,
}

/// Releases every section whose held seats are due at `now`, one transaction per section in
/// ascending id. Safe to run on several instances at once: a section already released by
/// another run holds no seats any more and is skipped under its row lock.
pub fn release_due(
    conn: &mut MysqlConnection,
    now: DateTime<Utc>,
    request_id: &str,
) -> QueryResult<Vec<Released>> {
    let due: Vec<i32> = sections::table
        .filter(sections::held_seats.gt(0))
        .filter(sections::held_until.le(now.naive_utc()))
        .order(sections::id)
        .select(sections::id)
        .load(conn)?;
    let mut done = Vec::new();
    for section_id in due {
        if let Some(r) = release_section(conn, section_id, now, request_id)? {
            done.push(r);
        }
    }
    Ok(done)
}

/// Releases the held seats of one section if they are still held and due at `now`.
pub fn release_section(
    conn: &mut MysqlConnection,
    section_id: i32,
    now: DateTime<Utc>,
    request_id: &str,
) -> QueryResult<Option<Released>> {
    transaction(conn, None, |conn| {
        let (held, until, status) = sections::table
            .find(section_id)
            .select((sections::held_seats, sections::held_until, sections::status))
            .for_update()
            .first::<(i32, Option<chrono::NaiveDateTime>, String)>(conn)?;
        let due = until.is_some_and(|u| u <= now.naive_utc());
        if held <= 0 || !due {
            return Ok(None);
        }
        diesel::update(sections::table.find(section_id))
            .set((
                sections::held_seats.eq(0),
                sections::held_until.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(conn)?;
        let (promoted, notified) = if status == "open" {
            let freed =
                crate::registration::service::seats_released(conn, section_id, now, request_id)?;
            (
                freed
                    .promotions
                    .iter()
                    .filter(|p| p.outcome == "ok")
                    .count(),
                freed.notified,
            )
        } else {
            (0, 0)
        };
        activity::record(
            conn,
            &NewActivity {
                actor_id: None,
                student_id: None,
                action: "seats_released",
                section_id: Some(section_id),
                outcome: "ok".into(),
                detail: Some(format!("{held} seats")),
                request_id: request_id.to_string(),
                session_ref: None,
                client_ip: None,
            },
        )?;
        tracing::info!(
            section.id = section_id,
            seats = held,
            promoted,
            notified,
            "seats released"
        );
        metrics::counter!("sugang_seats_released_total").increment(held as u64);
        Ok(Some(Released {
            section_id,
            seats: held,
            promoted,
            notified,
        }))
    })
}

/// Releases what is due at `now` and, after the commits, publishes the sections' new seats-left
/// figures (the one sequence the command, the in-process releaser and the tests run).
pub async fn run(
    db: &crate::db::Db,
    seats: &crate::registration::seats::SeatSignal,
    now: DateTime<Utc>,
    request_id: &str,
) -> Result<Vec<Released>, crate::db::DbError> {
    let request_id = request_id.to_string();
    let done = db
        .query(move |conn| release_due(conn, now, &request_id))
        .await?;
    if !done.is_empty() {
        seats
            .republish(done.iter().map(|r| r.section_id).collect())
            .await;
    }
    Ok(done)
}

/// How often the in-process releaser looks for due seats, and how long its lease lasts.
pub const RELEASER_EVERY: Duration = Duration::from_secs(5);
const LEASE: &str = "seats:release-lease";

/// The in-process releaser: every `RELEASER_EVERY`, the instance holding a short Redis lease
/// (`SET NX PX`) releases what is due. The lease saves work; correctness does not depend on it
/// (`release_due` releases once even when two instances act), and the CronJob's
/// `sugang release-seats` does the same job where the releaser is turned off.
pub fn spawn_releaser(
    db: crate::db::Db,
    cache: crate::cache::Cache,
    seats: std::sync::Arc<crate::registration::seats::SeatSignal>,
) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RELEASER_EVERY).await;
            if !take_lease(&cache).await {
                continue;
            }
            let request_id = format!("releaser-{}", uuid::Uuid::new_v4().simple());
            if let Err(e) = run(&db, &seats, Utc::now(), &request_id).await {
                tracing::warn!(error = %e, "seat release failed; next round retries");
            }
        }
    });
}

async fn take_lease(cache: &crate::cache::Cache) -> bool {
    let Ok(mut conn) = cache.conn().await else {
        // Redis away: act anyway; the database keeps the release to one.
        return true;
    };
    let got: Result<Option<String>, _> = redis::cmd("SET")
        .arg(cache.key(LEASE))
        .arg(1)
        .arg("NX")
        .arg("PX")
        .arg(RELEASER_EVERY.as_millis() as u64 - 500)
        .query_async(&mut conn)
        .await;
    got.map_or(true, |g| g.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seoul(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Seoul
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn times_are_sorted_deduplicated_and_shown_as_stored() {
        let t = ReleaseTimes::parse("21:00, 09:00,13:00 13:00,17:00")
            .expect("valid")
            .expect("some");
        assert_eq!(t.to_string(), "09:00,13:00,17:00,21:00");
        assert_eq!(ReleaseTimes::parse(&t.to_string()).expect("valid"), Some(t));
    }

    #[test]
    fn blank_input_turns_the_feature_off() {
        assert_eq!(ReleaseTimes::parse("").expect("valid"), None);
        assert_eq!(ReleaseTimes::parse(" , ").expect("valid"), None);
    }

    #[test]
    fn anything_but_a_time_of_day_is_refused() {
        for bad in ["24:00", "13:60", "1300", "13시", "-1:00", "13:00:00"] {
            assert!(
                matches!(
                    ReleaseTimes::parse(bad),
                    Err(ReleaseTimesError::NotATime(_))
                ),
                "{bad}"
            );
        }
        let many: Vec<String> = (0..17).map(|h| format!("{h:02}:00")).collect();
        assert_eq!(
            ReleaseTimes::parse(&many.join(",")),
            Err(ReleaseTimesError::TooMany)
        );
    }

    #[test]
    fn the_next_release_is_the_first_time_after_now_in_seoul() {
        let t = ReleaseTimes::parse("09:00,13:00,17:00,21:00")
            .expect("valid")
            .expect("some");
        assert_eq!(
            t.next_after(seoul(2026, 3, 2, 12, 10)),
            seoul(2026, 3, 2, 13, 0)
        );
        // At a release time exactly, the next one.
        assert_eq!(
            t.next_after(seoul(2026, 3, 2, 13, 0)),
            seoul(2026, 3, 2, 17, 0)
        );
        // After the last one of the day: tomorrow's first (Seoul's day, not UTC's).
        assert_eq!(
            t.next_after(seoul(2026, 3, 2, 22, 30)),
            seoul(2026, 3, 3, 9, 0)
        );
        assert_eq!(
            t.next_after(seoul(2026, 3, 3, 0, 30)),
            seoul(2026, 3, 3, 9, 0)
        );
        assert_eq!(
            crate::web::layout::clock(seoul(2026, 3, 2, 13, 0).naive_utc()),
            "13:00"
        );
    }
}
