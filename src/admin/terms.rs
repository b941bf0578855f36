//! Terms and their registration windows: create a term, make one current (exactly one, in one
//! statement), and per term the windows of each phase and cohort. Window writes lock the term's
//! row first, so the overlap check and the write are one decision even with two registrars.

use actix_web::web;
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{
    self, fail, field, run, unprocessable, Act, Answer, Changed, Choice, Console, FormErrors,
    TxFail,
};
use crate::admin::groups::PriorityGroup;
use crate::admin::queries::terms as q;
use crate::catalog::models::{NewTerm, NewWindow};
use crate::catalog::{Parity, Term, Window, WindowState};
use crate::web::{html, AppError, Lang, Layout};

pub const SEASONS: &[&str] = &["spring", "summer", "fall", "winter"];
pub const PHASES: &[&str] = &["basket", "register", "add_drop"];
pub const COHORTS: &[&str] = &["all", "year1", "year2", "year3", "year4"];

// ---- pure checks ----

/// The first window of the same phase and cohort (other than `except`) whose half-open span
/// meets `[opens, closes)`.
pub fn overlapping<'a>(
    windows: &'a [Window],
    except: Option<i32>,
    phase: &str,
    cohort: &str,
    opens: NaiveDateTime,
    closes: NaiveDateTime,
) -> Option<&'a Window> {
    windows.iter().find(|w| {
        Some(w.id) != except
            && w.phase == phase
            && w.cohort == cohort
            && w.opens_at < closes
            && opens < w.closes_at
    })
}

// ---- terms list ----

#[derive(Debug, Default, Deserialize)]
pub struct TermForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    season: String,
    #[serde(default)]
    name_ko: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    max_credits: String,
}

struct ValidTerm {
    year: i16,
    season: String,
    name_ko: String,
    name_en: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    max_credits: i8,
}

fn validate_term(f: &TermForm, errors: &mut FormErrors) -> Option<ValidTerm> {
    let year = forms::int(errors, "year", &f.year, 2000, 2100);
    let season = f.season.trim();
    if !SEASONS.contains(&season) {
        errors.put("admin.error.choice", "season");
    }
    let name_ko = forms::text(errors, "name_ko", &f.name_ko, 100);
    let name_en = forms::text(errors, "name_en", &f.name_en, 100);
    let starts_on = forms::date(errors, "starts_on", &f.starts_on);
    let ends_on = forms::date(errors, "ends_on", &f.ends_on);
    if let (Some(s), Some(e)) = (starts_on, ends_on) {
        if s >= e {
            errors.put("admin.error.end_before_start", "ends_on");
        }
    }
    let max_credits = forms::int(errors, "max_credits", &f.max_credits, 1, 30);
    if !errors.is_empty() {
        return None;
    }
    Some(ValidTerm {
        year: year? as i16,
        season: season.to_string(),
        name_ko: name_ko?,
        name_en: name_en?,
        starts_on: starts_on?,
        ends_on: ends_on?,
        max_credits: max_credits? as i8,
    })
}

#[derive(Template)]
#[template(path = "admin/terms.html")]
struct TermsPage {
    layout: Layout,
    terms: Vec<Term>,
    form: TermForm,
    seasons: Vec<Choice>,
    errors: FormErrors,
}

impl TermsPage {
    fn name(&self, t: &Term) -> String {
        forms::pick(self.layout.lang, &t.name_ko, &t.name_en)
    }
}

fn season_choices(lang: Lang, current: &str) -> Vec<Choice> {
    SEASONS
        .iter()
        .map(|s| Choice::new(s, lang.text(&format!("season.{s}")), current))
        .collect()
}

async fn terms_page(
    app: &ConsoleApp,
    layout: Layout,
    form: TermForm,
    errors: FormErrors,
) -> Result<TermsPage, AppError> {
    let terms = app.db.query(q::all).await?;
    let seasons = season_choices(layout.lang, form.season.trim());
    Ok(TermsPage {
        layout,
        terms,
        form,
        seasons,
        errors,
    })
}

pub async fn list(c: Console) -> Answer {
    let (app, layout, errors) = c.page();
    let form = TermForm {
        max_credits: "18".into(),
        ..TermForm::default()
    };
    html(terms_page(&app, layout, form, errors).await?)
}

pub async fn create(c: Console, form: web::Form<TermForm>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let form = form.into_inner();
    let mut errors = FormErrors::new(layout.lang);
    let Some(v) = validate_term(&form, &mut errors) else {
        return unprocessable(terms_page(&app, layout, form, errors).await?);
    };
    let lang = layout.lang;
    let name = forms::pick(lang, &v.name_ko, &v.name_en);
    let message = lang.format("admin.term.created", &[("name", name)]);
    let result = run(&app, &r, meta, move |conn, act| {
        let new = NewTerm {
            year: v.year,
            season: &v.season,
            name_ko: &v.name_ko,
            name_en: &v.name_en,
            starts_on: v.starts_on,
            ends_on: v.ends_on,
            is_current: false,
            max_credits: v.max_credits,
        };
        let id = q::insert(conn, &new).map_err(forms::taken("admin.term.exists", "year"))?;
        let detail = format!("term {id} {} {}", v.year, v.season);
        act.record(conn, "term_create", None, None, detail)?;
        Ok((format!("/admin/terms/{id}"), message.clone()))
    })
    .await?;
    forms::answer_at(&app, &r, lang, Changed::Nothing, result, |errors| {
        terms_page(&app, layout, form, errors)
    })
    .await
}

pub async fn set_current(c: Console, path: web::Path<i32>) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    let term = run(&app, &r, meta, move |conn, act| {
        let term = q::make_current(conn, id)?;
        let detail = format!("term {} {} {}", term.id, term.year, term.season);
        act.record(conn, "term_current", None, None, detail)?;
        Ok(term)
    })
    .await?
    .map_err(fail)?;
    let name = forms::pick(layout.lang, &term.name_ko, &term.name_en);
    let msg = layout
        .lang
        .format("admin.term.now_current", &[("name", name)]);
    forms::done(&app, &r, "/admin/terms", Changed::Catalog, msg).await
}

// ---- one term and its windows ----

#[derive(Debug, Default, Clone, Deserialize)]
pub struct WindowForm {
    #[serde(default)]
    phase: String,
    #[serde(default)]
    cohort: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
    /// A priority group's id, or empty: everyone of the cohort.
    #[serde(default)]
    group: String,
    /// `odd`, `even`, or empty: every student number.
    #[serde(default)]
    parity: String,
}

struct WindowRow {
    id: i32,
    phase: String,
    cohort: String,
    /// The group and parity the window names, in words (empty when none).
    target: String,
    opens: String,
    closes: String,
    state: WindowState,
    form: WindowForm,
    edit_key: String,
    extend_key: String,
    phases: Vec<Choice>,
    cohorts: Vec<Choice>,
    groups: Vec<Choice>,
    parities: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin/term.html")]
struct TermPage {
    layout: Layout,
    term: Term,
    windows: Vec<WindowRow>,
    new_form: WindowForm,
    phases: Vec<Choice>,
    cohorts: Vec<Choice>,
    groups: Vec<Choice>,
    parities: Vec<Choice>,
    /// The seat-release times as the form shows them (what was posted, after a refusal).
    release_times: String,
    /// Which form the errors belong to: `new`, `edit-{id}`, `extend-{id}` or `release`.
    error_form: String,
    errors: FormErrors,
}

impl TermPage {
    fn name(&self) -> String {
        forms::pick(self.layout.lang, &self.term.name_ko, &self.term.name_en)
    }

    fn err(&self, form: &str, name: &str) -> Option<String> {
        if self.error_form == form {
            self.errors.get(name)
        } else {
            None
        }
    }
}

fn phase_choices(lang: Lang, current: &str) -> Vec<Choice> {
    PHASES
        .iter()
        .map(|p| Choice::new(p, lang.text(&format!("phase.{p}")), current))
        .collect()
}

fn cohort_choices(lang: Lang, current: &str) -> Vec<Choice> {
    COHORTS
        .iter()
        .map(|c| Choice::new(c, lang.text(&format!("cohort.{c}")), current))
        .collect()
}

/// Group options for a window's `<select>`: none (everyone of the cohort) first.
fn group_choices(lang: Lang, groups: &[PriorityGroup], current: &str) -> Vec<Choice> {
    std::iter::once(Choice::new(
        "",
        lang.text("admin.window.group_none"),
        current,
    ))
    .chain(groups.iter().map(|g| {
        let name = forms::pick(lang, &g.name_ko, &g.name_en);
        Choice::new(g.id, format!("{} {}", g.code, name), current)
    }))
    .collect()
}

fn parity_choices(lang: Lang, current: &str) -> Vec<Choice> {
    std::iter::once(Choice::new("", lang.text("parity.any"), current))
        .chain(Parity::ALL.iter().map(|p| {
            Choice::new(
                p.as_str(),
                lang.text(&format!("parity.{}", p.as_str())),
                current,
            )
        }))
        .collect()
}

/// What a window names besides its cohort, in words: `장애학생 · 홀수 학번`.
fn target_words(lang: Lang, w: &Window, groups: &[PriorityGroup]) -> String {
    let mut parts = Vec::new();
    if let Some(g) = w.group_id.and_then(|id| groups.iter().find(|g| g.id == id)) {
        parts.push(forms::pick(lang, &g.name_ko, &g.name_en));
    }
    if let Some(p) = &w.parity {
        parts.push(lang.text(&format!("parity.{p}")).to_string());
    }
    parts.join(" · ")
}

fn load_term(
    conn: &mut MysqlConnection,
    id: i32,
) -> QueryResult<(Term, Vec<Window>, Vec<PriorityGroup>)> {
    let term = q::find(conn, id)?;
    let windows = q::windows_of(conn, id)?;
    let groups = crate::admin::queries::groups::all(conn)?;
    Ok((term, windows, groups))
}

/// The term page; `failed` re-fills the form that was refused with what was posted.
async fn term_page(
    app: &ConsoleApp,
    layout: Layout,
    id: i32,
    failed: Option<(String, WindowForm)>,
    errors: FormErrors,
) -> Result<TermPage, AppError> {
    let (term, windows, groups) = app.db.query(move |conn| load_term(conn, id)).await?;
    let now = Utc::now();
    let lang = layout.lang;
    let (error_form, posted) = failed.unwrap_or_default();
    let rows = windows
        .iter()
        .map(|w| {
            let edit_key = format!("edit-{}", w.id);
            let extend_key = format!("extend-{}", w.id);
            let mut form = WindowForm {
                phase: w.phase.clone(),
                cohort: w.cohort.clone(),
                opens_at: forms::datetime_input(&w.opens_at),
                closes_at: forms::datetime_input(&w.closes_at),
                group: w.group_id.map(|g| g.to_string()).unwrap_or_default(),
                parity: w.parity.clone().unwrap_or_default(),
            };
            if error_form == edit_key {
                form = posted.clone();
            } else if error_form == extend_key {
                form.closes_at = posted.closes_at.clone();
            }
            WindowRow {
                id: w.id,
                phase: w.phase.clone(),
                cohort: w.cohort.clone(),
                target: target_words(lang, w, &groups),
                opens: forms::seoul_display(&w.opens_at),
                closes: forms::seoul_display(&w.closes_at),
                state: w.state(now),
                phases: phase_choices(lang, &form.phase),
                cohorts: cohort_choices(lang, &form.cohort),
                groups: group_choices(lang, &groups, &form.group),
                parities: parity_choices(lang, &form.parity),
                form,
                edit_key,
                extend_key,
            }
        })
        .collect();
    let new_form = if error_form == "new" {
        posted
    } else {
        WindowForm {
            phase: "register".into(),
            cohort: "all".into(),
            ..WindowForm::default()
        }
    };
    Ok(TermPage {
        phases: phase_choices(lang, &new_form.phase),
        cohorts: cohort_choices(lang, &new_form.cohort),
        groups: group_choices(lang, &groups, &new_form.group),
        parities: parity_choices(lang, &new_form.parity),
        layout,
        release_times: term.release_times.clone().unwrap_or_default(),
        term,
        windows: rows,
        new_form,
        error_form,
        errors,
    })
}

pub async fn show(c: Console, path: web::Path<i32>) -> Answer {
    let (app, layout, errors) = c.page();
    html(term_page(&app, layout, path.into_inner(), None, errors).await?)
}

/// The term's seat-release times (`registration::release`): Seoul times, stored sorted and
/// without repeats; blank turns the feature off. Seats already held keep their release time.
pub async fn set_release_times(c: Console, path: web::Path<i32>, form: forms::Values) -> Answer {
    let (app, r, layout, meta) = c.parts();
    use crate::registration::release::{ReleaseTimes, ReleaseTimesError, MAX_TIMES};
    let term_id = path.into_inner();
    let posted = form.v("release_times").to_string();
    let times = match ReleaseTimes::parse(&posted) {
        Ok(times) => times,
        Err(e) => {
            let mut errors = FormErrors::new(layout.lang);
            errors.push(match e {
                ReleaseTimesError::NotATime(part) => {
                    field("admin.term.release_times_invalid", "release_times").arg("value", part)
                }
                ReleaseTimesError::TooMany => {
                    field("admin.term.release_times_too_many", "release_times")
                        .arg("max", MAX_TIMES)
                }
            });
            let mut page = term_page(&app, layout, term_id, None, errors).await?;
            page.error_form = "release".into();
            page.release_times = posted;
            return unprocessable(page);
        }
    };
    let stored = times.as_ref().map(ToString::to_string);
    let detail = stored.clone().unwrap_or_else(|| "off".into());
    run(&app, &r, meta, move |conn, act| {
        if !q::set_release_times(conn, term_id, stored.as_deref())? {
            return Err(TxFail::NotFound);
        }
        act.record(conn, "release_times", None, None, detail.clone())?;
        Ok(())
    })
    .await?
    .map_err(fail)?;
    let msg = match &times {
        Some(t) => layout.lang.format(
            "admin.term.release_times_saved",
            &[("times", t.to_string())],
        ),
        None => layout.lang.text("admin.term.release_times_off").to_string(),
    };
    let to = format!("/admin/terms/{term_id}");
    forms::done(&app, &r, &to, Changed::Nothing, msg).await
}

struct ValidWindow {
    phase: String,
    cohort: String,
    opens_at: NaiveDateTime,
    closes_at: NaiveDateTime,
    group_id: Option<i32>,
    parity: Option<Parity>,
}

impl ValidWindow {
    /// Under the term's window locks: the window's group exists (its code, for the log), and no
    /// other window (`except` the one being changed) of the same target overlaps it.
    fn check_locked(
        &self,
        conn: &mut MysqlConnection,
        windows: &[Window],
        except: Option<i32>,
        lang: Lang,
    ) -> Result<Option<String>, TxFail> {
        let code = lock_group(conn, self.group_id)?;
        let same = same_target(windows, self.group_id, self.parity.map(Parity::as_str));
        let (phase, cohort) = (&self.phase, &self.cohort);
        if let Some(w) = overlapping(&same, except, phase, cohort, self.opens_at, self.closes_at) {
            return Err(overlap_error(lang, w));
        }
        Ok(code)
    }

    /// Under the term's window locks (`windows`, read under them): creates the window in term
    /// `term_id`, or changes window `id`, and records the activity line.
    fn save(
        &self,
        conn: &mut MysqlConnection,
        act: &Act,
        term_id: i32,
        id: Option<i32>,
        windows: &[Window],
        lang: Lang,
    ) -> Result<(), TxFail> {
        let code = self.check_locked(conn, windows, id, lang)?;
        let parity = self.parity.map(Parity::as_str);
        let new = NewWindow {
            term_id,
            phase: &self.phase,
            cohort: &self.cohort,
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            group_id: self.group_id,
            parity,
        };
        let (action, prefix) = match id {
            None => {
                q::insert_window(conn, &new)?;
                ("window_create", format!("term {term_id}"))
            }
            Some(id) => {
                q::update_window(conn, id, &new)?;
                ("window_update", format!("window {id}:"))
            }
        };
        let detail = self.detail(&prefix, code.as_deref());
        act.record(conn, action, None, None, detail)?;
        Ok(())
    }

    /// The activity detail after `prefix` (`term 3`, `window 12:`).
    fn detail(&self, prefix: &str, group_code: Option<&str>) -> String {
        format!(
            "{prefix} {} {} {} - {} UTC",
            self.phase,
            self.target(group_code),
            self.opens_at,
            self.closes_at
        )
    }

    /// How the activity line names the window's target: the cohort, then `group=CODE` and
    /// `parity=odd` when the window names them (`audit_words::window` reads it back).
    fn target(&self, group_code: Option<&str>) -> String {
        let group = group_code
            .map(|g| format!(" group={g}"))
            .unwrap_or_default();
        let parity = self
            .parity
            .map(|p| format!(" parity={}", p.as_str()))
            .unwrap_or_default();
        format!("{}{group}{parity}", self.cohort)
    }
}

fn validate_window(f: &WindowForm, errors: &mut FormErrors) -> Option<ValidWindow> {
    let phase = f.phase.trim();
    if !PHASES.contains(&phase) {
        errors.put("admin.error.choice", "phase");
    }
    let cohort = f.cohort.trim();
    if !COHORTS.contains(&cohort) {
        errors.put("admin.error.choice", "cohort");
    }
    let group_id = match f.group.trim() {
        "" => Some(None),
        raw => match raw.parse::<i32>() {
            Ok(id) if id > 0 => Some(Some(id)),
            _ => {
                errors.put("admin.error.choice", "group");
                None
            }
        },
    };
    let parity = match f.parity.trim() {
        "" => Some(None),
        raw => match Parity::parse(raw) {
            Some(p) => Some(Some(p)),
            None => {
                errors.put("admin.error.choice", "parity");
                None
            }
        },
    };
    let opens_at = forms::seoul_datetime(errors, "opens_at", &f.opens_at);
    let closes_at = forms::seoul_datetime(errors, "closes_at", &f.closes_at);
    if let (Some(o), Some(c)) = (opens_at, closes_at) {
        if o >= c {
            errors.put("admin.error.end_before_start", "closes_at");
        }
    }
    if !errors.is_empty() {
        return None;
    }
    Some(ValidWindow {
        phase: phase.to_string(),
        cohort: cohort.to_string(),
        opens_at: opens_at?,
        closes_at: closes_at?,
        group_id: group_id?,
        parity: parity?,
    })
}

/// The windows of `windows` aimed at the same group and parity as `group_id` and `parity`:
/// only those can overlap (a group's day may lie inside everyone's, and odd numbers' inside
/// even numbers').
fn same_target(windows: &[Window], group_id: Option<i32>, parity: Option<&str>) -> Vec<Window> {
    windows
        .iter()
        .filter(|w| w.group_id == group_id && w.parity.as_deref() == parity)
        .cloned()
        .collect()
}

/// Locks the group a window names (so it cannot be deleted meanwhile) and returns its code; a
/// group that is gone is the form's error.
fn lock_group(conn: &mut MysqlConnection, group_id: Option<i32>) -> Result<Option<String>, TxFail> {
    let Some(id) = group_id else {
        return Ok(None);
    };
    let found = q::lock_group(conn, id)?;
    match found {
        Some(code) => Ok(Some(code)),
        None => Err(field("admin.window.no_group", "group").into()),
    }
}

fn overlap_error(lang: Lang, w: &Window) -> TxFail {
    TxFail::Field(
        field("admin.window.overlaps", "opens_at")
            .arg("phase", lang.text(&format!("phase.{}", w.phase)))
            .arg("cohort", lang.text(&format!("cohort.{}", w.cohort)))
            .arg("opens", forms::seoul_display(&w.opens_at))
            .arg("closes", forms::seoul_display(&w.closes_at)),
    )
}

/// A window form's change inside its transaction: the term's windows, read under the term's
/// window lock, and what the form posted.
struct Locked<'a, P> {
    conn: &'a mut MysqlConnection,
    act: &'a Act,
    windows: Vec<Window>,
    posted: &'a P,
    lang: Lang,
}

/// One window form of the term page (`key` names it there): `parse` reads what was posted
/// (refused values show the page again with 422); `write` changes the term's windows in one
/// console transaction; the answer is the term page with the message `done`, or the page again
/// with the refused form's errors.
async fn window_form<P: Send + 'static>(
    c: Console,
    term_id: i32,
    (key, form): (String, WindowForm),
    parse: impl FnOnce(&WindowForm, &mut FormErrors) -> Option<P>,
    write: impl Fn(Locked<'_, P>) -> Result<(), TxFail> + Send + 'static,
    done: &'static str,
) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let lang = layout.lang;
    let mut errors = FormErrors::new(lang);
    let Some(parsed) = parse(&form, &mut errors).filter(|_| errors.is_empty()) else {
        return unprocessable(term_page(&app, layout, term_id, Some((key, form)), errors).await?);
    };
    let result = run(&app, &r, meta, move |conn, act| {
        let windows = q::lock_windows(conn, term_id)?;
        write(Locked {
            conn,
            act,
            windows,
            posted: &parsed,
            lang,
        })
    })
    .await?
    .map(|()| lang.text(done).to_string());
    let to = format!("/admin/terms/{term_id}");
    forms::answer(&app, &r, lang, &to, Changed::Catalog, result, |errors| {
        term_page(&app, layout, term_id, Some((key, form)), errors)
    })
    .await
}

/// A window's path: the term and the window.
type WindowPath = web::Path<(i32, i32)>;

pub async fn create_window(
    c: Console,
    path: web::Path<i32>,
    form: web::Form<WindowForm>,
) -> Answer {
    let (term_id, form) = (path.into_inner(), form.into_inner());
    save_window(c, term_id, None, form, "admin.window.created").await
}

pub async fn update_window(c: Console, path: WindowPath, form: web::Form<WindowForm>) -> Answer {
    let ((term_id, window_id), form) = (path.into_inner(), form.into_inner());
    save_window(c, term_id, Some(window_id), form, "admin.window.updated").await
}

/// Creates a window of the term from the whole form (`id` none), or changes window `id` of it.
async fn save_window(
    c: Console,
    term_id: i32,
    id: Option<i32>,
    form: WindowForm,
    done: &'static str,
) -> Answer {
    let key = id.map_or_else(|| "new".to_string(), |id| format!("edit-{id}"));
    let write = move |l: Locked<'_, ValidWindow>| {
        if id.is_some_and(|id| !l.windows.iter().any(|w| w.id == id)) {
            return Err(TxFail::NotFound);
        }
        let v = l.posted;
        v.save(l.conn, l.act, term_id, id, &l.windows, l.lang)
    };
    window_form(c, term_id, (key, form), validate_window, write, done).await
}

/// Moves the end of an open window, live: students see the new closing time on their next
/// request. The new end may not lie in the past.
pub async fn extend_window(c: Console, path: WindowPath, form: web::Form<WindowForm>) -> Answer {
    let (term_id, window_id) = path.into_inner();
    let posted = (format!("extend-{window_id}"), form.into_inner());
    let parse = |form: &WindowForm, errors: &mut FormErrors| {
        forms::seoul_datetime(errors, "closes_at", &form.closes_at)
    };
    let write = move |l: Locked<'_, NaiveDateTime>| {
        let closes_at = *l.posted;
        let w = l
            .windows
            .iter()
            .find(|w| w.id == window_id)
            .ok_or(TxFail::NotFound)?;
        let now = Utc::now();
        if w.state(now) != WindowState::Open {
            return Err(field("admin.window.not_open", "closes_at").into());
        }
        if closes_at <= now.naive_utc() {
            return Err(field("admin.window.end_in_past", "closes_at").into());
        }
        let same = same_target(&l.windows, w.group_id, w.parity.as_deref());
        if let Some(other) = overlapping(
            &same,
            Some(window_id),
            &w.phase,
            &w.cohort,
            w.opens_at,
            closes_at,
        ) {
            let mut e = overlap_error(l.lang, other);
            if let TxFail::Field(f) = &mut e {
                f.field = "closes_at";
            }
            return Err(e);
        }
        q::set_closes_at(l.conn, window_id, closes_at)?;
        let detail = format!(
            "window {window_id}: closes {} -> {} UTC",
            w.closes_at, closes_at
        );
        l.act.record(l.conn, "window_extend", None, None, detail)?;
        Ok(())
    };
    window_form(c, term_id, posted, parse, write, "admin.window.extended").await
}

pub async fn delete_window(c: Console, path: WindowPath) -> Answer {
    let (term_id, window_id) = path.into_inner();
    let posted = (String::new(), WindowForm::default());
    let write = move |l: Locked<'_, ()>| {
        if !q::delete_window(l.conn, term_id, window_id)? {
            return Err(TxFail::NotFound);
        }
        let detail = format!("window {window_id} of term {term_id}");
        l.act.record(l.conn, "window_delete", None, None, detail)?;
        Ok(())
    };
    let nothing = |_: &WindowForm, _: &mut FormErrors| Some(());
    window_form(c, term_id, posted, nothing, write, "admin.window.deleted").await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 2, 10)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap_or_default()
    }

    fn w(id: i32, phase: &str, cohort: &str, from: u32, to: u32) -> Window {
        Window {
            id,
            term_id: 1,
            phase: phase.into(),
            cohort: cohort.into(),
            opens_at: at(from),
            closes_at: at(to),
            group_id: None,
            parity: None,
        }
    }

    #[test]
    fn windows_overlap_only_within_one_phase_and_cohort() {
        let existing = vec![w(1, "register", "year1", 9, 12)];
        assert!(overlapping(&existing, None, "register", "year1", at(11), at(13)).is_some());
        assert!(overlapping(&existing, None, "register", "year2", at(11), at(13)).is_none());
        assert!(overlapping(&existing, None, "add_drop", "year1", at(11), at(13)).is_none());
    }

    #[test]
    fn a_group_or_parity_window_overlaps_only_windows_of_the_same_group_and_parity() {
        let mut group = w(2, "register", "all", 9, 12);
        group.group_id = Some(4);
        let mut odd = w(3, "register", "all", 9, 12);
        odd.parity = Some("odd".into());
        let existing = vec![w(1, "register", "all", 9, 12), group, odd];
        let check = |group_id, parity| {
            let same = same_target(&existing, group_id, parity);
            overlapping(&same, None, "register", "all", at(10), at(11)).map(|w| w.id)
        };
        assert_eq!(check(None, None), Some(1));
        assert_eq!(check(Some(4), None), Some(2));
        assert_eq!(check(None, Some("odd")), Some(3));
        assert_eq!(check(Some(5), None), None);
        assert_eq!(check(None, Some("even")), None);
        assert_eq!(check(Some(4), Some("odd")), None);
    }

    #[test]
    fn back_to_back_windows_do_not_overlap_and_a_window_never_overlaps_itself() {
        let existing = vec![w(1, "register", "all", 9, 12)];
        assert!(overlapping(&existing, None, "register", "all", at(12), at(14)).is_none());
        assert!(overlapping(&existing, None, "register", "all", at(7), at(9)).is_none());
        assert!(overlapping(&existing, Some(1), "register", "all", at(8), at(13)).is_none());
    }
}
