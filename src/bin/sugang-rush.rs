//! `sugang-rush`: reproduces registration opening against a running sugang and audits the
//! database afterwards.
//!
//! 1. A sign-in wave before opening (reported on its own).
//! 2. The `/healthz` rate with the same client and concurrency: the ceiling of this machine.
//! 3. The burst: every student works through a wishlist of sections skewed toward popular ones,
//!    like real students: `section_full` and other refusals move on to the next wish,
//!    `rate_limited` / `queue_required` wait `Retry-After` and try again, transport errors retry
//!    the same attempt with the same `Idempotency-Key`.
//! 4. The audit: no section over capacity, counters equal rows, every acknowledged enrollment
//!    present, no enrollment nobody was told about, no student with two sections of one course.
//!
//! Prints a table and writes JSON; exits non-zero when the audit fails.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::json;
use tokio::sync::Semaphore;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "sugang-rush",
    about = "Registration-opening benchmark with an invariant audit"
)]
struct Args {
    /// Base URL of the service (a load balancer in front of several instances is fine).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// The service's database, for choosing students and sections and for the audit.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "mysql://sugang:sugang@127.0.0.1:3306/sugang"
    )]
    database_url: String,
    /// Students taking part.
    #[arg(long, default_value_t = 5000)]
    students: usize,
    /// Skip this many eligible students first (a later run takes a fresh group).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Sections on each wishlist.
    #[arg(long, default_value_t = 5)]
    wishlist: usize,
    /// Concurrent HTTP clients during the burst.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Concurrent sign-ins during the wave.
    #[arg(long, default_value_t = 64)]
    sign_in_concurrency: usize,
    /// Password of the demo accounts.
    #[arg(long, default_value = "sugang-demo")]
    password: String,
    /// How many sections draw most of the demand.
    #[arg(long, default_value_t = 40)]
    popular: usize,
    /// Seconds the `/healthz` ceiling is measured.
    #[arg(long, default_value_t = 3)]
    ceiling_secs: u64,
    /// Process ids of the servers, for their peak memory (VmHWM).
    #[arg(long, value_delimiter = ',')]
    server_pid: Vec<u32>,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/rush-report.json")]
    json: String,
    /// Only audit the database (after a fault run, say); no traffic.
    #[arg(long)]
    audit_only: bool,
    /// Random seed for wishlists.
    #[arg(long, default_value_t = 2027)]
    seed: u64,
    /// Create the sessions directly in the service's Redis instead of the sign-in wave (for
    /// tens of thousands of students; the wave is measured by itself elsewhere).
    #[arg(long)]
    direct_sessions: bool,
    /// The service's Redis and key prefix, for `--direct-sessions`.
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    #[arg(long, default_value = "sugang:")]
    redis_prefix: String,
    /// Take students of every year (year 1 may be outside its window: their answers are
    /// decisions too), not only years 2-4.
    #[arg(long)]
    all_years: bool,
}

#[derive(QueryableByName, Debug, Clone)]
struct Candidate {
    #[diesel(sql_type = Integer)]
    id: i32,
}

#[derive(QueryableByName, Debug, Clone)]
struct Participant {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    login_id: String,
}

#[derive(QueryableByName, Debug)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(Default, Debug, Clone, Serialize)]
struct EndpointStats {
    requests: u64,
    statuses: HashMap<u16, u64>,
    codes: HashMap<String, u64>,
    transport_errors: u64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    #[serde(skip)]
    latencies_us: Vec<u64>,
}

impl EndpointStats {
    fn record(&mut self, status: Option<StatusCode>, code: Option<&str>, elapsed: Duration) {
        self.requests += 1;
        match status {
            Some(s) => *self.statuses.entry(s.as_u16()).or_default() += 1,
            None => self.transport_errors += 1,
        }
        if let Some(code) = code {
            *self.codes.entry(code.to_string()).or_default() += 1;
        }
        self.latencies_us.push(elapsed.as_micros() as u64);
    }

    fn finish(&mut self) {
        self.latencies_us.sort_unstable();
        let pick = |q: f64| -> f64 {
            if self.latencies_us.is_empty() {
                return 0.0;
            }
            let i = ((self.latencies_us.len() as f64 * q).ceil() as usize)
                .clamp(1, self.latencies_us.len())
                - 1;
            self.latencies_us[i] as f64 / 1000.0
        };
        self.p50_ms = pick(0.50);
        self.p95_ms = pick(0.95);
        self.p99_ms = pick(0.99);
        self.max_ms = self.latencies_us.last().copied().unwrap_or(0) as f64 / 1000.0;
    }

    fn server_errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum()
    }
}

#[derive(Debug, Serialize, Default)]
struct Audit {
    sections_over_capacity: i64,
    counters_not_matching_rows: i64,
    acknowledged_missing: i64,
    unacknowledged_present: i64,
    /// Attempts whose answer was lost to a fault, and how many of them took effect.
    in_doubt: i64,
    in_doubt_present: i64,
    duplicate_courses: i64,
    passed: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    students: usize,
    signed_in: usize,
    concurrency: usize,
    sign_in_wave_secs: f64,
    sign_ins_per_sec: f64,
    healthz_per_sec: f64,
    burst_secs: f64,
    decisions: u64,
    decisions_per_sec: f64,
    enrollments: u64,
    endpoints: HashMap<String, EndpointStats>,
    peak_server_memory_mib: Vec<(u32, u64)>,
    /// Share of one core each process used during the burst (this generator included).
    cpu_percent: Vec<(String, f64)>,
    /// The decision batcher as the answering instance's `/metrics` tell it.
    batches: Batches,
    audit: Audit,
}

#[derive(Debug, Serialize, Default)]
struct Batches {
    count: f64,
    mean_size: f64,
    mean_transaction_ms: f64,
    retries: f64,
    splits: f64,
}

/// CPU seconds a process has used so far (user + system), from /proc.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// The processes whose CPU the report shows: the servers, MariaDB, Redis and this generator.
fn watched(servers: &[u32]) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = servers
        .iter()
        .map(|p| (format!("server {p}"), *p))
        .collect();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            match comm.trim() {
                "mariadbd" | "mysqld" => out.push(("mariadb".into(), pid)),
                "redis-server" => out.push(("redis".into(), pid)),
                _ => {}
            }
        }
    }
    out.push(("load generator".into(), std::process::id()));
    out
}

/// The batcher's figures from a Prometheus text page.
fn batches_from(metrics: &str) -> Batches {
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum()
    };
    let count = value("sugang_decision_batch_size_count");
    let per = |sum: f64| if count > 0.0 { sum / count } else { 0.0 };
    Batches {
        count,
        mean_size: per(value("sugang_decision_batch_size_sum")),
        mean_transaction_ms: per(value("sugang_decision_batch_duration_seconds_sum")) * 1000.0,
        retries: value("sugang_decision_batch_retries_total{kind=\"retry\"}"),
        splits: value("sugang_decision_batch_retries_total{kind=\"split\"}"),
    }
}

struct Student {
    id: i32,
    cookie: String,
    csrf: String,
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn audit(
    conn: &mut MysqlConnection,
    acked: &HashSet<(i32, i32)>,
    in_doubt: &HashSet<(i32, i32)>,
    students: &[i32],
    since: Option<&str>,
) -> anyhow::Result<Audit> {
    let count = |conn: &mut MysqlConnection, sql: &str| -> anyhow::Result<i64> {
        Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n)
    };
    let mut a = Audit {
        sections_over_capacity: count(
            conn,
            "SELECT COUNT(*) AS n FROM sections s WHERE s.enrolled > s.capacity \
             AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.section_id = s.id AND e.source = 'registrar')",
        )?,
        counters_not_matching_rows: count(
            conn,
            "SELECT COUNT(*) AS n FROM sections s WHERE s.enrolled <> \
             (SELECT COUNT(*) FROM enrollments e WHERE e.section_id = s.id)",
        )?,
        duplicate_courses: count(
            conn,
            "SELECT COUNT(*) AS n FROM (SELECT student_id FROM enrollments \
             GROUP BY student_id, term_id, course_id HAVING COUNT(*) > 1) d",
        )?,
        ..Audit::default()
    };
    if let Some(since) = since {
        // Enrollments the benchmark's students hold that began during the burst by their own hand.
        #[derive(QueryableByName)]
        struct Pair {
            #[diesel(sql_type = Integer)]
            student_id: i32,
            #[diesel(sql_type = Integer)]
            section_id: i32,
        }
        let list = students
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let present: Vec<Pair> = if list.is_empty() {
            Vec::new()
        } else {
            diesel::sql_query(format!(
                "SELECT student_id, section_id FROM enrollments WHERE created_at >= '{since}' \
                 AND source = 'student' AND student_id IN ({list})"
            ))
            .load(conn)?
        };
        let present: HashSet<(i32, i32)> = present
            .into_iter()
            .map(|p| (p.student_id, p.section_id))
            .collect();
        a.acknowledged_missing = acked.difference(&present).count() as i64;
        for (student, section) in acked.difference(&present).take(20) {
            eprintln!("acknowledged but missing: student {student}, section {section}");
        }
        a.in_doubt = in_doubt.len() as i64;
        a.in_doubt_present = in_doubt.intersection(&present).count() as i64;
        a.unacknowledged_present = present
            .iter()
            .filter(|p| !acked.contains(p) && !in_doubt.contains(p))
            .count() as i64;
    }
    a.passed = a.sections_over_capacity == 0
        && a.counters_not_matching_rows == 0
        && a.acknowledged_missing == 0
        && a.unacknowledged_present == 0
        && a.duplicate_courses == 0;
    Ok(a)
}

fn error_code(body: &serde_json::Value) -> Option<String> {
    body.get("error")?.get("code")?.as_str().map(str::to_string)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut conn =
        MysqlConnection::establish(&args.database_url).context("connect to the database")?;
    if args.audit_only {
        let a = audit(&mut conn, &HashSet::new(), &HashSet::new(), &[], None)?;
        println!("{}", serde_json::to_string_pretty(&a)?);
        std::process::exit(if a.passed { 0 } else { 1 });
    }

    // Students who may register now (years 2-4, enrolled, no hold) and the open sections.
    let ids: Vec<Participant> = diesel::sql_query(format!(
        "SELECT u.id, u.login_id FROM users u WHERE u.role = 'student' AND u.status = 'enrolled' AND u.class_year BETWEEN {} AND 4 \
         AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.student_id = u.id AND h.released_at IS NULL) \
         ORDER BY u.id LIMIT {} OFFSET {}",
        if args.all_years { 1 } else { 2 },
        args.students,
        args.offset
    ))
    .load(&mut conn)?;
    let sections: Vec<Candidate> = diesel::sql_query(
        "SELECT s.id FROM sections s JOIN terms t ON t.id = s.term_id AND t.is_current \
         WHERE s.status = 'open' AND s.restrict_department_id IS NULL AND s.restrict_class_years = 0 ORDER BY s.id",
    )
    .load(&mut conn)?;
    anyhow::ensure!(
        !ids.is_empty() && !sections.is_empty(),
        "no students or sections: seed the database first"
    );
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut order: Vec<i32> = sections.iter().map(|s| s.id).collect();
    order.shuffle(&mut rng);
    // Zipf-like demand: the first `popular` sections draw most wishes.
    let weights: Vec<f64> = (0..order.len())
        .map(|i| {
            if i < args.popular {
                20.0 / (1.0 + i as f64)
            } else {
                0.05
            }
        })
        .collect();
    let dist = WeightedIndex::new(&weights)?;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let base = args.base.trim_end_matches('/').to_string();

    // 1. Sign-in wave.
    println!(
        "sign-in wave: {} students, {} at a time",
        ids.len(),
        args.sign_in_concurrency
    );
    let sign_in_stats = Arc::new(Mutex::new(EndpointStats::default()));
    let limit = Arc::new(Semaphore::new(args.sign_in_concurrency));
    let started = Instant::now();
    let mut tasks = Vec::new();
    let wave: &[Participant] = if args.direct_sessions { &[] } else { &ids };
    for p in wave {
        let (client, base, stats, limit) = (
            client.clone(),
            base.clone(),
            sign_in_stats.clone(),
            limit.clone(),
        );
        let (id, login_id, password) = (p.id, p.login_id.clone(), args.password.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.ok()?;
            let t = Instant::now();
            let res = client
                .post(format!("{base}/api/v1/session"))
                .json(&json!({"login_id": login_id, "password": password}))
                .send()
                .await;
            let elapsed = t.elapsed();
            let res = match res {
                Ok(r) => r,
                Err(_) => {
                    stats.lock().ok()?.record(None, None, elapsed);
                    return None;
                }
            };
            let status = res.status();
            let cookie = res
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|c| {
                    c.strip_prefix("sugang_session=")
                        .map(|r| r.split(';').next().unwrap_or("").to_string())
                });
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            stats
                .lock()
                .ok()?
                .record(Some(status), error_code(&body).as_deref(), elapsed);
            let csrf = body.get("csrf_token")?.as_str()?.to_string();
            Some(Student {
                id,
                cookie: cookie?,
                csrf,
            })
        }));
    }
    let mut students = Vec::new();
    for t in tasks {
        if let Ok(Some(s)) = t.await {
            students.push(s);
        }
    }
    if args.direct_sessions {
        students = direct_sessions(&args, &ids).await?;
    }
    let wave_secs = started.elapsed().as_secs_f64();
    println!("  {} signed in, {:.1} s", students.len(), wave_secs);

    // 2. The ceiling: /healthz with the same client and concurrency.
    let healthz = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(args.ceiling_secs);
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, base, healthz) = (client.clone(), base.clone(), healthz.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                if client.get(format!("{base}/healthz")).send().await.is_ok() {
                    healthz.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let healthz_rate =
        healthz.load(std::sync::atomic::Ordering::Relaxed) as f64 / args.ceiling_secs.max(1) as f64;
    println!("ceiling: /healthz {healthz_rate:.0} req/s");

    // 3. The burst.
    let since = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string();
    tokio::time::sleep(Duration::from_millis(5)).await;
    println!("burst: {} students", students.len());
    let enroll_stats = Arc::new(Mutex::new(EndpointStats::default()));
    let queue_stats = Arc::new(Mutex::new(EndpointStats::default()));
    let acked = Arc::new(Mutex::new(HashSet::<(i32, i32)>::new()));
    // Attempts whose answer was lost (transport error, 5xx, a claim left by a killed instance):
    // they may or may not have taken effect, so the audit holds neither answer against them (a
    // later `already_enrolled` does not settle it: the seat may predate the burst).
    let in_doubt = Arc::new(Mutex::new(HashSet::<(i32, i32)>::new()));
    let limit = Arc::new(Semaphore::new(args.concurrency));
    let cpu_watch = watched(&args.server_pid);
    let cpu_before: Vec<Option<f64>> = cpu_watch.iter().map(|(_, p)| cpu_secs(*p)).collect();
    let batches_before = match client.get(format!("{base}/metrics")).send().await {
        Ok(res) => batches_from(&res.text().await.unwrap_or_default()),
        Err(_) => Batches::default(),
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    let student_ids: Vec<i32> = students.iter().map(|s| s.id).collect();
    for s in students {
        let mut wishes = Vec::new();
        while wishes.len() < args.wishlist.min(order.len()) {
            let pick = order[dist.sample(&mut rng)];
            if !wishes.contains(&pick) {
                wishes.push(pick);
            }
        }
        let (client, base, stats, acked, limit, in_doubt, queue_stats) = (
            client.clone(),
            base.clone(),
            enroll_stats.clone(),
            acked.clone(),
            limit.clone(),
            in_doubt.clone(),
            queue_stats.clone(),
        );
        let doubt = move |pair: (i32, i32)| {
            if let Ok(mut d) = in_doubt.lock() {
                d.insert(pair);
            }
        };
        tasks.push(tokio::spawn(async move {
            for (n, section) in wishes.into_iter().enumerate() {
                let key = format!("rush-{}-{n}", s.id);
                for _try in 0..20 {
                    let permit = limit.clone().acquire_owned().await;
                    let t = Instant::now();
                    let res = client
                        .post(format!("{base}/api/v1/enrollments"))
                        .header("cookie", format!("sugang_session={}", s.cookie))
                        .header("x-csrf-token", &s.csrf)
                        .header("idempotency-key", &key)
                        .json(&json!({"section_id": section}))
                        .send()
                        .await;
                    let elapsed = t.elapsed();
                    drop(permit);
                    let Ok(res) = res else {
                        if let Ok(mut st) = stats.lock() {
                            st.record(None, None, elapsed);
                        }
                        doubt((s.id, section));
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    };
                    let status = res.status();
                    let retry_after = res
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok());
                    let body: serde_json::Value = res.json().await.unwrap_or_default();
                    let code = error_code(&body);
                    if let Ok(mut st) = stats.lock() {
                        st.record(Some(status), code.as_deref(), elapsed);
                    }
                    match status {
                        StatusCode::CREATED | StatusCode::OK => {
                            if let Ok(mut a) = acked.lock() {
                                a.insert((s.id, section));
                            }
                            break;
                        }
                        StatusCode::TOO_MANY_REQUESTS
                            if code.as_deref() == Some("queue_required") =>
                        {
                            // In the waiting room: poll the status as the queue page does,
                            // at the pace it suggests, until admitted.
                            wait_for_admission(&client, &base, &s, &queue_stats).await;
                        }
                        StatusCode::SERVICE_UNAVAILABLE
                            if code.as_deref() == Some("outcome_unknown") =>
                        {
                            // The commit went unanswered: a repeat with the same key settles
                            // it (a 201 if it took effect); until then it is in doubt.
                            doubt((s.id, section));
                            let wait = retry_after.unwrap_or(1).min(5);
                            tokio::time::sleep(Duration::from_millis(wait * 1000 / 2 + 50)).await;
                        }
                        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                            let wait = retry_after.unwrap_or(1).min(5);
                            tokio::time::sleep(Duration::from_millis(wait * 1000 / 2 + 50)).await;
                        }
                        st if st.is_server_error() => {
                            // A proxy's 502/504 may hide a commit.
                            doubt((s.id, section));
                            tokio::time::sleep(Duration::from_millis(200)).await
                        }
                        _ if code.as_deref() == Some("idempotency_in_progress") => {
                            doubt((s.id, section));
                            tokio::time::sleep(Duration::from_millis(500)).await
                        }
                        _ => break, // a rule refused it: on to the next wish
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let burst_secs = started.elapsed().as_secs_f64();
    let cpu_percent: Vec<(String, f64)> = cpu_watch
        .iter()
        .zip(cpu_before)
        .filter_map(|((name, pid), before)| {
            let used = cpu_secs(*pid)? - before?;
            Some((name.clone(), 100.0 * used / burst_secs.max(0.001)))
        })
        .collect();
    let batches = match client.get(format!("{base}/metrics")).send().await {
        Ok(res) => {
            let after = batches_from(&res.text().await.unwrap_or_default());
            let count = after.count - batches_before.count;
            let per = |a: f64, b: f64| {
                if count > 0.0 {
                    (a * after.count - b * batches_before.count) / count
                } else {
                    0.0
                }
            };
            Batches {
                count,
                mean_size: per(after.mean_size, batches_before.mean_size),
                mean_transaction_ms: per(
                    after.mean_transaction_ms,
                    batches_before.mean_transaction_ms,
                ),
                retries: after.retries - batches_before.retries,
                splits: after.splits - batches_before.splits,
            }
        }
        Err(_) => Batches::default(),
    };

    let mut enroll = Arc::try_unwrap(enroll_stats)
        .ok()
        .and_then(|m| m.into_inner().ok())
        .unwrap_or_default();
    let mut sign_in = Arc::try_unwrap(sign_in_stats)
        .ok()
        .and_then(|m| m.into_inner().ok())
        .unwrap_or_default();
    let mut queue = Arc::try_unwrap(queue_stats)
        .ok()
        .and_then(|m| m.into_inner().ok())
        .unwrap_or_default();
    enroll.finish();
    sign_in.finish();
    queue.finish();
    let decisions: u64 = enroll
        .statuses
        .iter()
        .filter(|(s, _)| matches!(**s, 200 | 201 | 409))
        .map(|(_, n)| n)
        .sum();
    let acked = Arc::try_unwrap(acked)
        .ok()
        .and_then(|m| m.into_inner().ok())
        .unwrap_or_default();
    let in_doubt: HashSet<(i32, i32)> = Arc::try_unwrap(in_doubt)
        .ok()
        .and_then(|m| m.into_inner().ok())
        .unwrap_or_default()
        .difference(&acked)
        .copied()
        .collect();

    // 4. The audit.
    // A new connection for the audit: a database fault during the burst may have dropped the
    // one made before it.
    // The database may still be coming back from a fault when the burst ends: wait for it.
    let mut conn = {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match MysqlConnection::establish(&args.database_url) {
                Ok(c) => break c,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await
                }
                Err(e) => return Err(e).context("reconnect for the audit"),
            }
        }
    };
    let a = audit(&mut conn, &acked, &in_doubt, &student_ids, Some(&since))?;
    let report = Report {
        students: ids.len(),
        signed_in: student_ids.len(),
        concurrency: args.concurrency,
        sign_in_wave_secs: wave_secs,
        sign_ins_per_sec: student_ids.len() as f64 / wave_secs.max(0.001),
        healthz_per_sec: healthz_rate,
        burst_secs,
        decisions,
        decisions_per_sec: decisions as f64 / burst_secs.max(0.001),
        enrollments: acked.len() as u64,
        peak_server_memory_mib: args
            .server_pid
            .iter()
            .filter_map(|p| vm_hwm_kib(*p).map(|k| (*p, k / 1024)))
            .collect(),
        cpu_percent,
        batches,
        endpoints: HashMap::from([
            ("POST /api/v1/session".to_string(), sign_in),
            ("POST /api/v1/enrollments".to_string(), enroll),
            ("GET /api/v1/queue".to_string(), queue),
        ]),
        audit: a,
    };
    print_table(&report);
    if let Some(dir) = std::path::Path::new(&args.json).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&args.json, serde_json::to_string_pretty(&report)?)?;
    println!("JSON report: {}", args.json);
    let server_errors: u64 = report
        .endpoints
        .values()
        .map(EndpointStats::server_errors)
        .sum();
    if !report.audit.passed {
        eprintln!("AUDIT FAILED");
        std::process::exit(1);
    }
    if server_errors > 0 {
        eprintln!("{server_errors} server errors (5xx)");
    }
    Ok(())
}

fn print_table(r: &Report) {
    println!();
    println!("{:<34} {:>12}", "students signed in", r.signed_in);
    println!("{:<34} {:>12.1}", "sign-in wave (s)", r.sign_in_wave_secs);
    println!("{:<34} {:>12.1}", "sign-ins/s", r.sign_ins_per_sec);
    println!(
        "{:<34} {:>12.0}",
        "ceiling: /healthz req/s", r.healthz_per_sec
    );
    println!("{:<34} {:>12.2}", "burst (s)", r.burst_secs);
    println!("{:<34} {:>12}", "registration decisions", r.decisions);
    println!("{:<34} {:>12.0}", "decisions/s", r.decisions_per_sec);
    println!("{:<34} {:>12}", "enrollments acknowledged", r.enrollments);
    for (pid, mib) in &r.peak_server_memory_mib {
        println!(
            "{:<34} {:>12}",
            format!("peak memory of pid {pid} (MiB)"),
            mib
        );
    }
    for (name, pct) in &r.cpu_percent {
        println!("{:<34} {:>12.0}", format!("CPU % of a core: {name}"), pct);
    }
    if r.batches.count > 0.0 {
        println!("{:<34} {:>12.0}", "decision batches", r.batches.count);
        println!("{:<34} {:>12.1}", "mean batch size", r.batches.mean_size);
        println!(
            "{:<34} {:>12.2}",
            "mean batch transaction (ms)", r.batches.mean_transaction_ms
        );
        println!(
            "{:<34} {:>12}",
            "batch retries / splits",
            format!("{:.0} / {:.0}", r.batches.retries, r.batches.splits)
        );
    }
    println!();
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9} {:>9}  statuses / codes",
        "endpoint", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let mut names: Vec<_> = r.endpoints.keys().collect();
    names.sort();
    for name in names {
        let e = &r.endpoints[name];
        let mut statuses: Vec<_> = e.statuses.iter().map(|(s, n)| format!("{s}:{n}")).collect();
        statuses.sort();
        let mut codes: Vec<_> = e.codes.iter().map(|(c, n)| format!("{c}:{n}")).collect();
        codes.sort();
        println!(
            "{:<28} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9.1}  {} {} errors:{}",
            name,
            e.requests,
            e.p50_ms,
            e.p95_ms,
            e.p99_ms,
            e.max_ms,
            statuses.join(" "),
            codes.join(" "),
            e.transport_errors
        );
    }
    println!();
    let a = &r.audit;
    println!("audit: {}", if a.passed { "PASSED" } else { "FAILED" });
    println!(
        "  sections over capacity        {}",
        a.sections_over_capacity
    );
    println!(
        "  counters not matching rows    {}",
        a.counters_not_matching_rows
    );
    println!("  acknowledged but missing      {}", a.acknowledged_missing);
    println!(
        "  present but never acknowledged {}",
        a.unacknowledged_present
    );
    println!("  duplicate courses             {}", a.duplicate_courses);
    println!(
        "  answers lost to faults        {} ({} took effect)",
        a.in_doubt, a.in_doubt_present
    );
}

/// Polls `GET /api/v1/queue` until the student is admitted (or the room is off), sleeping the
/// `poll_after` seconds the service suggests; gives up after ten minutes.
async fn wait_for_admission(
    client: &reqwest::Client,
    base: &str,
    s: &Student,
    stats: &Mutex<EndpointStats>,
) {
    let until = Instant::now() + Duration::from_secs(600);
    while Instant::now() < until {
        let t = Instant::now();
        let res = client
            .get(format!("{base}/api/v1/queue"))
            .header("cookie", format!("sugang_session={}", s.cookie))
            .send()
            .await;
        let elapsed = t.elapsed();
        let Ok(res) = res else {
            if let Ok(mut st) = stats.lock() {
                st.record(None, None, elapsed);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        let state = body.get("state").and_then(|v| v.as_str()).unwrap_or("");
        if let Ok(mut st) = stats.lock() {
            st.record(Some(status), Some(state), elapsed);
        }
        if matches!(state, "admitted" | "not_required") {
            return;
        }
        let after = body.get("poll_after").and_then(|v| v.as_u64()).unwrap_or(2);
        // Jitter, as the page's script does, so pollers do not move in step.
        let jitter = rand::random::<u64>() % 500;
        tokio::time::sleep(Duration::from_millis(after.clamp(1, 30) * 1000 + jitter)).await;
    }
}

/// Sessions made directly in the service's session store (no password hashing).
async fn direct_sessions(args: &Args, ids: &[Participant]) -> anyhow::Result<Vec<Student>> {
    let cache = sugang::cache::Cache::new(&args.redis_url, &args.redis_prefix, 64)?;
    let store = sugang::auth::SessionStore::new(
        cache,
        Duration::from_secs(1800),
        Duration::from_secs(12 * 3600),
    );
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(256) {
        let made =
            futures_util::future::join_all(chunk.iter().map(|p| {
                store.sign_in(p.id, &p.login_id, &p.login_id, sugang::auth::Role::Student)
            }))
            .await;
        for (p, m) in chunk.iter().zip(made) {
            let (cookie, session) = m.map_err(|e| anyhow::anyhow!("{e}"))?;
            out.push(Student {
                id: p.id,
                cookie,
                csrf: session.csrf_token,
            });
        }
    }
    Ok(out)
}
