//! The registrar's console for registration-day controls (`crate::controls`: the freeze and the
//! incident banner) and the waiting room's live settings.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use crate::activity;
use crate::admin::forms::{self, Answer, Console, FormErrors};
use crate::app::AppState;
use crate::config::RoomConfig;
use crate::controls::{self, Controls, SiteControls};
use crate::waiting_room::WaitingRoom;
use crate::web::flash::Level;
use crate::web::{html, AppError, Layout};

pub const REASON_MAX: usize = 300;
pub const BANNER_MAX: usize = 300;
pub const RATE_RANGE: (u32, u32) = (1, 10_000);
pub const CONCURRENCY_RANGE: (u32, u32) = (1, 1_000_000);
pub const PASS_TTL_RANGE: (u32, u32) = (30, 3_600);

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

async fn page_state(
    app: &AppState,
    queue: &WaitingRoom,
) -> Result<(SiteControls, (RoomConfig, i64)), AppError> {
    let controls = app.db.query(controls::load).await?;
    Ok((controls, room_state(queue).await?))
}

/// The room's live settings and the opening instant in force.
async fn room_state(queue: &WaitingRoom) -> Result<(RoomConfig, i64), AppError> {
    Ok((queue.config().await?, queue.opening().await?))
}

pub async fn page(c: Console, queue: web::Data<WaitingRoom>) -> Answer {
    let (app, _, layout, _) = c.parts();
    let (controls, room) = page_state(&app, &queue).await?;
    html(ControlsPage::new(layout, controls, room))
}

/// The console with this instance's copy of the controls (a change applies to it at once) and
/// the waiting room: what the controls page's forms and the dashboard take.
pub struct ControlsConsole {
    pub c: Console,
    pub mirror: web::Data<Controls>,
    pub queue: web::Data<WaitingRoom>,
}

impl FromRequest for ControlsConsole {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let c = Console::from_request(req, payload);
        let mirror = web::Data::<Controls>::extract(req);
        let queue = web::Data::<WaitingRoom>::extract(req);
        Box::pin(async move {
            Ok(ControlsConsole {
                c: c.await?,
                mirror: mirror.await?,
                queue: queue.await?,
            })
        })
    }
}

impl ControlsConsole {
    /// The page again (422) with the refused fields beside their messages; `typed` puts back what
    /// the registrar typed. `room` is the room's state when the handler has read it already.
    async fn refused(
        self,
        errors: FormErrors,
        room: Option<(RoomConfig, i64)>,
        typed: impl FnOnce(&mut ControlsPage),
    ) -> Answer {
        let room = match room {
            Some(room) => room,
            None => room_state(&self.queue).await?,
        };
        let controls = self.c.app.db.query(controls::load).await?;
        let mut page = ControlsPage::new(self.c.layout, controls, room);
        typed(&mut page);
        page.errors = errors;
        page.invalid()
    }

    /// Commits a change of the controls with its activity line, publishes it to every instance
    /// and redirects with a message.
    async fn apply(
        self,
        action: &'static str,
        detail: String,
        change: impl FnOnce(&mut SiteControls) + Send + 'static,
        done_key: &'static str,
    ) -> Answer {
        let (app, registrar, layout, meta) = self.c.parts();
        let log = forms::session_line(&registrar, action, &meta, detail);
        let controls = app
            .db
            .query(move |conn| controls::update(conn, change, log))
            .await?;
        self.mirror.replace(controls.clone());
        if let Err(e) = controls::publish(&app.cache, &controls).await {
            // Recorded in MySQL already; other instances pick it up from there within seconds.
            tracing::warn!(error = %e, "registration controls not published to Redis");
        }
        let message = layout.lang.text(done_key).to_string();
        forms::redirect(&app, &registrar, "/admin/controls", Level::Ok, message).await
    }
}

pub async fn freeze(f: ControlsConsole, form: web::Form<FreezeForm>) -> Answer {
    let reason = form.reason.trim().to_string();
    let mut errors = FormErrors::new(f.c.layout.lang);
    if reason.is_empty() {
        errors.put("controls.error.reason_required", "reason");
    } else if reason.chars().count() > REASON_MAX {
        errors
            .put("controls.error.too_long", "reason")
            .and("max", REASON_MAX);
    }
    if !errors.is_empty() {
        return f
            .refused(errors, None, |page| page.reason = form.reason.clone())
            .await;
    }
    // Stopping registration asks once; changing the reason of a freeze in force does not.
    if form.confirm.as_deref() != Some("1") && !f.mirror.current().frozen {
        let layout = f.c.layout;
        return html(FreezeConfirmPage { layout, reason });
    }
    tracing::warn!(registrar.id = f.c.r.0.user_id, reason = %reason, "registration frozen");
    let change = {
        let reason = reason.clone();
        move |c: &mut SiteControls| {
            c.frozen = true;
            c.freeze_reason = reason;
        }
    };
    f.apply("control_freeze", reason, change, "controls.done.frozen")
        .await
}

pub async fn unfreeze(f: ControlsConsole) -> Answer {
    tracing::warn!(registrar.id = f.c.r.0.user_id, "registration unfrozen");
    let change = |c: &mut SiteControls| c.frozen = false;
    f.apply(
        "control_unfreeze",
        String::new(),
        change,
        "controls.done.unfrozen",
    )
    .await
}

pub async fn banner(f: ControlsConsole, form: web::Form<BannerForm>) -> Answer {
    let on = checked(&form.enabled);
    let (ko, en) = (
        form.text_ko.trim().to_string(),
        form.text_en.trim().to_string(),
    );
    let mut errors = FormErrors::new(f.c.layout.lang);
    if on && ko.is_empty() {
        errors.put("controls.error.banner_required", "text_ko");
    }
    for (name, text) in [("text_ko", &ko), ("text_en", &en)] {
        if text.chars().count() > BANNER_MAX {
            errors
                .put("controls.error.too_long", name)
                .and("max", BANNER_MAX);
        }
    }
    if !errors.is_empty() {
        return f
            .refused(errors, None, |page| {
                page.banner_ko = form.text_ko.clone();
                page.banner_en = form.text_en.clone();
            })
            .await;
    }
    let detail = if on {
        format!("on: {ko} / {en}")
    } else {
        "off".to_string()
    };
    let change = move |c: &mut SiteControls| {
        c.banner_on = on;
        c.banner_ko = ko;
        c.banner_en = en;
    };
    f.apply("control_banner", detail, change, "controls.done.banner")
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

pub async fn waiting_room(f: ControlsConsole, form: web::Form<RoomForm>) -> Answer {
    let mut errors = FormErrors::new(f.c.layout.lang);
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
    let current = room_state(&f.queue).await?;
    let (Some(rate), Some(concurrency), Some(pass_ttl_secs), Some(opens_at_ms)) =
        (rate, concurrency, pass_ttl, opens_at)
    else {
        return f
            .refused(errors, Some(current), |page| {
                page.rate = form.rate.clone();
                page.concurrency = form.concurrency.clone();
                page.pass_ttl = form.pass_ttl_secs.clone();
                page.opens_at = form.opens_at.clone();
            })
            .await;
    };
    let next = RoomConfig {
        enabled: checked(&form.enabled),
        rate,
        concurrency,
        pass_ttl_secs,
        opens_at_ms,
    };
    f.queue.set_config(next).await?;
    let (app, registrar, layout, meta) = f.c.parts();
    tracing::warn!(
        registrar.id = registrar.0.user_id,
        enabled = next.enabled,
        rate,
        concurrency,
        pass_ttl_secs,
        opens_at_ms,
        "waiting room settings changed"
    );
    let log = forms::session_line(&registrar, "control_waiting_room", &meta, format!(
            "enabled={} rate={rate} concurrency={concurrency} pass_ttl={pass_ttl_secs} opens_at_ms={opens_at_ms}",
            next.enabled
        ));
    app.db
        .query(move |conn| activity::record(conn, &log))
        .await?;
    let message = layout.lang.text("controls.done.waiting_room").to_string();
    forms::redirect(&app, &registrar, "/admin/controls", Level::Ok, message).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_reject_zero_garbage_and_excess() {
        assert_eq!(in_range(" 50 ", RATE_RANGE), Some(50));
        assert_eq!(in_range("0", RATE_RANGE), None);
        assert_eq!(in_range("-1", RATE_RANGE), None);
        assert_eq!(in_range("abc", RATE_RANGE), None);
        assert_eq!(in_range("10001", RATE_RANGE), None);
    }
}
