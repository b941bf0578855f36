//! The admission check in front of registration actions: with the waiting room on, a student
//! without a pass gets a ticket and `429 queue_required` (pages are sent to `/queue`); a pass is
//! refreshed by every action. Browsing, the basket and the API reads are never queued.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use chrono::Utc;

use crate::activity::{self, NewActivity};
use crate::app::AppState;
use crate::auth::{Role, SessionState};
use crate::waiting_room::limits::{ActionLimiter, Verdict};
use crate::waiting_room::room::Admission;
use crate::waiting_room::WaitingRoom;
use crate::web::{AppError, RequestMeta};

pub async fn require_pass(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    // Reads never change enrollments: only a change pays for the route lookup.
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let Some(route) = crate::web::request::matched_route(req.request()) else {
        // No route: the router answers 404 and nothing changes.
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if !crate::web::request::is_registration_action(req.method(), &route) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let session = match req.extensions().get::<SessionState>() {
        Some(SessionState::Active(s)) if s.role == Role::Student => {
            Some((s.user_id, s.reference()))
        }
        _ => None,
    };
    // Without a student session the handler answers (401/403) itself.
    let (Some((student, session_ref)), Some(app), Some(room), Some(limiter)) = (
        session,
        req.app_data::<web::Data<AppState>>().cloned(),
        req.app_data::<web::Data<WaitingRoom>>().cloned(),
        req.app_data::<web::Data<ActionLimiter>>().cloned(),
    ) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let meta = RequestMeta::of(req.request());
    // The two checks are independent Redis scripts: one round trip of latency, not two. (Taking
    // a ticket while rate limited is harmless: a ticket is the student's, whatever they send.)
    let (verdict, admission) = tokio::join!(
        limiter.check(student, &meta.client_ip),
        room.act(student, Utc::now().timestamp_millis())
    );
    let limited = match verdict {
        Ok(verdict) => rate_limited(&app, verdict, student, session_ref, &meta).await,
        Err(e) => Some(AppError::from(e)),
    };
    if let Some(err) = limited {
        return Ok(req.error_response(err).map_into_right_body());
    }
    let refusal = match admission {
        Ok(Admission::NotRequired) => None,
        Ok(Admission::Admitted) => {
            // The action counts toward the concurrency cap until it is answered.
            let res = next.call(req).await;
            if let Err(e) = room.finish(student).await {
                tracing::debug!(error = %e, "in-flight action not cleared (it lapses in 30 s)");
            }
            return Ok(res?.map_into_left_body());
        }
        Ok(Admission::Waiting { position }) => {
            let rate = room.config().await.map(|c| c.rate).unwrap_or(1);
            let measured = room.measured_rate().await.unwrap_or(0.0);
            // Half the expected wait: a client that obeys comes back a little early rather
            // than late, and each return halves the remaining wait again.
            let retry_after = crate::waiting_room::room::eta_at(
                position,
                crate::waiting_room::room::expected_rate(rate, measured),
            )
            .div_ceil(2)
            .clamp(1, 30);
            Some(AppError::QueueRequired {
                position: Some(position),
                retry_after,
            })
        }
        Ok(Admission::Early { .. }) => {
            // Come back when the line is drawn: nothing is gained by asking sooner.
            let opening = room.opening().await.unwrap_or(0);
            let wait_ms = opening - Utc::now().timestamp_millis();
            Some(AppError::QueueRequired {
                position: None,
                retry_after: (wait_ms.max(0) as u64).div_ceil(1000).clamp(1, 60),
            })
        }
        Err(e) => Some(AppError::from(e)),
    };
    match refusal {
        None => Ok(next.call(req).await?.map_into_left_body()),
        // A page's form goes to the waiting room, which offers the same action on admission.
        Some(AppError::QueueRequired { .. }) if !crate::web::middleware::is_api(&route) => {
            let to = crate::waiting_room::resume::queue_url_for(&mut req, &route).await;
            let res = actix_web::HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, to))
                .finish();
            Ok(req.into_response(res).map_into_right_body())
        }
        Some(err) => Ok(req.error_response(err).map_into_right_body()),
    }
}

/// Turns a limiter verdict into the refusal, logging the first excess of a window and the start
/// of a penalty to the student's activity log (each at most once per window).
async fn rate_limited(
    app: &AppState,
    verdict: Verdict,
    student: i32,
    session_ref: String,
    meta: &RequestMeta,
) -> Option<AppError> {
    let (retry_after, log) = match verdict {
        Verdict::Allowed => return None,
        Verdict::AddressOver { retry_after } => (retry_after, None),
        Verdict::StudentOver { retry_after, first } => {
            (retry_after, first.then_some(("rate_limited", None)))
        }
        Verdict::Penalised {
            retry_after,
            strikes,
            started,
        } => (
            retry_after,
            started.then(|| {
                (
                    "penalised",
                    Some(format!("strike {strikes}, blocked {retry_after}s")),
                )
            }),
        ),
    };
    metrics::counter!("sugang_registration_decisions_total", "outcome" => "rate_limited")
        .increment(1);
    if let Some((outcome, detail)) = log {
        tracing::warn!(
            student.id = student,
            outcome,
            "registration actions rate limited"
        );
        let mut entry = NewActivity::new("rate_limit", outcome, meta);
        entry.actor_id = Some(student);
        entry.student_id = Some(student);
        entry.session_ref = Some(session_ref);
        entry.detail = detail;
        if let Err(e) = app
            .db
            .query(move |conn| activity::record(conn, &entry))
            .await
        {
            tracing::warn!(error = %e, "activity log write failed");
        }
    }
    Some(AppError::RateLimited { retry_after })
}
