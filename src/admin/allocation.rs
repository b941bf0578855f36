//! `/admin/allocation`: the basket-allocation preview (each section's seats against its basket
//! demand) and the button that runs `registration::allocation` for the current term. The report
//! comes back on the same page after the redirect.

use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{Answer, Console};
use crate::auth::Registrar;
use crate::catalog::queries::current_term;
use crate::registration::allocation::{
    self, AllocationError, AllocationReport, Demand, SectionOutcome, SectionReport,
};
use crate::web::flash::{self, Flash, FlashLine, FlashLines, Level};
use crate::web::{html, AppError, Lang, Layout, RequestMeta};

#[derive(Template)]
#[template(path = "admin/allocation.html")]
struct AllocationPage {
    layout: Layout,
    term_name: Option<String>,
    /// The term's policy for oversubscribed sections (`fits_only` or `lottery`).
    policy: String,
    sections: Vec<Demand>,
    report: Vec<FlashLine>,
}

impl AllocationPage {
    fn fitting(&self) -> usize {
        self.sections.iter().filter(|s| s.fits).count()
    }

    fn oversubscribed(&self) -> usize {
        self.sections.len() - self.fitting()
    }

    fn holders(&self) -> i64 {
        self.sections
            .iter()
            .filter(|s| s.fits)
            .map(|s| s.demand)
            .sum()
    }

    fn title(&self, s: &Demand) -> String {
        match self.layout.lang {
            Lang::Ko => s.title_ko.clone(),
            Lang::En => s.title_en.clone(),
        }
    }

    fn summary(&self) -> String {
        self.layout.lang.format(
            "allocation.preview_summary",
            &[
                ("fitting", self.fitting().to_string()),
                ("holders", self.holders().to_string()),
                ("oversubscribed", self.oversubscribed().to_string()),
            ],
        )
    }
}

pub async fn page(c: Console, req: HttpRequest) -> Answer {
    let (app, _, layout, _) = c.parts();
    let lang = layout.lang;
    let (term_name, policy, sections) = app
        .db
        .run(move |conn| {
            let Some(term) = current_term(conn)? else {
                return Ok((None, allocation::FITS_ONLY.to_string(), Vec::new()));
            };
            let name = match lang {
                Lang::Ko => term.name_ko.clone(),
                Lang::En => term.name_en.clone(),
            };
            Ok((
                Some(name),
                term.allocation_policy.clone(),
                allocation::demand(conn, term.id)?,
            ))
        })
        .await?;
    let report = req
        .extensions()
        .get::<FlashLines>()
        .map(|l| l.0.clone())
        .unwrap_or_default();
    html(AllocationPage {
        layout,
        term_name,
        policy,
        sections,
        report,
    })
}

/// Lines of the report worth a registrar's attention: sections skipped as oversubscribed and
/// sections with refused holders (the clean ones are counted in the summary; the activity log
/// and the command line's table have every section).
const MAX_LINES: usize = 100;

/// The report as lines under the summary, then the refusals by reason.
fn report_lines(r: &AllocationReport, lang: Lang) -> Vec<FlashLine> {
    let notable: Vec<&SectionReport> = r
        .sections
        .iter()
        .filter(|s| s.outcome != SectionOutcome::Allocated || s.refused > 0)
        .collect();
    let mut lines: Vec<FlashLine> = notable
        .iter()
        .take(MAX_LINES)
        .map(|s| {
            let section = ("section", s.label.clone());
            let (key, args) = match s.outcome {
                SectionOutcome::Allocated => (
                    "allocation.line_allocated",
                    vec![
                        section,
                        ("enrolled", s.enrolled.to_string()),
                        ("refused", s.refused.to_string()),
                    ],
                ),
                SectionOutcome::Drawn => {
                    let seed = r.seed.unwrap_or_default().to_string();
                    let demand = ("demand", s.demand.to_string());
                    let enrolled = ("enrolled", s.enrolled.to_string());
                    (
                        "allocation.line_drawn",
                        vec![section, demand, enrolled, ("seed", seed)],
                    )
                }
                SectionOutcome::Oversubscribed => {
                    let seats = (s.capacity - s.enrolled_before).max(0).to_string();
                    let demand = ("demand", s.demand.to_string());
                    (
                        "allocation.line_oversubscribed",
                        vec![section, demand, ("seats", seats)],
                    )
                }
            };
            FlashLine {
                ok: s.outcome == SectionOutcome::Drawn,
                text: lang.format(key, &args),
            }
        })
        .collect();
    if notable.len() > MAX_LINES {
        lines.push(FlashLine {
            ok: false,
            text: lang.format(
                "allocation.more",
                &[("count", (notable.len() - MAX_LINES).to_string())],
            ),
        });
    }
    if !r.refusals.is_empty() {
        let list: Vec<String> = r
            .refusals
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        lines.push(FlashLine {
            ok: false,
            text: lang.format("allocation.refusals", &[("list", list.join(", "))]),
        });
    }
    lines
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RunForm {
    /// `fits_only` or `lottery`; absent: the term's policy as it stands.
    #[serde(default)]
    pub policy: Option<String>,
}

/// `POST /admin/allocation`: saves the chosen policy for oversubscribed sections on the current
/// term, runs the allocation of the term and redirects to the page.
pub async fn run(
    app: ConsoleApp,
    registrar: Registrar,
    req: HttpRequest,
    form: web::Form<RunForm>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::from_request(&req);
    let request_id = RequestMeta::of(&req).request_id;
    let actor = registrar.0.user_id;
    let policy = match form.into_inner().policy.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) if p == allocation::FITS_ONLY || p == allocation::LOTTERY => Some(p.to_string()),
        Some(_) => {
            return Err(AppError::Validation(crate::web::Invalid::new(
                "policy",
                "allocation.bad_policy",
            )))
        }
    };
    let outcome = app
        .db
        .run(move |conn| {
            let term = match allocation::find_term(conn, None) {
                Ok(t) => t,
                Err(AllocationError::Db(e)) => return Err(e.into()),
                Err(other) => return Ok(Err(other)),
            };
            if let Some(policy) = &policy {
                allocation::set_policy(conn, term.id, policy)?;
            }
            match allocation::allocate_baskets(conn, term.id, Some(actor), &request_id, None) {
                Err(AllocationError::Db(e)) => Err(e.into()),
                other => Ok(other),
            }
        })
        .await?;
    app.seats.resync().await;
    let (flash, lines) = match outcome {
        Ok(report) => (
            Flash {
                level: Level::Ok,
                message: lang.format(
                    "allocation.done",
                    &[
                        ("sections", report.sections_allocated.to_string()),
                        ("students", report.students_enrolled.to_string()),
                        ("enrollments", report.enrollments.to_string()),
                        ("oversubscribed", report.sections_oversubscribed.to_string()),
                        ("with_refusals", report.sections_with_refusals.to_string()),
                    ],
                ),
            },
            report_lines(&report, lang),
        ),
        Err(AllocationError::Busy) => (
            Flash {
                level: Level::Error,
                message: lang.text("allocation.busy").to_string(),
            },
            Vec::new(),
        ),
        Err(_) => (
            Flash {
                level: Level::Error,
                message: lang.text("allocation.no_term").to_string(),
            },
            Vec::new(),
        ),
    };
    let cookie = flash::set_with_lines(&app.cache, &registrar.0, &flash, &lines).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/allocation"))
        .cookie(cookie)
        .finish())
}
