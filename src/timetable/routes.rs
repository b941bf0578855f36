//! `/timetable` (page), `GET /api/v1/timetable` (grid JSON) and `/timetable.ics` (calendar).
//! `?add=ID,ID` previews the timetable with more sections, conflicts marked.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::Student;
use crate::catalog::snapshot::{weekday_key, Snapshot};
use crate::catalog::CatalogCache;
use crate::domain::SectionId;
use crate::timetable::grid::{self, TimetableSection};
use crate::timetable::view::{self, BlockView, DayHead, RowView};
use crate::timetable::{enrolled_section_ids, ics, sections_of};
use crate::web::{html, AppError, Invalid, Lang, Layout};

const MAX_PREVIEW: usize = 20;

/// `add=1,2,3` (also repeated): sections to preview beside the enrolled ones.
fn preview_ids(query: &str) -> Result<Vec<i32>, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| AppError::BadRequest(format!("query string: {e}")))?;
    let mut ids = Vec::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "add") {
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let id = SectionId::parse(part)
                .map_err(|_| AppError::Validation(Invalid::new("add", "catalog.invalid_param")))?
                .get();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    if ids.len() > MAX_PREVIEW {
        return Err(AppError::Validation(
            Invalid::new("add", "timetable.too_many").arg("max", MAX_PREVIEW),
        ));
    }
    Ok(ids)
}

struct Timetable {
    snapshot: Arc<Snapshot>,
    sections: Vec<TimetableSection>,
    /// Previewed (not enrolled) section ids.
    preview: Vec<i32>,
}

async fn load(
    app: &AppState,
    catalog_cache: &CatalogCache,
    student: &Student,
    preview: Vec<i32>,
) -> Result<Option<Timetable>, AppError> {
    let Some(snapshot) = catalog_cache.snapshot(&app.db, &app.cache).await? else {
        return Ok(None);
    };
    if preview.iter().any(|id| snapshot.section(*id).is_none()) {
        return Err(AppError::NotFound);
    }
    let (uid, term_id) = (student.0.user_id, snapshot.term.id);
    let enrolled = app
        .db
        .query(move |conn| enrolled_section_ids(conn, uid, term_id))
        .await?;
    let preview: Vec<i32> = preview
        .into_iter()
        .filter(|id| !enrolled.contains(id))
        .collect();
    let all: Vec<i32> = enrolled.iter().chain(&preview).copied().collect();
    let sections = sections_of(&snapshot, &all);
    Ok(Some(Timetable {
        snapshot,
        sections,
        preview,
    }))
}

pub async fn api(
    app: web::Data<AppState>,
    catalog_cache: web::Data<CatalogCache>,
    student: Student,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let preview = preview_ids(req.query_string())?;
    let Some(t) = load(&app, &catalog_cache, &student, preview).await? else {
        return Ok(HttpResponse::Ok().json(serde_json::json!({
            "term": null, "total_credits": 0, "sections": [], "grid": grid::layout(&[]),
            "conflicts": [],
        })));
    };
    let grid = grid::layout(&t.sections);
    #[derive(Serialize)]
    struct SectionJson<'a> {
        #[serde(flatten)]
        section: &'a TimetableSection,
        preview: bool,
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "term": { "id": t.snapshot.term.id, "name_ko": t.snapshot.term.name_ko, "name_en": t.snapshot.term.name_en },
        "total_credits": grid.total_credits,
        "sections": t.sections.iter().map(|s| SectionJson { section: s, preview: t.preview.contains(&s.section_id) }).collect::<Vec<_>>(),
        "conflicts": grid.conflicts,
        "grid": grid,
    })))
}

pub async fn calendar(
    app: web::Data<AppState>,
    catalog_cache: web::Data<CatalogCache>,
    student: Student,
) -> Result<HttpResponse, AppError> {
    let t = load(&app, &catalog_cache, &student, Vec::new())
        .await?
        .ok_or(AppError::NotFound)?;
    let term = &t.snapshot.term;
    let body = ics::calendar(
        &ics::TermDates {
            id: term.id,
            name: term.name_ko.clone(),
            starts_on: term.starts_on,
            ends_on: term.ends_on,
        },
        &t.sections,
        Utc::now(),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"timetable.ics\"",
        ))
        .body(body))
}

// ---- page ----

pub struct ListDay {
    pub name: &'static str,
    pub items: Vec<BlockView>,
}

pub struct SectionRow {
    pub id: i32,
    pub label: String,
    pub title: String,
    pub credits: i8,
    pub instructor: String,
    pub preview: bool,
}

#[derive(Template)]
#[template(path = "timetable/week.html")]
struct WeekPage {
    layout: Layout,
    term_name: Option<String>,
    heads: Vec<DayHead>,
    rows: Vec<RowView>,
    /// Minutes per grid row; the CSS gives each row a height in proportion (`slot15`).
    slot: u16,
    list: Vec<ListDay>,
    sections: Vec<SectionRow>,
    total_credits: i32,
    conflicts: Vec<String>,
    previewing: bool,
}

impl WeekPage {
    fn credits_text(&self) -> String {
        self.layout.lang.format(
            "timetable.total_credits",
            &[("credits", self.total_credits.to_string())],
        )
    }
}

pub async fn page(
    app: web::Data<AppState>,
    catalog_cache: web::Data<CatalogCache>,
    student: Student,
    layout: Layout,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let preview = preview_ids(req.query_string())?;
    let lang = layout.lang;
    let loaded = load(&app, &catalog_cache, &student, preview).await?;
    let (sections, preview, term_name) = match &loaded {
        Some(t) => (
            t.sections.as_slice(),
            t.preview.as_slice(),
            Some(t.snapshot.term.name(lang).to_string()),
        ),
        None => (&[][..], &[][..], None),
    };
    let grid = grid::layout(sections);
    html(WeekPage {
        heads: view::heads(lang, &grid),
        rows: view::rows(lang, &grid, preview),
        slot: grid.slot,
        list: grid
            .days
            .iter()
            .filter(|d| !d.blocks.is_empty())
            .map(|d| {
                let mut items: Vec<BlockView> = d
                    .blocks
                    .iter()
                    .map(|b| view::block_view(lang, b, preview))
                    .collect();
                items.sort_by(|a, b| a.time.cmp(&b.time));
                ListDay {
                    name: lang.text(weekday_key(d.weekday)),
                    items,
                }
            })
            .collect(),
        sections: sections
            .iter()
            .map(|s| SectionRow {
                id: s.section_id,
                label: s.label(),
                title: match lang {
                    Lang::Ko => s.title_ko.clone(),
                    Lang::En => s.title_en.clone(),
                },
                credits: s.credits,
                instructor: s.instructor.clone(),
                preview: preview.contains(&s.section_id),
            })
            .collect(),
        total_credits: grid.total_credits,
        conflicts: view::conflicts(lang, &grid, sections),
        previewing: !preview.is_empty(),
        term_name,
        layout,
    })
}
