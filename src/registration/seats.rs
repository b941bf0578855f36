//! The seats-left signal: how many seats each open section of the current term has, in a Redis
//! hash every instance shares and in a copy in each instance's memory. It exists so that, once a
//! section is full, the thousands of "full" answers of registration opening are given without a
//! transaction and without queueing on the section's row lock. It is a hint only: MySQL's locked
//! counter is the one authority that grants a seat, so a stale "seats left" costs one transaction
//! that says no, and a stale "full" lasts at most until the next reconciliation.
//!
//! - after every commit that changes a section's counter the instance writes the new figure
//!   (`publish`) to its copy and to the hash;
//! - every instance reads the whole hash into memory every `REFRESH`; when the hash is missing
//!   (Redis restarted empty) it is rebuilt from MySQL, and until then nothing counts as full;
//! - one instance at a time rewrites the hash from MySQL every `RECONCILE`, which mends figures
//!   written out of order by concurrent commits or lost with a crash;
//! - a copy that could not be refreshed for `STALE` is not trusted: nothing counts as full.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use diesel::prelude::*;

use crate::cache::{Cache, CacheError};
use crate::catalog::queries::current_term;
use crate::db::schema::sections;
use crate::db::Db;

const KEY: &str = "seats:left";
const RECONCILE_LOCK: &str = "seats:reconcile";
const REFRESH: Duration = Duration::from_millis(100);
const RECONCILE: Duration = Duration::from_secs(2);
const STALE: Duration = Duration::from_secs(1);

pub struct SeatSignal {
    cache: Cache,
    db: Db,
    local: RwLock<Arc<HashMap<i32, i32>>>,
    /// Unix milliseconds of the last successful refresh; 0: never.
    fresh_at: AtomicI64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl SeatSignal {
    pub fn new(cache: Cache, db: Db) -> Self {
        SeatSignal {
            cache,
            db,
            local: RwLock::new(Arc::default()),
            fresh_at: AtomicI64::new(0),
        }
    }

    /// True when the signal says the section has no seat left (and the signal is fresh).
    pub fn is_full(&self, section_id: i32) -> bool {
        if now_ms() - self.fresh_at.load(Ordering::Relaxed) > STALE.as_millis() as i64 {
            return false;
        }
        self.local
            .read()
            .map(|m| m.get(&section_id).is_some_and(|left| *left <= 0))
            .unwrap_or(false)
    }

    /// Seats left as the signal has it, for metrics and tests.
    pub fn seats_left(&self, section_id: i32) -> Option<i32> {
        self.local.read().ok()?.get(&section_id).copied()
    }

    /// Records figures a commit produced: (section id, seats left after it). This instance's
    /// copy changes at once; the shared hash is written in the background, so the answer that
    /// produced the figure does not wait on Redis.
    pub fn publish(self: &Arc<Self>, changes: &[(i32, i32)]) {
        if changes.is_empty() {
            return;
        }
        self.remember(changes);
        let changes = changes.to_vec();
        let this = self.clone();
        tokio::spawn(async move { this.write_shared(&changes).await });
    }

    fn remember(&self, changes: &[(i32, i32)]) {
        if let Ok(mut m) = self.local.write() {
            let m = Arc::make_mut(&mut m);
            for (id, left) in changes {
                m.insert(*id, *left);
            }
        }
    }

    async fn write_shared(&self, changes: &[(i32, i32)]) {
        let written: Result<(), CacheError> = async {
            let mut conn = self.cache.conn().await?;
            let mut cmd = redis::cmd("HSET");
            cmd.arg(self.cache.key(KEY));
            for (id, left) in changes {
                cmd.arg(*id).arg(*left);
            }
            let _: i64 = cmd.query_async(&mut conn).await?;
            Ok(())
        }
        .await;
        if let Err(e) = written {
            tracing::debug!(error = %e, "seats-left figure not published");
        }
    }

    /// Reads seats left of `ids` from MySQL after a commit and publishes them (drops, swaps,
    /// promotions, registrar changes: wherever the new figure is not already known).
    pub async fn republish(&self, ids: Vec<i32>) {
        if ids.is_empty() {
            return;
        }
        let read = self
            .db
            .run(move |conn| {
                Ok(sections::table
                    .filter(sections::id.eq_any(ids))
                    .select((
                        sections::id,
                        sections::capacity - sections::enrolled - sections::held_seats,
                    ))
                    .load::<(i32, i32)>(conn)?)
            })
            .await;
        match read {
            Ok(rows) => {
                self.remember(&rows);
                self.write_shared(&rows).await;
            }
            Err(e) => tracing::debug!(error = %e, "seats-left figures not read"),
        }
    }

    /// Reads the shared hash into memory; rebuilds it from MySQL when it is missing.
    async fn refresh(&self) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let map: HashMap<i32, i32> = redis::cmd("HGETALL")
            .arg(self.cache.key(KEY))
            .query_async(&mut conn)
            .await?;
        drop(conn);
        if map.is_empty() {
            // Missing (a fresh or restarted Redis): nothing counts as full until it is rebuilt.
            self.fresh_at.store(0, Ordering::Relaxed);
            self.reconcile().await?;
            return Ok(());
        }
        if let Ok(mut m) = self.local.write() {
            *m = Arc::new(map);
        }
        self.fresh_at.store(now_ms(), Ordering::Relaxed);
        Ok(())
    }

    /// Rewrites the hash from MySQL now: after registrar changes (capacity, cancellation,
    /// overrides, imports, allocation) that move many figures at once.
    pub async fn resync(&self) {
        if let Err(e) = self.rewrite().await {
            tracing::debug!(error = %e, "seats-left signal not rewritten");
        }
    }

    /// Rewrites the hash from MySQL, by one instance at a time.
    async fn reconcile(&self) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let got: Option<String> = redis::cmd("SET")
            .arg(self.cache.key(RECONCILE_LOCK))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(RECONCILE.as_millis() as u64)
            .query_async(&mut conn)
            .await?;
        if got.is_none() {
            return Ok(());
        }
        drop(conn);
        self.rewrite().await
    }

    async fn rewrite(&self) -> Result<(), CacheError> {
        let rows = self
            .db
            .run(|conn| {
                let Some(term) = current_term(conn)? else {
                    return Ok(Vec::new());
                };
                Ok(sections::table
                    .filter(sections::term_id.eq(term.id))
                    .filter(sections::status.eq("open"))
                    .select((
                        sections::id,
                        sections::capacity - sections::enrolled - sections::held_seats,
                    ))
                    .load::<(i32, i32)>(conn)?)
            })
            .await
            .map_err(|e| CacheError::Unavailable(e.to_string()))?;
        if rows.is_empty() {
            return Ok(());
        }
        // Written under a temporary name and renamed: readers see the old hash or the new one.
        let key = self.cache.key(KEY);
        let tmp = self
            .cache
            .key(&format!("{KEY}:tmp:{}", uuid::Uuid::new_v4().simple()));
        let mut hset = redis::cmd("HSET");
        hset.arg(&tmp);
        for (id, left) in &rows {
            hset.arg(*id).arg(*left);
        }
        let mut conn = self.cache.conn().await?;
        redis::pipe()
            .atomic()
            .add_command(hset)
            .ignore()
            .cmd("RENAME")
            .arg(&tmp)
            .arg(&key)
            .ignore()
            .query_async::<()>(&mut conn)
            .await?;
        if let Ok(mut m) = self.local.write() {
            *m = Arc::new(rows.into_iter().collect());
        }
        self.fresh_at.store(now_ms(), Ordering::Relaxed);
        Ok(())
    }

    /// Runs the refresh and the reconciliation for as long as the process lives.
    pub fn spawn(self: Arc<Self>) {
        tokio::spawn(async move {
            let mut last_reconcile = std::time::Instant::now();
            loop {
                tokio::time::sleep(REFRESH).await;
                if let Err(e) = self.refresh().await {
                    tracing::debug!(error = %e, "seats-left signal not refreshed");
                }
                if last_reconcile.elapsed() >= RECONCILE {
                    last_reconcile = std::time::Instant::now();
                    if let Err(e) = self.reconcile().await {
                        tracing::debug!(error = %e, "seats-left signal not reconciled");
                    }
                }
            }
        });
    }
}
