//! CSV import of courses, sections with meetings, students, and priority group members: upload, a dry run that reports
//! every line's outcome (line, column, message), then an all-or-nothing apply in one transaction
//! that validates again against the data as it is then. Parsing and validation are pure
//! (`parse`, `validate`); the database supplies `Existing` and receives the rows.

use std::collections::{HashMap, HashSet};

use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::activity::{self, NewActivity};
use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{Answer, Console};
use crate::auth::Registrar;
use crate::cache::CacheError;
use crate::db::schema::{
    course_prerequisites, courses, departments, meetings, priority_group_members, priority_groups,
    sections, terms, users,
};
use crate::domain::{CourseCode, Meeting, MinuteOfDay, ParseError};
use crate::web::flash::{self, Flash, Level};
use crate::web::{html, AppError, Lang, Layout, RequestMeta};

/// Largest accepted upload (file or pasted text).
pub const MAX_UPLOAD: usize = 2 * 1024 * 1024;
/// How long a previewed upload waits for its apply.
const PENDING_TTL_SECS: u64 = 1800;
/// Password hash of imported students without an initial password: never matches anything.
const UNUSABLE_HASH: &str = "!imported-no-password";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Courses,
    Sections,
    Students,
    /// Members of priority groups: (student number, group code) pairs.
    Members,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "courses" => Some(Kind::Courses),
            "sections" => Some(Kind::Sections),
            "students" => Some(Kind::Students),
            "members" => Some(Kind::Members),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::Courses => "courses",
            Kind::Sections => "sections",
            Kind::Students => "students",
            Kind::Members => "members",
        }
    }

    pub fn columns(self) -> &'static [Col] {
        match self {
            Kind::Courses => COURSE_COLS,
            Kind::Sections => SECTION_COLS,
            Kind::Students => STUDENT_COLS,
            Kind::Members => MEMBER_COLS,
        }
    }
}

/// A column: its English header, the Korean headers accepted for it, whether it is required.
#[derive(Debug)]
pub struct Col {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

const fn col(name: &'static str, aliases: &'static [&'static str], required: bool) -> Col {
    Col {
        name,
        aliases,
        required,
    }
}

pub const COURSE_COLS: &[Col] = &[
    col("code", &["과목코드", "학수번호"], true),
    col("title_ko", &["과목명", "국문과목명"], true),
    col("title_en", &["영문과목명"], true),
    col("credits", &["학점"], true),
    col("department", &["학과", "학과코드"], true),
    col("category", &["이수구분"], true),
    col("description", &["설명", "과목설명"], false),
    col("prerequisites", &["선수과목"], false),
];

pub const SECTION_COLS: &[Col] = &[
    col("course_code", &["과목코드", "학수번호"], true),
    col("section_no", &["분반"], true),
    col("instructor", &["담당교수", "교수"], true),
    col("capacity", &["정원"], true),
    col("waitlist_capacity", &["대기정원"], false),
    col("department_only", &["학과제한"], false),
    col("class_years", &["학년제한"], false),
    col("meetings", &["강의시간"], true),
];

pub const STUDENT_COLS: &[Col] = &[
    col("login_id", &["학번"], true),
    col("name", &["이름", "성명"], true),
    col("department", &["학과", "학과코드"], true),
    col("class_year", &["학년"], true),
    col("status", &["학적상태"], false),
    col("max_credits", &["최대학점"], false),
];

/// Group members; `name` is for the reader (the export writes it) and is not checked.
pub const MEMBER_COLS: &[Col] = &[
    col(
        "student_number",
        &["학번", "Student number", "login_id"],
        true,
    ),
    col("group_code", &["그룹코드", "그룹", "Group code"], true),
    col("name", &["이름", "성명", "Name"], false),
];

// ---- parsing ----

/// A parsed file: for each of the kind's columns, where it is in the file and what the file
/// called it; then the data lines with their line numbers (1 = the header).
#[derive(Debug)]
pub struct Table {
    kind: Kind,
    positions: Vec<Option<(usize, String)>>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// The non-empty cells of column `name`, line by line.
    fn filled(&self, name: &str) -> Vec<String> {
        self.rows
            .iter()
            .map(|(_, c)| self.cell(c, name).to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    fn cell<'a>(&self, cells: &'a [String], name: &str) -> &'a str {
        self.kind
            .columns()
            .iter()
            .position(|c| c.name == name)
            .and_then(|i| self.positions.get(i).cloned().flatten())
            .and_then(|(pos, _)| cells.get(pos))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    /// The column's header as the file wrote it (for messages), else its English name.
    fn header(&self, name: &'static str) -> String {
        self.kind
            .columns()
            .iter()
            .position(|c| c.name == name)
            .and_then(|i| self.positions.get(i).cloned().flatten())
            .map(|(_, h)| h)
            .unwrap_or_else(|| name.to_string())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LineError {
    pub column: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineReport {
    pub line: u64,
    /// What the line is about (a course code, section, student number) when it could be read.
    pub subject: String,
    pub errors: Vec<LineError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: Kind,
    pub lines: Vec<LineReport>,
}

impl Report {
    pub fn ok(&self) -> bool {
        !self.lines.is_empty() && self.lines.iter().all(|l| l.errors.is_empty())
    }

    pub fn error_lines(&self) -> usize {
        self.lines.iter().filter(|l| !l.errors.is_empty()).count()
    }

    fn file_error(kind: Kind, line: u64, column: &str, message: String) -> Report {
        Report {
            kind,
            lines: vec![LineReport {
                line,
                subject: String::new(),
                errors: vec![LineError {
                    column: column.to_string(),
                    message,
                }],
            }],
        }
    }
}

/// UTF-8 (a BOM is dropped) into a table, or a report of what is wrong with the file itself.
pub fn parse(kind: Kind, bytes: &[u8], lang: Lang) -> Result<Table, Report> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        Report::file_error(kind, line, "", lang.text("import.err.not_utf8").into())
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for rec in reader.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                let cells: Vec<String> = r.iter().map(str::to_string).collect();
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                records.push((line, cells));
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(Report::file_error(
                    kind,
                    line,
                    "",
                    lang.format("import.err.malformed", &[("detail", e.to_string())]),
                ));
            }
        }
    }
    let Some((header_line, header)) = records.first().cloned() else {
        return Err(Report::file_error(
            kind,
            1,
            "",
            lang.text("import.err.empty").into(),
        ));
    };
    let cols = kind.columns();
    let mut positions: Vec<Option<(usize, String)>> = vec![None; cols.len()];
    let mut errors = Vec::new();
    for (pos, raw) in header.iter().enumerate() {
        let h = raw.trim();
        let found = cols
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(h) || c.aliases.contains(&h));
        match found {
            Some(i) if positions[i].is_some() => errors.push(LineError {
                column: h.to_string(),
                message: lang.text("import.err.duplicate_column").into(),
            }),
            Some(i) => positions[i] = Some((pos, h.to_string())),
            None => errors.push(LineError {
                column: h.to_string(),
                message: lang.text("import.err.unknown_column").into(),
            }),
        }
    }
    for (c, p) in cols.iter().zip(&positions) {
        if c.required && p.is_none() {
            errors.push(LineError {
                column: c.name.to_string(),
                message: lang.text("import.err.missing_column").into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(Report {
            kind,
            lines: vec![LineReport {
                line: header_line,
                subject: String::new(),
                errors,
            }],
        });
    }
    let rows: Vec<(u64, Vec<String>)> = records.into_iter().skip(1).collect();
    if rows.is_empty() {
        return Err(Report::file_error(
            kind,
            header_line,
            "",
            lang.text("import.err.no_rows").into(),
        ));
    }
    Ok(Table {
        kind,
        positions,
        rows,
    })
}

// ---- validation ----

/// What the database already holds that a file is checked against.
#[derive(Debug, Default)]
pub struct Existing {
    pub departments: HashMap<String, i32>,
    pub courses: HashMap<String, i32>,
    pub term_id: Option<i32>,
    /// (course id, section no) in the current term.
    pub sections: HashSet<(i32, i16)>,
    /// Which of the file's login ids exist already.
    pub logins: HashSet<String>,
    /// Priority groups by upper-case code.
    pub groups: HashMap<String, i32>,
    /// The file's students (role student) by lower-case student number.
    pub students: HashMap<String, i32>,
    /// (group id, student id) pairs that exist already.
    pub members: HashSet<(i32, i32)>,
}

#[derive(Debug, Clone)]
pub struct CourseRow {
    code: String,
    title_ko: String,
    title_en: String,
    credits: i8,
    department_id: i32,
    category: &'static str,
    description: String,
    prerequisites: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingRow {
    weekday: i8,
    start: i16,
    end: i16,
}

impl MeetingRow {
    fn meeting(&self) -> Meeting {
        Meeting::stored(self.weekday, self.start, self.end)
    }
}

#[derive(Debug, Clone)]
pub struct SectionRow {
    course_id: i32,
    section_no: i16,
    instructor: String,
    capacity: i32,
    waitlist_capacity: i32,
    department_only: Option<i32>,
    class_years: i8,
    meetings: Vec<(MeetingRow, String)>,
}

#[derive(Debug, Clone)]
pub struct StudentRow {
    login_id: String,
    name: String,
    department_id: i32,
    class_year: i8,
    status: &'static str,
    max_credits: Option<i8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberRow {
    group_id: i32,
    student_id: i32,
}

#[derive(Debug, Clone)]
pub enum Rows {
    Courses(Vec<CourseRow>),
    Sections(Vec<SectionRow>),
    Students(Vec<StudentRow>),
    Members(Vec<MemberRow>),
}

impl Rows {
    fn len(&self) -> usize {
        match self {
            Rows::Courses(r) => r.len(),
            Rows::Sections(r) => r.len(),
            Rows::Students(r) => r.len(),
            Rows::Members(r) => r.len(),
        }
    }
}

/// Collects one line's problems.
struct Line<'a> {
    table: &'a Table,
    cells: &'a [String],
    lang: Lang,
    errors: Vec<LineError>,
}

impl<'a> Line<'a> {
    fn get(&self, name: &str) -> &'a str {
        self.table.cell(self.cells, name)
    }

    /// The line's row, built from its columns, when the line has no problem; a column read as
    /// `None` (it already said why) leaves the line without a row too.
    fn row<T>(&self, build: impl FnOnce() -> Option<T>) -> Option<T> {
        if self.errors.is_empty() {
            build()
        } else {
            None
        }
    }

    fn err(&mut self, name: &'static str, key: &str, args: &[(&str, String)]) {
        self.errors.push(LineError {
            column: self.table.header(name),
            message: self.lang.format(key, args),
        });
    }

    /// Control characters are refused in every cell, as the forms refuse them (line breaks and
    /// tabs only where a form takes several lines: the description).
    fn refuse_control_characters(&mut self) {
        for col in self.table.kind.columns() {
            let multiline = col.name == "description";
            let bad = self
                .get(col.name)
                .chars()
                .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')));
            if bad {
                self.err(col.name, "import.err.invalid_chars", &[]);
            }
        }
    }

    /// A column read by `parse`; a value it refuses is named beside the column with `key`.
    fn parsed<T>(
        &mut self,
        name: &'static str,
        key: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let raw = self.get(name);
        let value = parse(raw);
        if value.is_none() {
            self.err(name, key, &[("value", raw.to_string())]);
        }
        value
    }

    fn required(&mut self, name: &'static str, max: usize) -> Option<String> {
        let v = self.get(name);
        if v.is_empty() {
            self.err(name, "import.err.required", &[]);
            None
        } else if v.chars().count() > max {
            self.err(name, "import.err.too_long", &[("max", max.to_string())]);
            None
        } else {
            Some(v.to_string())
        }
    }

    fn optional_text(&mut self, name: &'static str, max: usize) -> String {
        let v = self.get(name);
        if v.chars().count() > max {
            self.err(name, "import.err.too_long", &[("max", max.to_string())]);
        }
        v.to_string()
    }

    /// A whole number in `lo..=hi`; `default` when the cell is empty (None = required).
    fn number(
        &mut self,
        name: &'static str,
        lo: i64,
        hi: i64,
        default: Option<i64>,
    ) -> Option<i64> {
        let v = self.get(name);
        if v.is_empty() {
            if default.is_none() {
                self.err(name, "import.err.required", &[]);
            }
            return default;
        }
        match v.parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => Some(n),
            Ok(_) => {
                self.err(
                    name,
                    "import.err.out_of_range",
                    &[("min", lo.to_string()), ("max", hi.to_string())],
                );
                None
            }
            Err(_) => {
                self.err(name, "import.err.not_a_number", &[("value", v.to_string())]);
                None
            }
        }
    }

    fn department(&mut self, name: &'static str, existing: &Existing) -> Option<i32> {
        let unknown = ("import.err.unknown_department", "code");
        self.by_code(name, &existing.departments, unknown).1
    }

    /// A column naming a stored row by its code (read upper-case): the code, and the row's id or
    /// the column refused as `unknown` (message key, argument).
    fn by_code(
        &mut self,
        name: &'static str,
        ids: &HashMap<String, i32>,
        unknown: (&str, &str),
    ) -> (String, Option<i32>) {
        let code = self.get(name).to_uppercase();
        let id = ids.get(&code).copied();
        let id = self.known(name, &code, id, unknown);
        (code, id)
    }

    /// The stored row `value` (the cell of column `name`) names: `id` when it was found;
    /// required, and refused as `unknown.0` (with `value` as argument `unknown.1`) when not.
    fn known(
        &mut self,
        name: &'static str,
        value: &str,
        id: Option<i32>,
        unknown: (&str, &str),
    ) -> Option<i32> {
        if value.is_empty() {
            self.err(name, "import.err.required", &[]);
            return None;
        }
        if id.is_none() {
            self.err(name, unknown.0, &[(unknown.1, value.to_string())]);
        }
        id
    }
}

pub fn category(v: &str) -> Option<&'static str> {
    Some(match v.trim() {
        "major_required" | "전공필수" => "major_required",
        "major_elective" | "전공선택" => "major_elective",
        "general_required" | "교양필수" => "general_required",
        "general_elective" | "교양선택" => "general_elective",
        "teaching" | "교직" => "teaching",
        "free_elective" | "일반선택" => "free_elective",
        _ => return None,
    })
}

pub fn student_status(v: &str) -> Option<&'static str> {
    Some(match v.trim() {
        "" | "enrolled" | "재학" => "enrolled",
        "on_leave" | "휴학" => "on_leave",
        "graduated" | "졸업" => "graduated",
        "withdrawn" | "자퇴" => "withdrawn",
        "suspended" | "정학" => "suspended",
        _ => return None,
    })
}

pub fn weekday(v: &str) -> Option<i8> {
    Some(match v.trim().to_ascii_lowercase().as_str() {
        "1" | "월" | "mon" | "monday" => 1,
        "2" | "화" | "tue" | "tuesday" => 2,
        "3" | "수" | "wed" | "wednesday" => 3,
        "4" | "목" | "thu" | "thursday" => 4,
        "5" | "금" | "fri" | "friday" => 5,
        "6" | "토" | "sat" | "saturday" => 6,
        _ => return None,
    })
}

/// One meeting: `월 09:00-10:15 공학관 101` (weekday, time range, room).
pub fn meeting(v: &str) -> Result<(MeetingRow, String), &'static str> {
    let mut parts = v.split_whitespace();
    let day = parts.next().ok_or("import.err.meeting_format")?;
    let times = parts.next().ok_or("import.err.meeting_format")?;
    let room = parts.collect::<Vec<_>>().join(" ");
    let weekday = weekday(day).ok_or("import.err.bad_weekday")?;
    let (s, e) = times.split_once('-').ok_or("import.err.bad_time")?;
    let time = |t: &str| MinuteOfDay::parse(t).map_err(|_| "import.err.bad_time");
    let (start, end) = (time(s)?, time(e)?);
    if start >= end || start.minutes() >= MinuteOfDay::END_OF_DAY {
        return Err("import.err.time_order");
    }
    // At most 24:00, so both fit the columns.
    let (start, end) = (start.minutes() as i16, end.minutes() as i16);
    if room.is_empty() {
        return Err("import.err.room_missing");
    }
    if room.chars().count() > 50 {
        return Err("import.err.room_too_long");
    }
    Ok((
        MeetingRow {
            weekday,
            start,
            end,
        },
        room,
    ))
}

fn class_years(v: &str) -> Option<i8> {
    let mut mask = 0i8;
    for part in v
        .split(|c: char| c == ';' || c == '/' || c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let year: i8 = part
            .trim_end_matches('학')
            .trim_end_matches('년')
            .parse()
            .ok()?;
        if !(1..=4).contains(&year) {
            return None;
        }
        mask |= 1 << (year - 1);
    }
    Some(mask)
}

/// How a line's identifying column reads.
enum Typed {
    Missing,
    Malformed,
    WellFormed,
}

/// A kind's identifying column (a course's code, a student's login id): the message of a malformed
/// value, of one already stored, and the argument that names the value in both.
struct Identity {
    column: &'static str,
    arg: &'static str,
    malformed: &'static str,
    stored: &'static str,
}

const COURSE_CODE: Identity = Identity {
    column: "code",
    arg: "code",
    malformed: "import.err.bad_course_code",
    stored: "import.err.course_exists",
};

const LOGIN_ID: Identity = Identity {
    column: "login_id",
    arg: "value",
    malformed: "import.err.bad_login_id",
    stored: "import.err.login_exists",
};

impl Identity {
    /// Required, then well formed, then once in the file (`repeated` checks it) and not stored
    /// yet; each refusal beside the column, naming the value as typed.
    fn check<'t>(
        &self,
        line: &mut Line<'t>,
        typed: Typed,
        value: &str,
        repeated: impl FnOnce(&mut Line<'t>),
        stored: bool,
    ) {
        let named = [(self.arg, value.to_string())];
        match typed {
            Typed::Missing => line.err(self.column, "import.err.required", &[]),
            Typed::Malformed => line.err(self.column, self.malformed, &named),
            Typed::WellFormed => {
                repeated(line);
                if stored {
                    line.err(self.column, self.stored, &named);
                }
            }
        }
    }
}

/// Checks every line; the rows come back only when every line is valid.
pub fn validate(table: &Table, existing: &Existing, lang: Lang) -> (Report, Option<Rows>) {
    let mut lines = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut duplicate = |line: &mut Line<'_>, key: String, name: &'static str, no: u64| {
        if let Some(first) = seen.get(&key) {
            line.err(
                name,
                "import.err.duplicate_in_file",
                &[("line", first.to_string())],
            );
        } else {
            seen.insert(key, no);
        }
    };
    let mut courses_out = Vec::new();
    let mut sections_out = Vec::new();
    let mut students_out = Vec::new();
    let mut members_out = Vec::new();
    // Courses may name prerequisites that come later in the same file.
    let file_codes: HashSet<String> = if table.kind == Kind::Courses {
        table
            .rows
            .iter()
            .map(|(_, c)| table.cell(c, "code").to_uppercase())
            .collect()
    } else {
        HashSet::new()
    };
    for (no, cells) in &table.rows {
        let mut line = Line {
            table,
            cells,
            lang,
            errors: Vec::new(),
        };
        line.refuse_control_characters();
        let subject;
        match table.kind {
            Kind::Courses => {
                let typed = match CourseCode::parse(line.get("code")) {
                    Err(ParseError::Empty) => Typed::Missing,
                    Err(_) => Typed::Malformed,
                    Ok(_) => Typed::WellFormed,
                };
                let code = line.get("code").to_uppercase();
                subject = format!("{code} {}", line.get("title_ko"));
                let stored = existing.courses.contains_key(&code);
                let repeated = |l: &mut Line<'_>| duplicate(l, code.clone(), "code", *no);
                COURSE_CODE.check(&mut line, typed, &code, repeated, stored);
                let title_ko = line.required("title_ko", 200);
                let title_en = line.required("title_en", 200);
                let credits = line.number("credits", 0, 6, None);
                let department_id = line.department("department", existing);
                let category = if line.get("category").is_empty() {
                    line.err("category", "import.err.required", &[]);
                    None
                } else {
                    line.parsed("category", "import.err.bad_category", category)
                };
                let description = line.optional_text("description", 2000);
                let mut prerequisites = Vec::new();
                for p in line
                    .get("prerequisites")
                    .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
                    .filter(|p| !p.is_empty())
                {
                    let p = p.to_uppercase();
                    if p == code {
                        line.err("prerequisites", "import.err.self_prerequisite", &[]);
                    } else if !existing.courses.contains_key(&p) && !file_codes.contains(&p) {
                        line.err("prerequisites", "import.err.unknown_course", &[("code", p)]);
                    } else if !prerequisites.contains(&p) {
                        prerequisites.push(p);
                    }
                }
                courses_out.extend(line.row(|| {
                    Some(CourseRow {
                        code,
                        title_ko: title_ko?,
                        title_en: title_en?,
                        credits: credits? as i8,
                        department_id: department_id?,
                        category: category?,
                        description,
                        prerequisites,
                    })
                }));
            }
            Kind::Sections => {
                let unknown = ("import.err.unknown_course", "code");
                let (code, course_id) = line.by_code("course_code", &existing.courses, unknown);
                let section_no = line.number("section_no", 1, 999, None).map(|n| n as i16);
                subject = match section_no {
                    Some(n) => format!("{code}-{n}"),
                    None => code.clone(),
                };
                if existing.term_id.is_none() {
                    line.err("course_code", "import.err.no_current_term", &[]);
                }
                if let (Some(course_id), Some(n)) = (course_id, section_no) {
                    duplicate(&mut line, format!("{code}-{n}"), "section_no", *no);
                    if existing.sections.contains(&(course_id, n)) {
                        line.err(
                            "section_no",
                            "import.err.section_exists",
                            &[("section", format!("{code}-{n}"))],
                        );
                    }
                }
                let instructor = line.required("instructor", 100);
                let capacity = line.number("capacity", 0, 10_000, None);
                let waitlist = line.number("waitlist_capacity", 0, 1_000, Some(0));
                let dept_raw = line.get("department_only");
                let department_only = if dept_raw.is_empty() {
                    Some(None)
                } else {
                    line.department("department_only", existing).map(Some)
                };
                let years = line.parsed("class_years", "import.err.bad_class_years", class_years);
                let mut meetings: Vec<(MeetingRow, String)> = Vec::new();
                let raw_meetings = line.get("meetings");
                if raw_meetings.is_empty() {
                    line.err("meetings", "import.err.required", &[]);
                }
                for part in raw_meetings
                    .split(';')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    match meeting(part) {
                        Ok(m) => {
                            if meetings
                                .iter()
                                .any(|(o, _)| o.meeting().overlaps(&m.0.meeting()))
                            {
                                line.err(
                                    "meetings",
                                    "import.err.meetings_overlap",
                                    &[("meeting", part.to_string())],
                                );
                            }
                            meetings.push(m);
                        }
                        Err(key) => line.err("meetings", key, &[("meeting", part.to_string())]),
                    }
                }
                sections_out.extend(line.row(|| {
                    Some(SectionRow {
                        course_id: course_id?,
                        section_no: section_no?,
                        instructor: instructor?,
                        capacity: capacity? as i32,
                        waitlist_capacity: waitlist? as i32,
                        department_only: department_only?,
                        class_years: years?,
                        meetings,
                    })
                }));
            }
            Kind::Students => {
                let login = line.get("login_id").to_string();
                subject = format!("{login} {}", line.get("name"));
                let typed = if login.is_empty() {
                    Typed::Missing
                } else if crate::auth::domain::LoginId::parse(&login).is_err() {
                    Typed::Malformed
                } else {
                    Typed::WellFormed
                };
                let key = login.to_lowercase();
                let stored = existing.logins.contains(&key);
                let repeated = |l: &mut Line<'_>| duplicate(l, key, "login_id", *no);
                LOGIN_ID.check(&mut line, typed, &login, repeated, stored);
                let name = line.required("name", 100);
                let department_id = line.department("department", existing);
                let class_year = line.number("class_year", 1, 4, None);
                let status = line.parsed("status", "import.err.bad_status", student_status);
                let max_credits = if line.get("max_credits").is_empty() {
                    Some(None)
                } else {
                    line.number("max_credits", 0, 30, None)
                        .map(|n| Some(n as i8))
                };
                students_out.extend(line.row(|| {
                    Some(StudentRow {
                        login_id: login,
                        name: name?,
                        department_id: department_id?,
                        class_year: class_year? as i8,
                        status: status?,
                        max_credits: max_credits?,
                    })
                }));
            }
            Kind::Members => {
                let number = line.get("student_number").to_string();
                let id = existing.students.get(&number.to_lowercase()).copied();
                let unknown = ("import.err.unknown_student", "value");
                let student = line.known("student_number", &number, id, unknown);
                let unknown = ("import.err.unknown_group", "code");
                let (code, group) = line.by_code("group_code", &existing.groups, unknown);
                subject = format!("{number} {code}");
                if let (Some(student_id), Some(group_id)) = (student, group) {
                    duplicate(
                        &mut line,
                        format!("{group_id}/{student_id}"),
                        "student_number",
                        *no,
                    );
                    if existing.members.contains(&(group_id, student_id)) {
                        line.err(
                            "student_number",
                            "import.err.already_member",
                            &[("value", number.clone()), ("code", code.clone())],
                        );
                    }
                    members_out.extend(line.row(|| {
                        Some(MemberRow {
                            group_id,
                            student_id,
                        })
                    }));
                }
            }
        }
        lines.push(LineReport {
            line: *no,
            subject: subject.trim().to_string(),
            errors: line.errors,
        });
    }
    let report = Report {
        kind: table.kind,
        lines,
    };
    let rows = match table.kind {
        Kind::Courses => Rows::Courses(courses_out),
        Kind::Sections => Rows::Sections(sections_out),
        Kind::Students => Rows::Students(students_out),
        Kind::Members => Rows::Members(members_out),
    };
    let rows = report.ok().then_some(rows);
    (report, rows)
}

// ---- the database side ----

fn load_existing(conn: &mut MysqlConnection, table: &Table) -> QueryResult<Existing> {
    let mut existing = Existing {
        departments: departments::table
            .select((departments::code, departments::id))
            .load::<(String, i32)>(conn)?
            .into_iter()
            .map(|(c, id)| (c.to_uppercase(), id))
            .collect(),
        ..Existing::default()
    };
    match table.kind {
        Kind::Courses | Kind::Sections => {
            existing.courses = courses::table
                .select((courses::code, courses::id))
                .load::<(String, i32)>(conn)?
                .into_iter()
                .map(|(c, id)| (c.to_uppercase(), id))
                .collect();
            if table.kind == Kind::Sections {
                existing.term_id = terms::table
                    .filter(terms::is_current.eq(true))
                    .select(terms::id)
                    .first(conn)
                    .optional()?;
                if let Some(term) = existing.term_id {
                    existing.sections = sections::table
                        .filter(sections::term_id.eq(term))
                        .select((sections::course_id, sections::section_no))
                        .load::<(i32, i16)>(conn)?
                        .into_iter()
                        .collect();
                }
            }
        }
        Kind::Students => {
            let wanted = table.filled("login_id");
            for chunk in wanted.chunks(1000) {
                // The column's collation is case-insensitive, so compare in lower case.
                let found: Vec<String> = users::table
                    .filter(users::login_id.eq_any(chunk))
                    .select(users::login_id)
                    .load(conn)?;
                existing
                    .logins
                    .extend(found.into_iter().map(|l| l.to_lowercase()));
            }
        }
        Kind::Members => {
            // Locks the groups: a delete of one waits for the import, and the import sees
            // every member committed before it.
            existing.groups = priority_groups::table
                .select((priority_groups::code, priority_groups::id))
                .for_update()
                .load::<(String, i32)>(conn)?
                .into_iter()
                .map(|(c, id)| (c.to_uppercase(), id))
                .collect();
            let wanted = table.filled("student_number");
            let mut ids = Vec::new();
            for chunk in wanted.chunks(1000) {
                let found: Vec<(String, i32)> = users::table
                    .filter(users::login_id.eq_any(chunk))
                    .filter(users::role.eq("student"))
                    .select((users::login_id, users::id))
                    .load(conn)?;
                ids.extend(found.iter().map(|(_, id)| *id));
                existing
                    .students
                    .extend(found.into_iter().map(|(l, id)| (l.to_lowercase(), id)));
            }
            for chunk in ids.chunks(1000) {
                existing.members.extend(
                    priority_group_members::table
                        .filter(priority_group_members::student_id.eq_any(chunk))
                        .select((
                            priority_group_members::group_id,
                            priority_group_members::student_id,
                        ))
                        .load::<(i32, i32)>(conn)?,
                );
            }
        }
    }
    Ok(existing)
}

#[derive(Debug)]
enum ApplyError {
    Rejected(Report),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for ApplyError {
    fn from(e: diesel::result::Error) -> Self {
        ApplyError::Db(e)
    }
}

/// Inserts into `$table` the values `$values` makes of each item, 500 rows to a statement, under
/// the server's packet limit.
macro_rules! insert_in_chunks {
    ($table:path, $conn:expr, $items:expr, |$item:pat_param| $values:expr) => {
        let values: Vec<_> = $items.map(|$item| $values).collect();
        for chunk in values.chunks(500) {
            diesel::insert_into($table).values(chunk).execute($conn)?;
        }
    };
}

fn insert_rows(
    conn: &mut MysqlConnection,
    rows: &Rows,
    term_id: Option<i32>,
    password_hash: &str,
) -> QueryResult<()> {
    match rows {
        Rows::Courses(list) => {
            insert_in_chunks!(courses::table, conn, list.iter(), |c| (
                courses::code.eq(&c.code),
                courses::title_ko.eq(&c.title_ko),
                courses::title_en.eq(&c.title_en),
                courses::credits.eq(c.credits),
                courses::department_id.eq(c.department_id),
                courses::category.eq(c.category),
                courses::description.eq(&c.description),
            ));
            let needed: Vec<&String> = list
                .iter()
                .flat_map(|c| c.prerequisites.iter().chain(std::iter::once(&c.code)))
                .collect();
            let mut ids: HashMap<String, i32> = HashMap::new();
            for chunk in needed.chunks(1000) {
                let found: Vec<(String, i32)> = courses::table
                    .filter(courses::code.eq_any(chunk))
                    .select((courses::code, courses::id))
                    .load(conn)?;
                ids.extend(found.into_iter().map(|(c, id)| (c.to_uppercase(), id)));
            }
            let ids = &ids;
            let pairs = list.iter().flat_map(|c| {
                let id = ids.get(&c.code).copied();
                c.prerequisites
                    .iter()
                    .filter_map(move |p| Some((id?, *ids.get(p)?)))
            });
            insert_in_chunks!(course_prerequisites::table, conn, pairs, |(
                course,
                required,
            )| (
                course_prerequisites::course_id.eq(course),
                course_prerequisites::required_course_id.eq(required),
            ));
        }
        Rows::Sections(list) => {
            let term_id = term_id.ok_or(diesel::result::Error::NotFound)?;
            for s in list {
                let new = crate::admin::queries::NewSection {
                    term_id,
                    course_id: s.course_id,
                    section_no: s.section_no,
                    instructor: &s.instructor,
                    capacity: s.capacity,
                    waitlist_capacity: s.waitlist_capacity,
                    restrict_department_id: s.department_only,
                    restrict_class_years: s.class_years,
                };
                let id = crate::admin::queries::insert_section(conn, &new)?;
                let values: Vec<_> = s
                    .meetings
                    .iter()
                    .map(|(m, room)| {
                        (
                            meetings::section_id.eq(id),
                            meetings::weekday.eq(m.weekday),
                            meetings::starts_at_min.eq(m.start),
                            meetings::ends_at_min.eq(m.end),
                            meetings::room.eq(room),
                        )
                    })
                    .collect();
                diesel::insert_into(meetings::table)
                    .values(&values)
                    .execute(conn)?;
            }
        }
        Rows::Members(list) => {
            insert_in_chunks!(priority_group_members::table, conn, list.iter(), |m| (
                priority_group_members::group_id.eq(m.group_id),
                priority_group_members::student_id.eq(m.student_id),
            ));
        }
        Rows::Students(list) => {
            insert_in_chunks!(users::table, conn, list.iter(), |s| (
                users::login_id.eq(&s.login_id),
                users::name.eq(&s.name),
                users::password_hash.eq(password_hash),
                users::role.eq("student"),
                users::department_id.eq(Some(s.department_id)),
                users::class_year.eq(Some(s.class_year)),
                users::status.eq(s.status),
                users::max_credits.eq(s.max_credits),
            ));
        }
    }
    Ok(())
}

/// Validates again against the data as it is now and inserts everything, or nothing.
fn apply_all(
    conn: &mut MysqlConnection,
    kind: Kind,
    bytes: &[u8],
    password_hash: &str,
    log: NewActivity,
    lang: Lang,
) -> Result<usize, ApplyError> {
    let table = parse(kind, bytes, lang).map_err(ApplyError::Rejected)?;
    let result = conn.transaction::<usize, ApplyError, _>(|conn| {
        let existing = load_existing(conn, &table)?;
        let (report, rows) = validate(&table, &existing, lang);
        let Some(rows) = rows else {
            return Err(ApplyError::Rejected(report));
        };
        insert_rows(conn, &rows, existing.term_id, password_hash)?;
        let mut log = log;
        log.detail = Some(format!("{}: {} rows", kind.code(), rows.len()));
        activity::record(conn, &log)?;
        Ok(rows.len())
    });
    match result {
        // Another import committed the same keys between our check and our insert.
        Err(ApplyError::Db(e)) if crate::db::tx::is_unique_violation(&e) => {
            Err(ApplyError::Rejected(Report::file_error(
                kind,
                1,
                "",
                lang.text("import.err.concurrent").into(),
            )))
        }
        other => other,
    }
}

// ---- the upload and the pending preview ----

/// What a preview leaves for its apply: the file and, for students, the hashed initial password.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    registrar_id: i32,
    kind: Kind,
    text: String,
    password_hash: Option<String>,
}

fn pending_key(app: &ConsoleApp, id: &str) -> String {
    app.cache.key(&format!("import:{id}"))
}

async fn store_pending(app: &ConsoleApp, id: &str, p: &Pending) -> Result<(), CacheError> {
    let json = serde_json::to_string(p).map_err(|e| CacheError::Unavailable(e.to_string()))?;
    let mut conn = app.cache.conn().await?;
    let _: () = redis::cmd("SET")
        .arg(pending_key(app, id))
        .arg(json)
        .arg("EX")
        .arg(PENDING_TTL_SECS)
        .query_async(&mut conn)
        .await?;
    Ok(())
}

/// Takes the pending upload (once: a double click applies it once).
async fn take_pending(app: &ConsoleApp, id: &str) -> Result<Option<Pending>, CacheError> {
    let mut conn = app.cache.conn().await?;
    let json: Option<String> = redis::cmd("GETDEL")
        .arg(pending_key(app, id))
        .query_async(&mut conn)
        .await?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

#[derive(Debug, Default)]
struct Upload {
    kind: String,
    file: Vec<u8>,
    text: String,
    initial_password: String,
    csrf_token: String,
    too_large: bool,
}

/// Reads the multipart form, keeping at most `MAX_UPLOAD` bytes of the file or text.
async fn read_upload(mut payload: Multipart) -> Result<Upload, AppError> {
    let mut upload = Upload::default();
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        let limit = match name.as_str() {
            "file" | "text" => MAX_UPLOAD,
            _ => 4096,
        };
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
            if buf.len() + chunk.len() > limit {
                upload.too_large = true;
                // Keep reading (and dropping) so the client gets the answer, not a reset.
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "kind" => upload.kind = String::from_utf8_lossy(&buf).into_owned(),
            "file" => upload.file = buf,
            "text" => upload.text = String::from_utf8_lossy(&buf).into_owned(),
            "initial_password" => {
                upload.initial_password = String::from_utf8_lossy(&buf).into_owned()
            }
            "csrf_token" => upload.csrf_token = String::from_utf8_lossy(&buf).into_owned(),
            _ => {}
        }
    }
    Ok(upload)
}

// ---- the page ----

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    layout: Layout,
    kind: String,
    text: String,
    form_error: Option<(&'static str, String)>,
    report: Option<Report>,
    pending: Option<String>,
}

impl ImportPage {
    fn new(layout: Layout) -> Self {
        ImportPage {
            layout,
            kind: "courses".into(),
            text: String::new(),
            form_error: None,
            report: None,
            pending: None,
        }
    }

    fn kinds(&self) -> [(&'static str, &'static str); 4] {
        [
            ("courses", "import.kind.courses"),
            ("sections", "import.kind.sections"),
            ("students", "import.kind.students"),
            ("members", "import.kind.members"),
        ]
    }

    fn field_error(&self, field: &str) -> Option<&str> {
        self.form_error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    fn columns(&self, kind: &str) -> String {
        Kind::parse(kind)
            .map(|k| {
                k.columns()
                    .iter()
                    .map(|c| {
                        let star = if c.required { "*" } else { "" };
                        format!("{}{star} ({})", c.name, c.aliases.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }

    fn kind_label(&self) -> &'static str {
        match Kind::parse(&self.kind) {
            Some(Kind::Sections) => "import.kind.sections",
            Some(Kind::Students) => "import.kind.students",
            Some(Kind::Members) => "import.kind.members",
            _ => "import.kind.courses",
        }
    }

    fn summary(&self) -> String {
        match &self.report {
            Some(r) if r.ok() => self
                .layout
                .lang
                .format("import.preview_ok", &[("rows", r.lines.len().to_string())]),
            Some(r) => self.layout.lang.format(
                "import.preview_errors",
                &[
                    ("errors", r.error_lines().to_string()),
                    ("rows", r.lines.len().to_string()),
                ],
            ),
            None => String::new(),
        }
    }

    fn render_status(self, status: StatusCode) -> Result<HttpResponse, AppError> {
        let body = self.render()?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body))
    }
}

#[derive(Debug, Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

pub async fn page(
    _registrar: Registrar,
    layout: Layout,
    query: web::Query<KindQuery>,
) -> Result<HttpResponse, AppError> {
    let mut page = ImportPage::new(layout);
    if let Some(k) = query.kind.as_deref().and_then(Kind::parse) {
        page.kind = k.code().into();
    }
    html(page)
}

/// The dry run: checks the upload against the current data and shows every line's outcome.
/// A clean file is kept for the apply button; nothing is written to MySQL here.
pub async fn preview(
    app: ConsoleApp,
    registrar: Registrar,
    req: HttpRequest,
    layout: Layout,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let lang = layout.lang;
    let upload = read_upload(payload).await?;
    // The CSRF guard leaves this multipart form to us: the token is in the body (or the header).
    let header_token = req
        .headers()
        .get(crate::auth::middleware::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(&upload.csrf_token);
    if !crate::auth::middleware::same(header_token, &registrar.0.csrf_token) {
        return Err(AppError::Csrf);
    }
    let mut page = ImportPage::new(layout);
    page.kind = upload.kind.clone();
    if upload.too_large {
        page.form_error = Some((
            "file",
            lang.format(
                "import.err.too_large",
                &[("mb", (MAX_UPLOAD / 1024 / 1024).to_string())],
            ),
        ));
        return page.render_status(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let Some(kind) = Kind::parse(&upload.kind) else {
        page.kind = "courses".into();
        page.form_error = Some(("kind", lang.text("import.err.kind").into()));
        return page.render_status(StatusCode::UNPROCESSABLE_ENTITY);
    };
    let pasted = upload.file.is_empty();
    let bytes = if pasted {
        upload.text.clone().into_bytes()
    } else {
        upload.file
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        page.form_error = Some(("file", lang.text("import.err.no_file").into()));
        return page.render_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let password = upload.initial_password.trim().to_string();
    if kind == Kind::Students
        && !password.is_empty()
        && !(8..=128).contains(&password.chars().count())
    {
        page.form_error = Some(("initial_password", lang.text("import.err.password").into()));
        return page.render_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Show the pasted text again so it can be fixed in place.
    if pasted {
        page.text = upload.text.clone();
    }
    let report = match parse(kind, &bytes, lang) {
        Err(report) => report,
        Ok(table) => {
            app.db
                .run(move |conn| {
                    let existing = load_existing(conn, &table)?;
                    Ok(validate(&table, &existing, lang).0)
                })
                .await?
        }
    };
    if report.ok() {
        let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
            .into_owned();
        // One hash for the whole file, on the bounded hashing threads, and only when asked.
        let password_hash = if kind == Kind::Students && !password.is_empty() {
            Some(app.auth.hasher.hash(password).await?)
        } else {
            None
        };
        let id = uuid::Uuid::new_v4().simple().to_string();
        store_pending(
            &app,
            &id,
            &Pending {
                registrar_id: registrar.0.user_id,
                kind,
                text,
                password_hash,
            },
        )
        .await?;
        page.pending = Some(id);
    }
    let status = if report.ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.report = Some(report);
    page.render_status(status)
}

#[derive(Debug, Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    upload: String,
}

pub async fn apply(c: Console, req: HttpRequest, form: web::Form<ApplyForm>) -> Answer {
    let (app, registrar, layout, _) = c.parts();
    let lang = layout.lang;
    let id = form.upload.trim();
    let well_formed = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let pending = if well_formed {
        take_pending(&app, id).await?
    } else {
        None
    };
    let Some(pending) = pending.filter(|p| p.registrar_id == registrar.0.user_id) else {
        return redirect(
            &app,
            &registrar,
            Level::Error,
            lang.text("import.err.expired").into(),
        )
        .await;
    };
    let mut log = NewActivity::new("import", "ok", &RequestMeta::of(&req));
    log.actor_id = Some(registrar.0.user_id);
    log.session_ref = Some(registrar.0.reference());
    let kind = pending.kind;
    let hash = pending
        .password_hash
        .clone()
        .unwrap_or_else(|| UNUSABLE_HASH.to_string());
    let text = pending.text;
    let outcome = app
        .db
        .run(move |conn| Ok(apply_all(conn, kind, text.as_bytes(), &hash, log, lang)))
        .await?;
    match outcome {
        Ok(n) => {
            if !matches!(kind, Kind::Students | Kind::Members) {
                if let Err(e) = crate::catalog::bump_version(&app.cache).await {
                    tracing::warn!(error = %e, "catalog version not bumped after import");
                }
            }
            tracing::info!(
                registrar.id = registrar.0.user_id,
                kind = kind.code(),
                rows = n,
                "csv import applied"
            );
            let message = lang.format(
                "import.applied",
                &[
                    ("rows", n.to_string()),
                    (
                        "kind",
                        lang.text(&format!("import.kind.{}", kind.code()))
                            .to_string(),
                    ),
                ],
            );
            redirect(&app, &registrar, Level::Ok, message).await
        }
        Err(ApplyError::Rejected(report)) => {
            let mut page = ImportPage::new(layout);
            page.kind = kind.code().into();
            page.report = Some(report);
            page.form_error = Some(("apply", lang.text("import.err.apply_refused").into()));
            page.render_status(StatusCode::CONFLICT)
        }
        Err(ApplyError::Db(e)) => Err(e.into()),
    }
}

async fn redirect(
    app: &ConsoleApp,
    registrar: &Registrar,
    level: Level,
    message: String,
) -> Result<HttpResponse, AppError> {
    let cookie = flash::set(&app.cache, &registrar.0, &Flash { level, message }).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/import"))
        .cookie(cookie)
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn existing() -> Existing {
        Existing {
            departments: [("CSE".to_string(), 1)].into_iter().collect(),
            courses: [("CSE1000".to_string(), 10)].into_iter().collect(),
            term_id: Some(1),
            sections: [(10, 1)].into_iter().collect(),
            logins: ["2026001".to_string()].into_iter().collect(),
            groups: [("DISAB".to_string(), 3)].into_iter().collect(),
            students: [("2026001".to_string(), 7), ("2026002".to_string(), 8)]
                .into_iter()
                .collect(),
            members: [(3, 8)].into_iter().collect(),
        }
    }

    /// A file of `kind` read and checked against `existing()`, in English.
    fn checked(kind: Kind, csv: &str) -> (Report, Option<Rows>) {
        let table = parse(kind, csv.as_bytes(), Lang::En).expect("parses");
        validate(&table, &existing(), Lang::En)
    }

    #[test]
    fn member_lines_name_unknown_students_groups_and_existing_members() {
        let csv = "학번,그룹코드,이름\n2026001,disab,김하나\n2026009,DISAB,\n2026001,NOPE,\n2026002,DISAB,\n2026001,DISAB,\n";
        let (report, rows) = checked(Kind::Members, csv);
        assert!(rows.is_none(), "one bad line refuses the file");
        let errors = |line: u64| -> Vec<String> {
            report
                .lines
                .iter()
                .find(|l| l.line == line)
                .map(|l| l.errors.iter().map(|e| e.message.clone()).collect())
                .unwrap_or_default()
        };
        assert!(errors(2).is_empty(), "{report:?}");
        assert!(errors(3)[0].contains("2026009"));
        assert!(errors(4)[0].contains("NOPE"));
        assert!(errors(5)[0].contains("already"), "{:?}", errors(5));
        assert!(errors(6)[0].contains("line 2"), "{:?}", errors(6));

        let ok = "student_number,group_code\n2026001,DISAB\n";
        let (report, rows) = checked(Kind::Members, ok);
        assert!(report.ok());
        assert!(matches!(
            rows,
            Some(Rows::Members(ref r)) if r == &[MemberRow { group_id: 3, student_id: 7 }]
        ));
    }

    #[test]
    fn bom_and_korean_headers_are_accepted() {
        let csv = "\u{feff}과목코드,과목명,영문과목명,학점,학과,이수구분\nCSE2000,자료구조,Data Structures,3,cse,전공필수\n";
        let (report, rows) = checked(Kind::Courses, csv);
        assert!(report.ok(), "{report:?}");
        assert!(
            matches!(rows, Some(Rows::Courses(ref r)) if r.len() == 1 && r[0].code == "CSE2000")
        );
    }

    #[test]
    fn errors_name_the_line_and_the_column() {
        let csv = "code,title_ko,title_en,credits,department,category\n\
                   CSE2000,가,A,3,CSE,major_required\n\
                   CSE2001,나,B,x,MATH,major_required\n\
                   CSE2000,다,C,3,CSE,nope\n";
        let (report, rows) = checked(Kind::Courses, csv);
        assert!(rows.is_none());
        let bad: Vec<(u64, Vec<String>)> = report
            .lines
            .iter()
            .filter(|l| !l.errors.is_empty())
            .map(|l| (l.line, l.errors.iter().map(|e| e.column.clone()).collect()))
            .collect();
        assert_eq!(
            bad,
            vec![
                (3, vec!["credits".to_string(), "department".to_string()]),
                (4, vec!["code".to_string(), "category".to_string()]),
            ]
        );
    }

    #[test]
    fn headers_that_are_unknown_or_missing_are_reported_on_line_one() {
        let err = parse(Kind::Students, b"login_id,name,colour\n1,a,b\n", Lang::En)
            .expect_err("bad header");
        let cols: Vec<&str> = err.lines[0]
            .errors
            .iter()
            .map(|e| e.column.as_str())
            .collect();
        assert_eq!(err.lines[0].line, 1);
        assert_eq!(cols, vec!["colour", "department", "class_year"]);
    }

    #[test]
    fn meetings_parse_in_korean_and_english() {
        assert_eq!(
            meeting("월 09:00-10:15 공학관 101"),
            Ok((
                MeetingRow {
                    weekday: 1,
                    start: 540,
                    end: 615
                },
                "공학관 101".to_string()
            ))
        );
        assert_eq!(meeting("Sat 18:00-24:00 B1").map(|m| m.0.end), Ok(1440));
        assert_eq!(meeting("일 09:00-10:00 R1"), Err("import.err.bad_weekday"));
        assert_eq!(meeting("월 10:00-09:00 R1"), Err("import.err.time_order"));
        assert_eq!(meeting("월 9-10 R1"), Err("import.err.bad_time"));
        assert_eq!(meeting("월 09:00-10:00"), Err("import.err.room_missing"));
        assert_eq!(meeting("월"), Err("import.err.meeting_format"));
    }

    #[test]
    fn sections_check_course_duplicates_and_existing_rows() {
        let csv = "course_code,section_no,instructor,capacity,meetings\n\
                   CSE1000,1,김,30,월 09:00-10:00 R1\n\
                   CSE1000,2,김,30,월 09:00-10:00 R1; 월 09:30-11:00 R2\n\
                   CSE9999,1,이,-1,화 09:00-10:00 R1\n";
        let (report, _) = checked(Kind::Sections, csv);
        let cols = |i: usize| -> Vec<String> {
            report.lines[i]
                .errors
                .iter()
                .map(|e| e.column.clone())
                .collect()
        };
        assert_eq!(cols(0), vec!["section_no"]);
        assert_eq!(cols(1), vec!["meetings"]);
        assert_eq!(cols(2), vec!["course_code", "capacity"]);
    }

    #[test]
    fn students_duplicates_in_the_file_point_at_the_first_line() {
        let csv = "학번,이름,학과,학년\n2026002,가,CSE,1\n2026002,나,CSE,5\n2026001,다,CSE,2\n";
        let (report, _) = checked(Kind::Students, csv);
        assert!(report.lines[0].errors.is_empty());
        assert_eq!(report.lines[1].errors.len(), 2);
        assert!(report.lines[1].errors[0].message.contains('2'));
        assert_eq!(report.lines[2].errors[0].column, "학번");
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let err = parse(Kind::Students, b"login_id\n\xff\n", Lang::En).expect_err("not utf-8");
        assert_eq!(err.lines[0].line, 2);
    }
}
