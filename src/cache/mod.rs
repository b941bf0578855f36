//! Redis: the deadpool pool and the key namespace every instance shares (sessions, throttles,
//! later the waiting room and caches). All keys go through `Cache::key` so tests and deployments
//! can share one Redis under different prefixes.

use std::time::Duration;

use deadpool_redis::{Config, Connection, Pool, PoolConfig, Runtime, Timeouts};

use crate::config::Settings;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("redis unavailable: {0}")]
    Unavailable(String),
}

impl From<redis::RedisError> for CacheError {
    fn from(e: redis::RedisError) -> Self {
        CacheError::Unavailable(e.to_string())
    }
}

impl From<deadpool_redis::PoolError> for CacheError {
    fn from(e: deadpool_redis::PoolError) -> Self {
        CacheError::Unavailable(e.to_string())
    }
}

#[derive(Clone)]
pub struct Cache {
    pool: Pool,
    prefix: String,
}

impl Cache {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        Self::new(
            &settings.redis_url,
            &settings.redis_prefix,
            settings.redis_pool_size,
        )
    }

    pub fn new(url: &str, prefix: &str, size: usize) -> anyhow::Result<Self> {
        let mut cfg = Config::from_url(url);
        let timeout = Some(Duration::from_secs(1));
        cfg.pool = Some(PoolConfig {
            max_size: size,
            timeouts: Timeouts {
                wait: timeout,
                create: timeout,
                recycle: timeout,
            },
            ..PoolConfig::default()
        });
        let pool = cfg.create_pool(Some(Runtime::Tokio1))?;
        Ok(Cache {
            pool,
            prefix: prefix.to_string(),
        })
    }

    pub fn key(&self, suffix: &str) -> String {
        format!("{}{}", self.prefix, suffix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub async fn conn(&self) -> Result<Connection, CacheError> {
        Ok(self.pool.get().await?)
    }

    /// PING with a deadline, for readiness.
    pub async fn ping(&self, timeout: Duration) -> Result<(), CacheError> {
        let attempt = async {
            let mut conn = self.conn().await?;
            let _: String = redis::cmd("PING").query_async(&mut conn).await?;
            Ok::<_, CacheError>(())
        };
        tokio::time::timeout(timeout, attempt)
            .await
            .map_err(|_| CacheError::Unavailable("ping timed out".into()))?
    }
}
