//! Catalog pages and JSON: search (`/courses`, `GET /api/v1/sections`) and one section
//! (`/courses/{id}`, `GET /api/v1/sections/{id}`). Readable by any signed-in user.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Serialize;

use crate::auth::{CurrentUser, Role};
use crate::catalog::actions::{self, Standing};
use crate::catalog::cache::SeatMap;
use crate::catalog::detail::{self, Demand, ViewerFacts};
use crate::catalog::json::{self, DepartmentJson, ItemJson};
use crate::catalog::search::{self, Hit, SearchParams, Sort, TimeOfDay, CATEGORIES};
use crate::catalog::snapshot::{MeetingItem, Seats, SectionItem, Snapshot};
use crate::registration::preview;
use crate::startup::AppState;
use crate::web::layout::seoul;
use crate::web::{html, AppError, Lang, Layout};

async fn catalog(app: &AppState) -> Result<Option<(Arc<Snapshot>, Arc<SeatMap>)>, AppError> {
    let Some(snapshot) = app.catalog.snapshot(&app.db, &app.cache).await? else {
        return Ok(None);
    };
    let seats = app.catalog.seats(&app.db, snapshot.term.id).await?;
    Ok(Some((snapshot, seats)))
}

/// The catalog as `catalog` reads it, or — when Redis or MySQL is unavailable (a breaker open,
/// the request's budget spent) — the last snapshot and seat numbers this instance holds, with
/// `true` for "possibly stale". Only search uses this: it shows public catalog facts to a user
/// whose session was already checked, and nothing is decided from it (registration reads its
/// seats and the student's records from MySQL).
async fn catalog_or_last(
    app: &AppState,
) -> Result<Option<(Arc<Snapshot>, Arc<SeatMap>, bool)>, AppError> {
    let (snapshot, mut stale) = match app.catalog.snapshot(&app.db, &app.cache).await {
        Ok(Some(s)) => (s, false),
        Ok(None) => return Ok(None),
        Err(AppError::Unavailable(why)) => match app.catalog.last_snapshot() {
            Some(s) => {
                tracing::warn!(error = %why, "catalog version unreadable: serving the last snapshot");
                (s, true)
            }
            None => return Err(AppError::Unavailable(why)),
        },
        Err(e) => return Err(e),
    };
    let seats = match app.catalog.seats(&app.db, snapshot.term.id).await {
        Ok(m) => m,
        Err(AppError::Unavailable(why)) => match app.catalog.last_seats(snapshot.term.id) {
            Some(m) => {
                tracing::warn!(error = %why, "seat numbers unreadable: serving the last ones");
                stale = true;
                m
            }
            None => return Err(AppError::Unavailable(why)),
        },
        Err(e) => return Err(e),
    };
    Ok(Some((snapshot, seats, stale)))
}

/// The header marking an answer served from the instance's last catalog copy.
pub const STALE_HEADER: &str = "x-catalog-stale";

/// The search through the per-second memo of the seat map.
fn run_search<'a>(
    snapshot: &'a Snapshot,
    seats: &SeatMap,
    params: &SearchParams,
) -> search::SearchPage<'a> {
    let order = seats.memo(snapshot.version, params.filter_key(), || {
        search::sorted_matches(snapshot, &seats.seats, params)
    });
    search::page_of(snapshot, &seats.seats, &order, params)
}

// ---- JSON ----

#[derive(Serialize)]
struct TermJson<'a> {
    id: i32,
    name_ko: &'a str,
    name_en: &'a str,
}

pub async fn api_sections(
    app: web::Data<AppState>,
    _user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let params = SearchParams::parse(req.query_string())?;
    let Some((snapshot, seats, stale)) = catalog_or_last(&app).await? else {
        return Ok(HttpResponse::Ok().json(serde_json::json!({
            "term": null, "total": 0, "page": params.page, "per_page": params.per_page,
            "pages": 0, "items": [], "stale": false,
        })));
    };
    let page = run_search(&snapshot, &seats, &params);
    #[derive(Serialize)]
    struct Head<'a> {
        term: TermJson<'a>,
        catalog_version: u64,
        /// True when served from this instance's last copy while Redis or MySQL is unreachable.
        stale: bool,
        total: u64,
        page: u32,
        per_page: u32,
        pages: u32,
    }
    let head = Head {
        term: TermJson {
            id: snapshot.term.id,
            name_ko: &snapshot.term.name_ko,
            name_en: &snapshot.term.name_en,
        },
        catalog_version: snapshot.version,
        stale,
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        pages: page.pages,
    };
    let items = page.items.iter().map(|h| {
        let fragment = snapshot.json_fragment(h.section.id).unwrap_or("{}");
        (fragment, h.seats)
    });
    let out = json::search_body(&head, items).map_err(|e| AppError::Internal(e.into()))?;
    let mut res = HttpResponse::Ok();
    res.content_type(actix_web::http::header::ContentType::json());
    if stale {
        res.insert_header((STALE_HEADER, "1"));
    }
    Ok(res.body(out))
}

struct SectionView {
    snapshot: Arc<Snapshot>,
    section_id: i32,
    seats: Seats,
    demand: Demand,
    standing: Standing,
    waitlist_position: Option<u64>,
    facts: ViewerFacts,
    /// The first refusal the registration would give now (read-only preview), if any.
    refusal: Option<Refusal>,
}

/// Why registering (or joining the waitlist) would be refused now, before the click.
#[derive(Debug, Clone)]
enum Refusal {
    Frozen,
    Rule(crate::registration::rules::Refusal),
}

impl Refusal {
    fn code(&self) -> &'static str {
        match self {
            Refusal::Frozen => "registration_frozen",
            Refusal::Rule(r) => r.code(),
        }
    }

    fn message(&self, app: &AppState, lang: Lang) -> String {
        match self {
            Refusal::Frozen => app
                .controls
                .current()
                .freeze_message(lang)
                .unwrap_or_default(),
            Refusal::Rule(r) => r.message(lang),
        }
    }
}

impl SectionView {
    fn section(&self) -> Option<&SectionItem> {
        self.snapshot.section(self.section_id)
    }
}

async fn section_view(
    app: &AppState,
    user: &CurrentUser,
    section_id: i32,
) -> Result<SectionView, AppError> {
    let (snapshot, seat_map) = catalog(app).await?.ok_or(AppError::NotFound)?;
    let section = snapshot
        .section(section_id)
        .ok_or(AppError::NotFound)?
        .clone();
    let seats = search::seats_of(&section, &seat_map.seats);
    let user_id = user.0.user_id;
    let is_student = user.0.role == Role::Student;
    let term_id = snapshot.term.id;
    let target = preview::target_of(&section, seats.enrolled, seats.capacity, seats.held);
    let catalog_for_preview = snapshot.clone();
    let (demand, viewer, facts, preview) = app
        .db
        .run(move |conn| {
            let demand = detail::demand(conn, section.id)?;
            let (viewer, facts) = if is_student {
                detail::viewer(conn, user_id, &section, term_id, Utc::now())?
            } else {
                Default::default()
            };
            let preview = if is_student {
                preview::load(conn, user_id, &catalog_for_preview)?
            } else {
                None
            };
            Ok((demand, viewer, facts, preview))
        })
        .await?;
    let mut standing = actions::standing(
        actions::SectionFacts {
            cancelled: snapshot
                .section(section_id)
                .is_some_and(SectionItem::is_cancelled),
            seats_left: seats.left(),
            waitlist_capacity: snapshot
                .section(section_id)
                .map_or(0, |s| s.waitlist_capacity),
            waitlist_length: demand.waitlist_length.max(0) as u64,
        },
        &viewer,
    );
    // The same ordered rules the registration runs, read-only: the first refusal replaces an
    // enabled button that could only fail.
    let mut refusal = None;
    if let Some(p) = preview {
        let now = Utc::now();
        let frozen = app.controls.current().frozen;
        for a in standing.actions.iter_mut().filter(|a| a.enabled) {
            let refused = match a.code {
                _ if frozen && matches!(a.code, "register" | "waitlist_join" | "drop") => {
                    Some(Refusal::Frozen)
                }
                "register" => p.check(&target, now).err().map(Refusal::Rule),
                "waitlist_join" => p.check_waitlist(&target, now).err().map(Refusal::Rule),
                _ => None,
            };
            if let Some(r) = refused {
                a.enabled = false;
                a.reason = Some(r.code());
                refusal.get_or_insert(r);
            }
        }
    }
    Ok(SectionView {
        snapshot,
        section_id,
        seats,
        demand,
        standing,
        waitlist_position: viewer.waitlist_position,
        facts,
        refusal,
    })
}

/// A prerequisite course and whether the viewer completed it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Prereq<'a> {
    pub course_id: i32,
    pub course_code: &'a str,
    pub title_ko: &'a str,
    pub title_en: &'a str,
    pub completed: bool,
}

/// Who may take the section.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Restrictions<'a> {
    pub department: Option<DepartmentJson<'a>>,
    pub class_years: Vec<u8>,
}

/// `GET /api/v1/sections/{id}`: the section with live seats, its rules and the viewer's standing.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SectionDetail<'a> {
    #[serde(flatten)]
    pub item: ItemJson<'a>,
    pub description: &'a str,
    pub cancel_reason: Option<&'a str>,
    pub waitlist_capacity: i32,
    pub prerequisites: Vec<Prereq<'a>>,
    pub restrictions: Restrictions<'a>,
    pub basket_count: i64,
    pub waitlist_length: i64,
    /// The viewer's standing and the actions open to them now.
    pub standing: &'a Standing,
    pub waitlist_position: Option<u64>,
    pub registration_opens_at: Option<chrono::DateTime<Utc>>,
}

pub async fn api_section(
    app: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let view = section_view(&app, &user, path.into_inner()).await?;
    let s = view.section().ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(SectionDetail {
        item: ItemJson::new(s, view.seats),
        description: &s.description,
        cancel_reason: s.cancel_reason.as_deref(),
        waitlist_capacity: s.waitlist_capacity,
        prerequisites: s
            .prerequisites
            .iter()
            .map(|c| Prereq {
                course_id: c.id,
                course_code: &c.code,
                title_ko: &c.title_ko,
                title_en: &c.title_en,
                completed: view.facts.completed_prerequisites.contains(&c.id),
            })
            .collect(),
        restrictions: Restrictions {
            department: s.restrict_department.as_ref().map(DepartmentJson::from),
            class_years: s.class_years(),
        },
        basket_count: view.demand.basket_count,
        waitlist_length: view.demand.waitlist_length,
        standing: &view.standing,
        waitlist_position: view.waitlist_position,
        registration_opens_at: view.facts.registration_opens_at,
    }))
}

// ---- pages ----

/// One result row, in the page's language.
pub struct Row {
    pub id: i32,
    pub label: String,
    pub title: String,
    pub credits: i8,
    pub category_key: String,
    pub department: String,
    pub instructor: String,
    pub meetings: Vec<String>,
    pub capacity: i32,
    pub enrolled: i32,
    pub seats_left: i32,
    /// Freed seats held until the release time `released_at` (Seoul `HH:MM`).
    pub held: i32,
    pub released_at: String,
    pub cancelled: bool,
    /// What the signed-in student can do with the section now (students only).
    pub verdict: Option<RowVerdict>,
}

/// A result row's action, from the read-only preview of the registration rules.
pub struct RowVerdict {
    /// `register`, `waitlist`, `enrolled` or `refused`
    pub kind: &'static str,
    /// The refusal's code when `refused`.
    pub code: &'static str,
    /// The refusal in words when `refused`.
    pub message: String,
    /// A held section meeting at the same time (the clash marker).
    pub clash: Option<String>,
    /// The section is in the student's basket (the marker, instead of 담기).
    pub in_basket: bool,
}

/// The verdict of each row for one student (`registration::preview`).
fn verdicts(
    app: &AppState,
    preview: &preview::Preview,
    basket: &[i32],
    snapshot: &Snapshot,
    rows: &mut [Row],
    lang: Lang,
) {
    let now = Utc::now();
    let controls = app.controls.current();
    let frozen = controls
        .frozen
        .then(|| controls.freeze_message(lang).unwrap_or_default());
    for r in rows.iter_mut() {
        let Some(item) = snapshot.section(r.id) else {
            continue;
        };
        let target = preview::target_of(item, r.enrolled, r.capacity, r.held);
        let clash = preview.clash(&target).map(|l| l.show(lang));
        let (kind, code, message) = if preview.is_enrolled(r.id) {
            ("enrolled", "already_enrolled", String::new())
        } else {
            match preview.verdict(&target, now, lang, frozen.clone()) {
                preview::Verdict::Register => ("register", "", String::new()),
                preview::Verdict::Waitlist => ("waitlist", "", String::new()),
                preview::Verdict::Refused { code, message } => ("refused", code, message),
            }
        };
        r.verdict = Some(RowVerdict {
            kind,
            code,
            message,
            clash,
            in_basket: basket.contains(&r.id),
        });
    }
}

/// "n석 13:00 공개" / "n seats released at 13:00".
pub fn held_text(lang: Lang, held: i32, at: &str) -> String {
    lang.format(
        "section.held_seats",
        &[("count", held.to_string()), ("time", at.to_string())],
    )
}

/// The Seoul time the section's held seats are released (`13:00`), empty when none are held.
pub fn release_clock(seats: &crate::catalog::snapshot::Seats) -> String {
    seats
        .released_at()
        .map(crate::registration::release::clock)
        .unwrap_or_default()
}

pub fn category_key(category: &str) -> String {
    format!("category.{category}")
}

/// "월 09:00–10:15 공학관 301"
pub fn meeting_text(lang: Lang, m: &MeetingItem) -> String {
    format!(
        "{} {}–{} {}",
        lang.text(m.weekday_key()),
        m.starts_at(),
        m.ends_at(),
        m.room
    )
}

fn row(lang: Lang, hit: &Hit<'_>) -> Row {
    let s = hit.section;
    Row {
        id: s.id,
        label: s.label(),
        title: s.title(lang).to_string(),
        credits: s.credits,
        category_key: category_key(&s.category),
        department: s.department.name(lang).to_string(),
        instructor: s.instructor.clone(),
        meetings: s.meetings.iter().map(|m| meeting_text(lang, m)).collect(),
        capacity: hit.seats.capacity,
        enrolled: hit.seats.enrolled,
        verdict: None,
        seats_left: hit.seats.left(),
        held: hit.seats.held,
        released_at: release_clock(&hit.seats),
        cancelled: s.is_cancelled(),
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "catalog/search.html")]
struct SearchPage {
    layout: Layout,
    term_name: Option<String>,
    params: SearchParams,
    rows: Vec<Row>,
    total: u64,
    page: u32,
    pages: u32,
    departments: Vec<Choice>,
    categories: Vec<Choice>,
    days: Vec<Choice>,
    times: Vec<Choice>,
    credit_choices: Vec<Choice>,
    years: Vec<Choice>,
    sorts: Vec<Choice>,
    /// Served from this instance's last catalog copy (Redis or MySQL unreachable).
    stale: bool,
}

impl SearchPage {
    fn held_text(&self, r: &Row) -> String {
        held_text(self.layout.lang, r.held, &r.released_at)
    }

    fn has_verdicts(&self) -> bool {
        self.rows.iter().any(|r| r.verdict.is_some())
    }

    fn q(&self) -> &str {
        self.params.q.as_deref().unwrap_or("")
    }

    fn summary(&self) -> String {
        self.layout.lang.format(
            "catalog.summary",
            &[
                ("total", self.total.to_string()),
                ("page", self.page.to_string()),
                ("pages", self.pages.max(1).to_string()),
            ],
        )
    }

    fn prev_href(&self) -> Option<String> {
        (self.page > 1).then(|| {
            format!(
                "/courses?{}",
                self.params.to_query((self.page - 1).min(self.pages.max(1)))
            )
        })
    }

    fn next_href(&self) -> Option<String> {
        (self.page < self.pages)
            .then(|| format!("/courses?{}", self.params.to_query(self.page + 1)))
    }
}

fn choices<T: Copy + PartialEq>(
    items: impl IntoIterator<Item = T>,
    selected: impl Fn(T) -> bool,
    value: impl Fn(T) -> String,
    label: impl Fn(T) -> String,
) -> Vec<Choice> {
    items
        .into_iter()
        .map(|i| Choice {
            value: value(i),
            label: label(i),
            selected: selected(i),
        })
        .collect()
}

pub async fn search_page(
    app: web::Data<AppState>,
    user: CurrentUser,
    layout: Layout,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let params = SearchParams::parse(req.query_string())?;
    let lang = layout.lang;
    let loaded = catalog_or_last(&app).await?;
    let stale = matches!(loaded, Some((_, _, true)));
    let (rows, total, pages, term_name, departments) = match &loaded {
        Some((snapshot, seats, _)) => {
            let page = run_search(snapshot, seats, &params);
            let departments = snapshot
                .departments
                .iter()
                .map(|d| Choice {
                    value: d.code.clone(),
                    label: format!("{} ({})", d.name(lang), d.code),
                    selected: params.department.as_deref() == Some(d.code.as_str()),
                })
                .collect();
            (
                page.items.iter().map(|h| row(lang, h)).collect(),
                page.total,
                page.pages,
                Some(snapshot.term.name(lang).to_string()),
                departments,
            )
        }
        None => (Vec::new(), 0, 0, None, Vec::new()),
    };
    let mut rows: Vec<Row> = rows;
    let is_student = user.0.role == Role::Student;
    // The verdicts read the student's records from MySQL: not while serving a stale copy.
    if let (true, Some((snapshot, _, false)), false) = (is_student, &loaded, rows.is_empty()) {
        let user_id = user.0.user_id;
        let catalog = snapshot.clone();
        let (preview, basket) = app
            .db
            .run(move |conn| {
                Ok((
                    preview::load(conn, user_id, &catalog)?,
                    crate::registration::basket::section_ids(conn, user_id)?,
                ))
            })
            .await?;
        if let Some(preview) = preview {
            verdicts(&app, &preview, &basket, snapshot, &mut rows, lang);
        }
    }
    let p = &params;
    let mut res = html(SearchPage {
        stale,
        categories: choices(
            CATEGORIES,
            |c| p.category.as_deref() == Some(c),
            str::to_string,
            |c| lang.text(&category_key(c)).to_string(),
        ),
        days: choices(
            1..=6u8,
            |d| p.days.first() == Some(&d),
            |d| d.to_string(),
            |d| {
                lang.text(crate::catalog::snapshot::weekday_key(d))
                    .to_string()
            },
        ),
        times: choices(
            TimeOfDay::ALL,
            |t| p.time == Some(t),
            |t| t.as_str().to_string(),
            |t| {
                lang.text(&format!("catalog.time.{}", t.as_str()))
                    .to_string()
            },
        ),
        credit_choices: choices(
            1..=4i8,
            |c| p.credits == Some(c),
            |c| c.to_string(),
            |c| lang.format("catalog.credits_value", &[("credits", c.to_string())]),
        ),
        years: choices(
            1..=4u8,
            |y| p.year == Some(y),
            |y| y.to_string(),
            |y| lang.format("home.class_year_value", &[("year", y.to_string())]),
        ),
        sorts: choices(
            Sort::ALL,
            |s| p.sort == s,
            |s| s.as_str().to_string(),
            |s| {
                lang.text(&format!("catalog.sort.{}", s.as_str()))
                    .to_string()
            },
        ),
        departments,
        layout,
        term_name,
        rows,
        total,
        page: params.page,
        pages,
        params,
    })?;
    if stale {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(STALE_HEADER),
            actix_web::http::header::HeaderValue::from_static("1"),
        );
    }
    Ok(res)
}

pub struct PrereqRow {
    pub label: String,
    pub completed: bool,
}

#[derive(Template)]
#[template(path = "catalog/section.html")]
struct SectionPage {
    layout: Layout,
    term_name: String,
    section: SectionItem,
    title: String,
    department: String,
    category_key: String,
    meetings: Vec<(String, String, String)>,
    seats: Seats,
    basket_count: i64,
    waitlist_length: i64,
    waitlist_position: Option<u64>,
    prerequisites: Vec<PrereqRow>,
    restrict_department: Option<String>,
    class_years: String,
    standing: Standing,
    is_student: bool,
    registration_opens_at: Option<chrono::DateTime<Utc>>,
    /// The first refusal (its code and message) the registration would give now.
    refusal: Option<(&'static str, String)>,
}

impl SectionPage {
    fn action_key(code: &str) -> String {
        actions::action_key(code)
    }

    /// A disabled action's reason in words: the refusal's own message, or the catalog's.
    fn reason_text(&self, code: &str) -> String {
        match &self.refusal {
            Some((c, message)) if *c == code => message.clone(),
            _ => self
                .layout
                .lang
                .text(&actions::reason_key(code))
                .to_string(),
        }
    }

    fn opens_display(&self) -> Option<String> {
        self.registration_opens_at.as_ref().map(seoul)
    }

    fn opens_iso(&self) -> Option<String> {
        self.registration_opens_at
            .as_ref()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }

    /// "2석 13:00 공개" when the section holds seats until a release time.
    fn held_text(&self) -> Option<String> {
        (self.seats.held > 0).then(|| {
            held_text(
                self.layout.lang,
                self.seats.held,
                &release_clock(&self.seats),
            )
        })
    }

    fn waitlist_position_text(&self) -> Option<String> {
        self.waitlist_position.map(|p| {
            self.layout
                .lang
                .format("section.waitlist_position", &[("position", p.to_string())])
        })
    }
}

pub async fn section_page(
    app: web::Data<AppState>,
    user: CurrentUser,
    layout: Layout,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let view = section_view(&app, &user, path.into_inner()).await?;
    let s = view.section().ok_or(AppError::NotFound)?.clone();
    let lang = layout.lang;
    let completed = &view.facts.completed_prerequisites;
    let years = s.class_years();
    html(SectionPage {
        term_name: view.snapshot.term.name(lang).to_string(),
        title: s.title(lang).to_string(),
        department: s.department.name(lang).to_string(),
        category_key: category_key(&s.category),
        meetings: s
            .meetings
            .iter()
            .map(|m| {
                (
                    lang.text(m.weekday_key()).to_string(),
                    format!("{}–{}", m.starts_at(), m.ends_at()),
                    m.room.clone(),
                )
            })
            .collect(),
        seats: view.seats,
        basket_count: view.demand.basket_count,
        waitlist_length: view.demand.waitlist_length,
        waitlist_position: view.waitlist_position,
        prerequisites: s
            .prerequisites
            .iter()
            .map(|c| PrereqRow {
                label: format!(
                    "{} {}",
                    c.code,
                    match lang {
                        Lang::Ko => &c.title_ko,
                        Lang::En => &c.title_en,
                    }
                ),
                completed: completed.contains(&c.id),
            })
            .collect(),
        restrict_department: s
            .restrict_department
            .as_ref()
            .map(|d| d.name(lang).to_string()),
        class_years: if years.is_empty() {
            lang.text("section.every_year").to_string()
        } else {
            years
                .iter()
                .map(|y| lang.format("home.class_year_value", &[("year", y.to_string())]))
                .collect::<Vec<_>>()
                .join(", ")
        },
        standing: view.standing.clone(),
        is_student: user.0.role == Role::Student,
        registration_opens_at: view.facts.registration_opens_at,
        refusal: view
            .refusal
            .as_ref()
            .map(|r| (r.code(), r.message(&app, lang))),
        section: s,
        layout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::has_key;

    /// Keys built at run time (the catalog test only sees literal ones).
    #[test]
    fn every_computed_message_key_exists() {
        let mut keys: Vec<String> = CATEGORIES.iter().map(|c| category_key(c)).collect();
        keys.extend((1..=6).map(|d| crate::catalog::snapshot::weekday_key(d).to_string()));
        keys.extend(TimeOfDay::ALL.map(|t| format!("catalog.time.{}", t.as_str())));
        keys.extend(Sort::ALL.map(|s| format!("catalog.sort.{}", s.as_str())));
        for state in [
            "available",
            "full",
            "cancelled",
            "already_enrolled",
            "duplicate_course",
            "not_eligible",
            "staff",
        ] {
            keys.push(format!("section.state.{state}"));
        }
        for code in [
            "register",
            "drop",
            "basket_add",
            "basket_remove",
            "waitlist_join",
        ] {
            keys.push(actions::action_key(code));
        }
        for reason in ["window_closed", "waitlist_full"] {
            keys.push(actions::reason_key(reason));
        }
        for field in [
            "q",
            "department",
            "category",
            "day",
            "time",
            "credits",
            "year",
            "open_only",
            "sort",
            "page",
            "per_page",
            "add",
        ] {
            keys.push(format!("field.{field}"));
        }
        let missing: Vec<&String> = keys.iter().filter(|k| !has_key(k)).collect();
        assert!(missing.is_empty(), "missing keys: {missing:?}");
    }
}
