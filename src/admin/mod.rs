//! The registrar console. Every route here takes the `Registrar` extractor: students get 403.

mod allocation;
pub mod controls;
mod csv_export;
mod csv_import;
pub mod dashboard;
mod routes;

// Terms and windows, catalog editing, students, overrides and the audit view.
mod audit;
mod audit_words;
mod courses;
mod departments;
mod forms;
pub mod groups;
mod overrides;
mod queries;
mod registrars;
mod sections;
mod students;
mod terms;

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
        .route(
            "/admin/export/groups.csv",
            web::get().to(csv_export::groups),
        )
        .route("/admin/allocation", web::get().to(allocation::page))
        .route("/admin/allocation", web::post().to(allocation::run));
    configure_console(cfg);
}

/// Terms and windows, catalog editing, students, overrides and the audit view.
fn configure_console(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/terms", web::get().to(terms::list))
        .route("/admin/terms", web::post().to(terms::create))
        .route("/admin/terms/{id}", web::get().to(terms::show))
        .route(
            "/admin/terms/{id}/current",
            web::post().to(terms::set_current),
        )
        .route(
            "/admin/terms/{id}/release-times",
            web::post().to(terms::set_release_times),
        )
        .route(
            "/admin/terms/{id}/windows",
            web::post().to(terms::create_window),
        )
        .route(
            "/admin/terms/{id}/windows/{window_id}",
            web::post().to(terms::update_window),
        )
        .route(
            "/admin/terms/{id}/windows/{window_id}/extend",
            web::post().to(terms::extend_window),
        )
        .route(
            "/admin/terms/{id}/windows/{window_id}/delete",
            web::post().to(terms::delete_window),
        )
        .route("/admin/groups", web::get().to(groups::list))
        .route("/admin/groups", web::post().to(groups::create))
        .route("/admin/groups/{id}", web::get().to(groups::show))
        .route("/admin/groups/{id}", web::post().to(groups::rename))
        .route("/admin/groups/{id}/delete", web::post().to(groups::delete))
        .route(
            "/admin/groups/{id}/members",
            web::post().to(groups::add_member),
        )
        .route(
            "/admin/groups/{id}/members/{student_id}/delete",
            web::post().to(groups::remove_member),
        )
        .route("/admin/departments", web::get().to(departments::list))
        .route("/admin/departments", web::post().to(departments::create))
        .route(
            "/admin/departments/{id}",
            web::post().to(departments::rename),
        )
        .route("/admin/courses", web::get().to(courses::list))
        .route("/admin/courses", web::post().to(courses::create))
        .route("/admin/courses/{id}", web::get().to(courses::show))
        .route("/admin/courses/{id}", web::post().to(courses::update))
        .route(
            "/admin/courses/{id}/prerequisites",
            web::post().to(courses::add_prerequisite),
        )
        .route(
            "/admin/courses/{id}/prerequisites/{required_id}/delete",
            web::post().to(courses::remove_prerequisite),
        )
        .route("/admin/sections", web::get().to(sections::list))
        .route("/admin/sections/new", web::get().to(sections::new_form))
        .route("/admin/sections/new", web::post().to(sections::create))
        .route("/admin/sections/{id}", web::get().to(sections::show))
        .route("/admin/sections/{id}", web::post().to(sections::update))
        .route(
            "/admin/sections/{id}/meetings",
            web::post().to(sections::update_meetings),
        )
        .route(
            "/admin/sections/{id}/capacity",
            web::post().to(sections::change_capacity),
        )
        .route(
            "/admin/sections/{id}/cancel",
            web::post().to(sections::cancel),
        )
        .route("/admin/students", web::get().to(students::search))
        .route("/admin/students/{id}", web::get().to(students::show))
        .route(
            "/admin/students/{id}/holds",
            web::post().to(students::add_hold),
        )
        .route(
            "/admin/students/{id}/holds/{hold_id}/release",
            web::post().to(students::release_hold),
        )
        .route(
            "/admin/students/{id}/credit-limit",
            web::post().to(students::credit_limit),
        )
        .route(
            "/admin/students/{id}/enroll",
            web::post().to(students::override_enroll),
        )
        .route(
            "/admin/students/{id}/drop",
            web::post().to(students::override_drop),
        )
        .route("/admin/audit", web::get().to(audit::page))
        .route("/admin/registrars", web::get().to(registrars::list_page))
        .route("/admin/registrars", web::post().to(registrars::create))
        .route(
            "/admin/registrars/{id}/disable",
            web::post().to(registrars::disable),
        )
        .route(
            "/admin/registrars/{id}/enable",
            web::post().to(registrars::enable),
        )
        .route(
            "/admin/registrars/{id}/one-time-password",
            web::post().to(registrars::one_time_password),
        )
        .route(
            "/admin/students/{id}/disable",
            web::post().to(registrars::disable_student),
        )
        .route(
            "/admin/students/{id}/enable",
            web::post().to(registrars::enable_student),
        );
}
