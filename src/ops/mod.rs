//! Operations: `/healthz` (alive), `/readyz` (MySQL and Redis answer and the instance is not
//! draining), `/metrics` (Prometheus text).

pub mod metrics;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::app::AppState;

const PROBE_TIMEOUT: Duration = Duration::from_millis(1000);

/// Set on SIGTERM: readiness turns 503 while in-flight requests finish.
#[derive(Default)]
pub struct Draining(AtomicBool);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The main listener's routes; `/metrics` only when no operations listener is configured.
pub fn configure(cfg: &mut web::ServiceConfig, with_metrics: bool) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
    if with_metrics {
        cfg.route("/metrics", web::get().to(metrics_text));
    }
}

/// The operations listener (`SUGANG_OPS_LISTEN`): what Prometheus and operators read, on a
/// port the Service for the load balancer does not expose.
pub fn configure_ops_listener(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/metrics", web::get().to(metrics_text));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

async fn readyz(app: web::Data<AppState>, draining: web::Data<Draining>) -> HttpResponse {
    let draining = draining.is_draining();
    let (db, cache) = tokio::join!(
        tokio::time::timeout(PROBE_TIMEOUT, app.db.ping(PROBE_TIMEOUT)),
        app.cache.ping(PROBE_TIMEOUT)
    );
    let db_ok = matches!(db, Ok(Ok(())));
    if let Ok(Err(e)) = &db {
        let e = e.to_string();
        if crate::cache::is_tls_failure(&e) {
            tracing::error!(error = %e, "readiness: MySQL TLS failed: check ssl_mode and ssl_ca in DATABASE_URL (the CA bundle must sign the server's certificate)");
        } else {
            tracing::warn!(error = %e, "readiness: MySQL check failed");
        }
    }
    if let Err(e) = &cache {
        let e = e.to_string();
        if crate::cache::is_tls_failure(&e) {
            tracing::error!(error = %e, "readiness: Redis TLS failed: check REDIS_URL (rediss://) and SUGANG_REDIS_CA_FILE");
        } else {
            tracing::warn!(error = %e, "readiness: redis check failed");
        }
    }
    let cache_ok = cache.is_ok();
    let ready = !draining && db_ok && cache_ok;
    ::metrics::gauge!("sugang_ready").set(if ready { 1.0 } else { 0.0 });
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "draining": draining,
        "mysql": if db_ok { "ok" } else { "unreachable" },
        "redis": if cache_ok { "ok" } else if app.cache.is_open() { "breaker_open" } else { "unreachable" },
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics_text(app: web::Data<AppState>) -> HttpResponse {
    let db = app.db.pool().state();
    ::metrics::gauge!("sugang_db_pool_connections", "state" => "idle")
        .set(db.idle_connections as f64);
    ::metrics::gauge!("sugang_db_pool_connections", "state" => "active")
        .set((db.connections - db.idle_connections) as f64);
    ::metrics::gauge!("sugang_db_pool_max").set(app.db.pool().max_size() as f64);
    let redis = app.cache.status();
    ::metrics::gauge!("sugang_redis_pool_connections", "state" => "idle")
        .set((redis.max_size - redis.active) as f64);
    ::metrics::gauge!("sugang_redis_pool_connections", "state" => "active")
        .set(redis.active as f64);
    ::metrics::gauge!("sugang_redis_pool_max").set(redis.max_size as f64);
    ::metrics::gauge!("sugang_redis_breaker_open").set(if redis.breaker_open { 1.0 } else { 0.0 });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics::handle().render())
}
