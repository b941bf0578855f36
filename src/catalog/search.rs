//! Catalog search: parsing the query parameters (every bad value is a clear 4xx naming the
//! field) and the search itself, a pure function over the term's snapshot and the live seat map.
//! Both the `/courses` page and `GET /api/v1/sections` use it.

use serde::Serialize;

use crate::catalog::snapshot::{period_of, Compact, SeatTable, Seats, SectionItem, Snapshot};
use crate::web::{AppError, Invalid};

pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 100;
pub const MAX_QUERY_CHARS: usize = 100;

pub const CATEGORIES: [&str; 6] = [
    "major_required",
    "major_elective",
    "general_required",
    "general_elective",
    "teaching",
    "free_elective",
];

/// Time of day a meeting starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeOfDay {
    /// Starts before 12:00.
    Morning,
    /// Starts 12:00 – 17:59.
    Afternoon,
    /// Starts at 18:00 or later.
    Evening,
}

impl TimeOfDay {
    pub const ALL: [TimeOfDay; 3] = [TimeOfDay::Morning, TimeOfDay::Afternoon, TimeOfDay::Evening];

    pub fn parse(s: &str) -> Option<TimeOfDay> {
        match s {
            "morning" => Some(TimeOfDay::Morning),
            "afternoon" => Some(TimeOfDay::Afternoon),
            "evening" => Some(TimeOfDay::Evening),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TimeOfDay::Morning => "morning",
            TimeOfDay::Afternoon => "afternoon",
            TimeOfDay::Evening => "evening",
        }
    }

    pub fn contains(self, starts_at_min: u16) -> bool {
        period_of(starts_at_min) == self.period()
    }

    /// 0 morning, 1 afternoon, 2 evening (bits of `Compact::day_time`).
    pub fn period(self) -> u32 {
        match self {
            TimeOfDay::Morning => 0,
            TimeOfDay::Afternoon => 1,
            TimeOfDay::Evening => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Course code, then section number.
    #[default]
    Code,
    Title,
    /// Fewest credits first.
    Credits,
    /// Most seats left first.
    SeatsLeft,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Code, Sort::Title, Sort::Credits, Sort::SeatsLeft];

    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "code" => Some(Sort::Code),
            "title" => Some(Sort::Title),
            "credits" => Some(Sort::Credits),
            "seats_left" | "seats" => Some(Sort::SeatsLeft),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Code => "code",
            Sort::Title => "title",
            Sort::Credits => "credits",
            Sort::SeatsLeft => "seats_left",
        }
    }
}

/// A validated search. Empty values (as an HTML form sends for "any") mean "no filter".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub department: Option<String>,
    pub category: Option<String>,
    /// Meets on any of these days (Mon=1 .. Sat=6).
    pub days: Vec<u8>,
    pub time: Option<TimeOfDay>,
    pub credits: Option<i8>,
    /// Open to students of this class year.
    pub year: Option<u8>,
    pub open_only: bool,
    pub sort: Sort,
    pub page: u32,
    pub per_page: u32,
}

fn invalid(field: &'static str) -> AppError {
    AppError::Validation(Invalid::new(field, "catalog.invalid_param"))
}

fn parse_day(s: &str) -> Option<u8> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "mon" => Some(1),
        "2" | "tue" => Some(2),
        "3" | "wed" => Some(3),
        "4" | "thu" => Some(4),
        "5" | "fri" => Some(5),
        "6" | "sat" => Some(6),
        _ => None,
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "off" | "no" => Some(false),
        "1" | "true" | "on" | "yes" => Some(true),
        _ => None,
    }
}

impl SearchParams {
    /// Parses a raw query string. Unknown parameters (`lang`, ...) are ignored.
    pub fn parse(query: &str) -> Result<SearchParams, AppError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| AppError::BadRequest(format!("query string: {e}")))?;
        let mut p = SearchParams {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            ..SearchParams::default()
        };
        for (key, raw) in &pairs {
            let value = raw.trim();
            if value.is_empty() {
                continue;
            }
            match key.as_str() {
                "q" => {
                    if value.chars().count() > MAX_QUERY_CHARS {
                        return Err(AppError::Validation(
                            Invalid::new("q", "field.too_long").arg("max", MAX_QUERY_CHARS),
                        ));
                    }
                    if value.chars().any(char::is_control) {
                        return Err(AppError::Validation(Invalid::new(
                            "q",
                            "field.invalid_chars",
                        )));
                    }
                    p.q = Some(value.to_string());
                }
                "department" => {
                    if value.len() > 16 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(invalid("department"));
                    }
                    p.department = Some(value.to_ascii_uppercase());
                }
                "category" => {
                    if !CATEGORIES.contains(&value) {
                        return Err(invalid("category"));
                    }
                    p.category = Some(value.to_string());
                }
                "day" => {
                    for part in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        let day = parse_day(part).ok_or_else(|| invalid("day"))?;
                        if !p.days.contains(&day) {
                            p.days.push(day);
                        }
                    }
                    p.days.sort_unstable();
                }
                "time" => p.time = Some(TimeOfDay::parse(value).ok_or_else(|| invalid("time"))?),
                "credits" => {
                    p.credits = Some(
                        value
                            .parse::<i8>()
                            .ok()
                            .filter(|c| (0..=6).contains(c))
                            .ok_or_else(|| invalid("credits"))?,
                    )
                }
                "year" => {
                    p.year = Some(
                        value
                            .parse::<u8>()
                            .ok()
                            .filter(|y| (1..=4).contains(y))
                            .ok_or_else(|| invalid("year"))?,
                    )
                }
                "open_only" => {
                    p.open_only = parse_bool(value).ok_or_else(|| invalid("open_only"))?
                }
                "sort" => p.sort = Sort::parse(value).ok_or_else(|| invalid("sort"))?,
                "page" => {
                    p.page = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| invalid("page"))?
                }
                "per_page" => {
                    p.per_page = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                        .ok_or_else(|| {
                            AppError::Validation(
                                Invalid::new("per_page", "catalog.per_page_range")
                                    .arg("min", 1)
                                    .arg("max", MAX_PER_PAGE),
                            )
                        })?
                }
                _ => {}
            }
        }
        Ok(p)
    }

    /// The search without its paging: results of equal keys are the same list.
    pub fn filter_key(&self) -> String {
        SearchParams {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            ..self.clone()
        }
        .to_query(1)
    }

    /// The query string for the same search on another page (links on the page).
    pub fn to_query(&self, page: u32) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(q) = &self.q {
            pairs.push(("q", q.clone()));
        }
        if let Some(d) = &self.department {
            pairs.push(("department", d.clone()));
        }
        if let Some(c) = &self.category {
            pairs.push(("category", c.clone()));
        }
        if !self.days.is_empty() {
            let days: Vec<String> = self.days.iter().map(u8::to_string).collect();
            pairs.push(("day", days.join(",")));
        }
        if let Some(t) = self.time {
            pairs.push(("time", t.as_str().into()));
        }
        if let Some(c) = self.credits {
            pairs.push(("credits", c.to_string()));
        }
        if let Some(y) = self.year {
            pairs.push(("year", y.to_string()));
        }
        if self.open_only {
            pairs.push(("open_only", "1".into()));
        }
        if self.sort != Sort::Code {
            pairs.push(("sort", self.sort.as_str().into()));
        }
        pairs.push(("page", page.to_string()));
        if self.per_page != DEFAULT_PER_PAGE {
            pairs.push(("per_page", self.per_page.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// One search result row: the snapshot's section with live seat numbers.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    pub section: &'a SectionItem,
    pub seats: Seats,
}

#[derive(Debug, Clone)]
pub struct SearchPage<'a> {
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
    pub items: Vec<Hit<'a>>,
}

pub fn seats_of(section: &SectionItem, seats: &SeatTable) -> Seats {
    seats
        .get(section.id)
        .unwrap_or(Seats::open(0, section.capacity))
}

/// The filters resolved against one snapshot, so the scan compares small integers.
struct Filter {
    /// `Some(None)`: a department this snapshot does not have (nothing matches).
    department: Option<Option<u16>>,
    category: Option<u8>,
    credits: Option<i8>,
    year_bit: Option<u8>,
    day_time: Option<u32>,
    open_only: bool,
    needle: Option<String>,
}

impl Filter {
    fn new(snapshot: &Snapshot, p: &SearchParams) -> Filter {
        let day_time = (!p.days.is_empty() || p.time.is_some()).then(|| {
            let days: Vec<u8> = if p.days.is_empty() {
                (1..=6).collect()
            } else {
                p.days.clone()
            };
            let periods: Vec<u32> = match p.time {
                Some(t) => vec![t.period()],
                None => vec![0, 1, 2],
            };
            days.iter()
                .filter(|d| (1..=6).contains(*d))
                .flat_map(|d| periods.iter().map(move |pd| (u32::from(*d) - 1) * 3 + pd))
                .fold(0u32, |acc, bit| acc | 1 << bit)
        });
        Filter {
            department: p
                .department
                .as_ref()
                .map(|code| snapshot.department_index(code)),
            category: p.category.as_ref().map(|c| {
                CATEGORIES
                    .iter()
                    .position(|x| x == c)
                    .and_then(|i| u8::try_from(i).ok())
                    .unwrap_or(u8::MAX - 1)
            }),
            credits: p.credits,
            year_bit: p.year.map(|y| 1u8 << (y.clamp(1, 4) - 1)),
            day_time,
            open_only: p.open_only,
            needle: p.q.as_ref().map(|q| q.to_lowercase()),
        }
    }

    fn matches(&self, c: &Compact, s: &SectionItem) -> bool {
        if let Some(d) = self.department {
            if d != Some(c.department) {
                return false;
            }
        }
        if self.category.is_some_and(|x| x != c.category)
            || self.credits.is_some_and(|x| x != c.credits)
            || self
                .year_bit
                .is_some_and(|b| c.years != 0 && c.years & b == 0)
            || self.day_time.is_some_and(|m| c.day_time & m == 0)
            || (self.open_only && c.cancelled)
        {
            return false;
        }
        // The keyword last: the only check that reads strings.
        match &self.needle {
            Some(n) => s.haystack.contains(n.as_str()),
            None => true,
        }
    }
}

/// The sort keys of every match. A page past the last one is empty (not an error), with the
/// totals, so a client can step back.
///
/// Filters scan the snapshot's packed `Compact` rows; each match becomes one `u64` sort key
/// with its snapshot position in the low 32 bits (the snapshot is in code order, so ties fall
/// back on it); only the requested page is ever fully sorted (`select_nth_unstable`), and seats
/// are looked up only where a filter or sort needs them.
fn keys(snapshot: &Snapshot, seats: &SeatTable, p: &SearchParams) -> Vec<u64> {
    let filter = Filter::new(snapshot, p);
    let need_seats = p.open_only || p.sort == Sort::SeatsLeft;
    let mut keys: Vec<u64> = Vec::with_capacity(snapshot.sections.len());
    for (pos, (c, s)) in snapshot
        .compact()
        .iter()
        .zip(&snapshot.sections)
        .enumerate()
    {
        if !filter.matches(c, s) {
            continue;
        }
        let left = if need_seats {
            // (`map_or_else`: the section itself is only read when its seats are unknown.)
            let left = seats
                .get(c.id)
                .map_or_else(|| s.capacity.max(0), |x| x.left());
            if p.open_only && left <= 0 {
                continue;
            }
            left
        } else {
            0
        };
        let major: u64 = match p.sort {
            Sort::Code => 0,
            Sort::Title => u64::from(snapshot.title_rank(pos)),
            Sort::Credits => u64::from(c.credits.max(0).unsigned_abs()),
            // Cancelled last, then most seats first.
            Sort::SeatsLeft => {
                (u64::from(c.cancelled) << 31) | u64::from(i32::MAX.abs_diff(left.max(0)))
            }
        };
        keys.push((major << 32) | pos as u64);
    }
    keys
}

fn position(key: u64) -> usize {
    (key & 0xffff_ffff) as usize
}

/// Every match of the search (all pages), in order, as snapshot positions. What
/// `catalog::cache::SeatMap::memo` keeps for the current seat numbers.
pub fn sorted_matches(snapshot: &Snapshot, seats: &SeatTable, p: &SearchParams) -> Vec<u32> {
    let mut keys = keys(snapshot, seats, p);
    keys.sort_unstable();
    keys.into_iter()
        .map(|k| u32::try_from(position(k)).unwrap_or(u32::MAX))
        .collect()
}

fn paging(total: usize, p: &SearchParams) -> (u32, u32, usize, usize) {
    let per_page = p.per_page.max(1);
    let pages = u32::try_from((total as u64).div_ceil(u64::from(per_page))).unwrap_or(u32::MAX);
    let start = usize::try_from(u64::from(p.page.saturating_sub(1)) * u64::from(per_page))
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(per_page as usize).min(total);
    (per_page, pages, start, end)
}

/// The requested page of `sorted_matches`.
pub fn page_of<'a>(
    snapshot: &'a Snapshot,
    seats: &SeatTable,
    matches: &[u32],
    p: &SearchParams,
) -> SearchPage<'a> {
    let (per_page, pages, start, end) = paging(matches.len(), p);
    let items = matches
        .get(start..end)
        .unwrap_or(&[])
        .iter()
        .filter_map(|&pos| snapshot.sections.get(pos as usize))
        .map(|section| Hit {
            section,
            seats: seats_of(section, seats),
        })
        .collect();
    SearchPage {
        total: matches.len() as u64,
        page: p.page,
        per_page,
        pages,
        items,
    }
}

/// Filters, sorts and pages the snapshot in one go (only the requested page is fully sorted).
pub fn search<'a>(snapshot: &'a Snapshot, seats: &SeatTable, p: &SearchParams) -> SearchPage<'a> {
    let mut keys = keys(snapshot, seats, p);
    let total = keys.len() as u64;
    let (per_page, pages, start, end) = paging(keys.len(), p);
    let items = if start >= keys.len() {
        Vec::new()
    } else {
        if end < keys.len() {
            keys.select_nth_unstable(end);
        }
        let head = &mut keys[..end];
        head.sort_unstable();
        head[start..]
            .iter()
            .filter_map(|k| snapshot.sections.get(position(*k)))
            .map(|section| Hit {
                section,
                seats: seats_of(section, seats),
            })
            .collect()
    };
    SearchPage {
        total,
        page: p.page,
        per_page,
        pages,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::snapshot::{haystack, DepartmentRef, MeetingItem, TermSummary};

    fn dept(code: &str) -> DepartmentRef {
        DepartmentRef {
            id: 1,
            code: code.into(),
            name_ko: format!("{code}과"),
            name_en: code.into(),
        }
    }

    fn section(id: i32, code: &str, title_ko: &str, meetings: &[(u8, u16, u16)]) -> SectionItem {
        SectionItem {
            id,
            course_id: id,
            course_code: code.into(),
            section_no: 1,
            title_ko: title_ko.into(),
            title_en: format!("Course {id}"),
            credits: 3,
            category: "major_elective".into(),
            department: dept(&code[..3]),
            description: String::new(),
            instructor: "김교수".into(),
            capacity: 10,
            waitlist_capacity: 0,
            restrict_department: None,
            restrict_class_years: 0,
            status: "open".into(),
            cancel_reason: None,
            prerequisites: vec![],
            meetings: meetings
                .iter()
                .enumerate()
                .map(|(i, &(weekday, s, e))| MeetingItem {
                    id: id * 10 + i as i32,
                    weekday,
                    starts_at_min: s,
                    ends_at_min: e,
                    room: "R1".into(),
                })
                .collect(),
            haystack: haystack(code, title_ko, &format!("Course {id}"), "김교수"),
        }
    }

    fn snapshot(sections: Vec<SectionItem>) -> Snapshot {
        Snapshot::new(
            1,
            TermSummary {
                id: 1,
                year: 2027,
                season: "spring".into(),
                name_ko: "2027-1".into(),
                name_en: "Spring 2027".into(),
                starts_on: chrono::NaiveDate::MIN,
                ends_on: chrono::NaiveDate::MIN,
                max_credits: 18,
            },
            vec![dept("CSE"), dept("MAT")],
            sections,
        )
    }

    fn ids(page: &SearchPage) -> Vec<i32> {
        page.items.iter().map(|h| h.section.id).collect()
    }

    #[test]
    fn empty_values_mean_no_filter_and_defaults_apply() {
        let p = SearchParams::parse("q=&department=&day=&credits=&lang=en").expect("valid");
        assert_eq!(p.page, 1);
        assert_eq!(p.per_page, DEFAULT_PER_PAGE);
        assert!(p.q.is_none() && p.department.is_none() && p.days.is_empty());
    }

    #[test]
    fn bad_values_name_their_field() {
        for (query, field) in [
            ("page=0", "page"),
            ("page=-1", "page"),
            ("page=abc", "page"),
            ("per_page=101", "per_page"),
            ("per_page=0", "per_page"),
            ("day=7", "day"),
            ("day=sun", "day"),
            ("credits=9", "credits"),
            ("year=5", "year"),
            ("category=nope", "category"),
            ("time=noon", "time"),
            ("sort=random", "sort"),
            ("open_only=maybe", "open_only"),
            ("department=C%27SE", "department"),
        ] {
            match SearchParams::parse(query) {
                Err(AppError::Validation(i)) => assert_eq!(i.field, field, "{query}"),
                other => panic!("{query}: expected a validation error, got {other:?}"),
            }
        }
        let long = format!("q={}", "가".repeat(MAX_QUERY_CHARS + 1));
        assert!(matches!(
            SearchParams::parse(&long),
            Err(AppError::Validation(_))
        ));
    }

    #[test]
    fn days_accept_numbers_names_and_lists() {
        let p = SearchParams::parse("day=wed&day=1,3").expect("valid");
        assert_eq!(p.days, vec![1, 3]);
    }

    #[test]
    fn day_and_time_must_hold_for_the_same_meeting() {
        let snap = snapshot(vec![
            // Monday morning and Wednesday evening.
            section(1, "CSE1000", "가", &[(1, 540, 615), (3, 1080, 1155)]),
            section(2, "CSE1001", "나", &[(3, 600, 675)]),
        ]);
        let seats = SeatTable::default();
        let p = SearchParams::parse("day=1&time=evening").expect("valid");
        assert!(ids(&search(&snap, &seats, &p)).is_empty());
        let p = SearchParams::parse("day=3&time=morning").expect("valid");
        assert_eq!(ids(&search(&snap, &seats, &p)), vec![2]);
        let p = SearchParams::parse("day=3").expect("valid");
        assert_eq!(ids(&search(&snap, &seats, &p)), vec![1, 2]);
    }

    #[test]
    fn keyword_matches_code_titles_and_instructor_case_insensitively() {
        let snap = snapshot(vec![
            section(1, "CSE2010", "자료구조", &[(1, 540, 615)]),
            section(2, "MAT1010", "미적분학", &[(2, 540, 615)]),
        ]);
        let seats = SeatTable::default();
        for (q, want) in [
            ("자료구조", vec![1]),
            ("cse2010", vec![1]),
            ("COURSE 2", vec![2]),
            ("김교수", vec![1, 2]),
            ("없는과목", vec![]),
        ] {
            let p = SearchParams {
                q: Some(q.into()),
                page: 1,
                per_page: 20,
                ..SearchParams::default()
            };
            assert_eq!(ids(&search(&snap, &seats, &p)), want, "{q}");
        }
    }

    #[test]
    fn open_only_uses_live_seats_and_skips_cancelled() {
        let mut cancelled = section(3, "CSE3000", "다", &[(1, 540, 615)]);
        cancelled.status = "cancelled".into();
        let snap = snapshot(vec![
            section(1, "CSE1000", "가", &[(1, 540, 615)]),
            section(2, "CSE2000", "나", &[(1, 540, 615)]),
            cancelled,
        ]);
        let seats: SeatTable = [(1, Seats::open(10, 10))].into_iter().collect();
        let p = SearchParams::parse("open_only=1").expect("valid");
        assert_eq!(ids(&search(&snap, &seats, &p)), vec![2]);
        let p = SearchParams::parse("sort=seats_left").expect("valid");
        assert_eq!(ids(&search(&snap, &seats, &p)), vec![2, 1, 3]);
    }

    #[test]
    fn paging_reports_totals_and_an_empty_page_past_the_end() {
        let sections = (1..=5)
            .map(|i| section(i, &format!("CSE{}", 1000 + i), "가", &[(1, 540, 615)]))
            .collect();
        let snap = snapshot(sections);
        let seats = SeatTable::default();
        let p = SearchParams::parse("per_page=2&page=3").expect("valid");
        let page = search(&snap, &seats, &p);
        assert_eq!((page.total, page.pages, ids(&page)), (5, 3, vec![5]));
        let p = SearchParams::parse("per_page=2&page=4").expect("valid");
        let page = search(&snap, &seats, &p);
        assert_eq!((page.total, page.pages), (5, 3));
        assert!(page.items.is_empty());
    }

    #[test]
    fn pages_of_a_sorted_search_concatenate_to_the_full_order() {
        let titles = ["다", "가", "마", "나", "라"];
        let sections: Vec<SectionItem> = (0..53)
            .map(|i| {
                let mut s = section(
                    i + 1,
                    &format!("CSE{}", 1000 + (i * 37) % 100 * 10 + i % 10),
                    titles[(i % 5) as usize],
                    &[(1, 540, 615)],
                );
                s.credits = (i % 4) as i8;
                s
            })
            .collect();
        let snap = snapshot(sections);
        let seats: SeatTable = (1..=53).map(|id| (id, Seats::open(id % 7, 6))).collect();
        for sort in Sort::ALL {
            let all = SearchParams {
                sort,
                page: 1,
                per_page: 100,
                ..SearchParams::default()
            };
            let full: Vec<i32> = ids(&search(&snap, &seats, &all));
            assert_eq!(full.len(), 53);
            let mut paged = Vec::new();
            for page in 1..=8 {
                let p = SearchParams {
                    sort,
                    page,
                    per_page: 7,
                    ..SearchParams::default()
                };
                paged.extend(ids(&search(&snap, &seats, &p)));
            }
            assert_eq!(paged, full, "{sort:?}");
            // The memoized path (whole order once, then slices) agrees page by page.
            let order = sorted_matches(&snap, &seats, &all);
            for page in 1..=9 {
                let p = SearchParams {
                    sort,
                    page,
                    per_page: 7,
                    ..SearchParams::default()
                };
                assert_eq!(
                    ids(&page_of(&snap, &seats, &order, &p)),
                    ids(&search(&snap, &seats, &p)),
                    "{sort:?} page {page}"
                );
                assert_eq!(p.filter_key(), all.filter_key());
            }
            let key = |id: &i32| {
                let s = snap.section(*id).expect("section");
                match sort {
                    Sort::Code => (0, s.course_code.clone()),
                    Sort::Title => (0, s.title_ko.clone()),
                    Sort::Credits => (i64::from(s.credits), String::new()),
                    Sort::SeatsLeft => (-i64::from(seats_of(s, &seats).left()), String::new()),
                }
            };
            assert!(
                full.windows(2).all(|w| key(&w[0]) <= key(&w[1])),
                "{sort:?}"
            );
        }
    }

    #[test]
    fn query_round_trips_through_links() {
        let p = SearchParams::parse("q=자료+구조&day=1,3&time=morning&open_only=on&sort=title")
            .expect("valid");
        let again = SearchParams::parse(&p.to_query(2)).expect("valid");
        assert_eq!(again.page, 2);
        assert_eq!(SearchParams { page: 1, ..again }, p);
    }
}
