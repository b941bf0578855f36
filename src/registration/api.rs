//! JSON handlers of registration: parse, call the service on the blocking pool, answer. The
//! student is whoever the session says; ids in a body other than the section ids are ignored.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::result::DatabaseErrorKind;
use diesel::result::Error::DatabaseError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Student;
use crate::registration::queries::{self, ActivityRow};
use crate::registration::service::{self, Attempt, TxError};
use crate::registration::{idempotency, opening};
use crate::startup::AppState;
use crate::web::{AppError, Invalid, Lang, RequestMeta};

impl From<TxError> for AppError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Refused(r) | TxError::Aborted(r) => AppError::Refused(r),
            TxError::NotFound => AppError::NotFound,
            // Still deadlocked after the retries: busy, not broken; the client may retry.
            TxError::Db(DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => {
                AppError::Unavailable("registration busy: deadlock retries exhausted".into())
            }
            TxError::Db(e) => AppError::from(e),
        }
    }
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<(StatusCode, Value), AppError> {
    serde_json::to_value(value)
        .map(|v| (status, v))
        .map_err(|e| AppError::Internal(e.into()))
}

/// Reads a positive id field from a JSON object body: bad JSON is a 400, a missing or wrong
/// field a 422. Other fields (a forged `student_id`, say) are ignored.
pub(crate) fn id_field(body: &[u8], field: &'static str) -> Result<i32, AppError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(AppError::BadRequest("expected a JSON object".into()));
    };
    let raw = object
        .get(field)
        .ok_or_else(|| AppError::Validation(Invalid::new(field, "field.required")))?;
    raw.as_i64()
        .filter(|n| (1..=i64::from(i32::MAX)).contains(n))
        .map(|n| n as i32)
        .ok_or_else(|| AppError::Validation(Invalid::new(field, "field.invalid_value")))
}

pub(crate) fn path_id(raw: &str) -> Result<i32, AppError> {
    raw.parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound)
}

pub(crate) fn attempt(student: &Student, req: &HttpRequest) -> Attempt {
    Attempt::new(&student.0, &RequestMeta::of(req), Lang::from_request(req))
}

pub async fn enroll(
    app: web::Data<AppState>,
    student: Student,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let a = attempt(&student, &req);
    let student_id = a.student_id;
    // A repeat of an attempt whose commit went unanswered learns from the database whether it
    // took effect.
    let settle = |request_id: String| {
        let db = app.db.clone();
        async move {
            let receipt = db
                .run(move |conn| Ok(service::settled_enroll(conn, student_id, &request_id)?))
                .await?;
            receipt.map(|r| json(StatusCode::CREATED, &r)).transpose()
        }
    };
    let work = async {
        let section_id = id_field(&body, "section_id")?;
        let receipt = opening::enroll(&app, a, section_id).await?;
        json(StatusCode::CREATED, &receipt)
    };
    idempotency::run_settled(&app.cache, &req, student_id, &body, work, Some(settle)).await
}

pub async fn drop_enrollment(
    app: web::Data<AppState>,
    student: Student,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let a = attempt(&student, &req);
    let db = app.db.clone();
    let section_id = path_id(&path)?;
    idempotency::run(&app.cache, &req, a.student_id, &body, async {
        let now = service::now_ms();
        let receipt = db
            .run(move |conn| Ok(service::drop_enrollment(conn, &a, section_id, now)))
            .await??;
        app.seats.republish(vec![section_id]).await;
        json(StatusCode::OK, &receipt)
    })
    .await
}

pub async fn swap(
    app: web::Data<AppState>,
    student: Student,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let a = attempt(&student, &req);
    let db = app.db.clone();
    idempotency::run(&app.cache, &req, a.student_id, &body, async {
        let drop_id = id_field(&body, "drop_section_id")?;
        let add_id = id_field(&body, "add_section_id")?;
        if drop_id == add_id {
            return Err(AppError::Validation(Invalid::new(
                "add_section_id",
                "field.same_section",
            )));
        }
        let now = service::now_ms();
        let receipt = db
            .run(move |conn| Ok(service::swap(conn, &a, drop_id, add_id, now)))
            .await??;
        app.seats.republish(vec![drop_id, add_id]).await;
        json(StatusCode::OK, &receipt)
    })
    .await
}

pub async fn my_enrollments(
    app: web::Data<AppState>,
    student: Student,
) -> Result<HttpResponse, AppError> {
    let sid = student.0.user_id;
    let mine = app
        .db
        .run(move |conn| Ok(service::my_enrollments(conn, sid)?))
        .await?;
    Ok(HttpResponse::Ok().json(mine))
}

pub async fn join_waitlist(
    app: web::Data<AppState>,
    student: Student,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let a = attempt(&student, &req);
    let db = app.db.clone();
    idempotency::run(&app.cache, &req, a.student_id, &body, async {
        let section_id = id_field(&body, "section_id")?;
        let now = service::now_ms();
        let receipt = db
            .run(move |conn| Ok(service::join_waitlist(conn, &a, section_id, now)))
            .await??;
        json(StatusCode::CREATED, &receipt)
    })
    .await
}

pub async fn leave_waitlist(
    app: web::Data<AppState>,
    student: Student,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let a = attempt(&student, &req);
    let db = app.db.clone();
    let section_id = path_id(&path)?;
    idempotency::run(&app.cache, &req, a.student_id, &body, async {
        let request_id = a.request_id.clone();
        db.run(move |conn| Ok(service::leave_waitlist(conn, &a, section_id)))
            .await??;
        json(
            StatusCode::OK,
            &serde_json::json!({ "request_id": request_id, "section_id": section_id }),
        )
    })
    .await
}

pub async fn my_waitlist(
    app: web::Data<AppState>,
    student: Student,
) -> Result<HttpResponse, AppError> {
    let sid = student.0.user_id;
    let items = app
        .db
        .run(move |conn| Ok(service::my_waitlist(conn, sid)?))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "waitlist": items })))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl PageQuery {
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, 10_000)
    }

    pub fn per_page(&self) -> i64 {
        self.per_page.unwrap_or(50).clamp(1, 200)
    }
}

/// One line of the student's activity log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActivityJson {
    pub at: String,
    pub action: String,
    pub section_id: Option<i32>,
    pub outcome: String,
    pub detail: Option<String>,
    pub request_id: String,
}

impl From<ActivityRow> for ActivityJson {
    fn from(r: ActivityRow) -> Self {
        ActivityJson {
            at: r
                .at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            action: r.action,
            section_id: r.section_id,
            outcome: r.outcome,
            detail: r.detail,
            request_id: r.request_id,
        }
    }
}

pub async fn my_activity(
    app: web::Data<AppState>,
    student: Student,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let sid = student.0.user_id;
    let (page, per_page) = (query.page(), query.per_page());
    let (rows, more) = app
        .db
        .run(move |conn| Ok(queries::activity_page(conn, sid, page, per_page)?))
        .await?;
    let items: Vec<ActivityJson> = rows.into_iter().map(ActivityJson::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "page": page,
        "per_page": per_page,
        "has_more": more,
        "items": items,
    })))
}
