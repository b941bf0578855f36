//! Accounts from day one: `sugang user create` (its library code path), `sugang seed` refusing a
//! database with real accounts, and changing one's password (API and page).

use diesel::prelude::*;
use reqwest::{header, Client, StatusCode};
use serde_json::{json, Value};

use sugang::accounts::create::{create_account, CreateAccount, CreateError, PasswordSource};
use sugang::auth::account_error::PasswordProblem;
use sugang::auth::Role;
use sugang::db::schema::{activity_log, users};

use crate::helpers::{error_code, session_cookie, TestApp, PASSWORD};

const NEW_PASSWORD: &str = "lantern-river-quietly-47";

fn create(
    app: &TestApp,
    role: Role,
    login: &str,
    stdin: &str,
) -> Result<sugang::accounts::create::Created, CreateError> {
    let mut input = std::io::Cursor::new(stdin.as_bytes().to_vec());
    create_account(
        &mut app.conn(),
        CreateAccount {
            role,
            login_id: login,
            name: Some("Registrar One"),
            password: PasswordSource::Read(&mut input),
        },
    )
}

fn user_count(app: &TestApp) -> i64 {
    users::table
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

fn password_hash_of(app: &TestApp, login: &str) -> String {
    users::table
        .filter(users::login_id.eq(login))
        .select(users::password_hash)
        .first(&mut app.conn())
        .expect("user")
}

async fn change(app: &TestApp, client: &Client, csrf: &str, body: Value) -> reqwest::Response {
    client
        .post(app.url("/api/v1/account/password"))
        .header("X-CSRF-Token", csrf)
        .json(&body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn the_first_registrar_is_created_from_the_command_line_and_signs_in() {
    let app = TestApp::spawn().await;
    assert_eq!(user_count(&app), 0, "the database starts empty");
    let created =
        create(&app, Role::Registrar, "reg-0001", "first-day-secret-9\n").expect("created");
    assert_eq!(created.generated_password, None);
    let stored = password_hash_of(&app, "reg-0001");
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );

    let client = app.client();
    let res = app
        .post_session(&client, "reg-0001", "first-day-secret-9")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["user"]["role"], "registrar");
    assert_eq!(
        app.get(&client, "/admin").await.status(),
        StatusCode::OK,
        "the registrar reaches the console"
    );
    let logged: i64 = activity_log::table
        .filter(activity_log::action.eq("account_create"))
        .filter(activity_log::actor_id.is_null())
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn a_generated_password_is_returned_once_and_signs_in() {
    let app = TestApp::spawn().await;
    let created = create_account(
        &mut app.conn(),
        CreateAccount {
            role: Role::Student,
            login_id: "20260001",
            name: None,
            password: PasswordSource::Generate,
        },
    )
    .expect("created");
    let password = created.generated_password.expect("generated");
    assert!(!password_hash_of(&app, "20260001").contains(&password));
    let client = app.client();
    let res = app.post_session(&client, "20260001", &password).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["user"]["role"], "student");
    assert_eq!(
        body["user"]["name"], "20260001",
        "the name defaults to the login id"
    );
}

#[tokio::test]
async fn user_create_refuses_an_existing_login_and_bad_input_and_changes_nothing() {
    let app = TestApp::spawn().await;
    create(&app, Role::Registrar, "reg-0001", "first-day-secret-9\n").expect("created");
    let before = password_hash_of(&app, "reg-0001");

    let taken = create(&app, Role::Registrar, "reg-0001", "another-secret-99\n");
    assert!(
        matches!(taken, Err(CreateError::LoginTaken(_))),
        "{taken:?}"
    );
    let taken = create(&app, Role::Student, " reg-0001 ", "another-secret-99\n");
    assert!(
        matches!(taken, Err(CreateError::LoginTaken(_))),
        "{taken:?}"
    );
    assert!(taken
        .expect_err("refused")
        .to_string()
        .contains("already exists"));

    let bad_login = create(&app, Role::Registrar, "reg 0002", "another-secret-99\n");
    assert!(
        matches!(bad_login, Err(CreateError::BadLoginId(_))),
        "{bad_login:?}"
    );
    let empty = create(&app, Role::Registrar, "reg-0002", "");
    assert!(matches!(empty, Err(CreateError::NoPassword)), "{empty:?}");
    let short = create(&app, Role::Registrar, "reg-0002", "short\n");
    assert!(
        matches!(
            short,
            Err(CreateError::BadPassword(PasswordProblem::TooShort))
        ),
        "{short:?}"
    );
    let same = create(
        &app,
        Role::Registrar,
        "reg-0002-abcdef",
        "reg-0002-abcdef\n",
    );
    assert!(
        matches!(
            same,
            Err(CreateError::BadPassword(PasswordProblem::EqualsLoginId))
        ),
        "{same:?}"
    );
    let common = create(&app, Role::Registrar, "reg-0002", "1qaz2wsx3edc\n");
    assert!(
        matches!(
            common,
            Err(CreateError::BadPassword(PasswordProblem::TooCommon))
        ),
        "{common:?}"
    );

    assert_eq!(user_count(&app), 1, "nothing was created");
    assert_eq!(
        password_hash_of(&app, "reg-0001"),
        before,
        "nothing was changed"
    );
}

#[tokio::test]
async fn seed_refuses_a_database_that_holds_real_accounts() {
    let app = TestApp::spawn().await;
    create(&app, Role::Registrar, "reg-0001", "first-day-secret-9\n").expect("created");
    let options = sugang::seed::SeedOptions {
        students: 8,
        ..Default::default()
    };
    let refused = sugang::seed::seed(&mut app.conn(), &options);
    assert!(refused.is_err(), "seed must refuse");
    let quiet = sugang::seed::seed(
        &mut app.conn(),
        &sugang::seed::SeedOptions {
            if_empty: true,
            ..options
        },
    )
    .expect("skips");
    assert!(matches!(
        quiet,
        sugang::seed::SeedReport::Skipped { users: 1 }
    ));
    assert_eq!(user_count(&app), 1, "no demo account was added");
}

#[tokio::test]
async fn changing_the_password_renews_the_session_and_ends_the_old_one() {
    let app = TestApp::spawn().await;
    app.insert_student("20250101");
    let client = app.client();
    let res = app.post_session(&client, "20250101", PASSWORD).await;
    let old_cookie = session_cookie(&res).expect("cookie");
    let csrf = res.json::<Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string();

    let res = change(
        &app,
        &client,
        &csrf,
        json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let new_cookie = session_cookie(&res).expect("a renewed session cookie");
    assert_ne!(new_cookie, old_cookie);
    let body: Value = res.json().await.expect("json");
    assert_ne!(body["csrf_token"].as_str().expect("csrf"), csrf);
    assert_eq!(
        app.get_me(&client).await.status(),
        StatusCode::OK,
        "the changer stays signed in"
    );

    // Whoever held the old session (another device) is out at once.
    let other = Client::new();
    let res = other
        .get(app.url("/api/v1/me"))
        .header(header::COOKIE, format!("sugang_session={old_cookie}"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "session_replaced");

    let fresh = app.client();
    assert_eq!(
        app.post_session(&fresh, "20250101", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the old password no longer signs in"
    );
    assert_eq!(
        app.post_session(&fresh, "20250101", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let logged: i64 = activity_log::table
        .filter(activity_log::action.eq("password_change"))
        .filter(activity_log::outcome.eq("ok"))
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn bad_password_changes_get_a_specific_code_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.insert_student("20250102");
    let client = app.client();
    let csrf = app.sign_in(&client, "20250102").await;
    let before = password_hash_of(&app, "20250102");
    let long = "z9".repeat(64) + "z";
    let cases = [
        (
            json!({"current_password": "not the password", "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}),
            "wrong_current_password",
            "current_password",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": "short-11-ch", "new_password_confirm": "short-11-ch"}),
            "password_too_short",
            "new_password",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": long, "new_password_confirm": long}),
            "password_too_long",
            "new_password",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": "20250102", "new_password_confirm": "20250102"}),
            "password_too_short",
            "new_password",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": "1qaz2wsx3edc", "new_password_confirm": "1qaz2wsx3edc"}),
            "password_too_common",
            "new_password",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": "lantern-river-quietly-48"}),
            "password_mismatch",
            "new_password_confirm",
        ),
        (
            json!({"current_password": "", "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}),
            "validation",
            "current_password",
        ),
    ];
    for (body, code, field) in cases {
        let res = change(&app, &client, &csrf, body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        assert!(session_cookie(&res).is_none(), "no new session for {code}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"]["code"], code);
        assert_eq!(body["error"]["field"], field, "{code}");
        assert!(!body["error"]["message"]
            .as_str()
            .expect("message")
            .is_empty());
    }
    // Without the CSRF token nothing happens either.
    let res = client
        .post(app.url("/api/v1/account/password"))
        .json(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(error_code(res).await, "csrf");
    // Signed out: 401.
    let res = change(&app, &app.client(), &csrf, json!({})).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(
        password_hash_of(&app, "20250102"),
        before,
        "nothing changed"
    );
    assert_eq!(
        app.get_me(&client).await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn a_login_id_long_enough_is_still_refused_as_a_password() {
    let app = TestApp::spawn().await;
    app.insert_registrar("registrar-longname");
    let client = app.client();
    let csrf = app.sign_in(&client, "registrar-longname").await;
    let res = change(
        &app,
        &client,
        &csrf,
        json!({"current_password": PASSWORD, "new_password": "Registrar-LongName", "new_password_confirm": "Registrar-LongName"}),
    )
    .await;
    assert_eq!(error_code(res).await, "password_equals_login_id");
}

#[tokio::test]
async fn the_password_page_shows_the_error_beside_its_field_and_redirects_on_success() {
    let app = TestApp::spawn().await;
    app.insert_student("20250103");
    let client = app.client();
    let csrf = app.sign_in(&client, "20250103").await;
    let page = app.get(&client, "/account/password?lang=en").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"name="new_password_confirm""#), "{html}");

    let post = |form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = app.url("/account/password?lang=en");
        async move { client.post(url).form(&form).send().await.expect("request") }
    };
    let res = post(vec![
        ("csrf_token", csrf.clone()),
        ("current_password", PASSWORD.into()),
        ("new_password", NEW_PASSWORD.into()),
        ("new_password_confirm", "something-else-entirely".into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(
        html.contains(r#"id="new_password_confirm-error">the two new passwords differ</p>"#),
        "{html}"
    );
    let res = post(vec![
        ("csrf_token", csrf.clone()),
        ("current_password", "wrong wrong wrong".into()),
        ("new_password", NEW_PASSWORD.into()),
        ("new_password_confirm", NEW_PASSWORD.into()),
    ])
    .await;
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"id="current_password-error""#), "{html}");

    let res = post(vec![
        ("csrf_token", csrf.clone()),
        ("current_password", PASSWORD.into()),
        ("new_password", NEW_PASSWORD.into()),
        ("new_password_confirm", NEW_PASSWORD.into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/");
    assert!(session_cookie(&res).is_some());
    let home = app
        .get(&client, "/?lang=en")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        home.contains("Your password was changed"),
        "the flash shows on the next page"
    );
}
