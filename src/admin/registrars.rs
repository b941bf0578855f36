//! Registrar accounts: the list, creating one (with a one-time password shown once), disabling
//! and enabling, and issuing a one-time password. A disabled account's session ends at once (see
//! `SessionStore::end_disabled`); a registrar cannot disable their own account, and the last
//! active registrar cannot be disabled. Every change writes an activity line with its actor.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::accounts::one_time;
use crate::activity;
use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{
    self, fail, field, redirect, run, run_at, session_line, tx, unprocessable, Answer, Console,
    FieldError, FormErrors, Isolation, SeveralForms, TxFail,
};
use crate::admin::queries::registrars as q;
use crate::auth::domain::LoginId;
use crate::auth::models::{self, NewUser};
use crate::auth::Registrar;
use crate::web::flash::Level;
use crate::web::layout::seoul;
use crate::web::{html, AppError, Layout, RequestMeta};

const ROLE: &str = "registrar";

pub struct Row {
    pub id: i32,
    pub login_id: String,
    pub name: String,
    pub disabled_at: Option<String>,
    pub last_sign_in: Option<String>,
    pub created_at: String,
    pub is_self: bool,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    login_id: String,
    #[serde(default)]
    name: String,
}

#[derive(Template)]
#[template(path = "admin/registrars.html")]
struct RegistrarsPage {
    layout: Layout,
    rows: Vec<Row>,
    new_form: CreateForm,
    /// Which form the errors belong to: "new" or "row-{id}".
    error_form: String,
    errors: FormErrors,
}

impl SeveralForms for RegistrarsPage {
    fn error_form(&self) -> &str {
        &self.error_form
    }

    fn errors(&self) -> &FormErrors {
        &self.errors
    }
}

impl RegistrarsPage {
    fn row_err(&self, id: &i32) -> Option<String> {
        self.err(&format!("row-{id}"), "account")
    }
}

#[derive(Template)]
#[template(path = "admin/registrar_password.html")]
struct PasswordPage {
    layout: Layout,
    created: bool,
    login_id: String,
    password: String,
    expires_at: String,
}

fn list(conn: &mut MysqlConnection) -> QueryResult<(Vec<q::Listed>, HashMap<i32, NaiveDateTime>)> {
    let rows = q::accounts(conn, ROLE)?;
    let ids: Vec<i32> = rows.iter().map(|r| r.0).collect();
    let last = q::last_sign_in(conn, &ids)?;
    Ok((rows, last))
}

fn shown(at: &NaiveDateTime) -> String {
    seoul(&Utc.from_utc_datetime(at))
}

async fn page(
    app: &ConsoleApp,
    r: &Registrar,
    layout: Layout,
    failed: Option<(String, CreateForm)>,
    errors: FormErrors,
) -> Result<RegistrarsPage, AppError> {
    let (listed, last) = app.db.query(list).await?;
    let me = r.0.user_id;
    let rows = listed
        .into_iter()
        .map(|(id, login_id, name, disabled_at, created_at)| Row {
            id,
            login_id,
            name,
            disabled_at: disabled_at.as_ref().map(shown),
            last_sign_in: last.get(&id).map(shown),
            created_at: shown(&created_at),
            is_self: id == me,
        })
        .collect();
    let (error_form, posted) = failed.unwrap_or_default();
    let new_form = if error_form == "new" {
        posted
    } else {
        CreateForm::default()
    };
    Ok(RegistrarsPage {
        layout,
        rows,
        new_form,
        error_form,
        errors,
    })
}

/// The list page again (422) with `f` against the form `failed` names.
async fn refused(
    app: &ConsoleApp,
    r: &Registrar,
    layout: Layout,
    failed: (String, CreateForm),
    f: FieldError,
) -> Answer {
    let mut errors = FormErrors::new(layout.lang);
    errors.push(f);
    unprocessable(page(app, r, layout, Some(failed), errors).await?)
}

pub async fn list_page(c: Console) -> Answer {
    let (app, r, layout, _) = c.parts();
    let errors = FormErrors::new(layout.lang);
    html(page(&app, &r, layout, None, errors).await?)
}

fn password_answer(page: PasswordPage) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.render()?))
}

/// Creates a registrar account whose password is a one-time password: shown once on the answer,
/// only its hash stored, to be changed at the first sign-in.
pub async fn create(c: Console, form: web::Form<CreateForm>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let form = form.into_inner();
    let mut errors = FormErrors::new(layout.lang);
    let login = match LoginId::parse(&form.login_id) {
        Ok(l) => Some(l.as_str().to_string()),
        Err(e) => {
            errors.put(admin_key(e.key), "login_id");
            None
        }
    };
    let name = forms::text(
        &mut errors,
        "name",
        &form.name,
        crate::accounts::create::NAME_MAX,
    );
    let (Some(login), Some(name)) = (login, name) else {
        return unprocessable(page(&app, &r, layout, Some(("new".into(), form)), errors).await?);
    };
    let password = one_time::generate();
    let hash = app.auth.hasher.hash(password.clone()).await?;
    let actor = r.0.user_id;
    let entry = session_line(
        &r,
        "account_create",
        &meta,
        format!("registrar {login} created in the console"),
    );
    let l = login.clone();
    let result = run(&app, &r, meta, move |conn, _| {
        if models::find_by_login_id(conn, &l)?.is_some() {
            return Err(field("admin.registrars.login_taken", "login_id").into());
        }
        let id = models::insert(
            conn,
            &NewUser {
                login_id: &l,
                name: &name,
                password_hash: &hash,
                role: ROLE,
                department_id: None,
                class_year: None,
                status: "enrolled",
                max_credits: None,
            },
        )
        .map_err(forms::taken("admin.registrars.login_taken", "login_id"))?;
        let expires = one_time::issue(conn, id, &hash, actor)?;
        activity::record(conn, &entry)?;
        Ok(expires)
    })
    .await?;
    let expires_at = match result {
        Ok(at) => at,
        Err(TxFail::Field(f)) => return refused(&app, &r, layout, ("new".into(), form), f).await,
        Err(e) => return Err(fail(e)),
    };
    tracing::info!(registrar.id = actor, "registrar account created");
    password_answer(PasswordPage {
        layout,
        created: true,
        login_id: login,
        password,
        expires_at: shown(&expires_at),
    })
}

/// The sign-in form's login id messages, as the console's field messages.
fn admin_key(key: &str) -> &'static str {
    match key {
        "field.required" => "admin.error.required",
        "field.too_long" => "admin.registrars.login_too_long",
        _ => "admin.registrars.login_invalid",
    }
}

/// Locks the registrar rows and checks that `id` is a registrar that may be disabled.
fn check_disable(conn: &mut MysqlConnection, actor: i32, id: i32) -> Result<(), TxFail> {
    let active = q::lock_active(conn, ROLE)?;
    q::login_of(conn, id, ROLE)?;
    if id == actor {
        return Err(field("admin.registrars.not_self", "account").into());
    }
    if active == [id] {
        return Err(field("admin.registrars.last_active", "account").into());
    }
    Ok(())
}

/// Disables or enables the account `id` of `role` (registrars on this page, students from the
/// student's page); a disabled account's session ends once the change is committed.
async fn set_disabled(
    app: ConsoleApp,
    r: Registrar,
    layout: Layout,
    meta: RequestMeta,
    id: i32,
    disable: bool,
    role: &'static str,
) -> Result<HttpResponse, AppError> {
    let actor = r.0.user_id;
    let action = if disable {
        "account_disable"
    } else {
        "account_enable"
    };
    let mut entry = session_line(&r, action, &meta, String::new());
    if role == "student" {
        entry.student_id = Some(id);
    }
    let result = run_at(&app, &r, meta, Isolation::RepeatableRead, move |conn, _| {
        if disable && role == ROLE {
            check_disable(conn, actor, id)?;
        }
        let login = q::login_of(conn, id, role)?;
        let at = disable.then(|| Utc::now().naive_utc());
        q::set_disabled_at(conn, id, at)?;
        let mut entry = entry.clone();
        entry.detail = Some(format!(
            "{role} {login} {}",
            if disable { "disabled" } else { "enabled" }
        ));
        activity::record(conn, &entry)?;
        Ok(login)
    })
    .await?;
    let login = match result {
        Ok(login) => login,
        Err(TxFail::Field(f)) => {
            let failed = (format!("row-{id}"), CreateForm::default());
            return refused(&app, &r, layout, failed, f).await;
        }
        Err(e) => return Err(fail(e)),
    };
    let key = if disable {
        // Committed first, then the session goes: a sign-in racing with this sees one or the other.
        app.auth.sessions.end_disabled(id).await?;
        tracing::info!(registrar.id = actor, user.id = id, role, "account disabled");
        "admin.registrars.disabled"
    } else {
        tracing::info!(registrar.id = actor, user.id = id, role, "account enabled");
        "admin.registrars.enabled"
    };
    let msg = layout.lang.format(key, &[("login", login)]);
    let back = if role == ROLE {
        "/admin/registrars".to_string()
    } else {
        format!("/admin/students/{id}")
    };
    redirect(&app, &r, &back, Level::Ok, msg).await
}

pub async fn disable(c: Console, path: web::Path<i32>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    set_disabled(app, r, layout, meta, path.into_inner(), true, ROLE).await
}

pub async fn enable(c: Console, path: web::Path<i32>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    set_disabled(app, r, layout, meta, path.into_inner(), false, ROLE).await
}

/// The student's console page: disable the student's account (the session ends at once).
pub async fn disable_student(c: Console, path: web::Path<i32>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    set_disabled(app, r, layout, meta, path.into_inner(), true, "student").await
}

pub async fn enable_student(c: Console, path: web::Path<i32>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    set_disabled(app, r, layout, meta, path.into_inner(), false, "student").await
}

/// A new one-time password for a registrar account: shown once, its hash replaces the password,
/// and the account's session ends.
pub async fn one_time_password(c: Console, path: web::Path<i32>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    let password = one_time::generate();
    let hash = app.auth.hasher.hash(password.clone()).await?;
    let actor = r.0.user_id;
    let entry = session_line(&r, "one_time_password", &meta, String::new());
    let (login, expires_at) = app
        .db
        .run(move |conn| {
            Ok(tx(conn, Isolation::ReadCommitted, |conn| {
                let login = q::login_of(conn, id, ROLE)?;
                let expires = one_time::issue(conn, id, &hash, actor)?;
                let mut entry = entry.clone();
                entry.detail = Some(format!(
                    "one-time password issued for registrar {login}, valid {} h",
                    one_time::VALID_FOR_HOURS
                ));
                activity::record(conn, &entry)?;
                Ok((login, expires))
            }))
        })
        .await?
        .map_err(fail)?;
    app.auth.sessions.end_all(id).await?;
    tracing::info!(
        registrar.id = actor,
        user.id = id,
        "registrar one-time password issued"
    );
    password_answer(PasswordPage {
        layout,
        created: false,
        login_id: login,
        password,
        expires_at: shown(&expires_at),
    })
}
