//! Snapshots of what a client sees: the `<main>` element of rendered pages and whole JSON
//! answers, kept under `tests/api/snapshots/`. What differs between runs (CSRF tokens, request
//! ids, clock times, row ids) is redacted, so a difference in a snapshot is a change in what the
//! pages or the API say.

use insta::internals::{Content, Redaction};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{RegStudent, SectionBuilder, TestApp};

/// A time as pages and messages show it, in Seoul time.
const KST_TIME: (&str, &str) = (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? KST", "[time KST]");

/// What changes from run to run in a page, and what it is replaced with.
const PAGE_FILTERS: &[(&str, &str)] = &[
    (
        r#"name="csrf_token" value="[^"]*""#,
        r#"name="csrf_token" value="[csrf]""#,
    ),
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})",
        "[rfc3339]",
    ),
    KST_TIME,
    (r"/courses/\d+", "/courses/[id]"),
    (r"\?add=\d+", "?add=[id]"),
    (
        r#"name="section_id" value="\d+""#,
        r#"name="section_id" value="[id]""#,
    ),
    (r#"data-section(-id)?="\d+""#, r#"data-section$1="[id]""#),
    // Department choices read "<code> <name>"; weekday choices are Korean words.
    (
        r#"<option value="\d+"( selected)?>([A-Z]{2,} )"#,
        r#"<option value="[id]"$1>$2"#,
    ),
];

/// The `<main>` element of a page (the header and footer carry the signed-in user and the
/// server clock on every page), without blank lines and trailing spaces.
fn main_of(html: &str) -> String {
    let start = html.find("<main").expect("a <main> element");
    let end = html[start..].find("</main>").expect("</main>") + start + "</main>".len();
    html[start..end]
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts the `<main>` of `html` against the snapshot `name`, with the page filters.
fn assert_page_snapshot(name: &str, html: &str) {
    let page = main_of(html);
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in PAGE_FILTERS {
        settings.add_filter(pattern, *replacement);
    }
    settings.bind(|| insta::assert_snapshot!(name, page));
}

async fn page(app: &TestApp, who: &RegStudent, path: &str) -> String {
    let res = who.get(app, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.expect("html")
}

async fn status_and_json(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    (status, res.json().await.expect("json body"))
}

fn request_id_of(res: &Response) -> String {
    res.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id header")
        .to_string()
}

/// A redaction that first checks the value is exactly `want`, so the snapshot still says which
/// id or request the answer names.
fn equal_to(want: Value, label: &'static str) -> Redaction {
    insta::dynamic_redaction(move |value: Content, _| {
        let got = match (value.as_str(), value.as_i64()) {
            (Some(s), _) => Value::from(s),
            (None, Some(n)) => Value::from(n),
            (None, None) => panic!("{label}: neither a string nor an integer: {value:?}"),
        };
        assert_eq!(got, want, "{label}");
        label
    })
}

/// A redaction for an instant answered as RFC 3339 UTC with milliseconds.
fn instant(label: &'static str) -> Redaction {
    insta::dynamic_redaction(move |value: Content, _| {
        let at = value.as_str().expect("a string instant").to_string();
        assert!(
            chrono::DateTime::parse_from_rfc3339(&at).is_ok()
                && at.ends_with('Z')
                && at.len() == 24,
            "RFC 3339 with milliseconds: {at}"
        );
        label
    })
}

// ---- pages ----

#[tokio::test]
async fn the_section_page_shows_seats_meetings_and_what_the_student_may_do() {
    let app = TestApp::spawn().await;
    let fx = app.registration_fixture();
    let ids = app.reg_students(&fx, "pg", 2);
    let section = SectionBuilder::new("CSE3010", fx.department_id)
        .title("알고리즘", "Algorithms")
        .no(2)
        .instructor("박교수")
        .capacity(2)
        .waitlist(3)
        .years(0b1110)
        .meets(1, 540, 615)
        .meets_in(3, 540, 615, "IT관 204")
        .enroll(ids[1])
        .insert(&app, fx.term_id);
    let student = app.student(ids[0]).await;

    let html = page(&app, &student, &format!("/courses/{}", section.section_id)).await;
    assert_page_snapshot("section_page", &html);
}

#[tokio::test]
async fn the_timetable_page_lays_out_the_week_and_marks_a_previewed_clash() {
    let app = TestApp::spawn().await;
    let fx = app.registration_fixture();
    let ids = app.reg_students(&fx, "tt", 1);
    SectionBuilder::new("CSE2010", fx.department_id)
        .title("자료구조", "Data Structures")
        .meets(1, 540, 615)
        .meets(3, 540, 615)
        .enroll(ids[0])
        .insert(&app, fx.term_id);
    SectionBuilder::new("MAT1010", fx.department_id)
        .title("미적분학", "Calculus")
        .credits(4)
        .meets(2, 780, 870)
        .enroll(ids[0])
        .insert(&app, fx.term_id);
    let clash = SectionBuilder::new("CSE2020", fx.department_id)
        .title("논리회로", "Logic Circuits")
        .meets(3, 570, 660)
        .insert(&app, fx.term_id);
    let student = app.student(ids[0]).await;

    let html = page(
        &app,
        &student,
        &format!("/timetable?add={}", clash.section_id),
    )
    .await;
    assert_page_snapshot("timetable_page_with_preview", &html);
}

#[tokio::test]
async fn the_section_form_shows_each_refused_field_beside_it_and_in_the_summary() {
    let app = TestApp::spawn().await;
    let fx = app.registration_fixture();
    app.reg_course(&fx, "CSE4010", 3);
    let registrar = app.registrar("staff01").await;
    let res = registrar
        .post(
            &app,
            "/admin/sections/new",
            &[
                ("course_code", "CSE4010"),
                ("section_no", "1"),
                ("instructor", "이교수"),
                ("capacity", "-5"),
                ("waitlist_capacity", "lots"),
                ("restrict_department_id", ""),
                ("year3", "1"),
                ("m1_day", "2"),
                ("m1_start", "13:30"),
                ("m1_end", "12:00"),
                ("m1_room", "자연관 201"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert_page_snapshot("section_form_with_field_errors", &html);
}

// ---- JSON answers ----

#[tokio::test]
async fn the_enroll_receipt_names_the_section_and_the_new_credit_total() {
    let app = TestApp::spawn().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE2010", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .no(2)
            .meets(1, 540, 615),
    );
    let ids = app.reg_students(&fx, "rc", 1);
    let student = app.student(ids[0]).await;

    let res = app.post_enrollment(&student, section).await;
    let request_id = request_id_of(&res);
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CREATED);
    insta::assert_json_snapshot!("enroll_receipt", body, {
        ".request_id" => equal_to(request_id.into(), "[request_id]"),
        ".enrolled_at" => instant("[enrolled_at]"),
        ".section.id" => equal_to(section.into(), "[section_id]"),
    });
}

#[tokio::test]
async fn a_full_section_answers_the_section_full_error_body() {
    let app = TestApp::spawn().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE4003", 3);
    let full = app.reg_section(SectionBuilder::of(fx.term_id, course).capacity(0));
    let ids = app.reg_students(&fx, "fu", 1);
    let student = app.student(ids[0]).await;

    let (status, body) = status_and_json(app.post_enrollment(&student, full).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    insta::assert_json_snapshot!("error_section_full", body);
}

#[tokio::test]
async fn a_closed_window_answers_when_it_opens_in_english() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().naive_utc();
    let term = app.insert_term_with_windows(&[(
        "register",
        now + chrono::Duration::hours(2),
        now + chrono::Duration::days(2),
    )]);
    let department = app.insert_department("CSE");
    let section = SectionBuilder::new("CSE1010", department).insert(&app, term);
    let student_id = app.insert_student_in("20270001", department, 2);
    let student = app.student(student_id).await;

    let res = student
        .client
        .post(app.url("/api/v1/enrollments?lang=en"))
        .json(&serde_json::json!({ "section_id": section.section_id }))
        .send()
        .await
        .expect("request");
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CONFLICT);
    insta::with_settings!({ filters => vec![KST_TIME] }, {
        insta::assert_json_snapshot!("error_window_closed_en", body);
    });
}

#[tokio::test]
async fn a_bad_search_parameter_answers_a_validation_error_naming_the_field() {
    let app = TestApp::spawn().await;
    let fx = app.registration_fixture();
    let ids = app.reg_students(&fx, "va", 1);
    let student = app.student(ids[0]).await;

    let res = student.get(&app, "/api/v1/sections?per_page=101").await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    insta::assert_json_snapshot!("error_validation_per_page", body);
}
