//! The student's pages and JSON for their own standing.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde_json::json;

use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::registration::status::{self, Standing};
use crate::web::layout::seoul;
use crate::web::{html, AppError, Layout};

#[derive(Template)]
#[template(path = "registration/home.html")]
struct HomePage {
    layout: Layout,
    standing: Standing,
}

impl HomePage {
    fn phase_key(phase: &str) -> String {
        format!("phase.{phase}")
    }

    fn status_key(&self) -> String {
        format!("status.{}", self.standing.status)
    }

    fn welcome(&self) -> String {
        self.layout
            .lang
            .format("home.welcome", &[("name", self.standing.name.clone())])
    }

    fn term_name(&self) -> Option<&str> {
        self.standing.term_name(self.layout.lang)
    }

    fn department_name(&self) -> Option<&str> {
        self.standing.department_name(self.layout.lang)
    }

    fn class_year(&self) -> String {
        match self.standing.class_year {
            Some(year) => self
                .layout
                .lang
                .format("home.class_year_value", &[("year", year.to_string())]),
            None => "-".into(),
        }
    }

    fn credits(&self) -> String {
        match self.standing.credit_limit {
            Some(limit) => format!(
                "{} / {}",
                self.standing.credits_enrolled,
                self.layout
                    .lang
                    .format("home.credits_value", &[("credits", limit.to_string())])
            ),
            None => "-".into(),
        }
    }

    fn when(at: &chrono::DateTime<Utc>) -> String {
        seoul(at)
    }

    fn iso(at: &chrono::DateTime<Utc>) -> String {
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

pub async fn home(
    app: web::Data<AppState>,
    user: CurrentUser,
    layout: Layout,
) -> Result<HttpResponse, AppError> {
    if user.0.role == Role::Registrar {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin"))
            .finish());
    }
    let uid = user.0.user_id;
    let standing = app
        .db
        .query(move |conn| status::standing(conn, uid, Utc::now()))
        .await?;
    html(HomePage { layout, standing })
}

pub async fn api_me(app: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let uid = user.0.user_id;
    let standing = app
        .db
        .query(move |conn| status::standing(conn, uid, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(standing))
}

/// The server's clock, for clients that correct their countdowns by the offset.
pub async fn api_time() -> HttpResponse {
    let now = Utc::now();
    HttpResponse::Ok().json(json!({
        "now": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "epoch_ms": now.timestamp_millis(),
        "time_zone": "Asia/Seoul",
    }))
}

#[derive(Template)]
#[template(path = "registration/activity.html")]
struct ActivityPage {
    layout: Layout,
    rows: Vec<crate::registration::queries::ActivityRow>,
    labels: std::collections::HashMap<i32, crate::registration::rules::SectionLabel>,
    page: i64,
    has_more: bool,
}

impl ActivityPage {
    fn when(&self, row: &crate::registration::queries::ActivityRow) -> String {
        seoul(&row.at.and_utc())
    }

    fn iso(&self, row: &crate::registration::queries::ActivityRow) -> String {
        row.at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    fn action(&self, row: &crate::registration::queries::ActivityRow) -> String {
        let key = format!("action.{}", row.action);
        match crate::web::i18n::has_key(&key) {
            true => self.layout.t(&key).to_string(),
            false => row.action.clone(),
        }
    }

    /// The outcome in the page's language; a code without words (none today) shows as itself.
    fn outcome(&self, row: &crate::registration::queries::ActivityRow) -> String {
        let key = format!("outcome.{}", row.outcome);
        match crate::web::i18n::has_key(&key) {
            true => self.layout.t(&key).to_string(),
            false => row.outcome.clone(),
        }
    }

    fn section(&self, row: &crate::registration::queries::ActivityRow) -> String {
        match row.section_id {
            Some(id) => match self.labels.get(&id) {
                Some(label) => label.show(self.layout.lang),
                None => format!("#{id}"),
            },
            None => "-".into(),
        }
    }

    fn page_label(&self) -> String {
        self.layout
            .lang
            .format("activity.page", &[("page", self.page.to_string())])
    }
}

/// The student's own activity log, newest first, 50 a page.
pub async fn activity(
    app: web::Data<AppState>,
    student: crate::auth::Student,
    layout: Layout,
    query: web::Query<crate::registration::api::PageQuery>,
) -> Result<HttpResponse, AppError> {
    let sid = student.0.user_id;
    let page = query.page();
    let (rows, labels, has_more) = app
        .db
        .run(move |conn| {
            let (rows, more) = crate::registration::queries::activity_page(conn, sid, page, 50)?;
            let mut ids: Vec<i32> = rows.iter().filter_map(|r| r.section_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let labels = crate::registration::queries::section_labels(conn, &ids)?;
            Ok((rows, labels, more))
        })
        .await?;
    html(ActivityPage {
        layout,
        rows,
        labels,
        page,
        has_more,
    })
}
