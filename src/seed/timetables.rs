//! Seeded registrations, so timetables are not empty on the first visit: the first students of
//! years 2-4 are already enrolled in a few sections each (no time conflicts, one section per
//! course, within the credit limit and every section's capacity), and some students have
//! sections in their basket. Pure.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::Rng;

use super::calendar::TERM_MAX_CREDITS;
use super::catalog::{self, Catalog};
use super::people::People;

/// How many students of each of years 2-4 (from the first) get seeded enrollments.
pub const ENROLLED_PER_YEAR: usize = 300;
/// How many first-year students have a basket, and how many of each upper year after the
/// enrolled ones.
const BASKETS_YEAR_ONE: usize = 200;
const BASKETS_PER_UPPER_YEAR: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentSpec {
    pub student: usize,
    pub section: usize,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketSpec {
    pub student: usize,
    pub section: usize,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timetables {
    pub enrollments: Vec<EnrollmentSpec>,
    pub basket: Vec<BasketSpec>,
    /// Seeded enrollments per section (what `sections.enrolled` must say).
    pub enrolled: Vec<i32>,
}

/// Sections a student could take: their department's courses up to their year and the general
/// courses, open to their department and year.
struct Pools<'a> {
    catalog: &'a Catalog,
    cache: HashMap<(usize, u8), (Vec<usize>, Vec<usize>)>,
}

impl<'a> Pools<'a> {
    fn new(catalog: &'a Catalog) -> Self {
        Pools {
            catalog,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, department: usize, class_year: u8) -> &(Vec<usize>, Vec<usize>) {
        let catalog = self.catalog;
        self.cache
            .entry((department, class_year))
            .or_insert_with(|| {
                let gen = catalog::general_education();
                let mut own = Vec::new();
                let mut general = Vec::new();
                for (s, section) in catalog.sections.iter().enumerate() {
                    let course = &catalog.courses[section.course];
                    if !section.admits(department, class_year) {
                        continue;
                    }
                    if course.department == department && course.level <= class_year {
                        own.push(s);
                    } else if course.department == gen && course.level <= class_year.max(2) {
                        general.push(s);
                    }
                }
                (own, general)
            })
    }
}

/// One student's term being put together: the same checks the registration rules make.
struct Builder<'a> {
    catalog: &'a Catalog,
    sections: Vec<usize>,
    courses: HashSet<usize>,
    credits: i32,
}

impl<'a> Builder<'a> {
    fn new(catalog: &'a Catalog) -> Self {
        Builder {
            catalog,
            sections: Vec::new(),
            courses: HashSet::new(),
            credits: 0,
        }
    }

    fn fits(&self, section: usize) -> bool {
        let s = &self.catalog.sections[section];
        let course = &self.catalog.courses[s.course];
        !self.courses.contains(&s.course)
            && self.credits + i32::from(course.credits) <= i32::from(TERM_MAX_CREDITS)
            && self
                .sections
                .iter()
                .all(|&o| !catalog::conflict(&self.catalog.sections[o].meetings, &s.meetings))
    }

    fn add(&mut self, section: usize) {
        let s = &self.catalog.sections[section];
        self.courses.insert(s.course);
        self.credits += i32::from(self.catalog.courses[s.course].credits);
        self.sections.push(section);
    }
}

pub fn generate(
    rng: &mut StdRng,
    catalog: &Catalog,
    people: &People,
    now: NaiveDateTime,
) -> Timetables {
    let prerequisites = catalog.prerequisites_of();
    let mut completed: HashMap<usize, HashSet<usize>> = HashMap::new();
    for c in &people.completed {
        completed.entry(c.student).or_default().insert(c.course);
    }
    let held = people.held();
    let popular: Vec<usize> = (0..catalog.sections.len())
        .filter(|&s| catalog.sections[s].popular)
        .collect();
    let mut pools = Pools::new(catalog);
    let mut enrolled = vec![0i32; catalog.sections.len()];
    let mut enrollments = Vec::new();
    let mut basket = Vec::new();
    let no_courses = HashSet::new();

    // Enrollments: years 2-4 registered during the last half hour.
    for year in 2..=4u8 {
        let range = people.by_year[usize::from(year) - 1].clone();
        for student in range.take(ENROLLED_PER_YEAR) {
            let spec = &people.students[student];
            if spec.status != "enrolled" || held.contains(&student) {
                continue;
            }
            let done = completed.get(&student).unwrap_or(&no_courses);
            let (own, general) = pools.get(spec.department, year).clone();
            let target = rng.gen_range(3..=5);
            let mut term = Builder::new(catalog);
            for attempt in 0..80 {
                if term.sections.len() >= target {
                    break;
                }
                let candidate = if attempt == 0 && !popular.is_empty() && rng.gen_bool(0.3) {
                    popular[rng.gen_range(0..popular.len())]
                } else if !own.is_empty() && (general.is_empty() || rng.gen_bool(0.65)) {
                    own[rng.gen_range(0..own.len())]
                } else if !general.is_empty() {
                    general[rng.gen_range(0..general.len())]
                } else {
                    break;
                };
                let section = &catalog.sections[candidate];
                let ok = section.admits(spec.department, year)
                    && enrolled[candidate] < section.capacity
                    && !done.contains(&section.course)
                    && prerequisites[section.course]
                        .iter()
                        .all(|r| done.contains(r))
                    && term.fits(candidate);
                if ok {
                    term.add(candidate);
                    enrolled[candidate] += 1;
                    enrollments.push(EnrollmentSpec {
                        student,
                        section: candidate,
                        created_at: now - Duration::minutes(30)
                            + Duration::seconds(rng.gen_range(5..25 * 60)),
                    });
                }
            }
        }
    }

    // Baskets: first-year students plan their first term (their window opens soon); a few
    // upper-year students who have not registered yet keep some sections in theirs.
    let mut baskets: Vec<(usize, u8, usize)> = Vec::new();
    let year_one = people.by_year[0].clone();
    baskets.extend(year_one.take(BASKETS_YEAR_ONE).map(|s| (s, 1, 4)));
    for year in 2..=4u8 {
        let range = people.by_year[usize::from(year) - 1].clone();
        baskets.extend(
            range
                .skip(ENROLLED_PER_YEAR)
                .take(BASKETS_PER_UPPER_YEAR)
                .map(|s| (s, year, 2)),
        );
    }
    for (student, year, at_least) in baskets {
        let spec = &people.students[student];
        if spec.status != "enrolled" || held.contains(&student) {
            continue;
        }
        let done = completed.get(&student).unwrap_or(&no_courses);
        let (own, general) = pools.get(spec.department, year).clone();
        let target = rng.gen_range(at_least..=at_least + 2);
        let mut plan = Builder::new(catalog);
        for _ in 0..60 {
            if plan.sections.len() >= target {
                break;
            }
            let pool = if own.is_empty() || !general.is_empty() && rng.gen_bool(0.4) {
                &general
            } else {
                &own
            };
            if pool.is_empty() {
                break;
            }
            let candidate = pool[rng.gen_range(0..pool.len())];
            let course = catalog.sections[candidate].course;
            if !done.contains(&course)
                && prerequisites[course].iter().all(|r| done.contains(r))
                && plan.fits(candidate)
            {
                plan.add(candidate);
            }
        }
        // Many want the tiny popular sections, conflicts or not: that is what makes them popular.
        // The first student of the year keeps a clean basket for the demo.
        if Some(student) != people.demo.first_of_year[0]
            && !popular.is_empty()
            && rng.gen_bool(0.35)
        {
            let candidate = popular[rng.gen_range(0..popular.len())];
            let section = &catalog.sections[candidate];
            if section.admits(spec.department, year)
                && !plan.courses.contains(&section.course)
                && prerequisites[section.course]
                    .iter()
                    .all(|r| done.contains(r))
            {
                plan.sections.push(candidate);
            }
        }
        for section in plan.sections {
            basket.push(BasketSpec {
                student,
                section,
                created_at: now - Duration::days(7)
                    + Duration::seconds(rng.gen_range(0..7 * 86_400 - 3_600)),
            });
        }
    }

    Timetables {
        enrollments,
        basket,
        enrolled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{calendar::Calendar, people};
    use chrono::{TimeZone, Utc};
    use rand::SeedableRng;

    struct World {
        catalog: Catalog,
        people: People,
        timetables: Timetables,
        now: NaiveDateTime,
    }

    fn world() -> World {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 25, 7, 0, 0)
            .single()
            .expect("valid");
        let mut rng = StdRng::seed_from_u64(3);
        let calendar = Calendar::around(now);
        let catalog = catalog::generate(&mut rng);
        let people = people::generate(&mut rng, 20_000, &calendar, &catalog, now.naive_utc())
            .expect("people");
        let timetables = generate(&mut rng, &catalog, &people, now.naive_utc());
        World {
            catalog,
            people,
            timetables,
            now: now.naive_utc(),
        }
    }

    #[test]
    fn seeded_terms_have_no_conflicts_duplicates_or_excess_credits() {
        let w = world();
        let mut by_student: HashMap<usize, Vec<usize>> = HashMap::new();
        for e in &w.timetables.enrollments {
            by_student.entry(e.student).or_default().push(e.section);
            assert!(e.created_at < w.now && e.created_at >= w.now - Duration::minutes(30));
        }
        assert!(by_student.len() > 800, "{}", by_student.len());
        let held = w.people.held();
        for (student, sections) in &by_student {
            let s = &w.people.students[*student];
            assert!((2..=4).contains(&s.class_year));
            assert_eq!(s.status, "enrolled");
            assert!(!held.contains(student));
            assert!((1..=5).contains(&sections.len()));
            let mut courses = HashSet::new();
            let mut credits = 0;
            for (i, &a) in sections.iter().enumerate() {
                let section = &w.catalog.sections[a];
                assert!(section.admits(s.department, s.class_year));
                assert!(courses.insert(section.course), "two sections of one course");
                credits += i32::from(w.catalog.courses[section.course].credits);
                for &b in &sections[i + 1..] {
                    assert!(
                        !catalog::conflict(&section.meetings, &w.catalog.sections[b].meetings),
                        "student {student}: sections {a} and {b} overlap"
                    );
                }
            }
            assert!(credits <= 18, "{credits} credits");
        }
        for first in w.people.demo.first_of_year[1..].iter().flatten() {
            assert!(by_student.get(first).is_some_and(|s| s.len() >= 3));
        }
    }

    #[test]
    fn enrolled_counts_match_rows_and_never_exceed_capacity() {
        let w = world();
        let mut counted = vec![0i32; w.catalog.sections.len()];
        for e in &w.timetables.enrollments {
            counted[e.section] += 1;
        }
        assert_eq!(counted, w.timetables.enrolled);
        for (s, section) in w.catalog.sections.iter().enumerate() {
            assert!(w.timetables.enrolled[s] <= section.capacity);
            if section.cancelled.is_some() {
                assert_eq!(w.timetables.enrolled[s], 0);
            }
        }
        // The tiny popular sections fill up: some are full, which the demo needs.
        let full = w
            .catalog
            .sections
            .iter()
            .enumerate()
            .filter(|(s, section)| section.popular && w.timetables.enrolled[*s] == section.capacity)
            .count();
        assert!(full >= 1, "no popular section is full");
    }

    #[test]
    fn baskets_are_unique_and_the_year_one_demo_basket_is_clean() {
        let w = world();
        let mut seen = HashSet::new();
        for b in &w.timetables.basket {
            assert!(seen.insert((b.student, b.section)));
            assert!(w.catalog.sections[b.section].cancelled.is_none());
        }
        assert!(w.timetables.basket.len() > 500);
        let demo = w.people.demo.first_of_year[0].expect("a year-1 student");
        let mine: Vec<usize> = w
            .timetables
            .basket
            .iter()
            .filter(|b| b.student == demo)
            .map(|b| b.section)
            .collect();
        assert!(mine.len() >= 4);
        for (i, &a) in mine.iter().enumerate() {
            for &b in &mine[i + 1..] {
                assert!(!catalog::conflict(
                    &w.catalog.sections[a].meetings,
                    &w.catalog.sections[b].meetings
                ));
            }
        }
    }
}
