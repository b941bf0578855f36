//! Account lifecycle beyond signing in: creating accounts from the command line
//! (`sugang user create`), the password policy, and changing one's own password.

pub mod create;
pub mod forced_change;
pub mod issue;
pub mod one_time;
pub mod password_change;
pub mod policy;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/account/password",
        web::get().to(password_change::password_form),
    )
    .route(
        "/account/password",
        web::post().to(password_change::password_submit),
    )
    .route(
        "/api/v1/account/password",
        web::post().to(password_change::api_change_password),
    )
    .route(
        "/api/v1/admin/one-time-passwords",
        web::post().to(issue::api_issue),
    )
    .route(
        "/admin/one-time-passwords",
        web::post().to(issue::bulk_form),
    )
    .route(
        "/admin/students/{id}/one-time-password",
        web::post().to(issue::one_form),
    );
}
