//! Sign-in throttling in Redis, shared by every instance: failed attempts per account and all
//! attempts per client address, each in a fixed window. A throttled attempt is refused before any
//! password hashing, so it costs one Redis round trip.

use std::time::Duration;

use std::sync::LazyLock;

use redis::Script;

use crate::cache::{Cache, CacheError};

static CHECK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS[1] account failures, KEYS[2] address attempts
-- ARGV[1] account limit, ARGV[2] address limit, ARGV[3] window seconds
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then return {1, redis.call('TTL', KEYS[1])} end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
if n > tonumber(ARGV[2]) then return {2, redis.call('TTL', KEYS[2])} end
return {0, 0}
"#,
    )
});

static FAIL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"#,
    )
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    Account { retry_after: u64 },
    Address { retry_after: u64 },
}

impl Throttled {
    pub fn retry_after(self) -> u64 {
        match self {
            Throttled::Account { retry_after } | Throttled::Address { retry_after } => retry_after,
        }
    }
}

#[derive(Clone)]
pub struct LoginThrottle {
    cache: Cache,
    account_limit: u32,
    address_limit: u32,
    window: Duration,
}

impl LoginThrottle {
    pub fn new(cache: Cache, account_limit: u32, address_limit: u32, window: Duration) -> Self {
        LoginThrottle {
            cache,
            account_limit,
            address_limit,
            window,
        }
    }

    fn account_key(&self, login_id: &str) -> String {
        self.cache.key(&format!(
            "throttle:login:account:{}",
            login_id.to_ascii_lowercase()
        ))
    }

    /// Counts this attempt against the address and says whether it may go ahead.
    pub async fn check(
        &self,
        login_id: &str,
        address: &str,
    ) -> Result<Option<Throttled>, CacheError> {
        let mut conn = self.cache.conn().await?;
        let (verdict, ttl): (i64, i64) = CHECK
            .key(self.account_key(login_id))
            .key(self.cache.key(&format!("throttle:login:address:{address}")))
            .arg(self.account_limit)
            .arg(self.address_limit)
            .arg(self.window.as_secs())
            .invoke_async(&mut conn)
            .await?;
        let retry_after = ttl.max(1) as u64;
        Ok(match verdict {
            1 => Some(Throttled::Account { retry_after }),
            2 => Some(Throttled::Address { retry_after }),
            _ => None,
        })
    }

    pub async fn record_failure(&self, login_id: &str) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let _: i64 = FAIL
            .key(self.account_key(login_id))
            .arg(self.window.as_secs())
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    pub async fn record_success(&self, login_id: &str) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let _: i64 = redis::cmd("DEL")
            .arg(self.account_key(login_id))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }
}
