//! Students: find by number or name; one student's enrollments, basket, waitlists, holds and
//! recent activity; holds added and released, the per-student credit limit, and the override
//! forms (`overrides`). Every write locks the student's row first, as registration does, so a
//! hold or a limit takes effect between two of the student's own requests, never inside one.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::audit_words;
use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{
    self, field, run, tx, unprocessable, Answer, Changed, Choice, Console, FieldError, FormErrors,
    Isolation, TxFail, Values,
};
use crate::admin::overrides::{self, Override, Remedy, WAIVABLE};
use crate::admin::queries::students as q;
use crate::auth::models::User;
use crate::auth::Registrar;
use crate::catalog::queries::current_term;
use crate::domain::CourseCode;
use crate::registration::queries::{self as reg, ActivityRow};
use crate::registration::rules::{Held, Refusal, SectionLabel};
use crate::registration::service::{self, WaitlistItem};
use crate::web::{html, AppError, Lang, Layout, RequestMeta};

const FOUND_LIMIT: i64 = 50;

// ---- search ----

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "admin/students.html")]
struct StudentsPage {
    layout: Layout,
    q: String,
    searched: bool,
    found: Vec<q::Found>,
    errors: FormErrors,
}

pub async fn search(c: Console, query: web::Query<SearchQuery>) -> Answer {
    let (app, layout, mut errors) = c.page();
    let q = forms::opt_text(&mut errors, "q", &query.q, 100).unwrap_or_default();
    let searched = !q.is_empty();
    if !errors.is_empty() {
        return unprocessable(StudentsPage {
            layout,
            q: query.q.chars().take(100).collect(),
            searched: false,
            found: Vec::new(),
            errors,
        });
    }
    let needle = q.clone();
    let found = if searched {
        app.db
            .query(move |conn| q::search(conn, &needle, FOUND_LIMIT))
            .await?
    } else {
        Vec::new()
    };
    html(StudentsPage {
        layout,
        q,
        searched,
        found,
        errors,
    })
}

// ---- one student ----

struct BasketRow {
    section_id: i32,
    label: SectionLabel,
}

#[derive(Template)]
#[template(path = "admin/student.html")]
struct StudentPage {
    layout: Layout,
    user: User,
    department: Option<String>,
    term_name: Option<String>,
    term_limit: Option<i8>,
    enrolled: Vec<Held>,
    credits: i32,
    basket: Vec<BasketRow>,
    waitlist: Vec<WaitlistItem>,
    holds: Vec<crate::admin::queries::Hold>,
    activity: Vec<ActivityRow>,
    labels: HashMap<i32, SectionLabel>,
    waivers: Vec<Choice>,
    values: Values,
    errors: FormErrors,
}

impl StudentPage {
    fn show(&self, l: &SectionLabel) -> String {
        l.show(self.layout.lang)
    }

    fn limit(&self) -> String {
        match (self.user.max_credits, self.term_limit) {
            (Some(own), _) => own.to_string(),
            (None, Some(t)) => t.to_string(),
            (None, None) => "-".into(),
        }
    }

    fn when(&self, at: &NaiveDateTime) -> String {
        forms::seoul_display(at)
    }

    fn action(&self, row: &ActivityRow) -> String {
        audit_words::action_name(self.layout.lang, &row.action)
    }

    fn outcome(&self, row: &ActivityRow) -> String {
        audit_words::outcome_name(self.layout.lang, &row.outcome)
    }

    fn detail(&self, row: &ActivityRow) -> String {
        match &row.detail {
            Some(d) => audit_words::describe(self.layout.lang, &row.action, d),
            None => String::new(),
        }
    }

    fn section(&self, row: &ActivityRow) -> String {
        match row.section_id {
            Some(id) => match self.labels.get(&id) {
                Some(l) => l.show(self.layout.lang),
                None => format!("#{id}"),
            },
            None => "-".into(),
        }
    }

    fn status(&self) -> &'static str {
        self.layout.t(&format!("status.{}", self.user.status))
    }

    fn active_holds(&self) -> usize {
        self.holds
            .iter()
            .filter(|h| h.released_at.is_none())
            .count()
    }
}

struct Loaded {
    user: User,
    department: Option<(String, String, String)>,
    term: Option<crate::catalog::Term>,
    enrolled: Vec<Held>,
    basket: Vec<BasketRow>,
    waitlist: Vec<WaitlistItem>,
    holds: Vec<crate::admin::queries::Hold>,
    activity: Vec<ActivityRow>,
    labels: HashMap<i32, SectionLabel>,
}

fn load(conn: &mut MysqlConnection, id: i32) -> QueryResult<Loaded> {
    let user = q::student(conn, id)?;
    let department = match user.department_id {
        Some(d) => q::department(conn, d)?,
        None => None,
    };
    let term = current_term(conn)?;
    let (enrolled, basket) = match &term {
        Some(t) => {
            let enrolled = reg::held_sections(conn, id, t.id, true)?;
            let rows = crate::admin::queries::basket_of(conn, id, t.id)?;
            let basket = rows
                .into_iter()
                .map(
                    |(section_id, course_code, section_no, title_ko, title_en)| BasketRow {
                        section_id,
                        label: SectionLabel {
                            course_code,
                            section_no,
                            title_ko,
                            title_en,
                        },
                    },
                )
                .collect();
            (enrolled, basket)
        }
        None => (Vec::new(), Vec::new()),
    };
    let waitlist = service::my_waitlist(conn, id)?;
    let holds = crate::admin::queries::holds_of(conn, id)?;
    let (activity, _) = reg::activity_page(conn, id, 1, 30)?;
    let ids: Vec<i32> = activity.iter().filter_map(|a| a.section_id).collect();
    let labels = reg::section_labels(conn, &ids)?;
    Ok(Loaded {
        user,
        department,
        term,
        enrolled,
        basket,
        waitlist,
        holds,
        activity,
        labels,
    })
}

fn waiver_choices(lang: Lang, current: &str) -> Vec<Choice> {
    let mut out = vec![Choice::new(
        "",
        lang.text("admin.override.waive_none"),
        current,
    )];
    out.extend(
        WAIVABLE
            .iter()
            .map(|r| Choice::new(r, lang.text(&format!("admin.override.waive.{r}")), current)),
    );
    out
}

async fn student_page(
    app: &ConsoleApp,
    layout: Layout,
    id: i32,
    values: Values,
    errors: FormErrors,
) -> Result<StudentPage, AppError> {
    let l = app.db.query(move |conn| load(conn, id)).await?;
    let lang = layout.lang;
    Ok(StudentPage {
        department: l
            .department
            .map(|(code, ko, en)| format!("{code} {}", forms::pick(lang, &ko, &en))),
        term_name: l
            .term
            .as_ref()
            .map(|t| forms::pick(lang, &t.name_ko, &t.name_en)),
        term_limit: l.term.as_ref().map(|t| t.max_credits),
        credits: l.enrolled.iter().map(|h| h.credits).sum(),
        waivers: waiver_choices(lang, values.v("waive").trim()),
        layout,
        user: l.user,
        enrolled: l.enrolled,
        basket: l.basket,
        waitlist: l.waitlist,
        holds: l.holds,
        activity: l.activity,
        labels: l.labels,
        values,
        errors,
    })
}

pub async fn show(c: Console, path: web::Path<i32>) -> Answer {
    let (app, layout, errors) = c.page();
    html(student_page(&app, layout, path.into_inner(), Values::default(), errors).await?)
}

/// Answers a student form: the student page with a message, or again with the refused form.
/// Overrides move seat counters: the seats-left signal follows at once.
async fn answer(
    app: &ConsoleApp,
    r: &Registrar,
    layout: Layout,
    id: i32,
    values: Values,
    result: Result<String, TxFail>,
) -> Result<HttpResponse, AppError> {
    let to = format!("/admin/students/{id}");
    forms::answer(app, r, layout.lang, &to, Changed::Seats, result, |errors| {
        student_page(app, layout, id, values, errors)
    })
    .await
}

fn lock(conn: &mut MysqlConnection, id: i32) -> Result<User, TxFail> {
    let user = reg::lock_student(conn, id)?;
    if user.role != "student" {
        return Err(TxFail::NotFound);
    }
    Ok(user)
}

pub async fn add_hold(c: Console, path: web::Path<i32>, values: Values) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    let mut errors = FormErrors::new(layout.lang);
    let Some(reason) = forms::text(&mut errors, "hold_reason", values.v("hold_reason"), 255) else {
        return unprocessable(student_page(&app, layout, id, values, errors).await?);
    };
    let lang = layout.lang;
    let result = run(&app, &r, meta, move |conn, act| {
        lock(conn, id)?;
        q::add_hold(conn, id, &reason, act.actor)?;
        act.record(conn, "hold_add", Some(id), None, reason.clone())?;
        Ok(lang.text("admin.hold.added").to_string())
    })
    .await?;
    answer(&app, &r, layout, id, values, result).await
}

/// The longest reason a registrar may give for releasing a hold (it goes to the audit line).
const RELEASE_REASON_MAX: usize = 200;

pub async fn release_hold(c: Console, path: web::Path<(i32, i32)>, mut values: Values) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let (id, hold_id) = path.into_inner();
    // The page shows a refusal beside the reason field of the hold it was about.
    values.set("release_hold", hold_id);
    let mut errors = FormErrors::new(layout.lang);
    let Some(release_reason) = forms::text(
        &mut errors,
        "release_reason",
        values.v("release_reason"),
        RELEASE_REASON_MAX,
    ) else {
        return unprocessable(student_page(&app, layout, id, values, errors).await?);
    };
    let lang = layout.lang;
    let result = run(&app, &r, meta, move |conn, act| {
        lock(conn, id)?;
        // The hold must be this student's: a wrong pair is a 404, not a release.
        if !q::has_hold(conn, id, hold_id)? {
            return Err(TxFail::NotFound);
        }
        if !q::release_hold(conn, hold_id, act.actor, Utc::now().naive_utc())? {
            // Released by someone else a moment ago: nothing left to do.
            return Ok(lang.text("admin.hold.already_released").to_string());
        }
        act.record(conn, "hold_release", Some(id), None, release_reason.clone())?;
        Ok(lang.text("admin.hold.released").to_string())
    })
    .await?;
    answer(&app, &r, layout, id, values, result).await
}

pub async fn credit_limit(c: Console, path: web::Path<i32>, values: Values) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    let mut errors = FormErrors::new(layout.lang);
    let raw = values.v("max_credits").trim();
    let limit = if raw.is_empty() {
        Some(None)
    } else {
        forms::int(&mut errors, "max_credits", raw, 0, 30).map(|n| Some(n as i8))
    };
    let Some(limit) = limit else {
        return unprocessable(student_page(&app, layout, id, values, errors).await?);
    };
    let lang = layout.lang;
    let result = run(&app, &r, meta, move |conn, act| {
        let user = lock(conn, id)?;
        q::set_credit_limit(conn, id, limit)?;
        act.record(
            conn,
            "credit_limit",
            Some(id),
            None,
            format!("{:?} -> {:?}", user.max_credits, limit),
        )?;
        Ok(match limit {
            Some(n) => lang.format("admin.limit.set", &[("credits", n.to_string())]),
            None => lang.text("admin.limit.cleared").to_string(),
        })
    })
    .await?;
    answer(&app, &r, layout, id, values, result).await
}

// ---- overrides ----

#[allow(clippy::too_many_arguments)]
/// Reads the override form: the section (an id, or a course code and section number of the
/// current term), the reason, and what is waived.
async fn read_override(
    app: &ConsoleApp,
    r: &Registrar,
    meta: &RequestMeta,
    student_id: i32,
    values: &Values,
    errors: &mut FormErrors,
    section_field: &'static str,
    reason_field: &'static str,
) -> Result<Option<Override>, AppError> {
    let reason = forms::text(errors, reason_field, values.v(reason_field), 300);
    let waive = match values.v("waive").trim() {
        "" => Some(None),
        w => match WAIVABLE.iter().find(|r| **r == w) {
            Some(rule) => Some(Some(*rule)),
            None => {
                errors.put("admin.error.choice", "waive");
                None
            }
        },
    };
    let section_id = match values.v(section_field).trim() {
        "" => {
            errors.put("admin.error.required", section_field);
            None
        }
        raw => resolve_section(app, raw, errors, section_field).await?,
    };
    let (Some(reason), Some(waive), Some(section_id)) = (reason, waive, section_id) else {
        return Ok(None);
    };
    Ok(Some(Override {
        registrar_id: r.0.user_id,
        student_id,
        section_id,
        beyond_capacity: values.on("beyond_capacity"),
        waive,
        reason,
        request_id: forms::request_id(meta),
        session_ref: Some(r.0.reference()),
        client_ip: meta.client_ip.clone(),
    }))
}

/// `1234` (a section id) or `CSE2010-01` / `CSE2010 1` (course code and number, current term).
async fn resolve_section(
    app: &ConsoleApp,
    raw: &str,
    errors: &mut FormErrors,
    name: &'static str,
) -> Result<Option<i32>, AppError> {
    if let Ok(id) = raw.parse::<i32>() {
        return Ok(Some(id).filter(|id| *id > 0).or_else(|| {
            errors.put("admin.override.no_section", name);
            None
        }));
    }
    let parsed = raw.split_once(['-', ' ']).and_then(|(code, no)| {
        let code = CourseCode::parse(code).ok()?;
        Some((String::from(code), no.trim().parse::<i16>().ok()?))
    });
    let Some((code, no)) = parsed else {
        errors.put("admin.override.section_format", name);
        return Ok(None);
    };
    let found = app
        .db
        .query(move |conn| crate::admin::queries::current_section_id(conn, &code, no))
        .await?;
    if found.is_none() {
        errors.put("admin.override.no_section", name);
    }
    Ok(found)
}

/// What an override does; both go through `run_override`.
#[derive(Debug, Clone, Copy)]
enum OverrideAct {
    Enroll,
    Drop,
}

impl OverrideAct {
    /// The form's section and reason fields.
    fn fields(self) -> (&'static str, &'static str) {
        match self {
            OverrideAct::Enroll => ("override_section", "override_reason"),
            OverrideAct::Drop => ("drop_section", "drop_reason"),
        }
    }

    fn action(self) -> &'static str {
        match self {
            OverrideAct::Enroll => "override_enroll",
            OverrideAct::Drop => "override_drop",
        }
    }
}

pub async fn override_enroll(c: Console, path: web::Path<i32>, values: Values) -> Answer {
    run_override(c, path.into_inner(), values, OverrideAct::Enroll).await
}

pub async fn override_drop(c: Console, path: web::Path<i32>, values: Values) -> Answer {
    run_override(c, path.into_inner(), values, OverrideAct::Drop).await
}

/// Reads the override form, runs it in one transaction (a refusal is logged with the rule's
/// code and shown beside the section field) and answers.
async fn run_override(c: Console, id: i32, values: Values, act: OverrideAct) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let (section_field, reason_field) = act.fields();
    let mut errors = FormErrors::new(layout.lang);
    let Some(o) = read_override(
        &app,
        &r,
        &meta,
        id,
        &values,
        &mut errors,
        section_field,
        reason_field,
    )
    .await?
    else {
        return unprocessable(student_page(&app, layout, id, values, errors).await?);
    };
    let lang = layout.lang;
    let result = app
        .db
        .run(move |conn| {
            let now = service::now_ms();
            let result = tx(conn, Isolation::ReadCommitted, |conn| match act {
                OverrideAct::Enroll => overrides::enroll(conn, &o, now).map(|label| {
                    lang.format("admin.override.enrolled", &[("section", label.show(lang))])
                }),
                OverrideAct::Drop => overrides::drop(conn, &o, now).map(|(label, promoted)| {
                    lang.format(
                        "admin.override.dropped",
                        &[
                            ("section", label.show(lang)),
                            ("promoted", promoted.to_string()),
                        ],
                    )
                }),
            });
            if let Err(TxFail::Refused(refusal)) = &result {
                overrides::record_refusal(conn, &o, act.action(), refusal)?;
            }
            Ok(result)
        })
        .await?;
    let result = match result {
        Err(TxFail::Refused(refusal)) => Err(TxFail::Field(refused_field(
            lang,
            section_field,
            &refusal,
            values.v("waive").trim(),
        ))),
        other => other,
    };
    answer(&app, &r, layout, id, values, result).await
}

/// A refused override, shown beside the section field: the rule's reason and, when a choice on
/// the form would lift it, that choice by its label on the form.
fn refused_field(
    lang: Lang,
    section_field: &'static str,
    refusal: &Refusal,
    waiving: &str,
) -> FieldError {
    let reason = refusal.message(lang);
    match overrides::remedy(refusal) {
        Some(Remedy::Waive(rule)) => {
            let key = if waiving.is_empty() {
                "admin.override.refused_waive"
            } else {
                // Only one rule is waived at a time; the one picked did not cover this one.
                "admin.override.refused_waive_one"
            };
            field(key, section_field)
                .arg("reason", reason)
                .arg("waiver", lang.text(&format!("admin.override.waive.{rule}")))
                .arg("list", lang.text("admin.override.waive"))
        }
        Some(Remedy::BeyondCapacity) if section_field == "override_section" => {
            field("admin.override.refused_full", section_field)
                .arg("reason", reason)
                .arg("choice", lang.text("admin.override.beyond_capacity"))
        }
        _ => field("admin.override.refused", section_field).arg("reason", reason),
    }
}
