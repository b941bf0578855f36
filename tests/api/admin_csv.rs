//! CSV import (dry run with line-precise errors, all-or-nothing apply) and CSV exports.

use diesel::prelude::*;
use reqwest::{header, StatusCode};

use crate::helpers::console::{post_form, upload, upload_id, upload_with};
use crate::helpers::{RegStudent, SectionBuilder, TestApp};
use sugang::db::schema::{
    basket_items, course_prerequisites, courses, enrollments, meetings, sections, users,
};

/// The error text of one line of the preview table.
fn line_errors(html: &str, line: u64) -> Option<String> {
    let row = html.split(&format!("<tr data-line=\"{line}\"")).nth(1)?;
    let row = row.split("</tr>").next()?;
    row.contains("line-error").then(|| row.to_string())
}

fn count_courses(app: &TestApp) -> i64 {
    courses::table
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

async fn setup() -> (TestApp, RegStudent) {
    let app = TestApp::spawn().await;
    app.insert_current_term();
    app.insert_department("CSE");
    let registrar = app.registrar("registrar-t").await;
    (app, registrar)
}

const GOOD_COURSES: &str =
    "code,title_ko,title_en,credits,department,category,description,prerequisites\n\
CSE4100,\"운영체제, 심화\",Operating Systems,3,CSE,전공선택,\"프로세스, 스레드\",CSE4000\n\
CSE4000,시스템 프로그래밍,Systems Programming,3,cse,major_required,,\n";

#[tokio::test]
async fn a_dry_run_reports_each_bad_line_with_its_column_and_changes_nothing() {
    let (app, registrar) = setup().await;
    let before = count_courses(&app);
    let bad = "code,title_ko,title_en,credits,department,category\n\
               CSE4000,시스템 프로그래밍,Systems Programming,3,CSE,major_required\n\
               CSE4100,운영체제,Operating Systems,삼,CSE,major_elective\n\
               CSE4000,중복,Duplicate,3,MATH,major_required\n";
    let res = upload(&app, &registrar, "courses", bad.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(line_errors(&html, 2).is_none(), "line 2 is fine");
    let l3 = line_errors(&html, 3).expect("line 3 refused");
    assert!(
        l3.contains("<strong>credits</strong>") && l3.contains("삼"),
        "{l3}"
    );
    let l4 = line_errors(&html, 4).expect("line 4 refused");
    assert!(
        l4.contains("<strong>code</strong>") && l4.contains("2"),
        "{l4}"
    );
    assert!(l4.contains("<strong>department</strong>") && l4.contains("MATH"));
    assert!(upload_id(&html).is_none(), "no apply button on a bad file");
    assert_eq!(count_courses(&app), before);

    let res = upload(&app, &registrar, "courses", b"code,colour\nX,Y\n", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let l1 = line_errors(&res.text().await.expect("html"), 1).expect("header refused");
    assert!(l1.contains("colour") && l1.contains("title_ko"));
}

#[tokio::test]
async fn a_fixed_file_applies_every_line_once_and_reapplying_is_refused_cleanly() {
    let (app, registrar) = setup().await;
    let version_before = sugang::catalog::cache::version(&app.state.cache)
        .await
        .expect("v");
    let res = upload(&app, &registrar, "courses", GOOD_COURSES.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = upload_id(&res.text().await.expect("html")).expect("apply button");
    assert_eq!(count_courses(&app), 0, "a preview writes nothing");

    let res = post_form(&app, &registrar, "/admin/import/apply", &[("upload", &id)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let titles: Vec<(String, String)> = courses::table
        .order(courses::code)
        .select((courses::code, courses::title_ko))
        .load(&mut app.conn())
        .expect("courses");
    assert_eq!(
        titles,
        vec![
            ("CSE4000".to_string(), "시스템 프로그래밍".to_string()),
            ("CSE4100".to_string(), "운영체제, 심화".to_string()),
        ]
    );
    let prereqs: i64 = course_prerequisites::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(prereqs, 1);
    assert!(
        sugang::catalog::cache::version(&app.state.cache)
            .await
            .expect("v")
            > version_before
    );

    // The same preview applied again (a double click) does nothing more.
    let res = post_form(&app, &registrar, "/admin/import/apply", &[("upload", &id)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(count_courses(&app), 2);

    // The same file uploaded again: every line names the existing course, nothing applies.
    let res = upload(&app, &registrar, "courses", GOOD_COURSES.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(line_errors(&html, 2).expect("line 2").contains("CSE4100"));
    assert!(line_errors(&html, 3).expect("line 3").contains("CSE4000"));
    assert!(upload_id(&html).is_none());
}

#[tokio::test]
async fn apply_validates_again_and_a_file_made_stale_changes_nothing() {
    let (app, registrar) = setup().await;
    let res = upload(&app, &registrar, "courses", GOOD_COURSES.as_bytes(), "").await;
    let id = upload_id(&res.text().await.expect("html")).expect("apply button");
    // Someone else creates one of the courses between preview and apply.
    let dept = app.insert_department("EEE");
    SectionBuilder::new("CSE4000", dept).insert(&app, app.insert_past_term());
    let res = post_form(&app, &registrar, "/admin/import/apply", &[("upload", &id)]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.expect("html");
    assert!(line_errors(&html, 3).expect("line 3").contains("CSE4000"));
    let codes: Vec<String> = courses::table
        .select(courses::code)
        .load(&mut app.conn())
        .expect("codes");
    assert_eq!(codes, vec!["CSE4000".to_string()]);
}

#[tokio::test]
async fn sections_with_meetings_import_from_a_bom_file_with_korean_headers() {
    let (app, registrar) = setup().await;
    let dept: i32 = sugang::db::schema::departments::table
        .select(sugang::db::schema::departments::id)
        .first(&mut app.conn())
        .expect("dept");
    let term = app.insert_past_term();
    SectionBuilder::new("CSE2010", dept).insert(&app, term);
    let file = "\u{feff}과목코드,분반,담당교수,정원,대기정원,학년제한,강의시간\r\n\
                CSE2010,1,김교수,40,5,2;3,월 09:00-10:15 공학관 101; 수 09:00-10:15 공학관 101\r\n\
                CSE2010,2,\"이, 교수\",30,,,Fri 13:00-16:00 B2\r\n";
    let res = upload(&app, &registrar, "sections", file.as_bytes(), "").await;
    let status = res.status();
    let html = res.text().await.expect("html");
    assert_eq!(status, StatusCode::OK, "{html}");
    let id = upload_id(&html).expect("apply button");
    let res = post_form(&app, &registrar, "/admin/import/apply", &[("upload", &id)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let rows: Vec<(i16, String, i32, i32, i8)> = sections::table
        .filter(sections::term_id.ne(term))
        .order(sections::section_no)
        .select((
            sections::section_no,
            sections::instructor,
            sections::capacity,
            sections::waitlist_capacity,
            sections::restrict_class_years,
        ))
        .load(&mut app.conn())
        .expect("sections");
    assert_eq!(
        rows,
        vec![
            (1, "김교수".to_string(), 40, 5, 0b0110),
            (2, "이, 교수".to_string(), 30, 0, 0),
        ]
    );
    let times: Vec<(i8, i16, i16, String)> = meetings::table
        .inner_join(sections::table)
        .filter(sections::term_id.ne(term))
        .order((sections::section_no, meetings::weekday))
        .select((
            meetings::weekday,
            meetings::starts_at_min,
            meetings::ends_at_min,
            meetings::room,
        ))
        .load(&mut app.conn())
        .expect("meetings");
    assert_eq!(
        times,
        vec![
            (1, 540, 615, "공학관 101".to_string()),
            (3, 540, 615, "공학관 101".to_string()),
            (5, 780, 960, "B2".to_string()),
        ]
    );
    // A bad weekday and an unknown course are named with their lines.
    let bad = "course_code,section_no,instructor,capacity,meetings\n\
               CSE2010,3,박,10,일 09:00-10:00 R1\n\
               NOPE100,1,박,10,월 09:00-10:00 R1\n";
    let res = upload(&app, &registrar, "sections", bad.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(line_errors(&html, 2)
        .expect("line 2")
        .contains("<strong>meetings</strong>"));
    assert!(line_errors(&html, 3).expect("line 3").contains("NOPE100"));
}

#[tokio::test]
async fn imported_students_sign_in_with_the_initial_password_only_when_one_was_given() {
    let (app, registrar) = setup().await;
    let file = "학번,이름,학과,학년,학적상태,최대학점\n20269001,김하나,CSE,1,재학,\n20269002,\"O'Neil, Amy\",CSE,4,휴학,21\n";
    let res = upload(
        &app,
        &registrar,
        "students",
        file.as_bytes(),
        "first-pass-2026",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = upload_id(&res.text().await.expect("html")).expect("apply button");
    let res = post_form(&app, &registrar, "/admin/import/apply", &[("upload", &id)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let rows: Vec<StudentRow> = users::table
        .filter(users::login_id.like("2026900%"))
        .order(users::login_id)
        .select((
            users::login_id,
            users::name,
            users::class_year,
            users::status,
            users::max_credits,
        ))
        .load(&mut app.conn())
        .expect("students");
    assert_eq!(rows[1].1, "O'Neil, Amy");
    assert_eq!(rows[1].3, "on_leave");
    assert_eq!(rows[1].4, Some(21));
    let res = app
        .post_session(&app.client(), "20269001", "first-pass-2026")
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = upload(
        &app,
        &registrar,
        "students",
        b"login_id,name,department,class_year\n20269003,Lee,CSE,2\nexch.2026,Kim,CSE,2\n",
        "",
    )
    .await;
    let id = upload_id(&res.text().await.expect("html")).expect("apply button");
    post_form(&app, &registrar, "/admin/import/apply", &[("upload", &id)]).await;
    // One rule for login ids: what signs in (letters, digits, '.', '-', '_') imports.
    let exchange: i64 = users::table
        .filter(users::login_id.eq("exch.2026"))
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(exchange, 1);
    let res = app.post_session(&app.client(), "20269003", "").await;
    assert_ne!(res.status(), StatusCode::OK);
    let res = app
        .post_session(&app.client(), "20269003", "first-pass-2026")
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_upload_over_two_megabytes_is_refused_with_a_clear_message() {
    let (app, registrar) = setup().await;
    let mut big = GOOD_COURSES.as_bytes().to_vec();
    big.resize(2 * 1024 * 1024 + 1, b'\n');
    let res = upload(&app, &registrar, "courses", &big, "").await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("id=\"file-error\"") && html.contains("2 MB"),
        "{html}"
    );
    assert_eq!(count_courses(&app), 0);
}

type StudentRow = (String, String, Option<i8>, String, Option<i8>);

fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM first");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test]
async fn exports_carry_a_bom_quote_korean_and_commas_and_count_baskets() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE5000", 3);
    diesel::update(courses::table.find(course))
        .set(courses::title_ko.eq("데이터베이스, \"고급\""))
        .execute(&mut app.conn())
        .expect("title");
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(2)
            .meets(2, 600, 675),
    );
    let ids = app.reg_students(&fx, "exp", 3);
    diesel::update(users::table.find(ids[0]))
        .set(users::name.eq("홍, 길동"))
        .execute(&mut app.conn())
        .expect("name");
    let students = app.students(&ids).await;
    assert_eq!(
        app.post_enrollment(&students[0], section).await.status(),
        StatusCode::CREATED
    );
    for id in &ids {
        diesel::insert_into(basket_items::table)
            .values((
                basket_items::student_id.eq(id),
                basket_items::section_id.eq(section),
            ))
            .execute(&mut app.conn())
            .expect("basket");
    }
    let registrar = app.registrar("registrar-t").await;

    let res = registrar
        .client
        .get(app.url(&format!("/admin/export/sections/{section}/roster.csv")))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(
        disposition,
        "attachment; filename=\"roster-CSE5000-01.csv\""
    );
    let bytes = res.bytes().await.expect("body");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    assert!(text.contains("\"홍, 길동\""), "{text}");
    let rows = parse_csv(&bytes);
    assert_eq!(rows[0][0], "학번");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], "홍, 길동");

    let bytes = registrar
        .client
        .get(app.url("/admin/export/enrollments.csv?lang=en"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let rows = parse_csv(&bytes);
    assert_eq!(rows[0][0], "Student number");
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][..4], &["exp00000", "홍, 길동", "CSE5000", "1"]);

    let bytes = registrar
        .client
        .get(app.url("/admin/export/demand.csv"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let rows = parse_csv(&bytes);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][2], "데이터베이스, \"고급\"");
    // capacity, enrolled, baskets, waitlist, baskets per seat
    assert_eq!(&rows[1][4..9], &["2", "1", "3", "0", "1.50"]);
    let enrolled: i64 = enrollments::table
        .count()
        .get_result(&mut app.conn())
        .expect("n");
    assert_eq!(enrolled, 1);

    // The roster form finds the section by course code and number.
    let res = registrar
        .client
        .get(app.url("/admin/export?course_code=cse5000&section_no=1"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = registrar
        .client
        .get(app.url("/admin/export?course_code=CSE5000&section_no=9"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn exported_cells_a_spreadsheet_would_run_as_formulas_start_with_a_quote() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE5100", 3);
    diesel::update(courses::table.find(course))
        .set(courses::title_ko.eq("+cmd|' /C calc'!A0"))
        .execute(&mut app.conn())
        .expect("title");
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(5)
            .meets(2, 600, 675),
    );
    let ids = app.reg_students(&fx, "fx", 4);
    let names = [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "-2+3",
        "\t=1",
    ];
    for (id, name) in ids.iter().zip(names) {
        diesel::update(users::table.find(id))
            .set(users::name.eq(name))
            .execute(&mut app.conn())
            .expect("name");
    }
    let students = app.students(&ids).await;
    for s in &students {
        assert_eq!(
            app.post_enrollment(s, section).await.status(),
            StatusCode::CREATED
        );
    }
    let registrar = app.registrar("registrar-t").await;
    for path in [
        format!("/admin/export/sections/{section}/roster.csv"),
        "/admin/export/enrollments.csv".to_string(),
        "/admin/export/demand.csv".to_string(),
    ] {
        let bytes = registrar
            .client
            .get(app.url(&path))
            .send()
            .await
            .expect("request")
            .bytes()
            .await
            .expect("body");
        let rows = parse_csv(&bytes);
        let mut seen = 0;
        for cell in rows.iter().flatten() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{path}: {cell:?} would run"
            );
            if cell.starts_with('\'') {
                seen += 1;
            }
        }
        assert!(seen > 0, "{path} carries the neutralised cells");
    }
}

#[tokio::test]
async fn imported_cells_with_control_characters_are_refused_and_change_nothing() {
    let (app, registrar) = setup().await;
    let before = count_courses(&app);
    let bad = "code,title_ko,title_en,credits,department,category,description\n\
               CSE4000,시스템\u{1b}[31m,Systems Programming,3,CSE,major_required,\"두 줄\n설명\"\n\
               CSE4100,운영체제,Operating\tSystems,3,CSE,major_elective,\n\
               CSE4200,컴파일러,Compilers,3,CSE,major_elective,\"ok\u{7}\"\n";
    let res = upload(&app, &registrar, "courses", bad.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    let l2 = line_errors(&html, 2).expect("line 2 refused");
    assert!(l2.contains("<strong>title_ko</strong>"), "{l2}");
    assert!(
        !l2.contains("<strong>description</strong>"),
        "line breaks are fine there"
    );
    let l4 = line_errors(&html, 4).expect("line 4 refused");
    assert!(l4.contains("<strong>title_en</strong>"), "{l4}");
    let l5 = line_errors(&html, 5).expect("line 5 refused");
    assert!(l5.contains("<strong>description</strong>"), "{l5}");
    assert!(upload_id(&html).is_none());
    assert_eq!(count_courses(&app), before);
}

#[tokio::test]
async fn the_import_form_carries_its_csrf_token_in_the_body_never_the_query() {
    let (app, registrar) = setup().await;
    let before = count_courses(&app);
    // A browser: the session cookie, no token header.
    let browser = reqwest::Client::builder()
        .default_headers(
            [(
                header::COOKIE,
                header::HeaderValue::from_str(&format!("sugang_session={}", registrar.cookie))
                    .expect("cookie"),
            )]
            .into_iter()
            .collect(),
        )
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = upload_with(&app, &browser, "", "courses", GOOD_COURSES.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no token");
    let res = upload_with(
        &app,
        &browser,
        "wrong",
        "courses",
        GOOD_COURSES.as_bytes(),
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "a wrong token");
    let res = upload_with(
        &app,
        &browser,
        &registrar.csrf,
        "courses",
        GOOD_COURSES.as_bytes(),
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "the token in the body");
    assert!(upload_id(&res.text().await.expect("html")).is_some());
    // The page's form sends it in the body, not in its action.
    let html = browser
        .get(app.url("/admin/import"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(html.contains("action=\"/admin/import\""), "{html}");
    assert!(!html.contains("csrf_token="));
    assert_eq!(count_courses(&app), before);
}
