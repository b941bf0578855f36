//! The waiting room's opening instant, followed from the calendar: when no `register` window of
//! the current term is open, the instant is the next one's opening plus the opening draw's span;
//! while one is open, there is none (arrivals queue in arrival order). Arrivals before the instant wait unordered and are
//! drawn once at it (`room.rs`). A registrar may set the instant by hand in the controls
//! (`RoomConfig::opens_at_ms`), which wins over the calendar.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::MysqlConnection;
use diesel::QueryResult;

use crate::catalog::queries::{current_term, windows_for_term};
use crate::db::Db;
use crate::waiting_room::WaitingRoom;

/// The calendar's opening instant (Unix ms) for register windows `(opens, closes)` at `now`:
/// 0 while one is open or none is ahead, else the earliest opening still ahead.
pub fn instant_of(windows: &[(DateTime<Utc>, DateTime<Utc>)], now: DateTime<Utc>) -> i64 {
    if windows.iter().any(|(o, c)| *o <= now && now < *c) {
        return 0;
    }
    windows
        .iter()
        .map(|(o, _)| *o)
        .filter(|o| *o > now)
        .min()
        .map(|o| o.timestamp_millis())
        .unwrap_or(0)
}

/// The calendar's opening instant from the current term's `register` windows.
pub fn from_calendar(conn: &mut MysqlConnection, now: DateTime<Utc>) -> QueryResult<i64> {
    let Some(term) = current_term(conn)? else {
        return Ok(0);
    };
    let windows: Vec<(DateTime<Utc>, DateTime<Utc>)> = windows_for_term(conn, term.id)?
        .into_iter()
        .filter(|w| w.phase == "register")
        .map(|w| (w.opens_at.and_utc(), w.closes_at.and_utc()))
        .collect();
    Ok(instant_of(&windows, now))
}

/// Every `every`, writes the calendar's opening instant plus `span` (the opening draw's span,
/// the human reaction time) to the room's live settings: everyone who arrives before the window
/// opens or within the first seconds after it is drawn together, so being early buys nothing.
/// Every instance computes the same value from the same calendar, so all of them may run it.
pub fn spawn_follower(room: WaitingRoom, db: Db, every: Duration, span: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            let instant = db.query(|conn| from_calendar(conn, Utc::now())).await;
            match instant {
                Ok(ms) => {
                    let ms = if ms > 0 {
                        ms + span.as_millis() as i64
                    } else {
                        0
                    };
                    if let Err(e) = room.set_calendar_opening(ms).await {
                        tracing::debug!(error = %e, "waiting room opening not written");
                    }
                }
                Err(e) => tracing::debug!(error = %e, "waiting room opening not read"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::instant_of;
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_instant_is_the_next_opening_while_nothing_is_open() {
        let at = |h: u32| Utc.with_ymd_and_hms(2027, 2, 10, h, 0, 0).unwrap();
        let windows = [(at(1), at(3)), (at(10), at(12)), (at(6), at(8))];
        assert_eq!(instant_of(&windows, at(0)), at(1).timestamp_millis());
        assert_eq!(instant_of(&windows, at(2)), 0, "a window is open");
        assert_eq!(instant_of(&windows, at(4)), at(6).timestamp_millis());
        assert_eq!(instant_of(&windows, at(9)), at(10).timestamp_millis());
        assert_eq!(instant_of(&windows, at(13)), 0, "nothing ahead");
        assert_eq!(instant_of(&[], at(0)), 0);
    }
}
