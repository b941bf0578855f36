//! The Prometheus recorder (one per process), metric descriptions and buckets, and the request
//! metrics middleware that labels by route pattern, never by raw path.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const BATCH_SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
const BATCH_SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0,
];
const HASH_BUCKETS: &[f64] = &[0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0];

/// Installs the recorder on first use and returns its handle.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                LATENCY_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("sugang_decision_batch_size".into()),
                    BATCH_SIZE_BUCKETS,
                )
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("sugang_decision_batch_duration_seconds".into()),
                    BATCH_SECONDS_BUCKETS,
                )
            })
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), HASH_BUCKETS)
            })
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        describe();
        handle
    })
}

fn describe() {
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by method, route pattern and status."
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time from request to response, by method and route pattern."
    );
    describe_counter!(
        "sugang_logins_total",
        "Sign-in attempts by outcome (ok, bad_credentials, throttled, invalid)."
    );
    describe_gauge!(
        "sugang_password_hash_queue",
        "Sign-ins waiting for a password-hashing slot."
    );
    describe_histogram!(
        "sugang_password_hash_duration_seconds",
        Unit::Seconds,
        "Time spent hashing or verifying one password."
    );
    describe_gauge!(
        "sugang_db_pool_connections",
        "MySQL pool connections by state (idle, active)."
    );
    describe_gauge!("sugang_db_pool_max", "Largest size of the MySQL pool.");
    describe_gauge!(
        "sugang_redis_breaker_open",
        "1 while the Redis breaker is open (requests needing Redis answer 503 at once)."
    );
    describe_counter!(
        "sugang_redis_breaker_opened_total",
        "Times the Redis breaker opened after consecutive connection failures."
    );
    describe_gauge!(
        "sugang_redis_pool_connections",
        "Redis command slots by state (active: a command in flight; idle: free)."
    );
    describe_gauge!(
        "sugang_redis_pool_max",
        "Redis commands allowed in flight at once (SUGANG_REDIS_POOL_SIZE)."
    );
    describe_gauge!(
        "sugang_ready",
        "1 while the instance is ready for traffic, 0 while draining or a backing service is down."
    );
    describe_counter!(
        "sugang_registration_decisions_total",
        "Registration attempts decided, by outcome (ok or the refusal code)."
    );
    describe_counter!(
        "sugang_basket_allocation_total",
        "Basket allocation attempts, by outcome (ok or the refusal code)."
    );
    describe_counter!(
        "sugang_registration_fast_refusals_total",
        "Enroll attempts on a section the seats-left signal calls full, refused without a transaction."
    );
    describe_histogram!(
        "sugang_decision_batch_size",
        "Enroll attempts decided together in one batch transaction."
    );
    describe_histogram!(
        "sugang_decision_batch_duration_seconds",
        Unit::Seconds,
        "Time a decision batch took on its connection: the transaction, retries and splits."
    );
    describe_counter!(
        "sugang_decision_batch_retries_total",
        "Decision batches tried again after a deadlock or lock time-out (kind=retry) or split in halves (kind=split)."
    );
    describe_gauge!(
        "sugang_decision_queue_depth",
        "Enroll attempts queued for a decision worker."
    );
    describe_gauge!(
        "sugang_waiting_room_depth",
        "Students waiting in the waiting room."
    );
    describe_counter!(
        "sugang_waiting_room_admissions_total",
        "Students admitted from the waiting room."
    );

    // Series that exist before their first event, so dashboards and alerts see zeros, not gaps.
    for outcome in ["ok", "bad_credentials", "throttled", "invalid"] {
        metrics::counter!("sugang_logins_total", "outcome" => outcome).increment(0);
    }
    metrics::counter!("sugang_registration_decisions_total", "outcome" => "ok").increment(0);
    metrics::counter!("sugang_registration_fast_refusals_total").increment(0);
    metrics::counter!("sugang_basket_allocation_total", "outcome" => "ok").increment(0);
    metrics::counter!("sugang_waiting_room_admissions_total").increment(0);
    metrics::gauge!("sugang_waiting_room_depth").set(0.0);
    metrics::gauge!("sugang_decision_queue_depth").set(0.0);
    for kind in ["retry", "split"] {
        metrics::counter!("sugang_decision_batch_retries_total", "kind" => kind).increment(0);
    }
    metrics::gauge!("sugang_password_hash_queue").set(0.0);
    metrics::gauge!("sugang_ready").set(0.0);
}

pub async fn request_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let status = res.status().as_u16().to_string();
    let elapsed = started.elapsed().as_secs_f64();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed);
    Ok(res)
}
