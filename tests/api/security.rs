//! Findings of the outside security review, each proven closed: checks decide on the route the
//! router matched, never on the raw path.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::admin_controls::{post_form, staff};
use crate::helpers::{RegStudent, TestApp};
use sugang::waiting_room::RoomConfig;

/// Every request that changes a student's enrollments (the waiting room, the action limit and
/// the freeze all stand in front of these).
const REGISTRATION_ACTIONS: &[(&str, &str)] = &[
    ("POST", "/api/v1/enrollments"),
    ("POST", "/api/v1/enrollments/swap"),
    ("DELETE", "/api/v1/enrollments/987654"),
    ("POST", "/api/v1/waitlist"),
    ("DELETE", "/api/v1/waitlist/987654"),
    ("POST", "/api/v1/basket/register"),
    ("POST", "/registration"),
    ("POST", "/registration/drop"),
    ("POST", "/registration/swap"),
    ("POST", "/waitlist"),
    ("POST", "/waitlist/leave"),
    ("POST", "/basket/register"),
];

/// Basket changes: frozen too, never queued.
const BASKET_CHANGES: &[(&str, &str)] = &[
    ("POST", "/api/v1/basket"),
    ("DELETE", "/api/v1/basket/987654"),
    ("POST", "/basket"),
    ("POST", "/basket/remove"),
];

/// The same path written as a client may percent-encode it: the router decodes each of these to
/// the plain path.
fn encodings(path: &str) -> Vec<String> {
    let letters: Vec<usize> = path
        .bytes()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_alphabetic())
        .map(|(i, _)| i)
        .collect();
    let encode = |pick: &dyn Fn(usize) -> bool, upper: bool| -> String {
        path.bytes()
            .enumerate()
            .map(|(i, b)| {
                if b.is_ascii_alphabetic() && pick(i) {
                    if upper {
                        format!("%{b:02X}")
                    } else {
                        format!("%{b:02x}")
                    }
                } else {
                    (b as char).to_string()
                }
            })
            .collect()
    };
    let last = *letters.last().expect("a letter");
    let first = letters[0];
    vec![
        encode(&|i| i == last, false),
        encode(&|i| i == first, true),
        encode(&|_| true, true),
        encode(&|i| i % 2 == 0, false),
    ]
}

/// Sends `method` to `path` (maybe encoded) with the body the plain path `plain` takes.
async fn send(
    app: &TestApp,
    who: &RegStudent,
    method: &str,
    plain: &str,
    path: &str,
) -> reqwest::Response {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let req = who.client.request(method, app.url(path));
    let req = if plain.starts_with("/api/") {
        req.json(
            &json!({"section_id": 987654, "drop_section_id": 987653, "add_section_id": 987654}),
        )
    } else {
        req.form(&[("section_id", "987654"), ("drop_section_id", "987653")])
    };
    req.send().await.expect("request")
}

/// What a test compares: the status and the error code (JSON) or where a page is sent.
async fn answer(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.unwrap_or_default();
    let code = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
    (status, code.or(location).unwrap_or_default())
}

#[tokio::test]
async fn every_registration_action_encoded_any_way_is_queued_like_the_plain_path() {
    let app = TestApp::spawn().await;
    let id = app.insert_student("20259001");
    let student = app.reg_sign_in(id).await;
    // The room is on and admits nobody: every action must be queued.
    app.state
        .waiting_room
        .set_config(RoomConfig {
            enabled: true,
            rate: 0,
            concurrency: 10,
            pass_ttl_secs: 60,
            opens_at_ms: 0,
        })
        .await
        .expect("config");
    for (method, path) in REGISTRATION_ACTIONS {
        let plain = answer(send(&app, &student, method, path, path).await).await;
        let queued = if path.starts_with("/api/") {
            (StatusCode::TOO_MANY_REQUESTS, "queue_required".to_string())
        } else {
            (StatusCode::SEE_OTHER, "/queue".to_string())
        };
        assert_eq!(plain, queued, "{method} {path}");
        for encoded in encodings(path) {
            let got = answer(send(&app, &student, method, path, &encoded).await).await;
            assert_eq!(got, plain, "{method} {encoded} is queued like {path}");
        }
    }
}

#[tokio::test]
async fn encoded_registration_actions_count_toward_the_action_limit_and_are_limited() {
    let app = TestApp::spawn_with(|s| {
        s.action_limits.per_student = 3;
        s.action_limits.window = std::time::Duration::from_secs(600);
    })
    .await;
    let id = app.insert_student("20259002");
    let student = app.reg_sign_in(id).await;
    // Three encoded actions spend the whole allowance ...
    for (method, path) in &REGISTRATION_ACTIONS[..3] {
        let encoded = &encodings(path)[0];
        let (status, _) = answer(send(&app, &student, method, path, encoded).await).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{method} {encoded}");
    }
    // ... so the plain action that follows is limited, and so is every encoding of every action.
    let (status, code) = answer(
        send(
            &app,
            &student,
            "POST",
            "/api/v1/enrollments",
            "/api/v1/enrollments",
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    for (method, path) in REGISTRATION_ACTIONS {
        for encoded in encodings(path) {
            let res = send(&app, &student, method, path, &encoded).await;
            assert_eq!(
                res.status(),
                StatusCode::TOO_MANY_REQUESTS,
                "{method} {encoded} is limited like {path}"
            );
            assert!(res.headers().contains_key("retry-after"));
        }
    }
}

#[tokio::test]
async fn encoded_registration_and_basket_changes_are_refused_while_frozen() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let ids = app.reg_students(&fx, "frz", 1);
    let student = app.reg_sign_in(ids[0]).await;
    let registrar = staff(&app).await;
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/freeze",
        &[("reason", "점검 중")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for (method, path) in REGISTRATION_ACTIONS.iter().chain(BASKET_CHANGES) {
        let plain = answer(send(&app, &student, method, path, path).await).await;
        let frozen = if path.starts_with("/api/") {
            (StatusCode::CONFLICT, "registration_frozen".to_string())
        } else {
            (StatusCode::SEE_OTHER, "/registration".to_string())
        };
        assert_eq!(plain, frozen, "{method} {path}");
        for encoded in encodings(path) {
            let got = answer(send(&app, &student, method, path, &encoded).await).await;
            assert_eq!(got, plain, "{method} {encoded} is frozen like {path}");
        }
    }
}

#[tokio::test]
async fn a_path_no_route_serves_never_becomes_a_link() {
    let app = TestApp::spawn().await;
    let res = app
        .client()
        .get(app.url("//evil.example"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.expect("html");
    assert!(!html.contains("//evil.example"), "{html}");
    // A page that exists keeps its own path in the language link.
    let html = app
        .get(&app.client(), "/login")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("href=\"/login?lang=en\""), "{html}");
}
