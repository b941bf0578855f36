//! The Redis connection layer's hot path alone: many tasks each take a connection from the
//! `Cache` (`Cache::conn`) and send one GET, as every request does several times, for a fixed
//! time on a two-worker runtime like the server's. Prints commands per second and this process's
//! CPU microseconds per command (user + system, from /proc/self/stat), so two builds of the layer
//! can be compared on the same machine in alternating runs.
//!
//! `cargo bench --bench redis_layer` (Redis at `REDIS_URL`, default 127.0.0.1:6379). Settings:
//! `TASKS` (256), `SECS` (5), `CONNS` (2, the server's default).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sugang::cache::Cache;

fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime: fields 14 and 15 of the line, so 11 and 12 counting from the state.
    (ticks(11) + ticks(12)) / 100.0
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` only builds and starts it.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let (tasks, secs, conns) = (
        setting("TASKS", 256),
        setting("SECS", 5),
        setting("CONNS", 2),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let prefix = format!("bench:{}:", std::process::id());
        let cache = Cache::new(&url, &prefix, conns as usize)?;
        let key = cache.key("k");
        {
            let mut c = cache.conn().await?;
            let _: () = redis::cmd("SET").arg(&key).arg("v").query_async(&mut c).await?;
        }
        let done = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = Instant::now() + Duration::from_secs(secs + 1);
        let mut handles = Vec::new();
        for _ in 0..tasks {
            let (cache, key, done, failed, measuring) = (
                cache.clone(),
                key.clone(),
                done.clone(),
                failed.clone(),
                measuring.clone(),
            );
            handles.push(tokio::spawn(async move {
                while Instant::now() < stop {
                    let ok = match cache.conn().await {
                        Ok(mut c) => redis::cmd("GET")
                            .arg(&key)
                            .query_async::<Option<String>>(&mut c)
                            .await
                            .is_ok(),
                        Err(_) => false,
                    };
                    if measuring.load(Ordering::Relaxed) {
                        if ok {
                            done.fetch_add(1, Ordering::Relaxed);
                        } else {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }));
        }
        // One second of warm-up, then the measured span.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (cpu0, t0) = (cpu_secs(), Instant::now());
        measuring.store(true, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(secs)).await;
        measuring.store(false, Ordering::Relaxed);
        let (cpu, elapsed) = (cpu_secs() - cpu0, t0.elapsed().as_secs_f64());
        let n = done.load(Ordering::Relaxed);
        for h in handles {
            let _ = h.await;
        }
        let mut c = cache.conn().await?;
        let _: () = redis::cmd("DEL").arg(&key).query_async(&mut c).await?;
        println!(
            "redis layer: {:.0} commands/s, {:.2} µs CPU per command, {} failed ({tasks} tasks, {conns} connections, {secs} s)",
            n as f64 / elapsed,
            cpu * 1e6 / n.max(1) as f64,
            failed.load(Ordering::Relaxed),
        );
        Ok(())
    })
}
