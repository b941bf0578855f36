//! Deterministic demo data (`sugang seed`): a Korean university's departments, catalog, students
//! and current term, with registration windows placed around the moment of seeding so every flow
//! can be tried right away. Generation is pure and seeded (same seed, same data); `store` writes
//! it in one transaction.

mod calendar;
mod catalog;
mod names;
mod people;
mod store;
mod timetables;

use std::fmt;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::MysqlConnection;
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::db::schema::{courses, departments, terms, users};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "sugang-demo";

/// The generator's default seed ("SUGANG" in ASCII).
pub const DEFAULT_SEED: u64 = 0x5355_4741_4E47;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// How many students (split evenly over years 1-4).
    pub students: u32,
    /// Do nothing, successfully, when the database already has data.
    pub if_empty: bool,
    /// Seed of the random generator: the same seed gives the same data.
    pub rng_seed: u64,
    /// The moment registration windows are placed around; `None` = the clock.
    pub now: Option<DateTime<Utc>>,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            students: 20_000,
            if_empty: false,
            rng_seed: DEFAULT_SEED,
            now: None,
        }
    }
}

/// Everything `seed` writes, before it has database ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dataset {
    pub now: NaiveDateTime,
    pub calendar: calendar::Calendar,
    pub catalog: catalog::Catalog,
    pub people: people::People,
    pub timetables: timetables::Timetables,
}

/// Generates the whole data set from a seed and a moment; no database involved.
pub(crate) fn generate(
    rng_seed: u64,
    students: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<Dataset> {
    // Whole seconds: DATETIME(3) columns would otherwise round, and windows read better.
    let now = now.trunc_subsecs(0);
    let mut rng = StdRng::seed_from_u64(rng_seed);
    let calendar = calendar::Calendar::around(now);
    let catalog = catalog::generate(&mut rng);
    let now = now.naive_utc();
    let people = people::generate(&mut rng, students, &calendar, &catalog, now)?;
    let timetables = timetables::generate(&mut rng, &catalog, &people, now);
    Ok(Dataset {
        now,
        calendar,
        catalog,
        people,
        timetables,
    })
}

/// What `seed` did.
#[derive(Debug, Clone)]
pub enum SeedReport {
    /// `if_empty` and the database already had data: nothing was written.
    Skipped {
        users: i64,
    },
    Seeded(Box<Seeded>),
}

#[derive(Debug, Clone)]
pub struct Seeded {
    /// Rows inserted per table, in insertion order.
    pub counts: Vec<(&'static str, usize)>,
    pub generating: Duration,
    pub hashing: Duration,
    pub writing: Duration,
    pub rng_seed: u64,
    pub term: String,
    /// One line per registration window of the current term, in Seoul time.
    pub windows: Vec<String>,
    pub demo: Vec<DemoLogin>,
}

/// An account worth signing in as, and why.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub login_id: String,
    pub role: &'static str,
    pub about: String,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            SeedReport::Skipped { users } => {
                return write!(
                    f,
                    "demo data not loaded: the database already has data ({users} users); nothing changed (--if-empty)"
                );
            }
            SeedReport::Seeded(s) => s,
        };
        let total = s.generating + s.hashing + s.writing;
        writeln!(
            f,
            "demo data loaded in {:.1} s (generate {:.1} s, password hash {:.0} ms, database {:.1} s; seed {:#x})",
            total.as_secs_f64(),
            s.generating.as_secs_f64(),
            s.hashing.as_secs_f64() * 1000.0,
            s.writing.as_secs_f64(),
            s.rng_seed,
        )?;
        for (table, n) in &s.counts {
            writeln!(f, "  {table:<22}{n:>7}")?;
        }
        writeln!(f, "current term: {}", s.term)?;
        writeln!(f, "registration windows (Asia/Seoul):")?;
        for w in &s.windows {
            writeln!(f, "  {w}")?;
        }
        writeln!(
            f,
            "demo sign-ins (every demo account has the password \"{DEMO_PASSWORD}\"):"
        )?;
        for d in &s.demo {
            writeln!(f, "  {:<10} {:<9} {}", d.login_id, d.role, d.about)?;
        }
        Ok(())
    }
}

/// Loads the demo data into an empty database, in one transaction.
///
/// Demo accounts share ONE argon2id hash of [`DEMO_PASSWORD`], computed once per run: hashing
/// 20,000 passwords would take minutes. Real accounts never share hashes: each is hashed with its
/// own random salt by `auth::password::hash_password`.
pub fn seed(conn: &mut MysqlConnection, options: &SeedOptions) -> anyhow::Result<SeedReport> {
    // Timestamps are UTC throughout, like the application's pooled connections.
    conn.batch_execute("SET time_zone = '+00:00'")?;
    let existing_users: i64 = users::table.count().get_result(conn)?;
    let existing_other: i64 = departments::table.count().get_result::<i64>(conn)?
        + terms::table.count().get_result::<i64>(conn)?
        + courses::table.count().get_result::<i64>(conn)?;
    if existing_users > 0 || existing_other > 0 {
        if options.if_empty {
            tracing::info!(users = existing_users, "database has data; seed skipped");
            return Ok(SeedReport::Skipped {
                users: existing_users,
            });
        }
        anyhow::bail!(
            "the database already has data ({existing_users} users, {existing_other} departments/terms/courses); \
             seed only loads into an empty database (use --if-empty to skip quietly)"
        );
    }

    let started = Instant::now();
    let now = options.now.unwrap_or_else(Utc::now);
    let data = generate(options.rng_seed, options.students, now)?;
    let generating = started.elapsed();

    let started = Instant::now();
    let password_hash = crate::auth::password::hash_password(DEMO_PASSWORD)?;
    let hashing = started.elapsed();

    let started = Instant::now();
    let counts = conn.transaction(|conn| store::insert(conn, &data, &password_hash))?;
    let writing = started.elapsed();
    tracing::info!(
        students = data.people.students.len(),
        seconds = (generating + hashing + writing).as_secs_f64(),
        "demo data loaded"
    );

    Ok(SeedReport::Seeded(Box::new(Seeded {
        counts,
        generating,
        hashing,
        writing,
        rng_seed: options.rng_seed,
        term: term_line(&data),
        windows: window_lines(&data),
        demo: demo_logins(&data),
    })))
}

fn term_line(data: &Dataset) -> String {
    let t = data.calendar.current();
    format!(
        "{} ({}), {} to {}, up to {} credits",
        t.name_ko, t.name_en, t.starts_on, t.ends_on, t.max_credits
    )
}

fn seoul(at: NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&chrono_tz::Asia::Seoul)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn window_lines(data: &Dataset) -> Vec<String> {
    data.calendar
        .windows
        .iter()
        .filter(|w| w.term == calendar::CURRENT)
        .map(|w| {
            let state = if data.now < w.opens_at {
                let minutes = (w.opens_at - data.now).num_minutes();
                if minutes < 120 {
                    format!("opens in {minutes} min")
                } else {
                    format!("opens in {} days", (w.opens_at - data.now).num_days())
                }
            } else if data.now < w.closes_at {
                "open".to_string()
            } else {
                "closed".to_string()
            };
            format!(
                "{:<9} {:<6} {} to {}  ({state})",
                w.phase,
                w.cohort,
                seoul(w.opens_at),
                seoul(w.closes_at)
            )
        })
        .collect()
}

/// One student per class year, one with a hold, one on leave; and registrar staff.
fn demo_logins(data: &Dataset) -> Vec<DemoLogin> {
    let people = &data.people;
    let catalog = &data.catalog;
    let mut out: Vec<DemoLogin> = people
        .registrars
        .iter()
        .take(1)
        .map(|r| DemoLogin {
            login_id: r.login_id.to_string(),
            role: "registrar",
            about: format!(
                "{} (학사지원팀; also {})",
                r.name,
                people
                    .registrars
                    .iter()
                    .skip(1)
                    .map(|r| r.login_id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
        .collect();
    let describe = |student: usize, why: &str| {
        let s = &people.students[student];
        let enrolled: Vec<usize> = data
            .timetables
            .enrollments
            .iter()
            .filter(|e| e.student == student)
            .map(|e| e.section)
            .collect();
        let credits: i32 = enrolled
            .iter()
            .map(|&sec| i32::from(catalog.courses[catalog.sections[sec].course].credits))
            .sum();
        let basket = data
            .timetables
            .basket
            .iter()
            .filter(|b| b.student == student)
            .count();
        let hold = people
            .holds
            .iter()
            .find(|h| h.student == student && h.released.is_none())
            .map(|h| format!("; hold: {}", h.reason))
            .unwrap_or_default();
        DemoLogin {
            login_id: s.login_id.clone(),
            role: "student",
            about: format!(
                "{why}: {} ({}, {}학년, {}){}{}{}",
                s.name,
                catalog.departments[s.department].name_ko,
                s.class_year,
                if s.status == "enrolled" {
                    "재학"
                } else {
                    "휴학"
                },
                if enrolled.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; enrolled in {} sections, {credits} credits",
                        enrolled.len()
                    )
                },
                if basket == 0 {
                    String::new()
                } else {
                    format!("; {basket} sections in basket")
                },
                hold,
            ),
        }
    };
    let demo = &people.demo;
    let picks = [
        (
            demo.first_of_year[0],
            "year 1, registration opens 10 min after seeding",
        ),
        (
            demo.first_of_year[1],
            "year 2, registering now, with enrollments",
        ),
        (demo.first_of_year[2], "year 3, registering now"),
        (demo.first_of_year[3], "year 4, registering now"),
        (demo.with_hold, "hold"),
        (demo.on_leave, "on leave (not eligible)"),
    ];
    out.extend(
        picks
            .into_iter()
            .filter_map(|(student, why)| student.map(|s| describe(s, why))),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 7, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn same_seed_same_data() {
        let a = generate(DEFAULT_SEED, 20_000, now()).expect("generated");
        let b = generate(DEFAULT_SEED, 20_000, now()).expect("generated");
        assert!(a == b, "two runs with one seed differ");
        let c = generate(DEFAULT_SEED + 1, 20_000, now()).expect("generated");
        assert!(a.catalog.sections != c.catalog.sections);
        assert!(a.people.students != c.people.students);
    }

    #[test]
    fn full_size_counts() {
        let d = generate(DEFAULT_SEED, 20_000, now()).expect("generated");
        assert_eq!(d.catalog.departments.len(), 55);
        assert_eq!(d.catalog.courses.len(), 1_000);
        assert_eq!(d.catalog.sections.len(), 2_000);
        assert_eq!(d.people.students.len(), 20_000);
        assert_eq!(d.people.registrars.len(), 3);
        assert_eq!(d.people.held().len(), 40);
        assert!(d.timetables.enrollments.len() > 2_500);
        assert!(!d.timetables.basket.is_empty());
        assert!(!d.people.completed.is_empty());
        assert_eq!(d.calendar.terms.iter().filter(|t| t.is_current).count(), 1);
    }

    #[test]
    fn small_runs_work() {
        for students in [0, 1, 7, 400] {
            let d = generate(DEFAULT_SEED, students, now()).expect("generated");
            assert_eq!(d.people.students.len(), students as usize);
            let lines = demo_logins(&d);
            assert!(!lines.is_empty());
        }
    }

    #[test]
    fn report_names_the_password_and_the_demo_logins() {
        let d = generate(DEFAULT_SEED, 2_000, now()).expect("generated");
        let report = SeedReport::Seeded(Box::new(Seeded {
            counts: vec![("users", 2_003)],
            generating: Duration::from_millis(300),
            hashing: Duration::from_millis(25),
            writing: Duration::from_secs(2),
            rng_seed: DEFAULT_SEED,
            term: term_line(&d),
            windows: window_lines(&d),
            demo: demo_logins(&d),
        }))
        .to_string();
        assert!(report.contains(DEMO_PASSWORD));
        assert!(report.contains("registrar"));
        assert!(report.contains("2027학년도 1학기"));
        let year_one = d.people.demo.first_of_year[0].expect("a year-1 student");
        assert!(report.contains(&d.people.students[year_one].login_id));
        assert!(report.contains("hold: "));
        assert!(report.contains("opens in 10 min"));
        let skipped = SeedReport::Skipped { users: 5 }.to_string();
        assert!(skipped.contains("nothing changed"));
    }
}
