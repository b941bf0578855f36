//! `/basket` (the page with its timetable preview) and the basket's JSON API, and "register my
//! basket": every basket item goes through the same enroll transaction as a single click, one
//! result each, so one refusal never holds the others back.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use serde::Serialize;

use crate::activity::{self, NewActivity};
use crate::app::AppState;
use crate::auth::Student;
use crate::catalog::snapshot::weekday_key;
use crate::catalog::CatalogCache;
use crate::controls::Controls;
use crate::domain::{MinuteOfDay, SectionId};
use crate::registration::api::json;
use crate::registration::basket::{self, BasketRefusal, BasketView, MeetingView};
use crate::registration::queries;
use crate::registration::service::{Attempt, Receipt};
use crate::registration::Engine;
use crate::registration::{actions, idempotency};
use crate::timetable::grid;
use crate::timetable::view::{self as week, DayHead, RowView};
use crate::waiting_room::limits::ActionLimiter;
use crate::waiting_room::limits::Verdict;
use crate::web::error::{ErrorBody, ErrorDetail};
use crate::web::flash::{self, Flash, FlashLine, FlashLines, Level};
use crate::web::{html, AppError, Lang, Layout, RequestMeta};

// ---- page ----

#[derive(Template)]
#[template(path = "registration/basket.html")]
struct BasketPage {
    layout: Layout,
    view: BasketView,
    heads: Vec<DayHead>,
    rows: Vec<RowView>,
    /// Minutes per timetable row (the CSS scales row heights by it).
    slot: u16,
    conflicts: Vec<String>,
    results: Vec<FlashLine>,
    /// The read-only preview of the registration rules for each row not yet registered.
    verdicts: Vec<(i32, crate::registration::preview::Verdict)>,
}

impl BasketPage {
    /// The first refusal (code, words) the registration would give `section_id` now.
    fn refused(&self, section_id: &i32) -> Option<(&'static str, String)> {
        self.verdicts
            .iter()
            .find(|(id, _)| id == section_id)
            .and_then(|(_, v)| match v {
                crate::registration::preview::Verdict::Refused { code, message } => {
                    Some((*code, message.clone()))
                }
                _ => None,
            })
    }

    fn title(&self, ko: &str, en: &str) -> String {
        match self.layout.lang {
            Lang::Ko => ko.to_string(),
            Lang::En => en.to_string(),
        }
    }

    fn meeting(&self, m: &MeetingView) -> String {
        format!(
            "{} {}–{} {}",
            self.layout.t(weekday_key(m.weekday)),
            MinuteOfDay::stored(m.starts_at_min),
            MinuteOfDay::stored(m.ends_at_min),
            m.room
        )
    }

    fn limit(&self) -> String {
        self.view
            .credit_limit
            .map(|l| l.to_string())
            .unwrap_or_else(|| "-".into())
    }

    fn items_text(&self) -> String {
        self.layout.lang.format(
            "basket.page.items_value",
            &[
                ("count", self.view.items.len().to_string()),
                ("max", self.view.max_items.to_string()),
                ("left", self.view.items_left.to_string()),
            ],
        )
    }

    fn credits_text(&self) -> String {
        self.layout.lang.format(
            "basket.page.credits_value",
            &[
                ("credits", self.view.basket_credits.to_string()),
                ("max", self.view.max_credits.to_string()),
                ("left", self.view.credits_left.to_string()),
            ],
        )
    }

    fn planned_text(&self) -> String {
        self.layout.lang.format(
            "basket.page.planned_value",
            &[
                ("enrolled", self.view.enrolled_credits.to_string()),
                ("planned", self.view.planned_credits.to_string()),
                ("limit", self.limit()),
            ],
        )
    }

    fn same_course_text(&self, other: &str) -> String {
        self.layout
            .lang
            .format("basket.page.same_course", &[("section", other.to_string())])
    }
}

pub async fn page(
    app: web::Data<AppState>,
    catalog_cache: web::Data<CatalogCache>,
    controls: web::Data<Controls>,
    student: Student,
    layout: Layout,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let sid = student.0.user_id;
    let catalog = catalog_cache.snapshot(&app.db, &app.cache).await?;
    let (view, preview) = app
        .db
        .run(move |conn| {
            let view = basket::view(conn, sid)?;
            let preview = match &catalog {
                Some(c) => {
                    crate::registration::preview::load(conn, sid, c)?.map(|p| (p, c.clone()))
                }
                None => None,
            };
            Ok((view, preview))
        })
        .await?;
    let lang = layout.lang;
    let verdicts = preview_rows(&controls, &view, preview, lang);
    let sections = view.timetable();
    let preview: Vec<i32> = view
        .items
        .iter()
        .filter(|i| !i.registered)
        .map(|i| i.section.id)
        .collect();
    let grid = grid::layout(&sections);
    let conflicts = week::conflicts(lang, &grid, &sections);
    let results = req
        .extensions()
        .get::<FlashLines>()
        .map(|l| l.0.clone())
        .unwrap_or_default();
    html(BasketPage {
        heads: week::heads(lang, &grid),
        rows: week::rows(lang, &grid, &preview),
        slot: grid.slot,
        conflicts,
        results,
        verdicts,
        view,
        layout,
    })
}

/// What the registration would answer for each basket row not yet registered, read-only.
fn preview_rows(
    controls: &Controls,
    view: &BasketView,
    preview: Option<(
        crate::registration::preview::Preview,
        std::sync::Arc<crate::catalog::snapshot::Snapshot>,
    )>,
    lang: Lang,
) -> Vec<(i32, crate::registration::preview::Verdict)> {
    let Some((preview, catalog)) = preview else {
        return Vec::new();
    };
    let now = chrono::Utc::now();
    let controls = controls.current();
    let frozen = controls
        .frozen
        .then(|| controls.freeze_message(lang).unwrap_or_default());
    view.items
        .iter()
        .filter(|i| !i.registered)
        .filter_map(|i| {
            let item = catalog.section(i.section.id)?;
            let capacity = i.capacity;
            let target =
                crate::registration::preview::target_of(item, capacity - i.seats_left, capacity, 0);
            let verdict = preview.verdict(&target, now, lang, frozen.clone());
            Some((i.section.id, verdict))
        })
        .collect()
}

// ---- register my basket ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    pub code: &'static str,
    pub message: String,
}

/// What became of one basket item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    pub section_id: i32,
    /// `CSE2010-01 자료구조`, in the requester's language.
    pub label: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BasketRegistration {
    pub request_id: String,
    pub enrolled: usize,
    pub refused: usize,
    pub results: Vec<ItemResult>,
}

fn failed(
    section_id: i32,
    label: String,
    e: &AppError,
    lang: Lang,
    request_id: &str,
) -> ItemResult {
    ItemResult {
        section_id,
        label,
        ok: false,
        receipt: None,
        error: Some(ItemError {
            code: e.code(),
            message: e.message(lang, request_id),
        }),
    }
}

/// Enrolls every basket item of the current term, in the order they were added, each in its own
/// transaction; a registered item leaves the basket (it is an enrollment now), a refused one stays. The request took one rate-limit token at the gate; every further item takes one
/// more, so registering a basket costs what clicking each item would — once the limit is
/// reached, the remaining items are answered `rate_limited` without being tried.
async fn register_basket(
    app: &web::Data<AppState>,
    engine: &web::Data<Engine>,
    limiter: &ActionLimiter,
    student: &Student,
    req: &HttpRequest,
) -> Result<BasketRegistration, AppError> {
    let lang = Lang::from_request(req);
    let meta = RequestMeta::of(req);
    let a = Attempt::new(&student.0, &meta, lang);
    let sid = student.0.user_id;
    let items = app
        .db
        .run(move |conn| {
            let ids = basket::section_ids(conn, sid)?;
            let labels = queries::section_labels(conn, &ids)?;
            Ok(ids
                .into_iter()
                .map(|id| {
                    let label = labels
                        .get(&id)
                        .map(|l| l.show(lang))
                        .unwrap_or_else(|| format!("#{id}"));
                    (id, label)
                })
                .collect::<Vec<_>>())
        })
        .await?;
    let mut results = Vec::with_capacity(items.len());
    let mut stop: Option<AppError> = None;
    for (i, (section_id, label)) in items.into_iter().enumerate() {
        if stop.is_none() && i > 0 {
            stop = match limiter.check(sid, &meta.client_ip).await {
                Ok(Verdict::Allowed) => None,
                Ok(
                    Verdict::StudentOver { retry_after, .. }
                    | Verdict::AddressOver { retry_after }
                    | Verdict::Penalised { retry_after, .. },
                ) => {
                    log_rate_limit(app, &a).await;
                    Some(AppError::RateLimited { retry_after })
                }
                Err(e) => Some(AppError::from(e)),
            };
        }
        if let Some(e) = &stop {
            results.push(failed(section_id, label, e, lang, &a.request_id));
            continue;
        }
        // The same path as every other enroll: fast refusals, the seats-left signal, the lines.
        let outcome = actions::enroll(app, engine, a.clone(), SectionId::stored(section_id)).await;
        if outcome.is_ok() {
            let sid = a.student_id;
            if let Err(e) = app
                .db
                .query(move |conn| basket::settle(conn, sid, section_id))
                .await
            {
                // The seat is taken; the item left in the basket is only a plan.
                tracing::warn!(error = %e, section.id = section_id, "basket item not settled");
            }
        }
        results.push(match outcome {
            Ok(receipt) => ItemResult {
                section_id,
                label,
                ok: true,
                receipt: Some(receipt),
                error: None,
            },
            Err(e) => {
                if let AppError::Internal(cause) = &e {
                    tracing::error!(error = %format!("{cause:#}"), section.id = section_id, "basket item failed");
                }
                failed(section_id, label, &e, lang, &a.request_id)
            }
        });
    }
    let enrolled = results.iter().filter(|r| r.ok).count();
    Ok(BasketRegistration {
        request_id: a.request_id.clone(),
        enrolled,
        refused: results.len() - enrolled,
        results,
    })
}

async fn log_rate_limit(app: &AppState, a: &Attempt) {
    metrics::counter!("sugang_registration_decisions_total", "outcome" => "rate_limited")
        .increment(1);
    let meta = RequestMeta {
        request_id: a.request_id.clone(),
        client_ip: a.client_ip.clone(),
    };
    let mut entry = NewActivity::new("rate_limit", "rate_limited", &meta);
    entry.actor_id = Some(a.student_id);
    entry.student_id = Some(a.student_id);
    entry.session_ref = a.session_ref.clone();
    entry.detail = Some("register my basket".into());
    if let Err(e) = app
        .db
        .query(move |conn| activity::record(conn, &entry))
        .await
    {
        tracing::warn!(error = %e, "activity log write failed");
    }
}

/// `POST /basket/register`: the results come back on the basket page, one line per item.
pub async fn register_form(
    app: web::Data<AppState>,
    engine: web::Data<Engine>,
    limiter: web::Data<ActionLimiter>,
    student: Student,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::from_request(&req);
    let outcome = register_basket(&app, &engine, &limiter, &student, &req).await?;
    let flash = if outcome.results.is_empty() {
        Flash {
            level: Level::Error,
            message: lang.text("basket.register.empty").to_string(),
        }
    } else {
        Flash {
            level: if outcome.refused == 0 {
                Level::Ok
            } else {
                Level::Error
            },
            message: lang.format(
                "basket.register.summary",
                &[
                    ("enrolled", outcome.enrolled.to_string()),
                    ("refused", outcome.refused.to_string()),
                ],
            ),
        }
    };
    let lines: Vec<FlashLine> = outcome
        .results
        .iter()
        .map(|r| FlashLine {
            ok: r.ok,
            text: match (&r.receipt, &r.error) {
                (Some(receipt), _) => lang.format(
                    "basket.register.ok_line",
                    &[
                        ("section", r.label.clone()),
                        ("credits", receipt.credits_total.to_string()),
                    ],
                ),
                (None, Some(e)) => format!("{}: {}", r.label, e.message),
                (None, None) => r.label.clone(),
            },
        })
        .collect();
    let cookie = flash::set_with_lines(&app.cache, &student.0, &flash, &lines).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/basket"))
        .cookie(cookie)
        .finish())
}

/// `POST /api/v1/basket/register`: one result per item; `Idempotency-Key` honoured for the whole.
pub async fn register_api(
    app: web::Data<AppState>,
    engine: web::Data<Engine>,
    limiter: web::Data<ActionLimiter>,
    student: Student,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let sid = student.0.user_id;
    idempotency::run(&app.cache, &req, sid, &body, async {
        let outcome = register_basket(&app, &engine, &limiter, &student, &req).await?;
        json(StatusCode::OK, &outcome)
    })
    .await
}

// ---- JSON: the basket itself ----

pub async fn api_view(
    app: web::Data<AppState>,
    student: Student,
) -> Result<HttpResponse, AppError> {
    let sid = student.0.user_id;
    let view = app.db.query(move |conn| basket::view(conn, sid)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A basket refusal as the JSON error body: 404 for an unknown section, 409 otherwise.
fn refusal(r: &BasketRefusal, lang: Lang) -> HttpResponse {
    let status = match r {
        BasketRefusal::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::CONFLICT,
    };
    HttpResponse::build(status).json(ErrorBody {
        error: ErrorDetail {
            code: r.code(),
            message: r.message(lang),
            field: None,
            retry_after: None,
        },
    })
}

pub async fn api_add(
    app: web::Data<AppState>,
    student: Student,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let section_id = actions::id_in_body(&body, "section_id")?;
    let a = actions::attempt(&student, &req);
    let (lang, request_id) = (a.lang, a.request_id.clone());
    match actions::basket_add(&app, a, section_id).await? {
        Ok(credits) => Ok(HttpResponse::Created().json(serde_json::json!({
            "request_id": request_id,
            "section_id": section_id,
            "basket_credits": credits,
        }))),
        Err(r) => Ok(refusal(&r, lang)),
    }
}

pub async fn api_remove(
    app: web::Data<AppState>,
    student: Student,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let section_id = actions::id_in_path(&path)?;
    let a = actions::attempt(&student, &req);
    let (lang, request_id) = (a.lang, a.request_id.clone());
    match actions::basket_remove(&app, a, section_id).await? {
        Ok(()) => Ok(HttpResponse::Ok()
            .json(serde_json::json!({ "request_id": request_id, "section_id": section_id }))),
        Err(r) => Ok(refusal(&r, lang)),
    }
}
