//! Cached catalog reads.
//!
//! - The term's catalog snapshot (courses, sections, meetings, prerequisites; no seat numbers) is
//!   cached per **catalog version**: a Redis counter that every catalog change bumps
//!   (`bump_version`, called after the change commits). Each request reads the version (one
//!   Redis GET), so an edit shows on the very next request everywhere. Snapshots live in Redis
//!   under `catalog:term:{term}:v{version}:snapshot` (shared by every instance) and in process
//!   memory (so a hit costs no transfer or parsing).
//! - A cold cache is filled **once**: concurrent requests of one instance queue on a tokio mutex
//!   and find the filled value; across instances a Redis lock (`SET NX PX`) lets one instance
//!   read MySQL while the others wait for the Redis key to appear.
//! - Seat numbers are read separately, `SELECT id, enrolled, capacity` for the term, kept at most
//!   one second (per instance, again filled once), so seats are never more than 1 s stale.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::web;

use crate::cache::{Cache, CacheError};
use crate::catalog::queries;
use crate::catalog::snapshot::{self, SeatTable, Snapshot};
use crate::db::Db;
use crate::web::AppError;

const VERSION_KEY: &str = "catalog:version";
/// How long seat numbers may be reused.
pub const SEAT_TTL: Duration = Duration::from_secs(1);
/// Snapshots of old versions expire by themselves.
const SNAPSHOT_TTL_SECS: u64 = 24 * 3600;
const FILL_LOCK_MS: u64 = 10_000;
const FILL_WAIT: Duration = Duration::from_secs(5);

/// Marks the catalog changed: every instance rebuilds its snapshot on its next request.
/// Call it after the transaction that changed courses, sections, meetings or terms commits.
pub async fn bump_version(cache: &Cache) -> Result<u64, CacheError> {
    let mut conn = cache.conn().await?;
    let v: u64 = redis::cmd("INCR")
        .arg(cache.key(VERSION_KEY))
        .query_async(&mut conn)
        .await?;
    Ok(v)
}

/// The current catalog version (0 before the first change).
pub async fn version(cache: &Cache) -> Result<u64, CacheError> {
    let mut conn = cache.conn().await?;
    let v: Option<u64> = redis::cmd("GET")
        .arg(cache.key(VERSION_KEY))
        .query_async(&mut conn)
        .await?;
    Ok(v.unwrap_or(0))
}

pub struct SeatMap {
    pub term_id: i32,
    read_at: Instant,
    pub seats: SeatTable,
    /// Search results computed with these seats, by catalog version and `filter_key`: popular
    /// searches are computed once per seat refresh instead of once per request.
    memo: std::sync::Mutex<Memo>,
}

/// Search results by (catalog version, `SearchParams::filter_key`).
type Memo = std::collections::HashMap<(u64, String), Arc<Vec<u32>>>;

/// Searches kept per seat refresh (one second).
const MEMO_ENTRIES: usize = 256;

impl SeatMap {
    pub fn memo(
        &self,
        version: u64,
        key: String,
        compute: impl FnOnce() -> Vec<u32>,
    ) -> Arc<Vec<u32>> {
        let key = (version, key);
        if let Some(hit) = self.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return hit;
        }
        let value = Arc::new(compute());
        if let Ok(mut m) = self.memo.lock() {
            if m.len() < MEMO_ENTRIES {
                m.insert(key, value.clone());
            }
        }
        value
    }
}

/// Per-instance state of the catalog cache (its own `web::Data`, shared with registration's engine).
#[derive(Default)]
pub struct CatalogCache {
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    snapshot_fill: tokio::sync::Mutex<()>,
    seats: RwLock<Option<Arc<SeatMap>>>,
    seat_fill: tokio::sync::Mutex<()>,
    snapshot_loads: AtomicU64,
    seat_loads: AtomicU64,
    /// The snapshot last returned by `snapshot_within`, and when its version was checked.
    recent: RwLock<Option<(Instant, Arc<Snapshot>)>>,
}

impl CatalogCache {
    /// How many times this instance built a snapshot from MySQL.
    pub fn snapshot_loads(&self) -> u64 {
        self.snapshot_loads.load(Ordering::SeqCst)
    }

    /// How many times this instance read the seat map from MySQL.
    pub fn seat_loads(&self) -> u64 {
        self.seat_loads.load(Ordering::SeqCst)
    }

    /// The last snapshot this instance held, whatever its version. Search serves it, marked
    /// possibly stale, when the current version cannot be read (Redis or MySQL unreachable).
    pub fn last_snapshot(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.read().ok()?.clone()
    }

    /// The last seat map this instance read for the term, however old.
    pub fn last_seats(&self, term_id: i32) -> Option<Arc<SeatMap>> {
        let guard = self.seats.read().ok()?;
        guard.as_ref().filter(|m| m.term_id == term_id).cloned()
    }

    fn cached_snapshot(&self, version: u64) -> Option<Arc<Snapshot>> {
        let guard = self.snapshot.read().ok()?;
        guard.as_ref().filter(|s| s.version == version).cloned()
    }

    fn keep_snapshot(&self, s: &Arc<Snapshot>) {
        if let Ok(mut guard) = self.snapshot.write() {
            *guard = Some(s.clone());
        }
    }

    /// Like `snapshot`, but trusts a version checked less than `max_age` ago instead of reading
    /// it again: registration's hot path reads the catalog on every attempt, and a catalog edit
    /// reaching the rules `max_age` later is immaterial (the seat counters and the student's own
    /// records are never taken from here).
    pub async fn snapshot_within(
        &self,
        db: &Db,
        cache: &Cache,
        max_age: Duration,
    ) -> Result<Option<Arc<Snapshot>>, AppError> {
        let recent = self.recent.read().ok().and_then(|r| {
            r.as_ref()
                .filter(|(at, _)| at.elapsed() < max_age)
                .map(|(_, s)| s.clone())
        });
        if let Some(s) = recent {
            return Ok(Some(s));
        }
        let checked = Instant::now();
        let s = self.snapshot(db, cache).await?;
        if let (Some(s), Ok(mut r)) = (&s, self.recent.write()) {
            *r = Some((checked, s.clone()));
        }
        Ok(s)
    }

    /// The current term's catalog at the current version; `None` when no term is current.
    pub async fn snapshot(
        &self,
        db: &Db,
        cache: &Cache,
    ) -> Result<Option<Arc<Snapshot>>, AppError> {
        let version = version(cache).await?;
        if let Some(s) = self.cached_snapshot(version) {
            return Ok(Some(s));
        }
        let _single = self.snapshot_fill.lock().await;
        if let Some(s) = self.cached_snapshot(version) {
            return Ok(Some(s));
        }
        let Some(term) = db.query(queries::current_term).await? else {
            return Ok(None);
        };
        let key = cache.key(&format!("catalog:term:{}:v{version}:snapshot", term.id));
        if let Some(s) = self.read_redis(cache, &key).await? {
            self.keep_snapshot(&s);
            return Ok(Some(s));
        }
        let lock_key = format!("{key}:lock");
        let token = uuid::Uuid::new_v4().simple().to_string();
        let won: Option<String> = {
            let mut conn = cache.conn().await?;
            redis::cmd("SET")
                .arg(&lock_key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(FILL_LOCK_MS)
                .query_async(&mut conn)
                .await
                .map_err(CacheError::from)?
        };
        if won.is_none() {
            // Another instance is reading MySQL: wait for its result.
            let deadline = Instant::now() + FILL_WAIT;
            while Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if let Some(s) = self.read_redis(cache, &key).await? {
                    self.keep_snapshot(&s);
                    return Ok(Some(s));
                }
            }
            tracing::warn!(
                key,
                "catalog fill by another instance timed out; loading here"
            );
        }
        let s = self.load(db, term, version).await?;
        let json = serde_json::to_string(&*s).map_err(|e| AppError::Internal(e.into()))?;
        let mut conn = cache.conn().await?;
        let _: () = redis::pipe()
            .cmd("SET")
            .arg(&key)
            .arg(json)
            .arg("EX")
            .arg(SNAPSHOT_TTL_SECS)
            .ignore()
            .cmd("DEL")
            .arg(&lock_key)
            .ignore()
            .query_async(&mut conn)
            .await
            .map_err(CacheError::from)?;
        self.keep_snapshot(&s);
        Ok(Some(s))
    }

    async fn load(
        &self,
        db: &Db,
        term: crate::catalog::Term,
        version: u64,
    ) -> Result<Arc<Snapshot>, AppError> {
        self.snapshot_loads.fetch_add(1, Ordering::SeqCst);
        let started = Instant::now();
        let s = db
            .query(move |conn| snapshot::load(conn, &term, version))
            .await?;
        tracing::info!(
            version,
            sections = s.sections.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "catalog snapshot loaded"
        );
        Ok(Arc::new(s))
    }

    async fn read_redis(
        &self,
        cache: &Cache,
        key: &str,
    ) -> Result<Option<Arc<Snapshot>>, AppError> {
        let mut conn = cache.conn().await?;
        let json: Option<String> = redis::cmd("GET")
            .arg(key)
            .query_async(&mut conn)
            .await
            .map_err(CacheError::from)?;
        let Some(json) = json else {
            return Ok(None);
        };
        // Parsing a whole catalog takes a few milliseconds: off the async workers.
        let parsed = web::block(move || serde_json::from_str::<Snapshot>(&json))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        match parsed {
            Ok(mut s) => {
                s.index();
                Ok(Some(Arc::new(s)))
            }
            Err(e) => {
                // A snapshot written by an older build: rebuild it.
                tracing::warn!(error = %e, key, "unreadable catalog snapshot ignored");
                Ok(None)
            }
        }
    }

    fn cached_seats(&self, term_id: i32) -> Option<Arc<SeatMap>> {
        let guard = self.seats.read().ok()?;
        guard
            .as_ref()
            .filter(|m| m.term_id == term_id && m.read_at.elapsed() < SEAT_TTL)
            .cloned()
    }

    /// Seat numbers of the term's sections, at most `SEAT_TTL` old.
    pub async fn seats(&self, db: &Db, term_id: i32) -> Result<Arc<SeatMap>, AppError> {
        if let Some(m) = self.cached_seats(term_id) {
            return Ok(m);
        }
        let _single = self.seat_fill.lock().await;
        if let Some(m) = self.cached_seats(term_id) {
            return Ok(m);
        }
        self.seat_loads.fetch_add(1, Ordering::SeqCst);
        let read_at = Instant::now();
        let seats = db
            .query(move |conn| snapshot::load_seats(conn, term_id))
            .await?;
        let map = Arc::new(SeatMap {
            term_id,
            read_at,
            seats,
            memo: Default::default(),
        });
        if let Ok(mut guard) = self.seats.write() {
            *guard = Some(map.clone());
        }
        Ok(map)
    }
}
