//! The registration page and the forms that enroll, drop, swap and join or leave a waitlist from
//! any page (search results, section pages, this page). Forms post, the service decides exactly as
//! for the JSON API, and the answer comes back as a one-time message after a redirect.

use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Student;
use crate::domain::{CourseCode, SectionId};
use crate::registration::actions::{self, Caller};
use crate::registration::service::{self, Attempt, MyEnrollments, WaitlistItem};
use crate::registration::Engine;
use crate::registration::{basket, quick_add};
use crate::web::flash::{self, Flash, FlashLine, FlashLines, Level};
use crate::web::{html, AppError, Invalid, Lang, Layout, RequestMeta};

#[derive(Template)]
#[template(path = "registration/registration.html")]
struct RegistrationPage {
    layout: Layout,
    mine: MyEnrollments,
    waitlist: Vec<WaitlistItem>,
    /// Basket items not yet registered, each with its own register button.
    basket: Vec<basket::BasketItem>,
    /// What was typed into quick add, kept when it is sent back with an error.
    quick_codes: String,
    /// Why quick add took nothing, shown beside the field.
    quick_error: Option<String>,
    /// One line per code of the last quick add.
    results: Vec<FlashLine>,
}

impl RegistrationPage {
    /// The question the drop dialog asks, naming the section.
    fn drop_question(&self, s: &service::SectionSummary) -> String {
        drop_question(s, self.layout.lang)
    }

    fn title(&self, ko: &str, en: &str) -> String {
        match self.layout.lang {
            Lang::Ko => ko.to_string(),
            Lang::En => en.to_string(),
        }
    }

    fn limit(&self) -> String {
        self.mine
            .credit_limit
            .map(|l| l.to_string())
            .unwrap_or_else(|| "-".into())
    }
}

pub async fn page(
    app: web::Data<AppState>,
    student: Student,
    layout: Layout,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let results = req
        .extensions()
        .get::<FlashLines>()
        .map(|l| l.0.clone())
        .unwrap_or_default();
    let page = registration_page(&app, &student, layout, String::new(), None, results).await?;
    html(page)
}

async fn registration_page(
    app: &AppState,
    student: &Student,
    layout: Layout,
    quick_codes: String,
    quick_error: Option<String>,
    results: Vec<FlashLine>,
) -> Result<RegistrationPage, AppError> {
    let sid = student.0.user_id;
    let (mine, waitlist, basket) = app
        .db
        .run(move |conn| {
            Ok((
                service::my_enrollments(conn, sid)?,
                service::my_waitlist(conn, sid)?,
                basket::view(conn, sid)?.items,
            ))
        })
        .await?;
    Ok(RegistrationPage {
        layout,
        mine,
        waitlist,
        basket: basket.into_iter().filter(|i| !i.registered).collect(),
        quick_codes,
        quick_error,
        results,
    })
}

#[derive(Debug, Deserialize)]
pub struct QuickAddForm {
    #[serde(default)]
    codes: String,
}

/// `POST /registration/quick`: up to ten codes, one submit, one result per line. Nothing is
/// enrolled unless every code names a section of the current term; otherwise the page comes back
/// with the input kept and the unknown codes named beside the field.
pub async fn quick_add(
    app: web::Data<AppState>,
    engine: web::Data<Engine>,
    student: Student,
    req: HttpRequest,
    layout: Layout,
    form: web::Form<QuickAddForm>,
) -> Result<HttpResponse, AppError> {
    let lang = layout.lang;
    let typed = form.codes.chars().take(1000).collect::<String>();
    let refuse = |layout: Layout, message: String| {
        let (app, student, typed) = (&app, &student, typed.clone());
        async move {
            let page =
                registration_page(app, student, layout, typed, Some(message), Vec::new()).await?;
            let body = page.render()?;
            Ok::<_, AppError>(
                HttpResponse::UnprocessableEntity()
                    .content_type("text/html; charset=utf-8")
                    .body(body),
            )
        }
    };
    let codes = match quick_add::parse_all(&typed) {
        Ok(codes) if codes.is_empty() => {
            return refuse(layout, lang.text("quick_add.empty").to_string()).await
        }
        Ok(codes) => codes,
        Err(errors) => {
            let message = match errors.first() {
                Some(quick_add::EntryError::TooMany(n)) => lang.format(
                    "quick_add.too_many",
                    &[
                        ("count", n.to_string()),
                        ("max", quick_add::MAX_CODES.to_string()),
                    ],
                ),
                _ => lang.format("quick_add.malformed", &[("codes", malformed_list(&errors))]),
            };
            return refuse(layout, message).await;
        }
    };
    let ids = actions::section_ids(&app, codes.clone()).await?;
    let unknown: Vec<String> = codes
        .iter()
        .zip(&ids)
        .filter(|(_, id)| id.is_none())
        .map(|(c, _)| c.to_string())
        .collect();
    if !unknown.is_empty() {
        let message = lang.format("quick_add.unknown", &[("codes", unknown.join(", "))]);
        return refuse(layout, message).await;
    }
    let meta = RequestMeta::of(&req);
    let mut lines = Vec::new();
    let mut refused = 0;
    for (code, section_id) in codes.iter().zip(ids) {
        let Some(section_id) = section_id else {
            continue;
        };
        let a = Attempt::new(&student.0, &meta, lang);
        let request_id = a.request_id.clone();
        match actions::enroll(&app, &engine, a, section_id).await {
            Ok(receipt) => lines.push(FlashLine {
                ok: true,
                text: lang.format(
                    "registration.enrolled",
                    &[
                        ("section", label(&receipt.section, lang)),
                        ("credits", receipt.credits_total.to_string()),
                    ],
                ),
            }),
            Err(e @ (AppError::Refused(_) | AppError::Validation(_) | AppError::NotFound)) => {
                refused += 1;
                lines.push(FlashLine {
                    ok: false,
                    text: format!("{code}: {}", e.message(lang, &request_id)),
                });
            }
            Err(other) => return Err(other),
        }
    }
    let flash = Flash {
        level: if refused == 0 {
            Level::Ok
        } else {
            Level::Error
        },
        message: lang.format(
            "quick_add.summary",
            &[
                ("enrolled", (codes.len() - refused).to_string()),
                ("refused", refused.to_string()),
            ],
        ),
    };
    let cookie = flash::set_with_lines(&app.cache, &student.0, &flash, &lines).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/registration"))
        .cookie(cookie)
        .finish())
}

fn malformed_list(errors: &[quick_add::EntryError]) -> String {
    errors
        .iter()
        .filter_map(|e| match e {
            quick_add::EntryError::Malformed(raw) => Some(raw.as_str()),
            quick_add::EntryError::TooMany(_) => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The section a form names: an id, or a course code with a section number in the current term.
#[derive(Debug, Deserialize)]
pub struct SectionForm {
    #[serde(default)]
    section_id: Option<String>,
    #[serde(default)]
    course_code: Option<String>,
    #[serde(default)]
    section_no: Option<String>,
    #[serde(default)]
    next: Option<String>,
    /// `1` once the student has confirmed a drop (on the confirm page or in the dialog).
    #[serde(default)]
    confirm: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SwapForm {
    #[serde(default)]
    drop_section_id: Option<String>,
    #[serde(default)]
    add_section_id: Option<String>,
    #[serde(default)]
    add_course_code: Option<String>,
    #[serde(default)]
    add_section_no: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// Resolves either a section id or (course code, section number) in the current term.
async fn resolve(
    app: &AppState,
    id: &Option<String>,
    code: &Option<String>,
    no: &Option<String>,
    id_field: &'static str,
) -> Result<SectionId, AppError> {
    if !blank(id) || blank(code) {
        return actions::id_in_form(id, id_field);
    }
    let code = CourseCode::parse(code.as_deref().unwrap_or(""))
        .map_err(|_| AppError::Validation(Invalid::new("course_code", "field.invalid_value")))?;
    let no: i16 = no
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::Validation(Invalid::new("section_no", "field.required")))?
        .parse()
        .ok()
        .filter(|n| (1..=999).contains(n))
        .ok_or_else(|| AppError::Validation(Invalid::new("section_no", "field.invalid_value")))?;
    actions::section_ids(app, vec![quick_add::SectionCode::new(code, no)])
        .await?
        .pop()
        .flatten()
        .ok_or(AppError::NotFound)
}

/// Back to the page the form was on (a local path), else the registration page.
fn back(next: &Option<String>, req: &HttpRequest) -> String {
    let local = crate::web::is_local_path;
    if let Some(n) = next.as_deref().filter(|n| local(n)) {
        return n.to_string();
    }
    req.headers()
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| local(p))
        .unwrap_or_else(|| "/registration".to_string())
}

/// Why a form did not do what it asked: a refusal to show, or an error of the request.
enum FormError {
    Refused(String),
    App(AppError),
}

impl From<AppError> for FormError {
    fn from(e: AppError) -> Self {
        FormError::App(e)
    }
}

/// Turns the outcome into a one-time message and a redirect. Refusals and input errors are
/// messages; a backing service being down is a real error page.
async fn answer(
    app: &AppState,
    student: &Student,
    lang: Lang,
    request_id: &str,
    to: String,
    outcome: Result<String, FormError>,
) -> Result<HttpResponse, AppError> {
    let flash = match outcome {
        Ok(message) => Flash {
            level: Level::Ok,
            message,
        },
        Err(FormError::Refused(message)) => Flash {
            level: Level::Error,
            message,
        },
        Err(FormError::App(
            e @ (AppError::Refused(_) | AppError::Validation(_) | AppError::NotFound),
        )) => Flash {
            level: Level::Error,
            message: e.message(lang, request_id),
        },
        Err(FormError::App(other)) => return Err(other),
    };
    let cookie = flash::set(&app.cache, &student.0, &flash).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .cookie(cookie)
        .finish())
}

/// Runs one form's action for the signed-in student and answers with the message and redirect.
async fn run_form<Fut>(
    c: &Caller,
    next: &Option<String>,
    act: impl FnOnce(Attempt, Lang) -> Fut,
) -> Result<HttpResponse, AppError>
where
    Fut: std::future::Future<Output = Result<String, FormError>>,
{
    let a = c.attempt();
    let (lang, request_id) = (a.lang, a.request_id.clone());
    let to = back(next, &c.req);
    let outcome = act(a, lang).await;
    answer(&c.app, &c.student, lang, &request_id, to, outcome).await
}

/// Runs a form that names one section by its id: `act` gets the caller, the attempt, the id and
/// the language, and says what to tell the student.
async fn on_section<Fut>(
    c: &Caller,
    form: &SectionForm,
    act: impl FnOnce(Caller, Attempt, SectionId, Lang) -> Fut,
) -> Result<HttpResponse, AppError>
where
    Fut: std::future::Future<Output = Result<String, FormError>>,
{
    run_form(c, &form.next, |a, lang| async move {
        let section_id = actions::id_in_form(&form.section_id, "section_id")?;
        act(c.clone(), a, section_id, lang).await
    })
    .await
}

pub async fn enroll(c: Caller, form: web::Form<SectionForm>) -> Result<HttpResponse, AppError> {
    let (c, form) = (&c, &form);
    run_form(c, &form.next, |a, lang| async move {
        let section_id = resolve(
            &c.app,
            &form.section_id,
            &form.course_code,
            &form.section_no,
            "section_id",
        )
        .await?;
        let receipt = actions::enroll(&c.app, &c.engine, a, section_id).await?;
        Ok(lang.format(
            "registration.enrolled",
            &[
                ("section", label(&receipt.section, lang)),
                ("credits", receipt.credits_total.to_string()),
            ],
        ))
    })
    .await
}

fn drop_question(s: &service::SectionSummary, lang: Lang) -> String {
    lang.format("drop.question", &[("section", label(s, lang))])
}

/// The one question before a drop, for browsers without the dialog.
#[derive(Template)]
#[template(path = "registration/drop_confirm.html")]
struct DropConfirmPage {
    layout: Layout,
    section: service::SectionSummary,
    question: String,
    next: String,
}

pub async fn drop_section(
    c: Caller,
    layout: Layout,
    form: web::Form<SectionForm>,
) -> Result<HttpResponse, AppError> {
    if form.confirm.as_deref() != Some("1") {
        let section_id = actions::id_in_form(&form.section_id, "section_id")?;
        let sid = c.student.0.user_id;
        let mine = c
            .app
            .db
            .query(move |conn| service::my_enrollments(conn, sid))
            .await?;
        // A section the student is not enrolled in goes straight on to the drop's own refusal.
        if let Some(e) = mine
            .enrollments
            .into_iter()
            .find(|e| e.section.id == section_id.get())
        {
            let next = back(&form.next, &c.req);
            return html(DropConfirmPage {
                question: drop_question(&e.section, layout.lang),
                section: e.section,
                next,
                layout,
            });
        }
    }
    on_section(&c, &form, |c, a, section_id, lang| async move {
        let receipt = actions::drop(&c.app, &c.engine, a, section_id).await?;
        Ok(lang.format(
            "registration.dropped",
            &[
                ("section", label(&receipt.section, lang)),
                ("credits", receipt.credits_total.to_string()),
            ],
        ))
    })
    .await
}

pub async fn swap(c: Caller, form: web::Form<SwapForm>) -> Result<HttpResponse, AppError> {
    let (c, form) = (&c, &form);
    run_form(c, &form.next, |a, lang| async move {
        let drop_id = actions::id_in_form(&form.drop_section_id, "drop_section_id")?;
        let add_id = resolve(
            &c.app,
            &form.add_section_id,
            &form.add_course_code,
            &form.add_section_no,
            "add_section_id",
        )
        .await?;
        let receipt = actions::swap(&c.app, &c.engine, a, drop_id, add_id).await?;
        Ok(lang.format(
            "registration.swapped",
            &[
                ("dropped", label(&receipt.dropped, lang)),
                ("added", label(&receipt.added, lang)),
            ],
        ))
    })
    .await
}

pub async fn join_waitlist(
    c: Caller,
    form: web::Form<SectionForm>,
) -> Result<HttpResponse, AppError> {
    on_section(&c, &form, |c, a, section_id, lang| async move {
        let receipt = actions::join_waitlist(&c.app, a, section_id).await?;
        Ok(lang.format(
            "registration.waitlisted",
            &[
                ("section", label(&receipt.section, lang)),
                ("position", receipt.position.to_string()),
            ],
        ))
    })
    .await
}

/// `POST /watches`: the section page's "tell me when a seat opens".
pub async fn watch(c: Caller, form: web::Form<SectionForm>) -> Result<HttpResponse, AppError> {
    on_section(&c, &form, |c, a, section_id, lang| async move {
        let receipt = actions::watch(&c.app, a, section_id).await?;
        Ok(lang.format(
            "registration.watching",
            &[("section", label(&receipt.section, lang))],
        ))
    })
    .await
}

/// `POST /watches/remove`.
pub async fn unwatch(c: Caller, form: web::Form<SectionForm>) -> Result<HttpResponse, AppError> {
    on_section(&c, &form, |c, a, section_id, lang| async move {
        actions::unwatch(&c.app, a, section_id).await?;
        Ok(lang.text("registration.unwatched").to_string())
    })
    .await
}

pub async fn leave_waitlist(
    c: Caller,
    form: web::Form<SectionForm>,
) -> Result<HttpResponse, AppError> {
    on_section(&c, &form, |c, a, section_id, lang| async move {
        actions::leave_waitlist(&c.app, a, section_id).await?;
        Ok(lang.text("registration.left_waitlist").to_string())
    })
    .await
}

pub async fn basket_add(c: Caller, form: web::Form<SectionForm>) -> Result<HttpResponse, AppError> {
    on_section(&c, &form, |c, a, section_id, lang| async move {
        match actions::basket_add(&c.app, a, section_id).await? {
            Ok(total) => Ok(lang.format("basket.added", &[("credits", total.to_string())])),
            Err(r) => Err(FormError::Refused(r.message(lang))),
        }
    })
    .await
}

pub async fn basket_remove(
    c: Caller,
    form: web::Form<SectionForm>,
) -> Result<HttpResponse, AppError> {
    on_section(&c, &form, |c, a, section_id, lang| async move {
        match actions::basket_remove(&c.app, a, section_id).await? {
            Ok(()) => Ok(lang.text("basket.removed").to_string()),
            Err(r) => Err(FormError::Refused(r.message(lang))),
        }
    })
    .await
}

fn label(s: &service::SectionSummary, lang: Lang) -> String {
    let title = match lang {
        Lang::Ko => &s.title_ko,
        Lang::En => &s.title_en,
    };
    format!("{}-{:02} {}", s.course_code, s.section_no, title)
}
