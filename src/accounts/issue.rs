//! Registrars issue one-time passwords: for one account from the student's console page, or for
//! every student imported without a password (a CSV, shown once). The clear text exists only in
//! the answer; the account's other session ends at once.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use futures_util::future::try_join_all;
use serde::Deserialize;

use crate::accounts::one_time;
use crate::activity::{self, NewActivity};
use crate::app::AppState;
use crate::auth::account_error::AccountError;
use crate::auth::Auth;
use crate::auth::Registrar;
use crate::db::schema::users;
use crate::session::Session;
use crate::web::layout::seoul;
use crate::web::{AppError, Layout, RequestMeta};

/// One call issues at most this many (each costs an argon2id hash); the rest wait for the next.
pub const BATCH_MAX: usize = 1000;

pub struct Issued {
    pub login_id: String,
    pub password: String,
    pub expires_at: NaiveDateTime,
}

/// Issues one-time passwords to `targets` (id, login id) in one transaction, then ends their
/// sessions.
pub async fn issue_for(
    app: &AppState,
    auth: &Auth,
    registrar: &Session,
    targets: Vec<(i32, String)>,
    meta: &RequestMeta,
) -> Result<Vec<Issued>, AppError> {
    let passwords: Vec<String> = targets.iter().map(|_| one_time::generate()).collect();
    let hashes = try_join_all(passwords.iter().map(|p| auth.hasher.hash(p.clone()))).await?;
    let issuer = registrar.user_id;
    let entries: Vec<NewActivity> = targets
        .iter()
        .map(|(id, login)| {
            let mut e = NewActivity::new("one_time_password", "ok", meta);
            e.actor_id = Some(issuer);
            e.student_id = Some(*id);
            e.session_ref = Some(registrar.reference());
            e.detail = Some(format!(
                "one-time password issued for {login}, valid {} h",
                one_time::VALID_FOR_HOURS
            ));
            e
        })
        .collect();
    let ids: Vec<i32> = targets.iter().map(|(id, _)| *id).collect();
    let expiries = app
        .db
        .run(move |conn| {
            Ok(conn.transaction(|conn| {
                let mut out = Vec::with_capacity(ids.len());
                for ((id, hash), entry) in ids.iter().zip(&hashes).zip(&entries) {
                    out.push(one_time::issue(conn, *id, hash, issuer)?);
                    activity::record(conn, entry)?;
                }
                QueryResult::Ok(out)
            })?)
        })
        .await?;
    for (id, _) in &targets {
        auth.sessions.end_all(*id).await?;
    }
    tracing::info!(
        registrar.id = issuer,
        count = targets.len(),
        "one-time passwords issued"
    );
    Ok(targets
        .into_iter()
        .zip(passwords)
        .zip(expiries)
        .map(|(((_, login_id), password), expires_at)| Issued {
            login_id,
            password,
            expires_at,
        })
        .collect())
}

/// The accounts named, all of which must exist; or, when none is named, the next batch of
/// students without a password. Also returns how many of those remain after the batch.
async fn targets(
    app: &AppState,
    login_ids: Option<Vec<String>>,
) -> Result<(Vec<(i32, String)>, usize), AppError> {
    match login_ids {
        Some(ids) if !ids.is_empty() => {
            let wanted: Vec<String> = ids.iter().map(|s| s.trim().to_string()).collect();
            if wanted.len() > BATCH_MAX {
                return Err(AppError::BadRequest(format!(
                    "at most {BATCH_MAX} login ids at once"
                )));
            }
            let lookup = wanted.clone();
            let found: Vec<(i32, String)> = app
                .db
                .run(move |conn| {
                    Ok(users::table
                        .filter(users::login_id.eq_any(&lookup))
                        .select((users::id, users::login_id))
                        .load(conn)?)
                })
                .await?;
            if wanted
                .iter()
                .any(|w| !found.iter().any(|(_, l)| l.eq_ignore_ascii_case(w)))
            {
                return Err(AppError::account(AccountError::NoSuchUser));
            }
            Ok((found, 0))
        }
        _ => {
            let mut all = app.db.query(one_time::students_without_password).await?;
            let rest = all.len().saturating_sub(BATCH_MAX);
            all.truncate(BATCH_MAX);
            Ok((all, rest))
        }
    }
}

fn csv_of(issued: &[Issued]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(e.into());
    w.write_record(["login_id", "one_time_password", "expires_at"])
        .map_err(fail)?;
    for i in issued {
        w.write_record([
            i.login_id.as_str(),
            i.password.as_str(),
            &i.expires_at.and_utc().to_rfc3339(),
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

fn csv_answer(issued: &[Issued], remaining: usize) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"one-time-passwords.csv\"",
        ))
        .insert_header(("X-Remaining", remaining.to_string()))
        .body(csv_of(issued)?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct IssueRequest {
    #[serde(default)]
    login_ids: Option<Vec<String>>,
}

/// `POST /api/v1/admin/one-time-passwords` `{"login_ids": [...]}` (or `{}` for every student
/// without a password): a CSV of login id, one-time password and expiry.
pub async fn api_issue(
    app: web::Data<AppState>,
    auth: web::Data<Auth>,
    r: Registrar,
    meta: RequestMeta,
    body: Option<web::Json<IssueRequest>>,
) -> Result<HttpResponse, AppError> {
    let body = body.map(|b| b.into_inner()).unwrap_or_default();
    let (targets, remaining) = targets(&app, body.login_ids).await?;
    let issued = issue_for(&app, &auth, &r.0, targets, &meta).await?;
    csv_answer(&issued, remaining)
}

/// The console's bulk action: every student without a password, as a CSV download.
pub async fn bulk_form(
    app: web::Data<AppState>,
    auth: web::Data<Auth>,
    r: Registrar,
    meta: RequestMeta,
) -> Result<HttpResponse, AppError> {
    let (targets, remaining) = targets(&app, None).await?;
    let issued = issue_for(&app, &auth, &r.0, targets, &meta).await?;
    csv_answer(&issued, remaining)
}

#[derive(Template)]
#[template(path = "accounts/one_time_issued.html")]
struct IssuedPage {
    layout: Layout,
    user_id: i32,
    login_id: String,
    password: String,
    expires_at: String,
}

/// The student page's button: the one-time password on a page shown once (never cached).
pub async fn one_form(
    app: web::Data<AppState>,
    auth: web::Data<Auth>,
    r: Registrar,
    layout: Layout,
    meta: RequestMeta,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let login: Option<String> = app
        .db
        .run(move |conn| {
            Ok(users::table
                .find(id)
                .select(users::login_id)
                .first(conn)
                .optional()?)
        })
        .await?;
    let login = login.ok_or(AppError::account(AccountError::NoSuchUser))?;
    let mut issued = issue_for(&app, &auth, &r.0, vec![(id, login)], &meta).await?;
    let one = issued
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("nothing issued")))?;
    let body = IssuedPage {
        layout,
        user_id: id,
        login_id: one.login_id,
        password: one.password,
        expires_at: seoul(&Utc.from_utc_datetime(&one.expires_at)),
    }
    .render()?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
