//! Sign-in throttling in Redis, shared by every instance. Only failures are counted: per account
//! for untrusted clients (growing delays, then the lockout), per device cookie for a browser that
//! signed in to the account before (its own lockout, untouched by failures from elsewhere), and
//! per client address (a short delay past half the limit, then refusal), so a campus behind one
//! address is never refused for its successful sign-ins. A throttled attempt is refused before
//! any password hashing, so it costs one Redis round trip.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use crate::cache::{Cache, CacheError};

// KEYS (both scripts): 1 account failures, 2 account delay, 3 address failures, 4 address delay,
// 5 device failures.
static CHECK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- ARGV[1] account limit, ARGV[2] address limit, ARGV[3] '1' for a known device
if ARGV[3] == '1' then
  local d = tonumber(redis.call('GET', KEYS[5]) or '0')
  if d >= tonumber(ARGV[1]) then return {3, redis.call('PTTL', KEYS[5])} end
  return {0, 0}
end
local f = tonumber(redis.call('GET', KEYS[1]) or '0')
if f >= tonumber(ARGV[1]) then return {1, redis.call('PTTL', KEYS[1])} end
local a = tonumber(redis.call('GET', KEYS[3]) or '0')
if a >= tonumber(ARGV[2]) then return {2, redis.call('PTTL', KEYS[3])} end
local wait = math.max(redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[4]))
if wait > 0 then return {4, wait} end
return {0, 0}
"#,
    )
});

static FAIL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- ARGV[1] account limit, ARGV[2] address limit, ARGV[3] '1' for a known device,
-- ARGV[4] window seconds, ARGV[5] first delay in milliseconds
local window = tonumber(ARGV[4])
local base = tonumber(ARGV[5])
if ARGV[3] == '1' then
  if redis.call('INCR', KEYS[5]) == 1 then redis.call('EXPIRE', KEYS[5], window) end
else
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('EXPIRE', KEYS[1], window) end
  if base > 0 and n >= 2 and n < tonumber(ARGV[1]) then
    local delay = math.min(base * 2 ^ (n - 2), window * 1000)
    redis.call('SET', KEYS[2], '1', 'PX', math.floor(delay))
  end
end
local a = redis.call('INCR', KEYS[3])
if a == 1 then redis.call('EXPIRE', KEYS[3], window) end
if base > 0 and a * 2 >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[4], '1', 'PX', base)
end
return 0
"#,
    )
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// Too many failures from untrusted clients: the account is locked for them.
    Account { retry_after: u64 },
    /// Too many failures from this address.
    Address { retry_after: u64 },
    /// Too many failures from this known device.
    Device { retry_after: u64 },
    /// The delay after a recent failure has not passed yet.
    Delayed { retry_after: u64 },
}

impl Throttled {
    pub fn retry_after(self) -> u64 {
        match self {
            Throttled::Account { retry_after }
            | Throttled::Address { retry_after }
            | Throttled::Device { retry_after }
            | Throttled::Delayed { retry_after } => retry_after,
        }
    }
}

/// Who is trying: the account, the client address and, for a known browser, its device id.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub login_id: &'a str,
    pub address: &'a str,
    pub device: Option<&'a str>,
}

#[derive(Clone)]
pub struct LoginThrottle {
    cache: Cache,
    account_limit: u32,
    address_limit: u32,
    window: Duration,
    delay: Duration,
}

impl LoginThrottle {
    pub fn new(
        cache: Cache,
        account_limit: u32,
        address_limit: u32,
        window: Duration,
        delay: Duration,
    ) -> Self {
        LoginThrottle {
            cache,
            account_limit,
            address_limit,
            window,
            delay,
        }
    }

    fn keys(&self, a: &Attempt<'_>) -> [String; 5] {
        let account = a.login_id.to_ascii_lowercase();
        [
            self.cache.key(&format!("throttle:login:account:{account}")),
            self.cache.key(&format!("throttle:login:delay:{account}")),
            self.cache
                .key(&format!("throttle:login:address:{}", a.address)),
            self.cache
                .key(&format!("throttle:login:address-delay:{}", a.address)),
            self.cache.key(&format!(
                "throttle:login:device:{account}:{}",
                a.device.unwrap_or("-")
            )),
        ]
    }

    /// Says whether this attempt may go ahead (nothing is counted here).
    pub async fn check(&self, attempt: Attempt<'_>) -> Result<Option<Throttled>, CacheError> {
        let mut conn = self.cache.conn().await?;
        let mut script = CHECK.prepare_invoke();
        for key in self.keys(&attempt) {
            script.key(key);
        }
        let (verdict, ttl_ms): (i64, i64) = script
            .arg(self.account_limit)
            .arg(self.address_limit)
            .arg(if attempt.device.is_some() { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await?;
        let retry_after = (ttl_ms.max(1) as u64).div_ceil(1000);
        Ok(match verdict {
            1 => Some(Throttled::Account { retry_after }),
            2 => Some(Throttled::Address { retry_after }),
            3 => Some(Throttled::Device { retry_after }),
            4 => Some(Throttled::Delayed { retry_after }),
            _ => None,
        })
    }

    pub async fn record_failure(&self, attempt: Attempt<'_>) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let mut script = FAIL.prepare_invoke();
        for key in self.keys(&attempt) {
            script.key(key);
        }
        let _: i64 = script
            .arg(self.account_limit)
            .arg(self.address_limit)
            .arg(if attempt.device.is_some() { "1" } else { "0" })
            .arg(self.window.as_secs())
            .arg(self.delay.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// A success clears the failures of whoever succeeded: the device's own, or (untrusted) the
    /// account's. A success from a known device leaves the untrusted count alone, so an attacker
    /// does not get fresh guesses each time the owner signs in.
    pub async fn record_success(&self, attempt: Attempt<'_>) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let [account, delay, _, _, device] = self.keys(&attempt);
        let mut del = redis::cmd("DEL");
        if attempt.device.is_some() {
            del.arg(device);
        } else {
            del.arg(account).arg(delay);
        }
        let _: i64 = del.query_async(&mut conn).await?;
        Ok(())
    }
}
