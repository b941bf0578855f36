//! Registration: the student's standing, the ordered rules, enroll / drop / swap transactions,
//! the waitlist, idempotent retries and the activity log every attempt is recorded in.

pub mod actions;
pub mod allocation;
pub mod api;
pub mod basket;
pub mod basket_page;
pub mod batch;
pub mod catalog_pages;
pub mod idempotency;
pub mod notices;
pub mod opening;
pub mod pages;
pub mod preview;
pub mod queries;
pub mod quick_add;
pub mod release;
pub mod routes;
pub mod rules;
pub mod rush;
pub mod seats;
pub mod service;
pub mod status;
pub mod watches;

use std::sync::Arc;

use actix_web::web;

use crate::activity::Batcher;
use crate::app::AppState;
use crate::catalog::CatalogCache;

pub use service::{promote_waitlist, Promotion};

/// What enrolling runs on in this instance: the catalog and windows it reads from memory, the
/// seats-left signal, the decision queue, the opening draws, and the batch of activity lines of
/// answers given without a transaction.
pub struct Engine {
    /// The catalog snapshot and seat map of this instance (see `catalog::cache`).
    pub catalog: web::Data<CatalogCache>,
    /// The current term's windows as the hot path reads them.
    pub windows: rush::WindowCache,
    /// The seats-left signal of the current term (see `seats`).
    pub seats: Arc<seats::SeatSignal>,
    /// The queue of enroll attempts and its decision workers (see `batch`).
    pub decider: batch::Decider,
    /// Requests collected in the opening span of a `register` window (see `opening`).
    pub opening: opening::Draws,
    pub activity: Batcher,
}

impl Engine {
    pub fn new(state: &AppState, catalog: web::Data<CatalogCache>, activity: Batcher) -> Self {
        let seats = Arc::new(seats::SeatSignal::new(
            state.cache.clone(),
            state.db.clone(),
        ));
        Engine {
            catalog,
            windows: Default::default(),
            decider: batch::Decider::spawn(
                state.db.clone(),
                seats.clone(),
                batch::Sizing {
                    workers: state.settings.decision_workers,
                    batch: state.settings.decision_batch,
                },
            ),
            seats,
            opening: Default::default(),
            activity,
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(routes::home))
        .route("/courses", web::get().to(catalog_pages::search_page))
        .route(
            "/courses/{section_id}",
            web::get().to(catalog_pages::section_page),
        )
        .route(
            "/api/v1/sections/{section_id}",
            web::get().to(catalog_pages::api_section),
        )
        .route("/activity", web::get().to(routes::activity))
        .route("/api/v1/me", web::get().to(routes::api_me))
        .route("/api/v1/time", web::get().to(routes::api_time))
        .route("/api/v1/enrollments", web::get().to(api::my_enrollments))
        .route("/api/v1/enrollments", web::post().to(api::enroll))
        .route("/api/v1/enrollments/swap", web::post().to(api::swap))
        .route(
            "/api/v1/enrollments/{section_id}",
            web::delete().to(api::drop_enrollment),
        )
        .route("/api/v1/waitlist", web::get().to(api::my_waitlist))
        .route("/api/v1/waitlist", web::post().to(api::join_waitlist))
        .route(
            "/api/v1/waitlist/{section_id}",
            web::delete().to(api::leave_waitlist),
        )
        .route("/api/v1/activity", web::get().to(api::my_activity))
        .route("/api/v1/watches", web::get().to(watches::api_mine))
        .route("/api/v1/watches", web::post().to(watches::api_watch))
        .route(
            "/api/v1/watches/{section_id}",
            web::delete().to(watches::api_unwatch),
        )
        .route("/registration", web::get().to(pages::page))
        .route("/registration", web::post().to(pages::enroll))
        .route("/registration/quick", web::post().to(pages::quick_add))
        .route("/registration/drop", web::post().to(pages::drop_section))
        .route("/registration/swap", web::post().to(pages::swap))
        .route("/waitlist", web::post().to(pages::join_waitlist))
        .route("/waitlist/leave", web::post().to(pages::leave_waitlist))
        .route("/watches", web::post().to(pages::watch))
        .route("/watches/remove", web::post().to(pages::unwatch))
        .route("/basket", web::post().to(pages::basket_add))
        .route("/basket/remove", web::post().to(pages::basket_remove))
        .route("/basket", web::get().to(basket_page::page))
        .route(
            "/basket/register",
            web::post().to(basket_page::register_form),
        )
        .route("/api/v1/basket", web::get().to(basket_page::api_view))
        .route("/api/v1/basket", web::post().to(basket_page::api_add))
        .route(
            "/api/v1/basket/register",
            web::post().to(basket_page::register_api),
        )
        .route(
            "/api/v1/basket/{section_id}",
            web::delete().to(basket_page::api_remove),
        )
        .route("/api/v1/notices", web::get().to(status::api_notices))
        .route(
            "/api/v1/notices/{id}/read",
            web::post().to(status::api_notice_read),
        )
        .route("/notices/{id}/read", web::post().to(status::notice_read));
}
