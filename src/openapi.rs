//! The OpenAPI 3.1 document of the JSON API, served at `GET /api/v1/openapi.json`.
//!
//! Request and response schemas are derived (`utoipa::ToSchema`) from the types the handlers
//! read and write; the few answers a handler builds inline are described here by a struct of the
//! same shape. Each operation below names the handler that serves it. `tests/api/openapi.rs`
//! holds the document to the routes both ways (no undocumented `/api/v1` route, no documented
//! operation without a route), and `scripts/check-api.sh` fuzzes every operation against the
//! document with schemathesis.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::web::error::ErrorBody;

pub const PATH: &str = "/api/v1/openapi.json";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::get().to(serve));
}

async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}

/// The document as JSON text.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sugang",
        version = "1",
        description = "Course registration of Goorm University. Every answer other than 2xx \
            carries the error body `{\"error\": {\"code\", \"message\", \"field\"?, \
            \"retry_after\"?}}`; `code` is the stable, machine-readable part. Sign in with \
            `POST /api/v1/session`: the answer sets the `sugang_session` cookie and carries the \
            `csrf_token` every other non-GET request sends back as `X-CSRF-Token`."
    ),
    paths(
        sign_in, sign_out, me, time, sections, section, timetable, enrollments, enroll, swap,
        drop, waitlist, join_waitlist, leave_waitlist, watches, watch, unwatch, activity, basket,
        basket_add,
        basket_register, basket_remove, notices, notice_read, queue, change_password,
        admin_summary, one_time_passwords, openapi_json,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "session", description = "Sign-in and sign-out"),
        (name = "catalog", description = "Search and section detail"),
        (name = "registration", description = "Enroll, drop, swap, the waitlist and the activity log"),
        (name = "basket", description = "The basket (pre-registration wishlist)"),
        (name = "student", description = "The student's standing, notices, timetable and the waiting room"),
        (name = "account", description = "The account's own password"),
        (name = "registrar", description = "Registrar operations"),
        (name = "meta", description = "The server clock and this document"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "sugang_session",
                "The session cookie set by POST /api/v1/session (last sign-in wins).",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The csrf_token of the sign-in answer; required on every non-GET request.",
            ))),
        );
    }
}

// ---- the answers handlers build inline ----

/// `GET /api/v1/time`.
#[derive(Serialize, ToSchema)]
pub struct ServerTime {
    /// RFC 3339, milliseconds, UTC.
    pub now: String,
    pub epoch_ms: i64,
    /// Always `Asia/Seoul`: the time zone every page shows.
    pub time_zone: String,
}

/// The current term as search names it.
#[derive(Serialize, ToSchema)]
pub struct SearchTerm {
    pub id: i32,
    pub name_ko: String,
    pub name_en: String,
}

/// `GET /api/v1/sections`: one page of the search (no `term` while no term is current).
#[derive(Serialize, ToSchema)]
pub struct SearchAnswer {
    pub term: Option<SearchTerm>,
    /// Absent while no term is current.
    pub catalog_version: Option<u64>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
    #[schema(value_type = Vec<crate::catalog::json::ItemJson>)]
    pub items: Vec<serde_json::Value>,
    /// True when the instance answered from its last catalog copy because the current one could
    /// not be read (also the `X-Catalog-Stale: 1` header).
    pub stale: bool,
}

/// A section of the timetable; `preview` marks one shown only because `add` asked for it.
#[derive(Serialize, ToSchema)]
pub struct TimetableEntry {
    #[serde(flatten)]
    pub section: crate::timetable::grid::TimetableSection,
    pub preview: bool,
}

/// `GET /api/v1/timetable`.
#[derive(Serialize, ToSchema)]
pub struct TimetableAnswer {
    pub term: Option<SearchTerm>,
    pub total_credits: i32,
    pub sections: Vec<TimetableEntry>,
    pub conflicts: Vec<crate::timetable::grid::Conflict>,
    pub grid: crate::timetable::grid::Grid,
}

/// `GET /api/v1/waitlist`.
#[derive(Serialize, ToSchema)]
pub struct WaitlistAnswer {
    pub waitlist: Vec<crate::registration::service::WaitlistItem>,
}

/// `GET /api/v1/watches`.
#[derive(Serialize, ToSchema)]
pub struct WatchesAnswer {
    pub watches: Vec<crate::registration::watches::WatchItem>,
    /// Sections one student may watch at once.
    pub limit: i64,
}

/// `DELETE /api/v1/watches/{section_id}`.
#[derive(Serialize, ToSchema)]
pub struct Unwatched {
    pub section_id: i32,
    pub watching: bool,
}

/// `DELETE /api/v1/waitlist/{section_id}` and `DELETE /api/v1/basket/{section_id}`.
#[derive(Serialize, ToSchema)]
pub struct SectionDone {
    pub request_id: String,
    pub section_id: i32,
}

/// `POST /api/v1/basket`.
#[derive(Serialize, ToSchema)]
pub struct BasketAdded {
    pub request_id: String,
    pub section_id: i32,
    /// Credits of every section in the basket after the addition.
    pub basket_credits: i64,
}

/// `GET /api/v1/activity`.
#[derive(Serialize, ToSchema)]
pub struct ActivityAnswer {
    pub page: i64,
    pub per_page: i64,
    pub has_more: bool,
    pub items: Vec<crate::registration::api::ActivityJson>,
}

/// `GET /api/v1/notices`.
#[derive(Serialize, ToSchema)]
pub struct NoticesAnswer {
    pub unread: u64,
    pub notices: Vec<crate::registration::status::NoticeInfo>,
}

/// `POST /api/v1/notices/{id}/read`.
#[derive(Serialize, ToSchema)]
pub struct NoticeRead {
    pub id: i64,
    pub read: bool,
}

// ---- request bodies the handlers read field by field ----

/// Body of `POST /api/v1/enrollments`, `/api/v1/waitlist` and `/api/v1/basket`.
#[derive(Serialize, ToSchema)]
pub struct SectionRequest {
    #[schema(minimum = 1, maximum = 2147483647)]
    pub section_id: i32,
}

/// Body of `POST /api/v1/enrollments/swap`: both in one transaction, or neither.
#[derive(Serialize, ToSchema)]
pub struct SwapRequest {
    #[schema(minimum = 1, maximum = 2147483647)]
    pub drop_section_id: i32,
    #[schema(minimum = 1, maximum = 2147483647)]
    pub add_section_id: i32,
}

// ---- parameters ----

/// Search filters; an empty value means "any".
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct SearchQuery {
    /// Words of a course code, title or instructor (at most 100 characters).
    q: Option<String>,
    /// Department code.
    department: Option<String>,
    /// `major_required`, `major_elective`, `general`, ...
    category: Option<String>,
    /// Meets on these days: `mon`..`sat` or `1`..`6`, comma-separated.
    day: Option<String>,
    /// `morning`, `afternoon` or `evening`.
    time: Option<String>,
    credits: Option<i32>,
    /// Open to this class year.
    year: Option<i32>,
    /// `1`/`true`/`on`/`yes` or `0`/`false`/`off`/`no`.
    open_only: Option<String>,
    /// `code`, `title`, `credits` or `seats_left`.
    sort: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct PageQuery {
    /// 1-based page (clamped to 1..=10000).
    page: Option<i64>,
    /// Lines per page (clamped to 1..=200).
    per_page: Option<i64>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct PreviewQuery {
    /// Section ids to lay out beside the enrolled ones (comma-separated or repeated).
    add: Option<String>,
}

/// Every JSON error answer, by status. A status an operation cannot answer is still listed, so
/// that clients (and the fuzzing) need one rule for errors.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum Errors {
    /// `bad_request`: the body is not JSON or not an object, or the query string is malformed.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// `unauthenticated` (no session), `session_replaced` (a later sign-in replaced this one),
    /// `bad_credentials`, `one_time_password_expired`, `one_time_password_used`.
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// `forbidden` (wrong role), `csrf` (missing or wrong `X-CSRF-Token`),
    /// `password_change_required` (signed in with a one-time password), `account_disabled`.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// `not_found`: no such section, notice or account.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// `payload_too_large`.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// `validation` (a field is missing or invalid; `field` names it),
    /// `idempotency_mismatch` (an `Idempotency-Key` reused with another body).
    #[response(status = 422)]
    Validation(ErrorBody),
    /// `rate_limited` or `queue_required` (the waiting room): wait `Retry-After` seconds.
    #[response(status = 429)]
    Limited(ErrorBody),
    /// `unavailable`: the database or Redis is out of reach or busy; retry after `Retry-After`.
    /// `outcome_unknown` (enroll): the database went away mid-commit; a retry with the same
    /// `Idempotency-Key` answers whether it took effect.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

// ---- the operations; each names its handler ----

/// Sign in (`auth::routes::api_sign_in`).
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = crate::auth::routes::SessionRequest,
    responses(
        (status = 200, description = "Signed in; sets the session cookie", body = crate::auth::routes::SessionResponse),
        Errors,
    ))]
#[allow(dead_code)]
fn sign_in() {}

/// Sign out (`auth::routes::api_sign_out`).
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out"), Errors),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn sign_out() {}

/// The signed-in user's standing: term, windows, credits, holds, notices
/// (`registration::routes::api_me`).
#[utoipa::path(get, path = "/api/v1/me", tag = "student",
    responses((status = 200, body = crate::registration::status::Standing), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn me() {}

/// The server clock (`registration::routes::api_time`).
#[utoipa::path(get, path = "/api/v1/time", tag = "meta",
    responses((status = 200, body = ServerTime)))]
#[allow(dead_code)]
fn time() {}

/// Search the current term's sections (`catalog::routes::api_sections`).
#[utoipa::path(get, path = "/api/v1/sections", tag = "catalog", params(SearchQuery),
    responses((status = 200, body = SearchAnswer), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn sections() {}

/// One section with its rules and the viewer's standing (`registration::catalog_pages::api_section`).
#[utoipa::path(get, path = "/api/v1/sections/{section_id}", tag = "catalog",
    params(("section_id" = i32, Path, description = "Section id")),
    responses((status = 200, body = crate::registration::catalog_pages::SectionDetail), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn section() {}

/// The student's weekly timetable, with optional preview sections
/// (`timetable::routes::api`).
#[utoipa::path(get, path = "/api/v1/timetable", tag = "student", params(PreviewQuery),
    responses((status = 200, body = TimetableAnswer), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn timetable() {}

/// The student's enrollments this term (`registration::api::my_enrollments`).
#[utoipa::path(get, path = "/api/v1/enrollments", tag = "registration",
    responses((status = 200, body = crate::registration::service::MyEnrollments), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn enrollments() {}

/// Enroll in a section (`registration::api::enroll`). A repeated `Idempotency-Key` with the
/// same body answers the first answer again.
#[utoipa::path(post, path = "/api/v1/enrollments", tag = "registration",
    request_body = SectionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key: a retry with the same key runs once")),
    responses(
        (status = 201, description = "Enrolled", body = crate::registration::service::Receipt),
        (status = 409, description = "Refused by a rule, the first that applies: `window_closed`, `hold`, `not_eligible`, `already_enrolled`, `duplicate_course`, `prerequisite_missing`, `time_conflict`, `credit_limit`, `section_full`; or `idempotency_in_progress`", body = ErrorBody),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn enroll() {}

/// Drop one section and add another in one transaction (`registration::api::swap`).
#[utoipa::path(post, path = "/api/v1/enrollments/swap", tag = "registration",
    request_body = SwapRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key: a retry with the same key runs once")),
    responses(
        (status = 200, description = "Swapped", body = crate::registration::service::SwapReceipt),
        (status = 409, description = "Refused: `not_enrolled` for the dropped section, or a rule refusing the added one (as for enroll); nothing changed", body = ErrorBody),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn swap() {}

/// Drop a section; its seat goes to the first of the waitlist (`registration::api::drop_enrollment`).
#[utoipa::path(delete, path = "/api/v1/enrollments/{section_id}", tag = "registration",
    params(
        ("section_id" = String, Path, description = "Section id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key: a retry with the same key runs once"),
    ),
    responses(
        (status = 200, description = "Dropped", body = crate::registration::service::DropReceipt),
        (status = 409, description = "`not_enrolled`, `window_closed`, `hold`", body = ErrorBody),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn drop() {}

/// The student's waitlist places (`registration::api::my_waitlist`).
#[utoipa::path(get, path = "/api/v1/waitlist", tag = "registration",
    responses((status = 200, body = WaitlistAnswer), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn waitlist() {}

/// Join the waitlist of a full section (`registration::api::join_waitlist`).
#[utoipa::path(post, path = "/api/v1/waitlist", tag = "registration",
    request_body = SectionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key: a retry with the same key runs once")),
    responses(
        (status = 201, description = "On the waitlist", body = crate::registration::service::WaitlistReceipt),
        (status = 409, description = "`waitlist_not_needed`, `waitlist_full`, `already_waitlisted`, `already_enrolled`, or a rule as for enroll", body = ErrorBody),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn join_waitlist() {}

/// Leave a waitlist (`registration::api::leave_waitlist`).
#[utoipa::path(delete, path = "/api/v1/waitlist/{section_id}", tag = "registration",
    params(
        ("section_id" = String, Path, description = "Section id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key: a retry with the same key runs once"),
    ),
    responses(
        (status = 200, description = "Left the waitlist", body = SectionDone),
        (status = 409, description = "`not_waitlisted`", body = ErrorBody),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn leave_waitlist() {}

/// The student's vacancy watches (`registration::watches::api_mine`).
#[utoipa::path(get, path = "/api/v1/watches", tag = "registration",
    responses((status = 200, body = WatchesAnswer), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn watches() {}

/// Watch a full section: a notice arrives when a seat of it becomes free outside the waitlist
/// (`registration::watches::api_watch`).
#[utoipa::path(post, path = "/api/v1/watches", tag = "registration",
    request_body = SectionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key: a retry with the same key runs once")),
    responses(
        (status = 201, description = "Watching", body = crate::registration::watches::WatchReceipt),
        (status = 409, description = "`watch_not_needed`, `already_watching`, `watch_limit`, `already_enrolled`, `not_eligible`", body = ErrorBody),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn watch() {}

/// Stop watching a section (`registration::watches::api_unwatch`).
#[utoipa::path(delete, path = "/api/v1/watches/{section_id}", tag = "registration",
    params(("section_id" = String, Path, description = "Section id")),
    responses(
        (status = 200, description = "No longer watching", body = Unwatched),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn unwatch() {}

/// The student's activity log, newest first (`registration::api::my_activity`).
#[utoipa::path(get, path = "/api/v1/activity", tag = "registration", params(PageQuery),
    responses((status = 200, body = ActivityAnswer), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn activity() {}

/// The basket with seats, demand, clashes and credits (`registration::basket_page::api_view`).
#[utoipa::path(get, path = "/api/v1/basket", tag = "basket",
    responses((status = 200, body = crate::registration::basket::BasketView), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn basket() {}

/// Put a section in the basket (`registration::basket_page::api_add`).
#[utoipa::path(post, path = "/api/v1/basket", tag = "basket",
    request_body = SectionRequest,
    responses(
        (status = 201, description = "In the basket", body = BasketAdded),
        (status = 409, description = "`already_in_basket`, `basket_full`, `basket_credit_limit`, `window_closed`, `already_enrolled`, `duplicate_course`", body = ErrorBody),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn basket_add() {}

/// Register every basket section, one result per item (`registration::basket_page::register_api`).
#[utoipa::path(post, path = "/api/v1/basket/register", tag = "basket",
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key: a retry with the same key runs once")),
    responses(
        (status = 200, description = "One result per basket item", body = crate::registration::basket_page::BasketRegistration),
        (status = 409, description = "`idempotency_in_progress`", body = ErrorBody),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn basket_register() {}

/// Take a section out of the basket (`registration::basket_page::api_remove`).
#[utoipa::path(delete, path = "/api/v1/basket/{section_id}", tag = "basket",
    params(("section_id" = String, Path, description = "Section id")),
    responses(
        (status = 200, description = "Removed", body = SectionDone),
        (status = 409, description = "`not_in_basket`, `window_closed`", body = ErrorBody),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn basket_remove() {}

/// The newest notices, unread first (`registration::status::api_notices`).
#[utoipa::path(get, path = "/api/v1/notices", tag = "student",
    responses((status = 200, body = NoticesAnswer), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn notices() {}

/// Mark a notice read (`registration::status::api_notice_read`).
#[utoipa::path(post, path = "/api/v1/notices/{id}/read", tag = "student",
    params(("id" = String, Path, description = "Notice id")),
    responses((status = 200, body = NoticeRead), Errors),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn notice_read() {}

/// The student's place in the waiting room (`waiting_room::routes::api_queue`).
#[utoipa::path(get, path = "/api/v1/queue", tag = "student",
    responses((status = 200, body = crate::waiting_room::routes::QueueStatus), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn queue() {}

/// Change the account's password; every other session of the account ends
/// (`accounts::password_change::api_change_password`).
#[utoipa::path(post, path = "/api/v1/account/password", tag = "account",
    request_body = crate::accounts::password_change::PasswordChange,
    responses(
        (status = 200, description = "Changed; a new session cookie and CSRF token", body = crate::accounts::password_change::Changed),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn change_password() {}

/// Registration-day figures for the registrar dashboard (`admin::routes::api_summary`).
#[utoipa::path(get, path = "/api/v1/admin/summary", tag = "registrar",
    responses((status = 200, body = crate::admin::dashboard::Summary), Errors),
    security(("session" = [])))]
#[allow(dead_code)]
fn admin_summary() {}

/// Issue one-time passwords (valid 72 h) for the given students, or for every student without a
/// password when `login_ids` is absent; answered once, as CSV (`accounts::issue::api_issue`).
#[utoipa::path(post, path = "/api/v1/admin/one-time-passwords", tag = "registrar",
    request_body(content = Option<crate::accounts::issue::IssueRequest>),
    responses(
        (status = 200, description = "CSV: login_id, one_time_password, expires_at", content_type = "text/csv", body = String,
            headers(("X-Remaining" = u64, description = "Students still without a password after this batch"))),
        Errors,
    ),
    security(("session" = [], "csrf" = [])))]
#[allow(dead_code)]
fn one_time_passwords() {}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
#[allow(dead_code)]
fn openapi_json() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_names_every_schema_it_refers_to() {
        let doc: serde_json::Value = serde_json::from_str(&document()).expect("json");
        assert_eq!(doc["openapi"], "3.1.0");
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let text = document();
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().expect("name");
            assert!(schemas.contains_key(name), "missing schema {name}");
        }
    }
}
