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
mod code_tables;
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

/// The console's routes, one line each: method, path, handler (the first match wins, so
/// `/admin/sections/new` stands before `/admin/sections/{id}`).
macro_rules! routes {
    ($cfg:ident; $($method:ident $path:literal => $handler:path;)*) => {
        $($cfg.route($path, web::$method().to($handler));)*
    };
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    routes! { cfg;
        get  "/admin" => routes::dashboard;
        get  "/api/v1/admin/summary" => routes::api_summary;
        get  "/admin/controls" => controls::page;
        post "/admin/controls/freeze" => controls::freeze;
        post "/admin/controls/unfreeze" => controls::unfreeze;
        post "/admin/controls/banner" => controls::banner;
        post "/admin/controls/waiting-room" => controls::waiting_room;
        get  "/admin/import" => csv_import::page;
        post "/admin/import" => csv_import::preview;
        post "/admin/import/apply" => csv_import::apply;
        get  "/admin/export" => csv_export::page;
        get  "/admin/export/sections/{id}/roster.csv" => csv_export::roster;
        get  "/admin/export/enrollments.csv" => csv_export::enrollments;
        get  "/admin/export/demand.csv" => csv_export::demand;
        get  "/admin/export/groups.csv" => csv_export::groups;
        get  "/admin/allocation" => allocation::page;
        post "/admin/allocation" => allocation::run;
        get  "/admin/terms" => terms::list;
        post "/admin/terms" => terms::create;
        get  "/admin/terms/{id}" => terms::show;
        post "/admin/terms/{id}/current" => terms::set_current;
        post "/admin/terms/{id}/release-times" => terms::set_release_times;
        post "/admin/terms/{id}/windows" => terms::create_window;
        post "/admin/terms/{id}/windows/{window_id}" => terms::update_window;
        post "/admin/terms/{id}/windows/{window_id}/extend" => terms::extend_window;
        post "/admin/terms/{id}/windows/{window_id}/delete" => terms::delete_window;
        get  "/admin/groups" => code_tables::list::<groups::Groups>;
        post "/admin/groups" => code_tables::create::<groups::Groups>;
        get  "/admin/groups/{id}" => groups::show;
        post "/admin/groups/{id}" => code_tables::rename::<groups::Groups>;
        post "/admin/groups/{id}/delete" => groups::delete;
        post "/admin/groups/{id}/members" => groups::add_member;
        post "/admin/groups/{id}/members/{student_id}/delete" => groups::remove_member;
        get  "/admin/departments" => code_tables::list::<departments::Departments>;
        post "/admin/departments" => code_tables::create::<departments::Departments>;
        post "/admin/departments/{id}" => code_tables::rename::<departments::Departments>;
        get  "/admin/courses" => courses::list;
        post "/admin/courses" => courses::create;
        get  "/admin/courses/{id}" => courses::show;
        post "/admin/courses/{id}" => courses::update;
        post "/admin/courses/{id}/prerequisites" => courses::add_prerequisite;
        post "/admin/courses/{id}/prerequisites/{required_id}/delete" => courses::remove_prerequisite;
        get  "/admin/sections" => sections::list;
        get  "/admin/sections/new" => sections::new_form;
        post "/admin/sections/new" => sections::create;
        get  "/admin/sections/{id}" => sections::show;
        post "/admin/sections/{id}" => sections::update;
        post "/admin/sections/{id}/meetings" => sections::update_meetings;
        post "/admin/sections/{id}/capacity" => sections::change_capacity;
        post "/admin/sections/{id}/cancel" => sections::cancel;
        get  "/admin/students" => students::search;
        get  "/admin/students/{id}" => students::show;
        post "/admin/students/{id}/holds" => students::add_hold;
        post "/admin/students/{id}/holds/{hold_id}/release" => students::release_hold;
        post "/admin/students/{id}/credit-limit" => students::credit_limit;
        post "/admin/students/{id}/enroll" => students::override_enroll;
        post "/admin/students/{id}/drop" => students::override_drop;
        get  "/admin/audit" => audit::page;
        get  "/admin/registrars" => registrars::list_page;
        post "/admin/registrars" => registrars::create;
        post "/admin/registrars/{id}/disable" => registrars::disable;
        post "/admin/registrars/{id}/enable" => registrars::enable;
        post "/admin/registrars/{id}/one-time-password" => registrars::one_time_password;
        post "/admin/students/{id}/disable" => registrars::disable_student;
        post "/admin/students/{id}/enable" => registrars::enable_student;
    }
}
