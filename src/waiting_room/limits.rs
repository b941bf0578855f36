//! Rate limits on registration actions, per student and per client address, shared by every
//! instance through Redis. A student over the limit gets 429 with `Retry-After`; the first excess
//! in a window is written to the activity log, and a student who keeps coming back over the limit
//! (a macro) is blocked for a penalty that doubles with each strike, up to ten minutes.

use std::sync::LazyLock;

use redis::Script;

use crate::cache::{Cache, CacheError};

use crate::config::Limits;

static LIMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS: student window, address window, student penalty, student strikes
-- ARGV: student limit, address limit, window secs, base penalty secs, strikes before penalty
-- Returns {verdict, retry_after, strikes, first}: 0 ok, 1 student over, 2 address over, 3 penalised.
local pen = redis.call('TTL', KEYS[3])
if pen > 0 then return {3, pen, 0, 0} end
local window = tonumber(ARGV[3])
local s = redis.call('INCR', KEYS[1])
if s == 1 then redis.call('EXPIRE', KEYS[1], window) end
local a = redis.call('INCR', KEYS[2])
if a == 1 then redis.call('EXPIRE', KEYS[2], window) end
if s > tonumber(ARGV[1]) then
  local first = 0
  local strikes = 0
  if s == tonumber(ARGV[1]) + 1 then
    first = 1
    strikes = redis.call('INCR', KEYS[4])
    redis.call('EXPIRE', KEYS[4], 3600)
    local free = tonumber(ARGV[5])
    if strikes > free then
      local secs = math.min(tonumber(ARGV[4]) * 2 ^ (strikes - free - 1), 600)
      redis.call('SET', KEYS[3], '1', 'EX', math.floor(secs))
      return {3, math.floor(secs), strikes, 1}
    end
  end
  return {1, math.max(redis.call('TTL', KEYS[1]), 1), strikes, first}
end
if a > tonumber(ARGV[2]) then return {2, math.max(redis.call('TTL', KEYS[2]), 1), 0, 0} end
return {0, 0, 0, 0}
"#,
    )
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the per-student limit; `first` is the first excess in this window (log it).
    StudentOver {
        retry_after: u64,
        first: bool,
    },
    AddressOver {
        retry_after: u64,
    },
    /// Blocked after repeated excess; `started` is true on the request that earned it.
    Penalised {
        retry_after: u64,
        strikes: u64,
        started: bool,
    },
}

#[derive(Clone)]
pub struct ActionLimiter {
    cache: Cache,
    limits: Limits,
}

/// Strikes (windows with an excess, within an hour) tolerated before a penalty starts.
const FREE_STRIKES: u32 = 2;
const BASE_PENALTY_SECS: u32 = 30;

impl ActionLimiter {
    pub fn new(cache: Cache, limits: Limits) -> Self {
        ActionLimiter { cache, limits }
    }

    pub async fn check(&self, student_id: i32, address: &str) -> Result<Verdict, CacheError> {
        let mut conn = self.cache.conn().await?;
        let (verdict, retry, strikes, first): (i64, i64, u64, i64) = LIMIT
            .key(self.cache.key(&format!("rl:action:student:{student_id}")))
            .key(self.cache.key(&format!("rl:action:address:{address}")))
            .key(self.cache.key(&format!("rl:action:penalty:{student_id}")))
            .key(self.cache.key(&format!("rl:action:strikes:{student_id}")))
            .arg(self.limits.per_student)
            .arg(self.limits.per_address)
            .arg(self.limits.window.as_secs().max(1))
            .arg(BASE_PENALTY_SECS)
            .arg(FREE_STRIKES)
            .invoke_async(&mut conn)
            .await?;
        let retry_after = retry.max(1) as u64;
        Ok(match verdict {
            1 => Verdict::StudentOver {
                retry_after,
                first: first == 1,
            },
            2 => Verdict::AddressOver { retry_after },
            3 => Verdict::Penalised {
                retry_after,
                strikes,
                started: first == 1,
            },
            _ => Verdict::Allowed,
        })
    }
}
