//! The catalog: terms and their registration windows, departments, courses, sections, meetings;
//! search (`search`), the section page (`detail`, `actions`), cached reads (`cache`) and the values
//! that come from outside (`domain`: course codes, times of day, meetings, section ids).

pub mod actions;
pub mod cache;
pub mod detail;
pub mod domain;
pub mod json;
pub mod models;
pub mod queries;
pub mod routes;
pub mod search;
pub mod snapshot;

pub use cache::{bump_version, CatalogCache};
pub use models::{Applicant, Parity, Term, Window, WindowState};

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/courses", web::get().to(routes::search_page))
        .route("/courses/{section_id}", web::get().to(routes::section_page))
        .route("/api/v1/sections", web::get().to(routes::api_sections))
        .route(
            "/api/v1/sections/{section_id}",
            web::get().to(routes::api_section),
        );
}
