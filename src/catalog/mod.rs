//! The catalog: terms and their registration windows, departments, courses, sections, meetings.

pub mod models;
pub mod queries;

pub use models::{Term, Window, WindowState};
