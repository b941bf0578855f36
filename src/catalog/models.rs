//! Terms and their registration windows.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{registration_windows, terms};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = terms, check_for_backend(diesel::mysql::Mysql))]
pub struct Term {
    pub id: i32,
    pub year: i16,
    pub season: String,
    pub name_ko: String,
    pub name_en: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub is_current: bool,
    pub max_credits: i8,
    pub registration_frozen: bool,
    pub freeze_message: Option<String>,
    pub created_at: NaiveDateTime,
    /// Basket allocation of oversubscribed sections: `fits_only` or `lottery`.
    pub allocation_policy: String,
    /// Seat-release times (`registration::release::ReleaseTimes`); `None`: seats free at once.
    pub release_times: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = terms)]
pub struct NewTerm<'a> {
    pub year: i16,
    pub season: &'a str,
    pub name_ko: &'a str,
    pub name_en: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub is_current: bool,
    pub max_credits: i8,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = registration_windows, check_for_backend(diesel::mysql::Mysql))]
pub struct Window {
    pub id: i32,
    pub term_id: i32,
    pub phase: String,
    pub cohort: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = registration_windows)]
pub struct NewWindow<'a> {
    pub term_id: i32,
    pub phase: &'a str,
    pub cohort: &'a str,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WindowState {
    Upcoming,
    Open,
    Closed,
}

impl WindowState {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowState::Upcoming => "upcoming",
            WindowState::Open => "open",
            WindowState::Closed => "closed",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            WindowState::Upcoming => "window.state.upcoming",
            WindowState::Open => "window.state.open",
            WindowState::Closed => "window.state.closed",
        }
    }
}

impl Window {
    pub fn opens(&self) -> DateTime<Utc> {
        self.opens_at.and_utc()
    }

    pub fn closes(&self) -> DateTime<Utc> {
        self.closes_at.and_utc()
    }

    /// Windows are half-open: open from `opens_at` up to, not including, `closes_at`.
    pub fn state(&self, now: DateTime<Utc>) -> WindowState {
        if now < self.opens() {
            WindowState::Upcoming
        } else if now < self.closes() {
            WindowState::Open
        } else {
            WindowState::Closed
        }
    }

    /// Whether this window is for a student in `class_year` (`None`: staff, who see every window).
    pub fn applies_to(&self, class_year: Option<i8>) -> bool {
        match (self.cohort.as_str(), class_year) {
            ("all", _) | (_, None) => true,
            (cohort, Some(year)) => cohort == format!("year{year}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn window(cohort: &str) -> Window {
        Window {
            id: 1,
            term_id: 1,
            phase: "register".into(),
            cohort: cohort.into(),
            opens_at: Utc
                .with_ymd_and_hms(2027, 2, 10, 1, 0, 0)
                .single()
                .expect("valid")
                .naive_utc(),
            closes_at: Utc
                .with_ymd_and_hms(2027, 2, 12, 9, 0, 0)
                .single()
                .expect("valid")
                .naive_utc(),
        }
    }

    #[test]
    fn window_state_is_half_open() {
        let w = window("all");
        let at = |d, h, m, s| {
            Utc.with_ymd_and_hms(2027, 2, d, h, m, s)
                .single()
                .expect("valid")
        };
        assert_eq!(w.state(at(10, 0, 59, 59)), WindowState::Upcoming);
        assert_eq!(w.state(at(10, 1, 0, 0)), WindowState::Open);
        assert_eq!(w.state(at(12, 8, 59, 59)), WindowState::Open);
        assert_eq!(w.state(at(12, 9, 0, 0)), WindowState::Closed);
    }

    #[test]
    fn cohorts_match_class_years() {
        assert!(window("all").applies_to(Some(3)));
        assert!(window("year3").applies_to(Some(3)));
        assert!(!window("year3").applies_to(Some(2)));
        assert!(window("year1").applies_to(None));
    }
}
