//! What every page shares: language, the signed-in user for the navigation, the CSRF token for
//! forms, the server's clock, and helpers templates call (`layout.t("key")`).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Seoul;

use crate::session::{Role, SessionState};
use crate::web::i18n::Lang;
use crate::web::AppError;

#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub login_id: String,
    pub is_registrar: bool,
}

/// The banners at the top of every page, in the reader's language.
#[derive(Debug, Clone, Default)]
pub struct Banners {
    pub incident: Option<String>,
    pub frozen: Option<String>,
}

/// Where the banners come from: registered as app data (`web::Data<dyn BannerSource>`) by the
/// registration-day controls.
pub trait BannerSource: Send + Sync {
    fn banners(&self, lang: Lang) -> Banners;
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub lang: Lang,
    pub user: Option<NavUser>,
    pub csrf_token: String,
    pub path: String,
    pub now: DateTime<Utc>,
    /// The one-time message of a form that redirected here.
    pub flash: Option<crate::web::flash::Flash>,
    /// The incident banner and the registration-freeze notice, when on.
    pub banners: Banners,
    /// Seconds until the signed-in session ends without further activity (this page's request
    /// restarted the idle clock); `None` when nobody is signed in.
    pub session_left: Option<i64>,
}

/// Seconds `session` has left after a request now: the idle timeout, or less when the absolute
/// limit comes first.
pub fn session_left(
    session: &crate::session::Session,
    settings: &crate::config::Settings,
    now: DateTime<Utc>,
) -> i64 {
    let idle = settings.session_idle.as_secs() as i64;
    let absolute = session.created + settings.session_absolute.as_secs() as i64 - now.timestamp();
    idle.min(absolute).max(0)
}

/// Seconds the request's session has left, as the session middleware found it.
#[derive(Debug, Clone, Copy)]
pub struct SessionLeft(pub i64);

/// A session ending within this many seconds is announced on the page.
pub const SESSION_WARNING_SECS: i64 = 300;

impl Layout {
    pub fn of(req: &HttpRequest) -> Layout {
        let session = match req.extensions().get::<SessionState>() {
            Some(SessionState::Active(s)) => Some((**s).clone()),
            _ => None,
        };
        let lang = Lang::from_request(req);
        let now = Utc::now();
        Layout {
            session_left: session
                .as_ref()
                .and(req.extensions().get::<SessionLeft>().map(|l| l.0)),
            lang,
            banners: req
                .app_data::<web::Data<dyn BannerSource>>()
                .map(|source| source.banners(lang))
                .unwrap_or_default(),
            user: session.as_ref().map(|s| NavUser {
                name: s.name.clone(),
                login_id: s.login_id.clone(),
                is_registrar: s.role == Role::Registrar,
            }),
            csrf_token: session.map(|s| s.csrf_token).unwrap_or_default(),
            // Links are built from the matched route: a path no route serves (`//evil.example`)
            // never becomes a link; a path that matched starts with `/` and a route segment.
            path: match crate::web::request::matched_route(req) {
                Some(_) => req.path().to_string(),
                None => "/".to_string(),
            },
            now,
            flash: req.extensions().get::<crate::web::flash::Flash>().cloned(),
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.text(key)
    }

    /// Whether the navigation link `href` leads to this page or a page under it (`aria-current`).
    pub fn is_current(&self, href: &str) -> bool {
        match href {
            "/" => self.path == "/",
            _ => {
                self.path == href
                    || self
                        .path
                        .strip_prefix(href)
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// Link that switches the page to the other language.
    pub fn switch_lang_href(&self) -> String {
        let other = match self.lang {
            Lang::Ko => "en",
            Lang::En => "ko",
        };
        format!("{}?lang={other}", self.path)
    }

    /// Server time as RFC 3339 (for scripts) ...
    /// When the session ends without activity: in Seoul time, as RFC 3339, and the seconds left.
    pub fn session_ends(&self) -> Option<(String, String, i64)> {
        let left = self.session_left?;
        let ends = self.now + chrono::Duration::seconds(left);
        Some((
            seoul(&ends),
            ends.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            left,
        ))
    }

    pub fn now_rfc3339(&self) -> String {
        self.now
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    /// ... and as students read it, in Seoul time.
    pub fn now_display(&self) -> String {
        seoul(&self.now)
    }
}

/// A UTC instant as Seoul wall-clock time.
pub fn seoul(at: &DateTime<Utc>) -> String {
    at.with_timezone(&Seoul)
        .format("%Y-%m-%d %H:%M:%S KST")
        .to_string()
}

/// A time of day as pages show it: `13:00` (Seoul), e.g. when held seats are released.
pub fn clock(at: chrono::NaiveDateTime) -> String {
    Utc.from_utc_datetime(&at)
        .with_timezone(&Seoul)
        .format("%H:%M")
        .to_string()
}

impl FromRequest for Layout {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Layout::of(req)))
    }
}
