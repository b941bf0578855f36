//! Registration: the student's standing, and (as they arrive) the rules, enroll / drop / swap,
//! basket, waitlist. The activity log lives here because every attempt is recorded in it.

pub mod activity;
pub mod routes;
pub mod status;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(routes::home))
        .route("/api/v1/me", web::get().to(routes::api_me))
        .route("/api/v1/time", web::get().to(routes::api_time));
}
