//! The fairness benchmark of the opening second (`scripts/bench-fairness.sh` drives it): honest
//! students and students running a macro race for one section when a register window opens.
//!
//! - `prepare`: on a freshly seeded database, moves every `register` window to open a few
//!   seconds from now (a whole second), makes one section of the current term the target (no
//!   prerequisites, no restrictions, `--seats` seats, nobody enrolled) and picks `--students`
//!   eligible students without any enrollment; writes the round to a JSON file.
//! - `run`: against a running server, makes the students' sessions directly in its Redis, lets
//!   the macros fire from up to `--macro-lead-ms` before opening at one request every
//!   `--macro-gap-ms` (ignoring `Retry-After`, retrying 100 ms after a 429) and the honest
//!   students click once between 0.3 and 3 s after opening (obeying `Retry-After`, as the queue
//!   page does); records who got a seat, when each was decided and how many requests each sent,
//!   checks the section (never over capacity, counter = rows, every 201 present, nothing else),
//!   and appends one JSON line to `--out`.
//! - `summarize`: pools the lines of `--out` per mode: seats per group, the macros' advantage
//!   ratio (share of seats ÷ share of population), decision times, requests, audits.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(about = "Fairness of the opening second: honest students against macros")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Prepare {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 400)]
        students: usize,
        #[arg(long, default_value_t = 40)]
        seats: i32,
        /// Milliseconds from now to the opening (rounded up to a whole second).
        #[arg(long, default_value_t = 8000)]
        opens_in_ms: i64,
        #[arg(long, default_value = "target/fairness-round.json")]
        round: String,
    },
    Run {
        #[arg(long)]
        base: String,
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
        redis_url: String,
        #[arg(long)]
        redis_prefix: String,
        #[arg(long, default_value = "target/fairness-round.json")]
        round: String,
        /// Students running a macro (the first ones of the round).
        #[arg(long, default_value_t = 40)]
        macros: usize,
        #[arg(long, default_value_t = 2000)]
        macro_lead_ms: u64,
        #[arg(long, default_value_t = 50)]
        macro_gap_ms: u64,
        /// A label for the mode (e.g. `room-off`, `room-on`).
        #[arg(long)]
        mode: String,
        #[arg(long, default_value = "target/fairness-results.jsonl")]
        out: String,
    },
    Summarize {
        #[arg(long, default_value = "target/fairness-results.jsonl")]
        out: String,
    },
}

#[derive(Serialize, Deserialize)]
struct Round {
    opens_at_ms: i64,
    section_id: i32,
    seats: i32,
    students: Vec<(i32, String)>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Integer)]
    id: i32,
}

#[derive(QueryableByName)]
struct Student {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    login_id: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn prepare(
    url: &str,
    students: usize,
    seats: i32,
    opens_in_ms: i64,
    path: &str,
) -> anyhow::Result<()> {
    let mut conn = MysqlConnection::establish(url)?;
    let now = chrono::Utc::now().timestamp_millis();
    let opens_at_ms = (now + opens_in_ms).div_euclid(1000) * 1000 + 1000;
    let opens = chrono::DateTime::from_timestamp_millis(opens_at_ms)
        .ok_or_else(|| anyhow::anyhow!("time"))?
        .naive_utc();
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let term: i32 =
        diesel::sql_query("SELECT id FROM terms WHERE is_current ORDER BY id DESC LIMIT 1")
            .get_result::<Id>(&mut conn)?
            .id;
    diesel::sql_query(format!(
        "UPDATE registration_windows SET opens_at = '{}', closes_at = '{}' \
         WHERE term_id = {term} AND phase = 'register'",
        fmt(opens),
        fmt(opens + chrono::Duration::days(1))
    ))
    .execute(&mut conn)?;
    let section = diesel::sql_query(format!(
        "SELECT s.id FROM sections s WHERE s.term_id = {term} AND s.status = 'open' \
         AND s.restrict_department_id IS NULL AND s.restrict_class_years = 0 \
         AND NOT EXISTS (SELECT 1 FROM course_prerequisites p WHERE p.course_id = s.course_id) \
         ORDER BY s.id LIMIT 1"
    ))
    .get_result::<Id>(&mut conn)?
    .id;
    diesel::sql_query(format!(
        "DELETE FROM enrollments WHERE section_id = {section}"
    ))
    .execute(&mut conn)?;
    diesel::sql_query(format!(
        "DELETE FROM waitlist_entries WHERE section_id = {section}"
    ))
    .execute(&mut conn)?;
    diesel::sql_query(format!(
        "UPDATE sections SET capacity = {seats}, enrolled = 0, waitlist_capacity = 0 WHERE id = {section}"
    ))
    .execute(&mut conn)?;
    let picked: Vec<Student> = diesel::sql_query(format!(
        "SELECT u.id, u.login_id FROM users u WHERE u.role = 'student' AND u.status = 'enrolled' \
         AND u.disabled_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.student_id = u.id AND h.released_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.student_id = u.id) \
         ORDER BY u.id LIMIT {students}"
    ))
    .load(&mut conn)?;
    anyhow::ensure!(
        picked.len() == students,
        "only {} eligible students",
        picked.len()
    );
    let round = Round {
        opens_at_ms,
        section_id: section,
        seats,
        students: picked.into_iter().map(|s| (s.id, s.login_id)).collect(),
    };
    std::fs::write(path, serde_json::to_string(&round)?)?;
    println!(
        "round: section {section}, {seats} seats, {students} students, opens at {}",
        fmt(opens)
    );
    Ok(())
}

#[derive(Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Debug)]
enum Outcome {
    Won,
    Lost,
    Undecided,
}

#[derive(Serialize, Deserialize)]
struct Result1 {
    macro_user: bool,
    outcome: Outcome,
    /// Milliseconds after opening when the student's decision came (None: never).
    decided_ms: Option<i64>,
    requests: u32,
}

#[derive(Serialize, Deserialize)]
struct RunLine {
    mode: String,
    seats: i32,
    macros: usize,
    honest: usize,
    results: Vec<Result1>,
    audit_passed: bool,
}

fn retry_after(res: &reqwest::Response) -> Option<u64> {
    res.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

async fn sleep_until_ms(at_ms: i64) {
    let now = chrono::Utc::now().timestamp_millis();
    if at_ms > now {
        tokio::time::sleep(Duration::from_millis((at_ms - now) as u64)).await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn student(
    client: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
    section: i32,
    opens_at_ms: i64,
    macro_user: bool,
    start_ms: i64,
    gap_ms: u64,
) -> Result1 {
    sleep_until_ms(start_ms).await;
    let deadline = opens_at_ms + 30_000;
    let mut requests = 0;
    let body = serde_json::json!({ "section_id": section });
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        if now > deadline {
            return Result1 {
                macro_user,
                outcome: Outcome::Undecided,
                decided_ms: None,
                requests,
            };
        }
        requests += 1;
        let sent = client
            .post(format!("{base}/api/v1/enrollments"))
            .header(reqwest::header::COOKIE, format!("sugang_session={cookie}"))
            .header("x-csrf-token", &csrf)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&body)
            .send()
            .await;
        let decided = |outcome| Result1 {
            macro_user,
            outcome,
            decided_ms: Some(chrono::Utc::now().timestamp_millis() - opens_at_ms),
            requests,
        };
        let wait_ms = match sent {
            Err(_) => 100,
            Ok(res) => {
                let status = res.status().as_u16();
                let after = retry_after(&res);
                let code = res
                    .json::<serde_json::Value>()
                    .await
                    .ok()
                    .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
                match (status, code.as_deref()) {
                    (201, _) => return decided(Outcome::Won),
                    (409, Some("window_closed")) => {
                        if macro_user {
                            gap_ms
                        } else {
                            1000
                        }
                    }
                    (409, _) => return decided(Outcome::Lost),
                    (429 | 503, _) if !macro_user => after.unwrap_or(1) * 1000,
                    _ => 100.max(gap_ms),
                }
            }
        };
        let jitter = rand::thread_rng().gen_range(0..=wait_ms / 10 + 1);
        tokio::time::sleep(Duration::from_millis(wait_ms + jitter)).await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    base: String,
    url: &str,
    redis_url: &str,
    prefix: &str,
    round_path: &str,
    macros: usize,
    lead_ms: u64,
    gap_ms: u64,
    mode: String,
    out: &str,
) -> anyhow::Result<()> {
    let round: Round = serde_json::from_str(&std::fs::read_to_string(round_path)?)?;
    let cache = sugang::cache::Cache::new(redis_url, prefix, 64)?;
    let store = sugang::auth::SessionStore::new(
        cache,
        Duration::from_secs(1800),
        Duration::from_secs(12 * 3600),
    );
    let mut sessions = Vec::with_capacity(round.students.len());
    for (id, login) in &round.students {
        let (cookie, session) = store
            .sign_in(*id, login, login, sugang::auth::Role::Student)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        sessions.push((cookie, session.csrf_token));
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .timeout(Duration::from_secs(35))
        .build()?;
    let started = Instant::now();
    let mut rng = rand::thread_rng();
    let mut tasks = Vec::new();
    for (i, (cookie, csrf)) in sessions.into_iter().enumerate() {
        let macro_user = i < macros;
        let start_ms = if macro_user {
            round.opens_at_ms - rng.gen_range(0..=lead_ms) as i64
        } else {
            round.opens_at_ms + rng.gen_range(300..=3000)
        };
        tasks.push(tokio::spawn(student(
            client.clone(),
            base.clone(),
            cookie,
            csrf,
            round.section_id,
            round.opens_at_ms,
            macro_user,
            start_ms,
            gap_ms,
        )));
    }
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await?);
    }
    // The audit of the section: never over capacity, counter = rows, exactly the 201s present.
    let mut conn = MysqlConnection::establish(url)?;
    let rows: Vec<Id> = diesel::sql_query(format!(
        "SELECT student_id AS id FROM enrollments WHERE section_id = {}",
        round.section_id
    ))
    .load(&mut conn)?;
    let present: HashSet<i32> = rows.into_iter().map(|r| r.id).collect();
    let counter = diesel::sql_query(format!(
        "SELECT CAST(enrolled AS SIGNED) AS n FROM sections WHERE id = {}",
        round.section_id
    ))
    .get_result::<Count>(&mut conn)?
    .n;
    let won: HashSet<i32> = round
        .students
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.outcome == Outcome::Won)
        .map(|((id, _), _)| *id)
        .collect();
    let audit_passed =
        present.len() as i64 == counter && counter <= i64::from(round.seats) && present == won;
    let line = RunLine {
        mode,
        seats: round.seats,
        macros,
        honest: round.students.len() - macros,
        results,
        audit_passed,
    };
    let macro_seats = line
        .results
        .iter()
        .filter(|r| r.macro_user && r.outcome == Outcome::Won)
        .count();
    println!(
        "{}: {} seats to macros, {} to honest students, audit {} ({:.1} s)",
        line.mode,
        macro_seats,
        won.len() - macro_seats,
        if audit_passed { "passed" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)?;
    writeln!(f, "{}", serde_json::to_string(&line)?)?;
    anyhow::ensure!(audit_passed, "audit failed");
    Ok(())
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summarize(out: &str) -> anyhow::Result<()> {
    let mut by_mode: BTreeMap<String, Vec<RunLine>> = BTreeMap::new();
    for line in std::fs::read_to_string(out)?.lines() {
        let l: RunLine = serde_json::from_str(line)?;
        by_mode.entry(l.mode.clone()).or_default().push(l);
    }
    println!(
        "{:<10} {:>4} {:>12} {:>12} {:>9} {:>16} {:>16} {:>14} {:>10} {:>6}",
        "mode",
        "runs",
        "macro seats",
        "honest seats",
        "ratio",
        "macro p50/max s",
        "honest p50/max s",
        "req/macro/hon",
        "undecided",
        "audit"
    );
    for (mode, lines) in &by_mode {
        let (mut ms, mut hs, mut seats, mut macros, mut pop) = (0, 0, 0, 0, 0);
        let (mut mt, mut ht) = (Vec::new(), Vec::new());
        let (mut mr, mut hr, mut und) = (0u64, 0u64, 0);
        let mut audits = true;
        for l in lines {
            seats += l.seats as usize;
            macros += l.macros;
            pop += l.macros + l.honest;
            audits &= l.audit_passed;
            for r in &l.results {
                let won = r.outcome == Outcome::Won;
                if r.macro_user {
                    ms += usize::from(won);
                    mr += u64::from(r.requests);
                    mt.extend(r.decided_ms);
                } else {
                    hs += usize::from(won);
                    hr += u64::from(r.requests);
                    ht.extend(r.decided_ms);
                    und += usize::from(r.outcome == Outcome::Undecided);
                }
            }
        }
        mt.sort();
        ht.sort();
        let share_seats = ms as f64 / (ms + hs).max(1) as f64;
        let share_pop = macros as f64 / pop.max(1) as f64;
        let honest_n = pop - macros;
        println!(
            "{:<10} {:>4} {:>12} {:>12} {:>9.2} {:>7.2}/{:<8.2} {:>7.2}/{:<8.2} {:>6.1}/{:<7.1} {:>10} {:>6}",
            mode,
            lines.len(),
            format!("{ms}/{seats}"),
            format!("{hs}/{seats}"),
            share_seats / share_pop,
            percentile(&mt, 0.5) as f64 / 1000.0,
            mt.last().copied().unwrap_or(0) as f64 / 1000.0,
            percentile(&ht, 0.5) as f64 / 1000.0,
            ht.last().copied().unwrap_or(0) as f64 / 1000.0,
            mr as f64 / macros.max(1) as f64,
            hr as f64 / honest_n.max(1) as f64,
            und,
            if audits { "passed" } else { "FAILED" }
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::Prepare {
            database_url,
            students,
            seats,
            opens_in_ms,
            round,
        } => prepare(&database_url, students, seats, opens_in_ms, &round),
        Command::Run {
            base,
            database_url,
            redis_url,
            redis_prefix,
            round,
            macros,
            macro_lead_ms,
            macro_gap_ms,
            mode,
            out,
        } => {
            run(
                base,
                &database_url,
                &redis_url,
                &redis_prefix,
                &round,
                macros,
                macro_lead_ms,
                macro_gap_ms,
                mode,
                &out,
            )
            .await
        }
        Command::Summarize { out } => summarize(&out),
    }
}
