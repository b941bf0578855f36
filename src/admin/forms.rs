//! The console kit: what every registrar action shares on top of the form kit (`web::form`,
//! re-exported here): the retrying transaction it runs in, the activity line with the registrar as
//! actor, the catalog version and seats signal after a committed change, and the answer (back to
//! the page with a message, or the page again with the refused field).

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use futures_util::future::LocalBoxFuture;

use crate::activity::{self, NewActivity};
use crate::app::AppState;
use crate::auth::{Auth, Registrar};
use crate::registration::rules::Refusal;
use crate::registration::seats::SeatSignal;
use crate::registration::Engine;
use crate::web::flash::Level;
use crate::web::{AppError, Layout, RequestMeta};

pub use crate::web::form::*;

/// What a console handler answers.
pub type Answer = Result<HttpResponse, AppError>;

/// The app as registrar actions use it: the shared state (what it derefs to), the seats signal a
/// committed change republishes, and sign-in's state for the actions on accounts.
#[derive(Clone)]
pub struct ConsoleApp {
    state: web::Data<AppState>,
    pub seats: Arc<SeatSignal>,
    pub auth: web::Data<Auth>,
}

impl Deref for ConsoleApp {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.state
    }
}

impl FromRequest for ConsoleApp {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts =
            <(web::Data<AppState>, web::Data<Engine>, web::Data<Auth>)>::from_request(req, payload);
        Box::pin(async move {
            let (state, engine, auth) = parts.await?;
            let seats = engine.seats.clone();
            Ok(ConsoleApp { state, seats, auth })
        })
    }
}

/// What every console handler takes: the app, the signed-in registrar (a student gets 403, a
/// visitor is sent to sign in, as with `Registrar` alone), the page's layout and the request's
/// metadata for activity lines.
pub struct Console {
    pub app: ConsoleApp,
    pub r: Registrar,
    pub layout: Layout,
    pub meta: RequestMeta,
}

impl Console {
    /// The parts, for a handler's first line: `let (app, r, layout, meta) = c.parts();`.
    pub fn parts(self) -> (ConsoleApp, Registrar, Layout, RequestMeta) {
        (self.app, self.r, self.layout, self.meta)
    }

    /// For a page shown fresh: the app, the layout and no errors yet.
    pub fn page(self) -> (ConsoleApp, Layout, FormErrors) {
        let errors = FormErrors::new(self.layout.lang);
        (self.app, self.layout, errors)
    }
}

impl FromRequest for Console {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts = <(ConsoleApp, Registrar, Layout, RequestMeta)>::from_request(req, payload);
        Box::pin(async move {
            let (app, r, layout, meta) = parts.await?;
            Ok(Console {
                app,
                r,
                layout,
                meta,
            })
        })
    }
}

// ---- transactions ----

/// Why a console write did not happen: a field that the locked, current data refused, a
/// registration rule, a missing row, or the database.
#[derive(Debug)]
pub enum TxFail {
    Field(FieldError),
    Refused(Refusal),
    NotFound,
    Db(DieselError),
}

impl From<DieselError> for TxFail {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => TxFail::NotFound,
            other => TxFail::Db(other),
        }
    }
}

impl From<FieldError> for TxFail {
    fn from(e: FieldError) -> Self {
        TxFail::Field(e)
    }
}

impl crate::db::tx::DbFailure for TxFail {
    fn db_error(&self) -> Option<&DieselError> {
        match self {
            TxFail::Db(e) => Some(e),
            _ => None,
        }
    }
}

pub fn is_unique_violation(e: &TxFail) -> bool {
    matches!(e, TxFail::Db(e) if crate::db::tx::is_unique_violation(e))
}

/// A unique violation as the refused field (`key` against `name`: a code or number already
/// taken); any other failure as it was.
pub fn taken(key: &'static str, name: &'static str) -> impl Fn(DieselError) -> TxFail {
    move |e| match TxFail::from(e) {
        e if is_unique_violation(&e) => TxFail::Field(field(key, name)),
        e => e,
    }
}

pub use crate::db::tx::Isolation;

/// Runs `f` in one transaction at `level` of the one kit (`db::tx`), retrying deadlock victims
/// from the start (the waitlist promotion a console write may trigger locks student rows after a
/// section row).
pub fn tx<T>(
    conn: &mut MysqlConnection,
    level: Isolation,
    f: impl Fn(&mut MysqlConnection) -> Result<T, TxFail>,
) -> Result<T, TxFail> {
    crate::db::tx::transaction(conn, Some(level), f)
}

/// A failure that is not a field's: missing rows are 404, the rest are the database's.
pub fn fail(e: TxFail) -> AppError {
    match e {
        TxFail::NotFound => AppError::NotFound,
        TxFail::Db(e) => e.into(),
        TxFail::Refused(r) => AppError::refused(r),
        TxFail::Field(f) => AppError::Validation(crate::web::Invalid {
            field: f.field,
            key: f.key,
            args: f.args,
        }),
    }
}

// ---- a registrar action ----

/// Who acts inside a console transaction, for its activity lines.
#[derive(Debug, Clone)]
pub struct Act {
    pub actor: i32,
    pub request_id: String,
    meta: RequestMeta,
}

impl Act {
    pub fn new(r: &Registrar, meta: RequestMeta) -> Act {
        Act {
            actor: r.0.user_id,
            request_id: request_id(&meta),
            meta,
        }
    }

    /// An activity line for `action` with the registrar as actor.
    pub fn line(&self, action: &'static str) -> NewActivity {
        let mut l = NewActivity::new(action, "ok", &self.meta);
        l.actor_id = Some(self.actor);
        l.request_id = self.request_id.clone();
        l
    }

    /// Records `action` about a student and/or a section, its detail clipped to the column.
    pub fn record(
        &self,
        conn: &mut MysqlConnection,
        action: &'static str,
        student_id: Option<i32>,
        section_id: Option<i32>,
        detail: impl Into<Option<String>>,
    ) -> QueryResult<()> {
        let mut l = self.line(action);
        l.student_id = student_id;
        l.section_id = section_id;
        l.detail = detail.into().map(clip);
        activity::record(conn, &l)
    }
}

/// An activity line for `action` by the registrar's session (actor and session reference), for
/// actions that write outside `run` (site controls, accounts).
pub fn session_line(
    r: &Registrar,
    action: &'static str,
    meta: &RequestMeta,
    detail: String,
) -> NewActivity {
    let mut l = NewActivity::new(action, "ok", meta);
    l.actor_id = Some(r.0.user_id);
    l.session_ref = Some(r.0.reference());
    l.detail = Some(clip(detail));
    l
}

/// An activity detail cut to what the log's column holds.
pub fn clip(s: String) -> String {
    s.chars().take(500).collect()
}

/// Runs a registrar action in one READ COMMITTED transaction (retried as one piece after a
/// deadlock); `f` writes its own activity lines through `Act`.
pub async fn run<T: Send + 'static>(
    app: &ConsoleApp,
    r: &Registrar,
    meta: RequestMeta,
    f: impl Fn(&mut MysqlConnection, &Act) -> Result<T, TxFail> + Send + 'static,
) -> Result<Result<T, TxFail>, AppError> {
    run_at(app, r, meta, Isolation::ReadCommitted, f).await
}

/// `run` at another isolation level (REPEATABLE READ for writes serialized by a locking scan).
pub async fn run_at<T: Send + 'static>(
    app: &ConsoleApp,
    r: &Registrar,
    meta: RequestMeta,
    level: Isolation,
    f: impl Fn(&mut MysqlConnection, &Act) -> Result<T, TxFail> + Send + 'static,
) -> Result<Result<T, TxFail>, AppError> {
    let act = Act::new(r, meta);
    Ok(app
        .db
        .run(move |conn| Ok(tx(conn, level, |conn| f(conn, &act))))
        .await?)
}

/// What a committed action changed beyond its own rows, for the pages that read caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// Sections, courses, terms or windows: bump the catalog version and republish seats.
    Catalog,
    /// Only seat counters: republish seats.
    Seats,
    /// Nothing the caches need to hear of (priority groups and their members, a new term,
    /// release times).
    Nothing,
}

/// Answers a console form: on success the post/redirect/get to `to` with `message` (after the
/// caches learn of the change); a refused field renders the page again (`page` builds it from
/// the errors) with 422; any other failure is an error page.
pub async fn answer<P, Fut>(
    app: &ConsoleApp,
    r: &Registrar,
    lang: crate::web::Lang,
    to: &str,
    changed: Changed,
    result: Result<String, TxFail>,
    page: impl FnOnce(FormErrors) -> Fut,
) -> Result<HttpResponse, AppError>
where
    P: askama::Template,
    Fut: Future<Output = Result<P, AppError>>,
{
    let result = result.map(|message| (to.to_string(), message));
    answer_at(app, r, lang, changed, result, page).await
}

/// `answer` where the change says where to go next and with which message (a new row's page).
pub async fn answer_at<P, Fut>(
    app: &ConsoleApp,
    r: &Registrar,
    lang: crate::web::Lang,
    changed: Changed,
    result: Result<(String, String), TxFail>,
    page: impl FnOnce(FormErrors) -> Fut,
) -> Result<HttpResponse, AppError>
where
    P: askama::Template,
    Fut: Future<Output = Result<P, AppError>>,
{
    match result {
        Ok((to, message)) => done(app, r, &to, changed, message).await,
        Err(TxFail::Field(f)) => {
            let mut errors = FormErrors::new(lang);
            errors.push(f);
            unprocessable(page(errors).await?)
        }
        Err(e) => Err(fail(e)),
    }
}

/// After a committed change: the caches learn of it, then the post/redirect/get to `to` with
/// `message`.
pub async fn done(
    app: &ConsoleApp,
    r: &Registrar,
    to: &str,
    changed: Changed,
    message: String,
) -> Result<HttpResponse, AppError> {
    match changed {
        Changed::Catalog => catalog_changed(app).await,
        Changed::Seats => app.seats.resync().await,
        Changed::Nothing => {}
    }
    redirect(app, r, to, Level::Ok, message).await
}

/// A page with several forms (a list with a form per row and one for a new row): a refused
/// form's errors show beside its own fields only.
pub trait SeveralForms {
    /// Which form the errors belong to (`new`, `rename-{id}`, ...).
    fn error_form(&self) -> &str;

    fn errors(&self) -> &FormErrors;

    /// The message for field `name` of form `form`, when that form was the refused one.
    fn err(&self, form: &str, name: &str) -> Option<String> {
        if self.error_form() == form {
            self.errors().get(name)
        } else {
            None
        }
    }
}

/// Post/redirect/get with a one-time message for the registrar.
pub async fn redirect(
    app: &ConsoleApp,
    registrar: &Registrar,
    to: &str,
    level: Level,
    message: String,
) -> Result<HttpResponse, AppError> {
    see_other(&app.cache, &registrar.0, to, level, message).await
}

/// After a committed catalog change: search and section pages show it on the next request. A
/// failed bump is logged, not reported: the change is committed and the cache catches up.
pub async fn catalog_changed(app: &ConsoleApp) {
    if let Err(e) = crate::catalog::bump_version(&app.cache).await {
        tracing::warn!(error = %e, "catalog version not bumped after a registrar change");
    }
    app.seats.resync().await;
}

/// What a console list (courses, sections) is asked for: a search text, filters where the list
/// has them, and a page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: String,
}

/// The page of a paged list asked for: 1 to 10 000, the first when missing or out of range.
pub fn page_number(raw: &str) -> i64 {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (1..=10_000).contains(p))
        .unwrap_or(1)
}

/// A short id for the activity log of a console action.
pub fn request_id(meta: &RequestMeta) -> String {
    if meta.request_id.len() > 1 {
        meta.request_id.clone()
    } else {
        uuid::Uuid::new_v4().simple().to_string()
    }
}
