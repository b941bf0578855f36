//! Accounts and access: argon2id passwords, sessions in Redis with one active session per
//! account, sign-in throttling, CSRF, roles and the guards handlers use.

pub mod device;
pub mod domain;
pub mod extract;
pub mod middleware;
pub mod models;
pub mod password;
pub mod routes;
pub mod service;
pub mod session;
pub mod throttle;

pub use extract::{CurrentUser, Registrar, Student};
pub use session::{Role, Session, SessionState, SessionStore, SESSION_COOKIE};

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(routes::login_form))
        .route("/login", web::post().to(routes::login_submit))
        .route("/logout", web::post().to(routes::logout))
        .route("/api/v1/session", web::post().to(routes::api_sign_in))
        .route("/api/v1/session", web::delete().to(routes::api_sign_out));
}
