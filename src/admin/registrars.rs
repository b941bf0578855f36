//! Registrar accounts in the console: the list, creating an account (its first password is a
//! one-time password shown once), disabling and enabling (a disabled account cannot sign in and
//! its sessions end at once), and issuing a one-time password. Every change is in the activity
//! log with the registrar who made it as actor.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;

use crate::accounts::create::{create_account, CreateAccount, CreateError, PasswordSource};
use crate::accounts::issue::issue_for;
use crate::admin::forms::{
    self, redirect, tx, unprocessable, FormErrors, Isolation, TxFail, Values,
};
use crate::admin::terms::fail;
use crate::auth::{Registrar, Role};
use crate::db::schema::users;
use crate::registration::activity::{self, NewActivity};
use crate::startup::AppState;
use crate::web::flash::Level;
use crate::web::layout::seoul;
use crate::web::{html, AppError, Layout, RequestMeta};

/// One registrar account as the list shows it.
pub struct Row {
    pub id: i32,
    pub login_id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
}

#[derive(Template)]
#[template(path = "admin/registrars.html")]
struct RegistrarsPage {
    layout: Layout,
    rows: Vec<Row>,
    /// The signed-in registrar (who cannot disable themselves).
    me: i32,
    values: Values,
    errors: FormErrors,
}

impl RegistrarsPage {
    fn when(at: &NaiveDateTime) -> String {
        forms::seoul_display(at)
    }
}

#[derive(Template)]
#[template(path = "admin/registrar_password.html")]
struct IssuedPage {
    layout: Layout,
    login_id: String,
    password: String,
    expires_at: String,
}

fn list(conn: &mut MysqlConnection) -> QueryResult<Vec<Row>> {
    Ok(users::table
        .filter(users::role.eq("registrar"))
        .order(users::login_id.asc())
        .select((
            users::id,
            users::login_id,
            users::name,
            users::created_at,
            users::disabled_at,
        ))
        .load::<(i32, String, String, NaiveDateTime, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .map(|(id, login_id, name, created_at, disabled_at)| Row {
            id,
            login_id,
            name,
            created_at,
            disabled_at,
        })
        .collect())
}

async fn page_of(
    app: &AppState,
    r: &Registrar,
    layout: Layout,
    values: Values,
    errors: FormErrors,
) -> Result<RegistrarsPage, AppError> {
    let rows = app.db.run(|conn| Ok(list(conn)?)).await?;
    Ok(RegistrarsPage {
        layout,
        rows,
        me: r.0.user_id,
        values,
        errors,
    })
}

pub async fn page(
    app: web::Data<AppState>,
    r: Registrar,
    layout: Layout,
) -> Result<HttpResponse, AppError> {
    let lang = layout.lang;
    html(page_of(&app, &r, layout, Values::default(), FormErrors::new(lang)).await?)
}

fn line(meta: &RequestMeta, actor: i32, subject: i32, action: &'static str) -> NewActivity {
    let mut l = NewActivity::new(action, "ok", meta);
    l.actor_id = Some(actor);
    l.student_id = Some(subject);
    l.request_id = forms::request_id(meta);
    l
}

/// The one-time password, on a page shown once and never cached.
fn issued(
    layout: Layout,
    issued: crate::accounts::issue::Issued,
) -> Result<HttpResponse, AppError> {
    let body = IssuedPage {
        layout,
        login_id: issued.login_id,
        password: issued.password,
        expires_at: seoul(&Utc.from_utc_datetime(&issued.expires_at)),
    }
    .render()?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// `POST /admin/registrars`: a new registrar account whose first password is a one-time
/// password, shown once on the answer.
pub async fn create(
    app: web::Data<AppState>,
    r: Registrar,
    layout: Layout,
    meta: RequestMeta,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let values = Values(form.into_inner());
    let mut errors = FormErrors::new(layout.lang);
    let login = values.v("login_id").trim().to_string();
    let name = forms::text(&mut errors, "name", values.v("name"), 100);
    if login.is_empty() {
        errors.put("admin.error.required", "login_id");
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return unprocessable(page_of(&app, &r, layout, values, errors).await?);
    };
    let actor = r.0.user_id;
    let line_meta = meta.clone();
    let created = app
        .db
        .run(move |conn| {
            let created = create_account(
                conn,
                CreateAccount {
                    role: Role::Registrar,
                    login_id: &login,
                    name: Some(&name),
                    password: PasswordSource::Generate,
                },
            );
            if let Ok(c) = &created {
                let mut l = line(&line_meta, actor, c.id, "registrar_create");
                l.detail = Some(format!("registrar account {} created", c.login_id));
                activity::record(conn, &l)?;
            }
            Ok(created)
        })
        .await?;
    let created = match created {
        Ok(c) => c,
        Err(CreateError::BadLoginId(_)) => {
            errors.put("admin.registrars.bad_login", "login_id");
            return unprocessable(page_of(&app, &r, layout, values, errors).await?);
        }
        Err(CreateError::LoginTaken(_)) => {
            errors.put("admin.registrars.taken", "login_id");
            return unprocessable(page_of(&app, &r, layout, values, errors).await?);
        }
        Err(CreateError::BadName) => {
            errors
                .put("admin.error.too_long", "name")
                .args
                .push(("max", "100".into()));
            return unprocessable(page_of(&app, &r, layout, values, errors).await?);
        }
        Err(e) => return Err(AppError::Internal(anyhow::anyhow!("{e}"))),
    };
    // The generated password is never shown: the first sign-in uses a one-time password and
    // must change it.
    let mut out = issue_for(&app, &r.0, vec![(created.id, created.login_id)], &meta).await?;
    let one = out
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("nothing issued")))?;
    tracing::warn!(
        registrar.id = actor,
        account.id = created.id,
        "registrar account created"
    );
    issued(layout, one)
}

/// Locks the registrar account `id` (404 when it is not one).
fn lock_registrar(
    conn: &mut MysqlConnection,
    id: i32,
) -> Result<(String, Option<NaiveDateTime>), TxFail> {
    let (role, login, disabled): (String, String, Option<NaiveDateTime>) = users::table
        .find(id)
        .select((users::role, users::login_id, users::disabled_at))
        .for_update()
        .first(conn)?;
    if role != "registrar" {
        return Err(TxFail::NotFound);
    }
    Ok((login, disabled))
}

/// `POST /admin/registrars/{id}/disable`: the account cannot sign in and its sessions end at
/// once. A registrar cannot disable themselves, nor the last active registrar.
pub async fn disable(
    app: web::Data<AppState>,
    r: Registrar,
    layout: Layout,
    meta: RequestMeta,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lang = layout.lang;
    if id == r.0.user_id {
        let mut errors = FormErrors::new(lang);
        errors.put("admin.registrars.not_self", "account");
        return unprocessable(page_of(&app, &r, layout, Values::default(), errors).await?);
    }
    let actor = r.0.user_id;
    let result = app
        .db
        .run(move |conn| {
            Ok(tx(conn, Isolation::ReadCommitted, |conn| {
                // Every registrar row locked in id order: two registrars disabling each other at
                // once cannot both succeed and leave nobody.
                let active: Vec<i32> = users::table
                    .filter(users::role.eq("registrar"))
                    .filter(users::disabled_at.is_null())
                    .order(users::id.asc())
                    .select(users::id)
                    .for_update()
                    .load(conn)?;
                let (login, disabled) = lock_registrar(conn, id)?;
                if disabled.is_some() {
                    return Ok(login);
                }
                if active.iter().all(|a| *a == id) {
                    return Err(TxFail::Field(forms::field(
                        "admin.registrars.last",
                        "account",
                    )));
                }
                diesel::update(users::table.find(id))
                    .set(users::disabled_at.eq(Some(Utc::now().naive_utc())))
                    .execute(conn)?;
                let mut l = line(&meta, actor, id, "account_disable");
                l.detail = Some(format!("registrar account {login} disabled"));
                activity::record(conn, &l)?;
                Ok(login)
            }))
        })
        .await?;
    match result {
        Ok(login) => {
            app.sessions.end_all(id).await?;
            tracing::warn!(
                registrar.id = actor,
                account.id = id,
                "registrar account disabled"
            );
            let message = lang.format("admin.registrars.disabled", &[("login", login)]);
            redirect(&app, &r, "/admin/registrars", Level::Ok, message).await
        }
        Err(TxFail::Field(f)) => {
            let mut errors = FormErrors::new(lang);
            errors.push(f);
            unprocessable(page_of(&app, &r, layout, Values::default(), errors).await?)
        }
        Err(e) => Err(fail(e)),
    }
}

/// `POST /admin/registrars/{id}/enable`.
pub async fn enable(
    app: web::Data<AppState>,
    r: Registrar,
    layout: Layout,
    meta: RequestMeta,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lang = layout.lang;
    let actor = r.0.user_id;
    let login = app
        .db
        .run(move |conn| {
            Ok(tx(conn, Isolation::ReadCommitted, |conn| {
                let (login, disabled) = lock_registrar(conn, id)?;
                if disabled.is_some() {
                    diesel::update(users::table.find(id))
                        .set(users::disabled_at.eq(None::<NaiveDateTime>))
                        .execute(conn)?;
                    let mut l = line(&meta, actor, id, "account_enable");
                    l.detail = Some(format!("registrar account {login} enabled"));
                    activity::record(conn, &l)?;
                }
                Ok(login)
            }))
        })
        .await?
        .map_err(fail)?;
    let message = lang.format("admin.registrars.enabled", &[("login", login)]);
    redirect(&app, &r, "/admin/registrars", Level::Ok, message).await
}

/// `POST /admin/registrars/{id}/one-time-password`: a new one-time password, shown once; the
/// account's sessions end and its next sign-in must change the password.
pub async fn one_time_password(
    app: web::Data<AppState>,
    r: Registrar,
    layout: Layout,
    meta: RequestMeta,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let login = app
        .db
        .run(move |conn| {
            Ok(users::table
                .find(id)
                .filter(users::role.eq("registrar"))
                .select(users::login_id)
                .first::<String>(conn)
                .optional()?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let mut out = issue_for(&app, &r.0, vec![(id, login)], &meta).await?;
    let one = out
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("nothing issued")))?;
    issued(layout, one)
}
