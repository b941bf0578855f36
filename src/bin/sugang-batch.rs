//! The decision batch alone, without HTTP: how many enroll decisions per second MySQL gives at
//! batch sizes 1, 8, 32 and 128, with one and with several decision workers, against a seeded
//! database (`scripts/bench-batch.sh` seeds one and runs this).
//!
//! Each size takes its own group of students (years 2–4, no hold), each of whom asks for five
//! sections drawn with the rush's Zipf-like demand, so grants and refusals mix as in the rush.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use diesel::prelude::*;
use diesel::sql_types::Integer;
use rand::distributions::WeightedIndex;
use rand::prelude::*;

use sugang::activity::Batcher;
use sugang::app::AppState;
use sugang::catalog::CatalogCache;
use sugang::config::Settings;
use sugang::registration::batch::{self, JobData};
use sugang::registration::rush;
use sugang::registration::service::{Attempt, TxError};
use sugang::registration::Engine;
use sugang::web::Lang;

#[derive(Parser, Debug)]
#[command(about = "Decisions per second of the batch transaction alone, per batch size.")]
struct Args {
    /// Batch sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32,128")]
    sizes: Vec<usize>,
    /// Decision workers running batches at once (each on its own connection).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    workers: Vec<usize>,
    /// Students per measurement (each makes five attempts).
    #[arg(long, default_value_t = 600)]
    students: usize,
    /// How many sections draw most of the demand.
    #[arg(long, default_value_t = 40)]
    popular: usize,
    #[arg(long, default_value_t = 2027)]
    seed: u64,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Integer)]
    id: i32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Settings::from_env().context("settings")?;
    let url = settings.database_url.clone();
    let state = AppState::new(settings)?;
    let engine = Engine::new(
        &state,
        actix_web::web::Data::new(CatalogCache::default()),
        Batcher::spawn(state.db.clone()),
    );
    let frame = rush::frame(&state, &engine)
        .await
        .map_err(|e| anyhow::anyhow!("frame: {e}"))?
        .context("no current term: seed the database first")?;
    let mut conn = MysqlConnection::establish(&url).context("connect")?;
    let students: Vec<i32> = diesel::sql_query(
        "SELECT u.id FROM users u WHERE u.role = 'student' AND u.status = 'enrolled' \
         AND u.class_year BETWEEN 2 AND 4 \
         AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.student_id = u.id AND h.released_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM enrollments e JOIN terms t ON t.id = e.term_id AND t.is_current \
                         WHERE e.student_id = u.id AND e.source = 'student' AND e.request_id LIKE 'batch-bench-%') \
         ORDER BY u.id",
    )
    .load::<Id>(&mut conn)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    let sections: Vec<i32> = diesel::sql_query(
        "SELECT s.id FROM sections s JOIN terms t ON t.id = s.term_id AND t.is_current \
         WHERE s.status = 'open' AND s.restrict_department_id IS NULL AND s.restrict_class_years = 0 ORDER BY s.id",
    )
    .load::<Id>(&mut conn)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    let runs = args.sizes.len() * args.workers.len();
    anyhow::ensure!(
        students.len() >= runs * args.students && !sections.is_empty(),
        "{} students and {} sections: need {} students; seed a fresh database",
        students.len(),
        sections.len(),
        runs * args.students
    );
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut order = sections.clone();
    order.shuffle(&mut rng);
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

    println!(
        "{:>6} {:>8} {:>10} {:>12} {:>12} {:>8} {:>8}",
        "batch", "workers", "attempts", "decisions/s", "ms/batch", "grants", "busy"
    );
    let mut group = students.chunks(args.students);
    for &workers in &args.workers {
        for &size in &args.sizes {
            let members = group.next().context("students")?;
            // Five wishes per student, students taking turns as in the rush.
            let mut jobs = Vec::new();
            for round in 0..5 {
                for &s in members {
                    let section = order[dist.sample(&mut rng)];
                    jobs.push(JobData {
                        attempt: Attempt {
                            student_id: s,
                            session_ref: None,
                            request_id: format!("batch-bench-{s}-{round}"),
                            client_ip: "127.0.0.1".into(),
                            lang: Lang::Ko,
                        },
                        section_id: section,
                        now: chrono::Utc::now(),
                        assume_full: false,
                        frame: frame.clone(),
                    });
                }
            }
            let attempts = jobs.len();
            let batches: Vec<Vec<JobData>> = jobs.chunks(size).map(<[JobData]>::to_vec).collect();
            let count = batches.len();
            // Workers take the batches in turn, each on its own connection.
            let queue = std::sync::Arc::new(std::sync::Mutex::new(batches.into_iter()));
            let started = Instant::now();
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let (queue, url) = (queue.clone(), url.clone());
                    std::thread::spawn(move || -> anyhow::Result<(usize, usize, Duration)> {
                        let mut conn = MysqlConnection::establish(&url)?;
                        diesel::sql_query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                            .execute(&mut conn)?;
                        let (mut grants, mut busy, mut spent) = (0, 0, Duration::ZERO);
                        loop {
                            let next = queue.lock().ok().and_then(|mut q| q.next());
                            let Some(batch) = next else { break };
                            let t = Instant::now();
                            let outcomes = batch::decide_split(&mut conn, &batch);
                            spent += t.elapsed();
                            grants += outcomes.iter().filter(|o| o.is_ok()).count();
                            busy += outcomes
                                .iter()
                                .filter(|o| matches!(o, Err(TxError::Db(_))))
                                .count();
                        }
                        Ok((grants, busy, spent))
                    })
                })
                .collect();
            let (mut grants, mut busy, mut spent) = (0, 0, Duration::ZERO);
            for h in handles {
                let (g, b, s) = h.join().map_err(|_| anyhow::anyhow!("worker panicked"))??;
                grants += g;
                busy += b;
                spent += s;
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{:>6} {:>8} {:>10} {:>12.0} {:>12.2} {:>8} {:>8}",
                size,
                workers,
                attempts,
                attempts as f64 / secs,
                spent.as_secs_f64() * 1000.0 / count as f64,
                grants,
                busy
            );
        }
    }
    Ok(())
}
