//! The registrar console. Every route here takes the `Registrar` extractor: students get 403.

mod allocation;
pub mod controls;
mod csv_export;
mod csv_import;
mod dashboard;
mod routes;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(routes::dashboard))
        .route("/api/v1/admin/summary", web::get().to(routes::api_summary))
        .route("/admin/controls", web::get().to(controls::page))
        .route("/admin/controls/freeze", web::post().to(controls::freeze))
        .route(
            "/admin/controls/unfreeze",
            web::post().to(controls::unfreeze),
        )
        .route("/admin/controls/banner", web::post().to(controls::banner))
        .route(
            "/admin/controls/waiting-room",
            web::post().to(controls::waiting_room),
        )
        .route("/admin/import", web::get().to(csv_import::page))
        .route("/admin/import", web::post().to(csv_import::preview))
        .route("/admin/import/apply", web::post().to(csv_import::apply))
        .route("/admin/export", web::get().to(csv_export::page))
        .route(
            "/admin/export/sections/{id}/roster.csv",
            web::get().to(csv_export::roster),
        )
        .route(
            "/admin/export/enrollments.csv",
            web::get().to(csv_export::enrollments),
        )
        .route(
            "/admin/export/demand.csv",
            web::get().to(csv_export::demand),
        )
        .route("/admin/allocation", web::get().to(allocation::page))
        .route("/admin/allocation", web::post().to(allocation::run));
}
