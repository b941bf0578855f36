//! Integration tests: the real server on port 0 against real MariaDB and Redis. Each test gets
//! its own database (from a migrated template) and its own Redis key prefix.

mod helpers;

mod accounts;
mod admin_catalog;
mod admin_controls;
mod admin_csv;
mod admin_students;
mod auth;
mod basket;
mod batch;
mod cache_breaker;
mod catalog;
mod catalog_stale;
mod cluster;
mod errors;
mod floors;
mod golive;
mod migrations;
mod openapi;
mod opening;
mod ops;
mod priority_groups;
mod queue_resume;
mod quick_add_drop;
mod registrars;
mod registration;
mod registration_pages;
mod seat_release;
mod security;
mod snapshots;
mod timetable;
mod waiting_room;
mod watches;
