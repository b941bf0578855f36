//! Registrar accounts in the console: create (one-time password, forced change), disable (the
//! session ends at once, sign-in refused with `account_disabled`), enable, issue a one-time
//! password; the refusals (self, last active, bad input, no CSRF) change nothing; every change is
//! in the activity log with its actor.

use diesel::prelude::*;
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

use sugang::db::schema::{activity_log, one_time_passwords, users};

use crate::helpers::console::{get_text, post_form};
use crate::helpers::{error_code, RegStudent, TestApp};

const NEW_PASSWORD: &str = "lantern-river-quietly-47";

fn one_time_password_of(html: &str) -> String {
    html.split("id=\"one-time-password\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the password is shown")
        .to_string()
}

fn id_of(app: &TestApp, login: &str) -> i32 {
    users::table
        .filter(users::login_id.eq(login))
        .select(users::id)
        .first(&mut app.conn())
        .expect("user")
}

fn disabled(app: &TestApp, id: i32) -> bool {
    users::table
        .find(id)
        .select(users::disabled_at)
        .first::<Option<chrono::NaiveDateTime>>(&mut app.conn())
        .expect("user")
        .is_some()
}

fn registrar_count(app: &TestApp) -> i64 {
    users::table
        .filter(users::role.eq("registrar"))
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

/// (actor, action, detail) of every account line.
fn account_lines(app: &TestApp) -> Vec<(Option<i32>, String, Option<String>)> {
    activity_log::table
        .filter(activity_log::action.eq_any([
            "account_create",
            "account_disable",
            "account_enable",
            "one_time_password",
        ]))
        .order(activity_log::id.asc())
        .select((
            activity_log::actor_id,
            activity_log::action,
            activity_log::detail,
        ))
        .load(&mut app.conn())
        .expect("lines")
}

async fn create(app: &TestApp, who: &RegStudent, login: &str, name: &str) -> reqwest::Response {
    post_form(
        app,
        who,
        "/admin/registrars?lang=en",
        &[("login_id", login), ("name", name)],
    )
    .await
}

/// Signs in through the API with a fresh client; returns it and the answer's body.
async fn api_sign_in(app: &TestApp, login: &str, password: &str) -> (Client, StatusCode, Value) {
    let client = app.client();
    let res = app.post_session(&client, login, password).await;
    let status = res.status();
    let body: Value = res.json().await.expect("json");
    (client, status, body)
}

#[tokio::test]
async fn a_registrar_created_in_the_console_signs_in_once_and_must_change_the_password() {
    let app = TestApp::spawn().await;
    let boss = app.registrar("registrar-t").await;

    let (status, page) = get_text(&app, &boss, "/admin/registrars").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-registrar=\"registrar-t\""), "{page}");

    let res = create(&app, &boss, "reg-kim", "Kim Registrar").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let otp = one_time_password_of(&res.text().await.expect("html"));
    let new_id = id_of(&app, "reg-kim");
    let stored: String = users::table
        .find(new_id)
        .select(users::password_hash)
        .first(&mut app.conn())
        .expect("hash");
    assert!(stored.starts_with("$argon2id$"), "only a hash is stored");
    assert!(!stored.contains(&otp));

    let (status, page) = get_text(&app, &boss, "/admin/registrars").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("data-registrar=\"reg-kim\" data-status=\"active\""),
        "{page}"
    );

    // The new registrar signs in with the one-time password and is held to the change.
    let (client, status, body) = api_sign_in(&app, "reg-kim", &otp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["role"], "registrar");
    let csrf = body["csrf_token"].as_str().expect("csrf").to_string();
    let res = app.get(&client, "/api/v1/admin/summary").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "password_change_required");
    let res = client
        .post(app.url("/api/v1/account/password"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({
            "current_password": otp,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        }))
        .send()
        .await
        .expect("request");
    assert!(res.status().is_success(), "{}", res.status());

    // The one-time password was single use; the new password works and opens the console.
    let (_, status, _) = api_sign_in(&app, "reg-kim", &otp).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (client, status, _) = api_sign_in(&app, "reg-kim", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let res = app.get(&client, "/api/v1/admin/summary").await;
    assert_eq!(res.status(), StatusCode::OK);

    let lines = account_lines(&app);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].0, Some(boss.id));
    assert_eq!(lines[0].1, "account_create");
    assert!(
        lines[0].2.as_deref().unwrap_or("").contains("reg-kim"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn disabling_ends_the_live_session_at_once_and_refuses_sign_in() {
    let app = TestApp::spawn().await;
    let boss = app.registrar("registrar-t").await;
    let other = app.insert_registrar("reg-lee");
    let student = app.insert_student("20250301");

    // reg-lee works in the console pages.
    let (pages, status, _) = api_sign_in(&app, "reg-lee", crate::helpers::PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let res = app.get(&pages, "/admin/registrars").await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = post_form(
        &app,
        &boss,
        &format!("/admin/registrars/{other}/disable?lang=en"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/admin/registrars");
    assert!(disabled(&app, other));

    // The page session (the latest sign-in) is told at its next request.
    let res = app.get(&pages, "/admin/registrars").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()[header::LOCATION].to_str().expect("location");
    assert!(location.starts_with("/login?notice=disabled"), "{location}");

    // Signing in again: the right password is told `account_disabled`, a wrong one only
    // `bad_credentials` (nothing about the account's state without its password).
    let (_, status, body) = api_sign_in(&app, "reg-lee", crate::helpers::PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "account_disabled", "{body}");
    let (_, status, body) = api_sign_in(&app, "reg-lee", "not-the-password-1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "bad_credentials", "{body}");

    // An API session of the disabled account answers 401 `account_disabled` at once.
    let (api, status, _) = {
        // Enable, sign in through the API, disable again: the live API session ends.
        let res = post_form(
            &app,
            &boss,
            &format!("/admin/registrars/{other}/enable"),
            &[],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(!disabled(&app, other));
        api_sign_in(&app, "reg-lee", crate::helpers::PASSWORD).await
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.get(&api, "/api/v1/admin/summary").await.status(),
        StatusCode::OK
    );
    let res = post_form(
        &app,
        &boss,
        &format!("/admin/registrars/{other}/disable"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app.get(&api, "/api/v1/admin/summary").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "account_disabled");

    // The console shows it disabled; the activity log has each change with its actor.
    let (_, page) = get_text(&app, &boss, "/admin/registrars").await;
    assert!(
        page.contains("data-registrar=\"reg-lee\" data-status=\"disabled\""),
        "{page}"
    );
    let lines = account_lines(&app);
    let actions: Vec<&str> = lines.iter().map(|l| l.1.as_str()).collect();
    assert_eq!(
        actions,
        ["account_disable", "account_enable", "account_disable"]
    );
    assert!(lines.iter().all(|l| l.0 == Some(boss.id)), "{lines:?}");
    assert!(lines
        .iter()
        .all(|l| l.2.as_deref().unwrap_or("").contains("reg-lee")));
    // Students are not registrar accounts: this page cannot disable them.
    let res = post_form(
        &app,
        &boss,
        &format!("/admin/registrars/{student}/disable"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!disabled(&app, student));
}

#[tokio::test]
async fn a_registrar_cannot_disable_themselves_nor_the_last_active_registrar() {
    let app = TestApp::spawn().await;
    let boss = app.registrar("registrar-t").await;

    let res = post_form(
        &app,
        &boss,
        &format!("/admin/registrars/{}/disable?lang=en", boss.id),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("You cannot disable your own account"),
        "{html}"
    );
    assert!(!disabled(&app, boss.id));

    // The last active registrar: boss's own account was disabled by a concurrent request (committed,
    // its session not yet ended), so reg-park is the only active one and must stay so.
    let peer = app.insert_registrar("reg-park");
    diesel::update(users::table.find(boss.id))
        .set(users::disabled_at.eq(Some(chrono::Utc::now().naive_utc())))
        .execute(&mut app.conn())
        .expect("disable boss");
    let res = post_form(
        &app,
        &boss,
        &format!("/admin/registrars/{peer}/disable?lang=en"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("The last active registrar account cannot be disabled"),
        "{html}"
    );
    assert!(!disabled(&app, peer));
    assert!(account_lines(&app).is_empty(), "nothing was logged as done");
}

#[tokio::test]
async fn bad_input_is_refused_beside_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let boss = app.registrar("registrar-t").await;
    app.insert_student("20250401");
    let before = registrar_count(&app);

    for (login, name, expected) in [
        ("registrar-t", "Taken", "This login id is taken"),
        ("20250401", "A student's number", "This login id is taken"),
        ("", "No login", "This is required"),
        ("bad id!", "Spaces", "A login id may hold only letters"),
        (
            "a-login-id-that-is-far-too-long-for-us",
            "Long",
            "A login id is at most 32 characters",
        ),
        ("reg-ok", "   ", "This is required"),
    ] {
        let res = create(&app, &boss, login, name).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{login:?}");
        let html = res.text().await.expect("html");
        assert!(html.contains(expected), "{login:?}: {html}");
        assert!(html.contains("class=\"field-error\""), "beside the field");
    }
    assert_eq!(registrar_count(&app), before);

    // No CSRF token: refused before anything happens.
    let bare = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = bare
        .post(app.url("/admin/registrars"))
        .header(header::COOKIE, format!("sugang_session={}", boss.cookie))
        .form(&[("login_id", "reg-nocsrf"), ("name", "No token")])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(registrar_count(&app), before);
    let res = bare
        .post(app.url(&format!("/admin/registrars/{}/disable", boss.id + 1)))
        .header(header::COOKIE, format!("sugang_session={}", boss.cookie))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Accounts that do not exist (or are not registrars).
    for path in [
        "/admin/registrars/999999/one-time-password",
        "/admin/registrars/999999/disable",
        "/admin/registrars/999999/enable",
    ] {
        let res = post_form(&app, &boss, path, &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let res = boss
        .client
        .post(app.url("/api/v1/admin/one-time-passwords"))
        .json(&json!({ "login_ids": ["nobody-here"] }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "no_such_user");
    let pending: i64 = one_time_passwords::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(pending, 0);
    assert!(account_lines(&app).is_empty());
}

#[tokio::test]
async fn a_one_time_password_for_a_registrar_ends_the_session_and_forces_a_change() {
    let app = TestApp::spawn().await;
    let boss = app.registrar("registrar-t").await;
    let other = app.insert_registrar("reg-han");
    let (old, status, _) = api_sign_in(&app, "reg-han", crate::helpers::PASSWORD).await;
    assert_eq!(status, StatusCode::OK);

    let res = post_form(
        &app,
        &boss,
        &format!("/admin/registrars/{other}/one-time-password"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let otp = one_time_password_of(&res.text().await.expect("html"));
    assert_eq!(
        app.get(&old, "/api/v1/admin/summary").await.status(),
        StatusCode::UNAUTHORIZED,
        "the registrar's session ended"
    );
    let (_, status, _) = api_sign_in(&app, "reg-han", crate::helpers::PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is gone");
    let (client, status, _) = api_sign_in(&app, "reg-han", &otp).await;
    assert_eq!(status, StatusCode::OK);
    let res = app.get(&client, "/admin/registrars").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/account/password");

    let lines = account_lines(&app);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].0, Some(boss.id));
    assert_eq!(lines[0].1, "one_time_password");
    assert!(lines[0].2.as_deref().unwrap_or("").contains("reg-han"));
}

#[tokio::test]
async fn a_student_disabled_from_the_student_page_is_signed_out_and_refused() {
    let app = TestApp::spawn().await;
    let boss = app.registrar("registrar-t").await;
    let student = app.insert_student("20250501");
    let (client, status, _) = api_sign_in(&app, "20250501", crate::helpers::PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get_me(&client).await.status(), StatusCode::OK);

    let res = post_form(
        &app,
        &boss,
        &format!("/admin/students/{student}/disable"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()[header::LOCATION],
        format!("/admin/students/{student}").as_str()
    );
    let res = app.get_me(&client).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "account_disabled");
    let (_, status, body) = api_sign_in(&app, "20250501", crate::helpers::PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "account_disabled");
    let (_, page) = get_text(&app, &boss, &format!("/admin/students/{student}")).await;
    assert!(page.contains("data-status=\"disabled\""), "{page}");

    let res = post_form(
        &app,
        &boss,
        &format!("/admin/students/{student}/enable"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, status, _) = api_sign_in(&app, "20250501", crate::helpers::PASSWORD).await;
    assert_eq!(status, StatusCode::OK);

    let lines: Vec<(Option<i32>, Option<i32>, String)> = activity_log::table
        .filter(activity_log::action.eq_any(["account_disable", "account_enable"]))
        .order(activity_log::id.asc())
        .select((
            activity_log::actor_id,
            activity_log::student_id,
            activity_log::action,
        ))
        .load(&mut app.conn())
        .expect("lines");
    assert_eq!(
        lines,
        [
            (Some(boss.id), Some(student), "account_disable".to_string()),
            (Some(boss.id), Some(student), "account_enable".to_string()),
        ]
    );
    // A registrar is not a student: the student route does not touch registrar accounts.
    let res = post_form(
        &app,
        &boss,
        &format!("/admin/students/{}/disable", boss.id),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!disabled(&app, boss.id));
}
