//! The waiting room keeps what the student clicked: a form refused with `queue_required` lands on
//! `/queue` with the action remembered, offered again (with a fresh CSRF token) once admitted.

use reqwest::{header, StatusCode};
use sugang::config::RoomConfig;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_queued_form_is_offered_again_on_the_queue_page_without_its_csrf_token() {
    let app = TestApp::spawn().await;
    app.insert_student("20250211");
    let client = app.client();
    let csrf = app.sign_in(&client, "20250211").await;
    let room = &app.state.waiting_room;
    room.set_config(RoomConfig {
        enabled: true,
        rate: 0,
        concurrency: 10,
        pass_ttl_secs: 120,
        opens_at_ms: 0,
    })
    .await
    .expect("config");
    let res = client
        .post(app.url("/registration"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("section_id", "4242"),
            ("next", "/basket"),
            ("smuggled", "x"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[header::LOCATION]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(to.starts_with("/queue?"), "{to}");
    assert!(to.contains("section_id=4242"), "{to}");
    assert!(!to.contains(&csrf) && !to.contains("smuggled"), "{to}");

    // Waiting: the action is named and its button waits for admission; the refresh keeps it.
    let html = app.get(&client, &to).await.text().await.expect("html");
    assert!(
        html.contains("id=\"queue-resume\""),
        "the action is remembered"
    );
    assert!(html.contains("name=\"section_id\" value=\"4242\""));
    assert!(html.contains("data-action=\"resume\" disabled"));
    assert!(html.contains("id=\"queue-ahead\""));
    assert!(
        html.contains("<progress id=\"queue-progress\" max=\"1\" value=\"0\">0%</progress>"),
        "a bar that works without JavaScript"
    );
    assert!(
        html.contains("id=\"queue-line\">1</strong>"),
        "the size of the line"
    );
    let status: serde_json::Value = app
        .get(&client, "/api/v1/queue")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(status["state"], "waiting");
    assert_eq!(status["line_length"], 1);
    assert_eq!(status["start_position"], 1);
    assert!(
        html.contains("id=\"queue-lapse\"") && html.contains("2분"),
        "the pass lapse in minutes"
    );
    assert!(
        html.contains("url=/queue?resume="),
        "the refresh keeps the action"
    );

    // Admitted: the same page offers the action as a live form with this page's token.
    room.set_config(RoomConfig {
        enabled: true,
        rate: 1000,
        concurrency: 10,
        pass_ttl_secs: 120,
        opens_at_ms: 0,
    })
    .await
    .expect("config");
    let mut html = String::new();
    for _ in 0..50 {
        html = app.get(&client, &to).await.text().await.expect("html");
        if html.contains("data-state=\"admitted\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(html.contains("data-state=\"admitted\""), "admitted");
    assert!(
        html.contains("data-action=\"resume\">"),
        "the button is enabled"
    );
    assert!(html.contains(&format!("name=\"csrf_token\" value=\"{csrf}\"")));
    assert!(html.contains("action=\"/registration\""));

    // A crafted link to anything but a registration action offers nothing.
    let html = app
        .get(
            &client,
            "/queue?resume=%2Fadmin%2Fcontrols%2Ffreeze&reason=x",
        )
        .await
        .text()
        .await
        .expect("html");
    assert!(!html.contains("id=\"queue-resume\""));
}
