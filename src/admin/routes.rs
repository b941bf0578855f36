use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::Registrar;
use crate::catalog::queries;
use crate::db::schema::{enrollments, sections, users};
use crate::startup::AppState;
use crate::web::{html, AppError, Layout};

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub term_id: Option<i32>,
    pub term_name_ko: Option<String>,
    pub term_name_en: Option<String>,
    pub sections: i64,
    pub full_sections: i64,
    pub enrollments: i64,
    pub students: i64,
}

fn summary(conn: &mut MysqlConnection) -> QueryResult<Summary> {
    let term = queries::current_term(conn)?;
    let students = users::table
        .filter(users::role.eq("student"))
        .select(count_star())
        .first(conn)?;
    let (sections_n, full, enrolled) = match &term {
        Some(t) => {
            let open = sections::table
                .filter(sections::term_id.eq(t.id))
                .filter(sections::status.eq("open"));
            (
                open.select(count_star()).first(conn)?,
                open.filter(sections::enrolled.ge(sections::capacity))
                    .select(count_star())
                    .first(conn)?,
                enrollments::table
                    .filter(enrollments::term_id.eq(t.id))
                    .select(count_star())
                    .first(conn)?,
            )
        }
        None => (0, 0, 0),
    };
    Ok(Summary {
        term_id: term.as_ref().map(|t| t.id),
        term_name_ko: term.as_ref().map(|t| t.name_ko.clone()),
        term_name_en: term.as_ref().map(|t| t.name_en.clone()),
        sections: sections_n,
        full_sections: full,
        enrollments: enrolled,
        students,
    })
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
}

pub async fn dashboard(
    app: web::Data<AppState>,
    _registrar: Registrar,
    layout: Layout,
) -> Result<HttpResponse, AppError> {
    let summary = app.db.run(|conn| Ok(summary(conn)?)).await?;
    html(DashboardPage { layout, summary })
}

pub async fn api_summary(
    app: web::Data<AppState>,
    _registrar: Registrar,
) -> Result<HttpResponse, AppError> {
    let summary = app.db.run(|conn| Ok(summary(conn)?)).await?;
    Ok(HttpResponse::Ok().json(summary))
}
