//! JSON handlers of registration: parse, call the action (`actions`), answer. The student is
//! whoever the session says; ids in a body other than the section ids are ignored.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::AppState;
use crate::auth::Student;
use crate::domain::SectionId;
use crate::registration::actions::{self, Caller};
use crate::registration::idempotency;
use crate::registration::queries::{self, ActivityRow};
use crate::registration::service::{self, Attempt};
use crate::web::AppError;

/// A JSON answer with its status, for `idempotency::run` to store and send.
pub(crate) fn json<T: Serialize>(
    status: StatusCode,
    value: &T,
) -> Result<(StatusCode, Value), AppError> {
    serde_json::to_value(value)
        .map(|v| (status, v))
        .map_err(|e| AppError::Internal(e.into()))
}

/// Runs `act` on the section a JSON body names (`section_id`), under the request's
/// `Idempotency-Key`, and answers with its receipt and `status`.
pub(crate) async fn on_body_section<T, Fut>(
    c: &Caller,
    body: &[u8],
    status: StatusCode,
    act: impl FnOnce(Attempt, SectionId) -> Fut,
) -> Result<HttpResponse, AppError>
where
    T: Serialize,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let a = c.attempt();
    idempotency::run(&c.app.cache, &c.req, a.student_id, body, async {
        let section_id = actions::id_in_body(body, "section_id")?;
        let receipt = act(a, section_id).await?;
        json(status, &receipt)
    })
    .await
}

pub async fn enroll(c: Caller, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let a = c.attempt();
    let student_id = a.student_id;
    // A repeat of an attempt whose commit went unanswered learns from the database whether it
    // took effect.
    let settle = |request_id: String| {
        let db = c.app.db.clone();
        async move {
            let receipt = db
                .query(move |conn| service::settled_enroll(conn, student_id, &request_id))
                .await?;
            receipt.map(|r| json(StatusCode::CREATED, &r)).transpose()
        }
    };
    let work = async {
        let section_id = actions::id_in_body(&body, "section_id")?;
        let receipt = actions::enroll(&c.app, &c.engine, a, section_id).await?;
        json(StatusCode::CREATED, &receipt)
    };
    idempotency::run_settled(&c.app.cache, &c.req, student_id, &body, work, Some(settle)).await
}

pub async fn drop_enrollment(
    c: Caller,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let a = c.attempt();
    let section_id = actions::id_in_path(&path)?;
    idempotency::run(&c.app.cache, &c.req, a.student_id, &body, async {
        let receipt = actions::drop(&c.app, &c.engine, a, section_id).await?;
        json(StatusCode::OK, &receipt)
    })
    .await
}

pub async fn swap(c: Caller, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let a = c.attempt();
    idempotency::run(&c.app.cache, &c.req, a.student_id, &body, async {
        let drop_id = actions::id_in_body(&body, "drop_section_id")?;
        let add_id = actions::id_in_body(&body, "add_section_id")?;
        let receipt = actions::swap(&c.app, &c.engine, a, drop_id, add_id).await?;
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
        .query(move |conn| service::my_enrollments(conn, sid))
        .await?;
    Ok(HttpResponse::Ok().json(mine))
}

pub async fn join_waitlist(c: Caller, body: web::Bytes) -> Result<HttpResponse, AppError> {
    on_body_section(&c, &body, StatusCode::CREATED, |a, id| {
        actions::join_waitlist(&c.app, a, id)
    })
    .await
}

pub async fn leave_waitlist(
    c: Caller,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let a = c.attempt();
    let section_id = actions::id_in_path(&path)?;
    idempotency::run(&c.app.cache, &c.req, a.student_id, &body, async {
        let request_id = a.request_id.clone();
        actions::leave_waitlist(&c.app, a, section_id).await?;
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
        .query(move |conn| service::my_waitlist(conn, sid))
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
        .query(move |conn| queries::activity_page(conn, sid, page, per_page))
        .await?;
    let items: Vec<ActivityJson> = rows.into_iter().map(ActivityJson::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "page": page,
        "per_page": per_page,
        "has_more": more,
        "items": items,
    })))
}
