//! The waiting room: admission control for the registration rush, shared by every instance
//! through Redis. A student's ticket is keyed by student id (refreshing, a new tab or a second
//! device never moves anyone), arrivals before opening are shuffled once at opening (nobody wins
//! by racing the clock), and students are admitted in ticket order at a rate and concurrency that
//! can be changed while it runs. An admission pass lapses after a period of inactivity.

pub mod guard;
pub mod limits;
pub mod opening;
pub mod resume;
pub mod room;
pub mod routes;

pub use room::{Admission, WaitingRoom};

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/queue", web::get().to(routes::queue_page))
        .route("/api/v1/queue", web::get().to(routes::api_queue));
}
