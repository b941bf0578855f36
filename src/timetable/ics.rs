//! The timetable as an RFC 5545 calendar: one weekly recurring event per meeting, from the first
//! meeting date on or after the term's start until the term's end, in Asia/Seoul (which has no
//! daylight saving time, so one STANDARD component describes it exactly).

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::domain::MinuteOfDay;
use crate::timetable::grid::TimetableSection;

/// Term dates the calendar needs.
#[derive(Debug, Clone)]
pub struct TermDates {
    pub id: i32,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// TEXT value escaping (RFC 5545 3.3.11).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line into CRLF-terminated lines of at most 75 octets, never splitting a
/// UTF-8 character (RFC 5545 3.1).
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
    out
}

/// The first date on or after `from` that falls on `weekday` (Mon=1 .. Sun=7).
pub fn first_on_or_after(from: NaiveDate, weekday: u8) -> NaiveDate {
    let today = from.weekday().number_from_monday();
    let ahead = (u32::from(weekday) + 7 - today) % 7;
    from.checked_add_days(Days::new(u64::from(ahead)))
        .unwrap_or(from)
}

fn local(date: NaiveDate, minute: u16) -> String {
    NaiveDateTime::new(date, MinuteOfDay::stored(minute).time())
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The last second of the term's last day in Seoul, as UTC.
pub fn until(ends_on: NaiveDate) -> DateTime<Utc> {
    let seoul_end = NaiveDateTime::new(
        ends_on,
        NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN),
    );
    (seoul_end - chrono::Duration::hours(9)).and_utc()
}

pub fn calendar(term: &TermDates, sections: &[TimetableSection], now: DateTime<Utc>) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Goorm University//sugang//KO".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape(&term.name)),
        "X-WR-TIMEZONE:Asia/Seoul".into(),
        "BEGIN:VTIMEZONE".into(),
        "TZID:Asia/Seoul".into(),
        "BEGIN:STANDARD".into(),
        "DTSTART:19700101T000000".into(),
        "TZOFFSETFROM:+0900".into(),
        "TZOFFSETTO:+0900".into(),
        "TZNAME:KST".into(),
        "END:STANDARD".into(),
        "END:VTIMEZONE".into(),
    ];
    let stamp = utc(now);
    let until = utc(until(term.ends_on));
    for s in sections {
        for m in &s.meetings {
            let first = first_on_or_after(term.starts_on, m.weekday);
            if first > term.ends_on {
                continue;
            }
            lines.extend([
                "BEGIN:VEVENT".to_string(),
                format!(
                    "UID:term{}-section{}-meeting{}@sugang.goorm.ac.kr",
                    term.id, s.section_id, m.meeting_id
                ),
                format!("DTSTAMP:{stamp}"),
                format!("DTSTART;TZID=Asia/Seoul:{}", local(first, m.start)),
                format!("DTEND;TZID=Asia/Seoul:{}", local(first, m.end)),
                format!("RRULE:FREQ=WEEKLY;UNTIL={until}"),
                format!(
                    "SUMMARY:{}",
                    escape(&format!("{} {}", s.label(), s.title_ko))
                ),
                format!("LOCATION:{}", escape(&m.room)),
                format!(
                    "DESCRIPTION:{}",
                    escape(&format!(
                        "{}\n{}\n{} ({})",
                        s.title_en, s.instructor, s.course_code, s.credits
                    ))
                ),
                "END:VEVENT".to_string(),
            ]);
        }
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timetable::grid::Slot;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\ne\r"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "자료구조".repeat(20));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        for (i, part) in folded.trim_end_matches("\r\n").split("\r\n").enumerate() {
            assert!(part.len() <= 75, "line {i} has {} octets", part.len());
            if i > 0 {
                assert!(part.starts_with(' '));
            }
        }
        let unfolded: String = folded
            .trim_end_matches("\r\n")
            .split("\r\n")
            .enumerate()
            .map(|(i, p)| if i == 0 { p } else { &p[1..] })
            .collect();
        assert_eq!(unfolded, line);
        assert_eq!(fold("SHORT"), "SHORT\r\n");
    }

    #[test]
    fn first_meeting_date_is_on_or_after_the_term_start() {
        // 2027-03-02 is a Tuesday.
        let start = date(2027, 3, 2);
        assert_eq!(first_on_or_after(start, 2), start);
        assert_eq!(first_on_or_after(start, 3), date(2027, 3, 3));
        assert_eq!(first_on_or_after(start, 1), date(2027, 3, 8));
        assert_eq!(first_on_or_after(start, 6), date(2027, 3, 6));
    }

    #[test]
    fn until_is_the_end_of_the_last_day_in_seoul_as_utc() {
        assert_eq!(
            utc(until(date(2027, 6, 18))),
            "20270618T145959Z".to_string()
        );
    }

    #[test]
    fn calendar_has_one_recurring_event_per_meeting() {
        let term = TermDates {
            id: 7,
            name: "2027학년도 1학기".into(),
            starts_on: date(2027, 3, 2),
            ends_on: date(2027, 6, 18),
        };
        let section = TimetableSection {
            section_id: 42,
            course_code: "CSE2010".into(),
            section_no: 1,
            title_ko: "자료구조".into(),
            title_en: "Data Structures, with C".into(),
            credits: 3,
            instructor: "김교수".into(),
            meetings: vec![
                Slot {
                    meeting_id: 1,
                    weekday: 1,
                    start: 540,
                    end: 615,
                    room: "공학관 301".into(),
                },
                Slot {
                    meeting_id: 2,
                    weekday: 3,
                    start: 540,
                    end: 615,
                    room: "공학관 301".into(),
                },
            ],
        };
        let now = date(2026, 11, 25)
            .and_hms_opt(8, 0, 0)
            .expect("time")
            .and_utc();
        let ics = calendar(&term, &[section], now);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
        assert!(ics.contains("DTSTART;TZID=Asia/Seoul:20270308T090000\r\n"));
        assert!(ics.contains("DTEND;TZID=Asia/Seoul:20270303T101500\r\n"));
        assert!(ics.contains("RRULE:FREQ=WEEKLY;UNTIL=20270618T145959Z\r\n"));
        assert!(ics.contains("DTSTAMP:20261125T080000Z\r\n"));
        assert!(ics.contains("Data Structures\\, with C\\n"));
    }
}
