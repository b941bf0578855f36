//! `/queue` (works without JavaScript: it refreshes itself) and `GET /api/v1/queue`, the small
//! status the page polls with back-off.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::Student;
use crate::catalog::CatalogCache;
use crate::waiting_room::room::{eta_at, expected_rate, Admission};
use crate::waiting_room::WaitingRoom;
use crate::web::{html, AppError, Layout};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueStatus {
    #[serde(flatten)]
    pub admission: Admission,
    /// Seconds until admission at the rate the line actually moves (waiting only): the configured
    /// rate, or the lower one reached while the concurrency cap held admissions back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<u64>,
    /// Admissions per second, so clients can pace their polling.
    pub rate: u32,
    /// Suggested seconds until the next poll.
    pub poll_after: u64,
    /// Everyone waiting now (waiting only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_length: Option<u64>,
    /// The student's position when this ticket was first looked at (waiting only): progress is
    /// how far they have come from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_position: Option<u64>,
}

pub async fn status(room: &WaitingRoom, student_id: i32) -> Result<QueueStatus, AppError> {
    let admission = room
        .enter(student_id, Utc::now().timestamp_millis())
        .await?;
    // The line's figures for the progress bar come in the same round trip as the settings.
    let waiting = matches!(admission, Admission::Waiting { .. });
    let (config, line) = tokio::join!(room.config(), async {
        if waiting {
            room.line(student_id).await.map(Some)
        } else {
            Ok(None)
        }
    });
    let (config, line) = (config?, line?);
    let eta = match admission {
        Admission::Waiting { position } => {
            let measured = room.measured_rate().await.unwrap_or(0.0);
            Some(eta_at(position, expected_rate(config.rate, measured)).min(24 * 3600))
        }
        _ => None,
    };
    // Far back in the line, poll rarely; near the front, often. Never more than every 2 s.
    // Before the draw, come back when it is made.
    let poll_after = match (admission, eta) {
        (Admission::Waiting { .. }, Some(eta)) => (eta / 4).clamp(2, 30),
        (Admission::Early { .. }, _) => {
            let opening = room.opening().await.unwrap_or(0);
            let wait_ms = (opening - Utc::now().timestamp_millis()).max(0) as u64;
            wait_ms.div_ceil(1000).clamp(1, 30)
        }
        _ => 10,
    };
    let (line_length, start_position) = match (admission, line) {
        // Admitted between the two looks: the line the page shows still has them in it.
        (Admission::Waiting { position }, Some(line)) => (
            Some(line.length.max(position)),
            Some(line.start.max(position)),
        ),
        _ => (None, None),
    };
    Ok(QueueStatus {
        admission,
        eta_seconds: eta,
        rate: config.rate,
        poll_after,
        line_length,
        start_position,
    })
}

pub async fn api_queue(
    room: web::Data<WaitingRoom>,
    student: Student,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(status(&room, student.0.user_id).await?))
}

#[derive(Template)]
#[template(path = "waiting_room/queue.html")]
struct QueuePage {
    layout: Layout,
    status: QueueStatus,
    /// The action the student clicked when the waiting room stopped them.
    resume: Option<crate::waiting_room::resume::Resume>,
    /// That action's section, as the site shows it (`CSE2010-01 자료구조`).
    resume_section: Option<String>,
    /// The queue page's own address with the remembered action (for the refresh).
    refresh_url: String,
    /// Minutes of inactivity after which an admitted student's pass lapses.
    pass_minutes: u32,
}

impl QueuePage {
    fn position(&self) -> Option<u64> {
        match self.status.admission {
            Admission::Waiting { position } => Some(position),
            _ => None,
        }
    }

    fn early_count(&self) -> Option<u64> {
        match self.status.admission {
            Admission::Early { waiting } => Some(waiting),
            _ => None,
        }
    }

    fn admitted(&self) -> bool {
        matches!(
            self.status.admission,
            Admission::Admitted | Admission::NotRequired
        )
    }

    fn ahead(&self) -> u64 {
        self.position().unwrap_or(1).saturating_sub(1)
    }

    fn line_length(&self) -> u64 {
        self.status.line_length.unwrap_or(0)
    }

    /// The bar: places moved since the start, out of the places there were to move.
    fn progress(&self) -> (u64, u64) {
        let position = self.position().unwrap_or(1);
        let start = self.status.start_position.unwrap_or(position).max(position);
        (start - position, start)
    }

    fn progress_text(&self) -> String {
        let (done, of) = self.progress();
        self.layout.lang.format(
            "queue.progress_value",
            &[("start", of.to_string()), ("done", done.to_string())],
        )
    }

    fn progress_percent(&self) -> u64 {
        let (done, of) = self.progress();
        (done * 100).checked_div(of).unwrap_or(0)
    }

    fn lapse_text(&self) -> String {
        self.layout
            .lang
            .format("queue.lapse", &[("min", self.pass_minutes.to_string())])
    }

    fn eta_text(&self) -> String {
        let secs = self.status.eta_seconds.unwrap_or(0);
        self.layout.lang.format(
            "queue.eta_value",
            &[
                ("min", (secs / 60).to_string()),
                ("sec", (secs % 60).to_string()),
            ],
        )
    }

    fn refresh_after(&self) -> u64 {
        self.status.poll_after
    }
}

pub async fn queue_page(
    app: web::Data<AppState>,
    room: web::Data<WaitingRoom>,
    catalog: web::Data<CatalogCache>,
    student: Student,
    layout: Layout,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    let status = status(&room, student.0.user_id).await?;
    let resume = crate::waiting_room::resume::Resume::from_query(req.query_string());
    let lang = layout.lang;
    let resume_section = match resume.as_ref().and_then(|r| r.section_id()) {
        Some(id) => catalog.snapshot(&app.db, &app.cache).await?.and_then(|c| {
            c.section(id).map(|s| {
                let title = match lang {
                    crate::web::Lang::Ko => &s.title_ko,
                    crate::web::Lang::En => &s.title_en,
                };
                format!("{}-{:02} {}", s.course_code, s.section_no, title)
            })
        }),
        None => None,
    };
    let refresh_url = resume
        .as_ref()
        .map(|r| r.queue_url())
        .unwrap_or_else(|| "/queue".to_string());
    let pass_minutes = room.config().await?.pass_ttl_secs.div_ceil(60);
    html(QueuePage {
        pass_minutes,
        layout,
        status,
        resume,
        resume_section,
        refresh_url,
    })
}
