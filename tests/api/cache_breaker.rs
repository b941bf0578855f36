//! The Redis breaker against a real `redis-server` of the test's own on a free port: failures
//! open it, commands then fail without touching the network, and the probe closes it once Redis
//! answers.

use std::process::{Child, Command};
use std::time::Duration;

use sugang::cache::Cache;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis(port: u16) -> Server {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server is installed (scripts/services.sh)");
    Server(child)
}

#[tokio::test]
async fn failures_open_the_breaker_and_the_probe_closes_it() {
    let port = free_port();
    let cache = Cache::new(&format!("redis://127.0.0.1:{port}"), "breaker:", 4)
        .expect("client")
        .with_limits(Duration::from_millis(300), 2);

    // Nothing listens: two failed commands open the breaker.
    assert!(cache.ping(Duration::from_millis(300)).await.is_err());
    assert!(!cache.is_open(), "one failure does not open it");
    assert!(cache.ping(Duration::from_millis(300)).await.is_err());
    assert!(cache.is_open());
    assert_eq!(cache.times_opened(), 1);
    let refused = cache.conn().await.err().expect("refused while open");
    assert!(refused.to_string().contains("breaker open"), "{refused}");

    // Redis comes up: the probe closes the breaker and commands work again.
    let _server = start_redis(port);
    let mut closed = false;
    for _ in 0..150 {
        if !cache.is_open() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closed, "the probe closed the breaker once Redis answered");
    cache
        .ping(Duration::from_secs(2))
        .await
        .expect("ping after the breaker closed");
    assert_eq!(cache.times_opened(), 1);
}

#[tokio::test]
async fn a_refused_command_does_not_count_toward_the_breaker() {
    let cache = Cache::new(&crate::helpers::redis_url(), "breaker-ok:", 4)
        .expect("client")
        .with_limits(Duration::from_secs(1), 1);
    let mut conn = cache.conn().await.expect("conn");
    // A command Redis refuses (wrong number of arguments) is an answer, not a failure.
    let refused: redis::RedisResult<String> = redis::cmd("GET").query_async(&mut conn).await;
    assert!(refused.is_err());
    assert!(!cache.is_open());
    cache.ping(Duration::from_secs(1)).await.expect("ping");
}
