//! Redis: shared multiplexed connections, the Redis breaker and the per-request budget, and the
//! key namespace every instance shares (sessions, throttles, the waiting room, the seats-left
//! signal, caches). All keys go through `Cache::key` so tests and deployments can share one Redis
//! under different prefixes.
//!
//! Three rules bound what a Redis fault costs a request (see docs/FAULTS.md):
//! - **One budget per request** (`SUGANG_REDIS_BUDGET_MS`): every command a request sends, and the
//!   wait for a connection, come out of the same deadline, set by `request_budget` around the
//!   request; work outside a request (background tasks) gets a fresh budget per command.
//! - **Long-lived multiplexed connections** taken from a `deadpool-redis` pool (its create and
//!   wait time-outs are `SUGANG_REDIS_CONNECT_TIMEOUT_MS` and `SUGANG_REDIS_WAIT_TIMEOUT_MS`) and
//!   kept: every request shares them (a multiplexed connection pipelines many requests at once),
//!   and a connection goes back to the pool only when it failed with a connection error or a
//!   time-out — the pool's recycling check (a PING) then runs once, on that broken connection, and
//!   the pool makes a new one. No ping per checkout, no retry loop with back-off in a request.
//! - **A breaker**: `SUGANG_REDIS_BREAKER_FAILURES` consecutive failures (connect, reset, EOF,
//!   time-out) open it; while open, every command fails at once (the request answers 503 with
//!   `Retry-After`) and a background probe PINGs Redis over a fresh connection every 200 ms; its
//!   first answer closes the breaker and the next command makes new connections.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisFuture, Value};
use std::cell::Cell;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

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
/// How often the probe asks Redis while the breaker is open.
const PROBE_EVERY: Duration = Duration::from_millis(200);

/// The budget requests get when the settings were not read (tests building a `Cache` by hand).
static REQUEST_BUDGET_MS: AtomicU64 = AtomicU64::new(1000);

tokio::task_local! {
    /// What is left of the current request's Redis time: every wait on Redis (a slot, a
    /// connection, an answer) is taken from it; time spent on other work (hashing a password,
    /// MySQL) is not.
    static BUDGET: Cell<Duration>;
}

/// Middleware: one Redis budget for the whole request, shared by every command it sends.
pub async fn request_budget(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let budget = Duration::from_millis(REQUEST_BUDGET_MS.load(Ordering::Relaxed));
    BUDGET.scope(Cell::new(budget), next.call(req)).await
}

/// Takes the time since `started` from the current request's budget.
fn spend(started: Instant) {
    let spent = started.elapsed();
    let _ = BUDGET.try_with(|b| b.set(b.get().saturating_sub(spent)));
}

/// The breaker's state, shared by every clone of the `Cache`.
struct Breaker {
    consecutive: AtomicU32,
    open: AtomicBool,
    probing: AtomicBool,
    threshold: u32,
    opened: AtomicU64,
}

/// The shared Redis. `SUGANG_REDIS_POOL_SIZE` bounds how many commands may be in flight at once.
#[derive(Clone)]
pub struct Cache {
    client: redis::Client,
    /// Where the long-lived connections come from and go back to when broken.
    pool: deadpool_redis::Pool,
    /// The connections taken from the pool, each shared by every request.
    conns: Arc<Vec<Mutex<Option<deadpool_redis::Connection>>>>,
    next: Arc<AtomicUsize>,
    slots: Arc<Semaphore>,
    size: usize,
    prefix: String,
    budget: Duration,
    breaker: Arc<Breaker>,
}

/// One command's use of the shared connections; holds an in-flight slot until dropped.
pub struct Connection {
    inner: MultiplexedConnection,
    cache: Cache,
    index: usize,
    _slot: OwnedSemaphorePermit,
}

/// Whether an error means the connection (or Redis) failed, as opposed to a command Redis
/// refused (a wrong type, a script error): only the former count toward the breaker.
fn is_connection_failure(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
}

impl Connection {
    async fn within<T>(
        &mut self,
        work: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> redis::RedisResult<T> {
        let left = self.cache.time_left();
        let started = Instant::now();
        let outcome = tokio::time::timeout(left, work).await;
        spend(started);
        let outcome = match outcome {
            Ok(r) => r,
            Err(_) => Err(redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "redis did not answer within the request's budget",
            ))),
        };
        match &outcome {
            Ok(_) => self.cache.succeeded(),
            Err(e) if is_connection_failure(e) => self.cache.failed(self.index).await,
            Err(_) => self.cache.succeeded(),
        }
        outcome
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut inner = self.inner.clone();
            self.within(async move { inner.req_packed_command(cmd).await })
                .await
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut inner = self.inner.clone();
            self.within(async move { inner.req_packed_commands(cmd, offset, count).await })
                .await
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
    pub breaker_open: bool,
}

/// A connection error that comes from the TLS layer (handshake, certificate, CA).
pub fn is_tls_failure(error: &str) -> bool {
    let e = error.to_ascii_lowercase();
    ["certificate", "tls", "ssl", "handshake", "unknownissuer"]
        .iter()
        .any(|w| e.contains(w))
}

/// A Redis client for `url`: `redis://` in clear, `rediss://` over TLS (rustls) verified
/// against `ca_file` (a PEM bundle, for private CAs) or, without one, the system's roots.
pub fn client(url: &str, ca_file: Option<&str>) -> anyhow::Result<redis::Client> {
    let Some(path) = ca_file else {
        return Ok(redis::Client::open(url)?);
    };
    if !url.starts_with("rediss://") {
        anyhow::bail!("SUGANG_REDIS_CA_FILE is set but REDIS_URL is not a rediss:// (TLS) address");
    }
    let pem =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("SUGANG_REDIS_CA_FILE {path}: {e}"))?;
    Ok(redis::Client::build_with_tls(
        url,
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem),
        },
    )?)
}

/// The pool the long-lived connections come from: at most `CONNECTIONS` of them, made within
/// `create` and waited for within `wait` (each also bounded by the request's budget). It connects
/// as `client` does, TLS and its CA bundle included.
fn pool(
    client: &redis::Client,
    create: Duration,
    wait: Duration,
) -> anyhow::Result<deadpool_redis::Pool> {
    let manager = deadpool_redis::Manager::new(client.get_connection_info().clone())?;
    Ok(deadpool_redis::Pool::builder(manager)
        .max_size(CONNECTIONS)
        .runtime(deadpool_redis::Runtime::Tokio1)
        .create_timeout(Some(create))
        .wait_timeout(Some(wait))
        .recycle_timeout(Some(create))
        .build()?)
}

impl Cache {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        REQUEST_BUDGET_MS.store(
            settings.redis_budget.as_millis().max(1) as u64,
            Ordering::Relaxed,
        );
        let client = client(&settings.redis_url, settings.redis_ca_file.as_deref())?;
        let pool = pool(
            &client,
            settings.redis_connect_timeout,
            settings.redis_wait_timeout,
        )?;
        Ok(Self::with_client(
            client,
            pool,
            &settings.redis_prefix,
            settings.redis_pool_size,
        )
        .with_limits(settings.redis_budget, settings.redis_breaker_failures))
    }

    /// Connects lazily: the service starts (and reports not-ready) while Redis is down.
    pub fn new(url: &str, prefix: &str, size: usize) -> anyhow::Result<Self> {
        let second = Duration::from_secs(1);
        let client = client(url, None)?;
        let pool = pool(&client, second, second)?;
        Ok(Self::with_client(client, pool, prefix, size))
    }

    fn with_client(
        client: redis::Client,
        pool: deadpool_redis::Pool,
        prefix: &str,
        size: usize,
    ) -> Self {
        let size = size.max(1);
        Cache {
            client,
            pool,
            conns: Arc::new((0..CONNECTIONS).map(|_| Mutex::new(None)).collect()),
            next: Arc::new(AtomicUsize::new(0)),
            slots: Arc::new(Semaphore::new(size)),
            size,
            prefix: prefix.to_string(),
            budget: Duration::from_millis(1000),
            breaker: Arc::new(Breaker {
                consecutive: AtomicU32::new(0),
                open: AtomicBool::new(false),
                probing: AtomicBool::new(false),
                threshold: 3,
                opened: AtomicU64::new(0),
            }),
        }
    }

    /// The budget of work outside a request and the breaker's threshold.
    pub fn with_limits(mut self, budget: Duration, failures: u32) -> Self {
        self.budget = budget.max(Duration::from_millis(1));
        self.breaker = Arc::new(Breaker {
            consecutive: AtomicU32::new(0),
            open: AtomicBool::new(false),
            probing: AtomicBool::new(false),
            threshold: failures.max(1),
            opened: AtomicU64::new(0),
        });
        self
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
            breaker_open: self.is_open(),
        }
    }

    /// True while the breaker is open: Redis failed repeatedly and has not answered the probe.
    pub fn is_open(&self) -> bool {
        self.breaker.open.load(Ordering::Relaxed)
    }

    /// How many times the breaker has opened since start (for metrics).
    pub fn times_opened(&self) -> u64 {
        self.breaker.opened.load(Ordering::Relaxed)
    }

    /// What is left of the current request's budget, or a whole budget outside a request.
    fn time_left(&self) -> Duration {
        BUDGET.try_with(|b| b.get()).unwrap_or(self.budget)
    }

    fn succeeded(&self) {
        self.breaker.consecutive.store(0, Ordering::Relaxed);
    }

    /// A connection failure on connection `index`: the connection goes back to the pool (which
    /// checks it once and replaces it) and the failure counts toward opening the breaker.
    async fn failed(&self, index: usize) {
        if let Some(slot) = self.conns.get(index) {
            if let Ok(mut held) = slot.try_lock() {
                *held = None;
            }
        }
        self.count_failure();
    }

    fn count_failure(&self) {
        let n = self.breaker.consecutive.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= self.breaker.threshold && !self.breaker.open.swap(true, Ordering::SeqCst) {
            self.breaker.opened.fetch_add(1, Ordering::Relaxed);
            ::metrics::counter!("sugang_redis_breaker_opened_total").increment(1);
            tracing::warn!(
                failures = n,
                "redis unreachable: breaker open, answering 503 until the probe gets an answer"
            );
            self.spawn_probe();
        }
    }

    fn spawn_probe(&self) {
        if self.breaker.probing.swap(true, Ordering::SeqCst) {
            return;
        }
        let cache = self.clone();
        let spawned = tokio::runtime::Handle::try_current().map(|h| {
            h.spawn(async move {
                loop {
                    tokio::time::sleep(PROBE_EVERY).await;
                    if cache.probe_once(cache.budget).await.is_ok() {
                        for slot in cache.conns.iter() {
                            *slot.lock().await = None;
                        }
                        cache.breaker.consecutive.store(0, Ordering::Relaxed);
                        cache.breaker.open.store(false, Ordering::SeqCst);
                        tracing::info!("redis reachable again: breaker closed");
                        break;
                    }
                }
                cache.breaker.probing.store(false, Ordering::SeqCst);
            })
        });
        if spawned.is_err() {
            // No runtime to probe from: close at once so the next command tries for itself.
            self.breaker.probing.store(false, Ordering::SeqCst);
            self.breaker.open.store(false, Ordering::SeqCst);
        }
    }

    /// PING over a fresh connection of its own, within `timeout`.
    async fn probe_once(&self, timeout: Duration) -> Result<(), CacheError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(timeout)
            .set_response_timeout(timeout);
        let attempt = async {
            let mut conn = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            let _: String = redis::cmd("PING").query_async(&mut conn).await?;
            Ok::<_, CacheError>(())
        };
        tokio::time::timeout(timeout, attempt)
            .await
            .map_err(|_| CacheError::Unavailable("ping timed out".into()))?
    }

    pub async fn conn(&self) -> Result<Connection, CacheError> {
        if self.is_open() {
            return Err(CacheError::Unavailable(
                "redis unreachable (breaker open)".into(),
            ));
        }
        let left = self.time_left();
        if left.is_zero() {
            return Err(CacheError::Unavailable(
                "the request's redis budget is spent".into(),
            ));
        }
        let started = Instant::now();
        let deadline = started + left;
        let slot = tokio::time::timeout_at(deadline, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| CacheError::Unavailable("no free redis slot".into()))?
            .map_err(|_| CacheError::Unavailable("redis closed".into()))?;
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        let made = tokio::time::timeout_at(deadline, async {
            let mut held = self.conns[index].lock().await;
            if let Some(c) = held.as_ref() {
                return Ok(c.as_ref().clone());
            }
            let c = self.pool.get().await.map_err(|e| match e {
                deadpool_redis::PoolError::Backend(e) => e,
                other => redis::RedisError::from(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    other.to_string(),
                )),
            })?;
            let shared = c.as_ref().clone();
            *held = Some(c);
            Ok::<_, redis::RedisError>(shared)
        })
        .await;
        spend(started);
        match made {
            Ok(Ok(inner)) => Ok(Connection {
                inner,
                cache: self.clone(),
                index,
                _slot: slot,
            }),
            Ok(Err(e)) => {
                if is_tls_failure(&e.to_string()) {
                    tracing::error!(error = %e, "Redis TLS failed: check REDIS_URL (rediss://) and SUGANG_REDIS_CA_FILE (the CA bundle must sign the server's certificate)");
                }
                self.count_failure();
                Err(e.into())
            }
            Err(_) => {
                self.count_failure();
                Err(CacheError::Unavailable(
                    "no redis connection within the request's budget".into(),
                ))
            }
        }
    }

    /// PING with a deadline, for readiness: fails at once while the breaker is open.
    pub async fn ping(&self, timeout: Duration) -> Result<(), CacheError> {
        let attempt = async {
            let mut conn = self.conn().await?;
            let _: String = redis::cmd("PING").query_async(&mut conn).await?;
            Ok::<_, CacheError>(())
        };
        BUDGET
            .scope(Cell::new(timeout), async {
                tokio::time::timeout(timeout, attempt)
                    .await
                    .map_err(|_| CacheError::Unavailable("ping timed out".into()))?
            })
            .await
    }
}

#[cfg(test)]
mod tls_tests {
    use super::client;

    #[test]
    fn a_ca_bundle_needs_a_tls_address_and_a_readable_file() {
        assert!(client("redis://127.0.0.1:6379", Some("/nonexistent.pem")).is_err());
        assert!(client("rediss://127.0.0.1:6379", Some("/nonexistent.pem")).is_err());
        assert!(client("rediss://127.0.0.1:6379", None).is_ok());
        assert!(client("redis://127.0.0.1:6379", None).is_ok());
    }
}
