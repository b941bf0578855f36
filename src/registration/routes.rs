//! The student's pages and JSON for their own standing.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde_json::json;

use crate::auth::{CurrentUser, Role};
use crate::registration::status::{self, Standing};
use crate::startup::AppState;
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

    fn cohort_key(cohort: &str) -> String {
        format!("cohort.{cohort}")
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
        .run(move |conn| Ok(status::standing(conn, uid, Utc::now())?))
        .await?;
    html(HomePage { layout, standing })
}

pub async fn api_me(app: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let uid = user.0.user_id;
    let standing = app
        .db
        .run(move |conn| Ok(status::standing(conn, uid, Utc::now())?))
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
