//! Vacancy watch (빈자리 알림): a student watches a full section — at most `LIMIT` at once — and
//! when a seat of it becomes free outside the waitlist (a drop, a swap, a registrar's change
//! after the waitlist had nobody left to seat), every watcher gets a notice in the transaction
//! that freed the seat, so the notice exists before anyone can take the seat — or, in a term with
//! seat-release times, in the transaction that releases the held seat (`registration::release`).
//! A watch is one notice: it ends when it fires, or when the student removes it. Watching never
//! grants a seat, and it is a registration action (rate-limited and behind the waiting room like
//! the others).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::activity;
use crate::app::AppState;
use crate::auth::Student;
use crate::catalog::queries::current_term;
use crate::db::schema::{notices, section_watches};
use crate::registration::actions::{self, Caller};
use crate::registration::api::on_body_section;
use crate::registration::notices::NoticeKind;
use crate::registration::queries;
use crate::registration::rules::{Ineligible, Refusal};
use crate::registration::service::{self, Attempt, SectionSummary, TxError};
use crate::web::{AppError, Lang};

/// Sections one student may watch at once.
pub const LIMIT: i64 = 10;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WatchReceipt {
    pub request_id: String,
    pub watching_since: String,
    pub section: SectionSummary,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WatchItem {
    pub section: SectionSummary,
    pub seats_left: i32,
}

/// Starts watching `section_id` for `a`: the section must be open and full, the student not in
/// it, not already watching it and under the limit.
pub fn watch(
    conn: &mut MysqlConnection,
    a: &Attempt,
    section_id: i32,
    now: DateTime<Utc>,
) -> Result<WatchReceipt, TxError> {
    // One transaction with its activity line, refusals included (as every registration action).
    service::attempt(conn, a, "watch", Some(section_id), |conn| {
        queries::lock_student(conn, a.student_id)?;
        let term = current_term(conn)?.ok_or(TxError::NotFound)?;
        let target = queries::target(conn, section_id, term.id)?.ok_or(TxError::NotFound)?;
        if target.status != "open" {
            return Err(Refusal::NotEligible(Ineligible::Cancelled).into());
        }
        if queries::held_ids(conn, a.student_id, term.id)?.contains(&section_id) {
            return Err(Refusal::AlreadyEnrolled.into());
        }
        if target.seats_left() > 0 {
            return Err(Refusal::WatchNotNeeded.into());
        }
        let watched: Vec<i32> = section_watches::table
            .filter(section_watches::student_id.eq(a.student_id))
            .select(section_watches::section_id)
            .load(conn)?;
        if watched.contains(&section_id) {
            return Err(Refusal::AlreadyWatching.into());
        }
        if watched.len() as i64 >= LIMIT {
            return Err(Refusal::WatchLimit { limit: LIMIT }.into());
        }
        diesel::insert_into(section_watches::table)
            .values((
                section_watches::student_id.eq(a.student_id),
                section_watches::section_id.eq(section_id),
                section_watches::created_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
        activity::record(conn, &a.activity("watch", "ok", Some(section_id)))?;
        Ok(WatchReceipt {
            request_id: a.request_id.clone(),
            watching_since: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            section: SectionSummary::of(&target),
        })
    })
}

/// Stops watching; true when there was a watch.
pub fn unwatch(conn: &mut MysqlConnection, a: &Attempt, section_id: i32) -> Result<bool, TxError> {
    let n = diesel::delete(
        section_watches::table
            .filter(section_watches::student_id.eq(a.student_id))
            .filter(section_watches::section_id.eq(section_id)),
    )
    .execute(conn)?;
    activity::record(
        conn,
        &a.activity(
            "unwatch",
            if n > 0 { "ok" } else { "not_watching" },
            Some(section_id),
        ),
    )?;
    Ok(n > 0)
}

/// The student's watches, oldest first, with the seats left now.
pub fn mine(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<Vec<WatchItem>> {
    let Some(term) = current_term(conn)? else {
        return Ok(Vec::new());
    };
    let ids: Vec<i32> = section_watches::table
        .filter(section_watches::student_id.eq(student_id))
        .order((section_watches::created_at, section_watches::id))
        .select(section_watches::section_id)
        .load(conn)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(t) = queries::target(conn, id, term.id)? {
            out.push(WatchItem {
                seats_left: t.seats_left(),
                section: SectionSummary::of(&t),
            });
        }
    }
    Ok(out)
}

/// Inside the transaction that left `section_id` with a free seat nobody on its waitlist took:
/// one notice to every watcher (one multi-row INSERT), and their watches end.
pub fn notify(conn: &mut MysqlConnection, section_id: i32) -> QueryResult<usize> {
    let watchers: Vec<i32> = section_watches::table
        .filter(section_watches::section_id.eq(section_id))
        .order(section_watches::id)
        .select(section_watches::student_id)
        .load(conn)?;
    if watchers.is_empty() {
        return Ok(0);
    }
    let labels = queries::section_labels(conn, &[section_id])?;
    let show = |lang: Lang| {
        labels
            .get(&section_id)
            .map_or_else(|| format!("#{section_id}"), |l| l.show(lang))
    };
    let ko = Lang::Ko.format("notice.seat_opened", &[("section", show(Lang::Ko))]);
    let en = Lang::En.format("notice.seat_opened", &[("section", show(Lang::En))]);
    let rows: Vec<_> = watchers
        .iter()
        .map(|&student| {
            (
                notices::user_id.eq(student),
                notices::kind.eq(NoticeKind::SeatOpened.code()),
                notices::message_ko.eq(ko.clone()),
                notices::message_en.eq(en.clone()),
            )
        })
        .collect();
    diesel::insert_into(notices::table)
        .values(&rows)
        .execute(conn)?;
    diesel::delete(section_watches::table.filter(section_watches::section_id.eq(section_id)))
        .execute(conn)?;
    metrics::counter!("sugang_vacancy_notices_total").increment(watchers.len() as u64);
    Ok(watchers.len())
}

/// `POST /api/v1/watches {section_id}` → 201 with the receipt.
pub async fn api_watch(c: Caller, body: web::Bytes) -> Result<HttpResponse, AppError> {
    on_body_section(&c, &body, StatusCode::CREATED, |a, id| {
        actions::watch(&c.app, a, id)
    })
    .await
}

/// `DELETE /api/v1/watches/{section_id}` → 200, or 404 when the student was not watching it.
pub async fn api_unwatch(c: Caller, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let section_id = actions::id_in_path(&path)?;
    if !actions::unwatch(&c.app, c.attempt(), section_id).await? {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "section_id": section_id, "watching": false })))
}

/// `GET /api/v1/watches` → `{watches: [{section, seats_left}], limit}`.
pub async fn api_mine(
    app: web::Data<AppState>,
    student: Student,
) -> Result<HttpResponse, AppError> {
    let sid = student.0.user_id;
    let items = app.db.query(move |conn| mine(conn, sid)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "watches": items, "limit": LIMIT })))
}
