//! `Idempotency-Key`: a request repeated with the same key (double click, client retry) runs once
//! and every repeat gets the first answer, byte for byte. State lives in Redis per student
//! (`idem:{student}:{key}`, 24 h): the first request claims the key with `SET NX`, runs, and
//! stores `{fingerprint, status, body}`; concurrent repeats poll until the answer is stored.
//! The same key with a different method, path or body is refused (`idempotency_mismatch`).
//! An attempt whose COMMIT went unanswered (`outcome_unknown`) keeps its key marked with its
//! request id; a repeat settles it from the database (see `run_settled`).

use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use redis::Script;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::cache::{Cache, CacheError};
use crate::web::{AppError, Invalid, Lang, RequestMeta};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotency-replayed";
const TTL_SECS: u64 = 24 * 3600;
/// A claim outlives any request; should its instance die mid-request, the key frees itself.
const CLAIM_SECS: u64 = 60;
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);

/// 1 to 64 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<IdempotencyKey, Invalid> {
        if raw.is_empty() {
            return Err(Invalid::new("idempotency_key", "field.required"));
        }
        if raw.len() > 64 {
            return Err(Invalid::new("idempotency_key", "field.too_long").arg("max", 64));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Invalid::new("idempotency_key", "field.invalid_chars"));
        }
        Ok(IdempotencyKey(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    fp: String,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    body: Option<Value>,
    /// The request id of an attempt whose commit went unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    doubt: Option<String>,
}

fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

fn respond(status: StatusCode, body: &Value, replayed: bool) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    if replayed {
        res.insert_header((REPLAYED_HEADER, "true"));
    }
    res.json(body)
}

/// The key of the request, if it carries one; a malformed key is a 422.
pub fn key_of(req: &HttpRequest) -> Result<Option<IdempotencyKey>, AppError> {
    match req.headers().get(HEADER) {
        None => Ok(None),
        Some(v) => {
            let raw = v.to_str().map_err(|_| {
                AppError::Validation(Invalid::new("idempotency_key", "field.invalid_chars"))
            })?;
            IdempotencyKey::parse(raw)
                .map(Some)
                .map_err(AppError::Validation)
        }
    }
}

/// Runs `work` once per (student, key). Without a key it just runs. Answers below 500 are
/// stored and replayed; a 5xx releases the key so the client's retry runs again.
pub async fn run<F>(
    cache: &Cache,
    req: &HttpRequest,
    student_id: i32,
    body: &[u8],
    work: F,
) -> Result<HttpResponse, AppError>
where
    F: Future<Output = Result<(StatusCode, Value), AppError>>,
{
    run_settled(cache, req, student_id, body, work, None::<NoSettle>).await
}

/// A door that cannot tell whether an unanswered commit took effect.
type NoSettle = fn(String) -> std::future::Ready<Result<Option<(StatusCode, Value)>, AppError>>;

/// Like `run`, for a door whose commit may go unanswered (`AppError::OutcomeUnknown`). Such an
/// answer keeps the key, marked with the request id of the attempt in doubt; a repeat then asks
/// `settle` with that request id: `Some(answer)` — the attempt took effect, and this is the answer
/// it would have had (stored and replayed from then on) — or `None` — it did not, and the repeat
/// runs `work` afresh. While the database cannot answer, the repeat is told the outcome is still
/// unknown.
pub async fn run_settled<F, S, SF>(
    cache: &Cache,
    req: &HttpRequest,
    student_id: i32,
    body: &[u8],
    work: F,
    settle: Option<S>,
) -> Result<HttpResponse, AppError>
where
    F: Future<Output = Result<(StatusCode, Value), AppError>>,
    S: Fn(String) -> SF,
    SF: Future<Output = Result<Option<(StatusCode, Value)>, AppError>>,
{
    let Some(key) = key_of(req)? else {
        let (status, value) = work.await?;
        return Ok(respond(status, &value, false));
    };
    let fp = fingerprint(
        req.method().as_str(),
        crate::web::request::routed_path(req),
        body,
    );
    let redis_key = cache.key(&format!("idem:{student_id}:{}", key.as_str()));
    let claim = serde_json::to_string(&Stored {
        fp: fp.clone(),
        status: None,
        body: None,
        doubt: None,
    })
    .map_err(|e| AppError::Internal(e.into()))?;
    loop {
        let claimed: Option<String> = {
            let mut conn = cache.conn().await?;
            redis::cmd("SET")
                .arg(&redis_key)
                .arg(&claim)
                .arg("NX")
                .arg("EX")
                .arg(CLAIM_SECS)
                .query_async(&mut conn)
                .await
                .map_err(CacheError::from)?
        };
        if claimed.is_some() {
            break;
        }
        let (raw, request_id) = match wait_for(cache, &redis_key, &fp).await? {
            Waited::Answer(res) => return Ok(res),
            Waited::InDoubt { raw, request_id } => (raw, request_id),
        };
        let Some(settle) = &settle else {
            return Err(AppError::IdempotencyInProgress);
        };
        let settled = settle(request_id.clone()).await.map_err(|e| {
            AppError::OutcomeUnknown(format!("attempt {request_id} not settled yet: {e}"))
        })?;
        match settled {
            Some((status, value)) => {
                // The attempt took effect: its answer is the key's answer from now on.
                store(cache, &redis_key, &fp, status, &value).await;
                return Ok(respond(status, &value, true));
            }
            None => {
                // It did not: this repeat takes the key over (unless another one just did).
                let mut conn = cache.conn().await?;
                let swapped: i64 = TAKE_OVER
                    .key(&redis_key)
                    .arg(&raw)
                    .arg(&claim)
                    .arg(CLAIM_SECS)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(CacheError::from)?;
                if swapped == 1 {
                    break;
                }
            }
        }
    }
    let (status, value) = match work.await {
        Ok(answer) => answer,
        Err(AppError::OutcomeUnknown(why)) if settle.is_some() => {
            let doubt = Stored {
                fp,
                status: None,
                body: None,
                doubt: Some(RequestMeta::of(req).request_id.clone()),
            };
            if let Err(e) = put(cache, &redis_key, &doubt).await {
                // Without the mark the claim lapses and a repeat decides afresh: the rules
                // still hold (an attempt that took effect is then `already_enrolled`).
                tracing::warn!(error = %e, "attempt in doubt not marked");
            }
            return Err(AppError::OutcomeUnknown(why));
        }
        Err(e) if e.status_code().is_server_error() => {
            release(cache, &redis_key).await;
            return Err(e);
        }
        Err(e) => {
            let meta = RequestMeta::of(req);
            let body = serde_json::to_value(e.body(Lang::from_request(req), &meta.request_id))
                .map_err(|e| AppError::Internal(e.into()))?;
            (e.status_code(), body)
        }
    };
    store(cache, &redis_key, &fp, status, &value).await;
    Ok(respond(status, &value, false))
}

/// Replaces the mark of an attempt in doubt with a new claim, only if it is still that mark.
static TAKE_OVER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS[1] the key; ARGV[1] the mark seen, ARGV[2] the new claim, ARGV[3] its ttl
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"#,
    )
});

/// Stores the key's answer for `TTL_SECS`.
async fn store(cache: &Cache, redis_key: &str, fp: &str, status: StatusCode, value: &Value) {
    let answer = Stored {
        fp: fp.to_string(),
        status: Some(status.as_u16()),
        body: Some(value.clone()),
        doubt: None,
    };
    if let Err(e) = put(cache, redis_key, &answer).await {
        // The effect happened; the answer is still the client's. A later repeat finds the claim
        // and, after waiting, is told to try again.
        tracing::warn!(error = %e, "idempotent answer not stored");
    }
}

/// Writes what the key holds for `TTL_SECS`.
async fn put(cache: &Cache, redis_key: &str, stored: &Stored) -> Result<(), CacheError> {
    let raw = serde_json::to_string(stored).map_err(|e| CacheError::Unavailable(e.to_string()))?;
    let mut conn = cache.conn().await?;
    redis::cmd("SET")
        .arg(redis_key)
        .arg(raw)
        .arg("EX")
        .arg(TTL_SECS)
        .query_async(&mut conn)
        .await
        .map_err(CacheError::from)
}

async fn release(cache: &Cache, redis_key: &str) {
    if let Ok(mut conn) = cache.conn().await {
        let _: Result<i64, _> = redis::cmd("DEL")
            .arg(redis_key)
            .query_async(&mut conn)
            .await;
    }
}

/// What a repeat found under the key.
enum Waited {
    /// The first request's answer, replayed.
    Answer(HttpResponse),
    /// The first request's commit went unanswered: `raw` is the mark, `request_id` its attempt.
    InDoubt { raw: String, request_id: String },
}

async fn wait_for(cache: &Cache, redis_key: &str, fp: &str) -> Result<Waited, AppError> {
    let started = Instant::now();
    loop {
        let raw: Option<String> = {
            let mut conn = cache.conn().await?;
            redis::cmd("GET")
                .arg(redis_key)
                .query_async(&mut conn)
                .await
                .map_err(CacheError::from)?
        };
        let Some(raw) = raw else {
            // The first request failed and released the key: let the client retry.
            return Err(AppError::IdempotencyInProgress);
        };
        let stored: Stored =
            serde_json::from_str(&raw).map_err(|e| AppError::Internal(e.into()))?;
        if stored.fp != fp {
            return Err(AppError::IdempotencyMismatch);
        }
        if let (Some(status), Some(body)) = (stored.status, stored.body) {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            return Ok(Waited::Answer(respond(status, &body, true)));
        }
        if let Some(request_id) = stored.doubt {
            return Ok(Waited::InDoubt { raw, request_id });
        }
        if started.elapsed() > WAIT {
            return Err(AppError::IdempotencyInProgress);
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_and_plain() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse("Abc_123-xyz").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(64)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("a b").is_err());
        assert!(IdempotencyKey::parse("키").is_err());
        assert!(IdempotencyKey::parse("a:b").is_err());
    }

    #[test]
    fn fingerprints_cover_method_path_and_body() {
        let a = fingerprint("POST", "/api/v1/enrollments", b"{\"section_id\":1}");
        assert_eq!(
            a,
            fingerprint("POST", "/api/v1/enrollments", b"{\"section_id\":1}")
        );
        assert_ne!(
            a,
            fingerprint("POST", "/api/v1/enrollments", b"{\"section_id\":2}")
        );
        assert_ne!(
            a,
            fingerprint("DELETE", "/api/v1/enrollments", b"{\"section_id\":1}")
        );
        assert_ne!(
            a,
            fingerprint("POST", "/api/v1/waitlist", b"{\"section_id\":1}")
        );
    }
}
