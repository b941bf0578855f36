//! The registrar console. Every route here takes the `Registrar` extractor: students get 403.

mod allocation;
mod routes;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(routes::dashboard))
        .route("/api/v1/admin/summary", web::get().to(routes::api_summary))
        .route("/admin/allocation", web::get().to(allocation::page))
        .route("/admin/allocation", web::post().to(allocation::run));
}
