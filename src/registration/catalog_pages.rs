//! The catalog as a student registers from it: search (`/courses`) and one section
//! (`/courses/{id}`, `GET /api/v1/sections/{id}`), with the read-only verdicts of the
//! registration rules beside each section. Readable by any signed-in user.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::catalog::actions::{self, Standing};
use crate::catalog::detail::{self, Demand, ViewerFacts};
use crate::catalog::json::{DepartmentJson, ItemJson};
use crate::catalog::routes::{
    catalog, catalog_or_last, category_key, choices, held_text, release_clock, row, run_search,
    Choice, Row, RowVerdict, STALE_HEADER,
};
use crate::catalog::search::{self, SearchParams, Sort, TimeOfDay, CATEGORIES};
use crate::catalog::snapshot::{Seats, SectionItem, Snapshot};
use crate::catalog::CatalogCache;
use crate::controls::Controls;
use crate::registration::preview;
use crate::web::layout::seoul;
use crate::web::{html, AppError, Lang, Layout};

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

    fn message(&self, controls: &Controls, lang: Lang) -> String {
        match self {
            Refusal::Frozen => controls.current().freeze_message(lang).unwrap_or_default(),
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
    catalog_cache: &CatalogCache,
    controls: &Controls,
    user: &CurrentUser,
    section_id: i32,
) -> Result<SectionView, AppError> {
    let (snapshot, seat_map) = catalog(app, catalog_cache)
        .await?
        .ok_or(AppError::NotFound)?;
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
        let frozen = controls.current().frozen;
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
    catalog_cache: web::Data<CatalogCache>,
    controls: web::Data<Controls>,
    user: CurrentUser,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let view = section_view(&app, &catalog_cache, &controls, &user, path.into_inner()).await?;
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

/// The verdict of each row for one student (`registration::preview`).
fn verdicts(
    controls: &Controls,
    preview: &preview::Preview,
    basket: &[i32],
    snapshot: &Snapshot,
    rows: &mut [Row],
    lang: Lang,
) {
    let now = Utc::now();
    let controls = controls.current();
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

pub async fn search_page(
    app: web::Data<AppState>,
    catalog_cache: web::Data<CatalogCache>,
    controls: web::Data<Controls>,
    user: CurrentUser,
    layout: Layout,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let params = SearchParams::parse(req.query_string())?;
    let lang = layout.lang;
    let loaded = catalog_or_last(&app, &catalog_cache).await?;
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
            verdicts(&controls, &preview, &basket, snapshot, &mut rows, lang);
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
    catalog_cache: web::Data<CatalogCache>,
    controls: web::Data<Controls>,
    user: CurrentUser,
    layout: Layout,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let view = section_view(&app, &catalog_cache, &controls, &user, path.into_inner()).await?;
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
            .map(|r| (r.code(), r.message(&controls, lang))),
        section: s,
        layout,
    })
}
