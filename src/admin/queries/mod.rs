//! The console's Diesel statements, by area: small `QueryResult` functions over
//! `&mut MysqlConnection` that compose inside the caller's transaction (`forms::run`), as
//! `registration/queries.rs` does for registration. Locks are taken by the callers, in the order
//! docs/REGISTRATION.md gives.

pub mod courses;
pub mod export;
pub mod groups;
pub mod registrars;
mod sections;
pub mod students;
pub mod terms;

pub use sections::*;
