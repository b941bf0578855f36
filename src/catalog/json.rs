//! The JSON shape of a section in search results and on `GET /api/v1/sections/{id}`.
//!
//! A search answer is mostly catalog text that only changes with the catalog version, so each
//! section's static part is rendered once per snapshot (`fragment`) and a response splices the
//! page's fragments after the live seat numbers (`search_body`) instead of serializing every
//! string again on every request.

use std::io::Write;

use serde::Serialize;

use crate::catalog::snapshot::{DepartmentRef, MeetingItem, Seats, SectionItem};
use crate::domain::MinuteOfDay;

/// `HH:MM`, serialized without an intermediate `String`.
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(value_type = String, example = "09:00")]
pub struct Hhmm(pub u16);

impl std::fmt::Display for Hhmm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        MinuteOfDay::stored(self.0).fmt(f)
    }
}

impl Serialize for Hhmm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SectionMeeting)]
pub struct MeetingJson<'a> {
    pub weekday: u8,
    pub starts_at: Hhmm,
    pub ends_at: Hhmm,
    pub starts_at_min: u16,
    pub ends_at_min: u16,
    pub room: &'a str,
}

impl<'a> From<&'a MeetingItem> for MeetingJson<'a> {
    fn from(m: &'a MeetingItem) -> Self {
        MeetingJson {
            weekday: m.weekday,
            starts_at: Hhmm(m.starts_at_min),
            ends_at: Hhmm(m.ends_at_min),
            starts_at_min: m.starts_at_min,
            ends_at_min: m.ends_at_min,
            room: &m.room,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DepartmentJson<'a> {
    pub code: &'a str,
    pub name_ko: &'a str,
    pub name_en: &'a str,
}

impl<'a> From<&'a DepartmentRef> for DepartmentJson<'a> {
    fn from(d: &'a DepartmentRef) -> Self {
        DepartmentJson {
            code: &d.code,
            name_ko: &d.name_ko,
            name_en: &d.name_en,
        }
    }
}

/// Everything about a section except the seat numbers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaticJson<'a> {
    pub id: i32,
    pub course_id: i32,
    pub course_code: &'a str,
    pub section_no: i16,
    pub title_ko: &'a str,
    pub title_en: &'a str,
    pub credits: i8,
    pub category: &'a str,
    pub department: DepartmentJson<'a>,
    pub instructor: &'a str,
    pub status: &'a str,
    pub meetings: Vec<MeetingJson<'a>>,
}

impl<'a> StaticJson<'a> {
    pub fn new(s: &'a SectionItem) -> Self {
        StaticJson {
            id: s.id,
            course_id: s.course_id,
            course_code: &s.course_code,
            section_no: s.section_no,
            title_ko: &s.title_ko,
            title_en: &s.title_en,
            credits: s.credits,
            category: &s.category,
            department: (&s.department).into(),
            instructor: &s.instructor,
            status: &s.status,
            meetings: s.meetings.iter().map(MeetingJson::from).collect(),
        }
    }
}

/// A section with live seats (the detail endpoint serializes this directly).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemJson<'a> {
    pub capacity: i32,
    pub enrolled: i32,
    /// Seats anyone may take now (held seats are not).
    pub seats_left: i32,
    /// Freed seats held until the term's next seat-release time (0 without release times).
    pub held_seats: i32,
    /// When the held seats are released (RFC 3339, UTC); null when none are held.
    pub released_at: Option<String>,
    #[serde(flatten)]
    pub section: StaticJson<'a>,
}

fn released_at(seats: &Seats) -> Option<String> {
    seats.released_at().map(|at| {
        at.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    })
}

impl<'a> ItemJson<'a> {
    pub fn new(s: &'a SectionItem, seats: Seats) -> Self {
        ItemJson {
            capacity: seats.capacity,
            enrolled: seats.enrolled,
            seats_left: seats.left(),
            held_seats: seats.held,
            released_at: released_at(&seats),
            section: StaticJson::new(s),
        }
    }
}

/// The static JSON object of a section, rendered once per snapshot.
pub fn fragment(s: &SectionItem) -> String {
    serde_json::to_string(&StaticJson::new(s)).unwrap_or_else(|_| "{}".into())
}

/// `head` (a JSON object) with `"items": [...]` added, each item its seats spliced into its
/// pre-rendered fragment.
pub fn search_body<'f>(
    head: &impl Serialize,
    items: impl ExactSizeIterator<Item = (&'f str, Seats)>,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(512 + 700 * items.len());
    serde_json::to_writer(&mut out, head)?;
    if out.last() == Some(&b'}') {
        out.pop();
    }
    out.extend_from_slice(b",\"items\":[");
    for (i, (fragment, seats)) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing to a Vec cannot fail.
        let _ = write!(
            out,
            "{{\"capacity\":{},\"enrolled\":{},\"seats_left\":{},\"held_seats\":{},\"released_at\":",
            seats.capacity,
            seats.enrolled,
            seats.left(),
            seats.held,
        );
        match released_at(&seats) {
            // An RFC 3339 instant needs no escaping.
            Some(at) => {
                let _ = write!(out, "\"{at}\"");
            }
            None => out.extend_from_slice(b"null"),
        }
        let rest = fragment.strip_prefix('{').unwrap_or("}");
        if rest != "}" {
            out.push(b',');
        }
        out.extend_from_slice(rest.as_bytes());
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::snapshot::haystack;

    fn section() -> SectionItem {
        SectionItem {
            id: 7,
            course_id: 3,
            course_code: "CSE2010".into(),
            section_no: 2,
            title_ko: "자료구조 \"심화\"".into(),
            title_en: "Data Structures\n(advanced)".into(),
            credits: 3,
            category: "major_required".into(),
            department: DepartmentRef {
                id: 1,
                code: "CSE".into(),
                name_ko: "컴퓨터공학과".into(),
                name_en: "Computer Science".into(),
            },
            description: String::new(),
            instructor: "김교수".into(),
            capacity: 40,
            waitlist_capacity: 0,
            restrict_department: None,
            restrict_class_years: 0,
            status: "open".into(),
            cancel_reason: None,
            prerequisites: vec![],
            meetings: vec![MeetingItem {
                id: 1,
                weekday: 2,
                starts_at_min: 9 * 60,
                ends_at_min: 10 * 60 + 15,
                room: "공학관 301".into(),
            }],
            haystack: haystack("CSE2010", "", "", ""),
        }
    }

    #[test]
    fn spliced_items_equal_serialized_items() {
        let s = section();
        let seats = Seats {
            enrolled: 12,
            capacity: 40,
            held: 2,
            held_until: chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
                .and_then(|d| d.and_hms_opt(4, 0, 0)),
        };
        let fragment = fragment(&s);
        let head = serde_json::json!({ "total": 1 });
        let body = search_body(&head, [(fragment.as_str(), seats)].into_iter()).expect("body");
        let parsed: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
        let expected = serde_json::to_value(ItemJson::new(&s, seats)).expect("value");
        assert_eq!(parsed["items"][0], expected);
        assert_eq!(parsed["total"], 1);
        assert_eq!(parsed["items"][0]["seats_left"], 26);
        assert_eq!(parsed["items"][0]["held_seats"], 2);
        assert_eq!(
            parsed["items"][0]["released_at"],
            "2026-03-02T04:00:00.000Z"
        );
        assert_eq!(parsed["items"][0]["meetings"][0]["starts_at"], "09:00");
        assert_eq!(parsed["items"][0]["title_ko"], "자료구조 \"심화\"");
        let empty = search_body(&head, std::iter::empty()).expect("body");
        let parsed: serde_json::Value = serde_json::from_slice(&empty).expect("valid JSON");
        assert_eq!(parsed["items"], serde_json::json!([]));
    }
}
