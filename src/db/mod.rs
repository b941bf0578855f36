//! The store of record: the r2d2 pool over MySQL/MariaDB, embedded migrations, and `Db::run`,
//! which takes a connection and uses it on the blocking pool so async workers never wait on MySQL.

pub mod schema;

use std::time::Duration;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::Settings;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbPool = Pool<ConnectionManager<MysqlConnection>>;
pub type DbConn = PooledConnection<ConnectionManager<MysqlConnection>>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Every connection talks UTC, so `CURRENT_TIMESTAMP` defaults agree with the application clock.
#[derive(Debug)]
struct SessionSetup;

impl CustomizeConnection<MysqlConnection, diesel::r2d2::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut MysqlConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute("SET time_zone = '+00:00'")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

#[derive(Clone)]
pub struct Db {
    pool: DbPool,
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
        let manager = ConnectionManager::<MysqlConnection>::new(url);
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .connection_customizer(Box::new(SessionSetup))
            .build_unchecked(manager);
        Db { pool }
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs `f` with a pooled connection on actix's blocking thread pool.
    pub async fn run<F, T>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut MysqlConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool
                .get()
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| DbError::Unavailable(e.to_string()))?
    }

    /// Like `run`, but gives up on getting a connection after `timeout` (readiness checks).
    pub async fn ping(&self, timeout: Duration) -> Result<(), DbError> {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool
                .get_timeout(timeout)
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
        .map_err(|e| DbError::Unavailable(e.to_string()))?
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
