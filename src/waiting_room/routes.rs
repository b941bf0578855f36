//! `/queue` (works without JavaScript: it refreshes itself) and `GET /api/v1/queue`, the small
//! status the page polls with back-off.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Serialize;

use crate::auth::Student;
use crate::startup::AppState;
use crate::waiting_room::room::{eta_at, expected_rate, Admission};
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
}

pub async fn status(app: &AppState, student_id: i32) -> Result<QueueStatus, AppError> {
    let admission = app
        .waiting_room
        .enter(student_id, Utc::now().timestamp_millis())
        .await?;
    let config = app.waiting_room.config().await?;
    let eta = match admission {
        Admission::Waiting { position } => {
            let measured = app.waiting_room.measured_rate().await.unwrap_or(0.0);
            Some(eta_at(position, expected_rate(config.rate, measured)).min(24 * 3600))
        }
        _ => None,
    };
    // Far back in the line, poll rarely; near the front, often. Never more than every 2 s.
    // Before the draw, come back when it is made.
    let poll_after = match (admission, eta) {
        (Admission::Waiting { .. }, Some(eta)) => (eta / 4).clamp(2, 30),
        (Admission::Early { .. }, _) => {
            let opening = app.waiting_room.opening().await.unwrap_or(0);
            let wait_ms = (opening - Utc::now().timestamp_millis()).max(0) as u64;
            wait_ms.div_ceil(1000).clamp(1, 30)
        }
        _ => 10,
    };
    Ok(QueueStatus {
        admission,
        eta_seconds: eta,
        rate: config.rate,
        poll_after,
    })
}

pub async fn api_queue(
    app: web::Data<AppState>,
    student: Student,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(status(&app, student.0.user_id).await?))
}

#[derive(Template)]
#[template(path = "waiting_room/queue.html")]
struct QueuePage {
    layout: Layout,
    status: QueueStatus,
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
    student: Student,
    layout: Layout,
) -> Result<HttpResponse, AppError> {
    let status = status(&app, student.0.user_id).await?;
    html(QueuePage { layout, status })
}
