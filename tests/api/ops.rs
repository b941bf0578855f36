use std::process::Command;
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::helpers::{redis_url, spawn_binary, TestApp, TestDb, PASSWORD};
use crate::helpers::{url_for, Partition};

#[tokio::test]
async fn healthz_and_readyz_answer_when_everything_is_up() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(app.get(&client, "/healthz").await.status(), StatusCode::OK);
    let ready = app.get(&client, "/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["mysql"], "ok");
    assert_eq!(body["redis"], "ok");
}

async fn wait_for_status(app: &TestApp, path: &str, want: StatusCode) -> bool {
    let client = app.client();
    for _ in 0..100 {
        if app.get(&client, path).await.status() == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn readiness_follows_mysql_and_recovers_by_itself() {
    let mysql = Partition::start("127.0.0.1:3306").await;
    let db = TestDb::create();
    let via_proxy = url_for(&db.name).replace("127.0.0.1:3306", &mysql.addr.to_string());
    let app = TestApp::spawn_on(db, move |s| {
        s.database_url = via_proxy;
        s.db_pool_timeout = Duration::from_millis(500);
    })
    .await;
    assert!(wait_for_status(&app, "/readyz", StatusCode::OK).await);

    mysql.cut();
    assert!(wait_for_status(&app, "/readyz", StatusCode::SERVICE_UNAVAILABLE).await);
    let body: serde_json::Value = app
        .get(&app.client(), "/readyz")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["mysql"], "unreachable");
    assert_eq!(body["redis"], "ok");
    assert_eq!(
        app.get(&app.client(), "/healthz").await.status(),
        StatusCode::OK,
        "alive all along"
    );
    // A request that needs MySQL fails fast with 503, not 500.
    let res = app.post_session(&app.client(), "20990001", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    mysql.restore();
    assert!(
        wait_for_status(&app, "/readyz", StatusCode::OK).await,
        "recovers without a restart"
    );
}

#[tokio::test]
async fn readiness_follows_redis_and_recovers_by_itself() {
    let target = redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_string();
    let redis = Partition::start(&target).await;
    let proxied = format!("redis://{}", redis.addr);
    let app = TestApp::spawn_with(move |s| s.redis_url = proxied).await;
    app.insert_student("20250101");
    assert!(wait_for_status(&app, "/readyz", StatusCode::OK).await);

    redis.cut();
    assert!(wait_for_status(&app, "/readyz", StatusCode::SERVICE_UNAVAILABLE).await);
    assert_eq!(
        app.get(&app.client(), "/healthz").await.status(),
        StatusCode::OK
    );
    let res = app.post_session(&app.client(), "20250101", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    redis.restore();
    assert!(wait_for_status(&app, "/readyz", StatusCode::OK).await);
    assert_eq!(
        app.post_session(&app.client(), "20250101", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn metrics_describe_requests_by_route_pattern_and_sign_ins_by_outcome() {
    let app = TestApp::spawn().await;
    app.insert_student("20250102");
    let client = app.client();
    app.sign_in(&client, "20250102").await;
    app.get(&client, "/static/app.css").await;
    let text = app
        .get(&client, "/metrics")
        .await
        .text()
        .await
        .expect("text");
    for name in [
        "http_requests_total",
        "http_request_duration_seconds",
        "sugang_logins_total",
        "sugang_password_hash_queue",
        "sugang_db_pool_connections",
        "sugang_redis_pool_connections",
        "sugang_registration_fast_refusals_total",
        "sugang_basket_allocation_total",
        "sugang_ready",
    ] {
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "{name} is described"
        );
    }
    assert!(
        text.contains("route=\"/static/{name}\""),
        "labelled by pattern, not path"
    );
    assert!(!text.contains("route=\"/static/app.css\""));
    assert!(text
        .lines()
        .any(|l| l.starts_with("sugang_logins_total{outcome=\"ok\"}") && !l.ends_with(" 0")));
    assert!(text.contains("http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn sigterm_turns_readiness_off_and_finishes_every_in_flight_request() {
    let app = TestApp::spawn().await;
    app.insert_student("20250103");
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let _cleanup = crate::helpers::RedisPrefix(prefix.clone());
    let (mut child, port) = spawn_binary(&app.db.url, &prefix, 1);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("ready")
            .status(),
        StatusCode::OK
    );

    // Sign-ins hash one at a time here, so 40 of them keep the server busy for a while.
    let requests = (0..40).map(|_| {
        let client = reqwest::Client::new();
        let url = format!("{base}/api/v1/session");
        async move {
            client
                .post(url)
                .json(&serde_json::json!({"login_id": "20250103", "password": PASSWORD}))
                .send()
                .await
                .map(|r| r.status())
        }
    });
    let in_flight = tokio::spawn(join_all(requests));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let draining = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz while draining");
    assert_eq!(draining.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("healthz")
            .status(),
        StatusCode::OK
    );

    let results = in_flight.await.expect("join");
    assert_eq!(results.len(), 40);
    for r in results {
        assert_eq!(r.expect("no request lost"), StatusCode::OK);
    }
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(exit.success(), "clean exit after draining: {exit:?}");
}
