//! Redis state and the atomic steps over it. Keys (under the deployment's prefix):
//! `wr:cfg` (hash: enabled, rate, concurrency, pass_ttl, opens_at_ms — the registrar's opening
//! instant, 0 = follow the calendar —, calendar_opens_at_ms — the next `register` window's
//! opening, written by every instance from the calendar), `wr:seq` (ticket counter),
//! `wr:queue` (zset student → ticket), `wr:early` (set of students who arrived before opening),
//! `wr:active` (zset student → pass expiry, ms), `wr:inflight` (zset student → deadline of the
//! action under way, ms: the concurrency cap counts these), `wr:bucket` (hash: tokens, last_ms,
//! measured — the admission rate reached while students waited), `wr:start` (hash: student →
//! "ticket:position" when the ticket was first looked at, for the queue page's progress).

use std::sync::LazyLock;
use std::time::Duration;

use rand::seq::SliceRandom;
use redis::Script;
use serde::Serialize;

use crate::cache::{Cache, CacheError};

use crate::config::RoomConfig;

/// Where a student stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Admission {
    /// Admission control is off: go ahead.
    NotRequired,
    /// Holds a pass (refreshed by this call).
    Admitted,
    /// In the queue at this position (1 = next).
    Waiting { position: u64 },
    /// Arrived before opening; the order is drawn at opening.
    Early { waiting: u64 },
}

static ENTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS: cfg, queue, early, active, seq, inflight; ARGV: student, now_ms, acting (1: an action
-- starts now and counts in flight until `finish`; 0: a look at the queue)
local cfg = redis.call('HMGET', KEYS[1], 'enabled', 'pass_ttl', 'opens_at_ms', 'calendar_opens_at_ms')
if cfg[1] ~= '1' then return {0, 0} end
local now = tonumber(ARGV[2])
local exp = redis.call('ZSCORE', KEYS[4], ARGV[1])
if exp then
  if tonumber(exp) > now then
    redis.call('ZADD', KEYS[4], now + tonumber(cfg[2]) * 1000, ARGV[1])
    if ARGV[3] == '1' then redis.call('ZADD', KEYS[6], now + 30000, ARGV[1]) end
    return {1, 0}
  end
  redis.call('ZREM', KEYS[4], ARGV[1])
end
local rank = redis.call('ZRANK', KEYS[2], ARGV[1])
if rank then return {2, rank + 1} end
-- The registrar's instant wins; else the calendar's (the next register window's opening).
local opens = tonumber(cfg[3] or '0') or 0
if opens == 0 then opens = tonumber(cfg[4] or '0') or 0 end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 or now < opens then
  redis.call('SADD', KEYS[3], ARGV[1])
  return {3, redis.call('SCARD', KEYS[3])}
end
local ticket = redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[2], ticket, ARGV[1])
return {2, redis.call('ZRANK', KEYS[2], ARGV[1]) + 1}
"#,
    )
});

static ADMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS: cfg, queue, active, bucket, inflight; ARGV: now_ms, opening_ms (0: none)
-- Returns {admitted now, queue length, active passes}.
local cfg = redis.call('HMGET', KEYS[1], 'enabled', 'rate', 'concurrency', 'pass_ttl')
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
if cfg[1] ~= '1' then return {0, redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3])} end
-- Before the opening instant nobody is admitted and no token is saved up: the line starts
-- moving at opening, at the rate, not with a burst.
if now < (tonumber(ARGV[2]) or 0) then
  redis.call('HSET', KEYS[4], 'tokens', '0', 'last_ms', ARGV[2])
  return {0, redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3])}
end
local rate = tonumber(cfg[2]) or 0
local b = redis.call('HMGET', KEYS[4], 'tokens', 'last_ms', 'measured')
local tokens = tonumber(b[1]) or 0
local last = tonumber(b[2]) or now
local measured = tonumber(b[3]) or 0
if now > last then tokens = math.min(math.max(rate, 1), tokens + (now - last) * rate / 1000) end
-- The cap counts actions in flight (a pass's action counts from its start to its answer), not
-- students holding a pass.
local room = (tonumber(cfg[3]) or 0) - redis.call('ZCARD', KEYS[5])
local waiting = redis.call('ZCARD', KEYS[2])
local n = math.min(math.floor(tokens), room)
local admitted = 0
if n > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], n)
  local expiry = now + (tonumber(cfg[4]) or 300) * 1000
  for i = 1, #popped, 2 do
    redis.call('ZADD', KEYS[3], expiry, popped[i])
    admitted = admitted + 1
  end
  tokens = tokens - admitted
end
-- The admission rate actually reached while people waited (smoothed), for honest ETAs.
if waiting > 0 and now > last then
  local inst = admitted * 1000 / (now - last)
  if measured <= 0 then measured = inst else measured = 0.8 * measured + 0.2 * inst end
end
redis.call('HSET', KEYS[4], 'tokens', tostring(tokens), 'last_ms', tostring(math.max(now, last)),
  'measured', tostring(measured))
return {admitted, redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3])}
"#,
    )
});

static DRAW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS: early, queue, seq; ARGV: students in drawn order
-- Queues the early arrivals in the drawn order, behind nobody (they were first), once.
local n = 0
for i, student in ipairs(ARGV) do
  if redis.call('SREM', KEYS[1], student) == 1 and not redis.call('ZSCORE', KEYS[2], student) then
    local ticket = redis.call('INCR', KEYS[3])
    redis.call('ZADD', KEYS[2], ticket, student)
    n = n + 1
  end
end
return n
"#,
    )
});

static LINE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS: queue, early, start; ARGV: student
-- Returns {position (0: not in the line), position when the ticket was first seen, line length}.
-- The start is kept per ticket ("ticket:position"), so a new ticket starts a new count.
local len = redis.call('ZCARD', KEYS[1]) + redis.call('SCARD', KEYS[2])
local ticket = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not ticket then return {0, 0, len} end
local pos = redis.call('ZRANK', KEYS[1], ARGV[1]) + 1
local start = pos
local kept = redis.call('HGET', KEYS[3], ARGV[1])
if kept then
  local t, p = string.match(kept, '^([^:]+):(%d+)$')
  if t == ticket then start = math.max(tonumber(p), pos) end
end
if start == pos then redis.call('HSET', KEYS[3], ARGV[1], ticket .. ':' .. pos) end
redis.call('EXPIRE', KEYS[3], 86400)
return {pos, start, len}
"#,
    )
});

/// A waiting student's progress: where they stand, where they started, how long the line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Line {
    /// 1 = next; 0 = not in the line.
    pub position: u64,
    /// The position when this ticket was first looked at (never below `position`).
    pub start: u64,
    /// Everyone waiting: in the line, and arrived before opening (not drawn yet).
    pub length: u64,
}

#[derive(Clone)]
pub struct WaitingRoom {
    cache: Cache,
}

/// Admissions and queue length after one tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub admitted: u64,
    pub waiting: u64,
    pub active: u64,
    pub drawn: u64,
}

impl WaitingRoom {
    pub fn new(cache: Cache) -> Self {
        WaitingRoom { cache }
    }

    fn k(&self, name: &str) -> String {
        self.cache.key(&format!("wr:{name}"))
    }

    /// Writes the settings' values for fields not set yet (a running room keeps its live values).
    pub async fn init(&self, defaults: RoomConfig) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let cfg = self.k("cfg");
        for (field, value) in fields(&defaults) {
            let _: i64 = redis::cmd("HSETNX")
                .arg(&cfg)
                .arg(field)
                .arg(value)
                .query_async(&mut conn)
                .await?;
        }
        Ok(())
    }

    pub async fn config(&self) -> Result<RoomConfig, CacheError> {
        let mut conn = self.cache.conn().await?;
        let values: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.k("cfg"))
            .arg(&["enabled", "rate", "concurrency", "pass_ttl", "opens_at_ms"])
            .query_async(&mut conn)
            .await?;
        let d = RoomConfig::default();
        let num = |i: usize| {
            values
                .get(i)
                .cloned()
                .flatten()
                .and_then(|v| v.parse::<i64>().ok())
        };
        Ok(RoomConfig {
            enabled: num(0).map(|v| v == 1).unwrap_or(d.enabled),
            rate: num(1).map(|v| v as u32).unwrap_or(d.rate),
            concurrency: num(2).map(|v| v as u32).unwrap_or(d.concurrency),
            pass_ttl_secs: num(3).map(|v| v as u32).unwrap_or(d.pass_ttl_secs),
            opens_at_ms: num(4).unwrap_or(d.opens_at_ms),
        })
    }

    /// Changes the live settings; every instance follows on its next request or tick.
    pub async fn set_config(&self, config: RoomConfig) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let mut cmd = redis::cmd("HSET");
        cmd.arg(self.k("cfg"));
        for (field, value) in fields(&config) {
            cmd.arg(field).arg(value);
        }
        let _: i64 = cmd.query_async(&mut conn).await?;
        Ok(())
    }

    /// The student asks to act: admitted (pass refreshed), or their place in the line (a ticket
    /// is taken on the first call and kept).
    pub async fn enter(&self, student_id: i32, now_ms: i64) -> Result<Admission, CacheError> {
        self.enter_as(student_id, now_ms, false).await
    }

    /// Like `enter`, for an action about to run: an admitted student's action counts toward the
    /// concurrency cap until `finish` (or 30 s, should the instance die first).
    pub async fn act(&self, student_id: i32, now_ms: i64) -> Result<Admission, CacheError> {
        self.enter_as(student_id, now_ms, true).await
    }

    /// The action `act` admitted was answered: it no longer counts in flight.
    pub async fn finish(&self, student_id: i32) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let _: i64 = redis::cmd("ZREM")
            .arg(self.k("inflight"))
            .arg(student_id)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Admissions per second reached recently while students waited (0 before any).
    pub async fn measured_rate(&self) -> Result<f64, CacheError> {
        let mut conn = self.cache.conn().await?;
        let v: Option<String> = redis::cmd("HGET")
            .arg(self.k("bucket"))
            .arg("measured")
            .query_async(&mut conn)
            .await?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0.0))
    }

    async fn enter_as(
        &self,
        student_id: i32,
        now_ms: i64,
        acting: bool,
    ) -> Result<Admission, CacheError> {
        let mut conn = self.cache.conn().await?;
        let (state, n): (i64, u64) = ENTER
            .key(self.k("cfg"))
            .key(self.k("queue"))
            .key(self.k("early"))
            .key(self.k("active"))
            .key(self.k("seq"))
            .key(self.k("inflight"))
            .arg(student_id)
            .arg(now_ms)
            .arg(if acting { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await?;
        Ok(match state {
            1 => Admission::Admitted,
            2 => Admission::Waiting { position: n },
            3 => Admission::Early { waiting: n },
            _ => Admission::NotRequired,
        })
    }

    /// The student's progress in the line (for the queue page's bar), and the line's length.
    pub async fn line(&self, student_id: i32) -> Result<Line, CacheError> {
        let mut conn = self.cache.conn().await?;
        let (position, start, length): (u64, u64, u64) = LINE
            .key(self.k("queue"))
            .key(self.k("early"))
            .key(self.k("start"))
            .arg(student_id)
            .invoke_async(&mut conn)
            .await?;
        Ok(Line {
            position,
            start,
            length,
        })
    }

    /// Writes the calendar's opening instant (0: none); every instance writes the same value.
    pub async fn set_calendar_opening(&self, at_ms: i64) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let _: i64 = redis::cmd("HSET")
            .arg(self.k("cfg"))
            .arg("calendar_opens_at_ms")
            .arg(at_ms)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The opening instant in force (Unix ms, 0 = none): the registrar's, else the calendar's.
    pub async fn opening(&self) -> Result<i64, CacheError> {
        let config = self.config().await?;
        if config.opens_at_ms > 0 {
            return Ok(config.opens_at_ms);
        }
        let mut conn = self.cache.conn().await?;
        let calendar: Option<i64> = redis::cmd("HGET")
            .arg(self.k("cfg"))
            .arg("calendar_opens_at_ms")
            .query_async(&mut conn)
            .await?;
        Ok(calendar.unwrap_or(0))
    }

    /// One admission step: draws the early arrivals once opening has passed, lets passes lapse,
    /// admits from the head of the line within the rate and the concurrency. Safe to run from
    /// every instance at once: the rate is a token bucket shared in Redis.
    pub async fn tick(&self, now_ms: i64) -> Result<Tick, CacheError> {
        let config = self.config().await?;
        let opens_at_ms = self.opening().await?;
        let mut conn = self.cache.conn().await?;
        let mut drawn = 0;
        if config.enabled && now_ms >= opens_at_ms {
            let early: Vec<String> = redis::cmd("SMEMBERS")
                .arg(self.k("early"))
                .query_async(&mut conn)
                .await?;
            if !early.is_empty() {
                let mut order = early;
                order.shuffle(&mut rand::thread_rng());
                drawn = DRAW
                    .key(self.k("early"))
                    .key(self.k("queue"))
                    .key(self.k("seq"))
                    .arg(order)
                    .invoke_async(&mut conn)
                    .await?;
            }
        }
        let (admitted, waiting, active): (u64, u64, u64) = ADMIT
            .key(self.k("cfg"))
            .key(self.k("queue"))
            .key(self.k("active"))
            .key(self.k("bucket"))
            .key(self.k("inflight"))
            .arg(now_ms)
            .arg(opens_at_ms)
            .invoke_async(&mut conn)
            .await?;
        let early: u64 = redis::cmd("SCARD")
            .arg(self.k("early"))
            .query_async(&mut conn)
            .await?;
        Ok(Tick {
            admitted,
            waiting: waiting + early,
            active,
            drawn,
        })
    }

    /// Runs `tick` every `every` until the process ends, publishing the depth and admissions.
    pub fn spawn_ticker(self, every: Duration) {
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                interval.tick().await;
                match self.tick(chrono::Utc::now().timestamp_millis()).await {
                    Ok(t) => {
                        metrics::gauge!("sugang_waiting_room_depth").set(t.waiting as f64);
                        metrics::counter!("sugang_waiting_room_admissions_total")
                            .increment(t.admitted);
                    }
                    Err(e) => tracing::debug!(error = %e, "waiting room tick failed"),
                }
            }
        });
    }
}

fn fields(c: &RoomConfig) -> [(&'static str, String); 5] {
    [
        ("enabled", if c.enabled { "1" } else { "0" }.to_string()),
        ("rate", c.rate.to_string()),
        ("concurrency", c.concurrency.to_string()),
        ("pass_ttl", c.pass_ttl_secs.to_string()),
        ("opens_at_ms", c.opens_at_ms.to_string()),
    ]
}

/// Seconds until a student at `position` is admitted at `rate` per second.
pub fn eta_seconds(position: u64, rate: u32) -> u64 {
    if rate == 0 {
        return u64::MAX;
    }
    position.div_ceil(u64::from(rate))
}

/// The rate an ETA should assume: the configured one, or the one actually reached while people
/// waited when that is lower (the concurrency cap holds admissions back), at least 0.1/s.
pub fn expected_rate(configured: u32, measured: f64) -> f64 {
    let configured = f64::from(configured);
    if measured > 0.0 {
        measured.min(configured).max(0.1)
    } else {
        configured
    }
}

/// Seconds until a student at `position` is admitted at `rate` (fractional) per second.
pub fn eta_at(position: u64, rate: f64) -> u64 {
    if rate <= 0.0 {
        return u64::MAX;
    }
    (position as f64 / rate).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::{eta_at, eta_seconds, expected_rate};

    #[test]
    fn the_eta_assumes_the_rate_actually_reached_when_the_cap_holds_it_back() {
        assert_eq!(expected_rate(100, 0.0), 100.0);
        assert_eq!(expected_rate(100, 12.5), 12.5);
        assert_eq!(expected_rate(100, 400.0), 100.0);
        assert_eq!(expected_rate(100, 0.01), 0.1);
        assert_eq!(eta_at(300, expected_rate(100, 10.0)), 30);
        assert_eq!(eta_at(300, expected_rate(100, 0.0)), 3);
        assert_eq!(eta_at(5, 0.0), u64::MAX);
    }

    #[test]
    fn eta_rounds_up_and_survives_a_stopped_room() {
        assert_eq!(eta_seconds(1, 100), 1);
        assert_eq!(eta_seconds(100, 100), 1);
        assert_eq!(eta_seconds(101, 100), 2);
        assert_eq!(eta_seconds(5, 0), u64::MAX);
    }
}
