//! The student's standing for the current term: who they are, the windows that apply to them,
//! their credit limit and credits taken. Backs the home page and `GET /api/v1/me`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::models::{self, Department, User};
use crate::catalog::{queries, Term, Window, WindowState};
use crate::db::schema::{courses, enrollments, holds};
use crate::web::Lang;

#[derive(Debug, Clone, Serialize)]
pub struct TermInfo {
    pub id: i32,
    pub year: i16,
    pub season: String,
    pub name_ko: String,
    pub name_en: String,
    pub registration_frozen: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowInfo {
    pub phase: String,
    pub cohort: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub state: WindowState,
}

#[derive(Debug, Clone, Serialize)]
pub struct DepartmentInfo {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize)]
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

fn window_info(w: &Window, now: DateTime<Utc>) -> WindowInfo {
    WindowInfo {
        phase: w.phase.clone(),
        cohort: w.cohort.clone(),
        opens_at: w.opens(),
        closes_at: w.closes(),
        state: w.state(now),
    }
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
            let windows = queries::windows_for_term(conn, t.id)?
                .iter()
                .filter(|w| w.applies_to(if is_student { user.class_year } else { None }))
                .map(|w| window_info(w, now))
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
    })
}
