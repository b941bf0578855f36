//! One-time messages after a form posts and redirects (post/redirect/get). The message, already
//! in the student's language, waits in Redis under the session for a minute; a marker cookie
//! tells the next page to fetch it, so pages without a message cost no Redis round trip.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::cache::{Cache, CacheError};
use crate::session::{Session, SessionState};

pub const FLASH_COOKIE: &str = "sugang_flash";
const FLASH_TTL_SECS: u64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub level: Level,
    pub message: String,
}

impl Flash {
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

/// One line of a result that has several parts ("register my basket": one line per section),
/// stored with the flash message and shown by the page it redirects to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FlashLine {
    pub ok: bool,
    pub text: String,
}

/// The lines that came with this request's flash message, in request extensions.
#[derive(Debug, Clone, Default)]
pub struct FlashLines(pub Vec<FlashLine>);

/// The stored form: the message with its lines beside it, so a plain `Flash` reads it too.
#[derive(Serialize)]
struct WithLines<'a> {
    #[serde(flatten)]
    flash: &'a Flash,
    lines: &'a [FlashLine],
}

#[derive(Deserialize)]
struct LinesOnly {
    #[serde(default)]
    lines: Vec<FlashLine>,
}

fn key(cache: &Cache, session: &Session) -> String {
    cache.key(&format!("flash:{}", session.digest))
}

/// Stores the message for the session's next page; returns the marker cookie to set.
pub async fn set(
    cache: &Cache,
    session: &Session,
    flash: &Flash,
) -> Result<Cookie<'static>, CacheError> {
    set_with_lines(cache, session, flash, &[]).await
}

/// Like `set`, with one line per part of the result.
pub async fn set_with_lines(
    cache: &Cache,
    session: &Session,
    flash: &Flash,
    lines: &[FlashLine],
) -> Result<Cookie<'static>, CacheError> {
    let mut conn = cache.conn().await?;
    let json = serde_json::to_string(&WithLines { flash, lines })
        .map_err(|e| CacheError::Unavailable(e.to_string()))?;
    let _: () = redis::cmd("SET")
        .arg(key(cache, session))
        .arg(json)
        .arg("EX")
        .arg(FLASH_TTL_SECS)
        .query_async(&mut conn)
        .await?;
    Ok(Cookie::build(FLASH_COOKIE, "1")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish())
}

async fn take(cache: &Cache, session: &Session) -> Result<Option<(Flash, FlashLines)>, CacheError> {
    let mut conn = cache.conn().await?;
    let json: Option<String> = redis::cmd("GETDEL")
        .arg(key(cache, session))
        .query_async(&mut conn)
        .await?;
    Ok(json.and_then(|j| {
        let flash: Flash = serde_json::from_str(&j).ok()?;
        let lines = serde_json::from_str::<LinesOnly>(&j)
            .map(|l| l.lines)
            .unwrap_or_default();
        Some((flash, FlashLines(lines)))
    }))
}

/// For a page request that carries the marker: fetch the message into request extensions (where
/// `Layout` finds it) and clear the marker.
pub async fn load_flash(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let wanted = req.method() == Method::GET && req.cookie(FLASH_COOKIE).is_some();
    if !wanted {
        return next.call(req).await;
    }
    let session = match req.extensions().get::<SessionState>() {
        Some(SessionState::Active(s)) => Some((**s).clone()),
        _ => None,
    };
    if let (Some(session), Some(app)) = (session, req.app_data::<web::Data<AppState>>()) {
        match take(&app.cache, &session).await {
            Ok(Some((flash, lines))) => {
                req.extensions_mut().insert(flash);
                req.extensions_mut().insert(lines);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "flash message lost"),
        }
    }
    let mut res = next.call(req).await?;
    let mut removal = Cookie::build(FLASH_COOKIE, "").path("/").finish();
    removal.make_removal();
    if let Ok(v) = header::HeaderValue::from_str(&removal.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
