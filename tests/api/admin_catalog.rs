//! The registrar console's terms, windows, departments, courses and sections: every form
//! validates and changes nothing when refused; writes that race are decided under a lock.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;

use sugang::db::schema::{
    activity_log, course_prerequisites, courses, departments, enrollments, meetings, notices,
    registration_windows, sections, terms, waitlist_entries,
};

use crate::helpers::console::{location, refused, seoul_input, summarized};
use crate::helpers::{SectionBuilder, TestApp};

/// The registrar's activity lines, oldest first: (action, detail).
fn logged_by(app: &TestApp, registrar: i32) -> Vec<(String, String)> {
    activity_log::table
        .filter(activity_log::actor_id.eq(registrar))
        .order(activity_log::id)
        .select((activity_log::action, activity_log::detail))
        .load::<(String, Option<String>)>(&mut app.conn())
        .expect("activity")
        .into_iter()
        .map(|(action, detail)| (action, detail.unwrap_or_default()))
        .collect()
}

fn window_count(app: &TestApp) -> i64 {
    registration_windows::table
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

#[tokio::test]
async fn a_new_term_is_validated_and_made_current_leaving_exactly_one_current_term() {
    let app = TestApp::spawn().await;
    let spring = app.insert_current_term();
    let r = app.registrar("staff01").await;
    let term = [
        ("year", "2027"),
        ("season", "fall"),
        ("name_ko", "2027학년도 2학기"),
        ("name_en", "Fall 2027"),
        ("starts_on", "2027-09-01"),
        ("ends_on", "2027-12-20"),
        ("max_credits", "19"),
    ];
    let mut backwards = term;
    backwards[5] = ("ends_on", "2027-08-01");
    refused(r.post(&app, "/admin/terms", &backwards).await, "ends_on").await;
    let mut bad_credits = term;
    bad_credits[6] = ("max_credits", "0");
    refused(
        r.post(&app, "/admin/terms", &bad_credits).await,
        "max_credits",
    )
    .await;
    let mut bad_season = term;
    bad_season[1] = ("season", "monsoon");
    refused(r.post(&app, "/admin/terms", &bad_season).await, "season").await;
    let count = |app: &TestApp| -> i64 {
        terms::table
            .count()
            .get_result(&mut app.conn())
            .expect("count")
    };
    assert_eq!(count(&app), 1, "refused forms created nothing");

    let to = location(&r.post(&app, "/admin/terms", &term).await);
    let fall: i32 = to.rsplit('/').next().expect("id").parse().expect("term id");
    refused(r.post(&app, "/admin/terms", &term).await, "year").await;
    assert_eq!(count(&app), 2);

    location(
        &r.post(&app, &format!("/admin/terms/{fall}/current"), &[])
            .await,
    );
    let current: Vec<i32> = terms::table
        .filter(terms::is_current.eq(true))
        .select(terms::id)
        .load(&mut app.conn())
        .expect("current");
    assert_eq!(current, vec![fall]);
    location(
        &r.post(&app, &format!("/admin/terms/{spring}/current"), &[])
            .await,
    );
    let current: Vec<i32> = terms::table
        .filter(terms::is_current.eq(true))
        .select(terms::id)
        .load(&mut app.conn())
        .expect("current");
    assert_eq!(current, vec![spring]);
    assert_eq!(
        r.post(&app, "/admin/terms/99999/current", &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let page = r.get(&app, "/admin/terms").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .expect("html")
        .contains("2027학년도 2학기"));
    // One line per change, none for a refused form.
    let actions: Vec<String> = logged_by(&app, r.id)
        .into_iter()
        .map(|(action, _)| action)
        .collect();
    assert_eq!(actions, ["term_create", "term_current", "term_current"]);
    assert_eq!(logged_by(&app, r.id)[0].1, format!("term {fall} 2027 fall"));
}

#[tokio::test]
async fn window_forms_refuse_bad_dates_and_overlaps_and_store_seoul_time_as_utc() {
    let app = TestApp::spawn().await;
    let term = app.insert_current_term();
    let r = app.registrar("staff01").await;
    let path = format!("/admin/terms/{term}/windows");
    let before = window_count(&app);
    let window = |opens: &'static str, closes: &'static str, cohort: &'static str| {
        [
            ("phase", "add_drop"),
            ("cohort", cohort),
            ("opens_at", opens),
            ("closes_at", closes),
        ]
    };
    refused(
        r.post(
            &app,
            &path,
            &window("2027-13-01T10:00", "2027-03-02T10:00", "year1"),
        )
        .await,
        "opens_at",
    )
    .await;
    refused(
        r.post(
            &app,
            &path,
            &window("2027-03-02T10:00", "2027-03-01T10:00", "year1"),
        )
        .await,
        "closes_at",
    )
    .await;
    refused(
        r.post(
            &app,
            &path,
            &window("2027-03-02T10:00", "2027-03-05T10:00", "year9"),
        )
        .await,
        "cohort",
    )
    .await;
    assert_eq!(window_count(&app), before, "nothing was stored");

    location(
        &r.post(
            &app,
            &path,
            &window("2027-03-02T10:00", "2027-03-05T18:00", "year1"),
        )
        .await,
    );
    let stored: (NaiveDateTime, NaiveDateTime) = registration_windows::table
        .filter(registration_windows::phase.eq("add_drop"))
        .select((
            registration_windows::opens_at,
            registration_windows::closes_at,
        ))
        .first(&mut app.conn())
        .expect("window");
    assert_eq!(
        stored.0.to_string(),
        "2027-03-02 01:00:00",
        "10:00 KST is 01:00 UTC"
    );
    assert_eq!(stored.1.to_string(), "2027-03-05 09:00:00");

    let html = refused(
        r.post(
            &app,
            &path,
            &window("2027-03-05T09:00", "2027-03-06T10:00", "year1"),
        )
        .await,
        "opens_at",
    )
    .await;
    assert!(
        html.contains("2027-03-02 10:00"),
        "the clash is named in Seoul time"
    );
    assert_eq!(window_count(&app), before + 1);
    // Back to back is not an overlap, and another cohort has its own windows.
    location(
        &r.post(
            &app,
            &path,
            &window("2027-03-05T18:00", "2027-03-06T10:00", "year1"),
        )
        .await,
    );
    location(
        &r.post(
            &app,
            &path,
            &window("2027-03-02T10:00", "2027-03-05T18:00", "year2"),
        )
        .await,
    );
    assert_eq!(window_count(&app), before + 3);
}

#[tokio::test]
async fn two_registrars_creating_overlapping_windows_at_once_store_only_one() {
    let app = TestApp::spawn().await;
    let term = app.insert_current_term();
    let a = app.registrar("staff01").await;
    let b = app.registrar("staff02").await;
    let path = format!("/admin/terms/{term}/windows");
    let before = window_count(&app);
    let mut posts = Vec::new();
    for (i, who) in [&a, &b, &a, &b, &a, &b].into_iter().enumerate() {
        let opens = format!("2027-04-0{}T09:00", 1 + i % 2);
        let (app, path) = (&app, &path);
        posts.push(async move {
            let fields = [
                ("phase", "register"),
                ("cohort", "year3"),
                ("opens_at", opens.as_str()),
                ("closes_at", "2027-04-05T18:00"),
            ];
            who.post(app, path, &fields).await.status()
        });
    }
    let statuses = futures_util::future::join_all(posts).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!((created, refused), (1, 5), "{statuses:?}");
    assert_eq!(window_count(&app), before + 1);
}

#[tokio::test]
async fn an_open_window_is_extended_live_but_never_into_the_past() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let r = app.registrar("staff01").await;
    let window = |phase: &str| -> (i32, NaiveDateTime) {
        registration_windows::table
            .filter(registration_windows::phase.eq(phase))
            .select((registration_windows::id, registration_windows::closes_at))
            .first(&mut app.conn())
            .expect("window")
    };
    let (open_id, closes) = window("register");
    let (later_id, _) = window("add_drop");
    let extend = |id: i32| format!("/admin/terms/{}/windows/{id}/extend", fx.term_id);
    let past = seoul_input(Utc::now() - Duration::hours(2));
    refused(
        r.post(&app, &extend(open_id), &[("closes_at", past.as_str())])
            .await,
        "closes_at",
    )
    .await;
    refused(
        r.post(&app, &extend(open_id), &[("closes_at", "soon")])
            .await,
        "closes_at",
    )
    .await;
    let later = seoul_input(Utc::now() + Duration::days(5));
    refused(
        r.post(&app, &extend(later_id), &[("closes_at", later.as_str())])
            .await,
        "closes_at",
    )
    .await;
    assert_eq!(window("register").1, closes, "refusals changed nothing");

    location(
        &r.post(&app, &extend(open_id), &[("closes_at", later.as_str())])
            .await,
    );
    let stored = window("register").1;
    assert_eq!(seoul_input(stored.and_utc()), later);
    let logged: i64 = activity_log::table
        .filter(activity_log::action.eq("window_extend"))
        .filter(activity_log::actor_id.eq(r.id))
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn department_and_course_forms_validate_codes_and_refuse_duplicates() {
    let app = TestApp::spawn().await;
    app.insert_current_term();
    let r = app.registrar("staff01").await;
    let dept = [
        ("code", "bio"),
        ("name_ko", "생명과학과"),
        ("name_en", "Biology"),
    ];
    location(&r.post(&app, "/admin/departments", &dept).await);
    refused(r.post(&app, "/admin/departments", &dept).await, "code").await;
    refused(
        r.post(
            &app,
            "/admin/departments",
            &[("code", "B!"), ("name_ko", "x"), ("name_en", "y")],
        )
        .await,
        "code",
    )
    .await;
    refused(
        r.post(
            &app,
            "/admin/departments",
            &[("code", "CHEM"), ("name_ko", " "), ("name_en", "Chemistry")],
        )
        .await,
        "name_ko",
    )
    .await;
    let bio: i32 = departments::table
        .filter(departments::code.eq("BIO"))
        .select(departments::id)
        .first(&mut app.conn())
        .expect("upper-cased code");
    assert_eq!(
        departments::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .expect("count"),
        1
    );
    location(
        &r.post(
            &app,
            &format!("/admin/departments/{bio}"),
            &[("name_ko", "생명과학부"), ("name_en", "Life Sciences")],
        )
        .await,
    );

    let bio_s = bio.to_string();
    let course = |code: &'static str, credits: &'static str, dept: &str| {
        vec![
            ("code", code.to_string()),
            ("title_ko", "분자생물학".to_string()),
            ("title_en", "Molecular Biology".to_string()),
            ("credits", credits.to_string()),
            ("category", "major_required".to_string()),
            ("department_id", dept.to_string()),
            ("description", "세포와 분자".to_string()),
        ]
    };
    let post_course = |fields: Vec<(&'static str, String)>| {
        let r = &r;
        let app = &app;
        async move {
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            r.post(app, "/admin/courses", &borrowed).await
        }
    };
    refused(post_course(course("BIO3010", "9", &bio_s)).await, "credits").await;
    refused(
        post_course(course("BIO3010", "-1", &bio_s)).await,
        "credits",
    )
    .await;
    refused(
        post_course(course("BIO3010", "3", "424242")).await,
        "department_id",
    )
    .await;
    assert_eq!(
        courses::table
            .count()
            .get_result::<i64>(&mut app.conn())
            .expect("count"),
        0
    );
    let to = location(&post_course(course("BIO3010", "3", &bio_s)).await);
    assert!(to.starts_with("/admin/courses/"));
    refused(post_course(course("BIO3010", "3", &bio_s)).await, "code").await;
    let page = r.get(&app, "/admin/courses?q=BIO").await;
    assert!(page.text().await.expect("html").contains("BIO3010"));
    let mut changed = course("BIO3010", "2", &bio_s);
    changed.retain(|(k, _)| *k != "code");
    let borrowed: Vec<(&str, &str)> = changed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    location(&r.post(&app, &to, &borrowed).await);
    // One line per change, none for a refused form.
    assert_eq!(
        logged_by(&app, r.id),
        [
            ("department_create", "BIO"),
            ("department_rename", "BIO: 생명과학부 / Life Sciences"),
            ("course_create", "BIO3010"),
            ("course_update", "BIO3010"),
        ]
        .map(|(a, d)| (a.to_string(), d.to_string()))
    );
}

#[tokio::test]
async fn prerequisites_refuse_unknown_codes_the_course_itself_and_cycles() {
    let app = TestApp::spawn().await;
    let fx = app.registration_fixture();
    let a = app.reg_course(&fx, "CSE1001", 3);
    let b = app.reg_course(&fx, "CSE2001", 3);
    let c = app.reg_course(&fx, "CSE3001", 3);
    let r = app.registrar("staff01").await;
    let add = |course: i32| format!("/admin/courses/{course}/prerequisites");
    location(&r.post(&app, &add(c), &[("required_code", "cse2001")]).await);
    location(&r.post(&app, &add(b), &[("required_code", "CSE1001")]).await);
    let html = refused(
        r.post(&app, &add(a), &[("required_code", "CSE3001")]).await,
        "required_code",
    )
    .await;
    assert!(html.contains("CSE3001"));
    refused(
        r.post(&app, &add(a), &[("required_code", "CSE1001")]).await,
        "required_code",
    )
    .await;
    refused(
        r.post(&app, &add(a), &[("required_code", "ZZZ9999")]).await,
        "required_code",
    )
    .await;
    refused(
        r.post(&app, &add(c), &[("required_code", "CSE2001")]).await,
        "required_code",
    )
    .await;
    let edges: Vec<(i32, i32)> = course_prerequisites::table
        .select((
            course_prerequisites::course_id,
            course_prerequisites::required_course_id,
        ))
        .order(course_prerequisites::course_id)
        .load(&mut app.conn())
        .expect("edges");
    assert_eq!(edges, vec![(b, a), (c, b)]);
    location(
        &r.post(
            &app,
            &format!("/admin/courses/{c}/prerequisites/{b}/delete"),
            &[],
        )
        .await,
    );
    location(&r.post(&app, &add(a), &[("required_code", "CSE3001")]).await);
    assert_eq!(
        logged_by(&app, r.id),
        [
            ("prerequisite_add", "CSE3001 requires CSE2001"),
            ("prerequisite_add", "CSE2001 requires CSE1001"),
            ("prerequisite_remove", "CSE3001 requires CSE2001"),
            ("prerequisite_add", "CSE1001 requires CSE3001"),
        ]
        .map(|(a, d)| (a.to_string(), d.to_string()))
    );
}

#[tokio::test]
async fn two_registrars_closing_a_prerequisite_cycle_at_once_succeed_only_once() {
    let app = TestApp::spawn().await;
    let fx = app.registration_fixture();
    let a = app.reg_course(&fx, "MTH1001", 3);
    let b = app.reg_course(&fx, "MTH2001", 3);
    let one = app.registrar("staff01").await;
    let two = app.registrar("staff02").await;
    let (path_a, path_b) = (
        format!("/admin/courses/{a}/prerequisites"),
        format!("/admin/courses/{b}/prerequisites"),
    );
    let (x, y) = tokio::join!(
        one.post(&app, &path_a, &[("required_code", "MTH2001")]),
        two.post(&app, &path_b, &[("required_code", "MTH1001")]),
    );
    let mut statuses = [x.status(), y.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY]
    );
    let edges: i64 = course_prerequisites::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(edges, 1);
}

fn section_form(
    code: &'static str,
    no: &'static str,
    capacity: &'static str,
) -> Vec<(&'static str, &'static str)> {
    vec![
        ("course_code", code),
        ("section_no", no),
        ("instructor", "이교수"),
        ("capacity", capacity),
        ("waitlist_capacity", "5"),
        ("restrict_department_id", ""),
        ("m1_day", "2"),
        ("m1_start", "13:30"),
        ("m1_end", "14:45"),
        ("m1_room", "자연관 201"),
        ("m2_day", "4"),
        ("m2_start", "13:30"),
        ("m2_end", "14:45"),
        ("m2_room", "자연관 201"),
    ]
}

fn with(
    mut form: Vec<(&'static str, &'static str)>,
    key: &'static str,
    value: &'static str,
) -> Vec<(&'static str, &'static str)> {
    form.retain(|(k, _)| *k != key);
    form.push((key, value));
    form
}

fn section_count(app: &TestApp) -> i64 {
    sections::table
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

#[tokio::test]
async fn the_section_form_refuses_bad_input_and_creates_a_section_with_its_meetings() {
    let app = TestApp::spawn().await;
    let fx = app.registration_fixture();
    app.reg_course(&fx, "CSE4010", 3);
    let r = app.registrar("staff01").await;
    let form = section_form("CSE4010", "1", "40");
    let new = "/admin/sections/new";
    refused(
        r.post(&app, new, &with(form.clone(), "capacity", "-5"))
            .await,
        "capacity",
    )
    .await;
    refused(
        r.post(&app, new, &with(form.clone(), "course_code", "NOPE999"))
            .await,
        "course_code",
    )
    .await;
    refused(
        r.post(&app, new, &with(form.clone(), "m1_end", "12:00"))
            .await,
        "m1_end",
    )
    .await;
    refused(
        r.post(&app, new, &with(form.clone(), "m2_start", "25:00"))
            .await,
        "m2_start",
    )
    .await;
    refused(
        r.post(&app, new, &with(form.clone(), "m2_day", "7")).await,
        "m2_day",
    )
    .await;
    refused(
        r.post(&app, new, &with(form.clone(), "waitlist_capacity", "lots"))
            .await,
        "waitlist_capacity",
    )
    .await;
    let no_meetings: Vec<_> = form
        .iter()
        .filter(|(k, _)| !k.starts_with('m'))
        .cloned()
        .collect();
    refused(r.post(&app, new, &no_meetings).await, "m1_day").await;
    assert_eq!(section_count(&app), 0, "refused forms created nothing");

    let to = location(&r.post(&app, new, &form).await);
    let id: i32 = to
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("section id");
    let stored: (i32, i32, i32, String) = sections::table
        .find(id)
        .select((
            sections::term_id,
            sections::capacity,
            sections::waitlist_capacity,
            sections::instructor,
        ))
        .first(&mut app.conn())
        .expect("section");
    assert_eq!(stored, (fx.term_id, 40, 5, "이교수".to_string()));
    let times: Vec<(i8, i16, i16)> = meetings::table
        .filter(meetings::section_id.eq(id))
        .order(meetings::weekday)
        .select((
            meetings::weekday,
            meetings::starts_at_min,
            meetings::ends_at_min,
        ))
        .load(&mut app.conn())
        .expect("meetings");
    assert_eq!(times, vec![(2, 810, 885), (4, 810, 885)]);
    refused(r.post(&app, new, &form).await, "section_no").await;
    assert_eq!(section_count(&app), 1);

    // Meetings are replaced as a whole, and checked the same way.
    let path = format!("/admin/sections/{id}/meetings");
    refused(
        r.post(
            &app,
            &path,
            &[
                ("m1_day", "1"),
                ("m1_start", "10:00"),
                ("m1_end", "09:00"),
                ("m1_room", "A"),
            ],
        )
        .await,
        "m1_end",
    )
    .await;
    location(
        &r.post(
            &app,
            &path,
            &[
                ("m1_day", "5"),
                ("m1_start", "09:00"),
                ("m1_end", "12:00"),
                ("m1_room", "실험실"),
            ],
        )
        .await,
    );
    let times: Vec<(i8, i16, i16)> = meetings::table
        .filter(meetings::section_id.eq(id))
        .select((
            meetings::weekday,
            meetings::starts_at_min,
            meetings::ends_at_min,
        ))
        .load(&mut app.conn())
        .expect("meetings");
    assert_eq!(times, vec![(5, 540, 720)]);
}

#[tokio::test]
async fn a_catalog_edit_shows_in_search_on_the_next_request() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    app.reg_course(&fx, "CSE4020", 3);
    let student = app.student(app.reg_students(&fx, "2027", 1)[0]).await;
    let r = app.registrar("staff01").await;
    let search = || async {
        let res = student
            .client
            .get(app.url("/api/v1/sections?q=CSE4020"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.expect("json")
    };
    assert_eq!(search().await["total"], 0);
    let to = location(
        &r.post(
            &app,
            "/admin/sections/new",
            &section_form("CSE4020", "1", "30"),
        )
        .await,
    );
    let body = search().await;
    assert_eq!(body["total"], 1, "the new section is found at once");
    assert_eq!(body["items"][0]["instructor"], "이교수");
    let id: i32 = to.rsplit('/').next().expect("id").parse().expect("id");
    location(
        &r.post(
            &app,
            &format!("/admin/sections/{id}"),
            &[
                ("instructor", "박교수"),
                ("waitlist_capacity", "0"),
                ("restrict_department_id", ""),
            ],
        )
        .await,
    );
    assert_eq!(search().await["items"][0]["instructor"], "박교수");
}

#[tokio::test]
async fn capacity_below_the_enrolled_count_needs_force_and_a_reason() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE4030", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(3)
            .meets(1, 540, 615),
    );
    let ids = app.reg_students(&fx, "2026", 3);
    for s in app.students(&ids).await {
        assert_eq!(
            app.post_enrollment(&s, section).await.status(),
            StatusCode::CREATED
        );
    }
    let r = app.registrar("staff01").await;
    let path = format!("/admin/sections/{section}/capacity");
    let html = refused(r.post(&app, &path, &[("capacity", "2")]).await, "capacity").await;
    assert!(html.contains("3"), "the enrolled count is named");
    refused(r.post(&app, &path, &[("capacity", "-1")]).await, "capacity").await;
    refused(
        r.post(
            &app,
            &path,
            &[("capacity", "2"), ("force", "1"), ("reason", " ")],
        )
        .await,
        "reason",
    )
    .await;
    let capacity = |app: &TestApp| -> i32 {
        sections::table
            .find(section)
            .select(sections::capacity)
            .first(&mut app.conn())
            .expect("capacity")
    };
    assert_eq!(capacity(&app), 3, "refusals changed nothing");

    location(
        &r.post(
            &app,
            &path,
            &[("capacity", "2"), ("force", "1"), ("reason", "강의실 변경")],
        )
        .await,
    );
    assert_eq!(capacity(&app), 2);
    let logged: Vec<(String, Option<String>)> = activity_log::table
        .filter(activity_log::section_id.eq(section))
        .filter(activity_log::actor_id.eq(r.id))
        .select((activity_log::action, activity_log::detail))
        .load(&mut app.conn())
        .expect("log");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].0, "override_capacity");
    assert!(logged[0].1.as_deref().unwrap_or("").contains("강의실 변경"));
    let page = r.get(&app, &format!("/admin/sections/{section}")).await;
    assert!(page
        .text()
        .await
        .expect("html")
        .contains("id=\"enrolled\">3"));
}

#[tokio::test]
async fn raising_the_capacity_seats_the_waitlist_first_come_first_served() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE4040", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(1)
            .waitlist(5)
            .meets(2, 540, 615),
    );
    let students = app.students(&app.reg_students(&fx, "2025", 4)).await;
    assert_eq!(
        app.post_enrollment(&students[0], section).await.status(),
        StatusCode::CREATED
    );
    for s in &students[1..] {
        assert_eq!(
            app.post_waitlist(s, section).await.status(),
            StatusCode::CREATED
        );
    }
    let r = app.registrar("staff01").await;
    location(
        &r.post(
            &app,
            &format!("/admin/sections/{section}/capacity"),
            &[("capacity", "3")],
        )
        .await,
    );

    let mut conn = app.conn();
    let mut seated: Vec<(i32, String)> = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .select((enrollments::student_id, enrollments::source))
        .load(&mut conn)
        .expect("rows");
    seated.sort();
    assert_eq!(
        seated,
        vec![
            (students[0].id, "student".to_string()),
            (students[1].id, "waitlist".to_string()),
            (students[2].id, "waitlist".to_string()),
        ],
        "the first two in line got the two new seats"
    );
    let waiting: Vec<i32> = waitlist_entries::table
        .filter(waitlist_entries::section_id.eq(section))
        .select(waitlist_entries::student_id)
        .load(&mut conn)
        .expect("waitlist");
    assert_eq!(waiting, vec![students[3].id]);
    let enrolled: i32 = sections::table
        .find(section)
        .select(sections::enrolled)
        .first(&mut conn)
        .expect("counter");
    assert_eq!(enrolled, 3, "the counter equals the rows");
}

#[tokio::test]
async fn cancelling_a_section_drops_everyone_and_tells_each_student_why() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE4050", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(3)
            .waitlist(3)
            .meets(3, 540, 615),
    );
    let students = app.students(&app.reg_students(&fx, "2024", 4)).await;
    for s in &students[..3] {
        assert_eq!(
            app.post_enrollment(s, section).await.status(),
            StatusCode::CREATED
        );
    }
    assert_eq!(
        app.post_waitlist(&students[3], section).await.status(),
        StatusCode::CREATED
    );
    let r = app.registrar("staff01").await;
    let path = format!("/admin/sections/{section}/cancel");
    refused(
        r.post(&app, &path, &[("cancel_reason", "수강 인원 미달")])
            .await,
        "confirm",
    )
    .await;
    refused(
        r.post(&app, &path, &[("cancel_reason", ""), ("confirm", "1")])
            .await,
        "cancel_reason",
    )
    .await;
    let status = |app: &TestApp| -> (String, i32) {
        sections::table
            .find(section)
            .select((sections::status, sections::enrolled))
            .first(&mut app.conn())
            .expect("section")
    };
    assert_eq!(status(&app), ("open".to_string(), 3));

    location(
        &r.post(
            &app,
            &path,
            &[("cancel_reason", "수강 인원 미달"), ("confirm", "1")],
        )
        .await,
    );
    assert_eq!(status(&app), ("cancelled".to_string(), 0));
    let mut conn = app.conn();
    let rows: i64 = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .count()
        .get_result(&mut conn)
        .expect("rows");
    assert_eq!(rows, 0, "counter and rows agree");
    let waiting: i64 = waitlist_entries::table
        .filter(waitlist_entries::section_id.eq(section))
        .count()
        .get_result(&mut conn)
        .expect("waitlist");
    assert_eq!(waiting, 0);
    for s in &students {
        let told: Vec<(String, String)> = notices::table
            .filter(notices::user_id.eq(s.id))
            .select((notices::kind, notices::message_ko))
            .load(&mut conn)
            .expect("notices");
        assert_eq!(told.len(), 1, "student {} got one notice", s.id);
        assert_eq!(told[0].0, "section_cancelled");
        assert!(told[0].1.contains("수강 인원 미달"));
    }
    for s in &students[..3] {
        let line: (Option<i32>, Option<String>) = activity_log::table
            .filter(activity_log::student_id.eq(s.id))
            .filter(activity_log::action.eq("section_cancelled"))
            .select((activity_log::actor_id, activity_log::detail))
            .first(&mut conn)
            .expect("activity line");
        assert_eq!(line, (Some(r.id), Some("수강 인원 미달".to_string())));
        let mine: Value = s
            .client
            .get(app.url("/api/v1/enrollments"))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        assert_eq!(mine["enrollments"].as_array().map(Vec::len), Some(0));
    }
    // Nobody enrolls in a cancelled section, and it takes no more edits.
    assert_eq!(
        app.post_enrollment(&students[3], section).await.status(),
        StatusCode::CONFLICT
    );
    summarized(
        r.post(
            &app,
            &format!("/admin/sections/{section}/capacity"),
            &[("capacity", "10")],
        )
        .await,
        "capacity",
    )
    .await;
}

#[tokio::test]
async fn every_console_route_refuses_students_and_sends_visitors_to_sign_in() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let student = app.student(app.reg_students(&fx, "2023", 1)[0]).await;
    let t = fx.term_id;
    let gets = [
        "/admin/terms".to_string(),
        format!("/admin/terms/{t}"),
        "/admin/departments".into(),
        "/admin/courses".into(),
        "/admin/courses/1".into(),
        "/admin/sections".into(),
        "/admin/sections/new".into(),
        "/admin/sections/1".into(),
        "/admin/students?q=2023".into(),
        format!("/admin/students/{}", student.id),
        "/admin/audit".into(),
    ];
    let posts = [
        "/admin/terms".to_string(),
        format!("/admin/terms/{t}/current"),
        format!("/admin/terms/{t}/windows"),
        format!("/admin/terms/{t}/windows/1"),
        format!("/admin/terms/{t}/windows/1/extend"),
        format!("/admin/terms/{t}/windows/1/delete"),
        "/admin/departments".into(),
        "/admin/departments/1".into(),
        "/admin/courses".into(),
        "/admin/courses/1".into(),
        "/admin/courses/1/prerequisites".into(),
        "/admin/courses/1/prerequisites/2/delete".into(),
        "/admin/sections/new".into(),
        "/admin/sections/1".into(),
        "/admin/sections/1/meetings".into(),
        "/admin/sections/1/capacity".into(),
        "/admin/sections/1/cancel".into(),
        format!("/admin/students/{}/holds", student.id),
        format!("/admin/students/{}/holds/1/release", student.id),
        format!("/admin/students/{}/credit-limit", student.id),
        format!("/admin/students/{}/enroll", student.id),
        format!("/admin/students/{}/drop", student.id),
    ];
    let anonymous = app.client();
    for path in &gets {
        let res = student
            .client
            .get(app.url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "GET {path}");
        let res = anonymous.get(app.url(path)).send().await.expect("request");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "anonymous GET {path}");
        assert!(location(&res).starts_with("/login"));
    }
    for path in &posts {
        let res = student
            .client
            .post(app.url(path))
            .form(&[
                ("csrf_token", student.csrf.as_str()),
                ("capacity", "999"),
                ("hold_reason", "x"),
                ("max_credits", "30"),
            ])
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "POST {path}");
    }
    let untouched: i64 = activity_log::table
        .filter(activity_log::actor_id.eq(student.id))
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(untouched, 0);
}

#[tokio::test]
async fn a_capacity_raise_racing_new_enrollments_gives_every_new_seat_to_the_waitlist() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE4060", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(5)
            .waitlist(10)
            .meets(4, 540, 615),
    );
    let seated = app.students(&app.reg_students(&fx, "2021", 5)).await;
    for s in &seated {
        assert_eq!(
            app.post_enrollment(s, section).await.status(),
            StatusCode::CREATED
        );
    }
    let waiting = app.students(&app.reg_students(&fx, "2022", 8)).await;
    for s in &waiting {
        assert_eq!(
            app.post_waitlist(s, section).await.status(),
            StatusCode::CREATED
        );
    }
    let rushing = app.students(&app.reg_students(&fx, "2020", 20)).await;
    let r = app.registrar("staff01").await;
    let path = format!("/admin/sections/{section}/capacity");
    let raise = r.post(&app, &path, &[("capacity", "10")]);
    let attempts =
        futures_util::future::join_all(rushing.iter().map(|s| app.post_enrollment(s, section)));
    let (raised, answers) = tokio::join!(raise, attempts);
    location(&raised);
    for answer in answers {
        assert_eq!(
            answer.status(),
            StatusCode::CONFLICT,
            "nobody jumps the line"
        );
    }
    let mut conn = app.conn();
    let mut holders: Vec<i32> = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .select(enrollments::student_id)
        .load(&mut conn)
        .expect("rows");
    holders.sort_unstable();
    let mut expected: Vec<i32> = seated.iter().chain(&waiting[..5]).map(|s| s.id).collect();
    expected.sort_unstable();
    assert_eq!(
        holders, expected,
        "the first five in line took the five new seats"
    );
    let (capacity, enrolled): (i32, i32) = sections::table
        .find(section)
        .select((sections::capacity, sections::enrolled))
        .first(&mut conn)
        .expect("section");
    assert_eq!((capacity, enrolled), (10, 10));
}

#[tokio::test]
async fn cancelling_while_students_enroll_leaves_no_seat_behind() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE4070", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(50)
            .meets(5, 540, 615),
    );
    let students = app.students(&app.reg_students(&fx, "2019", 30)).await;
    for s in &students[..10] {
        assert_eq!(
            app.post_enrollment(s, section).await.status(),
            StatusCode::CREATED
        );
    }
    let r = app.registrar("staff01").await;
    let path = format!("/admin/sections/{section}/cancel");
    let cancel = r.post(
        &app,
        &path,
        &[("cancel_reason", "담당 교수 사정"), ("confirm", "1")],
    );
    let attempts = futures_util::future::join_all(
        students[10..]
            .iter()
            .map(|s| app.post_enrollment(s, section)),
    );
    let (cancelled, answers) = tokio::join!(cancel, attempts);
    location(&cancelled);
    let mut conn = app.conn();
    let rows: i64 = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .count()
        .get_result(&mut conn)
        .expect("rows");
    let (status, enrolled): (String, i32) = sections::table
        .find(section)
        .select((sections::status, sections::enrolled))
        .first(&mut conn)
        .expect("section");
    assert_eq!((status.as_str(), enrolled, rows), ("cancelled", 0, 0));
    // Whoever got in before the cancellation was dropped and told; nobody got in after it.
    let admitted = answers
        .iter()
        .filter(|a| a.status() == StatusCode::CREATED)
        .count() as i64;
    let told: i64 = notices::table
        .filter(notices::kind.eq("section_cancelled"))
        .count()
        .get_result(&mut conn)
        .expect("notices");
    assert_eq!(told, 10 + admitted);
}
