//! Registration-day controls: freezing registration and the incident banner. They are recorded
//! in `site_settings` (one JSON row, the authority) and mirrored to Redis (`site:controls`);
//! every instance copies Redis into memory once a second, so the registration hot path and every
//! page read only that in-process copy. The registrar's console for them is `admin::controls`.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::activity::{self, NewActivity};
use crate::app::AppState;
use crate::auth::{Role, SessionState};
use crate::cache::{Cache, CacheError};
use crate::db::schema::{site_settings, terms};
use crate::db::Db;
use crate::web::error::{ErrorBody, ErrorDetail};
use crate::web::flash::{self, Flash, Level};
use crate::web::layout::{BannerSource, Banners};
use crate::web::{AppError, Lang};

const SETTING_NAME: &str = "registration_controls";
const REDIS_KEY: &str = "site:controls";
/// Every this many refreshes the copy is checked against MySQL too, so a lost Redis write or a
/// flushed Redis heals by itself.
const DB_CHECK_EVERY: u32 = 15;

/// What a registrar switched on or off; the JSON stored in MySQL and Redis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteControls {
    /// Raised by every change; a copy never replaces a newer one (in memory or in Redis), so a
    /// refresh that read MySQL just before a change cannot undo it.
    pub version: u64,
    pub frozen: bool,
    pub freeze_reason: String,
    pub banner_on: bool,
    pub banner_ko: String,
    pub banner_en: String,
}

impl SiteControls {
    pub fn banner(&self, lang: Lang) -> Option<&str> {
        if !self.banner_on {
            return None;
        }
        Some(match lang {
            Lang::En if !self.banner_en.is_empty() => self.banner_en.as_str(),
            _ => self.banner_ko.as_str(),
        })
    }

    pub fn freeze_message(&self, lang: Lang) -> Option<String> {
        self.frozen.then(|| {
            lang.format(
                "controls.frozen_message",
                &[("reason", self.freeze_reason.clone())],
            )
        })
    }
}

/// This instance's copy of the controls.
#[derive(Clone, Default)]
pub struct Controls {
    current: Arc<RwLock<Arc<SiteControls>>>,
}

impl Controls {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn current(&self) -> Arc<SiteControls> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Takes `next` unless this copy is newer.
    pub fn replace(&self, next: SiteControls) {
        let current = self.current();
        if *current == next || current.version > next.version {
            return;
        }
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.version <= next.version {
            *guard = Arc::new(next);
        }
    }

    /// Follows Redis once a second (MySQL every `DB_CHECK_EVERY` seconds) until the process ends.
    pub fn spawn_refresher(&self, db: Db, cache: Cache) {
        let controls = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut n: u32 = 0;
            loop {
                interval.tick().await;
                let check_db = n.is_multiple_of(DB_CHECK_EVERY);
                n = n.wrapping_add(1);
                if let Err(e) = controls.refresh(&db, &cache, check_db).await {
                    tracing::debug!(error = %e, "registration controls not refreshed");
                }
            }
        });
    }

    async fn refresh(&self, db: &Db, cache: &Cache, check_db: bool) -> Result<(), AppError> {
        let mirrored = read_redis(cache).await?;
        if let (Some(m), false) = (&mirrored, check_db) {
            self.replace(m.clone());
            return Ok(());
        }
        let stored = db.query(load).await?;
        if mirrored.as_ref() != Some(&stored) {
            publish(cache, &stored).await?;
        }
        self.replace(stored);
        Ok(())
    }
}

async fn read_redis(cache: &Cache) -> Result<Option<SiteControls>, CacheError> {
    let mut conn = cache.conn().await?;
    let json: Option<String> = redis::cmd("GET")
        .arg(cache.key(REDIS_KEY))
        .query_async(&mut conn)
        .await?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

/// Mirrors `controls` to Redis unless Redis already holds a newer version.
pub async fn publish(cache: &Cache, controls: &SiteControls) -> Result<(), CacheError> {
    let json =
        serde_json::to_string(controls).map_err(|e| CacheError::Unavailable(e.to_string()))?;
    let mut conn = cache.conn().await?;
    let _: i64 = PUBLISH
        .key(cache.key(REDIS_KEY))
        .arg(json)
        .arg(controls.version)
        .invoke_async(&mut conn)
        .await?;
    Ok(())
}

static PUBLISH: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r#"
-- KEYS[1] the mirror; ARGV[1] the controls' JSON, ARGV[2] their version
local held = redis.call('GET', KEYS[1])
if held then
  local ok, decoded = pcall(cjson.decode, held)
  if ok and type(decoded) == 'table' and tonumber(decoded['version'] or 0) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"#,
    )
});

pub fn load(conn: &mut MysqlConnection) -> QueryResult<SiteControls> {
    let value: Option<String> = site_settings::table
        .find(SETTING_NAME)
        .select(site_settings::value)
        .first(conn)
        .optional()?;
    Ok(value
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// Changes the stored controls under the row's lock (two registrars changing the freeze and the
/// banner at once both keep their change), logs it, and returns the new value.
pub fn update(
    conn: &mut MysqlConnection,
    change: impl FnOnce(&mut SiteControls),
    entry: NewActivity,
) -> QueryResult<SiteControls> {
    conn.transaction(|conn| {
        diesel::insert_or_ignore_into(site_settings::table)
            .values((
                site_settings::name.eq(SETTING_NAME),
                site_settings::value.eq("{}"),
            ))
            .execute(conn)?;
        let value: String = site_settings::table
            .find(SETTING_NAME)
            .select(site_settings::value)
            .for_update()
            .first(conn)?;
        let mut controls: SiteControls = serde_json::from_str(&value).unwrap_or_default();
        change(&mut controls);
        // Later than every earlier change, even after a restore of an older MySQL copy.
        let micros = u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(0);
        controls.version = (controls.version + 1).max(micros);
        let json = serde_json::to_string(&controls).unwrap_or_else(|_| "{}".into());
        diesel::update(site_settings::table.find(SETTING_NAME))
            .set(site_settings::value.eq(json))
            .execute(conn)?;
        // The term row carries the flag too, so `/api/v1/me` tells clients the same thing.
        diesel::update(terms::table.filter(terms::is_current.eq(true)))
            .set((
                terms::registration_frozen.eq(controls.frozen),
                terms::freeze_message.eq(controls.frozen.then(|| controls.freeze_reason.clone())),
            ))
            .execute(conn)?;
        activity::record(conn, &entry)?;
        Ok(controls)
    })
}

// ---- the check in front of registration actions ----

/// State-changing requests that freezing stops: registration actions and the basket. `route` is
/// the matched route's pattern.
fn frozen_action(method: &Method, route: &str) -> bool {
    let path = route;
    crate::web::request::is_registration_action(method, path)
        || (matches!(*method, Method::POST | Method::DELETE)
            && (path.starts_with("/api/v1/basket")
                || path == "/basket"
                || path == "/basket/remove"))
}

/// The freeze check in front of every state-changing request (see `refuse_if_frozen`).
pub async fn freeze_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    // Reads change nothing, and while registration is not frozen nothing is refused: only a
    // change under a freeze pays for the route lookup.
    let frozen = req
        .app_data::<web::Data<Controls>>()
        .is_some_and(|c| c.current().frozen);
    if !frozen || matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let Some(route) = crate::web::request::matched_route(req.request()) else {
        // No route: the router answers 404 and nothing changes.
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if let Some(refusal) = refuse_if_frozen(&req, &route).await {
        return Ok(req.into_response(refusal).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// While registration is frozen, a student's registration action is answered here: 409
/// `registration_frozen` with the reason (JSON), or the message and a redirect back (forms).
/// Costs one in-memory read when not frozen.
async fn refuse_if_frozen(req: &ServiceRequest, route: &str) -> Option<HttpResponse> {
    if !frozen_action(req.method(), route) {
        return None;
    }
    let app = req.app_data::<web::Data<AppState>>()?;
    let controls = req.app_data::<web::Data<Controls>>()?.current();
    if !controls.frozen {
        return None;
    }
    let session = match req.extensions().get::<SessionState>() {
        Some(SessionState::Active(s)) if s.role == Role::Student => (**s).clone(),
        _ => return None,
    };
    metrics::counter!("sugang_registration_decisions_total", "outcome" => "registration_frozen")
        .increment(1);
    let lang = Lang::from_request(req.request());
    let message = controls.freeze_message(lang).unwrap_or_default();
    if crate::web::middleware::is_api(route) {
        return Some(HttpResponse::Conflict().json(ErrorBody {
            error: ErrorDetail {
                code: "registration_frozen",
                message,
                field: None,
                retry_after: None,
            },
        }));
    }
    let flash = Flash {
        level: Level::Error,
        message,
    };
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, back_to(req.request())));
    match flash::set(&app.cache, &session, &flash).await {
        Ok(cookie) => {
            res.cookie(cookie);
        }
        Err(e) => tracing::warn!(error = %e, "freeze notice not stored"),
    }
    Some(res.finish())
}

/// The local page the form was posted from, else the registration page.
fn back_to(req: &HttpRequest) -> String {
    req.headers()
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| crate::web::is_local_path(p))
        .unwrap_or_else(|| "/registration".to_string())
}

/// Every page shows the incident banner and the freeze notice of this instance's copy.
impl BannerSource for Controls {
    fn banners(&self, lang: Lang) -> Banners {
        let c = self.current();
        Banners {
            incident: c.banner(lang).map(str::to_string),
            frozen: c.freeze_message(lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freezing_stops_registration_and_basket_changes_but_not_reads() {
        assert!(frozen_action(&Method::POST, "/api/v1/enrollments"));
        assert!(frozen_action(&Method::POST, "/registration"));
        assert!(frozen_action(&Method::POST, "/basket"));
        assert!(frozen_action(
            &Method::DELETE,
            "/api/v1/basket/{section_id}"
        ));
        assert!(!frozen_action(&Method::GET, "/registration"));
        assert!(!frozen_action(&Method::GET, "/api/v1/basket"));
        assert!(!frozen_action(&Method::POST, "/admin/controls/unfreeze"));
    }

    #[test]
    fn a_copy_never_replaces_a_newer_one() {
        let controls = Controls::new();
        let frozen = SiteControls {
            version: 7,
            frozen: true,
            freeze_reason: "점검".into(),
            ..Default::default()
        };
        controls.replace(frozen.clone());
        // A refresh that read MySQL just before the freeze lands after it.
        controls.replace(SiteControls {
            version: 6,
            ..Default::default()
        });
        assert_eq!(*controls.current(), frozen);
        let lifted = SiteControls {
            version: 8,
            ..Default::default()
        };
        controls.replace(lifted.clone());
        assert_eq!(*controls.current(), lifted);
    }

    #[test]
    fn english_banner_falls_back_to_korean() {
        let c = SiteControls {
            banner_on: true,
            banner_ko: "점검".into(),
            ..Default::default()
        };
        assert_eq!(c.banner(Lang::En), Some("점검"));
        assert_eq!(SiteControls::default().banner(Lang::Ko), None);
    }
}
