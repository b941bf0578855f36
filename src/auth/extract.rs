//! Extractors that turn the request's `SessionState` into the identity a handler needs. Identity
//! comes from the session only, never from a request body.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::session::{Role, Session, SessionState};
use crate::web::AppError;

fn session_of(req: &HttpRequest) -> Result<Session, AppError> {
    match req.extensions().get::<SessionState>() {
        Some(SessionState::Active(s)) => Ok((**s).clone()),
        Some(SessionState::Replaced) => Err(AppError::SessionReplaced),
        Some(SessionState::Disabled) => Err(AppError::account(
            crate::auth::account_error::AccountError::AccountDisabled,
        )),
        Some(SessionState::Unavailable) => Err(AppError::Unavailable("session store".into())),
        _ => Err(AppError::Unauthenticated),
    }
}

/// Any signed-in user.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Session);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(session_of(req).map(CurrentUser))
    }
}

/// A signed-in student.
#[derive(Debug, Clone)]
pub struct Student(pub Session);

impl FromRequest for Student {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(session_of(req).and_then(|s| match s.role {
            Role::Student => Ok(Student(s)),
            Role::Registrar => Err(AppError::Forbidden),
        }))
    }
}

/// A signed-in registrar.
#[derive(Debug, Clone)]
pub struct Registrar(pub Session);

impl FromRequest for Registrar {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(session_of(req).and_then(|s| match s.role {
            Role::Registrar => Ok(Registrar(s)),
            Role::Student => Err(AppError::Forbidden),
        }))
    }
}
