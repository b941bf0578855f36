//! sugang: the course-registration service (수강신청) of Goorm University.
//!
//! One folder per capability; `startup` wires them into one actix-web application.

pub mod accounts;
pub mod activity;
pub mod admin;
pub mod app;
pub mod auth;
pub mod cache;
pub mod catalog;
pub mod config;
pub mod controls;
pub mod db;
pub mod domain;
pub mod openapi;
pub mod ops;
pub mod registration;
pub mod seed;
pub mod session;
pub mod startup;
pub mod telemetry;
pub mod timetable;
pub mod waiting_room;
pub mod web;
