//! Catalog reads for any signed-in user: the search JSON (`GET /api/v1/sections`) and what the
//! catalog pages share (the snapshot with seats, result rows, choices). The pages themselves show
//! registration's verdicts and live in `registration::catalog_pages`.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::catalog::cache::SeatMap;
use crate::catalog::json;
use crate::catalog::search::{self, Hit, SearchParams};
use crate::catalog::snapshot::{MeetingItem, Snapshot};
use crate::catalog::CatalogCache;
use crate::web::{AppError, Lang};

pub async fn catalog(
    app: &AppState,
    catalog_cache: &CatalogCache,
) -> Result<Option<(Arc<Snapshot>, Arc<SeatMap>)>, AppError> {
    let Some(snapshot) = catalog_cache.snapshot(&app.db, &app.cache).await? else {
        return Ok(None);
    };
    let seats = catalog_cache.seats(&app.db, snapshot.term.id).await?;
    Ok(Some((snapshot, seats)))
}

/// The catalog as `catalog` reads it, or — when Redis or MySQL is unavailable (a breaker open,
/// the request's budget spent) — the last snapshot and seat numbers this instance holds, with
/// `true` for "possibly stale". Only search uses this: it shows public catalog facts to a user
/// whose session was already checked, and nothing is decided from it (registration reads its
/// seats and the student's records from MySQL).
pub async fn catalog_or_last(
    app: &AppState,
    catalog_cache: &CatalogCache,
) -> Result<Option<(Arc<Snapshot>, Arc<SeatMap>, bool)>, AppError> {
    let (snapshot, mut stale) = match catalog_cache.snapshot(&app.db, &app.cache).await {
        Ok(Some(s)) => (s, false),
        Ok(None) => return Ok(None),
        Err(AppError::Unavailable(why)) => match catalog_cache.last_snapshot() {
            Some(s) => {
                tracing::warn!(error = %why, "catalog version unreadable: serving the last snapshot");
                (s, true)
            }
            None => return Err(AppError::Unavailable(why)),
        },
        Err(e) => return Err(e),
    };
    let seats = match catalog_cache.seats(&app.db, snapshot.term.id).await {
        Ok(m) => m,
        Err(AppError::Unavailable(why)) => match catalog_cache.last_seats(snapshot.term.id) {
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
pub fn run_search<'a>(
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
    catalog_cache: web::Data<CatalogCache>,
    _user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let params = SearchParams::parse(req.query_string())?;
    let Some((snapshot, seats, stale)) = catalog_or_last(&app, &catalog_cache).await? else {
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
        .map(crate::web::layout::clock)
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

pub fn row(lang: Lang, hit: &Hit<'_>) -> Row {
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

pub fn choices<T: Copy + PartialEq>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::actions;
    use crate::catalog::search::{Sort, TimeOfDay, CATEGORIES};
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
