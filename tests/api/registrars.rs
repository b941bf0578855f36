//! Registrar accounts in the console: created with a one-time password, forced to change it,
//! disabled (sessions end at once, sign-in refused) and enabled again; bad input changes nothing.

use diesel::prelude::*;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use sugang::db::schema::{activity_log, users};

use crate::admin_controls::{post_form, staff};
use crate::helpers::{RegStudent, TestApp};

const NEW_PASSWORD: &str = "registrar-own-passphrase-2026";

fn one_time_password(html: &str) -> String {
    let start = html
        .find("id=\"one-time-password\">")
        .expect("password shown")
        + 23;
    html[start..]
        .split('<')
        .next()
        .expect("password")
        .to_string()
}

fn registrar_count(app: &TestApp) -> i64 {
    users::table
        .filter(users::role.eq("registrar"))
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

fn id_of(app: &TestApp, login: &str) -> i32 {
    users::table
        .filter(users::login_id.eq(login))
        .select(users::id)
        .first(&mut app.conn())
        .expect("id")
}

/// A client signed in through the API with the cookie kept, and its CSRF token.
async fn api_session(app: &TestApp, login: &str, password: &str) -> (reqwest::Client, String) {
    let client = app.client();
    let res = app.post_session(&client, login, password).await;
    assert_eq!(res.status(), StatusCode::OK, "sign-in of {login}");
    let body: Value = res.json().await.expect("json");
    (
        client,
        body["csrf_token"].as_str().expect("csrf").to_string(),
    )
}

async fn code_of(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn a_registrar_creates_a_registrar_who_must_change_the_password_and_can_be_disabled() {
    let app = TestApp::spawn().await;
    let admin = staff(&app).await;

    let res = post_form(
        &app,
        &admin,
        "/admin/registrars",
        &[("login_id", "registrar-new"), ("name", "새 교직원")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().expect("ascii")),
        Some("no-store")
    );
    let otp = one_time_password(&res.text().await.expect("html"));
    let new_id = id_of(&app, "registrar-new");
    let listed = admin
        .client
        .get(app.url("/admin/registrars"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(listed.contains(&format!(
        "data-registrar=\"{new_id}\" data-state=\"active\""
    )));

    // The one-time password signs in only to change the password.
    let (client, csrf) = api_session(&app, "registrar-new", &otp).await;
    let res = client
        .get(app.url("/api/v1/admin/summary"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        code_of(res).await,
        (StatusCode::FORBIDDEN, "password_change_required".into())
    );
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
    assert_eq!(res.status(), StatusCode::OK);
    let res = client
        .get(app.url("/api/v1/admin/summary"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);

    // Disabled: the live session ends at once and the right password no longer signs in.
    let res = post_form(
        &app,
        &admin,
        &format!("/admin/registrars/{new_id}/disable"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = client
        .get(app.url("/api/v1/admin/summary"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .post_session(&app.client(), "registrar-new", NEW_PASSWORD)
        .await;
    assert_eq!(
        code_of(res).await,
        (StatusCode::FORBIDDEN, "account_disabled".into())
    );
    // A wrong password still says only that the credentials are wrong.
    let res = app
        .post_session(&app.client(), "registrar-new", "wrong-password-1234")
        .await;
    assert_eq!(
        code_of(res).await,
        (StatusCode::UNAUTHORIZED, "bad_credentials".into())
    );

    // Enabled again: the password works.
    let res = post_form(
        &app,
        &admin,
        &format!("/admin/registrars/{new_id}/enable"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    api_session(&app, "registrar-new", NEW_PASSWORD).await;

    // A new one-time password from the console ends the sessions again and must be changed.
    let res = post_form(
        &app,
        &admin,
        &format!("/admin/registrars/{new_id}/one-time-password"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let otp2 = one_time_password(&res.text().await.expect("html"));
    assert_ne!(otp2, otp);
    let (client, _) = api_session(&app, "registrar-new", &otp2).await;
    let res = client
        .get(app.url("/api/v1/admin/summary"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        code_of(res).await,
        (StatusCode::FORBIDDEN, "password_change_required".into())
    );

    // Every change is in the activity log with the registrar who made it.
    let mut lines: Vec<String> = activity_log::table
        .filter(activity_log::actor_id.eq(admin.id))
        .filter(activity_log::student_id.eq(new_id))
        .select(activity_log::action)
        .load(&mut app.conn())
        .expect("lines");
    lines.sort();
    assert_eq!(
        lines,
        [
            "account_disable",
            "account_enable",
            "one_time_password",
            "one_time_password",
            "registrar_create"
        ]
    );
}

#[tokio::test]
async fn bad_registrar_account_changes_are_refused_beside_the_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let admin = staff(&app).await;
    let before = registrar_count(&app);
    for (login, name, field) in [
        ("registrar-t", "중복", "login_id-error"),
        ("", "이름", "login_id-error"),
        ("has space", "이름", "login_id-error"),
        ("ok-login", "", "name-error"),
        ("ok-login", "x\u{7}bell", "name-error"),
    ] {
        let res = post_form(
            &app,
            &admin,
            "/admin/registrars",
            &[("login_id", login), ("name", name)],
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{login:?} {name:?}"
        );
        let html = res.text().await.expect("html");
        assert!(html.contains(field), "{login:?} {name:?}: {field}");
        assert_eq!(registrar_count(&app), before);
    }

    // Without the CSRF token: refused, nothing created.
    let res = reqwest::Client::new()
        .post(app.url("/admin/registrars"))
        .header(header::COOKIE, format!("sugang_session={}", admin.cookie))
        .form(&[("login_id", "sneaky"), ("name", "x")])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(registrar_count(&app), before);

    // Not oneself; and no account that is not a registrar's.
    let res = post_form(
        &app,
        &admin,
        &format!("/admin/registrars/{}/disable", admin.id),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("account-error"));
    let student = app.insert_student("20270077");
    for path in [
        format!("/admin/registrars/{student}/disable"),
        format!("/admin/registrars/{student}/enable"),
        format!("/admin/registrars/{student}/one-time-password"),
        "/admin/registrars/987654/one-time-password".to_string(),
    ] {
        let res = post_form(&app, &admin, &path, &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let disabled: i64 = users::table
        .filter(users::disabled_at.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(disabled, 0);

    // Students never reach the page.
    let student_client: RegStudent = app.reg_sign_in(student).await;
    let res = student_client
        .client
        .get(app.url("/admin/registrars"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// Two registrars disabling each other at the same moment: exactly one succeeds, so an active
/// registrar always remains.
#[tokio::test]
async fn two_registrars_disabling_each_other_leave_one_active() {
    let app = TestApp::spawn().await;
    let a = staff(&app).await;
    let b_id = app.insert_registrar("registrar-b");
    let (b_cookie, b_session) = app
        .state
        .sessions
        .sign_in(
            b_id,
            "registrar-b",
            "교무처 B",
            sugang::auth::Role::Registrar,
        )
        .await
        .expect("session");
    // Only these two are registrars.
    assert_eq!(registrar_count(&app), 2);
    let b_form = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let a_path = format!("/admin/registrars/{b_id}/disable");
    let a_disables_b = post_form(&app, &a, &a_path, &[]);
    let b_disables_a = b_form
        .post(app.url(&format!("/admin/registrars/{}/disable", a.id)))
        .header(header::COOKIE, format!("sugang_session={b_cookie}"))
        .form(&[("csrf_token", b_session.csrf_token.as_str())])
        .send();
    let (r1, r2) = tokio::join!(a_disables_b, b_disables_a);
    let r2 = r2.expect("request");
    let statuses = [r1.status(), r2.status()];
    let active: i64 = users::table
        .filter(users::role.eq("registrar"))
        .filter(users::disabled_at.is_null())
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(active, 1, "statuses {statuses:?}");
    assert!(statuses.contains(&StatusCode::SEE_OTHER), "{statuses:?}");
}
