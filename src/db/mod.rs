//! The store of record: the r2d2 pool over MySQL/MariaDB, embedded migrations, and `Db::run`,
//! which takes a connection and uses it on the blocking pool so async workers never wait on MySQL.

pub mod schema;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool, PooledConnection};
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

/// The pool and a breaker: while MySQL is known to be unreachable (a connection error, a pool
/// timeout, a failed probe), requests fail at once with 503 instead of each waiting out the pool
/// timeout; `probe` closes the breaker again as soon as MySQL answers.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    down: Arc<AtomicBool>,
}

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
            down: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// True while the breaker is open (MySQL last seen unreachable).
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
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
        let down = self.down.clone();
        web::block(move || {
            let mut conn = pool
                .get()
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
            let result = f(&mut conn.conn);
            if let Err(DbError::Query(e)) = &result {
                if is_connection_error(e) {
                    conn.broken = true;
                    down.store(true, Ordering::Relaxed);
                }
            }
            result
        })
        .await
        .map_err(|e| DbError::Unavailable(e.to_string()))?
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

    /// Asks MySQL `SELECT 1` every `every` over a connection of its own (the pool may be busy
    /// with honest work), opening the breaker when no answer comes within `timeout` and closing
    /// it at the first answer. A probe stuck on a stalled server is not repeated: the breaker
    /// stays open until that one returns.
    pub fn spawn_probe(&self, url: String, every: Duration, timeout: Duration) {
        let db = self.clone();
        let slot: Arc<std::sync::Mutex<Option<MysqlConnection>>> = Arc::default();
        let busy = Arc::new(AtomicBool::new(false));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if busy.swap(true, Ordering::AcqRel) {
                    // The last probe has not come back: still unreachable.
                    db.set_down(true);
                    continue;
                }
                let (slot, busy, url) = (slot.clone(), busy.clone(), url.clone());
                let probe = tokio::task::spawn_blocking(move || {
                    let ok = probe_once(&slot, &url);
                    busy.store(false, Ordering::Release);
                    ok
                });
                // On a timeout the probe carries on detached; `busy` stays set until it returns.
                match tokio::time::timeout(timeout, probe).await {
                    Ok(Ok(ok)) => db.set_down(!ok),
                    _ => db.set_down(true),
                }
            }
        });
    }

    fn set_down(&self, down: bool) {
        if self.down.swap(down, Ordering::Relaxed) != down {
            if down {
                tracing::warn!("database unreachable: answering 503 until it returns");
            } else {
                tracing::info!("database reachable again");
            }
        }
    }
}

fn probe_once(slot: &std::sync::Mutex<Option<MysqlConnection>>, url: &str) -> bool {
    use diesel::Connection;
    let Ok(mut guard) = slot.lock() else {
        return false;
    };
    if guard.is_none() {
        *guard = MysqlConnection::establish(url).ok();
    }
    let ok = guard
        .as_mut()
        .is_some_and(|c| c.batch_execute("SELECT 1").is_ok());
    if !ok {
        *guard = None;
    }
    ok
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
        Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("gone away") || m.contains("Lost connection") || m.contains("Can't connect")
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
