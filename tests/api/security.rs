//! Findings of the outside security review, each proven closed: checks decide on the route the
//! router matched, never on the raw path.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::console::post_form;
use crate::helpers::{RegStudent, TestApp};
use sugang::config::RoomConfig;

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
    let student = app.student(id).await;
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
        if path.starts_with("/api/") {
            let queued = (StatusCode::TOO_MANY_REQUESTS, "queue_required".to_string());
            assert_eq!(plain, queued, "{method} {path}");
        } else {
            // Pages go to the waiting room, which may remember the action in its query.
            assert_eq!(plain.0, StatusCode::SEE_OTHER, "{method} {path}");
            assert!(
                plain.1 == "/queue" || plain.1.starts_with("/queue?resume="),
                "{method} {path}: {}",
                plain.1
            );
        }
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
    let student = app.student(id).await;
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
    let student = app.student(ids[0]).await;
    let registrar = app.registrar("registrar-t").await;
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/freeze",
        &[("reason", "점검 중"), ("confirm", "1")],
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

// ---- sign-in: device cookies (finding 2) and failures-only address counting (finding 3) ----

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A browser that remembers nothing between requests: an untrusted client.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_rival_cannot_lock_a_student_out_of_the_browser_they_signed_in_from() {
    let app = TestApp::spawn_with(|s| s.login_delay = std::time::Duration::ZERO).await;
    app.insert_student("20259101");
    // The student signed in from this browser before: it holds a device cookie.
    let owner = app.client();
    app.sign_in(&owner, "20259101").await;
    let owner2 = app.client();
    app.sign_in(&owner2, "20259101").await;
    // The rival guesses from elsewhere until the account is locked for untrusted clients.
    let rival = app.client();
    for _ in 0..5 {
        let res = app.post_session(&rival, "20259101", "wrong guess").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = app
        .post_session(&rival, "20259101", crate::helpers::PASSWORD)
        .await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let fresh = app
        .post_session(&bare_client(), "20259101", crate::helpers::PASSWORD)
        .await;
    assert_eq!(
        fresh.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "an unknown browser is locked out"
    );
    // The owner's known browser is not.
    let res = app
        .post_session(&owner, "20259101", crate::helpers::PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // A device cookie is bound to its account: it does not unlock another one.
    app.insert_student("20259102");
    for _ in 0..5 {
        let _ = app.post_session(&rival, "20259102", "wrong guess").await;
    }
    let res = app
        .post_session(&owner, "20259102", crate::helpers::PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Guessing from a known browser locks that browser only.
    for _ in 0..5 {
        let res = app.post_session(&owner2, "20259101", "wrong guess").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .post_session(&owner2, "20259101", crate::helpers::PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = app
        .post_session(&owner, "20259101", crate::helpers::PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn untrusted_clients_wait_longer_after_each_failure_then_are_locked_out() {
    let app = TestApp::spawn_with(|s| s.login_delay = std::time::Duration::from_millis(200)).await;
    app.insert_student("20259103");
    let client = bare_client();
    let mut delays = 0;
    let mut failures = 0;
    let locked = loop {
        let res = app.post_session(&client, "20259103", "wrong guess").await;
        match res.status() {
            StatusCode::UNAUTHORIZED => failures += 1,
            StatusCode::TOO_MANY_REQUESTS if failures < 5 => {
                // A delay: short, and the right password is refused during it too.
                assert_eq!(retry_after(&res), 1);
                let right = app
                    .post_session(&client, "20259103", crate::helpers::PASSWORD)
                    .await;
                assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
                delays += 1;
                tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
            }
            StatusCode::TOO_MANY_REQUESTS => break res,
            other => panic!("unexpected {other}"),
        }
    };
    assert_eq!(
        failures, 5,
        "exactly the limit of guesses reached the password"
    );
    assert!(delays >= 3, "each failure after the first brought a delay");
    assert!(retry_after(&locked) > 60, "then the lockout for the window");
}

#[tokio::test]
async fn a_thousand_good_sign_ins_from_one_address_in_a_minute_all_succeed() {
    use futures_util::StreamExt;
    // The old default counted every attempt: 300 per window from one address.
    let app = TestApp::spawn_with(|s| {
        s.login_address_limit = 300;
        s.login_window = std::time::Duration::from_secs(60);
    })
    .await;
    let students: Vec<String> = (0..20).map(|i| format!("2025920{i:02}")).collect();
    for s in &students {
        app.insert_student(s);
    }
    let app = &app;
    let statuses: Vec<StatusCode> = futures_util::stream::iter(0..1000)
        .map(|i| {
            let login = students[i % students.len()].clone();
            async move {
                app.post_session(&bare_client(), &login, crate::helpers::PASSWORD)
                    .await
                    .status()
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(
        ok,
        1000,
        "{:?}",
        statuses.iter().find(|s| **s != StatusCode::OK)
    );
}

#[tokio::test]
async fn a_credential_stuffing_run_from_one_address_is_slowed_then_refused() {
    let app = TestApp::spawn_with(|s| {
        s.login_address_limit = 20;
        s.login_delay = std::time::Duration::from_millis(200);
    })
    .await;
    app.insert_student("20259301");
    // A student who signed in from this browser before.
    let known = app.client();
    app.sign_in(&known, "20259301").await;
    let bot = bare_client();
    let (mut failures, mut slowed) = (0, 0);
    let refused = loop {
        let res = app
            .post_session(
                &bot,
                &format!("2026{:04}", failures + slowed),
                "Summer2025!",
            )
            .await;
        match res.status() {
            StatusCode::UNAUTHORIZED => failures += 1,
            StatusCode::TOO_MANY_REQUESTS if retry_after(&res) <= 1 => {
                slowed += 1;
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
            StatusCode::TOO_MANY_REQUESTS => break res,
            other => panic!("unexpected {other}"),
        }
        assert!(failures + slowed < 500, "never refused");
    };
    assert_eq!(failures, 20, "no more guesses than the address limit");
    assert!(slowed > 0, "slowed before it was refused");
    assert!(retry_after(&refused) > 1);
    // The known browser of a student behind the same address still signs in.
    let res = app
        .post_session(&known, "20259301", crate::helpers::PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

// ---- finding 6: `next`, request ids, the CSRF token's place, HSTS; finding 5: proxies ----

fn form_token(html: &str) -> String {
    html.split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("form token")
        .to_string()
}

#[tokio::test]
async fn a_control_character_in_next_is_answered_cleanly_never_with_a_500() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let ids = app.reg_students(&fx, "nxt", 1);
    let login_id = format!("nxt{:05}", 0);
    // The sign-in form: the session starts and its cookie is delivered, with a safe redirect.
    for next in ["/timetable\r\nSet-Cookie: a=b", "/x\u{1}", "/\u{7f}"] {
        let browser = app.client();
        let html = app
            .get(&browser, "/login")
            .await
            .text()
            .await
            .expect("html");
        let token = form_token(&html);
        let res = browser
            .post(app.url("/login"))
            .form(&[
                ("login_id", login_id.as_str()),
                ("password", crate::helpers::PASSWORD),
                ("next", next),
                ("form_token", token.as_str()),
            ])
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(res.headers()["location"], "/");
        assert!(crate::helpers::session_cookie(&res).is_some(), "{next:?}");
    }
    // A registration form: the answer is a redirect to a local page, not an error after the fact.
    let student = app.student(ids[0]).await;
    let res = post_form(
        &app,
        &student,
        "/registration",
        &[("section_id", "987654"), ("next", "/registration\n\u{0}")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/registration");
}

#[tokio::test]
async fn a_client_chosen_request_id_and_forwarded_address_are_not_believed() {
    use diesel::prelude::*;
    use sugang::db::schema::activity_log;

    let app = TestApp::spawn().await;
    let id = app.insert_student("20259401");
    let student = app.student(id).await;
    let res = student
        .client
        .post(app.url("/api/v1/enrollments"))
        .header("x-request-id", "forged-line-0001")
        .header("x-forwarded-for", "6.6.6.6")
        .json(&json!({"section_id": 987654}))
        .send()
        .await
        .expect("request");
    let id_header = res.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_ne!(id_header, "forged-line-0001");
    assert!(!res.headers().contains_key("x-upstream-request-id"));
    let logged: Vec<(String, Option<String>)> = activity_log::table
        .filter(activity_log::student_id.eq(id))
        .select((activity_log::request_id, activity_log::client_ip))
        .load(&mut app.conn())
        .expect("log");
    assert!(!logged.is_empty());
    for (request_id, ip) in logged {
        assert_ne!(request_id, "forged-line-0001");
        assert_ne!(ip.as_deref(), Some("6.6.6.6"));
    }
}

#[tokio::test]
async fn a_trusted_proxy_forwards_the_address_and_its_id_beside_the_servers() {
    let app = TestApp::spawn_with(|s| {
        s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("net")];
        s.login_address_limit = 2;
        s.login_delay = std::time::Duration::ZERO;
    })
    .await;
    let res = app
        .client()
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-trace-0001")
        .send()
        .await
        .expect("request");
    assert_eq!(res.headers()["x-upstream-request-id"], "lb-trace-0001");
    assert_ne!(res.headers()["x-request-id"], "lb-trace-0001");
    // Two clients behind the proxy are counted apart.
    let from = |ip: &'static str| {
        let app = &app;
        async move {
            app.client()
                .post(app.url("/api/v1/session"))
                .header("x-forwarded-for", ip)
                .json(&json!({"login_id": "nobody1", "password": "wrong guess"}))
                .send()
                .await
                .expect("request")
                .status()
        }
    };
    assert_eq!(from("203.0.113.1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(from("203.0.113.1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(from("203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(from("203.0.113.2").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_csrf_token_is_never_taken_from_the_query_string() {
    let app = TestApp::spawn().await;
    let id = app.insert_student("20259402");
    let s = app.student(id).await;
    // The session cookie only: the token must come in a header or a form body.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = bare
        .post(app.url(&format!("/basket?csrf_token={}", s.csrf)))
        .header("cookie", format!("sugang_session={}", s.cookie))
        .form(&[("section_id", "987654")])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = bare
        .post(app.url("/basket"))
        .header("cookie", format!("sugang_session={}", s.cookie))
        .form(&[("section_id", "987654"), ("csrf_token", s.csrf.as_str())])
        .send()
        .await
        .expect("request");
    assert_ne!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn hsts_is_sent_exactly_when_cookies_are_secure() {
    let plain = TestApp::spawn().await;
    let res = plain.get(&plain.client(), "/login").await;
    assert!(!res.headers().contains_key("strict-transport-security"));
    let secure = TestApp::spawn_with(|s| s.cookie_secure = true).await;
    let res = secure.get(&secure.client(), "/login").await;
    let hsts = res.headers()["strict-transport-security"]
        .to_str()
        .expect("ascii");
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");
}

#[tokio::test]
async fn metrics_move_to_the_operations_listener_when_one_is_configured() {
    let ops_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let app =
        TestApp::spawn_with(move |s| s.ops_listen = Some(format!("127.0.0.1:{ops_port}"))).await;
    let _ = app.get(&app.client(), "/healthz").await;
    let main = app.get(&app.client(), "/metrics").await;
    assert_eq!(
        main.status(),
        StatusCode::NOT_FOUND,
        "not on the public listener"
    );
    let res = app
        .client()
        .get(format!("http://127.0.0.1:{ops_port}/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .text()
        .await
        .expect("text")
        .contains("http_requests_total"));
    // Without the setting (local development) the main listener keeps serving it.
    let plain = TestApp::spawn().await;
    assert_eq!(
        plain.get(&plain.client(), "/metrics").await.status(),
        StatusCode::OK
    );
}
