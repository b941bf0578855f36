//! Settings from the environment (`SUGANG_*`, `DATABASE_URL`, `REDIS_URL`) with defaults that work
//! on a developer machine where `scripts/services.sh` has run.

use std::env;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    /// The operations listener (`/metrics`, `/healthz`) when set; `/metrics` then leaves the
    /// main listener, which the load balancer reaches.
    pub ops_listen: Option<String>,
    pub workers: usize,
    pub database_url: String,
    pub db_pool_size: u32,
    pub db_pool_timeout: Duration,
    pub redis_url: String,
    pub redis_prefix: String,
    pub redis_pool_size: usize,
    /// PEM bundle of the CAs a `rediss://` server certificate must chain to
    /// (`SUGANG_REDIS_CA_FILE`); unset: the system's trusted roots.
    pub redis_ca_file: Option<String>,
    /// How long making a new Redis connection may take (`SUGANG_REDIS_CONNECT_TIMEOUT_MS`).
    pub redis_connect_timeout: Duration,
    /// How long a request may wait for a connection from the pool (`SUGANG_REDIS_WAIT_TIMEOUT_MS`).
    pub redis_wait_timeout: Duration,
    /// One request's time for all its Redis work (`SUGANG_REDIS_BUDGET_MS`).
    pub redis_budget: Duration,
    /// Consecutive Redis failures that open the breaker (`SUGANG_REDIS_BREAKER_FAILURES`).
    pub redis_breaker_failures: u32,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub cookie_secure: bool,
    /// Networks of the proxies whose `X-Forwarded-For` and `X-Request-Id` are believed
    /// (`SUGANG_TRUSTED_PROXIES`, comma-separated CIDRs); empty: none, the peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub hash_concurrency: usize,
    pub login_account_limit: u32,
    pub login_address_limit: u32,
    pub login_window: Duration,
    /// The first delay an untrusted client waits after failures; doubles with each further one.
    pub login_delay: Duration,
    /// Signs device cookies (`auth::device`); one key shared by every instance.
    pub device_key: DeviceKey,
    pub shutdown_delay: Duration,
    /// How old registration's cached catalog and windows may be (`registration::rush`).
    pub frame_max_age: Duration,
    /// Requests in this span after a `register` window opens are decided in a drawn order.
    pub opening_draw_span: Duration,
    /// Decision workers of the enroll batcher (`SUGANG_DECISION_WORKERS`, default: the cores).
    pub decision_workers: usize,
    /// Most attempts one batch transaction decides (`SUGANG_DECISION_BATCH`).
    pub decision_batch: usize,
    /// Fixed seed of the opening draw (tests, replays); a fresh random seed per draw otherwise.
    pub opening_draw_seed: Option<u64>,
    pub shutdown_timeout: Duration,
    pub log_format: LogFormat,
    pub run_migrations: bool,
    /// Release held seats from inside `serve` (a Redis lease picks one instance) in addition to
    /// the `sugang release-seats` CronJob.
    pub seat_releaser: bool,
    /// Initial waiting-room settings; live values are kept in Redis and can be changed at run time.
    pub waiting_room: RoomConfig,
    /// Registration actions allowed per student and per client address in each window.
    pub action_limits: Limits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
#[error("setting {name} has an invalid value {value:?}: {reason}")]
pub struct SettingsError {
    name: &'static str,
    value: String,
    reason: String,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply their own values.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get =
            |name: &'static str, default: &str| lookup(name).unwrap_or_else(|| default.to_string());
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let log_format = match get("SUGANG_LOG_FORMAT", "text").as_str() {
            "json" => LogFormat::Json,
            "text" => LogFormat::Text,
            other => {
                return Err(SettingsError {
                    name: "SUGANG_LOG_FORMAT",
                    value: other.to_string(),
                    reason: "expected json or text".into(),
                })
            }
        };
        Settings {
            listen: get("SUGANG_LISTEN", "127.0.0.1:8080"),
            ops_listen: lookup("SUGANG_OPS_LISTEN").filter(|v| !v.trim().is_empty()),
            workers: parse(&lookup, "SUGANG_WORKERS", cores)?,
            database_url: get(
                "DATABASE_URL",
                "mysql://sugang:sugang@127.0.0.1:3306/sugang",
            ),
            db_pool_size: parse(&lookup, "SUGANG_DB_POOL_SIZE", 16)?,
            db_pool_timeout: Duration::from_millis(parse(
                &lookup,
                "SUGANG_DB_POOL_TIMEOUT_MS",
                2000,
            )?),
            redis_url: get("REDIS_URL", "redis://127.0.0.1:6379"),
            redis_prefix: get("SUGANG_REDIS_PREFIX", "sugang:"),
            redis_pool_size: parse(&lookup, "SUGANG_REDIS_POOL_SIZE", 32)?,
            redis_ca_file: lookup("SUGANG_REDIS_CA_FILE").filter(|v| !v.trim().is_empty()),
            redis_connect_timeout: Duration::from_millis(parse(
                &lookup,
                "SUGANG_REDIS_CONNECT_TIMEOUT_MS",
                1000,
            )?),
            redis_wait_timeout: Duration::from_millis(parse(
                &lookup,
                "SUGANG_REDIS_WAIT_TIMEOUT_MS",
                1000,
            )?),
            redis_budget: Duration::from_millis(parse(&lookup, "SUGANG_REDIS_BUDGET_MS", 1000)?),
            redis_breaker_failures: parse(&lookup, "SUGANG_REDIS_BREAKER_FAILURES", 3)?,
            session_idle: Duration::from_secs(parse(&lookup, "SUGANG_SESSION_IDLE_SECS", 30 * 60)?),
            session_absolute: Duration::from_secs(parse(
                &lookup,
                "SUGANG_SESSION_ABSOLUTE_SECS",
                12 * 3600,
            )?),
            cookie_secure: parse(&lookup, "SUGANG_COOKIE_SECURE", false)?,
            trusted_proxies: trusted_proxies(&lookup)?,
            hash_concurrency: parse(&lookup, "SUGANG_HASH_CONCURRENCY", cores.max(1))?,
            login_account_limit: parse(&lookup, "SUGANG_LOGIN_ACCOUNT_LIMIT", 5)?,
            login_address_limit: parse(&lookup, "SUGANG_LOGIN_ADDRESS_LIMIT", 300)?,
            login_window: Duration::from_secs(parse(&lookup, "SUGANG_LOGIN_WINDOW_SECS", 300)?),
            login_delay: Duration::from_millis(parse(&lookup, "SUGANG_LOGIN_DELAY_MS", 1000)?),
            device_key: match lookup("SUGANG_DEVICE_KEY") {
                None => DeviceKey::random(),
                Some(raw) => DeviceKey::from_hex(&raw).map_err(|reason| SettingsError {
                    name: "SUGANG_DEVICE_KEY",
                    value: "(hidden)".into(),
                    reason,
                })?,
            },
            shutdown_delay: Duration::from_secs(parse(&lookup, "SUGANG_SHUTDOWN_DELAY_SECS", 0)?),
            frame_max_age: Duration::from_millis(parse(&lookup, "SUGANG_FRAME_MAX_AGE_MS", 500)?),
            opening_draw_span: Duration::from_millis(parse(
                &lookup,
                "SUGANG_OPENING_DRAW_SPAN_MS",
                3000,
            )?),
            decision_workers: parse(&lookup, "SUGANG_DECISION_WORKERS", cores.max(1))?,
            decision_batch: parse(&lookup, "SUGANG_DECISION_BATCH", 128)?,
            opening_draw_seed: match lookup("SUGANG_OPENING_DRAW_SEED") {
                Some(raw) if !raw.trim().is_empty() => {
                    Some(parse(&lookup, "SUGANG_OPENING_DRAW_SEED", 0u64)?)
                }
                _ => None,
            },
            shutdown_timeout: Duration::from_secs(parse(
                &lookup,
                "SUGANG_SHUTDOWN_TIMEOUT_SECS",
                30,
            )?),
            log_format,
            run_migrations: parse(&lookup, "SUGANG_RUN_MIGRATIONS", false)?,
            seat_releaser: parse(&lookup, "SUGANG_SEAT_RELEASER", false)?,
            waiting_room: RoomConfig {
                enabled: parse(&lookup, "SUGANG_WAITING_ROOM", false)?,
                rate: parse(&lookup, "SUGANG_ADMIT_RATE", 100)?,
                concurrency: parse(&lookup, "SUGANG_ADMIT_CONCURRENCY", 1000)?,
                pass_ttl_secs: parse(&lookup, "SUGANG_PASS_IDLE_SECS", 300)?,
                opens_at_ms: 0,
            },
            action_limits: Limits {
                per_student: parse(&lookup, "SUGANG_ACTION_LIMIT", 20)?,
                per_address: parse(&lookup, "SUGANG_ACTION_ADDRESS_LIMIT", 2000)?,
                window: Duration::from_secs(parse(&lookup, "SUGANG_ACTION_WINDOW_SECS", 10)?),
            },
        }
        .checked()
    }

    fn checked(self) -> Result<Self, SettingsError> {
        let positive = [
            ("SUGANG_WORKERS", self.workers as u64),
            ("SUGANG_DB_POOL_SIZE", self.db_pool_size as u64),
            ("SUGANG_REDIS_POOL_SIZE", self.redis_pool_size as u64),
            (
                "SUGANG_REDIS_BUDGET_MS",
                self.redis_budget.as_millis() as u64,
            ),
            (
                "SUGANG_REDIS_BREAKER_FAILURES",
                self.redis_breaker_failures as u64,
            ),
            ("SUGANG_HASH_CONCURRENCY", self.hash_concurrency as u64),
            (
                "SUGANG_REDIS_CONNECT_TIMEOUT_MS",
                self.redis_connect_timeout.as_millis() as u64,
            ),
            (
                "SUGANG_REDIS_WAIT_TIMEOUT_MS",
                self.redis_wait_timeout.as_millis() as u64,
            ),
            ("SUGANG_DECISION_WORKERS", self.decision_workers as u64),
            ("SUGANG_DECISION_BATCH", self.decision_batch as u64),
            (
                "SUGANG_LOGIN_ACCOUNT_LIMIT",
                self.login_account_limit as u64,
            ),
            (
                "SUGANG_LOGIN_ADDRESS_LIMIT",
                self.login_address_limit as u64,
            ),
            ("SUGANG_LOGIN_WINDOW_SECS", self.login_window.as_secs()),
            ("SUGANG_SESSION_IDLE_SECS", self.session_idle.as_secs()),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(SettingsError {
                    name,
                    value: "0".into(),
                    reason: "must be at least 1".into(),
                });
            }
        }
        if self.session_absolute < self.session_idle {
            return Err(SettingsError {
                name: "SUGANG_SESSION_ABSOLUTE_SECS",
                value: self.session_absolute.as_secs().to_string(),
                reason: "must not be shorter than SUGANG_SESSION_IDLE_SECS".into(),
            });
        }
        Ok(self)
    }
}

/// `SUGANG_TRUSTED_PROXIES`: CIDRs or single addresses. The old `SUGANG_TRUST_PROXY=true`
/// trusted every peer; it is refused, so no deployment silently keeps trusting everyone.
fn trusted_proxies(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<ipnet::IpNet>, SettingsError> {
    if let Some(old) = lookup("SUGANG_TRUST_PROXY").filter(|v| v.trim() != "false") {
        return Err(SettingsError {
            name: "SUGANG_TRUST_PROXY",
            value: old,
            reason: "replaced by SUGANG_TRUSTED_PROXIES (the proxies' networks, as CIDRs)".into(),
        });
    }
    let raw = lookup("SUGANG_TRUSTED_PROXIES").unwrap_or_default();
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|e| SettingsError {
                    name: "SUGANG_TRUSTED_PROXIES",
                    value: raw.clone(),
                    reason: format!("{s}: {e}"),
                })
        })
        .collect()
}

fn parse<T: FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    match lookup(name) {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|e: T::Err| SettingsError {
            name,
            value: raw.clone(),
            reason: e.to_string(),
        }),
    }
}

/// The key that signs device cookies (see `auth::device`). `Debug` never prints it.
#[derive(Clone)]
pub struct DeviceKey(Vec<u8>);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(..)")
    }
}

impl DeviceKey {
    pub const MIN_BYTES: usize = 32;

    /// From hex (`SUGANG_DEVICE_KEY`): at least 32 bytes.
    pub fn from_hex(raw: &str) -> Result<DeviceKey, String> {
        let bytes = hex::decode(raw.trim()).map_err(|e| e.to_string())?;
        if bytes.len() < Self::MIN_BYTES {
            return Err(format!("needs at least {} bytes of hex", Self::MIN_BYTES));
        }
        Ok(DeviceKey(bytes))
    }

    /// A key for this process only: cookies it signs are not known to other instances or after
    /// a restart (they fall back to untrusted, never to an error).
    pub fn random() -> DeviceKey {
        DeviceKey(rand::random::<[u8; 32]>().to_vec())
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Live settings of the waiting room.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RoomConfig {
    pub enabled: bool,
    /// Admissions per second (shared by all instances).
    pub rate: u32,
    /// Largest number of students holding a pass at once.
    pub concurrency: u32,
    /// Seconds of inactivity after which a pass lapses.
    pub pass_ttl_secs: u32,
    /// Unix ms of opening set by the registrar: who arrives earlier waits unordered and is
    /// shuffled at this instant. 0 = follow the calendar (the next `register` window's opening,
    /// see `opening.rs`; none while a window is open: arrivals queue in arrival order).
    pub opens_at_ms: i64,
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            enabled: false,
            rate: 100,
            concurrency: 1000,
            pass_ttl_secs: 300,
            opens_at_ms: 0,
        }
    }
}

/// Rate limits on registration actions (see `waiting_room::limits`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_student: u32,
    pub per_address: u32,
    pub window: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_local_services() {
        let s = Settings::from_lookup(|_| None).expect("defaults are valid");
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(
            s.database_url,
            "mysql://sugang:sugang@127.0.0.1:3306/sugang"
        );
        assert_eq!(s.redis_url, "redis://127.0.0.1:6379");
        assert!(!s.cookie_secure);
        assert!(s.trusted_proxies.is_empty());
    }

    #[test]
    fn rejects_garbage_and_zero() {
        let bad =
            Settings::from_lookup(|n| (n == "SUGANG_DB_POOL_SIZE").then(|| "many".to_string()));
        assert!(bad
            .expect_err("invalid")
            .to_string()
            .contains("SUGANG_DB_POOL_SIZE"));
        let zero =
            Settings::from_lookup(|n| (n == "SUGANG_HASH_CONCURRENCY").then(|| "0".to_string()));
        assert!(zero.is_err());
        let short = Settings::from_lookup(|n| match n {
            "SUGANG_SESSION_IDLE_SECS" => Some("600".into()),
            "SUGANG_SESSION_ABSOLUTE_SECS" => Some("60".into()),
            _ => None,
        });
        assert!(short.is_err());
    }
}

#[cfg(test)]
mod proxy_tests {
    use super::*;

    fn with(pairs: &'static [(&'static str, &'static str)]) -> Result<Settings, SettingsError> {
        Settings::from_lookup(|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn trusted_proxies_are_networks_and_the_old_switch_is_refused() {
        let s = with(&[("SUGANG_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7")]).expect("valid");
        assert_eq!(s.trusted_proxies.len(), 2);
        assert!(
            s.trusted_proxies[1].contains(&"192.168.1.7".parse::<std::net::IpAddr>().expect("ip"))
        );
        assert!(with(&[("SUGANG_TRUSTED_PROXIES", "10.0.0.0/33")]).is_err());
        assert!(with(&[("SUGANG_TRUST_PROXY", "true")]).is_err());
        assert!(with(&[("SUGANG_TRUST_PROXY", "false")]).is_ok());
    }
}
