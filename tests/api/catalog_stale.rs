//! Search while MySQL is unreachable: served from the instance's last catalog copy, marked
//! possibly stale (header, JSON field, a note on the page), and fresh again once MySQL is back.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{url_for, Partition, SectionBuilder, TestApp, TestDb};

async fn wait_for(app: &TestApp, path: &str, want: StatusCode) -> bool {
    for _ in 0..100 {
        if app.get(&app.client(), path).await.status() == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn search_serves_the_last_copy_marked_stale_while_mysql_is_unreachable() {
    let mysql = Partition::start("127.0.0.1:3306").await;
    let db = TestDb::create();
    let via_proxy = url_for(&db.name).replace("127.0.0.1:3306", &mysql.addr.to_string());
    let app = TestApp::spawn_on(db, move |s| {
        s.database_url = via_proxy;
        s.db_pool_timeout = Duration::from_millis(500);
    })
    .await;
    let term = app.insert_current_term();
    let cse = app.insert_department("CSE");
    SectionBuilder::new("CSE2010", cse)
        .meets(1, 540, 615)
        .insert(&app, term);
    app.insert_student("20270001");
    let client = app.client();
    app.sign_in(&client, "20270001").await;

    let fresh = app.get(&client, "/api/v1/sections").await;
    assert_eq!(fresh.status(), StatusCode::OK);
    assert!(fresh.headers().get("x-catalog-stale").is_none());
    let fresh: Value = fresh.json().await.expect("json");
    assert_eq!(fresh["stale"], false);
    assert_eq!(fresh["total"], 1);

    mysql.cut();
    assert!(wait_for(&app, "/readyz", StatusCode::SERVICE_UNAVAILABLE).await);

    // Seat numbers read less than a second ago are still current; after that, every answer is
    // the last copy, marked.
    let mut res = app.get(&client, "/api/v1/sections").await;
    for _ in 0..50 {
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "search is served from the last copy"
        );
        if res.headers().contains_key("x-catalog-stale") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        res = app.get(&client, "/api/v1/sections").await;
    }
    assert_eq!(
        res.headers()
            .get("x-catalog-stale")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["stale"], true);
    assert_eq!(body["total"], 1);
    assert_eq!(
        body["items"][0]["course_code"],
        fresh["items"][0]["course_code"]
    );

    let page = app.get(&client, "/courses").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().get("x-catalog-stale").is_some());
    let html = page.text().await.expect("html");
    assert!(html.contains("id=\"catalog-stale\""), "the page says so");
    assert!(html.contains("CSE2010"));

    // What needs MySQL still answers 503 at once.
    let res = app.post_session(&app.client(), "20270001", "x").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    mysql.restore();
    let mut fresh_again = false;
    for _ in 0..100 {
        let res = app.get(&client, "/api/v1/sections").await;
        if res.status() == StatusCode::OK && res.headers().get("x-catalog-stale").is_none() {
            let body: Value = res.json().await.expect("json");
            assert_eq!(body["stale"], false);
            fresh_again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(fresh_again, "fresh once MySQL is back");
    let html = app
        .get(&client, "/courses")
        .await
        .text()
        .await
        .expect("html");
    assert!(!html.contains("id=\"catalog-stale\""));
}

#[tokio::test]
async fn search_without_a_copy_answers_503_while_mysql_is_unreachable() {
    let mysql = Partition::start("127.0.0.1:3306").await;
    let db = TestDb::create();
    let via_proxy = url_for(&db.name).replace("127.0.0.1:3306", &mysql.addr.to_string());
    let app = TestApp::spawn_on(db, move |s| {
        s.database_url = via_proxy;
        s.db_pool_timeout = Duration::from_millis(500);
    })
    .await;
    let term = app.insert_current_term();
    let cse = app.insert_department("CSE");
    SectionBuilder::new("CSE2010", cse)
        .meets(1, 540, 615)
        .insert(&app, term);
    app.insert_student("20270002");
    let client = app.client();
    app.sign_in(&client, "20270002").await;

    // Nothing searched yet: the instance holds no copy to serve.
    mysql.cut();
    assert!(wait_for(&app, "/readyz", StatusCode::SERVICE_UNAVAILABLE).await);
    let res = app.get(&client, "/api/v1/sections").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().get("retry-after").is_some());
}
