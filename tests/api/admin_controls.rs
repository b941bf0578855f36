//! The registrar dashboard and the registration-day controls: freeze, incident banner, waiting
//! room settings, and that students reach none of it.

use diesel::prelude::*;
use reqwest::{header, StatusCode};
use serde_json::Value;

use crate::helpers::console::{get_text, post_form};
use crate::helpers::{RegStudent, SectionBuilder, TestApp};
use sugang::db::schema::activity_log;

struct Fixture {
    app: TestApp,
    section: i32,
    students: Vec<RegStudent>,
}

async fn fixture(capacity: i32) -> Fixture {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE3100", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(capacity)
            .meets(1, 540, 615),
    );
    let ids = app.reg_students(&fx, "ctl", 3);
    let students = app.students(&ids).await;
    Fixture {
        app,
        section,
        students,
    }
}

#[tokio::test]
async fn dashboard_and_summary_show_enrollments_refusals_and_seats() {
    let Fixture {
        app,
        section,
        students,
    } = fixture(1).await;
    assert_eq!(
        app.post_enrollment(&students[0], section).await.status(),
        StatusCode::CREATED
    );
    for s in &students[1..] {
        assert_eq!(
            app.post_enrollment(s, section).await.status(),
            StatusCode::CONFLICT
        );
    }
    let registrar = app.registrar("registrar-t").await;
    let res = registrar
        .client
        .get(app.url("/api/v1/admin/summary"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let s: Value = res.json().await.expect("json");
    assert_eq!(s["seats_filled"], 1);
    assert_eq!(s["capacity"], 1);
    assert_eq!(s["full_sections"], 1);
    assert_eq!(s["enrollments"], 1);
    assert_eq!(s["enrollments_last_window"], 1);
    let minutes = s["enrollments_per_minute"].as_array().expect("series");
    assert_eq!(minutes.len(), 10);
    assert_eq!(
        minutes
            .iter()
            .map(|m| m["count"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        1
    );
    assert_eq!(s["refusals"][0]["reason"], "section_full");
    assert_eq!(s["refusals"][0]["count"], 2);
    assert_eq!(s["refusals_total"], 2);
    assert_eq!(s["errors"]["scope"], "instance");
    assert!(s["errors"]["requests"].as_u64().unwrap_or(0) > 0);
    assert_eq!(s["waiting_room"]["enabled"], false);
    assert_eq!(s["frozen"], false);

    let (status, html) = get_text(&app, &registrar, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-reason=\"section_full\""), "{html}");
    assert!(html.contains("<span data-figure=\"seats_filled\">1</span>"));
    assert!(html.contains("data-figure=\"full_sections\">1<"));
    assert!(html.contains("/static/admin.js"));
    let js = app.get(&registrar.client, "/static/admin.js").await;
    assert_eq!(js.status(), StatusCode::OK);
}

#[tokio::test]
async fn freezing_refuses_enrollment_by_api_and_form_with_the_reason_and_unfreezing_restores_it() {
    let Fixture {
        app,
        section,
        students,
    } = fixture(10).await;
    let registrar = app.registrar("registrar-t").await;
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/freeze",
        &[("reason", "서버 점검 중 (10분)"), ("confirm", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let res = app.post_enrollment(&students[0], section).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "registration_frozen");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("서버 점검 중 (10분)"));

    let res = post_form(
        &app,
        &students[1],
        "/registration",
        &[
            ("section_id", &section.to_string()),
            ("next", "/registration"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = students[1].page_with_flash(&app, "/registration").await;
    assert!(page.contains("id=\"flash\">"), "{page}");
    assert!(page.contains("id=\"freeze-banner\""));
    assert!(page.contains("서버 점검 중 (10분)"));
    // Reads still work, and nothing was enrolled.
    let (status, _) = get_text(&app, &students[0], "/api/v1/enrollments").await;
    assert_eq!(status, StatusCode::OK);
    let me: Value = app
        .get(&students[0].client, "/api/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["term"]["registration_frozen"], true);
    use sugang::db::schema::enrollments;
    let rows: i64 = enrollments::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(rows, 0);

    let res = post_form(&app, &registrar, "/admin/controls/unfreeze", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.post_enrollment(&students[0], section).await.status(),
        StatusCode::CREATED
    );
    let (_, page) = get_text(&app, &students[0], "/registration").await;
    assert!(!page.contains("id=\"freeze-banner\""));

    let logged: Vec<(String, Option<i32>)> = activity_log::table
        .filter(activity_log::action.like("control_%"))
        .order(activity_log::id)
        .select((activity_log::action, activity_log::actor_id))
        .load(&mut app.conn())
        .expect("log");
    assert_eq!(
        logged,
        vec![
            ("control_freeze".to_string(), Some(registrar.id)),
            ("control_unfreeze".to_string(), Some(registrar.id)),
        ]
    );
}

#[tokio::test]
async fn freezing_without_javascript_asks_once_on_a_page_naming_the_effect() {
    let Fixture {
        app,
        section,
        students,
    } = fixture(10).await;
    let registrar = app.registrar("registrar-t").await;
    let freeze_lines = |app: &TestApp| -> i64 {
        activity_log::table
            .filter(activity_log::action.eq("control_freeze"))
            .count()
            .get_result(&mut app.conn())
            .expect("count")
    };

    // The form without the dialog's confirm=1: a page that asks, and nothing changes.
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/freeze",
        &[("reason", "서버 <점검> 중")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"freeze-confirm\""), "{html}");
    assert!(html.contains("모든 학생의 수강신청이 즉시 중지됩니다"));
    assert!(
        html.contains("<dd id=\"freeze-reason\">서버 &#60;점검&#62; 중</dd>"),
        "the reason students will read, escaped: {html}"
    );
    assert!(html.contains("<form method=\"post\" action=\"/admin/controls/freeze\""));
    assert!(html.contains(&format!("name=\"csrf_token\" value=\"{}\"", registrar.csrf)));
    assert!(html.contains("name=\"reason\" value=\"서버 &#60;점검&#62; 중\""));
    assert!(html.contains("name=\"confirm\" value=\"1\""));
    assert!(html.contains("href=\"/admin/controls\" id=\"freeze-keep\""));
    assert!(!app.state.controls.current().frozen);
    assert_eq!(freeze_lines(&app), 0);
    assert_eq!(
        app.post_enrollment(&students[0], section).await.status(),
        StatusCode::CREATED,
        "asking froze nothing"
    );

    // In English, the same question in English.
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/freeze?lang=en",
        &[("reason", "maintenance")],
    )
    .await;
    let html = res.text().await.expect("html");
    assert!(html.contains("Registration stops at once for every student."));
    assert!(html.contains("Don&#39;t freeze; go back") || html.contains("Don't freeze; go back"));

    // The confirm page's button without its CSRF token is refused and changes nothing.
    let res = registrar
        .client
        .post(app.url("/admin/controls/freeze"))
        .header("x-csrf-token", "forged")
        .form(&[("reason", "점검"), ("confirm", "1")])
        .send()
        .await
        .expect("request");
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(!app.state.controls.current().frozen);

    // Confirmed: frozen, one line in the log.
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/freeze",
        &[("reason", "서버 <점검> 중"), ("confirm", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.state.controls.current().frozen);
    assert_eq!(freeze_lines(&app), 1);
    assert_eq!(
        app.post_enrollment(&students[1], section).await.status(),
        StatusCode::CONFLICT
    );

    // A new reason for a freeze already in force asks nothing.
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/freeze",
        &[("reason", "점검 연장")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.state.controls.current().freeze_reason, "점검 연장");

    // The controls page keeps the dialog for browsers with JavaScript once unfrozen.
    post_form(&app, &registrar, "/admin/controls/unfreeze", &[]).await;
    let (_, page) = get_text(&app, &registrar, "/admin/controls").await;
    assert!(page.contains("data-confirm=\"모든 학생의 수강신청이 즉시 중지됩니다."));
}

#[tokio::test]
async fn an_older_copy_of_the_controls_never_undoes_a_freeze() {
    let Fixture {
        app,
        section,
        students,
    } = fixture(10).await;
    let registrar = app.registrar("registrar-v").await;
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/freeze",
        &[("reason", "점검"), ("confirm", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.state.controls.current().frozen);

    // What a refresh that read MySQL just before the freeze would mirror after it.
    let client = redis::Client::open(crate::helpers::redis_url()).expect("redis");
    let mut conn = client.get_connection().expect("redis connection");
    let _: () = redis::cmd("SET")
        .arg(format!("{}site:controls", app.prefix.0))
        .arg(r#"{"version":1,"frozen":false}"#)
        .query(&mut conn)
        .expect("set");
    // The instance follows the mirror once a second: let it look a few times.
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert!(app.state.controls.current().frozen);
    }
    assert_eq!(
        app.post_enrollment(&students[0], section).await.status(),
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn a_freeze_without_a_reason_is_refused_beside_the_field_and_changes_nothing() {
    let Fixture {
        app,
        section,
        students,
    } = fixture(10).await;
    let registrar = app.registrar("registrar-t").await;
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/freeze",
        &[("reason", "   ")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"reason-error\""), "{html}");
    assert!(!app.state.controls.current().frozen);
    assert_eq!(
        app.post_enrollment(&students[0], section).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_incident_banner_shows_on_every_page_for_everyone_until_switched_off() {
    let Fixture { app, students, .. } = fixture(10).await;
    let registrar = app.registrar("registrar-t").await;
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/banner",
        &[
            ("enabled", "on"),
            ("text_ko", "접속 지연 안내: 잠시 후 다시 시도하세요"),
            ("text_en", "Slow responses: please retry shortly"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let anonymous = app.client();
    let login = app
        .get(&anonymous, "/login")
        .await
        .text()
        .await
        .expect("html");
    assert!(login.contains("id=\"incident-banner\""));
    assert!(login.contains("접속 지연 안내"));
    let english = app
        .get(&anonymous, "/login?lang=en")
        .await
        .text()
        .await
        .expect("html");
    assert!(english.contains("Slow responses: please retry shortly"));
    let (_, home) = get_text(&app, &students[0], "/").await;
    assert!(home.contains("접속 지연 안내"));
    let (_, admin) = get_text(&app, &registrar, "/admin/controls").await;
    assert!(admin.contains("id=\"incident-banner\""));

    // Turning it on without text is refused beside the field.
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/banner",
        &[("enabled", "on")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .expect("html")
        .contains("id=\"text_ko-error\""));

    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/banner",
        &[("text_ko", "")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = app
        .get(&anonymous, "/login")
        .await
        .text()
        .await
        .expect("html");
    assert!(!login.contains("id=\"incident-banner\""));
    let logged: i64 = activity_log::table
        .filter(activity_log::action.eq("control_banner"))
        .filter(activity_log::actor_id.eq(registrar.id))
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(logged, 2);
}

#[tokio::test]
async fn waiting_room_settings_are_validated_then_applied_live() {
    let app = TestApp::spawn().await;
    let registrar = app.registrar("registrar-t").await;
    let before = app.state.waiting_room.config().await.expect("config");
    for (rate, concurrency, ttl, field) in [
        ("0", "100", "300", "rate-error"),
        ("abc", "100", "300", "rate-error"),
        ("50", "0", "300", "concurrency-error"),
        ("50", "100", "5", "pass_ttl_secs-error"),
    ] {
        let res = post_form(
            &app,
            &registrar,
            "/admin/controls/waiting-room",
            &[
                ("enabled", "on"),
                ("rate", rate),
                ("concurrency", concurrency),
                ("pass_ttl_secs", ttl),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.expect("html").contains(field));
        assert_eq!(
            app.state.waiting_room.config().await.expect("config"),
            before
        );
    }
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/waiting-room",
        &[
            ("enabled", "on"),
            ("rate", "25"),
            ("concurrency", "400"),
            ("pass_ttl_secs", "120"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let now = app.state.waiting_room.config().await.expect("config");
    assert!(now.enabled);
    assert_eq!(
        (now.rate, now.concurrency, now.pass_ttl_secs),
        (25, 400, 120)
    );
    let summary: Value = registrar
        .client
        .get(app.url("/api/v1/admin/summary"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(summary["waiting_room"]["enabled"], true);
    assert_eq!(summary["waiting_room"]["rate"], 25);

    // The opening instant: a bad value is refused beside the field and changes nothing; a
    // Seoul wall-clock time is stored as its instant and shown as in force; empty clears it.
    let before = app.state.waiting_room.config().await.expect("config");
    let fields = |opens_at: &'static str| {
        vec![
            ("enabled", "on"),
            ("rate", "25"),
            ("concurrency", "400"),
            ("pass_ttl_secs", "120"),
            ("opens_at", opens_at),
        ]
    };
    for bad in ["tomorrow", "2027-02-30T10:00", "1999-01-01T10:00"] {
        let res = post_form(
            &app,
            &registrar,
            "/admin/controls/waiting-room",
            &fields(bad),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let html = res.text().await.expect("html");
        assert!(
            html.contains("opens_at-error") && html.contains(bad),
            "{bad}"
        );
        assert_eq!(
            app.state.waiting_room.config().await.expect("config"),
            before
        );
    }
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/waiting-room",
        &fields("2027-02-10T10:00"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let at = chrono::DateTime::parse_from_rfc3339("2027-02-10T10:00:00+09:00").expect("at");
    assert_eq!(
        app.state
            .waiting_room
            .config()
            .await
            .expect("config")
            .opens_at_ms,
        at.timestamp_millis()
    );
    assert_eq!(
        app.state.waiting_room.opening().await.expect("opening"),
        at.timestamp_millis()
    );
    let page = registrar
        .client
        .get(app.url("/admin/controls"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("value=\"2027-02-10T10:00\""));
    assert!(page.contains("2027-02-10 10:00"));
    let res = post_form(
        &app,
        &registrar,
        "/admin/controls/waiting-room",
        &fields(""),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.state
            .waiting_room
            .config()
            .await
            .expect("config")
            .opens_at_ms,
        0
    );
}

#[tokio::test]
async fn students_get_403_on_every_registrar_route_and_visitors_are_sent_to_sign_in() {
    let Fixture {
        app,
        section,
        students,
    } = fixture(10).await;
    let student = &students[0];
    let gets = [
        "/admin".to_string(),
        "/api/v1/admin/summary".to_string(),
        "/admin/controls".to_string(),
        "/admin/import".to_string(),
        "/admin/export".to_string(),
        format!("/admin/export/sections/{section}/roster.csv"),
        "/admin/export/enrollments.csv".to_string(),
        "/admin/export/demand.csv".to_string(),
    ];
    for path in &gets {
        let res = student
            .client
            .get(app.url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "GET {path}");
        let res = app
            .client()
            .get(app.url(path))
            .send()
            .await
            .expect("request");
        if path.starts_with("/api/") {
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "GET {path}");
        } else {
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "GET {path}");
            assert!(res.headers()[header::LOCATION]
                .to_str()
                .unwrap_or("")
                .starts_with("/login"));
        }
    }
    let posts = [
        "/admin/controls/freeze",
        "/admin/controls/unfreeze",
        "/admin/controls/banner",
        "/admin/controls/waiting-room",
        "/admin/import/apply",
    ];
    for path in posts {
        let res = post_form(
            &app,
            student,
            path,
            &[("reason", "x"), ("rate", "1"), ("upload", "0")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "POST {path}");
    }
    let res = student
        .client
        .post(app.url(&format!("/admin/import?csrf_token={}", student.csrf)))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncourses\r\n--x--\r\n")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "POST /admin/import");
    assert!(!app.state.controls.current().frozen);
}
