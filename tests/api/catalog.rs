//! Catalog search, section pages and the catalog cache.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{error_code, BuiltSection, SectionBuilder, TestApp};

/// A small catalog in the current term (and one section in a past term).
struct Catalog {
    term: i32,
    cse: i32,
    ds1: BuiltSection,
    ds2: BuiltSection,
    calc: BuiltSection,
    capstone: BuiltSection,
    os: BuiltSection,
    past: BuiltSection,
}

async fn catalog_app() -> (TestApp, Catalog) {
    let app = TestApp::spawn().await;
    let term = app.insert_current_term();
    let past_term = app.insert_past_term();
    let cse = app.insert_department("CSE");
    let mat = app.insert_department("MAT");
    let filler = app.insert_student("29990001");
    let ds1 = SectionBuilder::new("CSE2010", cse)
        .title("자료구조", "Data Structures")
        .category("major_required")
        .instructor("김철수")
        .meets_in(1, 9 * 60, 10 * 60 + 15, "공학관 301")
        .meets_in(3, 9 * 60, 10 * 60 + 15, "공학관 301")
        .insert(&app, term);
    let ds2 = SectionBuilder::new("CSE2010", cse)
        .no(2)
        .instructor("이영희")
        .capacity(40)
        .meets(2, 13 * 60 + 30, 14 * 60 + 45)
        .meets(4, 13 * 60 + 30, 14 * 60 + 45)
        .insert(&app, term);
    let calc = SectionBuilder::new("MAT1010", mat)
        .title("미적분학", "Calculus")
        .category("general_required")
        .years(0b0001)
        .meets(5, 18 * 60, 20 * 60 + 50)
        .insert(&app, term);
    let capstone = SectionBuilder::new("CSE4010", cse)
        .title("캡스톤디자인", "Capstone Design")
        .credits(2)
        .capacity(1)
        .enroll(filler)
        .meets(6, 10 * 60, 12 * 60 + 50)
        .insert(&app, term);
    let os = SectionBuilder::new("CSE3030", cse)
        .title("운영체제", "Operating Systems")
        .cancelled()
        .meets(1, 13 * 60, 14 * 60 + 15)
        .insert(&app, term);
    let past = SectionBuilder::new("CSE9999", cse)
        .title("자료구조 특강", "Data Structures Special")
        .meets(1, 9 * 60, 10 * 60)
        .insert(&app, past_term);
    (
        app,
        Catalog {
            term,
            cse,
            ds1,
            ds2,
            calc,
            capstone,
            os,
            past,
        },
    )
}

async fn signed_in(app: &TestApp, login: &str) -> reqwest::Client {
    app.insert_student(login);
    let client = app.client();
    app.sign_in(&client, login).await;
    client
}

fn ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect()
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

fn id(s: BuiltSection) -> i64 {
    i64::from(s.section_id)
}

#[tokio::test]
async fn search_needs_a_signed_in_user() {
    let (app, _) = catalog_app().await;
    let res = app.get(&app.client(), "/api/v1/sections").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.get(&app.client(), "/courses").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn each_filter_and_their_combinations_select_the_right_sections() {
    let (app, c) = catalog_app().await;
    let client = signed_in(&app, "20270001").await;
    let all = app.search_sections(&client, "").await;
    assert_eq!(all["total"], 5, "only the current term, cancelled shown");
    assert!(!ids(&all).contains(&id(c.past)));

    let cases: Vec<(&str, Vec<i64>)> = vec![
        ("q=자료구조", vec![id(c.ds1), id(c.ds2)]),
        ("q=%EC%9E%90%EB%A3%8C", vec![id(c.ds1), id(c.ds2)]),
        ("q=data+structures", vec![id(c.ds1), id(c.ds2)]),
        ("q=cse2010", vec![id(c.ds1), id(c.ds2)]),
        ("q=이영희", vec![id(c.ds2)]),
        ("q=calculus", vec![id(c.calc)]),
        ("q=없는과목", vec![]),
        ("department=MAT", vec![id(c.calc)]),
        ("department=cse&credits=2", vec![id(c.capstone)]),
        ("category=general_required", vec![id(c.calc)]),
        ("category=major_required", vec![id(c.ds1), id(c.ds2)]),
        ("day=2", vec![id(c.ds2)]),
        ("day=sat", vec![id(c.capstone)]),
        ("day=1,5", vec![id(c.ds1), id(c.calc), id(c.os)]),
        ("time=evening", vec![id(c.calc)]),
        ("day=1&time=afternoon", vec![id(c.os)]),
        ("day=1&time=morning", vec![id(c.ds1)]),
        ("credits=3&day=4", vec![id(c.ds2)]),
        (
            "year=1",
            vec![id(c.ds1), id(c.ds2), id(c.calc), id(c.capstone), id(c.os)],
        ),
        (
            "year=2",
            vec![id(c.ds1), id(c.ds2), id(c.capstone), id(c.os)],
        ),
        ("open_only=1", vec![id(c.ds1), id(c.ds2), id(c.calc)]),
        (
            "department=CSE&open_only=true&time=morning",
            vec![id(c.ds1)],
        ),
        ("q=자료구조&day=2&open_only=1", vec![id(c.ds2)]),
    ];
    for (query, want) in cases {
        let body = app.search_sections(&client, query).await;
        assert_eq!(sorted(ids(&body)), sorted(want.clone()), "{query}");
        assert_eq!(body["total"], want.len(), "{query}");
    }

    // Sorting: most seats left first (cancelled last); by credits.
    let body = app.search_sections(&client, "sort=seats_left").await;
    assert_eq!(ids(&body)[0], id(c.ds2));
    assert_eq!(*ids(&body).last().expect("last"), id(c.os));
    let body = app.search_sections(&client, "sort=credits").await;
    assert_eq!(ids(&body)[0], id(c.capstone));
    // Default order is by course code, then section.
    let body = app.search_sections(&client, "department=CSE").await;
    assert_eq!(
        ids(&body),
        vec![id(c.ds1), id(c.ds2), id(c.os), id(c.capstone)]
    );
    let _ = (c.term, c.cse);
}

#[tokio::test]
async fn items_carry_sections_seats_and_meetings() {
    let (app, c) = catalog_app().await;
    let client = signed_in(&app, "20270001").await;
    let body = app.search_sections(&client, "q=CSE4010").await;
    let item = &body["items"][0];
    assert_eq!(item["id"], c.capstone.section_id);
    assert_eq!(item["course_code"], "CSE4010");
    assert_eq!(item["section_no"], 1);
    assert_eq!(item["title_ko"], "캡스톤디자인");
    assert_eq!(item["title_en"], "Capstone Design");
    assert_eq!(item["credits"], 2);
    assert_eq!(item["instructor"], "김교수");
    assert_eq!(item["capacity"], 1);
    assert_eq!(item["enrolled"], 1);
    assert_eq!(item["seats_left"], 0);
    assert_eq!(item["department"]["code"], "CSE");
    let m = &item["meetings"][0];
    assert_eq!(m["weekday"], 6);
    assert_eq!(m["starts_at"], "10:00");
    assert_eq!(m["ends_at"], "12:50");
    assert_eq!(m["room"], "R-CSE4010");
    let body = app.search_sections(&client, "q=운영체제").await;
    assert_eq!(body["items"][0]["status"], "cancelled");
    assert_eq!(body["term"]["name_en"], "Spring 2027");
}

#[tokio::test]
async fn paging_reports_totals_and_rejects_bad_parameters_clearly() {
    let (app, _) = catalog_app().await;
    let client = signed_in(&app, "20270001").await;
    let p1 = app.search_sections(&client, "per_page=2").await;
    assert_eq!(
        (p1["total"].clone(), p1["pages"].clone()),
        (5.into(), 3.into())
    );
    assert_eq!(ids(&p1).len(), 2);
    let p3 = app.search_sections(&client, "per_page=2&page=3").await;
    assert_eq!(ids(&p3).len(), 1);
    let mut seen: Vec<i64> = ids(&p1);
    seen.extend(ids(&app
        .search_sections(&client, "per_page=2&page=2")
        .await));
    seen.extend(ids(&p3));
    seen.dedup();
    assert_eq!(seen.len(), 5, "pages do not overlap");
    // Past the last page: empty, with the totals, not an error.
    let beyond = app.search_sections(&client, "per_page=2&page=9").await;
    assert_eq!(beyond["total"], 5);
    assert!(ids(&beyond).is_empty());

    for (query, field) in [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("day=7", "day"),
        ("credits=x", "credits"),
        ("category=major", "category"),
        ("time=noon", "time"),
        ("year=9", "year"),
        ("sort=random", "sort"),
        ("open_only=perhaps", "open_only"),
        ("department=%27%20OR%201", "department"),
    ] {
        let res = app.get(&client, &format!("/api/v1/sections?{query}")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"]["code"], "validation", "{query}");
        assert_eq!(body["error"]["field"], field, "{query}");
    }
    let long = format!("/api/v1/sections?q={}", "가".repeat(101));
    let res = app.get(&client, &long).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The page answers the same way, as HTML.
    let res = app.get(&client, "/courses?page=0").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("쪽 번호"));
}

#[tokio::test]
async fn a_catalog_change_shows_on_the_next_request_after_bump_version() {
    let (app, c) = catalog_app().await;
    let client = signed_in(&app, "20270001").await;
    let before = app.search_sections(&client, "q=CSE2010").await;
    assert_eq!(before["items"][0]["title_ko"], "자료구조");

    {
        use sugang::db::schema::courses;
        diesel::update(courses::table.find(c.ds1.course_id))
            .set(courses::title_ko.eq("자료구조와 알고리즘"))
            .execute(&mut app.conn())
            .expect("update");
    }
    // Served from the cache until the catalog version moves...
    let cached = app.search_sections(&client, "q=CSE2010").await;
    assert_eq!(cached["items"][0]["title_ko"], "자료구조");
    assert_eq!(app.state.catalog.snapshot_loads(), 1);

    sugang::catalog::bump_version(&app.state.cache)
        .await
        .expect("bump");
    // ... and changed on the very next request after it.
    let after = app.search_sections(&client, "q=알고리즘").await;
    // Both sections of the renamed course.
    assert_eq!(ids(&after), vec![id(c.ds1), id(c.ds2)]);
    assert_eq!(after["items"][0]["title_ko"], "자료구조와 알고리즘");
    let res = app.get_section(&client, c.ds1.section_id).await;
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["title_ko"], "자료구조와 알고리즘");
    assert_eq!(app.state.catalog.snapshot_loads(), 2);
}

#[tokio::test]
async fn seat_numbers_follow_enrollments_within_a_second() {
    let (app, c) = catalog_app().await;
    let client = signed_in(&app, "20270001").await;
    let before = app.search_sections(&client, "q=CSE2010&sort=code").await;
    assert_eq!(before["items"][0]["seats_left"], 30);
    assert_eq!(before["items"][0]["enrolled"], 0);

    let student = app.insert_student("20270099");
    app.enroll(student, c.ds1, c.term);
    // Seats are at most one second stale; the snapshot is not rebuilt for them.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = app.search_sections(&client, "q=CSE2010&sort=code").await;
    assert_eq!(after["items"][0]["seats_left"], 29);
    assert_eq!(after["items"][0]["enrolled"], 1);
    let detail: Value = app
        .get_section(&client, c.ds1.section_id)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail["enrolled"], 1);
    assert_eq!(app.state.catalog.snapshot_loads(), 1);

    // A section that fills drops out of "seats left only".
    {
        use sugang::db::schema::sections;
        diesel::update(sections::table.find(c.ds2.section_id))
            .set(sections::capacity.eq(0))
            .execute(&mut app.conn())
            .expect("update");
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let open = app.search_sections(&client, "open_only=1").await;
    assert_eq!(sorted(ids(&open)), sorted(vec![id(c.ds1), id(c.calc)]));
}

#[tokio::test]
async fn a_cold_cache_is_filled_once_by_concurrent_requests() {
    let (app, _) = catalog_app().await;
    let client = signed_in(&app, "20270001").await;
    assert_eq!(app.state.catalog.snapshot_loads(), 0);
    let requests = (0..40).map(|i| {
        let client = client.clone();
        let url = app.url(&format!("/api/v1/sections?page=1&per_page={}", 1 + i % 5));
        async move { client.get(url).send().await.expect("request").status() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(app.state.catalog.snapshot_loads(), 1);
    // The snapshot is in Redis for other instances.
    let mut conn = redis::Client::open(crate::helpers::redis_url())
        .expect("redis")
        .get_connection()
        .expect("connection");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}catalog:term:*:snapshot", app.prefix.0))
        .query(&mut conn)
        .expect("keys");
    assert_eq!(keys.len(), 1, "{keys:?}");
}

#[tokio::test]
async fn a_second_instance_reuses_the_snapshot_in_redis() {
    let (app, _) = catalog_app().await;
    let client = signed_in(&app, "20270001").await;
    app.search_sections(&client, "").await;
    assert_eq!(app.state.catalog.snapshot_loads(), 1);
    // Another CatalogCache (another instance) with the same Redis and MySQL.
    let other = sugang::catalog::CatalogCache::default();
    let snapshot = other
        .snapshot(&app.state.db, &app.state.cache)
        .await
        .expect("snapshot")
        .expect("current term");
    assert_eq!(snapshot.sections.len(), 5);
    assert_eq!(other.snapshot_loads(), 0, "read from Redis, not MySQL");
}

#[tokio::test]
async fn section_detail_shows_meetings_requirements_demand_and_standing() {
    let (app, c) = catalog_app().await;
    let mat = {
        use sugang::db::schema::departments;
        departments::table
            .filter(departments::code.eq("MAT"))
            .select(departments::id)
            .first::<i32>(&mut app.conn())
            .expect("MAT")
    };
    // An advanced course with a prerequisite, a department restriction and a waitlist.
    let adv = SectionBuilder::new("CSE3010", c.cse)
        .title("알고리즘", "Algorithms")
        .capacity(1)
        .waitlist(3)
        .only_department(c.cse)
        .years(0b1100)
        .meets_in(2, 9 * 60, 10 * 60 + 15, "IT관 101")
        .insert(&app, c.term);
    {
        use sugang::db::schema::course_prerequisites;
        diesel::insert_into(course_prerequisites::table)
            .values((
                course_prerequisites::course_id.eq(adv.course_id),
                course_prerequisites::required_course_id.eq(c.ds1.course_id),
            ))
            .execute(&mut app.conn())
            .expect("prerequisite");
    }
    let me = app.insert_student_in("20270001", c.cse, 3);
    let other = app.insert_student_in("20270002", mat, 3);
    let third = app.insert_student_in("20270003", c.cse, 3);
    {
        use sugang::db::schema::{basket_items, completed_courses, waitlist_entries};
        let mut conn = app.conn();
        for s in [me, other] {
            diesel::insert_into(basket_items::table)
                .values((
                    basket_items::student_id.eq(s),
                    basket_items::section_id.eq(adv.section_id),
                ))
                .execute(&mut conn)
                .expect("basket");
        }
        diesel::insert_into(waitlist_entries::table)
            .values((
                waitlist_entries::student_id.eq(other),
                waitlist_entries::section_id.eq(adv.section_id),
            ))
            .execute(&mut conn)
            .expect("waitlist");
        diesel::insert_into(completed_courses::table)
            .values((
                completed_courses::student_id.eq(me),
                completed_courses::course_id.eq(c.ds1.course_id),
                completed_courses::term_label.eq("2026-2"),
                completed_courses::grade.eq("A0"),
            ))
            .execute(&mut conn)
            .expect("completed");
    }
    app.enroll(third, adv, c.term);
    sugang::catalog::bump_version(&app.state.cache)
        .await
        .expect("bump");

    let client = app.client();
    app.sign_in(&client, "20270001").await;
    let res = app.get_section(&client, adv.section_id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["meetings"][0]["room"], "IT관 101");
    assert_eq!(body["instructor"], "김교수");
    assert_eq!(
        (
            body["capacity"].clone(),
            body["enrolled"].clone(),
            body["seats_left"].clone()
        ),
        (1.into(), 1.into(), 0.into())
    );
    assert_eq!(body["basket_count"], 2);
    assert_eq!(body["waitlist_length"], 1);
    assert_eq!(body["waitlist_capacity"], 3);
    assert_eq!(body["prerequisites"][0]["course_code"], "CSE2010");
    assert_eq!(body["prerequisites"][0]["completed"], true);
    assert_eq!(body["restrictions"]["department"]["code"], "CSE");
    assert_eq!(
        body["restrictions"]["class_years"],
        serde_json::json!([3, 4])
    );
    // Full: the waitlist is offered; registration opens later (the register window is ahead).
    assert_eq!(body["standing"]["state"], "full");
    let actions = &body["standing"]["actions"];
    assert_eq!(actions[0]["code"], "waitlist_join");
    assert_eq!(actions[0]["enabled"], false);
    assert_eq!(actions[0]["reason"], "window_closed");
    // A full section may be watched for a free seat, whatever the window.
    assert_eq!(actions[1]["code"], "watch");
    assert_eq!(actions[1]["enabled"], true);
    assert_eq!(actions[2]["code"], "basket_remove");
    assert_eq!(actions[2]["enabled"], true, "the basket window is open");
    assert!(body["registration_opens_at"].is_string());

    // The page shows the same, without JavaScript.
    let html = app
        .get(&client, &format!("/courses/{}", adv.section_id))
        .await
        .text()
        .await
        .expect("html");
    for needle in [
        "CSE3010-01 알고리즘",
        "IT관 101",
        "id=\"basket-count\">2<",
        "id=\"seats-left\">0<",
        "정원이 찼습니다",
        "CSE2010 자료구조",
        "이수함",
        "3학년, 4학년",
        "data-action=\"waitlist_join\"",
        "/timetable?add=",
    ] {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    let waitlist_button = html
        .split("data-action=\"waitlist_join\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap_or_default();
    assert!(
        waitlist_button.contains(" disabled"),
        "the waitlist button is disabled: {waitlist_button}"
    );

    // The student enrolled in it sees "already enrolled"; another department is not eligible.
    let client3 = app.client();
    app.sign_in(&client3, "20270003").await;
    let body: Value = app
        .get_section(&client3, adv.section_id)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["standing"]["state"], "already_enrolled");
    assert_eq!(body["standing"]["actions"][0]["code"], "drop");
    let client2 = app.client();
    app.sign_in(&client2, "20270002").await;
    let body: Value = app
        .get_section(&client2, adv.section_id)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["standing"]["state"], "not_eligible");
    assert_eq!(body["waitlist_position"], 1);
}

#[tokio::test]
async fn sections_outside_the_current_term_are_not_found() {
    let (app, c) = catalog_app().await;
    let client = signed_in(&app, "20270001").await;
    let res = app.get_section(&client, c.past.section_id).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "not_found");
    for path in ["/api/v1/sections/999999", "/api/v1/sections/abc"] {
        let res = app.get(&client, path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let res = app.get(&client, "/courses/999999").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Cancelled sections are shown, marked.
    let html = app
        .get(&client, &format!("/courses/{}", c.os.section_id))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"cancelled\""));
}

#[tokio::test]
async fn the_search_page_works_without_javascript_in_both_languages() {
    let (app, c) = catalog_app().await;
    let client = signed_in(&app, "20270001").await;
    // An HTML form sends every field, empty ones included.
    let res = app
        .get(
            &client,
            "/courses?q=%EC%9E%90%EB%A3%8C%EA%B5%AC%EC%A1%B0&department=&category=&day=&time=&credits=&year=&sort=code",
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("검색 결과 2건"));
    assert!(html.contains(&format!("href=\"/courses/{}\"", c.ds1.section_id)));
    assert!(html.contains("월 09:00–10:15 공학관 301"));
    assert!(html.contains("href=\"/courses\""), "nav link to search");
    assert!(
        html.contains("href=\"/timetable\""),
        "nav link to timetable"
    );
    assert!(html.contains("id=\"server-clock\""));

    let html = app
        .get(&client, "/courses?per_page=2&lang=en")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("5 results · page 1 of 3"));
    assert!(html.contains("id=\"next-page\""));
    assert!(html.contains("page=2"));
    let html = app
        .get(&client, "/courses?day=6&lang=en")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Capstone Design"));
    assert!(html.contains("Full"));
}

#[tokio::test]
async fn registrars_can_search_too() {
    let (app, _) = catalog_app().await;
    app.insert_registrar("staff1");
    let client = app.client();
    app.sign_in(&client, "staff1").await;
    let body = app.search_sections(&client, "").await;
    assert_eq!(body["total"], 5);
}

#[tokio::test]
async fn search_answers_503_while_redis_is_unreachable_and_recovers_by_itself() {
    let target = crate::helpers::redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_string();
    let redis = crate::helpers::Partition::start(&target).await;
    let proxied = format!("redis://{}", redis.addr);
    let app = TestApp::spawn_with(move |s| s.redis_url = proxied).await;
    let term = app.insert_current_term();
    let cse = app.insert_department("CSE");
    SectionBuilder::new("CSE2010", cse)
        .meets(1, 540, 615)
        .insert(&app, term);
    let client = signed_in(&app, "20270001").await;
    assert_eq!(app.search_sections(&client, "").await["total"], 1);

    redis.cut();
    let res = app.get(&client, "/api/v1/sections").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    redis.restore();
    let mut recovered = false;
    for _ in 0..100 {
        if app.get(&client, "/api/v1/sections").await.status() == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "search works again once Redis is back");
}
