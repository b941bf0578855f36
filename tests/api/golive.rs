//! The first day of a real deployment, end to end from an empty database: the first registrar
//! from the command line, students imported without passwords, one-time passwords issued, a
//! student forced to change the password, then registering.

use diesel::prelude::*;
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

use sugang::accounts::create::{create_account, CreateAccount, PasswordSource};
use sugang::auth::Role;
use sugang::db::schema::{activity_log, one_time_passwords, users};

use crate::helpers::console::{post_form, upload, upload_id};
use crate::helpers::{error_code, RegStudent, SectionBuilder, TestApp};

const REGISTRAR_PASSWORD: &str = "first-day-registrar-2026";
const STUDENT_PASSWORD: &str = "my-own-password-2026";

async fn sign_in(app: &TestApp, login: &str, password: &str) -> reqwest::Response {
    app.post_session(&app.client(), login, password).await
}

/// A client signed in through the API (cookie kept), with its CSRF token.
async fn signed_in(app: &TestApp, login: &str, password: &str) -> RegStudent {
    let client = app.client();
    let res = app.post_session(&client, login, password).await;
    assert_eq!(res.status(), StatusCode::OK, "sign-in of {login}");
    let body: Value = res.json().await.expect("json");
    RegStudent {
        id: body["user"]["id"].as_i64().expect("id") as i32,
        client,
        csrf: body["csrf_token"].as_str().expect("csrf").to_string(),
        cookie: String::new(),
    }
}

async fn issue(app: &TestApp, who: &RegStudent, body: Value) -> reqwest::Response {
    who.client
        .post(app.url("/api/v1/admin/one-time-passwords"))
        .header("X-CSRF-Token", &who.csrf)
        .json(&body)
        .send()
        .await
        .expect("request")
}

fn parse_csv(text: &str) -> Vec<(String, String)> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("login_id,one_time_password,expires_at"));
    lines
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            (cols[0].to_string(), cols[1].to_string())
        })
        .collect()
}

async fn enroll(app: &TestApp, who: &RegStudent, section: i32) -> reqwest::Response {
    who.client
        .post(app.url("/api/v1/enrollments"))
        .header("X-CSRF-Token", &who.csrf)
        .json(&json!({ "section_id": section }))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn from_an_empty_database_to_a_student_registered_with_a_password_of_their_own() {
    let app = TestApp::spawn().await;
    let count: i64 = users::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(count, 0);

    // The first registrar, as `sugang user create --role registrar --login reg-0001` does it.
    let mut stdin = std::io::Cursor::new(format!("{REGISTRAR_PASSWORD}\n").into_bytes());
    create_account(
        &mut app.conn(),
        CreateAccount {
            role: Role::Registrar,
            login_id: "reg-0001",
            name: Some("교무처 담당자"),
            password: PasswordSource::Read(&mut stdin),
        },
    )
    .expect("registrar created");
    let registrar = signed_in(&app, "reg-0001", REGISTRAR_PASSWORD).await;

    // The term and a section to register for.
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE1001", 3);
    let section = app.reg_section(SectionBuilder::of(fx.term_id, course).capacity(30));

    // Students imported by CSV without a password.
    let file = "login_id,name,department,class_year\n20269101,Kim,CSE,2\n20269102,Lee,CSE,2\n";
    let res = upload(&app, &registrar, "students", file.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = upload_id(&res.text().await.expect("html")).expect("apply button");
    let res = post_form(&app, &registrar, "/admin/import/apply", &[("upload", &id)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // A registrar naming an unknown login id gets a specific error and nothing is issued.
    let res = issue(
        &app,
        &registrar,
        json!({"login_ids": ["20269101", "29999999"]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "no_such_user");
    let pending: i64 = one_time_passwords::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(pending, 0);

    // One-time passwords for every student without a password: a CSV, shown once.
    let res = issue(&app, &registrar, json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let issued = parse_csv(&res.text().await.expect("csv"));
    assert_eq!(
        issued.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(),
        ["20269101", "20269102"]
    );
    let stored: Vec<String> = one_time_passwords::table
        .select(one_time_passwords::password_hash)
        .load(&mut app.conn())
        .expect("rows");
    assert_eq!(stored.len(), 2);
    for (_, otp) in &issued {
        assert!(stored
            .iter()
            .all(|h| h.starts_with("$argon2id$") && !h.contains(otp.as_str())));
    }
    // Issued once: asking again finds nobody left without a password.
    let res = issue(&app, &registrar, json!({})).await;
    assert_eq!(parse_csv(&res.text().await.expect("csv")).len(), 0);

    // The student signs in with the one-time password and can do nothing but change it.
    let otp = issued[0].1.clone();
    let student = signed_in(&app, "20269101", &otp).await;
    let res = student
        .client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "password_change_required");
    let res = enroll(&app, &student, section).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "password_change_required");
    let res = student
        .client
        .get(app.url("/courses"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/account/password");
    assert_eq!(
        student
            .client
            .get(app.url("/account/password"))
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::OK
    );

    // Single use: the same one-time password does not sign in again.
    let res = sign_in(&app, "20269101", &otp).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "one_time_password_used");

    // The change opens everything; the one-time password is gone.
    let res = student
        .client
        .post(app.url("/api/v1/account/password"))
        .header("X-CSRF-Token", &student.csrf)
        .json(&json!({"current_password": otp, "new_password": STUDENT_PASSWORD, "new_password_confirm": STUDENT_PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let csrf = res.json::<Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string();
    let student = RegStudent { csrf, ..student };
    let res = enroll(&app, &student, section).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let pending: i64 = one_time_passwords::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(pending, 1, "only the other student's is still pending");
    let student = signed_in(&app, "20269101", STUDENT_PASSWORD).await;

    // The other student's one-time password, once expired, is refused with its own code.
    diesel::update(one_time_passwords::table)
        .set(
            one_time_passwords::expires_at.eq(chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
                .expect("date")
                .and_hms_opt(0, 0, 0)
                .expect("time")),
        )
        .execute(&mut app.conn())
        .expect("expire");
    let res = sign_in(&app, "20269102", &issued[1].1).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "one_time_password_expired");

    // Students cannot issue one-time passwords.
    let res = issue(&app, &student, json!({})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Every step is in the activity log with its actor.
    let actions: Vec<(String, String, Option<i32>)> = activity_log::table
        .filter(activity_log::action.ne("enroll"))
        .order(activity_log::id)
        .select((
            activity_log::action,
            activity_log::outcome,
            activity_log::actor_id,
        ))
        .load(&mut app.conn())
        .expect("log");
    let has = |action: &str, outcome: &str, actor: Option<i32>| {
        actions
            .iter()
            .any(|(a, o, who)| a == action && o == outcome && *who == actor)
    };
    assert!(has("account_create", "ok", None), "{actions:?}");
    assert!(
        has("one_time_password", "ok", Some(registrar.id)),
        "{actions:?}"
    );
    assert!(
        has("login", "one_time_password", Some(student.id)),
        "{actions:?}"
    );
    assert!(
        has("login", "one_time_password_used", Some(student.id)),
        "{actions:?}"
    );
    assert!(
        has("password_change", "ok", Some(student.id)),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_registrar_issues_a_one_time_password_from_the_student_page_and_the_old_session_ends() {
    let app = TestApp::spawn().await;
    let student_id = app.insert_student("20250201");
    let old = Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    assert_eq!(
        app.post_session(&old, "20250201", crate::helpers::PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let registrar = app.registrar("registrar-t").await;
    let res = post_form(
        &app,
        &registrar,
        &format!("/admin/students/{student_id}/one-time-password?lang=en"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let html = res.text().await.expect("html");
    let otp = html
        .split("id=\"one-time-password\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the password is shown")
        .to_string();
    assert_eq!(
        app.get_me(&old).await.status(),
        StatusCode::UNAUTHORIZED,
        "the student's session ended"
    );
    assert_eq!(
        sign_in(&app, "20250201", crate::helpers::PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the old password no longer works"
    );
    assert_eq!(
        sign_in(&app, "20250201", &otp).await.status(),
        StatusCode::OK
    );

    let res = post_form(
        &app,
        &registrar,
        "/admin/students/999999/one-time-password",
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
