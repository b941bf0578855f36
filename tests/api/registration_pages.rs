//! The registration forms: post, redirect, and a one-time message on the next page.

use reqwest::{header, StatusCode};

use crate::helpers::{RegStudent, SectionBuilder, TestApp};

async fn post_form(
    app: &TestApp,
    s: &RegStudent,
    path: &str,
    fields: &[(&str, &str)],
) -> (String, bool) {
    let res = s.post(app, path, fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
    let location = res.headers()[header::LOCATION]
        .to_str()
        .expect("ascii")
        .to_string();
    let flagged = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|c| c.to_str().unwrap_or("").starts_with("sugang_flash=1"));
    (location, flagged)
}

/// Follows the redirect with the flash marker and returns the page and the message shown.
async fn follow(app: &TestApp, s: &RegStudent, location: &str) -> (String, Option<String>) {
    let html = s.page_with_flash(app, location).await;
    let flash = html
        .split("id=\"flash\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .map(str::to_string);
    (html, flash)
}

#[tokio::test]
async fn forms_register_drop_and_swap_with_a_message_after_the_redirect() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let algo = app.reg_course(&fx, "CSE3010", 3);
    let os = app.reg_course(&fx, "CSE3020", 3);
    let algo_1 = app.reg_section(
        SectionBuilder::of(fx.term_id, algo)
            .no(1)
            .capacity(30)
            .meets(1, 540, 615),
    );
    let algo_2 = app.reg_section(
        SectionBuilder::of(fx.term_id, algo)
            .no(2)
            .capacity(30)
            .meets(2, 540, 615),
    );
    let os_full = app.reg_section(
        SectionBuilder::of(fx.term_id, os)
            .no(1)
            .capacity(0)
            .meets(3, 540, 615),
    );
    let ids = app.reg_students(&fx, "p", 1);
    let s = app.student(ids[0]).await;

    // Register from a section page: back to that page with the receipt as the message.
    let next = format!("/courses/{algo_1}");
    let (location, flagged) = post_form(
        &app,
        &s,
        "/registration",
        &[("section_id", &algo_1.to_string()), ("next", &next)],
    )
    .await;
    assert_eq!(location, next);
    assert!(flagged);
    let (_, flash) = follow(&app, &s, &location).await;
    assert!(
        flash.expect("message").contains("CSE3010-01"),
        "receipt names the section"
    );

    // The same again is refused with the rule's message, and nothing changes.
    let (location, _) = post_form(
        &app,
        &s,
        "/registration",
        &[("section_id", &algo_1.to_string())],
    )
    .await;
    let (_, flash) = follow(&app, &s, &location).await;
    assert!(
        flash.expect("message").contains("이미"),
        "already enrolled, in Korean"
    );

    // Quick add by course code and section number: the full section refuses.
    let (location, _) = post_form(
        &app,
        &s,
        "/registration",
        &[
            ("course_code", "cse3020"),
            ("section_no", "1"),
            ("next", "/registration"),
        ],
    )
    .await;
    assert_eq!(location, "/registration");
    let (html, flash) = follow(&app, &s, &location).await;
    assert!(flash.is_some());
    assert!(!html.contains(&format!("data-section=\"{os_full}\"")));
    assert!(html.contains(&format!("data-section=\"{algo_1}\"")));

    // Swap section 1 for section 2 of the same course.
    let (location, _) = post_form(
        &app,
        &s,
        "/registration/swap",
        &[
            ("drop_section_id", &algo_1.to_string()),
            ("add_course_code", "CSE3010"),
            ("add_section_no", "2"),
        ],
    )
    .await;
    let (html, flash) = follow(&app, &s, &location).await;
    assert!(flash.expect("message").contains("CSE3010-02"));
    assert!(html.contains(&format!("data-section=\"{algo_2}\"")));
    assert!(!html.contains(&format!("data-section=\"{algo_1}\"")));

    // Drop it.
    let (location, _) = post_form(
        &app,
        &s,
        "/registration/drop",
        &[("section_id", &algo_2.to_string()), ("confirm", "1")],
    )
    .await;
    let (html, flash) = follow(&app, &s, &location).await;
    assert!(flash.is_some());
    assert!(!html.contains(&format!("data-section=\"{algo_2}\"")));

    // A message is shown once.
    let (_, again) = follow(&app, &s, "/registration").await;
    assert!(again.is_none());

    // Unknown course and garbage input: a message, never a 500.
    for fields in [
        vec![("course_code", "NOPE999"), ("section_no", "1")],
        vec![("course_code", "CSE'--"), ("section_no", "1")],
        vec![("section_id", "-3")],
        vec![("section_id", "abc")],
        vec![],
    ] {
        let (location, flagged) = post_form(&app, &s, "/registration", &fields).await;
        assert!(flagged, "{fields:?}");
        let (_, flash) = follow(&app, &s, &location).await;
        assert!(flash.is_some(), "{fields:?}");
    }
}

#[tokio::test]
async fn the_basket_takes_and_gives_back_sections_within_its_limits() {
    use diesel::prelude::*;
    use sugang::db::schema::{activity_log, basket_items};

    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE4010", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(30)
            .meets(4, 540, 615),
    );
    let ids = app.reg_students(&fx, "b", 1);
    let s = app.student(ids[0]).await;
    let count = || {
        let mut conn = app.conn();
        basket_items::table
            .filter(basket_items::student_id.eq(s.id))
            .count()
            .get_result::<i64>(&mut conn)
            .expect("count")
    };

    let (location, _) = post_form(
        &app,
        &s,
        "/basket",
        &[
            ("section_id", &section.to_string()),
            ("next", "/registration"),
        ],
    )
    .await;
    let (_, flash) = follow(&app, &s, &location).await;
    assert!(flash.expect("message").contains("장바구니에 담았습니다"));
    assert_eq!(count(), 1);
    let detail: serde_json::Value = app
        .get(&s.client, &format!("/api/v1/sections/{section}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail["basket_count"], 1, "the demand signal counts it");

    let (location, _) =
        post_form(&app, &s, "/basket", &[("section_id", &section.to_string())]).await;
    let (_, flash) = follow(&app, &s, &location).await;
    assert!(flash.expect("message").contains("이미 장바구니"));
    assert_eq!(count(), 1);

    let (location, _) = post_form(
        &app,
        &s,
        "/basket/remove",
        &[("section_id", &section.to_string())],
    )
    .await;
    let (_, flash) = follow(&app, &s, &location).await;
    assert!(flash.expect("message").contains("뺐습니다"));
    assert_eq!(count(), 0);
    let (location, _) = post_form(
        &app,
        &s,
        "/basket/remove",
        &[("section_id", &section.to_string())],
    )
    .await;
    let (_, flash) = follow(&app, &s, &location).await;
    assert!(flash.is_some());

    let mut conn = app.conn();
    let outcomes: Vec<String> = activity_log::table
        .filter(activity_log::student_id.eq(s.id))
        .filter(activity_log::action.eq("basket"))
        .order(activity_log::id)
        .select(activity_log::outcome)
        .load(&mut conn)
        .expect("log");
    assert_eq!(
        outcomes,
        ["ok", "already_in_basket", "removed", "not_in_basket"]
    );
}
