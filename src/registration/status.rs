//! The student's standing for the current term: who they are, the windows that apply to them,
//! their credit limit and credits taken. Backs the home page and `GET /api/v1/me`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::auth::models::{self, Department, User};
use crate::auth::CurrentUser;
use crate::catalog::{queries, Applicant, Term, Window, WindowState};
use crate::db::schema::{courses, enrollments, holds, priority_groups};
use crate::registration::notices::{self, Notice};
use crate::web::{AppError, Lang};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TermInfo {
    pub id: i32,
    pub year: i16,
    pub season: String,
    pub name_ko: String,
    pub name_en: String,
    pub registration_frozen: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WindowInfo {
    pub phase: String,
    pub cohort: String,
    /// The priority group the window is for (members only), when it names one.
    pub group: Option<GroupInfo>,
    /// `odd` or `even`: the window is for student numbers ending in such a digit.
    pub parity: Option<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub state: WindowState,
}

impl WindowInfo {
    /// Who the window is for, in words: the cohort, then the group and the parity it names
    /// (`전체 · 장애학생 · 홀수 학번`). Takes the language by reference, as templates pass it.
    pub fn audience(&self, lang: &Lang) -> String {
        let mut parts = vec![lang.text(&format!("cohort.{}", self.cohort)).to_string()];
        if let Some(g) = &self.group {
            parts.push(g.name(lang).to_string());
        }
        if let Some(p) = &self.parity {
            parts.push(lang.text(&format!("parity.{p}")).to_string());
        }
        parts.join(" · ")
    }

    pub fn is_open(&self) -> bool {
        self.state == WindowState::Open
    }
}

/// A priority group as a window names it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupInfo {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
}

impl GroupInfo {
    /// Takes the language by reference, as templates pass it.
    pub fn name(&self, lang: &Lang) -> &str {
        match lang {
            Lang::Ko => &self.name_ko,
            Lang::En => &self.name_en,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentInfo {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Standing {
    pub id: i32,
    pub login_id: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub class_year: Option<i8>,
    pub department: Option<DepartmentInfo>,
    pub term: Option<TermInfo>,
    pub windows: Vec<WindowInfo>,
    pub credit_limit: Option<i8>,
    pub credits_enrolled: i64,
    pub holds: Vec<String>,
    /// The newest notices (waitlist promotions, ...), unread first.
    pub notices: Vec<NoticeInfo>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeInfo {
    pub id: i64,
    pub kind: String,
    pub message_ko: String,
    pub message_en: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

impl NoticeInfo {
    /// Takes the language by reference, as templates pass it.
    pub fn message(&self, lang: &Lang) -> &str {
        match lang {
            Lang::Ko => &self.message_ko,
            Lang::En => &self.message_en,
        }
    }

    pub fn when(&self) -> String {
        crate::web::layout::seoul(&self.created_at)
    }

    pub fn iso(&self) -> String {
        self.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

impl From<Notice> for NoticeInfo {
    fn from(n: Notice) -> Self {
        NoticeInfo {
            id: n.id,
            kind: n.kind,
            message_ko: n.message_ko,
            message_en: n.message_en,
            created_at: n.created_at.and_utc(),
            read: n.read_at.is_some(),
        }
    }
}

/// How many notices the home page and `/api/v1/me` carry.
const RECENT_NOTICES: i64 = 10;

impl Standing {
    pub fn unread_notices(&self) -> usize {
        self.notices.iter().filter(|n| !n.read).count()
    }
}

impl Standing {
    /// The soonest window that has not opened yet, for the countdown.
    pub fn next_window(&self) -> Option<&WindowInfo> {
        self.windows
            .iter()
            .filter(|w| w.state == WindowState::Upcoming)
            .min_by_key(|w| w.opens_at)
    }

    pub fn department_name(&self, lang: Lang) -> Option<&str> {
        self.department.as_ref().map(|d| match lang {
            Lang::Ko => d.name_ko.as_str(),
            Lang::En => d.name_en.as_str(),
        })
    }

    pub fn term_name(&self, lang: Lang) -> Option<&str> {
        self.term.as_ref().map(|t| match lang {
            Lang::Ko => t.name_ko.as_str(),
            Lang::En => t.name_en.as_str(),
        })
    }
}

fn term_info(t: &Term) -> TermInfo {
    TermInfo {
        id: t.id,
        year: t.year,
        season: t.season.clone(),
        name_ko: t.name_ko.clone(),
        name_en: t.name_en.clone(),
        registration_frozen: t.registration_frozen,
    }
}

fn window_info(w: &Window, groups: &HashMap<i32, GroupInfo>, now: DateTime<Utc>) -> WindowInfo {
    WindowInfo {
        phase: w.phase.clone(),
        cohort: w.cohort.clone(),
        group: w.group_id.and_then(|g| groups.get(&g).cloned()),
        parity: w.parity.clone(),
        opens_at: w.opens(),
        closes_at: w.closes(),
        state: w.state(now),
    }
}

/// The groups the windows name, by id.
fn group_names(
    conn: &mut MysqlConnection,
    windows: &[Window],
) -> QueryResult<HashMap<i32, GroupInfo>> {
    let ids: Vec<i32> = windows.iter().filter_map(|w| w.group_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, String, String, String)> = priority_groups::table
        .filter(priority_groups::id.eq_any(&ids))
        .select((
            priority_groups::id,
            priority_groups::code,
            priority_groups::name_ko,
            priority_groups::name_en,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, code, name_ko, name_en)| {
            (
                id,
                GroupInfo {
                    code,
                    name_ko,
                    name_en,
                },
            )
        })
        .collect())
}

/// Credits of the student's enrollments in `term_id`.
pub fn enrolled_credits(
    conn: &mut MysqlConnection,
    student_id: i32,
    term_id: i32,
) -> QueryResult<i64> {
    let credits: Vec<i8> = enrollments::table
        .inner_join(courses::table)
        .filter(enrollments::student_id.eq(student_id))
        .filter(enrollments::term_id.eq(term_id))
        .select(courses::credits)
        .load(conn)?;
    Ok(credits.into_iter().map(i64::from).sum())
}

pub fn active_holds(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<Vec<String>> {
    holds::table
        .filter(holds::student_id.eq(student_id))
        .filter(holds::released_at.is_null())
        .order(holds::created_at)
        .select(holds::reason)
        .load(conn)
}

pub fn standing(
    conn: &mut MysqlConnection,
    user_id: i32,
    now: DateTime<Utc>,
) -> QueryResult<Standing> {
    let user: User = models::find(conn, user_id)?;
    let department: Option<Department> = user
        .department_id
        .map(|d| models::department(conn, d))
        .transpose()?;
    let term = queries::current_term(conn)?;
    let is_student = user.role == "student";
    let (windows, credit_limit, credits_enrolled) = match &term {
        Some(t) => {
            let all = queries::windows_for_term(conn, t.id)?;
            let member_of = if is_student && Window::any_group(&all) {
                crate::catalog::queries::group_ids(conn, user.id)?
            } else {
                Vec::new()
            };
            // A student sees the windows the rules apply to them (as `rules::window_open`
            // sees the student); staff see every window.
            let who = Applicant {
                class_year: Some(user.class_year.unwrap_or(0)),
                number: &user.login_id,
                groups: &member_of,
            };
            let named = group_names(conn, &all)?;
            let windows = all
                .iter()
                .filter(|w| !is_student || w.applies_to(&who))
                .map(|w| window_info(w, &named, now))
                .collect();
            let credits = if is_student {
                enrolled_credits(conn, user.id, t.id)?
            } else {
                0
            };
            (
                windows,
                is_student.then(|| user.max_credits.unwrap_or(t.max_credits)),
                credits,
            )
        }
        None => (Vec::new(), None, 0),
    };
    let holds = if is_student {
        active_holds(conn, user.id)?
    } else {
        Vec::new()
    };
    let notices = notices::recent(conn, user.id, RECENT_NOTICES)?
        .into_iter()
        .map(NoticeInfo::from)
        .collect();
    Ok(Standing {
        id: user.id,
        login_id: user.login_id,
        name: user.name,
        role: user.role,
        status: user.status,
        class_year: user.class_year,
        department: department.map(|d| DepartmentInfo {
            code: d.code,
            name_ko: d.name_ko,
            name_en: d.name_en,
        }),
        term: term.as_ref().map(term_info),
        windows,
        credit_limit,
        credits_enrolled,
        holds,
        notices,
    })
}

// ---- notices ----

fn notice_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound)
}

/// Marks the user's own notice read. Marking one already read is fine (a double click); another
/// user's notice, or none, is 404 and changes nothing.
async fn mark_read(app: &AppState, user_id: i32, id: i64) -> Result<(), AppError> {
    let found = app
        .db
        .run(move |conn| {
            if notices::mark_read(conn, user_id, id)? {
                return Ok(true);
            }
            let mine: i64 = crate::db::schema::notices::table
                .filter(crate::db::schema::notices::id.eq(id))
                .filter(crate::db::schema::notices::user_id.eq(user_id))
                .count()
                .get_result(conn)?;
            Ok(mine > 0)
        })
        .await?;
    if found {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// `POST /notices/{id}/read` (form): back to the home page.
pub async fn notice_read(
    app: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = notice_id(&path)?;
    mark_read(&app, user.0.user_id, id).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish())
}

pub async fn api_notice_read(
    app: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = notice_id(&path)?;
    mark_read(&app, user.0.user_id, id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": id, "read": true })))
}

pub async fn api_notices(
    app: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let uid = user.0.user_id;
    let list: Vec<NoticeInfo> = app
        .db
        .run(move |conn| {
            Ok(notices::recent(conn, uid, 50)?
                .into_iter()
                .map(NoticeInfo::from)
                .collect())
        })
        .await?;
    let unread = list.iter().filter(|n| !n.read).count();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "unread": unread, "notices": list })))
}
