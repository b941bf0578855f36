use std::collections::HashSet;

use futures_util::future::join_all;
use reqwest::{header, StatusCode};
use serde_json::json;

use crate::helpers::{error_code, session_cookie, TestApp, PASSWORD};

#[tokio::test]
async fn sign_in_returns_the_user_a_csrf_token_and_a_hardened_cookie() {
    let app = TestApp::spawn().await;
    app.insert_student("20250001");
    let client = app.client();
    let res = app.post_session(&client, "20250001", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sugang_session="))
        .expect("session cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let value = session_cookie(&res).expect("value");
    assert_eq!(value.len(), 64, "256-bit session id in hex");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["user"]["login_id"], "20250001");
    assert_eq!(body["user"]["role"], "student");
    assert_eq!(body["csrf_token"].as_str().expect("token").len(), 64);

    let me = app.get_me(&client).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.expect("json");
    assert_eq!(me["login_id"], "20250001");
}

#[tokio::test]
async fn wrong_password_and_unknown_id_are_refused_alike() {
    let app = TestApp::spawn().await;
    app.insert_student("20250002");
    let client = app.client();
    let wrong = app
        .post_session(&client, "20250002", "not the password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong).is_none());
    let wrong_body: serde_json::Value = wrong.json().await.expect("json");
    let unknown = app.post_session(&client, "29999999", "whatever").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown_body: serde_json::Value = unknown.json().await.expect("json");
    assert_eq!(wrong_body["error"]["code"], "bad_credentials");
    assert_eq!(
        wrong_body["error"], unknown_body["error"],
        "no hint which ids exist"
    );
    assert_eq!(app.get_me(&client).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn empty_oversized_and_malformed_sign_ins_get_clear_4xx_errors() {
    let app = TestApp::spawn().await;
    app.insert_student("20250003");
    let client = app.client();
    let cases = [
        (
            json!({"login_id": "", "password": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "login_id",
        ),
        (
            json!({"login_id": "20250003", "password": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            json!({"password": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "login_id",
        ),
        (
            json!({"login_id": "9".repeat(33), "password": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "login_id",
        ),
        (
            json!({"login_id": "20250003", "password": "p".repeat(129)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            json!({"login_id": "a'; DROP TABLE users; --", "password": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "login_id",
        ),
    ];
    for (body, status, field) in cases {
        let res = client
            .post(app.url("/api/v1/session"))
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), status, "{body}");
        let err: serde_json::Value = res.json().await.expect("json");
        assert_eq!(err["error"]["code"], "validation");
        assert_eq!(err["error"]["field"], field);
        assert!(!err["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    let malformed = client
        .post(app.url("/api/v1/session"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(malformed).await, "bad_request");
    let form = client
        .post(app.url("/api/v1/session"))
        .body("login_id=1")
        .send()
        .await
        .expect("request");
    assert_eq!(form.status(), StatusCode::BAD_REQUEST);
    let huge = client
        .post(app.url("/api/v1/session"))
        .json(&json!({"login_id": "20250003", "password": "x".repeat(200_000)}))
        .send()
        .await
        .expect("request");
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // None of it signed anybody in.
    assert_eq!(app.get_me(&client).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failures_throttle_the_account_even_for_the_right_password() {
    let app = TestApp::spawn_with(|s| {
        s.login_account_limit = 3;
        s.login_delay = std::time::Duration::ZERO;
    })
    .await;
    app.insert_student("20250004");
    let client = app.client();
    for _ in 0..3 {
        assert_eq!(
            app.post_session(&client, "20250004", "guess")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = app.post_session(&client, "20250004", PASSWORD).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = throttled.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    assert_eq!(error_code(throttled).await, "rate_limited");
    // Another account from the same address is unaffected.
    app.insert_student("20250005");
    assert_eq!(
        app.post_session(&client, "20250005", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_address_is_throttled_across_accounts() {
    let app = TestApp::spawn_with(|s| {
        s.login_address_limit = 4;
        s.login_delay = std::time::Duration::ZERO;
    })
    .await;
    let client = app.client();
    for i in 0..4 {
        let res = app
            .post_session(&client, &format!("2025100{i}"), "guess")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.post_session(&client, "20251009", "guess").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn the_session_cookie_changes_at_every_sign_in() {
    let app = TestApp::spawn().await;
    app.insert_student("20250006");
    let client = app.client();
    let first =
        session_cookie(&app.post_session(&client, "20250006", PASSWORD).await).expect("first");
    let second =
        session_cookie(&app.post_session(&client, "20250006", PASSWORD).await).expect("second");
    assert_ne!(first, second);
}

#[tokio::test]
async fn after_sign_out_the_old_cookie_is_refused() {
    let app = TestApp::spawn().await;
    app.insert_student("20250007");
    let client = app.client();
    let res = app.post_session(&client, "20250007", PASSWORD).await;
    let cookie = session_cookie(&res).expect("cookie");
    let csrf = res.json::<serde_json::Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("t")
        .to_string();
    assert_eq!(
        app.delete_session(&client, Some(&csrf)).await.status(),
        StatusCode::NO_CONTENT
    );
    // A client that kept the old cookie (a copy, a stolen value) gets nowhere.
    let replay = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header(header::COOKIE, format!("sugang_session={cookie}"))
        .send()
        .await
        .expect("request");
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(replay).await, "unauthenticated");
}

#[tokio::test]
async fn fifty_parallel_sign_ins_leave_exactly_one_valid_session() {
    let app = TestApp::spawn().await;
    app.insert_student("20250008");
    let clients: Vec<_> = (0..50).map(|_| app.client()).collect();
    let results = join_all(
        clients
            .iter()
            .map(|c| app.post_session(c, "20250008", PASSWORD)),
    )
    .await;
    let mut cookies = HashSet::new();
    for res in results {
        assert_eq!(res.status(), StatusCode::OK);
        cookies.insert(session_cookie(&res).expect("cookie"));
    }
    assert_eq!(cookies.len(), 50, "every sign-in got its own session id");
    let checks = join_all(clients.iter().map(|c| app.get_me(c))).await;
    let mut valid = 0;
    for res in checks {
        match res.status() {
            StatusCode::OK => valid += 1,
            StatusCode::UNAUTHORIZED => assert_eq!(error_code(res).await, "session_replaced"),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(valid, 1);
}

#[tokio::test]
async fn an_older_session_is_told_it_was_replaced() {
    let app = TestApp::spawn().await;
    app.insert_student("20250009");
    let (laptop, phone) = (app.client(), app.client());
    app.sign_in(&laptop, "20250009").await;
    assert_eq!(app.get_me(&laptop).await.status(), StatusCode::OK);
    app.sign_in(&phone, "20250009").await;
    let api = app.get_me(&laptop).await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(api).await, "session_replaced");
    assert_eq!(app.get_me(&phone).await.status(), StatusCode::OK);

    // A page sends the older client to sign in with the notice.
    app.sign_in(&laptop, "20250009").await;
    let page = app.get(&phone, "/").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    let location = page.headers()[header::LOCATION]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(location.starts_with("/login?notice=replaced"), "{location}");
    let login = app.get(&phone, &location).await;
    let html = login.text().await.expect("html");
    assert!(html.contains("data-notice=\"login.notice.replaced\""));
    assert!(
        html.contains("다른 곳에서 로그인"),
        "Korean notice by default"
    );
}

#[tokio::test]
async fn state_changes_without_the_right_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.insert_student("20250010");
    let client = app.client();
    let csrf = app.sign_in(&client, "20250010").await;

    let missing = app.delete_session(&client, None).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(missing).await, "csrf");
    let wrong = app.delete_session(&client, Some(&"0".repeat(64))).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let form = client
        .post(app.url("/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .expect("request");
    assert_eq!(form.status(), StatusCode::FORBIDDEN);
    let cross_site = client
        .delete(app.url("/api/v1/session"))
        .header("X-CSRF-Token", &csrf)
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .expect("request");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_me(&client).await.status(),
        StatusCode::OK,
        "still signed in"
    );

    // The form with the right token signs out.
    let ok = client
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get_me(&client).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn students_cannot_open_registrar_routes() {
    let app = TestApp::spawn().await;
    app.insert_current_term();
    app.insert_student("20250011");
    app.insert_registrar("staff01");
    let student = app.client();
    app.sign_in(&student, "20250011").await;
    let page = app.get(&student, "/admin").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.headers()[header::CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let api = app.get(&student, "/api/v1/admin/summary").await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(api).await, "forbidden");

    let anonymous = app.get(&app.client(), "/api/v1/admin/summary").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let registrar = app.client();
    app.sign_in(&registrar, "staff01").await;
    let summary = app.get(&registrar, "/api/v1/admin/summary").await;
    assert_eq!(summary.status(), StatusCode::OK);
    let body: serde_json::Value = summary.json().await.expect("json");
    assert_eq!(body["students"], 1);
    assert_eq!(app.get(&registrar, "/admin").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_sign_in_form_works_and_needs_its_form_token() {
    let app = TestApp::spawn().await;
    app.insert_current_term();
    app.insert_student("20250012");
    let client = app.client();
    let page = app.get(&client, "/login?next=/timetable").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    let token = html
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("form token in page")
        .to_string();

    let forged = app
        .client()
        .post(app.url("/login"))
        .form(&[
            ("login_id", "20250012"),
            ("password", PASSWORD),
            ("form_token", token.as_str()),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "a token without its cookie is refused"
    );

    let bad = client
        .post(app.url("/login"))
        .form(&[
            ("login_id", "20250012"),
            ("password", "nope"),
            ("form_token", token.as_str()),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert!(bad
        .text()
        .await
        .expect("html")
        .contains("id=\"login-error\""));

    let ok = client
        .post(app.url("/login"))
        .form(&[
            ("login_id", "20250012"),
            ("password", PASSWORD),
            ("form_token", token.as_str()),
            ("next", "/timetable"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()[header::LOCATION], "/timetable");
    let home = app.get(&client, "/").await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.expect("html");
    assert!(
        html.contains("2027학년도 1학기"),
        "home shows the current term"
    );
    assert!(html.contains("18학점"), "home shows the credit limit");
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = TestApp::spawn_with(|s| {
        s.session_idle = std::time::Duration::from_secs(1);
        s.session_absolute = std::time::Duration::from_secs(60);
    })
    .await;
    app.insert_student("20250013");
    let client = app.client();
    app.sign_in(&client, "20250013").await;
    assert_eq!(app.get_me(&client).await.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert_eq!(app.get_me(&client).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn answers_to_a_signed_in_client_carry_the_time_its_session_has_left() {
    let app = TestApp::spawn_with(|s| {
        s.session_idle = std::time::Duration::from_secs(900);
        s.session_absolute = std::time::Duration::from_secs(600);
    })
    .await;
    app.insert_student("20250077");
    let client = app.client();
    let anonymous = app.get_me(&client).await;
    assert!(
        anonymous
            .headers()
            .get("x-session-idle-remaining")
            .is_none(),
        "nobody signed in, nothing to announce"
    );
    app.post_session(&client, "20250077", PASSWORD).await;
    let me = app.get_me(&client).await;
    assert_eq!(me.status(), StatusCode::OK);
    let left: i64 = me
        .headers()
        .get("x-session-idle-remaining")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("the header");
    // The absolute limit (10 minutes from sign-in) comes before the idle one (15 minutes).
    assert!((595..=600).contains(&left), "{left}");
    // The page names the end and carries the figure for the warning.
    let page = app.get(&client, "/").await.text().await.expect("page");
    assert!(page.contains("id=\"session-ends\""), "footer line");
    assert!(page.contains("data-warn-before=\"300\""), "warning lead");
}
