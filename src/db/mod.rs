//! The store of record: the r2d2 pool over MySQL/MariaDB, embedded migrations, and `Db::run`,
//! which takes a connection and uses it on the blocking pool so async workers never wait on MySQL.

pub mod schema;
pub mod tx;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool, PooledConnection};
use diesel::QueryResult;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::Settings;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbPool = Pool<Manager>;
pub type DbConn = PooledConnection<Manager>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// A pooled MySQL connection that remembers whether it was lost. r2d2 hands out connections
/// without testing them (a `SELECT 1` per checkout is a round trip on every request); instead a
/// connection that failed with a connection error is marked and the pool drops it on return.
pub struct Conn {
    conn: MysqlConnection,
    broken: bool,
}

/// Makes connections for the pool. Every connection talks UTC, so `CURRENT_TIMESTAMP` defaults
/// agree with the application clock, and runs its transactions under READ COMMITTED: the
/// registration transactions are made correct by their row locks, and every read after a lock
/// must see the latest commit, which a REPEATABLE READ snapshot taken earlier would not.
pub struct Manager {
    inner: ConnectionManager<MysqlConnection>,
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        let mut conn = self.inner.connect()?;
        conn.batch_execute(
            "SET time_zone = '+00:00'; SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        )
        .map_err(diesel::r2d2::Error::QueryError)?;
        Ok(Conn {
            conn,
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        self.inner.is_valid(&mut conn.conn)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || self.inner.has_broken(&mut conn.conn)
    }
}

/// The pool and a breaker: while MySQL does not answer a probe, requests fail at once with 503
/// instead of each waiting on a stalled server; the first answer closes the breaker again.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    /// Unix milliseconds of the probe's last answer.
    last_ok: Arc<AtomicI64>,
    /// How old that answer may be before the breaker opens; 0 until the probe runs (no breaker).
    down_after_ms: Arc<AtomicI64>,
    /// How long a call may wait for a pooled connection.
    checkout: Duration,
}

/// A call waiting for a connection looks at the breaker this often: when MySQL goes away, the
/// calls already waiting answer 503 as soon as the breaker opens, not at the end of the wait.
const CHECKOUT_SLICE: Duration = Duration::from_millis(100);

impl Db {
    /// Builds the pool without connecting: the service starts (and reports not-ready) while
    /// MySQL is still coming up.
    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(
            &settings.database_url,
            settings.db_pool_size,
            settings.db_pool_timeout,
        )
    }

    pub fn new(url: &str, size: u32, timeout: Duration) -> Self {
        let manager = Manager {
            inner: ConnectionManager::<MysqlConnection>::new(url),
        };
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .test_on_check_out(false)
            .build_unchecked(manager);
        Db {
            pool,
            last_ok: Arc::new(AtomicI64::new(now_ms())),
            down_after_ms: Arc::new(AtomicI64::new(0)),
            checkout: timeout,
        }
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// True while the breaker is open (MySQL has not answered the probe for a while).
    pub fn is_down(&self) -> bool {
        let limit = self.down_after_ms.load(Ordering::Relaxed);
        limit > 0 && now_ms() - self.last_ok.load(Ordering::Relaxed) > limit
    }

    /// Runs `f` with a pooled connection on actix's blocking thread pool.
    pub async fn run<F, T>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut MysqlConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        if self.is_down() {
            return Err(DbError::Unavailable("the database is unreachable".into()));
        }
        let pool = self.pool.clone();
        let db = self.clone();
        web::block(move || {
            // The breaker may have opened while this call waited for a blocking thread.
            if db.is_down() {
                return Err(DbError::Unavailable("the database is unreachable".into()));
            }
            let started = std::time::Instant::now();
            let mut conn = loop {
                let left = db.checkout.saturating_sub(started.elapsed());
                match pool.get_timeout(left.min(CHECKOUT_SLICE).max(Duration::from_millis(1))) {
                    Ok(conn) => break conn,
                    Err(e) if db.is_down() || started.elapsed() >= db.checkout => {
                        return Err(DbError::Unavailable(e.to_string()));
                    }
                    Err(_) => {}
                }
            };
            let result = f(&mut conn.conn);
            if let Err(DbError::Query(e)) = &result {
                if is_connection_error(e) {
                    conn.broken = true;
                }
            }
            result
        })
        .await
        .map_err(|e| DbError::Unavailable(e.to_string()))?
    }

    /// `run` for the common case: `f` is composed of query functions (`QueryResult<T>`), so a
    /// handler reads `db.query(move |conn| queries::x(conn, id)).await?`.
    pub async fn query<F, T>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut MysqlConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| Ok(f(conn)?)).await
    }

    /// Like `run`, but gives up on getting a connection after `timeout` and ignores the breaker
    /// (readiness checks and the probe).
    pub async fn ping(&self, timeout: Duration) -> Result<(), DbError> {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool
                .get_timeout(timeout)
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
            if let Err(e) = conn.conn.batch_execute("SELECT 1") {
                conn.broken = true;
                return Err(e.into());
            }
            Ok(())
        })
        .await
        .map_err(|e| DbError::Unavailable(e.to_string()))?
    }

    /// Asks MySQL `SELECT 1` every `every` from a thread of its own, over a connection of its
    /// own (the pool and the async runtime may be busy with honest work). The breaker is open
    /// while no probe has succeeded for `down_after`: a probe stuck on a stalled server simply
    /// stops renewing it, and the first answer closes it again.
    pub fn spawn_probe(&self, url: String, every: Duration, down_after: Duration) {
        let last_ok = self.last_ok.clone();
        last_ok.store(now_ms(), Ordering::Relaxed);
        self.down_after_ms
            .store(down_after.as_millis() as i64, Ordering::Relaxed);
        let spawned = std::thread::Builder::new()
            .name("db-probe".into())
            .spawn(move || {
                let mut conn: Option<MysqlConnection> = None;
                let mut was_down = false;
                loop {
                    std::thread::sleep(every);
                    match probe_once(&mut conn, &url) {
                        Probe::Answered => last_ok.store(now_ms(), Ordering::Relaxed),
                        // MySQL refused the connection at once (stopped, restarting): no need
                        // to wait for `down_after`, requests would only wait on the pool.
                        Probe::Refused => last_ok.store(
                            now_ms() - down_after.as_millis() as i64 - 1,
                            Ordering::Relaxed,
                        ),
                        Probe::Failed => {}
                    }
                    let down =
                        now_ms() - last_ok.load(Ordering::Relaxed) > down_after.as_millis() as i64;
                    if down != was_down {
                        if down {
                            tracing::warn!("database unreachable: answering 503 until it returns");
                        } else {
                            tracing::info!("database reachable again");
                        }
                        was_down = down;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "database probe not started");
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

enum Probe {
    Answered,
    Refused,
    Failed,
}

fn probe_once(conn: &mut Option<MysqlConnection>, url: &str) -> Probe {
    use diesel::Connection;
    if conn.is_none() {
        let started = std::time::Instant::now();
        match MysqlConnection::establish(url) {
            Ok(c) => *conn = Some(c),
            // A connection refused fails at once; a stalled server takes the connect time-out.
            Err(_) if started.elapsed() < Duration::from_millis(200) => return Probe::Refused,
            Err(_) => return Probe::Failed,
        }
    }
    let ok = conn
        .as_mut()
        .is_some_and(|c| c.batch_execute("SELECT 1").is_ok());
    if ok {
        Probe::Answered
    } else {
        *conn = None;
        Probe::Failed
    }
}

/// Applies every pending migration.
pub fn run_migrations(conn: &mut MysqlConnection) -> anyhow::Result<Vec<String>> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// True when `e` means MySQL could not be reached or dropped the connection, as opposed to a
/// query that MySQL refused.
pub fn is_connection_error(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        // The COMMIT (and the ROLLBACK after it) failed: the connection went away mid-commit.
        Error::RollbackErrorOnCommit { commit_error, .. } => is_connection_error(commit_error),
        // A transaction whose ROLLBACK could not be sent leaves the connection unusable.
        Error::BrokenTransactionManager => true,
        Error::DatabaseError(_, info) => {
            // Also what a server shutting down (a failover) answers to the queries in flight.
            let m = info.message();
            [
                "gone away",
                "Lost connection",
                "Can't connect",
                "shutdown in progress",
                "Connection was killed",
                "Query execution was interrupted",
                "Too many connections",
            ]
            .iter()
            .any(|p| m.contains(p))
        }
        _ => false,
    }
}

/// MySQL has no `RETURNING`: the id of the row the same connection inserted last.
pub fn last_insert_id(conn: &mut MysqlConnection) -> diesel::QueryResult<u64> {
    use diesel::sql_types::{BigInt, Unsigned};
    use diesel::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<Unsigned<BigInt>>("LAST_INSERT_ID()")).get_result(conn)
}

#[cfg(test)]
mod connection_error_tests {
    use super::is_connection_error;
    use diesel::result::{DatabaseErrorKind, Error};

    fn db(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_string()))
    }

    #[test]
    fn a_connection_lost_mid_commit_is_a_connection_error_a_refused_query_is_not() {
        let gone = db(DatabaseErrorKind::Unknown, "Server has gone away");
        assert!(is_connection_error(&gone));
        assert!(is_connection_error(&Error::BrokenTransactionManager));
        assert!(is_connection_error(&Error::RollbackErrorOnCommit {
            rollback_error: Box::new(Error::BrokenTransactionManager),
            commit_error: Box::new(gone),
        }));
        let refused = db(DatabaseErrorKind::UniqueViolation, "Duplicate entry");
        assert!(!is_connection_error(&refused));
        assert!(!is_connection_error(&Error::RollbackErrorOnCommit {
            rollback_error: Box::new(Error::NotFound),
            commit_error: Box::new(refused),
        }));
        assert!(!is_connection_error(&Error::NotFound));
    }
}
