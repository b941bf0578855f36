//! The opening draw of a `register` window: before opening nothing is earned; inside the span the
//! decisions follow a drawn order, not arrival.

use std::time::Duration;

use diesel::prelude::*;
use futures_util::future::join_all;
use serde_json::Value;

use sugang::db::schema::activity_log;

use crate::helpers::{RegistrationFixture, SectionBuilder, TestApp};

const SEED: u64 = 42;

#[tokio::test]
async fn inside_the_opening_span_decisions_follow_the_drawn_order_not_arrival() {
    let app = TestApp::spawn_with(|s| {
        s.workers = 4;
        s.db_pool_size = 16;
        s.db_pool_timeout = Duration::from_secs(30);
        s.opening_draw_span = Duration::from_secs(6);
        s.opening_draw_seed = Some(SEED);
    })
    .await;
    let now = chrono::Utc::now().naive_utc();
    let opens = now + chrono::Duration::seconds(3);
    let term_id =
        app.insert_term_with_windows(&[("register", opens, now + chrono::Duration::days(2))]);
    let fx = RegistrationFixture {
        term_id,
        department_id: app.insert_department("CSE"),
    };
    let course = app.reg_course(&fx, "CSE101", 3);
    let section = app.reg_section(SectionBuilder::of(term_id, course).capacity(5));
    let ids = app.reg_students(&fx, "op", 21);
    let students = app.students(&ids).await;
    let (early, rest) = students.split_first().expect("students");

    // Before opening: refused with the opening time, and no place in the draw.
    let res = app.post_enrollment(early, section).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "window_closed");

    // Wait for the window to open (by the database's clock of the window, not asserted on).
    loop {
        if chrono::Utc::now().naive_utc() >= opens + chrono::Duration::milliseconds(100) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Sent one after the other, a little apart, all inside the span.
    let mut handles = Vec::new();
    for (i, s) in rest.iter().enumerate() {
        let client = s.client.clone();
        let url = app.url("/api/v1/enrollments");
        handles.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .json(&serde_json::json!({ "section_id": section }))
                .send()
                .await
                .expect("request");
            (i, res.status().as_u16())
        }));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let answers: Vec<(usize, u16)> = join_all(handles)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();

    // The draw is in the activity log with its seed and order.
    let details: Vec<Option<String>> = activity_log::table
        .filter(activity_log::action.eq("opening_draw"))
        .order(activity_log::id)
        .select(activity_log::detail)
        .load(&mut app.conn())
        .expect("draw lines");
    assert!(!details.is_empty(), "the draw is logged");
    let mut order: Vec<i32> = Vec::new();
    for d in details.into_iter().flatten() {
        assert!(d.contains(&format!("seed={SEED}")), "{d}");
        let list = d.split("order=").nth(1).unwrap_or("");
        order.extend(list.split(',').filter_map(|x| x.parse::<i32>().ok()));
    }
    assert!(
        !order.contains(&early.id),
        "a request before opening earns nothing"
    );
    let mut sorted = order.clone();
    sorted.sort();
    let mut all: Vec<i32> = rest.iter().map(|s| s.id).collect();
    all.sort();
    assert_eq!(
        sorted, all,
        "every request of the span is drawn exactly once"
    );
    let sent_order: Vec<i32> = rest.iter().map(|s| s.id).collect();
    assert_ne!(
        order, sent_order,
        "the drawn order is not the arrival order"
    );

    // The registrar dashboard lists the draw with its seed.
    let registrar = app.registrar("registrar-t").await;
    let page = registrar
        .client
        .get(app.url("/admin"))
        .send()
        .await
        .expect("dashboard")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(&format!("data-seed=\"{SEED}\"")),
        "the dashboard shows the draw"
    );

    // The seats went to the first five of the drawn order, and to nobody else.
    let granted: Vec<i32> = answers
        .iter()
        .filter(|(_, status)| *status == 201)
        .map(|(i, _)| rest[*i].id)
        .collect();
    let mut expected: Vec<i32> = order[..5].to_vec();
    expected.sort();
    let mut got = granted.clone();
    got.sort();
    assert_eq!(got, expected);
    // Every request of the span was decided exactly once.
    for s in rest {
        let n: i64 = activity_log::table
            .filter(activity_log::student_id.eq(s.id))
            .filter(activity_log::action.eq("enroll"))
            .count()
            .get_result(&mut app.conn())
            .expect("count");
        assert_eq!(n, 1, "student {} decided once", s.id);
    }
}
