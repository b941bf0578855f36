use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;

use crate::admin::dashboard::{self, Summary};
use crate::auth::Registrar;
use crate::startup::AppState;
use crate::web::layout::seoul;
use crate::web::{html, AppError, Lang, Layout};

/// Every figure of the dashboard. The waiting room is optional: a Redis hiccup leaves that card
/// empty instead of failing the page a registrar needs most when things go wrong.
async fn summary(app: &AppState, lang: Lang) -> Result<Summary, AppError> {
    let now = Utc::now();
    let db = app
        .db
        .run(move |conn| Ok(dashboard::db_figures(conn, now)?))
        .await?;
    let room = match app.waiting_room.config().await {
        Ok(config) => dashboard::room_figures(&app.cache, config).await.ok(),
        Err(e) => {
            tracing::warn!(error = %e, "waiting room figures unavailable");
            None
        }
    };
    let controls = app.controls.current();
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

pub async fn dashboard(
    app: web::Data<AppState>,
    _registrar: Registrar,
    layout: Layout,
) -> Result<HttpResponse, AppError> {
    let summary = summary(&app, layout.lang).await?;
    html(DashboardPage { layout, summary })
}

pub async fn api_summary(
    app: web::Data<AppState>,
    _registrar: Registrar,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::from_request(&req);
    Ok(HttpResponse::Ok().json(summary(&app, lang).await?))
}
