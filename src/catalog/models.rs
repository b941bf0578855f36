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
    /// Members of this priority group only (`None`: everyone of the cohort).
    pub group_id: Option<i32>,
    /// `odd` or `even`: students whose number ends in such a digit only (`None`: every number).
    pub parity: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = registration_windows)]
pub struct NewWindow<'a> {
    pub term_id: i32,
    pub phase: &'a str,
    pub cohort: &'a str,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub group_id: Option<i32>,
    pub parity: Option<&'a str>,
}

/// The parity of a student number's last digit, for 홀수/짝수 학번 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parity {
    Odd,
    Even,
}

impl Parity {
    pub const ALL: [Parity; 2] = [Parity::Odd, Parity::Even];

    pub fn parse(s: &str) -> Option<Parity> {
        match s.trim() {
            "odd" => Some(Parity::Odd),
            "even" => Some(Parity::Even),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Parity::Odd => "odd",
            Parity::Even => "even",
        }
    }

    /// The parity of the number's last character; `None` when it is not a digit (such a
    /// number is on neither day: a parity window never applies to it).
    pub fn of(number: &str) -> Option<Parity> {
        let digit = number.trim().chars().last()?.to_digit(10)?;
        Some(if digit % 2 == 1 {
            Parity::Odd
        } else {
            Parity::Even
        })
    }
}

/// Who a window is checked for: the student's class year, student number and priority groups.
#[derive(Debug, Clone, Copy)]
pub struct Applicant<'a> {
    pub class_year: Option<i8>,
    pub number: &'a str,
    pub groups: &'a [i32],
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

    /// Whether the window's cohort takes a student in `class_year` (`None`: every cohort).
    pub fn cohort_matches(&self, class_year: Option<i8>) -> bool {
        match (self.cohort.as_str(), class_year) {
            ("all", _) | (_, None) => true,
            (cohort, Some(year)) => cohort == format!("year{year}"),
        }
    }

    /// Whether this window is the student's: the cohort matches (or is `all`), the student is a
    /// member of the window's group if it names one, and the student number's last digit has
    /// the window's parity if it names one. Every condition the window names must hold.
    pub fn applies_to(&self, who: &Applicant<'_>) -> bool {
        self.cohort_matches(who.class_year)
            && self.group_id.is_none_or(|g| who.groups.contains(&g))
            && self.parity.as_deref().is_none_or(|p| {
                Parity::parse(p).is_some_and(|want| Parity::of(who.number) == Some(want))
            })
    }

    /// Whether some window of `windows` targets a priority group: only then does a check need
    /// the student's groups.
    pub fn any_group(windows: &[Window]) -> bool {
        windows.iter().any(|w| w.group_id.is_some())
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
            group_id: None,
            parity: None,
        }
    }

    fn who<'a>(class_year: i8, number: &'a str, groups: &'a [i32]) -> Applicant<'a> {
        Applicant {
            class_year: Some(class_year),
            number,
            groups,
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
        assert!(window("all").cohort_matches(Some(3)));
        assert!(window("year3").cohort_matches(Some(3)));
        assert!(!window("year3").cohort_matches(Some(2)));
        assert!(window("year1").cohort_matches(None));
        assert!(window("year3").applies_to(&who(3, "20230001", &[])));
        assert!(!window("year3").applies_to(&who(2, "20230001", &[])));
    }

    #[test]
    fn a_group_window_applies_to_its_members_only() {
        let mut w = window("all");
        w.group_id = Some(5);
        assert!(w.applies_to(&who(2, "20230001", &[1, 5])));
        assert!(!w.applies_to(&who(2, "20230001", &[1])));
        assert!(!w.applies_to(&who(2, "20230001", &[])));
        // A group window of a cohort needs both.
        w.cohort = "year4".into();
        assert!(!w.applies_to(&who(2, "20230001", &[5])));
        assert!(w.applies_to(&who(4, "20230001", &[5])));
    }

    #[test]
    fn a_parity_window_applies_by_the_last_digit_of_the_number() {
        let mut w = window("all");
        w.parity = Some("odd".into());
        assert!(w.applies_to(&who(1, "20240013", &[])));
        assert!(!w.applies_to(&who(1, "20240012", &[])));
        assert!(!w.applies_to(&who(1, "20240010", &[])));
        w.parity = Some("even".into());
        assert!(w.applies_to(&who(1, "20240010", &[])));
        assert!(w.applies_to(&who(1, "20240012", &[])));
        assert!(!w.applies_to(&who(1, "20240013", &[])));
        // A number that does not end in a digit is on neither day.
        assert!(!w.applies_to(&who(1, "guest-a", &[])));
        assert_eq!(Parity::of(" 2024009 "), Some(Parity::Odd));
        assert_eq!(Parity::of(""), None);
    }

    #[test]
    fn every_condition_of_a_window_must_hold() {
        let mut w = window("year1");
        w.group_id = Some(2);
        w.parity = Some("even".into());
        assert!(w.applies_to(&who(1, "20260002", &[2])));
        assert!(!w.applies_to(&who(1, "20260003", &[2])));
        assert!(!w.applies_to(&who(1, "20260002", &[])));
        assert!(!w.applies_to(&who(3, "20260002", &[2])));
    }
}
