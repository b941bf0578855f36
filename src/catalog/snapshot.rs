//! The current term's catalog as one value: every section with its course, department, meetings,
//! prerequisites and restrictions. It changes only when the catalog changes (which bumps the
//! catalog version), so it is cached whole per version (`catalog::cache`); seat numbers are not
//! part of it and are merged in live from the seat map.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::catalog::models::Term;
use crate::db::schema::{course_prerequisites, courses, departments, meetings, sections};
use crate::domain::{Meeting, MinuteOfDay};
use crate::web::Lang;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermSummary {
    pub id: i32,
    pub year: i16,
    pub season: String,
    pub name_ko: String,
    pub name_en: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub max_credits: i8,
}

impl TermSummary {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ko => &self.name_ko,
            Lang::En => &self.name_en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentRef {
    pub id: i32,
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
}

impl DepartmentRef {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ko => &self.name_ko,
            Lang::En => &self.name_en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingItem {
    pub id: i32,
    /// Mon=1 .. Sat=6.
    pub weekday: u8,
    pub starts_at_min: u16,
    pub ends_at_min: u16,
    pub room: String,
}

impl MeetingItem {
    pub fn starts_at(&self) -> String {
        MinuteOfDay::stored(self.starts_at_min).to_string()
    }

    pub fn ends_at(&self) -> String {
        MinuteOfDay::stored(self.ends_at_min).to_string()
    }

    pub fn meeting(&self) -> Meeting {
        Meeting {
            day: self.weekday,
            start: self.starts_at_min,
            end: self.ends_at_min,
        }
    }

    pub fn weekday_key(&self) -> &'static str {
        weekday_key(self.weekday)
    }
}

pub fn weekday_key(day: u8) -> &'static str {
    match day {
        1 => "weekday.1",
        2 => "weekday.2",
        3 => "weekday.3",
        4 => "weekday.4",
        5 => "weekday.5",
        _ => "weekday.6",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseRef {
    pub id: i32,
    pub code: String,
    pub title_ko: String,
    pub title_en: String,
}

/// One section with everything about it that only a catalog change can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionItem {
    pub id: i32,
    pub course_id: i32,
    pub course_code: String,
    pub section_no: i16,
    pub title_ko: String,
    pub title_en: String,
    pub credits: i8,
    pub category: String,
    pub department: DepartmentRef,
    pub description: String,
    pub instructor: String,
    /// As of the snapshot; pages show the live number from the seat map.
    pub capacity: i32,
    pub waitlist_capacity: i32,
    pub restrict_department: Option<DepartmentRef>,
    /// Bit n-1 set = class year n admitted; 0 = every year.
    pub restrict_class_years: u8,
    /// `open` or `cancelled`.
    pub status: String,
    pub cancel_reason: Option<String>,
    pub prerequisites: Vec<CourseRef>,
    pub meetings: Vec<MeetingItem>,
    /// Lower-cased code, titles and instructor, for keyword search.
    pub haystack: String,
}

impl SectionItem {
    pub fn title(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ko => &self.title_ko,
            Lang::En => &self.title_en,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.status == "cancelled"
    }

    pub fn admits_year(&self, year: u8) -> bool {
        self.restrict_class_years == 0
            || (1..=4).contains(&year) && self.restrict_class_years & (1 << (year - 1)) != 0
    }

    /// The class years admitted (empty: every year).
    pub fn class_years(&self) -> Vec<u8> {
        (1..=4u8)
            .filter(|y| self.restrict_class_years & (1 << (y - 1)) != 0)
            .collect()
    }

    /// `CSE2010-01`
    pub fn label(&self) -> String {
        format!("{}-{:02}", self.course_code, self.section_no)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u64,
    pub term: TermSummary,
    pub departments: Vec<DepartmentRef>,
    /// Ordered by course code, then section number.
    pub sections: Vec<SectionItem>,
    #[serde(skip)]
    by_id: HashMap<i32, usize>,
    /// Each section's position in title order (sorting by title compares numbers, not strings).
    #[serde(skip)]
    title_rank: Vec<u32>,
    /// What the filters look at, packed and contiguous (a search scans all of it).
    #[serde(skip)]
    compact: Vec<Compact>,
    /// Each section's static JSON (`catalog::json::fragment`), rendered once per snapshot.
    #[serde(skip)]
    json: Vec<String>,
}

/// The filterable facts of one section, in snapshot order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Compact {
    pub id: i32,
    /// Index into `Snapshot::departments` (`u16::MAX`: unknown).
    pub department: u16,
    /// Index into `search::CATEGORIES` (`u8::MAX`: other).
    pub category: u8,
    pub credits: i8,
    /// Class years admitted (bit n-1 = year n; 0 = every year).
    pub years: u8,
    pub cancelled: bool,
    /// Bit `(weekday - 1) * 3 + period` for each meeting; period 0 morning, 1 afternoon,
    /// 2 evening (see `search::TimeOfDay`).
    pub day_time: u32,
}

/// The period (0 morning, 1 afternoon, 2 evening) a meeting starting at `minute` falls in.
pub fn period_of(minute: u16) -> u32 {
    match minute {
        m if m < 12 * 60 => 0,
        m if m < 18 * 60 => 1,
        _ => 2,
    }
}

impl Snapshot {
    pub fn new(
        version: u64,
        term: TermSummary,
        departments: Vec<DepartmentRef>,
        mut sections: Vec<SectionItem>,
    ) -> Snapshot {
        sections.sort_by(|a, b| {
            (a.course_code.as_str(), a.section_no).cmp(&(b.course_code.as_str(), b.section_no))
        });
        let mut s = Snapshot {
            version,
            term,
            departments,
            sections,
            by_id: HashMap::new(),
            title_rank: Vec::new(),
            compact: Vec::new(),
            json: Vec::new(),
        };
        s.index();
        s
    }

    /// Rebuilds the indexes (after deserializing).
    pub fn index(&mut self) {
        self.by_id = self
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        let mut order: Vec<usize> = (0..self.sections.len()).collect();
        order.sort_by(|&a, &b| self.sections[a].title_ko.cmp(&self.sections[b].title_ko));
        self.title_rank = vec![0; self.sections.len()];
        for (rank, pos) in order.into_iter().enumerate() {
            self.title_rank[pos] = u32::try_from(rank).unwrap_or(u32::MAX);
        }
        let departments = &self.departments;
        self.compact = self
            .sections
            .iter()
            .map(|s| Compact {
                id: s.id,
                department: departments
                    .iter()
                    .position(|d| d.id == s.department.id)
                    .and_then(|i| u16::try_from(i).ok())
                    .unwrap_or(u16::MAX),
                category: crate::catalog::search::CATEGORIES
                    .iter()
                    .position(|c| *c == s.category)
                    .and_then(|i| u8::try_from(i).ok())
                    .unwrap_or(u8::MAX),
                credits: s.credits,
                years: s.restrict_class_years,
                cancelled: s.is_cancelled(),
                day_time: s
                    .meetings
                    .iter()
                    .filter(|m| (1..=6).contains(&m.weekday))
                    .fold(0, |acc, m| {
                        acc | 1 << ((u32::from(m.weekday) - 1) * 3 + period_of(m.starts_at_min))
                    }),
            })
            .collect();
        self.json = self
            .sections
            .iter()
            .map(crate::catalog::json::fragment)
            .collect();
    }

    /// The pre-rendered static JSON of a section.
    pub fn json_fragment(&self, id: i32) -> Option<&str> {
        self.by_id
            .get(&id)
            .and_then(|&i| self.json.get(i))
            .map(String::as_str)
    }

    pub fn compact(&self) -> &[Compact] {
        &self.compact
    }

    /// Index of a department in `departments` by code.
    pub fn department_index(&self, code: &str) -> Option<u16> {
        self.departments
            .iter()
            .position(|d| d.code.eq_ignore_ascii_case(code))
            .and_then(|i| u16::try_from(i).ok())
    }

    /// Position of the section at `pos` in title order.
    pub fn title_rank(&self, pos: usize) -> u32 {
        self.title_rank.get(pos).copied().unwrap_or(u32::MAX)
    }

    pub fn section(&self, id: i32) -> Option<&SectionItem> {
        self.by_id.get(&id).and_then(|&i| self.sections.get(i))
    }

    pub fn department(&self, code: &str) -> Option<&DepartmentRef> {
        self.departments
            .iter()
            .find(|d| d.code.eq_ignore_ascii_case(code))
    }
}

pub fn haystack(code: &str, title_ko: &str, title_en: &str, instructor: &str) -> String {
    format!("{code}\u{1f}{title_ko}\u{1f}{title_en}\u{1f}{instructor}").to_lowercase()
}

type SectionRow = (
    (i32, i32, i16, String, i32, i32, Option<i32>, i8, String),
    Option<String>,
    (i32, String, String, String, i8, String, i32, String),
);

/// Reads the term's catalog: four indexed queries (sections by term, their meetings, the
/// prerequisites of their courses, departments).
pub fn load(conn: &mut MysqlConnection, term: &Term, version: u64) -> QueryResult<Snapshot> {
    let depts: Vec<DepartmentRef> = departments::table
        .order(departments::code)
        .select((
            departments::id,
            departments::code,
            departments::name_ko,
            departments::name_en,
        ))
        .load::<(i32, String, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name_ko, name_en)| DepartmentRef {
            id,
            code,
            name_ko,
            name_en,
        })
        .collect();
    let dept_by_id: HashMap<i32, &DepartmentRef> = depts.iter().map(|d| (d.id, d)).collect();

    let rows: Vec<SectionRow> = sections::table
        .inner_join(courses::table)
        .filter(sections::term_id.eq(term.id))
        .select((
            (
                sections::id,
                sections::course_id,
                sections::section_no,
                sections::instructor,
                sections::capacity,
                sections::waitlist_capacity,
                sections::restrict_department_id,
                sections::restrict_class_years,
                sections::status,
            ),
            sections::cancel_reason,
            (
                courses::id,
                courses::code,
                courses::title_ko,
                courses::title_en,
                courses::credits,
                courses::category,
                courses::department_id,
                courses::description,
            ),
        ))
        .load(conn)?;

    let mut meetings_by_section: HashMap<i32, Vec<MeetingItem>> = HashMap::new();
    let meeting_rows: Vec<(i32, i32, i8, i16, i16, String)> = meetings::table
        .inner_join(sections::table)
        .filter(sections::term_id.eq(term.id))
        .select((
            meetings::id,
            meetings::section_id,
            meetings::weekday,
            meetings::starts_at_min,
            meetings::ends_at_min,
            meetings::room,
        ))
        .load(conn)?;
    for (id, section_id, weekday, starts, ends, room) in meeting_rows {
        meetings_by_section
            .entry(section_id)
            .or_default()
            .push(MeetingItem {
                id,
                weekday: u8::try_from(weekday).unwrap_or(1),
                starts_at_min: u16::try_from(starts).unwrap_or(0),
                ends_at_min: u16::try_from(ends).unwrap_or(0),
                room,
            });
    }
    for list in meetings_by_section.values_mut() {
        list.sort_by_key(|m| (m.weekday, m.starts_at_min, m.id));
    }

    let course_ids: Vec<i32> = rows.iter().map(|r| r.2 .0).collect();
    let mut prereqs: HashMap<i32, Vec<CourseRef>> = HashMap::new();
    if !course_ids.is_empty() {
        let required = diesel::alias!(courses as required);
        let pre_rows: Vec<(i32, i32, String, String, String)> = course_prerequisites::table
            .inner_join(
                required.on(required
                    .field(courses::id)
                    .eq(course_prerequisites::required_course_id)),
            )
            .filter(course_prerequisites::course_id.eq_any(&course_ids))
            .select((
                course_prerequisites::course_id,
                required.field(courses::id),
                required.field(courses::code),
                required.field(courses::title_ko),
                required.field(courses::title_en),
            ))
            .load(conn)?;
        for (course_id, id, code, title_ko, title_en) in pre_rows {
            prereqs.entry(course_id).or_default().push(CourseRef {
                id,
                code,
                title_ko,
                title_en,
            });
        }
        for list in prereqs.values_mut() {
            list.sort_by(|a, b| a.code.cmp(&b.code));
            list.dedup_by_key(|c| c.id);
        }
    }

    let unknown = DepartmentRef {
        id: 0,
        code: String::new(),
        name_ko: String::new(),
        name_en: String::new(),
    };
    let items = rows
        .into_iter()
        .map(|(s, cancel_reason, c)| {
            let (
                id,
                course_id,
                section_no,
                instructor,
                capacity,
                waitlist,
                restrict,
                years,
                status,
            ) = s;
            let (cid, code, title_ko, title_en, credits, category, dept_id, description) = c;
            SectionItem {
                id,
                course_id,
                haystack: haystack(&code, &title_ko, &title_en, &instructor),
                course_code: code,
                section_no,
                title_ko,
                title_en,
                credits,
                category,
                department: dept_by_id
                    .get(&dept_id)
                    .map(|d| (*d).clone())
                    .unwrap_or_else(|| unknown.clone()),
                description,
                instructor,
                capacity,
                waitlist_capacity: waitlist,
                restrict_department: restrict
                    .and_then(|d| dept_by_id.get(&d).map(|d| (*d).clone())),
                restrict_class_years: u8::try_from(years).unwrap_or(0),
                status,
                cancel_reason,
                prerequisites: prereqs.get(&cid).cloned().unwrap_or_default(),
                meetings: meetings_by_section.remove(&id).unwrap_or_default(),
            }
        })
        .collect();

    Ok(Snapshot::new(
        version,
        TermSummary {
            id: term.id,
            year: term.year,
            season: term.season.clone(),
            name_ko: term.name_ko.clone(),
            name_en: term.name_en.clone(),
            starts_on: term.starts_on,
            ends_on: term.ends_on,
            max_credits: term.max_credits,
        },
        depts,
        items,
    ))
}

/// Live seat numbers of the term's sections: `SELECT id, enrolled, capacity, held_seats,
/// held_until` (primary-key reads over the `(term_id, status)` index).
pub fn load_seats(conn: &mut MysqlConnection, term_id: i32) -> QueryResult<SeatTable> {
    let rows: Vec<(i32, i32, i32, i32, Option<NaiveDateTime>)> = sections::table
        .filter(sections::term_id.eq(term_id))
        .select((
            sections::id,
            sections::enrolled,
            sections::capacity,
            sections::held_seats,
            sections::held_until,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, enrolled, capacity, held, held_until)| {
            (
                id,
                Seats {
                    enrolled,
                    capacity,
                    held,
                    held_until,
                },
            )
        })
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Seats {
    pub enrolled: i32,
    pub capacity: i32,
    /// Freed seats held until `held_until` (UTC), the term's next release time.
    pub held: i32,
    pub held_until: Option<NaiveDateTime>,
}

impl Seats {
    /// Seats with nothing held.
    pub fn open(enrolled: i32, capacity: i32) -> Seats {
        Seats {
            enrolled,
            capacity,
            held: 0,
            held_until: None,
        }
    }

    /// Seats anyone may take now: held seats are not.
    pub fn left(&self) -> i32 {
        (self.capacity - self.enrolled - self.held).max(0)
    }

    /// When the held seats are released, if any are held.
    pub fn released_at(&self) -> Option<NaiveDateTime> {
        self.held_until.filter(|_| self.held > 0)
    }
}

/// Seats by section id. A term's section ids are close together, so they index a dense vector
/// (a search looks up every section); scattered ids fall back to a map.
#[derive(Debug, Clone, Default)]
pub struct SeatTable {
    base: i32,
    dense: Vec<Option<Seats>>,
    sparse: HashMap<i32, Seats>,
}

impl SeatTable {
    pub fn get(&self, id: i32) -> Option<Seats> {
        if self.dense.is_empty() {
            return self.sparse.get(&id).copied();
        }
        let at = usize::try_from(i64::from(id) - i64::from(self.base)).ok()?;
        self.dense.get(at).copied().flatten()
    }
}

impl FromIterator<(i32, Seats)> for SeatTable {
    fn from_iter<I: IntoIterator<Item = (i32, Seats)>>(iter: I) -> Self {
        let rows: Vec<(i32, Seats)> = iter.into_iter().collect();
        let (Some(min), Some(max)) = (
            rows.iter().map(|r| r.0).min(),
            rows.iter().map(|r| r.0).max(),
        ) else {
            return SeatTable::default();
        };
        let span = usize::try_from(i64::from(max) - i64::from(min) + 1).unwrap_or(usize::MAX);
        if span > rows.len().saturating_mul(8).saturating_add(4096) {
            return SeatTable {
                base: 0,
                dense: Vec::new(),
                sparse: rows.into_iter().collect(),
            };
        }
        let mut dense = vec![None; span];
        for (id, seats) in rows {
            if let Ok(at) = usize::try_from(i64::from(id) - i64::from(min)) {
                dense[at] = Some(seats);
            }
        }
        SeatTable {
            base: min,
            dense,
            sparse: HashMap::new(),
        }
    }
}
