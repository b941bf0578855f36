//! Redis: shared multiplexed connections and the key namespace every instance shares (sessions,
//! throttles, the waiting room, the seats-left signal, caches). All keys go through `Cache::key`
//! so tests and deployments can share one Redis under different prefixes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, Pipeline, RedisFuture, Value};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

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

/// Multiplexed connections every request shares; each pipelines many requests at once.
const CONNECTIONS: usize = 2;
/// How long a command waits for a connection, for a slot, or for Redis's answer.
const TIMEOUT: Duration = Duration::from_secs(1);

/// The shared Redis. Commands go over a few multiplexed connections that reconnect by
/// themselves (a connection pool would ping Redis on every checkout: a round trip per command);
/// `SUGANG_REDIS_POOL_SIZE` bounds how many commands may be in flight at once, like a pool's size.
#[derive(Clone)]
pub struct Cache {
    client: redis::Client,
    conns: Arc<Vec<OnceCell<ConnectionManager>>>,
    next: Arc<AtomicUsize>,
    slots: Arc<Semaphore>,
    size: usize,
    prefix: String,
}

/// One command's use of the shared connections; holds an in-flight slot until dropped.
pub struct Connection {
    inner: ConnectionManager,
    _slot: OwnedSemaphorePermit,
}

/// Redis had dropped the connection (a restart, a failover) before the command could be written:
/// it did not reach a live server, so it is sent once more over the connection being re-made.
/// Without this, each shared connection would fail one request after every Redis restart.
fn not_sent(e: &redis::RedisError) -> bool {
    e.is_io_error() && e.to_string().to_ascii_lowercase().contains("broken pipe")
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            match self.inner.req_packed_command(cmd).await {
                Err(e) if not_sent(&e) => self.inner.req_packed_command(cmd).await,
                other => other,
            }
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            match self.inner.req_packed_commands(cmd, offset, count).await {
                Err(e) if not_sent(&e) => self.inner.req_packed_commands(cmd, offset, count).await,
                other => other,
            }
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

/// In-flight commands and the bound, for the pool metrics.
#[derive(Debug, Clone, Copy)]
pub struct CacheStatus {
    pub active: usize,
    pub max_size: usize,
}

impl Cache {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        Self::new(
            &settings.redis_url,
            &settings.redis_prefix,
            settings.redis_pool_size,
        )
    }

    /// Connects lazily: the service starts (and reports not-ready) while Redis is down.
    pub fn new(url: &str, prefix: &str, size: usize) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let size = size.max(1);
        Ok(Cache {
            client,
            conns: Arc::new((0..CONNECTIONS).map(|_| OnceCell::new()).collect()),
            next: Arc::new(AtomicUsize::new(0)),
            slots: Arc::new(Semaphore::new(size)),
            size,
            prefix: prefix.to_string(),
        })
    }

    pub fn key(&self, suffix: &str) -> String {
        format!("{}{}", self.prefix, suffix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn status(&self) -> CacheStatus {
        CacheStatus {
            active: self.size - self.slots.available_permits(),
            max_size: self.size,
        }
    }

    pub async fn conn(&self) -> Result<Connection, CacheError> {
        let slot = tokio::time::timeout(TIMEOUT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| CacheError::Unavailable("no free redis slot".into()))?
            .map_err(|_| CacheError::Unavailable("redis closed".into()))?;
        let cell = &self.conns[self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len()];
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(TIMEOUT)
            .set_response_timeout(TIMEOUT)
            .set_number_of_retries(2);
        let inner = cell
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await?
            .clone();
        Ok(Connection { inner, _slot: slot })
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
