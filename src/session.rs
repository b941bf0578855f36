//! Sessions in Redis. The cookie carries a 256-bit random id; Redis keys use its SHA-256 digest,
//! so a Redis dump holds no usable session ids. One active session per account: signing in
//! atomically replaces the account's previous session and leaves a marker, so the older client's
//! next request is told `session_replaced` instead of a bare "please sign in".

use std::time::Duration;

use chrono::Utc;
use std::sync::LazyLock;

use redis::Script;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache::{Cache, CacheError};

pub const SESSION_COOKIE: &str = "sugang_session";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Student,
    Registrar,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "student" => Some(Role::Student),
            "registrar" => Some(Role::Registrar),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user_id: i32,
    pub login_id: String,
    pub name: String,
    pub role: Role,
    pub csrf_token: String,
    /// Unix seconds at sign-in, for the absolute timeout.
    pub created: i64,
    /// Signed in with a one-time password: only the password change is open until it is done.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_change_password: bool,
    #[serde(skip)]
    pub digest: String,
}

impl Session {
    /// A short, non-secret reference to this session for the activity log.
    pub fn reference(&self) -> String {
        self.digest.chars().take(16).collect()
    }
}

/// What the cookie on a request turned out to be.
#[derive(Debug, Clone)]
pub enum SessionState {
    Anonymous,
    Active(Box<Session>),
    /// The account signed in elsewhere after this session began.
    Replaced,
    /// Idle or absolute timeout passed.
    Expired,
    /// Redis did not answer; the session cannot be checked.
    Unavailable,
    /// A registrar disabled the account; its session was ended at that moment.
    Disabled,
}

static SIGN_IN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS[1] new session, KEYS[2] the account's current-session pointer
-- ARGV[1] session json, ARGV[2] idle ttl, ARGV[3] absolute ttl, ARGV[4] new digest, ARGV[5] key prefix
local old = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3])
if old and old ~= ARGV[4] then
  if redis.call('DEL', ARGV[5] .. 'session:' .. old) == 1 then
    redis.call('SET', ARGV[5] .. 'replaced:' .. old, '1', 'EX', ARGV[3])
  end
end
return old
"#,
    )
});

static LOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS[1] session, KEYS[2] replaced marker; ARGV[1] idle ttl
local v = redis.call('GET', KEYS[1])
if v then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  return {1, v}
end
local m = redis.call('GET', KEYS[2])
if m then return {2, m} end
return {0, ''}
"#,
    )
});

static SIGN_OUT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS[1] session, KEYS[2] the account's current-session pointer; ARGV[1] digest
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
"#,
    )
});

static END_ALL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS[1] the account's current-session pointer; ARGV[1] key prefix
local d = redis.call('GET', KEYS[1])
if d then redis.call('DEL', ARGV[1] .. 'session:' .. d) end
redis.call('DEL', KEYS[1])
return 1
"#,
    )
});

static END_DISABLED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
-- KEYS[1] the account's current-session pointer; ARGV[1] key prefix, ARGV[2] marker ttl
local d = redis.call('GET', KEYS[1])
if d then
  redis.call('DEL', ARGV[1] .. 'session:' .. d)
  redis.call('SET', ARGV[1] .. 'replaced:' .. d, 'disabled', 'EX', ARGV[2])
end
redis.call('DEL', KEYS[1])
return d and 1 or 0
"#,
    )
});

/// The marker a disabled account's ended session leaves (see `end_disabled`).
const DISABLED_MARKER: &str = "disabled";

#[derive(Clone)]
pub struct SessionStore {
    cache: Cache,
    idle: Duration,
    absolute: Duration,
}

fn digest(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

fn random_hex() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

impl SessionStore {
    pub fn new(cache: Cache, idle: Duration, absolute: Duration) -> Self {
        SessionStore {
            cache,
            idle,
            absolute,
        }
    }

    /// Starts a session for the account, ending every older one. Returns the cookie value.
    pub async fn sign_in(
        &self,
        user_id: i32,
        login_id: &str,
        name: &str,
        role: Role,
    ) -> Result<(String, Session), CacheError> {
        self.start(user_id, login_id, name, role, false).await
    }

    /// Like `sign_in`; `must_change_password` restricts the session to the password change.
    pub async fn start(
        &self,
        user_id: i32,
        login_id: &str,
        name: &str,
        role: Role,
        must_change_password: bool,
    ) -> Result<(String, Session), CacheError> {
        let id = random_hex();
        let session = Session {
            user_id,
            login_id: login_id.to_string(),
            name: name.to_string(),
            role,
            csrf_token: random_hex(),
            created: Utc::now().timestamp(),
            must_change_password,
            digest: digest(&id),
        };
        let json =
            serde_json::to_string(&session).map_err(|e| CacheError::Unavailable(e.to_string()))?;
        let mut conn = self.cache.conn().await?;
        let _old: Option<String> = SIGN_IN
            .key(self.cache.key(&format!("session:{}", session.digest)))
            .key(self.cache.key(&format!("user_session:{user_id}")))
            .arg(json)
            .arg(self.idle.as_secs())
            .arg(self.absolute.as_secs())
            .arg(&session.digest)
            .arg(self.cache.prefix())
            .invoke_async(&mut conn)
            .await?;
        Ok((id, session))
    }

    /// Looks the cookie value up, refreshing the idle timeout of a live session.
    pub async fn load(&self, cookie_value: &str) -> SessionState {
        if cookie_value.len() != 64 || !cookie_value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return SessionState::Anonymous;
        }
        let d = digest(cookie_value);
        match self.load_digest(&d).await {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!(error = %e, "session lookup failed");
                SessionState::Unavailable
            }
        }
    }

    async fn load_digest(&self, d: &str) -> Result<SessionState, CacheError> {
        let mut conn = self.cache.conn().await?;
        let (found, json): (i64, String) = LOAD
            .key(self.cache.key(&format!("session:{d}")))
            .key(self.cache.key(&format!("replaced:{d}")))
            .arg(self.idle.as_secs())
            .invoke_async(&mut conn)
            .await?;
        match found {
            1 => {
                let Ok(mut session) = serde_json::from_str::<Session>(&json) else {
                    return Ok(SessionState::Anonymous);
                };
                session.digest = d.to_string();
                let age = Utc::now().timestamp() - session.created;
                if age > self.absolute.as_secs() as i64 {
                    drop(conn);
                    self.sign_out(&session).await?;
                    return Ok(SessionState::Expired);
                }
                Ok(SessionState::Active(Box::new(session)))
            }
            2 if json == DISABLED_MARKER => Ok(SessionState::Disabled),
            2 => Ok(SessionState::Replaced),
            _ => Ok(SessionState::Anonymous),
        }
    }

    /// Ends the account's session, whichever it is (an account has at most one): for a disabled
    /// account or a password reset. Its holder's next request is told to sign in.
    pub async fn end_all(&self, user_id: i32) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let _: i64 = END_ALL
            .key(self.cache.key(&format!("user_session:{user_id}")))
            .arg(self.cache.prefix())
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Ends the session of an account just disabled, on every instance at once (they all read
    /// the same Redis): the session key goes, and a marker in its place tells the holder's next
    /// request `account_disabled` instead of a bare "please sign in". Returns whether a session
    /// was live.
    pub async fn end_disabled(&self, user_id: i32) -> Result<bool, CacheError> {
        let mut conn = self.cache.conn().await?;
        let ended: i64 = END_DISABLED
            .key(self.cache.key(&format!("user_session:{user_id}")))
            .arg(self.cache.prefix())
            .arg(self.absolute.as_secs())
            .invoke_async(&mut conn)
            .await?;
        Ok(ended == 1)
    }

    pub async fn sign_out(&self, session: &Session) -> Result<(), CacheError> {
        let mut conn = self.cache.conn().await?;
        let _: i64 = SIGN_OUT
            .key(self.cache.key(&format!("session:{}", session.digest)))
            .key(self.cache.key(&format!("user_session:{}", session.user_id)))
            .arg(&session.digest)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}
