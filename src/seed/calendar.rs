//! The demo calendar: the term registration is for (the next semester after `now`), the one
//! before it, and registration windows placed relative to `now`, so every flow can be tried the
//! minute the demo starts.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};

/// Default credit limit of a term.
pub const TERM_MAX_CREDITS: i8 = 18;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermSpec {
    pub year: i16,
    /// `spring` or `fall`.
    pub season: &'static str,
    pub name_ko: String,
    pub name_en: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub is_current: bool,
    pub max_credits: i8,
}

impl TermSpec {
    fn new(year: i32, spring: bool, is_current: bool) -> TermSpec {
        let (season, semester, month) = if spring {
            ("spring", 1, 3)
        } else {
            ("fall", 2, 9)
        };
        // Korean semesters start on the first weekday of March or September and run 16 weeks.
        let mut starts_on =
            NaiveDate::from_ymd_opt(year, month, 1 + u32::from(spring)).unwrap_or(NaiveDate::MIN);
        while starts_on.weekday().number_from_monday() > 5 {
            starts_on = starts_on.succ_opt().unwrap_or(starts_on);
        }
        TermSpec {
            year: i16::try_from(year).unwrap_or(i16::MAX),
            season,
            name_ko: format!("{year}학년도 {semester}학기"),
            name_en: format!("{} {year}", if spring { "Spring" } else { "Fall" }),
            starts_on,
            ends_on: starts_on + Duration::weeks(16) - Duration::days(3),
            is_current,
            max_credits: TERM_MAX_CREDITS,
        }
    }

    /// The label completed courses carry, e.g. `2026-2` (year, semester).
    pub fn label(year: i32, spring: bool) -> String {
        format!("{year}-{}", if spring { 1 } else { 2 })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSpec {
    /// Index into [`Calendar::terms`].
    pub term: usize,
    pub phase: &'static str,
    pub cohort: &'static str,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// The past term first, then the current one.
    pub terms: Vec<TermSpec>,
    pub windows: Vec<WindowSpec>,
    /// Year and semester of the current term (`true` = spring).
    pub current_year: i32,
    pub current_is_spring: bool,
}

pub const PAST: usize = 0;
pub const CURRENT: usize = 1;

impl Calendar {
    /// The term being registered for at `now` is the next one to start: spring from September
    /// to February, fall from March to August.
    pub fn around(now: DateTime<Utc>) -> Calendar {
        let local = now.with_timezone(&chrono_tz::Asia::Seoul);
        let (year, spring) = match local.month() {
            1 | 2 => (local.year(), true),
            3..=8 => (local.year(), false),
            _ => (local.year() + 1, true),
        };
        let (past_year, past_spring) = if spring {
            (year - 1, false)
        } else {
            (year, true)
        };
        let past = TermSpec::new(past_year, past_spring, false);
        let current = TermSpec::new(year, spring, true);

        let now = now.naive_utc();
        let minute = Duration::minutes(1);
        let day = Duration::days(1);
        let mut windows = Vec::new();
        // The past term's windows, where they were: before its start, 10:00 Seoul time.
        let past_start = past.starts_on.and_hms_opt(1, 0, 0).unwrap_or_default();
        for (phase, opens, closes) in [
            ("basket", -21, -14),
            ("register", -14, -7),
            ("add_drop", 0, 7),
        ] {
            windows.push(WindowSpec {
                term: PAST,
                phase,
                cohort: "all",
                opens_at: past_start + day * opens,
                closes_at: past_start + day * closes,
            });
        }
        // The current term's windows, around now: the basket is open, years 2-4 are registering,
        // year 1 opens in ten minutes (a countdown to watch), add/drop follows in a week.
        windows.push(WindowSpec {
            term: CURRENT,
            phase: "basket",
            cohort: "all",
            opens_at: now - day * 7,
            closes_at: now + day * 7,
        });
        for cohort in ["year2", "year3", "year4"] {
            windows.push(WindowSpec {
                term: CURRENT,
                phase: "register",
                cohort,
                opens_at: now - minute * 30,
                closes_at: now + day * 7,
            });
        }
        windows.push(WindowSpec {
            term: CURRENT,
            phase: "register",
            cohort: "year1",
            opens_at: now + minute * 10,
            closes_at: now + day * 7,
        });
        windows.push(WindowSpec {
            term: CURRENT,
            phase: "add_drop",
            cohort: "all",
            opens_at: now + day * 7,
            closes_at: now + day * 14,
        });
        Calendar {
            terms: vec![past, current],
            windows,
            current_year: year,
            current_is_spring: spring,
        }
    }

    pub fn current(&self) -> &TermSpec {
        &self.terms[CURRENT]
    }

    /// Admission year of a student in `class_year` during the current term: freshmen of a
    /// spring or fall term were admitted that year.
    pub fn admission_year(&self, class_year: u8) -> i32 {
        self.current_year - i32::from(class_year) + 1
    }

    /// The semester in which a student admitted in `admission_year` took level-`level`
    /// courses, given which semester of that year (`true` = spring).
    pub fn label_for(admission_year: i32, level: u8, spring: bool) -> String {
        TermSpec::label(admission_year + i32::from(level) - 1, spring)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 3, 0, 0)
            .single()
            .expect("valid date")
    }

    #[test]
    fn registration_is_for_the_next_semester() {
        let c = Calendar::around(at(2026, 11, 25));
        assert_eq!((c.current().year, c.current().season), (2027, "spring"));
        assert_eq!((c.terms[PAST].year, c.terms[PAST].season), (2026, "fall"));
        assert_eq!(c.current().name_ko, "2027학년도 1학기");
        assert_eq!(c.admission_year(1), 2027);
        assert_eq!(c.admission_year(4), 2024);

        let c = Calendar::around(at(2027, 6, 1));
        assert_eq!((c.current().year, c.current().season), (2027, "fall"));
        assert_eq!((c.terms[PAST].year, c.terms[PAST].season), (2027, "spring"));
    }

    #[test]
    fn terms_last_sixteen_weeks_from_a_weekday() {
        let c = Calendar::around(at(2026, 11, 25));
        for t in &c.terms {
            assert!(t.starts_on.weekday().number_from_monday() <= 5);
            assert_eq!((t.ends_on - t.starts_on).num_days(), 16 * 7 - 3);
        }
        assert_eq!(
            c.current().starts_on,
            NaiveDate::from_ymd_opt(2027, 3, 2).expect("valid")
        );
    }

    #[test]
    fn windows_are_ordered_and_placed_around_now() {
        let now = at(2026, 11, 25);
        let c = Calendar::around(now);
        let now = now.naive_utc();
        for w in &c.windows {
            assert!(w.opens_at < w.closes_at, "{w:?}");
        }
        let open = |phase: &str, cohort: &str| {
            c.windows.iter().any(|w| {
                w.term == CURRENT
                    && w.phase == phase
                    && w.cohort == cohort
                    && w.opens_at <= now
                    && now < w.closes_at
            })
        };
        assert!(open("basket", "all"));
        assert!(
            open("register", "year2") && open("register", "year3") && open("register", "year4")
        );
        assert!(!open("register", "year1"));
        assert!(!open("add_drop", "all"));
    }
}
