//! The audit view: the activity log filtered by student, section, actor, action, outcome, request
//! id and time, newest first, a page at a time, sign-in lines hidden on request. Actions and
//! outcomes are picked from lists and shown by name (`audit_words`). Every filter is checked; a
//! bad one is shown beside its field.

use std::collections::HashMap;

use actix_web::web;
use askama::Template;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::audit_words::{self, ACTIONS, OUTCOMES, SIGN_IN};
use crate::admin::forms::{self, unprocessable, Answer, Choice, Console, FormErrors};
use crate::db::schema::{activity_log, users};
use crate::registration::queries as reg;
use crate::registration::rules::SectionLabel;
use crate::web::form::url_encode;
use crate::web::{html, Lang, Layout};

const PER_PAGE: i64 = 50;

/// How much of a request id the table shows; the full id is one click away (the filter).
const SHORT_ID: usize = 8;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    student: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    /// A request id, whole or its first characters (at least `SHORT_ID`).
    #[serde(default)]
    request: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
    /// `1`: leave out sign-in and sign-out lines.
    #[serde(default)]
    quiet: String,
}

/// The filters, checked.
#[derive(Debug, Default, Clone)]
struct Filters {
    student: Option<String>,
    section: Option<i32>,
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    request: Option<String>,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
    page: i64,
    quiet: bool,
}

/// One of `choices`, or nothing; anything else is refused beside its field.
fn choice(
    errors: &mut FormErrors,
    name: &'static str,
    raw: &str,
    choices: &[&'static str],
) -> Option<String> {
    let v = raw.trim();
    if v.is_empty() {
        return None;
    }
    match choices.iter().find(|c| **c == v) {
        Some(c) => Some(c.to_string()),
        None => {
            errors.put("admin.error.choice", name);
            None
        }
    }
}

fn login(errors: &mut FormErrors, name: &'static str, raw: &str) -> Option<String> {
    let v = raw.trim();
    if v.is_empty() {
        return None;
    }
    if v.len() > 32
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        errors.put("admin.audit.bad_login", name);
        return None;
    }
    Some(v.to_string())
}

/// A request id or its start: the ids the log writes are letters and digits (a uuid's hex), and
/// a `%` or `_` could not be one, so the prefix needs no escaping in `LIKE`.
fn request_id(errors: &mut FormErrors, raw: &str) -> Option<String> {
    let v = raw.trim();
    if v.is_empty() {
        return None;
    }
    if !(SHORT_ID..=64).contains(&v.len())
        || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        errors.put("admin.audit.bad_request_id", "request");
        return None;
    }
    Some(v.to_ascii_lowercase())
}

fn check(q: &AuditQuery, errors: &mut FormErrors) -> Filters {
    let section = match q.section.trim() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors.put("admin.error.number", "section");
                None
            }
        },
    };
    let from = match q.from.trim() {
        "" => None,
        raw => forms::seoul_datetime(errors, "from", raw),
    };
    let to = match q.to.trim() {
        "" => None,
        raw => forms::seoul_datetime(errors, "to", raw),
    };
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            errors.put("admin.error.end_before_start", "to");
        }
    }
    let page = match q.page.trim() {
        "" => 1,
        raw => match raw.parse::<i64>() {
            Ok(p) if (1..=100_000).contains(&p) => p,
            _ => {
                errors.put("admin.error.number", "page");
                1
            }
        },
    };
    Filters {
        student: login(errors, "student", &q.student),
        section,
        actor: login(errors, "actor", &q.actor),
        action: choice(errors, "action", &q.action, ACTIONS),
        outcome: choice(errors, "outcome", &q.outcome, OUTCOMES),
        request: request_id(errors, &q.request),
        from,
        to,
        page,
        quiet: forms::checked(q.quiet.trim()),
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activity_log, check_for_backend(diesel::mysql::Mysql))]
struct Entry {
    id: i64,
    at: NaiveDateTime,
    actor_id: Option<i32>,
    student_id: Option<i32>,
    action: String,
    section_id: Option<i32>,
    outcome: String,
    detail: Option<String>,
    request_id: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    q: AuditQuery,
    rows: Vec<Entry>,
    logins: HashMap<i32, String>,
    labels: HashMap<i32, SectionLabel>,
    page: i64,
    more: bool,
    errors: FormErrors,
}

impl AuditPage {
    fn when(&self, e: &Entry) -> String {
        forms::seoul_display(&e.at)
    }

    fn who(&self, id: &Option<i32>) -> String {
        match id {
            Some(id) => self
                .logins
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("#{id}")),
            None => "-".into(),
        }
    }

    fn action(&self, e: &Entry) -> String {
        audit_words::action_name(self.layout.lang, &e.action)
    }

    fn outcome(&self, e: &Entry) -> String {
        audit_words::outcome_name(self.layout.lang, &e.outcome)
    }

    fn detail(&self, e: &Entry) -> String {
        let lang = self.layout.lang;
        match &e.detail {
            Some(d) if e.action == "swap" => {
                audit_words::swap(lang, d, |id| self.labels.get(&id).map(SectionLabel::code))
            }
            Some(d) => audit_words::describe(lang, &e.action, d),
            None => String::new(),
        }
    }

    /// The request id as the table shows it: its first characters, enough to tell lines apart.
    fn short_id<'a>(&self, e: &'a Entry) -> &'a str {
        e.request_id.get(..SHORT_ID).unwrap_or(&e.request_id)
    }

    /// What the short id's link does, with the whole id, for screen readers.
    fn request_label(&self, e: &Entry) -> String {
        self.layout
            .lang
            .format("admin.audit.request_title", &[("id", e.request_id.clone())])
    }

    /// Every line of the request whose id this row carries.
    fn request_href(&self, e: &Entry) -> String {
        format!("/admin/audit?request={}", url_encode(&e.request_id))
    }

    fn quiet(&self) -> bool {
        forms::checked(self.q.quiet.trim())
    }

    /// The action list: "any", then every action by name.
    fn actions(&self) -> Vec<Choice> {
        self.choices(ACTIONS, self.q.action.trim(), audit_words::action_name)
    }

    fn outcomes(&self) -> Vec<Choice> {
        self.choices(OUTCOMES, self.q.outcome.trim(), audit_words::outcome_name)
    }

    fn choices(
        &self,
        codes: &[&'static str],
        current: &str,
        name: fn(Lang, &str) -> String,
    ) -> Vec<Choice> {
        let lang = self.layout.lang;
        let mut out = vec![Choice::new("", lang.text("admin.audit.any"), current)];
        out.extend(codes.iter().map(|c| Choice::new(c, name(lang, c), current)));
        out
    }

    fn section(&self, id: &i32) -> String {
        match self.labels.get(id) {
            Some(l) => l.show(self.layout.lang),
            None => format!("#{id}"),
        }
    }

    fn page_href(&self, page: i64) -> String {
        self.href(page, self.quiet())
    }

    /// The same filters with sign-in lines hidden or shown: one click either way.
    fn toggle_href(&self) -> String {
        self.href(1, !self.quiet())
    }

    fn href(&self, page: i64, quiet: bool) -> String {
        let q = &self.q;
        format!(
            "/admin/audit?student={}&section={}&actor={}&action={}&outcome={}&request={}&from={}&to={}{}&page={page}",
            url_encode(q.student.trim()),
            url_encode(q.section.trim()),
            url_encode(q.actor.trim()),
            url_encode(q.action.trim()),
            url_encode(q.outcome.trim()),
            url_encode(q.request.trim()),
            url_encode(q.from.trim()),
            url_encode(q.to.trim()),
            if quiet { "&quiet=1" } else { "" },
        )
    }
}

enum Found {
    Rows(Vec<Entry>, HashMap<i32, String>, HashMap<i32, SectionLabel>),
    UnknownStudent,
    UnknownActor,
}

fn user_id(
    conn: &mut MysqlConnection,
    login_id: &Option<String>,
) -> QueryResult<Option<Option<i32>>> {
    match login_id {
        None => Ok(Some(None)),
        Some(l) => Ok(users::table
            .filter(users::login_id.eq(l))
            .select(users::id)
            .first::<i32>(conn)
            .optional()?
            .map(Some)),
    }
}

fn search(conn: &mut MysqlConnection, f: &Filters) -> QueryResult<Found> {
    let Some(student) = user_id(conn, &f.student)? else {
        return Ok(Found::UnknownStudent);
    };
    let Some(actor) = user_id(conn, &f.actor)? else {
        return Ok(Found::UnknownActor);
    };
    let mut query = activity_log::table
        .select(Entry::as_select())
        .order((activity_log::at.desc(), activity_log::id.desc()))
        .offset((f.page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
        .into_boxed();
    if let Some(s) = student {
        query = query.filter(activity_log::student_id.eq(s));
    }
    if let Some(a) = actor {
        query = query.filter(activity_log::actor_id.eq(a));
    }
    if let Some(s) = f.section {
        query = query.filter(activity_log::section_id.eq(s));
    }
    if let Some(a) = &f.action {
        query = query.filter(activity_log::action.eq(a.clone()));
    }
    if let Some(o) = &f.outcome {
        query = query.filter(activity_log::outcome.eq(o.clone()));
    }
    if let Some(r) = &f.request {
        query = query.filter(activity_log::request_id.like(format!("{r}%")));
    }
    if f.quiet {
        query = query.filter(activity_log::action.ne_all(SIGN_IN.to_vec()));
    }
    if let Some(from) = f.from {
        query = query.filter(activity_log::at.ge(from));
    }
    if let Some(to) = f.to {
        query = query.filter(activity_log::at.lt(to));
    }
    let rows: Vec<Entry> = query.load(conn)?;
    let mut ids: Vec<i32> = rows
        .iter()
        .flat_map(|r| [r.actor_id, r.student_id])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let logins = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::login_id))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .collect();
    // A swap names two sections in its detail: both are labelled in the same one query.
    let mut section_ids: Vec<i32> = rows
        .iter()
        .flat_map(|r| {
            let swapped = match (r.action.as_str(), &r.detail) {
                ("swap", Some(d)) => audit_words::swap_sections(d),
                _ => None,
            };
            [r.section_id]
                .into_iter()
                .chain(swapped.into_iter().flat_map(|(a, b)| [Some(a), Some(b)]))
        })
        .flatten()
        .collect();
    section_ids.sort_unstable();
    section_ids.dedup();
    let labels = reg::section_labels(conn, &section_ids)?;
    Ok(Found::Rows(rows, logins, labels))
}

pub async fn page(c: Console, query: web::Query<AuditQuery>) -> Answer {
    let (app, _, layout, _) = c.parts();
    let q = query.into_inner();
    let mut errors = FormErrors::new(layout.lang);
    let filters = check(&q, &mut errors);
    let mut page = AuditPage {
        layout,
        q,
        rows: Vec::new(),
        logins: HashMap::new(),
        labels: HashMap::new(),
        page: filters.page,
        more: false,
        errors,
    };
    if !page.errors.is_empty() {
        return unprocessable(page);
    }
    let found = app.db.query(move |conn| search(conn, &filters)).await?;
    match found {
        Found::Rows(mut rows, logins, labels) => {
            page.more = rows.len() as i64 > PER_PAGE;
            rows.truncate(PER_PAGE as usize);
            page.rows = rows;
            page.logins = logins;
            page.labels = labels;
            html(page)
        }
        Found::UnknownStudent => {
            page.errors.put("admin.audit.unknown_user", "student");
            unprocessable(page)
        }
        Found::UnknownActor => {
            page.errors.put("admin.audit.unknown_user", "actor");
            unprocessable(page)
        }
    }
}
