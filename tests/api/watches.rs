//! Vacancy watch: watching a full section, the limits, and the notice that arrives in the
//! transaction that frees a seat the waitlist does not take — before anyone can take it.

use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use sugang::db::schema::{enrollments, notices, section_watches};

use crate::helpers::{error_code, RegStudent, SectionBuilder, TestApp};

async fn watch(app: &TestApp, s: &RegStudent, section: i32) -> reqwest::Response {
    s.client
        .post(app.url("/api/v1/watches"))
        .json(&json!({ "section_id": section }))
        .send()
        .await
        .expect("request")
}

fn seat_notices(app: &TestApp, student: i32) -> Vec<String> {
    notices::table
        .filter(notices::user_id.eq(student))
        .filter(notices::kind.eq("seat_opened"))
        .select(notices::message_en)
        .load(&mut app.conn())
        .expect("notices")
}

#[actix_web::test]
async fn a_freed_seat_tells_every_watcher_first_and_then_goes_to_exactly_one_student() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "WCH100", 3);
    let section = app.reg_section(SectionBuilder::of(fx.term_id, course).capacity(2));
    let ids = app.reg_students(&fx, "wch", 12);
    let students = app.students(&ids).await;
    for s in &students[..2] {
        assert_eq!(
            app.post_enrollment(s, section).await.status(),
            StatusCode::CREATED
        );
    }
    // An open section is not watched; a full one is, once per student; watching grants nothing.
    let other = app.reg_section(SectionBuilder::of(
        fx.term_id,
        app.reg_course(&fx, "WCH200", 3),
    ));
    let res = watch(&app, &students[2], other).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(res).await, "watch_not_needed");
    let res = watch(&app, &students[0], section).await;
    assert_eq!(error_code(res).await, "already_enrolled");
    for s in &students[2..6] {
        let res = watch(&app, s, section).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["section"]["id"], section);
    }
    let res = watch(&app, &students[2], section).await;
    assert_eq!(error_code(res).await, "already_watching");
    let mine: Value = students[2]
        .client
        .get(app.url("/api/v1/watches"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(mine["watches"][0]["section"]["id"], section);
    assert_eq!(mine["watches"][0]["seats_left"], 0);
    assert_eq!(mine["limit"], 10);
    let seats: i64 = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .count()
        .get_result(&mut app.conn())
        .expect("rows");
    assert_eq!(seats, 2, "watching takes no seat");
    assert!(seat_notices(&app, ids[2]).is_empty());

    // A drop frees a seat: the notices are written in the drop's own transaction.
    assert_eq!(
        app.delete_enrollment(&students[0], section).await.status(),
        StatusCode::OK
    );
    for id in &ids[2..6] {
        let n = seat_notices(&app, *id);
        assert_eq!(n.len(), 1, "one notice per watcher");
        assert!(n[0].contains("WCH100"), "{n:?}");
    }
    let notice: Value = students[3]
        .client
        .get(app.url("/api/v1/notices"))
        .send()
        .await
        .expect("notices")
        .json()
        .await
        .expect("json");
    assert!(notice.to_string().contains("seat_opened"), "{notice}");
    let left: i64 = section_watches::table
        .count()
        .get_result(&mut app.conn())
        .expect("watches");
    assert_eq!(left, 0, "a watch ends when it fires");

    // Everyone races for the one seat: exactly one gets it.
    let answers = join_all(
        students[2..]
            .iter()
            .map(|s| app.post_enrollment(s, section)),
    )
    .await;
    let won = answers
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1);
    let seats: i64 = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .count()
        .get_result(&mut app.conn())
        .expect("rows");
    assert_eq!(seats, 2);
}

#[actix_web::test]
async fn a_seat_the_waitlist_takes_tells_no_watcher() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "WCH300", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(1)
            .waitlist(5),
    );
    let ids = app.reg_students(&fx, "wcw", 3);
    let students = app.students(&ids).await;
    assert_eq!(
        app.post_enrollment(&students[0], section).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post_waitlist(&students[1], section).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        watch(&app, &students[2], section).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.delete_enrollment(&students[0], section).await.status(),
        StatusCode::OK
    );
    let holder: Vec<i32> = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .select(enrollments::student_id)
        .load(&mut app.conn())
        .expect("rows");
    assert_eq!(holder, vec![ids[1]], "the waitlist took the seat");
    assert!(seat_notices(&app, ids[2]).is_empty(), "no seat to announce");
    // The watch stays for the next seat.
    let res = students[2]
        .client
        .delete(app.url(&format!("/api/v1/watches/{section}")))
        .send()
        .await
        .expect("unwatch");
    assert_eq!(res.status(), StatusCode::OK);
    let res = students[2]
        .client
        .delete(app.url(&format!("/api/v1/watches/{section}")))
        .send()
        .await
        .expect("unwatch again");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_student_watches_at_most_ten_sections_and_bad_input_changes_nothing() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let full: Vec<i32> = (0..11)
        .map(|i| {
            let course = app.reg_course(&fx, &format!("WCL{i:03}"), 1);
            app.reg_section(SectionBuilder::of(fx.term_id, course).capacity(1))
        })
        .collect();
    let ids = app.reg_students(&fx, "wcl", 2);
    let students = app.students(&ids).await;
    for section in &full {
        let res = app.post_enrollment(&students[0], *section).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    for section in &full[..10] {
        assert_eq!(
            watch(&app, &students[1], *section).await.status(),
            StatusCode::CREATED
        );
    }
    let res = watch(&app, &students[1], full[10]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(res).await, "watch_limit");
    let res = watch(&app, &students[1], 987_654).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = students[1]
        .client
        .post(app.url("/api/v1/watches"))
        .json(&json!({ "section_id": "x" }))
        .send()
        .await
        .expect("bad");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let n: i64 = section_watches::table
        .count()
        .get_result(&mut app.conn())
        .expect("watches");
    assert_eq!(n, 10);
}
