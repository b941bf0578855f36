//! Registration-day controls: freezing registration, the incident banner and the waiting room's
//! live settings. Freeze and banner are recorded in `site_settings` (one JSON row, the authority)
//! and mirrored to Redis (`site:controls`); every instance copies Redis into memory once a second,
//! so the registration hot path and every page read only that in-process copy.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::dev::ServiceRequest;
use actix_web::http::{header, Method};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::admin::forms::{self, Answer, Console, FormErrors};
use crate::auth::{Registrar, Role, SessionState};
use crate::cache::{Cache, CacheError};
use crate::db::schema::{site_settings, terms};
use crate::db::Db;
use crate::registration::activity::{self, NewActivity};
use crate::startup::AppState;
use crate::waiting_room::RoomConfig;
use crate::web::error::{ErrorBody, ErrorDetail};
use crate::web::flash::{self, Flash, Level};
use crate::web::{html, AppError, Lang, Layout, RequestMeta};

const SETTING_NAME: &str = "registration_controls";
const REDIS_KEY: &str = "site:controls";
/// Every this many refreshes the copy is checked against MySQL too, so a lost Redis write or a
/// flushed Redis heals by itself.
const DB_CHECK_EVERY: u32 = 15;

pub const REASON_MAX: usize = 300;
pub const BANNER_MAX: usize = 300;
pub const RATE_RANGE: (u32, u32) = (1, 10_000);
pub const CONCURRENCY_RANGE: (u32, u32) = (1, 1_000_000);
pub const PASS_TTL_RANGE: (u32, u32) = (30, 3_600);

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
    fn replace(&self, next: SiteControls) {
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
        let stored = db.run(|conn| Ok(load(conn)?)).await?;
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
async fn publish(cache: &Cache, controls: &SiteControls) -> Result<(), CacheError> {
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

fn load(conn: &mut MysqlConnection) -> QueryResult<SiteControls> {
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
fn update(
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
    crate::waiting_room::guard::is_registration_action(method, path)
        || (matches!(*method, Method::POST | Method::DELETE)
            && (path.starts_with("/api/v1/basket")
                || path == "/basket"
                || path == "/basket/remove"))
}

/// While registration is frozen, a student's registration action is answered here: 409
/// `registration_frozen` with the reason (JSON), or the message and a redirect back (forms).
/// Costs one in-memory read when not frozen.
pub async fn refuse_if_frozen(req: &ServiceRequest, route: &str) -> Option<HttpResponse> {
    if !frozen_action(req.method(), route) {
        return None;
    }
    let app = req.app_data::<web::Data<AppState>>()?;
    let controls = app.controls.current();
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

/// The banners at the top of every page, in the reader's language.
#[derive(Debug, Clone, Default)]
pub struct Banners {
    pub incident: Option<String>,
    pub frozen: Option<String>,
}

impl Banners {
    pub fn of(req: &HttpRequest, lang: Lang) -> Banners {
        let Some(app) = req.app_data::<web::Data<AppState>>() else {
            return Banners::default();
        };
        let c = app.controls.current();
        Banners {
            incident: c.banner(lang).map(str::to_string),
            frozen: c.freeze_message(lang),
        }
    }
}

// ---- the page and its forms ----

#[derive(Debug, Default, Deserialize)]
pub struct FreezeForm {
    #[serde(default)]
    pub reason: String,
    /// `1` once the registrar has confirmed (on the confirm page or in the dialog).
    #[serde(default)]
    pub confirm: Option<String>,
}

/// The one question before a freeze, for browsers without the dialog: it names the effect and
/// the reason students will read, and posts the same form again with `confirm=1`.
#[derive(Template)]
#[template(path = "admin/freeze_confirm.html")]
struct FreezeConfirmPage {
    layout: Layout,
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct BannerForm {
    #[serde(default)]
    pub enabled: Option<String>,
    #[serde(default)]
    pub text_ko: String,
    #[serde(default)]
    pub text_en: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct RoomForm {
    #[serde(default)]
    pub enabled: Option<String>,
    #[serde(default)]
    pub rate: String,
    #[serde(default)]
    pub concurrency: String,
    #[serde(default)]
    pub pass_ttl_secs: String,
    /// The registrar's opening instant (`datetime-local`, Seoul time); empty: follow the calendar.
    #[serde(default)]
    pub opens_at: String,
}

#[derive(Template)]
#[template(path = "admin/controls.html")]
struct ControlsPage {
    layout: Layout,
    controls: SiteControls,
    room: RoomConfig,
    /// Values to put back in the forms (what was typed, after an error).
    reason: String,
    banner_ko: String,
    banner_en: String,
    rate: String,
    concurrency: String,
    pass_ttl: String,
    /// The opening-instant input as typed (Seoul time), empty when the calendar is followed.
    opens_at: String,
    /// The opening instant in force (Unix ms, 0 = none), the registrar's or the calendar's.
    opening_in_force: i64,
    errors: FormErrors,
}

impl ControlsPage {
    fn new(
        layout: Layout,
        controls: SiteControls,
        (room, opening_in_force): (RoomConfig, i64),
    ) -> Self {
        let lang = layout.lang;
        ControlsPage {
            opens_at: if room.opens_at_ms > 0 {
                chrono::DateTime::from_timestamp_millis(room.opens_at_ms)
                    .map(|at| forms::datetime_input(&at.naive_utc()))
                    .unwrap_or_default()
            } else {
                String::new()
            },
            opening_in_force,
            layout,
            reason: controls.freeze_reason.clone(),
            banner_ko: controls.banner_ko.clone(),
            banner_en: controls.banner_en.clone(),
            rate: room.rate.to_string(),
            concurrency: room.concurrency.to_string(),
            pass_ttl: room.pass_ttl_secs.to_string(),
            controls,
            room,
            errors: FormErrors::new(lang),
        }
    }

    /// "set by the registrar" / "from the calendar" / "none", with the instant in Seoul time.
    fn opening_text(&self) -> String {
        let lang = self.layout.lang;
        let when = chrono::DateTime::from_timestamp_millis(self.opening_in_force)
            .map(|at| forms::seoul_display(&at.naive_utc()))
            .unwrap_or_default();
        if self.opening_in_force <= 0 {
            lang.text("controls.room.opening_none").to_string()
        } else if self.room.opens_at_ms > 0 {
            lang.format("controls.room.opening_registrar", &[("at", when)])
        } else {
            lang.format("controls.room.opening_calendar", &[("at", when)])
        }
    }

    fn invalid(self) -> Result<HttpResponse, AppError> {
        let body = self.render()?;
        Ok(HttpResponse::UnprocessableEntity()
            .content_type("text/html; charset=utf-8")
            .body(body))
    }
}

async fn page_state(app: &AppState) -> Result<(SiteControls, (RoomConfig, i64)), AppError> {
    let controls = app.db.run(|conn| Ok(load(conn)?)).await?;
    Ok((controls, room_state(app).await?))
}

/// The room's live settings and the opening instant in force.
async fn room_state(app: &AppState) -> Result<(RoomConfig, i64), AppError> {
    Ok((
        app.waiting_room.config().await?,
        app.waiting_room.opening().await?,
    ))
}

pub async fn page(c: Console) -> Answer {
    let (app, _, layout, _) = c.parts();
    let (controls, room) = page_state(&app).await?;
    html(ControlsPage::new(layout, controls, room))
}

/// Commits a change, publishes it to every instance and redirects with a message.
async fn apply_change(
    app: &AppState,
    registrar: &Registrar,
    lang: Lang,
    change: impl FnOnce(&mut SiteControls) + Send + 'static,
    log: NewActivity,
    done_key: &'static str,
) -> Result<HttpResponse, AppError> {
    let controls = app
        .db
        .run(move |conn| Ok(update(conn, change, log)?))
        .await?;
    app.controls.replace(controls.clone());
    if let Err(e) = publish(&app.cache, &controls).await {
        // Recorded in MySQL already; other instances pick it up from there within seconds.
        tracing::warn!(error = %e, "registration controls not published to Redis");
    }
    let message = lang.text(done_key).to_string();
    forms::redirect(app, registrar, "/admin/controls", Level::Ok, message).await
}

pub async fn freeze(c: Console, req: HttpRequest, form: web::Form<FreezeForm>) -> Answer {
    let (app, registrar, layout, _) = c.parts();
    let lang = layout.lang;
    let reason = form.reason.trim().to_string();
    let mut errors = FormErrors::new(lang);
    if reason.is_empty() {
        errors.put("controls.error.reason_required", "reason");
    } else if reason.chars().count() > REASON_MAX {
        errors
            .put("controls.error.too_long", "reason")
            .and("max", REASON_MAX);
    }
    if !errors.is_empty() {
        let (controls, room) = page_state(&app).await?;
        let mut page = ControlsPage::new(layout, controls, room);
        page.reason = form.reason.clone();
        page.errors = errors;
        return page.invalid();
    }
    // Stopping registration asks once; changing the reason of a freeze in force does not.
    if form.confirm.as_deref() != Some("1") && !app.controls.current().frozen {
        return html(FreezeConfirmPage { layout, reason });
    }
    tracing::warn!(registrar.id = registrar.0.user_id, reason = %reason, "registration frozen");
    let log = forms::session_line(
        &registrar,
        "control_freeze",
        &RequestMeta::of(&req),
        reason.clone(),
    );
    apply_change(
        &app,
        &registrar,
        lang,
        move |c| {
            c.frozen = true;
            c.freeze_reason = reason;
        },
        log,
        "controls.done.frozen",
    )
    .await
}

pub async fn unfreeze(c: Console, req: HttpRequest) -> Answer {
    let (app, registrar, layout, _) = c.parts();
    tracing::warn!(registrar.id = registrar.0.user_id, "registration unfrozen");
    let log = forms::session_line(
        &registrar,
        "control_unfreeze",
        &RequestMeta::of(&req),
        String::new(),
    );
    apply_change(
        &app,
        &registrar,
        layout.lang,
        |c| c.frozen = false,
        log,
        "controls.done.unfrozen",
    )
    .await
}

pub async fn banner(c: Console, req: HttpRequest, form: web::Form<BannerForm>) -> Answer {
    let (app, registrar, layout, _) = c.parts();
    let lang = layout.lang;
    let on = checked(&form.enabled);
    let (ko, en) = (
        form.text_ko.trim().to_string(),
        form.text_en.trim().to_string(),
    );
    let mut errors = FormErrors::new(lang);
    if on && ko.is_empty() {
        errors.put("controls.error.banner_required", "text_ko");
    }
    if ko.chars().count() > BANNER_MAX {
        errors
            .put("controls.error.too_long", "text_ko")
            .and("max", BANNER_MAX);
    }
    if en.chars().count() > BANNER_MAX {
        errors
            .put("controls.error.too_long", "text_en")
            .and("max", BANNER_MAX);
    }
    if !errors.is_empty() {
        let (controls, room) = page_state(&app).await?;
        let mut page = ControlsPage::new(layout, controls, room);
        page.banner_ko = form.text_ko.clone();
        page.banner_en = form.text_en.clone();
        page.errors = errors;
        return page.invalid();
    }
    let detail = if on {
        format!("on: {ko} / {en}")
    } else {
        "off".to_string()
    };
    let log = forms::session_line(&registrar, "control_banner", &RequestMeta::of(&req), detail);
    apply_change(
        &app,
        &registrar,
        lang,
        move |c| {
            c.banner_on = on;
            c.banner_ko = ko;
            c.banner_en = en;
        },
        log,
        "controls.done.banner",
    )
    .await
}

fn checked(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("on" | "1" | "true"))
}

fn in_range(raw: &str, (lo, hi): (u32, u32)) -> Option<u32> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|v| (lo..=hi).contains(v))
}

pub async fn waiting_room(c: Console, req: HttpRequest, form: web::Form<RoomForm>) -> Answer {
    let (app, registrar, layout, _) = c.parts();
    let lang = layout.lang;
    let mut errors = FormErrors::new(lang);
    let mut field = |name: &'static str, raw: &str, range: (u32, u32)| {
        let v = in_range(raw, range);
        if v.is_none() {
            errors
                .put("controls.error.range", name)
                .and("min", range.0)
                .and("max", range.1);
        }
        v
    };
    let rate = field("rate", &form.rate, RATE_RANGE);
    let concurrency = field("concurrency", &form.concurrency, CONCURRENCY_RANGE);
    let pass_ttl = field("pass_ttl_secs", &form.pass_ttl_secs, PASS_TTL_RANGE);
    let opens_at = match form.opens_at.trim() {
        "" => Some(0),
        raw => forms::seoul_datetime(&mut errors, "opens_at", raw)
            .map(|at| at.and_utc().timestamp_millis()),
    };
    let current = room_state(&app).await?;
    let (Some(rate), Some(concurrency), Some(pass_ttl_secs), Some(opens_at_ms)) =
        (rate, concurrency, pass_ttl, opens_at)
    else {
        let controls = app.db.run(|conn| Ok(load(conn)?)).await?;
        let mut page = ControlsPage::new(layout, controls, current);
        page.rate = form.rate.clone();
        page.concurrency = form.concurrency.clone();
        page.pass_ttl = form.pass_ttl_secs.clone();
        page.opens_at = form.opens_at.clone();
        page.errors = errors;
        return page.invalid();
    };
    let next = RoomConfig {
        enabled: checked(&form.enabled),
        rate,
        concurrency,
        pass_ttl_secs,
        opens_at_ms,
    };
    app.waiting_room.set_config(next).await?;
    tracing::warn!(
        registrar.id = registrar.0.user_id,
        enabled = next.enabled,
        rate,
        concurrency,
        pass_ttl_secs,
        opens_at_ms,
        "waiting room settings changed"
    );
    let log = forms::session_line(&registrar, "control_waiting_room", &RequestMeta::of(&req), format!(
            "enabled={} rate={rate} concurrency={concurrency} pass_ttl={pass_ttl_secs} opens_at_ms={opens_at_ms}",
            next.enabled
        ));
    app.db
        .run(move |conn| Ok(activity::record(conn, &log)?))
        .await?;
    let message = lang.text("controls.done.waiting_room").to_string();
    forms::redirect(&app, &registrar, "/admin/controls", Level::Ok, message).await
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

    #[test]
    fn ranges_reject_zero_garbage_and_excess() {
        assert_eq!(in_range(" 50 ", RATE_RANGE), Some(50));
        assert_eq!(in_range("0", RATE_RANGE), None);
        assert_eq!(in_range("-1", RATE_RANGE), None);
        assert_eq!(in_range("abc", RATE_RANGE), None);
        assert_eq!(in_range("10001", RATE_RANGE), None);
    }
}
