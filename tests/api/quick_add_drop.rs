//! Quick add of several codes in one submit, and the one question before a drop.

use diesel::prelude::*;
use reqwest::StatusCode;
use sugang::db::schema::enrollments;

use crate::helpers::{SectionBuilder, TestApp};

fn enrolled(app: &TestApp, student: i32) -> Vec<i32> {
    let mut conn = app.conn();
    let mut ids: Vec<i32> = enrollments::table
        .filter(enrollments::student_id.eq(student))
        .select(enrollments::section_id)
        .load(&mut conn)
        .expect("enrollments");
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn quick_add_registers_three_codes_written_three_ways_with_one_line_each() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let a = app.reg_course(&fx, "CSE2010", 3);
    let b = app.reg_course(&fx, "MAT1010", 3);
    let c = app.reg_course(&fx, "ECO1001", 3);
    let sa = app.reg_section(
        SectionBuilder::of(fx.term_id, a)
            .no(1)
            .capacity(30)
            .meets(1, 540, 615),
    );
    let sb = app.reg_section(
        SectionBuilder::of(fx.term_id, b)
            .no(2)
            .capacity(30)
            .meets(2, 540, 615),
    );
    let sc = app.reg_section(
        SectionBuilder::of(fx.term_id, c)
            .no(1)
            .capacity(0)
            .meets(3, 540, 615),
    );
    let ids = app.reg_students(&fx, "q", 1);
    let s = app.student(ids[0]).await;

    let res = s
        .post(
            &app,
            "/registration/quick",
            &[("codes", "CSE2010-01\nｍａｔ１０１０ ２, eco1001-1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = s.page_with_flash(&app, "/registration").await;
    let results = html
        .split("id=\"quick-results\">")
        .nth(1)
        .and_then(|r| r.split("</ul>").next())
        .expect("a result list");
    assert_eq!(results.matches("<li").count(), 3, "{results}");
    assert_eq!(results.matches("data-ok=\"true\"").count(), 2, "{results}");
    assert!(
        results.contains("ECO1001-01:"),
        "the full section is named: {results}"
    );
    let mut want = vec![sa, sb];
    want.sort_unstable();
    assert_eq!(enrolled(&app, s.id), want);
    assert!(!enrolled(&app, s.id).contains(&sc));
}

#[tokio::test]
async fn an_unknown_code_is_named_beside_the_field_and_nothing_is_registered() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let a = app.reg_course(&fx, "CSE2010", 3);
    app.reg_section(
        SectionBuilder::of(fx.term_id, a)
            .no(1)
            .capacity(30)
            .meets(1, 540, 615),
    );
    let ids = app.reg_students(&fx, "u", 1);
    let s = app.student(ids[0]).await;

    for (typed, named) in [
        ("CSE2010-01, NOP9999-01", "NOP9999-01"),
        ("CSE2010-01 garbage", "GARBAGE"),
        ("CSE2010-07", "CSE2010-07"),
    ] {
        let res = s
            .post(&app, "/registration/quick", &[("codes", typed)])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let html = res.text().await.expect("html");
        let error = html
            .split("id=\"quick-codes-error\"")
            .nth(1)
            .and_then(|r| r.split("</p>").next())
            .expect("an error beside the field");
        assert!(error.contains(named), "{typed}: {error}");
        assert!(html.contains("aria-invalid=\"true\""), "{typed}");
        assert!(
            html.contains(&format!(">{typed}</textarea>")),
            "input kept: {typed}"
        );
        assert!(enrolled(&app, s.id).is_empty(), "{typed}");
    }
    // Eleven codes are refused whole.
    let many: Vec<String> = (1..=11).map(|n| format!("CSE2010-{n}")).collect();
    let res = s
        .post(&app, "/registration/quick", &[("codes", &many.join(","))])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(enrolled(&app, s.id).is_empty());
}

#[tokio::test]
async fn a_drop_asks_once_naming_the_section_before_anything_changes() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let a = app.reg_course(&fx, "CSE2010", 3);
    let sa = app.reg_section(
        SectionBuilder::of(fx.term_id, a)
            .no(1)
            .capacity(30)
            .meets(1, 540, 615),
    );
    let ids = app.reg_students(&fx, "d", 1);
    let s = app.student(ids[0]).await;
    let res = s
        .post(&app, "/registration", &[("section_id", &sa.to_string())])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(enrolled(&app, s.id), vec![sa]);

    let res = s
        .post(
            &app,
            "/registration/drop",
            &[("section_id", &sa.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"drop-confirm\""));
    assert!(
        html.contains("CSE2010-01"),
        "the question names the section"
    );
    assert!(html.contains("대기자"), "the waitlist is warned of");
    assert!(html.contains("name=\"confirm\" value=\"1\""));
    assert_eq!(enrolled(&app, s.id), vec![sa], "asking drops nothing");

    let res = s
        .post(
            &app,
            "/registration/drop",
            &[("section_id", &sa.to_string()), ("confirm", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(enrolled(&app, s.id).is_empty());
}
