use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;

use crate::admin::controls::ControlsConsole;
use crate::admin::dashboard::{self, Summary};
use crate::admin::forms::Answer;
use crate::admin::forms::ConsoleApp;
use crate::auth::Registrar;
use crate::controls::Controls;
use crate::waiting_room::WaitingRoom;
use crate::web::layout::seoul;
use crate::web::{html, AppError, Lang, Layout};

/// Every figure of the dashboard. The waiting room is optional: a Redis hiccup leaves that card
/// empty instead of failing the page a registrar needs most when things go wrong.
async fn summary(
    app: &ConsoleApp,
    queue: &WaitingRoom,
    mirror: &Controls,
    lang: Lang,
) -> Result<Summary, AppError> {
    let now = Utc::now();
    let db = app
        .db
        .query(move |conn| dashboard::db_figures(conn, now))
        .await?;
    let room = match queue.config().await {
        Ok(config) => dashboard::room_figures(&app.cache, config).await.ok(),
        Err(e) => {
            tracing::warn!(error = %e, "waiting room figures unavailable");
            None
        }
    };
    let controls = mirror.current();
    Ok(dashboard::assemble(
        lang,
        db,
        room,
        dashboard::error_figures(),
        &controls,
        now,
    ))
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    summary: Summary,
    /// The latest opening draws from the activity log (every instance writes its own).
    draws: Vec<DrawLine>,
}

/// One opening draw as the dashboard lists it.
pub struct DrawLine {
    pub at: String,
    pub opens_at: String,
    pub seed: String,
    pub parts: String,
}

/// The newest opening draws (first part of each), newest first.
fn recent_draws(conn: &mut diesel::MysqlConnection) -> diesel::QueryResult<Vec<DrawLine>> {
    use crate::db::schema::activity_log;
    use diesel::prelude::*;
    let rows: Vec<(chrono::NaiveDateTime, Option<String>)> = activity_log::table
        .filter(activity_log::action.eq("opening_draw"))
        .filter(activity_log::detail.like("% part=1/%"))
        .order(activity_log::id.desc())
        .limit(5)
        .select((activity_log::at, activity_log::detail))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, detail)| {
            let detail = detail.unwrap_or_default();
            let field = |name: &str| {
                detail
                    .split(' ')
                    .find_map(|w| w.strip_prefix(name))
                    .unwrap_or("")
                    .to_string()
            };
            let opens_at = chrono::DateTime::parse_from_rfc3339(&field("opens_at="))
                .map(|t| seoul(&t.with_timezone(&Utc)))
                .unwrap_or_else(|_| field("opens_at="));
            DrawLine {
                at: seoul(&at.and_utc()),
                opens_at,
                seed: field("seed="),
                parts: field("part=").rsplit('/').next().unwrap_or("").to_string(),
            }
        })
        .collect())
}

impl DashboardPage {
    fn term_name(&self) -> Option<&str> {
        match self.layout.lang {
            crate::web::Lang::Ko => self.summary.term_name_ko.as_deref(),
            crate::web::Lang::En => self.summary.term_name_en.as_deref(),
        }
    }

    fn minute_label(at: &chrono::DateTime<Utc>) -> String {
        // "HH:MM" of the Seoul wall clock.
        seoul(at).get(11..16).unwrap_or_default().to_string()
    }

    fn bar_class(&self, count: &i64) -> String {
        // Ten bar widths (CSS classes; the CSP forbids inline styles).
        let max = self.summary.per_minute_max().max(1) as u64;
        let step = (count.max(&0).unsigned_abs() * 10).div_ceil(max).min(10);
        format!("bar w{step}")
    }

    fn error_scope(&self) -> String {
        match self.summary.errors.window_seconds {
            Some(s) => self
                .layout
                .lang
                .format("dashboard.errors.window", &[("seconds", s.to_string())]),
            None => self.layout.t("dashboard.errors.since_start").to_string(),
        }
    }

    fn error_percent(&self) -> String {
        format!("{:.2}%", self.summary.errors.percent)
    }

    fn generated(&self) -> String {
        seoul(&self.summary.generated_at)
    }
}

pub async fn dashboard(f: ControlsConsole) -> Answer {
    let (app, _, layout, _) = f.c.parts();
    let summary = summary(&app, &f.queue, &f.mirror, layout.lang).await?;
    let draws = app.db.query(recent_draws).await?;
    html(DashboardPage {
        layout,
        summary,
        draws,
    })
}

pub async fn api_summary(
    app: ConsoleApp,
    queue: web::Data<WaitingRoom>,
    mirror: web::Data<Controls>,
    _registrar: Registrar,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::from_request(&req);
    Ok(HttpResponse::Ok().json(summary(&app, &queue, &mirror, lang).await?))
}
