//! The demo catalog: departments, 1,000 courses with prerequisites, and 2,000 sections of the
//! current term with their weekly meetings and rooms. Pure: a random generator in, plain values
//! out; indices stand in for database ids.

use std::collections::{BTreeMap, HashMap};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::domain::Meeting;

use super::names::{
    self, Department, Field, GenKind, CANCEL_REASONS, DEPARTMENTS, GENERAL_COURSES,
    GENERAL_EDUCATION, GEN_SPORTS_BUILDING,
};
use super::people::korean_name;

pub const COURSES: usize = 1_000;
pub const SECTIONS: usize = 2_000;
/// Sections with a handful of seats that everyone wants (the rush, in miniature).
const POPULAR_SECTIONS: usize = 24;
const CANCELLED_SECTIONS: usize = 8;
const MAX_SECTIONS_PER_COURSE: u16 = 10;

/// The Korean 75-minute blocks; Mon/Wed and Tue/Thu courses meet twice a week in one of them.
pub const PERIODS: [(u16, u16); 7] = [
    (9 * 60, 10 * 60 + 15),
    (10 * 60 + 30, 11 * 60 + 45),
    (12 * 60, 13 * 60 + 15),
    (13 * 60 + 30, 14 * 60 + 45),
    (15 * 60, 16 * 60 + 15),
    (16 * 60 + 30, 17 * 60 + 45),
    (18 * 60, 19 * 60 + 15),
];
const PERIOD_WEIGHTS: [u32; 7] = [3, 4, 3, 4, 4, 2, 1];
/// Start hours of 50-minute (one-hour grid) and 110-minute (two-hour grid) single sessions.
const SHORT_STARTS: [u16; 9] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
const LONG_STARTS: [u16; 6] = [9, 10, 13, 14, 15, 16];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentSpec {
    pub code: &'static str,
    pub name_ko: &'static str,
    pub name_en: &'static str,
    pub building: &'static str,
    /// Two-digit number in student numbers; `None` for the general-education faculty.
    pub number: Option<u32>,
}

/// The departments with students (in [`DEPARTMENTS`] order), then the general-education faculty.
pub fn departments() -> Vec<DepartmentSpec> {
    let mut out: Vec<DepartmentSpec> = DEPARTMENTS
        .iter()
        .zip(names::FIRST_DEPARTMENT_NUMBER..)
        .map(|(d, number)| DepartmentSpec {
            code: d.code,
            name_ko: d.name_ko,
            name_en: d.name_en,
            building: d.building,
            number: Some(number),
        })
        .collect();
    let (code, name_ko, name_en, building) = GENERAL_EDUCATION;
    out.push(DepartmentSpec {
        code,
        name_ko,
        name_en,
        building,
        number: None,
    });
    out
}

/// Index of the general-education faculty in [`departments`].
pub fn general_education() -> usize {
    DEPARTMENTS.len()
}

/// How a course came about; decides its meetings, capacity, restrictions and prerequisites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourseKind {
    /// A subject from the department's list.
    Base,
    /// `실험`/`실습`/`연습` companion of a base course: one credit, one long session.
    Lab {
        base: usize,
    },
    /// `특론`: an upper-level follow-up that requires its base course.
    Topics {
        base: usize,
    },
    /// `세미나`: a fourth-year seminar on a subject.
    Seminar,
    FreshmanSeminar,
    /// Capstone design, senior thesis, student teaching, clinical practicum...
    Senior,
    Internship,
    General(GenKind),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseSpec {
    pub code: String,
    pub title_ko: String,
    pub title_en: String,
    pub credits: i8,
    pub department: usize,
    pub category: &'static str,
    pub description: String,
    /// Year level: the first digit of the number.
    pub level: u8,
    pub kind: CourseKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingSpec {
    /// Mon=1 .. Sat=6.
    pub weekday: u8,
    /// Minutes from midnight, Seoul time.
    pub starts_at_min: u16,
    pub ends_at_min: u16,
    pub room: String,
}

impl MeetingSpec {
    pub fn meeting(&self) -> Meeting {
        Meeting {
            day: self.weekday,
            start: self.starts_at_min,
            end: self.ends_at_min,
        }
    }

    /// Whether the two meetings clash (`Meeting::overlaps`).
    pub fn overlaps(&self, other: &MeetingSpec) -> bool {
        self.meeting().overlaps(&other.meeting())
    }
}

/// Whether any meeting of `a` overlaps any meeting of `b`.
pub fn conflict(a: &[MeetingSpec], b: &[MeetingSpec]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.overlaps(y)))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionSpec {
    pub course: usize,
    pub section_no: i16,
    pub instructor: String,
    pub capacity: i32,
    pub waitlist_capacity: i32,
    pub restrict_department: Option<usize>,
    /// Bit n-1 set = class year n allowed; 0 = every year.
    pub restrict_class_years: u8,
    /// `Some(reason)` for a cancelled (폐강) section.
    pub cancelled: Option<&'static str>,
    pub meetings: Vec<MeetingSpec>,
    /// Few seats, much demand: baskets and seeded enrollments aim at these.
    pub popular: bool,
}

impl SectionSpec {
    /// Whether a student of `department` in `class_year` may take this section at all.
    pub fn admits(&self, department: usize, class_year: u8) -> bool {
        self.cancelled.is_none()
            && self.restrict_department.is_none_or(|d| d == department)
            && (self.restrict_class_years == 0
                || self.restrict_class_years & (1 << (class_year - 1)) != 0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub departments: Vec<DepartmentSpec>,
    pub courses: Vec<CourseSpec>,
    /// (course, required course) pairs: same department, strictly lower level.
    pub prerequisites: Vec<(usize, usize)>,
    pub sections: Vec<SectionSpec>,
}

impl Catalog {
    pub fn prerequisites_of(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.courses.len()];
        for &(course, required) in &self.prerequisites {
            out[course].push(required);
        }
        out
    }
}

pub fn generate(rng: &mut StdRng) -> Catalog {
    let departments = departments();
    let (courses, prerequisites) = courses(rng);
    let sections = sections(rng, &courses);
    Catalog {
        departments,
        courses,
        prerequisites,
        sections,
    }
}

/// A course before it has a code.
#[derive(Debug, Clone)]
struct Draft {
    title_ko: String,
    title_en: String,
    credits: i8,
    category: &'static str,
    level: u8,
    kind: CourseKind,
}

fn courses(rng: &mut StdRng) -> (Vec<CourseSpec>, Vec<(usize, usize)>) {
    let mut courses = Vec::with_capacity(COURSES);
    let mut prerequisites = Vec::new();

    // Every department offers its base subjects first; what the quota leaves room for comes from
    // companions and follow-ups, shuffled, so departments differ.
    let candidates: Vec<Vec<Draft>> = DEPARTMENTS.iter().map(|d| drafts(rng, d)).collect();
    let mut quotas = vec![0usize; DEPARTMENTS.len()];
    let mut left = COURSES - GENERAL_COURSES.len();
    let mut order: Vec<usize> = (0..DEPARTMENTS.len()).collect();
    order.shuffle(rng);
    while left > 0 {
        let before = left;
        for &d in &order {
            if left > 0 && quotas[d] < candidates[d].len() {
                quotas[d] += 1;
                left -= 1;
            }
        }
        if before == left {
            break; // every department exhausted: cannot happen with the word lists we have
        }
    }

    for (d, (dept, mut list)) in DEPARTMENTS.iter().zip(candidates).enumerate() {
        list.truncate(quotas[d]);
        let first = courses.len();
        let codes = numbering(dept.code, &list);
        for (draft, code) in list.into_iter().zip(codes) {
            let description = describe(rng, dept.name_ko, &draft);
            let kind = match draft.kind {
                CourseKind::Lab { base } => CourseKind::Lab { base: first + base },
                CourseKind::Topics { base } => CourseKind::Topics { base: first + base },
                other => other,
            };
            courses.push(CourseSpec {
                code,
                title_ko: draft.title_ko,
                title_en: draft.title_en,
                credits: draft.credits,
                department: d,
                category: draft.category,
                description,
                level: draft.level,
                kind,
            });
        }
        // Prerequisites: a follow-up needs its subject; some upper-level subjects need one or two
        // lower-level subjects of the department.
        let own: Vec<usize> = (first..courses.len()).collect();
        for &c in &own {
            match courses[c].kind {
                CourseKind::Topics { base } => prerequisites.push((c, base)),
                CourseKind::Base if courses[c].level >= 2 => {
                    let level = courses[c].level;
                    let lower: Vec<usize> = own
                        .iter()
                        .copied()
                        .filter(|&o| {
                            courses[o].kind == CourseKind::Base && courses[o].level < level
                        })
                        .collect();
                    let previous: Vec<usize> = lower
                        .iter()
                        .copied()
                        .filter(|&o| courses[o].level == level - 1)
                        .collect();
                    if rng.gen_bool(0.4) {
                        if let Some(&r) = previous.choose(rng).or_else(|| lower.choose(rng)) {
                            prerequisites.push((c, r));
                            if rng.gen_bool(0.25) {
                                if let Some(&r2) = lower.choose(rng) {
                                    if r2 != r {
                                        prerequisites.push((c, r2));
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    let gen = general_education();
    let gen_drafts: Vec<Draft> = GENERAL_COURSES
        .iter()
        .map(|&(ko, en, kind)| {
            let (credits, category, level) = match kind {
                GenKind::Required => (
                    if ko.contains("영어") { 2 } else { 3 },
                    "general_required",
                    1,
                ),
                GenKind::FreshmanRequired => (1, "general_required", 1),
                GenKind::Sport => (1, "general_elective", 1),
                GenKind::Elective => (
                    if rng.gen_bool(0.8) { 3 } else { 2 },
                    "general_elective",
                    if rng.gen_bool(0.6) { 1 } else { 2 },
                ),
            };
            Draft {
                title_ko: ko.to_string(),
                title_en: en.to_string(),
                credits,
                category,
                level,
                kind: CourseKind::General(kind),
            }
        })
        .collect();
    let codes = numbering(GENERAL_EDUCATION.0, &gen_drafts);
    for (draft, code) in gen_drafts.into_iter().zip(codes) {
        let description = describe(rng, GENERAL_EDUCATION.1, &draft);
        courses.push(CourseSpec {
            code,
            title_ko: draft.title_ko,
            title_en: draft.title_en,
            credits: draft.credits,
            department: gen,
            category: draft.category,
            description,
            level: draft.level,
            kind: draft.kind,
        });
    }
    (courses, prerequisites)
}

fn lab_names(field: Field) -> (&'static str, &'static str) {
    match field {
        Field::Science => ("실험", "Laboratory"),
        Field::Engineering | Field::Health | Field::Arts => ("실습", "Practicum"),
        _ => ("연습", "Exercises"),
    }
}

fn senior_course(field: Field) -> (&'static str, &'static str, &'static str, i8) {
    match field {
        Field::Engineering => ("캡스톤디자인", "Capstone Design", "major_required", 3),
        Field::Science => ("졸업연구", "Senior Research", "major_elective", 3),
        Field::Health => ("임상실습", "Clinical Practicum", "major_required", 3),
        Field::Education => ("교육실습", "Student Teaching", "teaching", 2),
        Field::Arts => ("졸업작품", "Senior Project", "major_required", 3),
        Field::Business | Field::Social | Field::Humanities => {
            ("졸업세미나", "Senior Seminar", "major_elective", 3)
        }
    }
}

/// Titles that already say "introduction" read badly with a suffix ("개론특론").
fn takes_suffix(ko: &str) -> bool {
    !ko.contains(' ')
        && !["개론", "입문", "원론", "원리"]
            .iter()
            .any(|s| ko.ends_with(s))
        && !["초급", "기초", "중급"].iter().any(|p| ko.starts_with(p))
}

/// A department's candidate courses in priority order: its subjects, the freshman seminar and
/// senior course, an internship where the field has them, then shuffled companions.
fn drafts(rng: &mut StdRng, dept: &Department) -> Vec<Draft> {
    let subjects = dept.subjects;
    let n = subjects.len();
    let mut out = Vec::new();
    for (i, &(ko, en)) in subjects.iter().enumerate() {
        let level = u8::try_from(1 + i * 4 / n).unwrap_or(4);
        let required_odds = match level {
            1 | 2 => 0.6,
            3 => 0.3,
            _ => 0.1,
        };
        let teaching = dept.field == Field::Education
            && (dept.code == "EDU" && level >= 2
                || ["교육론", "교재연구", "교수법", "교육과정"]
                    .iter()
                    .any(|s| ko.contains(s)));
        let category = if teaching {
            "teaching"
        } else if rng.gen_bool(required_odds) {
            "major_required"
        } else {
            "major_elective"
        };
        let roll: f64 = rng.gen();
        let credits = if roll < 0.08 && matches!(dept.field, Field::Engineering | Field::Science) {
            4
        } else if roll < 0.14 {
            2
        } else {
            3
        };
        out.push(Draft {
            title_ko: ko.to_string(),
            title_en: en.to_string(),
            credits,
            category,
            level,
            kind: CourseKind::Base,
        });
    }
    out.push(Draft {
        title_ko: "신입생세미나".into(),
        title_en: "Freshman Seminar".into(),
        credits: 1,
        category: "major_required",
        level: 1,
        kind: CourseKind::FreshmanSeminar,
    });
    let (ko, en, category, credits) = senior_course(dept.field);
    out.push(Draft {
        title_ko: ko.into(),
        title_en: en.into(),
        credits,
        category,
        level: 4,
        kind: CourseKind::Senior,
    });
    if matches!(
        dept.field,
        Field::Engineering | Field::Business | Field::Social
    ) {
        out.push(Draft {
            title_ko: "현장실습".into(),
            title_en: "Internship".into(),
            credits: 3,
            category: "free_elective",
            level: 3,
            kind: CourseKind::Internship,
        });
    }

    let (lab_ko, lab_en) = lab_names(dept.field);
    let mut extra = Vec::new();
    for (i, &(ko, en)) in subjects.iter().enumerate() {
        let level = out[i].level;
        let max_lab_level = if dept.field == Field::Engineering {
            3
        } else {
            2
        };
        if level <= max_lab_level && !ko.contains(' ') {
            extra.push(Draft {
                title_ko: format!("{ko}{lab_ko}"),
                title_en: format!("{en} {lab_en}"),
                credits: 1,
                category: "major_elective",
                level,
                kind: CourseKind::Lab { base: i },
            });
        }
        if takes_suffix(ko) && level <= 3 {
            extra.push(Draft {
                title_ko: format!("{ko}특론"),
                title_en: format!("Topics in {en}"),
                credits: 3,
                category: "major_elective",
                level: (level + 1).max(3),
                kind: CourseKind::Topics { base: i },
            });
        }
        if takes_suffix(ko) && level >= 3 {
            extra.push(Draft {
                title_ko: format!("{ko}세미나"),
                title_en: format!("Seminar in {en}"),
                credits: 2,
                category: "major_elective",
                level: 4,
                kind: CourseKind::Seminar,
            });
        }
    }
    extra.shuffle(rng);
    out.extend(extra);
    out
}

/// Course numbers: the first digit is the year level, then steps of ten in list order
/// (CSE2010, CSE2020, ...); a lab takes its subject's number plus one (CSE2011).
fn numbering(dept_code: &str, list: &[Draft]) -> Vec<String> {
    let mut next: BTreeMap<u8, u32> = BTreeMap::new();
    let mut numbers = vec![0u32; list.len()];
    for (i, d) in list.iter().enumerate() {
        if !matches!(d.kind, CourseKind::Lab { .. }) {
            let k = next.entry(d.level).or_insert(0);
            *k += 10;
            numbers[i] = u32::from(d.level) * 1000 + *k;
        }
    }
    for (i, d) in list.iter().enumerate() {
        if let CourseKind::Lab { base } = d.kind {
            numbers[i] = numbers[base] + 1;
        }
    }
    numbers
        .into_iter()
        .map(|n| format!("{dept_code}{n:04}"))
        .collect()
}

fn describe(rng: &mut StdRng, dept_ko: &str, d: &Draft) -> String {
    let ko = &d.title_ko;
    let en = &d.title_en;
    let (korean, english) = match d.kind {
        CourseKind::Lab { .. } => (
            format!("{ko}: 강의에서 배운 내용을 실험과 실습으로 확인하고, 결과를 정리해 보고서로 작성하는 능력을 기른다."),
            format!("Hands-on sessions that accompany the lecture: experiments, exercises and weekly reports ({en})."),
        ),
        CourseKind::Topics { .. } => (
            format!("{ko}: 선수과목에서 다룬 내용을 바탕으로 심화 주제와 최근 연구 동향을 다룬다. 논문 읽기와 발표가 포함된다."),
            format!("{en}: advanced topics and recent research, with paper readings and presentations."),
        ),
        CourseKind::Seminar => (
            format!("{ko}: 4학년 학생이 관심 주제를 정해 문헌을 조사하고 발표와 토론을 진행한다."),
            format!("{en}: a fourth-year seminar of student presentations and discussion."),
        ),
        CourseKind::FreshmanSeminar => (
            format!("{dept_ko} 신입생이 전공 교육과정과 진로를 이해하도록 돕는 세미나이다. 교수 면담과 선배 특강이 포함된다."),
            "Helps first-year students find their way through the curriculum and careers of the major.".to_string(),
        ),
        CourseKind::Senior => (
            format!("{ko}: 그동안 배운 전공 지식을 종합하여 주제를 정하고, 계획부터 결과 발표까지 스스로 수행한다."),
            format!("{en}: students bring together what they learned in the major in a project of their own, from plan to final presentation."),
        ),
        CourseKind::Internship => (
            "산업체나 공공기관에서 실무를 경험하고 실습 일지와 결과 보고서를 제출한다. 학점은 P/F로 부여한다.".to_string(),
            "Work experience at a company or public institution, with a journal and a final report; graded pass/fail.".to_string(),
        ),
        CourseKind::General(GenKind::Sport) => (
            format!("{ko}의 기초 기술과 규칙을 익히고 꾸준한 운동 습관을 기른다. 운동복과 실내화를 준비한다."),
            format!("{en}: basic skills, rules and a regular exercise habit. Bring sportswear."),
        ),
        CourseKind::General(GenKind::Required | GenKind::FreshmanRequired) => (
            format!("{ko}: 모든 학생이 이수해야 하는 교양필수 과목으로, 대학 학업에 필요한 기본 역량을 기른다."),
            format!("{en}: a required general-education course building the basic skills of university study."),
        ),
        CourseKind::General(GenKind::Elective) => {
            let ko_lines = [
                format!("{ko}: 전공과 관계없이 누구나 들을 수 있는 교양 강좌로, 강의와 토론을 통해 폭넓은 시각을 기른다."),
                format!("{ko}: 다양한 사례와 자료를 통해 주제를 쉽게 풀어내는 교양 과목이다. 조별 발표가 있다."),
            ];
            let en_lines = [
                format!("{en}: an elective open to every major, taught through lectures and discussion."),
                format!("{en}: a general-education elective built on cases and group presentations."),
            ];
            let i = rng.gen_range(0..ko_lines.len());
            (ko_lines[i].clone(), en_lines[i].clone())
        }
        CourseKind::Base => {
            let basics = d.level <= 2;
            let ko_lines = if basics {
                [
                    format!("{ko}의 기본 개념과 원리를 체계적으로 학습한다. 매주 과제를 통해 {dept_ko} 전공의 기초를 다진다."),
                    format!("{ko}의 핵심 이론을 익히고 예제와 문제 풀이로 이해를 확인한다."),
                    format!("{ko}의 기초를 다루며, 이후 전공 과목을 수강하는 데 필요한 지식을 제공한다."),
                ]
            } else {
                [
                    format!("{ko}의 주요 이론과 방법론을 심화하여 다루고, 사례 분석과 팀 프로젝트로 실제 문제에 적용한다."),
                    format!("{ko}의 최근 쟁점과 연구 동향을 살펴보고 기말 프로젝트를 수행한다."),
                    format!("{ko}의 고급 주제를 다루며, 논문 읽기와 발표, 기말 보고서로 구성된다."),
                ]
            };
            let en_lines = if basics {
                [
                    format!("Fundamental concepts and principles of {en}, with weekly problem sets."),
                    format!("Core theory of {en}, practised on worked examples and exercises."),
                    format!("The foundations of {en} needed by later courses in the major."),
                ]
            } else {
                [
                    format!("Theory and methods of {en} applied to real problems through case studies and a team project."),
                    format!("Current issues and research in {en}, with a term project."),
                    format!("Advanced topics in {en}: paper readings, presentations and a final report."),
                ]
            };
            let i = rng.gen_range(0..ko_lines.len());
            (ko_lines[i].clone(), en_lines[i].clone())
        }
    };
    format!("{korean}\n\n{english}")
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[T], weights: &[u32]) -> T {
    let total: u32 = weights.iter().sum();
    let mut roll = rng.gen_range(0..total);
    for (item, &w) in items.iter().zip(weights) {
        if roll < w {
            return *item;
        }
        roll -= w;
    }
    items[items.len() - 1]
}

fn sections(rng: &mut StdRng, courses: &[CourseSpec]) -> Vec<SectionSpec> {
    // One section each, then the other thousand where demand is: first-year and required courses
    // get many sections, fourth-year seminars one.
    let weights: Vec<u32> = courses
        .iter()
        .map(|c| match c.kind {
            CourseKind::General(GenKind::Required) => 12,
            CourseKind::General(GenKind::FreshmanRequired) => 6,
            CourseKind::General(_) => 4,
            CourseKind::Lab { .. } => 3,
            CourseKind::Base => match c.level {
                1 => 6,
                2 => 4,
                3 => 2,
                _ => 1,
            },
            CourseKind::FreshmanSeminar => 2,
            _ => 0,
        })
        .collect();
    let total: u32 = weights.iter().sum();
    let mut counts = vec![1u16; courses.len()];
    let mut placed = courses.len();
    while placed < SECTIONS {
        let mut roll = rng.gen_range(0..total);
        let mut chosen = 0;
        for (i, &w) in weights.iter().enumerate() {
            if roll < w {
                chosen = i;
                break;
            }
            roll -= w;
        }
        if counts[chosen] < MAX_SECTIONS_PER_COURSE {
            counts[chosen] += 1;
            placed += 1;
        }
    }

    // Faculty of each department; general-education courses are taught by a larger pool.
    let faculty: Vec<Vec<String>> = (0..=DEPARTMENTS.len())
        .map(|d| {
            let size = if d == general_education() {
                40
            } else {
                rng.gen_range(8..=14)
            };
            (0..size)
                .map(|_| korean_name(rng, names::STAFF_GIVEN_NAMES))
                .collect()
        })
        .collect();

    let mut rooms = RoomBook::default();
    let mut out = Vec::with_capacity(SECTIONS);
    for (c, course) in courses.iter().enumerate() {
        for no in 1..=counts[c] {
            let capacity = match course.kind {
                CourseKind::General(GenKind::Required) => pick(rng, &[30, 35, 40, 50, 60]),
                CourseKind::General(GenKind::FreshmanRequired) => pick(rng, &[30, 40, 50]),
                CourseKind::General(GenKind::Sport) => pick(rng, &[20, 24, 30]),
                CourseKind::General(GenKind::Elective) => pick(rng, &[40, 60, 80, 100, 120]),
                CourseKind::Lab { .. } => pick(rng, &[20, 24, 30, 40]),
                CourseKind::FreshmanSeminar => pick(rng, &[20, 25, 30]),
                CourseKind::Senior | CourseKind::Seminar => pick(rng, &[20, 25, 30, 40]),
                CourseKind::Internship => pick(rng, &[20, 30]),
                CourseKind::Base | CourseKind::Topics { .. } => match course.level {
                    1 => pick(rng, &[40, 50, 60, 80, 100, 120]),
                    2 => pick(rng, &[40, 50, 60, 70, 80]),
                    3 => pick(rng, &[30, 40, 50, 60]),
                    _ => pick(rng, &[20, 25, 30, 40, 50]),
                },
            };
            let waitlist_capacity = if rng.gen_bool(0.3) {
                0
            } else {
                rng.gen_range(1..=10)
            };
            let major = course.department != general_education();
            // Majors-only (전공자 전용): often the first section of a required course that has
            // several, now and then any other major section.
            let majors_only_odds =
                if course.category == "major_required" && counts[c] >= 2 && no == 1 {
                    0.6
                } else {
                    0.08
                };
            let restrict_department = if major && rng.gen_bool(majors_only_odds) {
                Some(course.department)
            } else {
                None
            };
            let restrict_class_years = match course.kind {
                CourseKind::FreshmanSeminar | CourseKind::General(GenKind::FreshmanRequired) => {
                    0b0001
                }
                CourseKind::Senior => {
                    if rng.gen_bool(0.5) {
                        0b1000
                    } else {
                        0b1100
                    }
                }
                _ if major && course.level >= 3 && rng.gen_bool(0.05) => 0b1100,
                _ if major && course.level == 1 && rng.gen_bool(0.03) => 0b0011,
                _ => 0,
            };
            let building = match course.kind {
                CourseKind::General(GenKind::Sport) => GEN_SPORTS_BUILDING,
                _ if major => DEPARTMENTS[course.department].building,
                _ => GENERAL_EDUCATION.3,
            };
            let mut times = meeting_times(rng, course);
            times.sort_unstable();
            let room = rooms.assign(rng, building, &times);
            let meetings = times
                .into_iter()
                .map(|(weekday, starts_at_min, ends_at_min)| MeetingSpec {
                    weekday,
                    starts_at_min,
                    ends_at_min,
                    room: room.clone(),
                })
                .collect();
            out.push(SectionSpec {
                course: c,
                section_no: i16::try_from(no).unwrap_or(i16::MAX),
                instructor: pick_string(rng, &faculty[course.department]),
                capacity,
                waitlist_capacity,
                restrict_department,
                restrict_class_years,
                cancelled: None,
                meetings,
                popular: false,
            });
        }
    }

    // A few tiny sections everyone wants: general electives and upper-level electives.
    let mut candidates: Vec<usize> = (0..out.len())
        .filter(|&s| {
            let c = &courses[out[s].course];
            matches!(
                c.kind,
                CourseKind::General(GenKind::Elective) | CourseKind::Topics { .. }
            ) || c.kind == CourseKind::Base && c.level >= 3 && c.category == "major_elective"
        })
        .collect();
    candidates.shuffle(rng);
    for &s in candidates.iter().take(POPULAR_SECTIONS) {
        out[s].capacity = pick(rng, &[8, 10, 12, 15]);
        out[s].waitlist_capacity = rng.gen_range(5..=10);
        out[s].popular = true;
    }

    // A few extra sections that did not fill last time are cancelled (폐강).
    let mut last_sections: Vec<usize> = (0..out.len())
        .filter(|&s| {
            !out[s].popular
                && out[s].section_no >= 2
                && out.get(s + 1).is_none_or(|n| n.course != out[s].course)
        })
        .collect();
    last_sections.shuffle(rng);
    for &s in last_sections.iter().take(CANCELLED_SECTIONS) {
        out[s].cancelled = Some(pick(rng, CANCEL_REASONS));
    }
    out
}

fn pick_string(rng: &mut StdRng, items: &[String]) -> String {
    items[rng.gen_range(0..items.len())].clone()
}

type Slot = (u8, u16, u16);

/// Weekly meeting times for one section, by credits: Mon/Wed or Tue/Thu 75-minute pairs for
/// three credits, 110-minute single sessions for two credits and labs, 50 minutes for one.
fn meeting_times(rng: &mut StdRng, course: &CourseSpec) -> Vec<Slot> {
    let general = course.department == general_education();
    let single_day = |rng: &mut StdRng| -> u8 {
        if general && rng.gen_bool(0.06) {
            6
        } else {
            rng.gen_range(1..=5)
        }
    };
    let short = |rng: &mut StdRng, day: u8| -> Slot {
        let h = weighted(rng, &SHORT_STARTS, &[2, 3, 3, 1, 3, 3, 3, 2, 1]);
        (day, h * 60, h * 60 + 50)
    };
    let long = |rng: &mut StdRng, day: u8| -> Slot {
        let h = weighted(rng, &LONG_STARTS, &[2, 2, 3, 2, 3, 2]);
        (day, h * 60, h * 60 + 110)
    };
    let pair = |rng: &mut StdRng| -> Vec<Slot> {
        let (start, end) = weighted(rng, &PERIODS, &PERIOD_WEIGHTS);
        let first = if rng.gen_bool(0.5) { 1 } else { 2 };
        vec![(first, start, end), (first + 2, start, end)]
    };
    let lab_like = matches!(
        course.kind,
        CourseKind::Lab { .. } | CourseKind::General(GenKind::Sport)
    );
    match course.credits {
        _ if lab_like => {
            let day = single_day(rng);
            vec![long(rng, day)]
        }
        1 => {
            let day = single_day(rng);
            vec![short(rng, day)]
        }
        2 => {
            if rng.gen_bool(0.75) {
                let day = single_day(rng);
                vec![long(rng, day)]
            } else {
                let first = rng.gen_range(1..=2);
                let (day, start, end) = short(rng, first);
                vec![(day, start, end), (day + 2, start, end)]
            }
        }
        4 => {
            let mut slots = pair(rng);
            let extra_day = if slots[0].0 == 1 {
                5
            } else {
                pick(rng, &[1, 5])
            };
            slots.push(short(rng, extra_day));
            slots
        }
        _ => {
            if rng.gen_bool(0.85) {
                pair(rng)
            } else {
                let a = rng.gen_range(1..=5);
                let b = (a + rng.gen_range(1..=3) - 1) % 5 + 1;
                vec![long(rng, a), short(rng, b)]
            }
        }
    }
}

/// Keeps two sections out of one room at one time (best effort: a crowded building may still
/// double-book after many tries, as real timetabling offices know).
#[derive(Default)]
struct RoomBook {
    taken: HashMap<String, Vec<Slot>>,
}

impl RoomBook {
    fn assign(&mut self, rng: &mut StdRng, building: &str, times: &[Slot]) -> String {
        let mut room = String::new();
        for _ in 0..40 {
            room = if rng.gen_bool(0.1) {
                format!("{building} B1{:02}", rng.gen_range(1..=8))
            } else {
                format!(
                    "{building} {}{:02}",
                    rng.gen_range(1..=5),
                    rng.gen_range(1..=15)
                )
            };
            let free = self.taken.get(&room).is_none_or(|booked| {
                !booked.iter().any(|&(d, s, e)| {
                    times
                        .iter()
                        .any(|&(td, ts, te)| td == d && ts < e && s < te)
                })
            });
            if free {
                break;
            }
        }
        self.taken
            .entry(room.clone())
            .or_default()
            .extend_from_slice(times);
        room
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn catalog() -> Catalog {
        generate(&mut StdRng::seed_from_u64(7))
    }

    #[test]
    fn counts_match_the_brief() {
        let c = catalog();
        assert!(c.departments.len() >= 20);
        assert_eq!(c.courses.len(), COURSES);
        assert_eq!(c.sections.len(), SECTIONS);
        let mut codes: Vec<&str> = c.departments.iter().map(|d| d.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), c.departments.len());
    }

    #[test]
    fn course_codes_are_unique_and_carry_the_level() {
        let c = catalog();
        let mut seen = std::collections::HashSet::new();
        for course in &c.courses {
            assert!(seen.insert(course.code.clone()), "{}", course.code);
            let dept = c.departments[course.department].code;
            let digits = &course.code[dept.len()..];
            assert_eq!(digits.len(), 4, "{}", course.code);
            assert_eq!(
                digits.chars().next(),
                char::from_digit(u32::from(course.level), 10)
            );
            assert!(matches!(course.credits, 1..=4));
            assert!([
                "major_required",
                "major_elective",
                "general_required",
                "general_elective",
                "teaching",
                "free_elective"
            ]
            .contains(&course.category));
            assert!(course.title_ko.chars().count() <= 200 && course.title_en.len() <= 200);
        }
        assert!(c.courses.iter().filter(|c| c.credits == 3).count() > c.courses.len() / 2);
    }

    #[test]
    fn prerequisites_are_lower_level_courses_of_the_same_department() {
        let c = catalog();
        assert!(c.prerequisites.len() > 100);
        let mut pairs = std::collections::HashSet::new();
        for &(course, required) in &c.prerequisites {
            assert_ne!(course, required);
            assert!(pairs.insert((course, required)), "duplicate pair");
            assert_eq!(c.courses[course].department, c.courses[required].department);
            // Strictly lower level: no prerequisite chain can return to where it started.
            assert!(c.courses[required].level < c.courses[course].level);
        }
    }

    #[test]
    fn sections_are_numbered_per_course_with_sane_seats_and_meetings() {
        let c = catalog();
        let mut per_course: HashMap<usize, Vec<i16>> = HashMap::new();
        for s in &c.sections {
            per_course.entry(s.course).or_default().push(s.section_no);
            assert!((1..=120).contains(&s.capacity));
            assert!((0..=10).contains(&s.waitlist_capacity));
            assert!(s.restrict_class_years <= 15);
            assert!((1..=3).contains(&s.meetings.len()));
            for m in &s.meetings {
                assert!((1..=6).contains(&m.weekday));
                assert!(m.starts_at_min < m.ends_at_min && m.ends_at_min <= 1440);
                assert!(m.starts_at_min >= 9 * 60 && m.ends_at_min <= 20 * 60);
                assert!(m.room.chars().count() <= 50 && m.room.contains(' '));
            }
            // Meetings of one section never overlap each other.
            for (i, a) in s.meetings.iter().enumerate() {
                for b in &s.meetings[i + 1..] {
                    assert!(!a.overlaps(b), "{:?}", s.meetings);
                }
            }
        }
        assert_eq!(per_course.len(), COURSES);
        for nos in per_course.values() {
            let expected: Vec<i16> = (1..=i16::try_from(nos.len()).expect("small")).collect();
            assert_eq!(nos, &expected);
        }
        let popular = c.sections.iter().filter(|s| s.popular).count();
        assert_eq!(popular, POPULAR_SECTIONS);
        assert!(
            c.sections.iter().filter(|s| s.capacity >= 20).count() >= SECTIONS - POPULAR_SECTIONS
        );
    }

    #[test]
    fn three_credit_pairs_use_the_75_minute_blocks() {
        let c = catalog();
        let pairs = c
            .sections
            .iter()
            .filter(|s| {
                s.meetings.len() == 2
                    && s.meetings[1].weekday == s.meetings[0].weekday + 2
                    && PERIODS.contains(&(s.meetings[0].starts_at_min, s.meetings[0].ends_at_min))
            })
            .count();
        assert!(pairs > SECTIONS / 3, "{pairs}");
    }
}
