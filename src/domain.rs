//! Values as they come from outside, parsed once at the edge: a course code, a time of day, a
//! section id; and a weekly meeting with the one rule for when two meetings clash. Below `web`,
//! so forms, the catalog, the timetable, registration and the console all read them the same way.

use std::fmt;

use chrono::NaiveTime;
use serde::Serialize;

/// Why a value from outside was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the value is empty")]
    Empty,
    #[error("a course code is 2 to 16 letters and digits")]
    CourseCode,
    #[error("a time of day is H:MM or HH:MM, from 00:00 to 24:00")]
    MinuteOfDay,
    #[error("a section id is a whole number from 1 to 2147483647")]
    SectionId,
}

/// A course code as stored: 2 to 16 ASCII letters and digits, upper case (`CSE2010`). Typed
/// codes are trimmed and upper-cased first, so `cse2010` names the same course.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CourseCode(String);

impl CourseCode {
    pub const MIN_LEN: usize = 2;
    pub const MAX_LEN: usize = 16;

    pub fn parse(raw: &str) -> Result<CourseCode, ParseError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(ParseError::Empty);
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&code.len())
            || !code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ParseError::CourseCode);
        }
        Ok(CourseCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<CourseCode> for String {
    fn from(code: CourseCode) -> String {
        code.0
    }
}

impl fmt::Display for CourseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A time of day in minutes from midnight, from 00:00 up to and including 24:00 (an end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MinuteOfDay(u16);

impl MinuteOfDay {
    /// 24:00, the end of the day.
    pub const END_OF_DAY: u16 = 24 * 60;

    /// `H:MM` or `HH:MM`, digits only, minutes exactly two (`09:005`, `+9:00` and `9:0` are
    /// refused): the one rule for a time of day typed into a form or a CSV file.
    pub fn parse(raw: &str) -> Result<MinuteOfDay, ParseError> {
        let bad = ParseError::MinuteOfDay;
        let (h, m) = raw.trim().split_once(':').ok_or(bad)?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(1..=2).contains(&h.len()) || m.len() != 2 || !digits(h) || !digits(m) {
            return Err(bad);
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad)?, m.parse().map_err(|_| bad)?);
        if m < 60 && (h < 24 || (h == 24 && m == 0)) {
            Ok(MinuteOfDay(h * 60 + m))
        } else {
            Err(bad)
        }
    }

    /// A time read back from the database, whose check keeps meetings within 00:00..=24:00.
    pub fn stored(minutes: u16) -> MinuteOfDay {
        MinuteOfDay(minutes)
    }

    pub fn minutes(self) -> u16 {
        self.0
    }

    /// As a wall-clock time; 24:00, which a clock does not show, reads as 00:00.
    pub fn time(self) -> NaiveTime {
        NaiveTime::from_hms_opt(u32::from(self.0 / 60), u32::from(self.0 % 60), 0)
            .unwrap_or(NaiveTime::MIN)
    }
}

/// `HH:MM`, as pages, the JSON API and the forms show it.
impl fmt::Display for MinuteOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// A weekly class meeting: a weekday (Mon=1 .. Sat=6) and minutes from midnight, end excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meeting {
    pub day: u8,
    pub start: u16,
    pub end: u16,
}

impl Meeting {
    /// A meeting as its database columns hold it (the table's checks keep every value in range).
    pub fn stored(weekday: i8, starts: i16, ends: i16) -> Meeting {
        Meeting {
            day: weekday as u8,
            start: starts as u16,
            end: ends as u16,
        }
    }

    /// Half-open minutes on the same weekday: a class ending at 10:00 does not clash with one
    /// starting at 10:00. The one clash rule of enrollment, the timetable, the section forms and
    /// the generated catalog.
    pub fn overlaps(&self, other: &Meeting) -> bool {
        self.day == other.day && self.start < other.end && other.start < self.end
    }
}

/// The id of a section named from outside (a path, a form, a JSON body): a positive `i32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SectionId(i32);

impl SectionId {
    /// Decimal digits as Rust reads an integer (an optional `+`, no spaces).
    pub fn parse(raw: &str) -> Result<SectionId, ParseError> {
        raw.parse::<i64>()
            .map_err(|_| ParseError::SectionId)
            .and_then(SectionId::from_i64)
    }

    /// A number from a JSON body.
    pub fn from_i64(n: i64) -> Result<SectionId, ParseError> {
        i32::try_from(n)
            .ok()
            .filter(|n| *n > 0)
            .map(SectionId)
            .ok_or(ParseError::SectionId)
    }

    /// An id read back from the database (auto-increment ids are positive).
    pub fn stored(id: i32) -> SectionId {
        SectionId(id)
    }

    /// The id for the database layer.
    pub fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for SectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_course_code_is_trimmed_and_upper_cased() {
        assert_eq!(
            CourseCode::parse(" cse2010 ").expect("valid").as_str(),
            "CSE2010"
        );
        assert_eq!(
            CourseCode::parse("WCH300").expect("valid").to_string(),
            "WCH300"
        );
        assert_eq!(
            String::from(CourseCode::parse("bio").expect("valid")),
            "BIO"
        );
    }

    #[test]
    fn a_course_code_runs_from_2_to_16_letters_and_digits() {
        assert!(CourseCode::parse("CS").is_ok());
        assert!(CourseCode::parse(&"A".repeat(16)).is_ok());
        assert_eq!(CourseCode::parse("C"), Err(ParseError::CourseCode));
        assert_eq!(
            CourseCode::parse(&"A".repeat(17)),
            Err(ParseError::CourseCode)
        );
    }

    #[test]
    fn a_course_code_refuses_blanks_punctuation_and_other_scripts() {
        assert_eq!(CourseCode::parse(""), Err(ParseError::Empty));
        assert_eq!(CourseCode::parse("   "), Err(ParseError::Empty));
        for bad in [
            "CSE-2010",
            "CSE 2010",
            "B!",
            "수강2010",
            "ＣＳＥ２０１０",
            "straße",
        ] {
            assert_eq!(CourseCode::parse(bad), Err(ParseError::CourseCode), "{bad}");
        }
    }

    #[test]
    fn a_time_of_day_runs_from_midnight_to_midnight() {
        let minutes = |s: &str| MinuteOfDay::parse(s).map(MinuteOfDay::minutes);
        assert_eq!(minutes("09:00"), Ok(540));
        assert_eq!(minutes("24:00"), Ok(1440));
        assert_eq!(minutes("00:00"), Ok(0));
        assert_eq!(minutes("9:30"), Ok(570));
        assert_eq!(minutes(" 23:59 "), Ok(1439));
    }

    #[test]
    fn a_time_of_day_is_digits_with_exactly_two_minute_digits() {
        for bad in [
            "", "24:01", "9", "ab:cd", "-1:00", "12:60", "09:005", "+9:00", "9:0", "123:00",
            "09:5x", "09:+5", ":30",
        ] {
            assert_eq!(
                MinuteOfDay::parse(bad),
                Err(ParseError::MinuteOfDay),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_time_of_day_shows_as_two_digit_hours_and_minutes() {
        assert_eq!(MinuteOfDay::stored(615).to_string(), "10:15");
        assert_eq!(MinuteOfDay::stored(0).to_string(), "00:00");
        assert_eq!(MinuteOfDay::stored(1440).to_string(), "24:00");
        assert_eq!(
            MinuteOfDay::parse("9:05").expect("valid").to_string(),
            "09:05"
        );
    }

    #[test]
    fn a_time_of_day_reads_as_a_wall_clock_time() {
        let at = |m: u16| MinuteOfDay::stored(m).time().format("%H:%M").to_string();
        assert_eq!(at(0), "00:00");
        assert_eq!(at(615), "10:15");
        assert_eq!(at(1439), "23:59");
        assert_eq!(at(1440), "00:00");
    }

    fn mon(start: u16, end: u16) -> Meeting {
        Meeting { day: 1, start, end }
    }

    #[test]
    fn meetings_that_share_a_minute_on_the_same_day_overlap() {
        assert!(mon(540, 615).overlaps(&mon(600, 690)));
        assert!(mon(600, 690).overlaps(&mon(540, 615)));
        assert!(mon(540, 720).overlaps(&mon(600, 615)));
        assert!(mon(540, 615).overlaps(&mon(540, 615)));
    }

    #[test]
    fn meetings_that_only_touch_or_fall_on_other_days_do_not_overlap() {
        assert!(!mon(540, 600).overlaps(&mon(600, 660)));
        assert!(!mon(600, 660).overlaps(&mon(540, 600)));
        let tue = Meeting {
            day: 2,
            start: 540,
            end: 615,
        };
        assert!(!mon(540, 615).overlaps(&tue));
    }

    #[test]
    fn a_stored_meeting_keeps_its_columns() {
        assert_eq!(
            Meeting::stored(6, 0, 1440),
            Meeting {
                day: 6,
                start: 0,
                end: 1440
            }
        );
    }

    #[test]
    fn a_section_id_is_a_positive_i32() {
        assert_eq!(SectionId::parse("1").map(SectionId::get), Ok(1));
        assert_eq!(
            SectionId::parse("2147483647").map(SectionId::get),
            Ok(i32::MAX)
        );
        assert_eq!(SectionId::parse("+3").map(SectionId::get), Ok(3));
        for bad in ["2147483648", "0", "-3", " 3", "3x", ""] {
            assert_eq!(SectionId::parse(bad), Err(ParseError::SectionId), "{bad}");
        }
        assert_eq!(SectionId::from_i64(5).map(SectionId::get), Ok(5));
        assert_eq!(SectionId::from_i64(0), Err(ParseError::SectionId));
        assert_eq!(SectionId::from_i64(1 << 40), Err(ParseError::SectionId));
    }

    #[test]
    fn a_section_id_shows_and_serializes_as_its_number() {
        let id = SectionId::parse("42").expect("valid");
        assert_eq!(id.to_string(), "42");
        assert_eq!(serde_json::to_string(&id).expect("json"), "42");
    }
}
