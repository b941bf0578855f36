//! The demo people: registrar staff, students of years 1-4 with eight-digit student numbers,
//! a few registration holds, and the courses upper-year students have completed. Pure.

use std::collections::HashSet;
use std::ops::Range;

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use super::calendar::Calendar;
use super::catalog::{Catalog, CourseKind};
use super::names::{self, GenKind, DEPARTMENTS, HOLD_REASONS, SURNAMES};

/// Two digits of sequence in a student number: at most 99 students per department and year.
pub const MAX_SEQUENCE: usize = 99;
/// Active holds at full size (about one student in 500), plus a few already released.
pub const ACTIVE_HOLDS: usize = 40;
const RELEASED_HOLDS: usize = 5;
const STUDENTS_PER_HOLD: usize = 500;

pub const REGISTRAR_LOGINS: [&str; 3] = ["registrar", "registrar2", "registrar3"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSpec {
    pub login_id: &'static str,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentSpec {
    pub login_id: String,
    pub name: String,
    pub department: usize,
    pub class_year: u8,
    /// `enrolled` (재학) or `on_leave` (휴학).
    pub status: &'static str,
    /// A per-student credit limit above the term's (직전학기 성적우수), rarely.
    pub max_credits: Option<i8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldSpec {
    pub student: usize,
    pub reason: &'static str,
    /// Index into [`People::registrars`].
    pub created_by: usize,
    pub created_at: NaiveDateTime,
    pub released: Option<(NaiveDateTime, usize)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedSpec {
    pub student: usize,
    pub course: usize,
    pub term_label: String,
    pub grade: &'static str,
}

/// Students worth signing in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoStudents {
    /// The first student of each class year (index 0 = year 1); `None` for an empty year.
    pub first_of_year: [Option<usize>; 4],
    /// A year-3 student with an active hold.
    pub with_hold: Option<usize>,
    /// A year-2 student on leave (not eligible to register).
    pub on_leave: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct People {
    pub registrars: Vec<StaffSpec>,
    /// Year 1 first, then years 2, 3, 4; within a year in generation order.
    pub students: Vec<StudentSpec>,
    /// `by_year[y - 1]`: the indices of class year `y` in `students`.
    pub by_year: [Range<usize>; 4],
    pub holds: Vec<HoldSpec>,
    pub completed: Vec<CompletedSpec>,
    pub demo: DemoStudents,
}

impl People {
    /// Students with an active (unreleased) hold.
    pub fn held(&self) -> HashSet<usize> {
        self.holds
            .iter()
            .filter(|h| h.released.is_none())
            .map(|h| h.student)
            .collect()
    }
}

/// A Korean name: a surname by its frequency, then a given name from `given`.
pub fn korean_name(rng: &mut StdRng, given: &[&str]) -> String {
    let total: u32 = SURNAMES.iter().map(|&(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total);
    let mut surname = SURNAMES[0].0;
    for &(s, w) in SURNAMES {
        if roll < w {
            surname = s;
            break;
        }
        roll -= w;
    }
    format!("{surname}{}", given[rng.gen_range(0..given.len())])
}

pub fn generate(
    rng: &mut StdRng,
    students: u32,
    calendar: &Calendar,
    catalog: &Catalog,
    now: NaiveDateTime,
) -> anyhow::Result<People> {
    let registrars: Vec<StaffSpec> = REGISTRAR_LOGINS
        .iter()
        .map(|&login_id| StaffSpec {
            login_id,
            name: korean_name(rng, names::STAFF_GIVEN_NAMES),
        })
        .collect();

    let departments = DEPARTMENTS.len();
    let total = usize::try_from(students)?;
    let per_year_max = departments * MAX_SEQUENCE;
    anyhow::ensure!(
        total.div_ceil(4) <= per_year_max,
        "at most {} students fit eight-digit student numbers ({departments} departments × 4 years × {MAX_SEQUENCE}); asked for {total}",
        per_year_max * 4
    );

    let mut list = Vec::with_capacity(total);
    let mut by_year: [Range<usize>; 4] = [0..0, 0..0, 0..0, 0..0];
    for year in 1..=4u8 {
        let y = usize::from(year);
        let count = total / 4 + usize::from(y <= total % 4);
        let start = list.len();
        let admitted = calendar.admission_year(year);
        for i in 0..count {
            // Round-robin over departments: every department gets its share of every year.
            let department = i % departments;
            let sequence = i / departments + 1;
            let number = names::FIRST_DEPARTMENT_NUMBER as usize + department;
            let leave_odds = if year == 1 { 0.005 } else { 0.02 };
            // The first student of each year is a demo account and always enrolled.
            let status = if i > 0 && rng.gen_bool(leave_odds) {
                "on_leave"
            } else {
                "enrolled"
            };
            let max_credits =
                (year >= 2 && status == "enrolled" && rng.gen_bool(0.01)).then_some(21);
            list.push(StudentSpec {
                login_id: format!("{admitted:04}{number:02}{sequence:02}"),
                name: korean_name(rng, names::STUDENT_GIVEN_NAMES),
                department,
                class_year: year,
                status,
                max_credits,
            });
        }
        by_year[y - 1] = start..list.len();
    }

    // Demo picks, fixed by position so they survive any change of seed.
    let pick_in = |year: usize, offset: usize| {
        let r = &by_year[year - 1];
        (offset < r.len()).then_some(r.start + offset)
    };
    let first_of_year = [pick_in(1, 0), pick_in(2, 0), pick_in(3, 0), pick_in(4, 0)];
    let with_hold = pick_in(3, 1);
    let on_leave = pick_in(2, 2);
    if let Some(s) = on_leave.and_then(|i| list.get_mut(i)) {
        s.status = "on_leave";
        s.max_credits = None;
    }
    if let Some(s) = with_hold.and_then(|i| list.get_mut(i)) {
        s.status = "enrolled";
    }
    let demo = DemoStudents {
        first_of_year,
        with_hold,
        on_leave,
    };

    let holds = holds(rng, &list, &demo, registrars.len(), now);
    let completed = completed(rng, &list, calendar, catalog);
    Ok(People {
        registrars,
        students: list,
        by_year,
        holds,
        completed,
        demo,
    })
}

fn holds(
    rng: &mut StdRng,
    students: &[StudentSpec],
    demo: &DemoStudents,
    registrars: usize,
    now: NaiveDateTime,
) -> Vec<HoldSpec> {
    if students.is_empty() {
        return Vec::new();
    }
    let protected: HashSet<usize> = demo
        .first_of_year
        .iter()
        .copied()
        .chain([demo.on_leave])
        .flatten()
        .collect();
    let mut chosen: Vec<usize> = demo.with_hold.into_iter().collect();
    let mut seen: HashSet<usize> = chosen.iter().copied().collect();
    // Proportional, so a small demo is not mostly held students; the demo hold always exists.
    let active = (students.len() / STUDENTS_PER_HOLD).clamp(1, ACTIVE_HOLDS);
    let released = (students.len() / (8 * STUDENTS_PER_HOLD)).min(RELEASED_HOLDS);
    let wanted = (active + released).min(students.len().saturating_sub(protected.len()));
    let mut tries = 0;
    while chosen.len() < wanted && tries < 10_000 {
        tries += 1;
        let s = rng.gen_range(0..students.len());
        if !protected.contains(&s) && seen.insert(s) {
            chosen.push(s);
        }
    }
    chosen
        .into_iter()
        .enumerate()
        .map(|(i, student)| {
            let created_at = now
                - Duration::days(rng.gen_range(1..=45))
                - Duration::seconds(rng.gen_range(0..86_400));
            let created_by = rng.gen_range(0..registrars);
            let released = (i >= active).then(|| {
                let at = created_at + Duration::hours(rng.gen_range(2..=20));
                (at, rng.gen_range(0..registrars))
            });
            HoldSpec {
                student,
                reason: HOLD_REASONS[rng.gen_range(0..HOLD_REASONS.len())],
                created_by,
                created_at,
                released,
            }
        })
        .collect()
}

const GRADES: [&str; 8] = ["A+", "A0", "B+", "B0", "C+", "C0", "D+", "D0"];
const GRADE_WEIGHTS: [u32; 8] = [10, 14, 20, 18, 12, 9, 5, 4];

fn grade(rng: &mut StdRng, pass_fail: bool) -> &'static str {
    if pass_fail {
        return "P";
    }
    let mut roll = rng.gen_range(0..GRADE_WEIGHTS.iter().sum::<u32>());
    for (g, w) in GRADES.iter().zip(GRADE_WEIGHTS) {
        if roll < w {
            return g;
        }
        roll -= w;
    }
    GRADES[GRADES.len() - 1]
}

/// What students of years 2-4 have passed: nearly every required course below their year, some
/// electives (only with their prerequisites), the required general courses and a few others.
fn completed(
    rng: &mut StdRng,
    students: &[StudentSpec],
    calendar: &Calendar,
    catalog: &Catalog,
) -> Vec<CompletedSpec> {
    let prerequisites = catalog.prerequisites_of();
    let mut by_department: Vec<Vec<usize>> = vec![Vec::new(); catalog.departments.len()];
    for (c, course) in catalog.courses.iter().enumerate() {
        by_department[course.department].push(c);
    }
    let general = &by_department[super::catalog::general_education()];
    let general_electives: Vec<usize> = general
        .iter()
        .copied()
        .filter(|&c| catalog.courses[c].kind == CourseKind::General(GenKind::Elective))
        .collect();
    let sports: Vec<usize> = general
        .iter()
        .copied()
        .filter(|&c| catalog.courses[c].kind == CourseKind::General(GenKind::Sport))
        .collect();

    let mut out = Vec::new();
    let mut taken: HashSet<usize> = HashSet::new();
    for (s, student) in students.iter().enumerate() {
        if student.class_year < 2 {
            continue;
        }
        taken.clear();
        let admitted = calendar.admission_year(student.class_year);
        let mut take = |rng: &mut StdRng, course: usize, level: u8| {
            let c = &catalog.courses[course];
            let pass_fail =
                matches!(c.kind, CourseKind::Internship) || c.credits == 1 && rng.gen_bool(0.7);
            out.push(CompletedSpec {
                student: s,
                course,
                term_label: Calendar::label_for(admitted, level, rng.gen_bool(0.5)),
                grade: grade(rng, pass_fail),
            });
        };
        for &c in &by_department[student.department] {
            let course = &catalog.courses[c];
            if course.level >= student.class_year {
                continue;
            }
            let odds = match course.kind {
                CourseKind::FreshmanSeminar => 0.95,
                CourseKind::Internship => 0.1,
                _ if course.category == "major_required" => 0.95,
                _ => 0.4,
            };
            if prerequisites[c].iter().all(|r| taken.contains(r)) && rng.gen_bool(odds) {
                taken.insert(c);
                take(rng, c, course.level);
            }
        }
        for &c in general {
            let course = &catalog.courses[c];
            let odds = match course.kind {
                CourseKind::General(GenKind::Required) => 0.9,
                CourseKind::General(GenKind::FreshmanRequired) => 0.95,
                _ => 0.0,
            };
            if odds > 0.0 && rng.gen_bool(odds) {
                take(rng, c, 1);
            }
        }
        let open: Vec<usize> = general_electives
            .iter()
            .copied()
            .filter(|&c| catalog.courses[c].level < student.class_year)
            .collect();
        let mut electives: Vec<usize> = open
            .choose_multiple(rng, usize::from(student.class_year - 1))
            .copied()
            .collect();
        if rng.gen_bool(0.3) {
            electives.extend(sports.choose(rng));
        }
        for (i, c) in electives.into_iter().enumerate() {
            let level = u8::try_from(i % usize::from(student.class_year - 1) + 1).unwrap_or(1);
            take(rng, c, level);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::catalog;
    use chrono::{TimeZone, Utc};
    use rand::SeedableRng;

    fn people(students: u32) -> People {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 25, 7, 0, 0)
            .single()
            .expect("valid");
        let mut rng = StdRng::seed_from_u64(11);
        let calendar = Calendar::around(now);
        let catalog = catalog::generate(&mut rng);
        generate(&mut rng, students, &calendar, &catalog, now.naive_utc()).expect("generated")
    }

    #[test]
    fn student_numbers_are_admission_year_department_and_sequence() {
        let p = people(20_000);
        assert_eq!(p.students.len(), 20_000);
        let mut ids = HashSet::new();
        for s in &p.students {
            assert!(ids.insert(s.login_id.as_str()), "{}", s.login_id);
            assert_eq!(s.login_id.len(), 8);
            assert!(s.login_id.chars().all(|c| c.is_ascii_digit()));
            let admitted: i32 = s.login_id[..4].parse().expect("digits");
            assert_eq!(admitted, 2027 - i32::from(s.class_year) + 1);
            let dept: usize = s.login_id[4..6].parse().expect("digits");
            assert_eq!(dept, names::FIRST_DEPARTMENT_NUMBER as usize + s.department);
            assert!(s.department < DEPARTMENTS.len());
            assert!(matches!(s.status, "enrolled" | "on_leave"));
            assert!(s.name.chars().count() >= 2);
        }
        for (y, range) in p.by_year.iter().enumerate() {
            assert_eq!(range.len(), 5_000);
            assert!(p.students[range.clone()]
                .iter()
                .all(|s| usize::from(s.class_year) == y + 1));
        }
        let on_leave = p.students.iter().filter(|s| s.status == "on_leave").count();
        assert!((50..1_000).contains(&on_leave), "{on_leave}");
    }

    #[test]
    fn too_many_students_for_eight_digits_is_an_error() {
        let now = Utc::now();
        let mut rng = StdRng::seed_from_u64(1);
        let calendar = Calendar::around(now);
        let catalog = catalog::generate(&mut rng);
        assert!(generate(&mut rng, 30_000, &calendar, &catalog, now.naive_utc()).is_err());
    }

    #[test]
    fn holds_and_demo_students() {
        let p = people(20_000);
        let held = p.held();
        assert_eq!(held.len(), ACTIVE_HOLDS);
        let with_hold = p.demo.with_hold.expect("a held demo student");
        assert!(held.contains(&with_hold));
        for first in p.demo.first_of_year.into_iter().flatten() {
            assert!(!held.contains(&first));
            assert_eq!(p.students[first].status, "enrolled");
        }
        let on_leave = p.demo.on_leave.expect("an on-leave demo student");
        assert_eq!(p.students[on_leave].status, "on_leave");
        assert_eq!(p.students[with_hold].class_year, 3);
        for h in &p.holds {
            if let Some((released_at, _)) = h.released {
                assert!(released_at > h.created_at);
            }
        }
    }

    #[test]
    fn completed_courses_are_below_the_class_year_and_respect_prerequisites() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 25, 7, 0, 0)
            .single()
            .expect("valid");
        let mut rng = StdRng::seed_from_u64(5);
        let calendar = Calendar::around(now);
        let catalog = catalog::generate(&mut rng);
        let p = generate(&mut rng, 2_000, &calendar, &catalog, now.naive_utc()).expect("ok");
        let prerequisites = catalog.prerequisites_of();
        let mut done: Vec<HashSet<usize>> = vec![HashSet::new(); p.students.len()];
        for c in &p.completed {
            assert!(done[c.student].insert(c.course), "completed twice");
        }
        for c in &p.completed {
            let s = &p.students[c.student];
            assert!(s.class_year >= 2);
            assert!(catalog.courses[c.course].level < s.class_year);
            for r in &prerequisites[c.course] {
                assert!(done[c.student].contains(r));
            }
        }
        assert!(p.completed.len() > 2_000);
    }
}
