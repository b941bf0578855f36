//! What a student does to their registration, written once for every door: the JSON API
//! (`api`, `watches`, `basket_page`) and the forms (`pages`) read the request their own way, call
//! one action here — the service on the blocking pool, then the seats-left signal once the change
//! is committed — and present the receipt their own way. Also the one reading of a section id
//! from outside and the one lookup of a section by course code and number.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use diesel::result::DatabaseErrorKind;
use diesel::result::Error::DatabaseError;
use serde_json::Value;

use crate::app::AppState;
use crate::auth::Student;
use crate::catalog::queries::current_term;
use crate::domain::SectionId;
use crate::registration::basket::{self, BasketError, BasketRefusal};
use crate::registration::quick_add::SectionCode;
use crate::registration::service::{
    self, Attempt, DropReceipt, Receipt, SwapReceipt, TxError, WaitlistReceipt,
};
use crate::registration::watches::{self, WatchReceipt};
use crate::registration::Engine;
use crate::registration::{opening, queries};
use crate::web::{AppError, Invalid, Lang, RequestMeta};

impl From<TxError> for AppError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Refused(r) | TxError::Aborted(r) => AppError::refused(r),
            TxError::NotFound => AppError::NotFound,
            // Still deadlocked after the retries: busy, not broken; the client may retry.
            TxError::Db(DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => {
                AppError::Unavailable("registration busy: deadlock retries exhausted".into())
            }
            TxError::Db(e) => AppError::from(e),
        }
    }
}

/// The signed-in student's attempt, with the request's id, address and language.
pub fn attempt(student: &Student, req: &HttpRequest) -> Attempt {
    Attempt::new(&student.0, &RequestMeta::of(req), Lang::from_request(req))
}

/// A student's request to act on their registration, as the handlers of both doors take it: the
/// shared state, registration's engine, the signed-in student (a visitor is 401 and a registrar
/// 403, as with `Student` alone) and the request.
#[derive(Clone)]
pub struct Caller {
    pub app: web::Data<AppState>,
    pub engine: web::Data<Engine>,
    pub student: Student,
    pub req: HttpRequest,
}

impl Caller {
    /// This request's attempt: its id, address and language.
    pub fn attempt(&self) -> Attempt {
        attempt(&self.student, &self.req)
    }
}

impl FromRequest for Caller {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready((|| {
            Ok(Caller {
                app: web::Data::<AppState>::from_request(req, payload).into_inner()?,
                engine: web::Data::<Engine>::from_request(req, payload).into_inner()?,
                student: Student::from_request(req, payload).into_inner()?,
                req: req.clone(),
            })
        })())
    }
}

// ---- section ids from outside ----

/// An id in the path (`/api/v1/enrollments/{id}`): anything but a section id is a 404.
pub fn id_in_path(raw: &str) -> Result<SectionId, AppError> {
    SectionId::parse(raw).map_err(|_| AppError::NotFound)
}

/// An id field of a JSON object body: bad JSON is a 400, a missing or wrong field a 422. Other
/// fields (a forged `student_id`, say) are ignored.
pub fn id_in_body(body: &[u8], field: &'static str) -> Result<SectionId, AppError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(AppError::BadRequest("expected a JSON object".into()));
    };
    let raw = object
        .get(field)
        .ok_or_else(|| AppError::Validation(Invalid::new(field, "field.required")))?;
    raw.as_i64()
        .and_then(|n| SectionId::from_i64(n).ok())
        .ok_or_else(|| AppError::Validation(Invalid::new(field, "field.invalid_value")))
}

/// An id field of a form: blank is "required", anything but a section id "invalid".
pub fn id_in_form(raw: &Option<String>, field: &'static str) -> Result<SectionId, AppError> {
    let raw = raw
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::Validation(Invalid::new(field, "field.required")))?;
    SectionId::parse(raw)
        .map_err(|_| AppError::Validation(Invalid::new(field, "field.invalid_value")))
}

/// The ids of the current term's sections named by `codes`, in their order: `None` for a code
/// that names no section (every code, when no term is current).
pub async fn section_ids(
    app: &AppState,
    codes: Vec<SectionCode>,
) -> Result<Vec<Option<SectionId>>, AppError> {
    app.db
        .run(move |conn| {
            let Some(term) = current_term(conn)? else {
                return Ok(vec![None; codes.len()]);
            };
            let courses: Vec<&str> = codes.iter().map(SectionCode::course).collect();
            let found = queries::sections_of_courses(conn, term.id, &courses)?;
            Ok(codes
                .iter()
                .map(|c| {
                    found
                        .iter()
                        .find(|(code, no, _)| code == c.course() && *no == c.section_no())
                        .map(|(_, _, id)| SectionId::stored(*id))
                })
                .collect())
        })
        .await
        .map_err(AppError::from)
}

// ---- the actions ----

/// Enrolls through the opening draw or the rush path, which publish the seats themselves.
pub async fn enroll(
    app: &web::Data<AppState>,
    engine: &web::Data<Engine>,
    a: Attempt,
    section_id: SectionId,
) -> Result<Receipt, AppError> {
    opening::enroll(app, engine, a, section_id.get()).await
}

pub async fn drop(
    app: &AppState,
    engine: &Engine,
    a: Attempt,
    section_id: SectionId,
) -> Result<DropReceipt, AppError> {
    let section_id = section_id.get();
    let now = service::now_ms();
    let receipt = decide(app, move |conn| {
        service::drop_enrollment(conn, &a, section_id, now)
    })
    .await?;
    engine.seats.republish(vec![section_id]).await;
    Ok(receipt)
}

/// Drops `drop_id` and adds `add_id` atomically; the same section twice is an input error.
pub async fn swap(
    app: &AppState,
    engine: &Engine,
    a: Attempt,
    drop_id: SectionId,
    add_id: SectionId,
) -> Result<SwapReceipt, AppError> {
    let (drop_id, add_id) = (drop_id.get(), add_id.get());
    if drop_id == add_id {
        return Err(AppError::Validation(Invalid::new(
            "add_section_id",
            "field.same_section",
        )));
    }
    let now = service::now_ms();
    let receipt = decide(app, move |conn| {
        service::swap(conn, &a, drop_id, add_id, now)
    })
    .await?;
    engine.seats.republish(vec![drop_id, add_id]).await;
    Ok(receipt)
}

pub async fn join_waitlist(
    app: &AppState,
    a: Attempt,
    section_id: SectionId,
) -> Result<WaitlistReceipt, AppError> {
    let section_id = section_id.get();
    let now = service::now_ms();
    decide(app, move |conn| {
        service::join_waitlist(conn, &a, section_id, now)
    })
    .await
}

pub async fn leave_waitlist(
    app: &AppState,
    a: Attempt,
    section_id: SectionId,
) -> Result<(), AppError> {
    let section_id = section_id.get();
    decide(app, move |conn| {
        service::leave_waitlist(conn, &a, section_id)
    })
    .await
}

pub async fn watch(
    app: &AppState,
    a: Attempt,
    section_id: SectionId,
) -> Result<WatchReceipt, AppError> {
    let section_id = section_id.get();
    let now = service::now_ms();
    decide(app, move |conn| watches::watch(conn, &a, section_id, now)).await
}

/// Whether the student was watching the section.
pub async fn unwatch(app: &AppState, a: Attempt, section_id: SectionId) -> Result<bool, AppError> {
    let section_id = section_id.get();
    decide(app, move |conn| watches::unwatch(conn, &a, section_id)).await
}

/// The basket's credits after adding, or why the basket refused; a failure is the error.
pub async fn basket_add(
    app: &AppState,
    a: Attempt,
    section_id: SectionId,
) -> Result<Result<i64, BasketRefusal>, AppError> {
    let section_id = section_id.get();
    let now = service::now_ms();
    let outcome = app
        .db
        .run(move |conn| Ok(basket::add(conn, &a, section_id, now)))
        .await?;
    refusal_or_error(outcome)
}

pub async fn basket_remove(
    app: &AppState,
    a: Attempt,
    section_id: SectionId,
) -> Result<Result<(), BasketRefusal>, AppError> {
    let section_id = section_id.get();
    let outcome = app
        .db
        .run(move |conn| Ok(basket::remove(conn, &a, section_id)))
        .await?;
    refusal_or_error(outcome)
}

/// Runs one of the service's decisions on the blocking pool: its refusal, or the database's
/// failure, is the answer.
async fn decide<T, E>(
    app: &AppState,
    f: impl FnOnce(&mut diesel::MysqlConnection) -> Result<T, E> + Send + 'static,
) -> Result<T, AppError>
where
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    app.db
        .run(move |conn| Ok(f(conn)))
        .await?
        .map_err(Into::into)
}

fn refusal_or_error<T>(
    outcome: Result<T, BasketError>,
) -> Result<Result<T, BasketRefusal>, AppError> {
    match outcome {
        Ok(v) => Ok(Ok(v)),
        Err(BasketError::Refused(r)) => Ok(Err(r)),
        Err(BasketError::Db(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_id_is_trimmed_and_blank_is_required() {
        let code = |r: Result<SectionId, AppError>| match r {
            Ok(n) => n.to_string(),
            Err(AppError::Validation(_)) => "validation".into(),
            Err(_) => "other".into(),
        };
        assert_eq!(code(id_in_form(&Some(" 7 ".into()), "section_id")), "7");
        assert_eq!(
            code(id_in_form(&Some("  ".into()), "section_id")),
            "validation"
        );
        assert_eq!(code(id_in_form(&None, "section_id")), "validation");
        assert_eq!(
            code(id_in_form(&Some("0".into()), "section_id")),
            "validation"
        );
    }

    #[test]
    fn a_body_id_must_be_a_positive_number_field() {
        assert_eq!(
            id_in_body(br#"{"section_id": 5}"#, "section_id")
                .ok()
                .map(SectionId::get),
            Some(5)
        );
        assert!(matches!(
            id_in_body(br#"{"section_id": "5"}"#, "section_id"),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            id_in_body(br#"{"other": 5}"#, "section_id"),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            id_in_body(b"[5]", "section_id"),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(id_in_path("0"), Err(AppError::NotFound)));
    }
}
