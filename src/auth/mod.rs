//! Accounts and access: argon2id passwords, sessions in Redis with one active session per
//! account, sign-in throttling, CSRF, roles and the guards handlers use.

pub mod account_error;
pub mod device;
pub mod domain;
pub mod extract;
pub mod middleware;
pub mod models;
pub mod one_time;
pub mod password;
pub mod routes;
pub mod service;
pub mod throttle;

pub use crate::session::{Role, Session, SessionState, SessionStore, SESSION_COOKIE};
pub use extract::{CurrentUser, Registrar, Student};

use actix_web::web;

use crate::cache::Cache;
use crate::config::Settings;

/// Sign-in's own state: the session store, the login throttle and the password hasher.
pub struct Auth {
    pub sessions: SessionStore,
    pub throttle: throttle::LoginThrottle,
    pub hasher: password::Hasher,
}

impl Auth {
    pub fn new(settings: &Settings, cache: &Cache) -> Self {
        Auth {
            sessions: SessionStore::new(
                cache.clone(),
                settings.session_idle,
                settings.session_absolute,
            ),
            throttle: throttle::LoginThrottle::new(
                cache.clone(),
                settings.login_account_limit,
                settings.login_address_limit,
                settings.login_window,
                settings.login_delay,
            ),
            hasher: password::Hasher::new(settings.hash_concurrency),
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(routes::login_form))
        .route("/login", web::post().to(routes::login_submit))
        .route("/logout", web::post().to(routes::logout))
        .route("/api/v1/session", web::post().to(routes::api_sign_in))
        .route("/api/v1/session", web::delete().to(routes::api_sign_out));
}
