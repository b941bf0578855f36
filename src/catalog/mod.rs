//! The catalog: terms and their registration windows, departments, courses, sections, meetings;
//! search (`search`), what the section page shows (`detail`, `actions`) and cached reads
//! (`cache`). The search and section pages are `registration::catalog_pages`; the values that
//! come from outside (course codes, times of day, meetings, section ids) are `crate::domain`.

pub mod actions;
pub mod cache;
pub mod detail;
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
    cfg.route("/api/v1/sections", web::get().to(routes::api_sections));
}
