//! Seat-release times: in a term with release times, a seat freed outside one (and not taken by
//! the waitlist) is held — neither enrolled nor free — until the next release time, when every
//! watcher is told in the release transaction and then the seats are up for grabs; concurrent
//! releasers (two `release-seats` runs, two instances) release every seat once.

use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Asia::Seoul;
use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use sugang::db::schema::{activity_log, enrollments, notices, sections, terms};
use sugang::registration::release::{self, Released};
use sugang::registration::service::{self, Attempt};
use sugang::web::Lang;

use crate::helpers::console::refused;
use crate::helpers::{error_code, RegStudent, RegistrationFixture, SectionBuilder, TestApp};

const TIMES: &str = "09:00,13:00,17:00,21:00";

/// The first `hh:mm` Seoul time after the real clock: inside the fixture's register window
/// (open from an hour ago for two days), so the service functions can be given that instant.
fn next_seoul(hour: u32, minute: u32) -> DateTime<Utc> {
    let local = Utc::now().with_timezone(&Seoul).date_naive();
    (0..3)
        .filter_map(|d| {
            let day = local + chrono::Days::new(d);
            Seoul
                .from_local_datetime(&day.and_hms_opt(hour, minute, 0)?)
                .single()
        })
        .map(|t| t.with_timezone(&Utc))
        .find(|t| *t > Utc::now())
        .expect("a time tomorrow at the latest")
}

fn set_release_times(app: &TestApp, term_id: i32, times: Option<&str>) {
    diesel::update(terms::table.find(term_id))
        .set(terms::release_times.eq(times))
        .execute(&mut app.conn())
        .expect("release times");
}

fn attempt(student_id: i32) -> Attempt {
    Attempt {
        student_id,
        session_ref: None,
        request_id: format!("t-drop-{student_id}"),
        client_ip: "127.0.0.1".into(),
        lang: Lang::Ko,
    }
}

/// Drops through the service at the instant `at`, then publishes the section's figure as the
/// drop route does after its commit.
async fn drop_at(app: &TestApp, student: i32, section: i32, at: DateTime<Utc>) {
    app.state
        .db
        .run(move |conn| {
            service::drop_enrollment(conn, &attempt(student), section, at).expect("dropped");
            Ok(())
        })
        .await
        .expect("db");
    app.state.seats.republish(vec![section]).await;
}

/// (enrolled, held_seats, held_until) of the section.
fn counters(app: &TestApp, section: i32) -> (i32, i32, Option<chrono::NaiveDateTime>) {
    sections::table
        .find(section)
        .select((
            sections::enrolled,
            sections::held_seats,
            sections::held_until,
        ))
        .first(&mut app.conn())
        .expect("section")
}

fn rows_in(app: &TestApp, section: i32) -> i64 {
    enrollments::table
        .filter(enrollments::section_id.eq(section))
        .count()
        .get_result(&mut app.conn())
        .expect("rows")
}

fn seat_notices(app: &TestApp, student: i32) -> i64 {
    notices::table
        .filter(notices::user_id.eq(student))
        .filter(notices::kind.eq("seat_opened"))
        .count()
        .get_result(&mut app.conn())
        .expect("notices")
}

fn release_lines(app: &TestApp, section: i32) -> Vec<Option<String>> {
    activity_log::table
        .filter(activity_log::action.eq("seats_released"))
        .filter(activity_log::section_id.eq(section))
        .select(activity_log::detail)
        .load(&mut app.conn())
        .expect("lines")
}

/// A full section of `capacity` seats without a waitlist in a term with release times, and the
/// students seated in it.
async fn full_section(
    app: &TestApp,
    fx: &RegistrationFixture,
    code: &str,
    capacity: i32,
) -> (i32, Vec<RegStudent>) {
    let course = app.reg_course(fx, code, 3);
    let section = app.reg_section(SectionBuilder::of(fx.term_id, course).capacity(capacity));
    // A section added after the catalog was first read: the next read takes the new one.
    sugang::catalog::bump_version(&app.state.cache)
        .await
        .expect("catalog version");
    let ids = app.reg_students(fx, &format!("{}e", code.to_lowercase()), capacity as usize);
    let seated = app.students(&ids).await;
    for s in &seated {
        assert_eq!(
            app.post_enrollment(s, section).await.status(),
            StatusCode::CREATED
        );
    }
    (section, seated)
}

async fn race(app: &TestApp, students: &[RegStudent], section: i32) -> (usize, usize) {
    let answers = join_all(students.iter().map(|s| app.post_enrollment(s, section))).await;
    let mut won = 0;
    let mut full = 0;
    for res in answers {
        match res.status() {
            StatusCode::CREATED => won += 1,
            StatusCode::CONFLICT => {
                assert_eq!(error_code(res).await, "section_full");
                full += 1;
            }
            other => panic!("unexpected answer {other}"),
        }
    }
    (won, full)
}

#[actix_web::test]
async fn a_seat_dropped_at_1210_is_held_until_1300_then_watchers_hear_first_and_exactly_the_freed_seats_are_taken(
) {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    set_release_times(&app, fx.term_id, Some(TIMES));
    let (section, seated) = full_section(&app, &fx, "REL100", 4).await;
    let ids = app.reg_students(&fx, "relw", 14);
    let others = app.students(&ids).await;
    let (watchers, racers) = others.split_at(2);
    for w in watchers {
        let res = w
            .client
            .post(app.url("/api/v1/watches"))
            .json(&json!({ "section_id": section }))
            .send()
            .await
            .expect("watch");
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    // Two drops before 13:00: both seats held until 13:00, neither enrolled nor free.
    let at_1210 = next_seoul(12, 10);
    let at_1300 = at_1210 + Duration::minutes(50);
    drop_at(&app, seated[0].id, section, at_1210).await;
    drop_at(&app, seated[1].id, section, at_1210 + Duration::minutes(30)).await;
    assert_eq!(
        counters(&app, section),
        (2, 2, Some(at_1300.naive_utc())),
        "two seats held until 13:00"
    );
    assert_eq!(app.state.seats.seats_left(section), Some(0));
    for w in watchers {
        assert_eq!(seat_notices(&app, w.id), 0, "no notice before the release");
    }

    // Search, the section's JSON and its page show the held seats and when they open.
    let detail: Value = app
        .get_section(&racers[0].client, section)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail["seats_left"], 0);
    assert_eq!(detail["held_seats"], 2);
    assert_eq!(
        detail["released_at"],
        at_1300.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    let search = app.search_sections(&racers[0].client, "q=REL100").await;
    assert_eq!(search["items"][0]["seats_left"], 0);
    assert_eq!(search["items"][0]["held_seats"], 2);
    let page = racers[0]
        .client
        .get(app.url(&format!("/courses/{section}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("2석 13:00 공개"), "{page}");
    let page = racers[0]
        .client
        .get(app.url("/courses?q=REL100&lang=en"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("2 seats released at 13:00"), "{page}");

    // Refreshing before 13:00 gains nothing: every attempt is refused, nothing changes.
    let (won, full) = race(&app, &racers[..6], section).await;
    assert_eq!((won, full), (0, 6));
    assert_eq!(counters(&app, section).0, 2);

    // 12:59: nothing is due yet.
    let early = release::run(
        &app.state.db,
        &app.state.seats,
        at_1300 - Duration::minutes(1),
        "t-early",
    )
    .await
    .expect("release");
    assert!(early.is_empty());
    assert_eq!(counters(&app, section).1, 2);

    // 13:00: released at once; the watchers' notices exist before anyone can take a seat.
    let done = release::run(&app.state.db, &app.state.seats, at_1300, "t-1300")
        .await
        .expect("release");
    assert_eq!(
        done,
        vec![Released {
            section_id: section,
            seats: 2,
            promoted: 0,
            notified: 2,
        }]
    );
    assert_eq!(counters(&app, section), (2, 0, None));
    for w in watchers {
        assert_eq!(seat_notices(&app, w.id), 1, "the watcher heard of it first");
    }
    assert_eq!(release_lines(&app, section), vec![Some("2 seats".into())]);
    assert_eq!(app.state.seats.seats_left(section), Some(2));

    // The race: exactly the two freed seats are taken, never more.
    let (won, full) = race(&app, racers, section).await;
    assert_eq!((won, full), (2, racers.len() - 2));
    assert_eq!(counters(&app, section), (4, 0, None));
    assert_eq!(rows_in(&app, section), 4);
}

#[actix_web::test]
async fn two_releasers_at_once_release_every_held_seat_once() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    set_release_times(&app, fx.term_id, Some(TIMES));
    let at_1210 = next_seoul(12, 10);
    let mut held = Vec::new();
    for (i, code) in ["REL201", "REL202", "REL203", "REL204"].iter().enumerate() {
        let (section, seated) = full_section(&app, &fx, code, 3).await;
        for s in &seated[..=i.min(2)] {
            drop_at(&app, s.id, section, at_1210).await;
        }
        held.push((section, i.min(2) as i32 + 1));
    }
    let watcher_ids = app.reg_students(&fx, "relx", 1);
    let watcher = app.student(watcher_ids[0]).await;
    let res = watcher
        .client
        .post(app.url("/api/v1/watches"))
        .json(&json!({ "section_id": held[0].0 }))
        .send()
        .await
        .expect("watch");
    assert_eq!(res.status(), StatusCode::CREATED);

    let at_1300 = at_1210 + Duration::minutes(50);
    let runs = join_all((0..4).map(|i| {
        let (db, seats) = (app.state.db.clone(), app.state.seats.clone());
        async move {
            release::run(&db, &seats, at_1300, &format!("t-run-{i}"))
                .await
                .expect("release")
        }
    }))
    .await;
    let all: Vec<&Released> = runs.iter().flatten().collect();
    assert_eq!(all.len(), held.len(), "each section released by one run");
    for (section, n) in &held {
        let by: Vec<_> = all.iter().filter(|r| r.section_id == *section).collect();
        assert_eq!(by.len(), 1);
        assert_eq!(by[0].seats, *n);
        assert_eq!(counters(&app, *section), (3 - n, 0, None));
        assert_eq!(release_lines(&app, *section).len(), 1, "one activity line");
    }
    assert_eq!(
        seat_notices(&app, watcher.id),
        1,
        "one notice, not one per run"
    );
}

#[actix_web::test]
async fn the_release_seats_command_run_twice_at_once_releases_once() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    set_release_times(&app, fx.term_id, Some(TIMES));
    let (section, seated) = full_section(&app, &fx, "REL300", 3).await;
    let at_1210 = next_seoul(12, 10);
    for s in &seated[..2] {
        drop_at(&app, s.id, section, at_1210).await;
    }
    // Due already: as if 13:00 had passed (the command releases what is due at its own clock).
    diesel::update(sections::table.find(section))
        .set(sections::held_until.eq(Some(Utc::now().naive_utc() - Duration::minutes(1))))
        .execute(&mut app.conn())
        .expect("due");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_sugang"))
            .arg("release-seats")
            .env("DATABASE_URL", &app.db.url)
            .env("REDIS_URL", crate::helpers::redis_url())
            .env("SUGANG_REDIS_PREFIX", &app.state.settings.redis_prefix)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the binary runs")
    };
    let (a, b) = (spawn(), spawn());
    let mut released = 0;
    for child in [a, b] {
        let out = child.wait_with_output().expect("finished");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if stdout.contains("seats released: 2") {
            released += 1;
        } else {
            assert!(stdout.contains("seats released: 0"), "{stdout}");
        }
    }
    assert_eq!(released, 1, "one run released the seats, the other nothing");
    assert_eq!(counters(&app, section), (1, 0, None));
    assert_eq!(release_lines(&app, section).len(), 1);
}

#[actix_web::test]
async fn without_release_times_a_dropped_seat_is_free_at_once() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let (section, seated) = full_section(&app, &fx, "REL400", 2).await;
    drop_at(&app, seated[0].id, section, next_seoul(12, 10)).await;
    assert_eq!(counters(&app, section), (1, 0, None));
    let ids = app.reg_students(&fx, "relo", 1);
    let other = app.student(ids[0]).await;
    assert_eq!(
        app.post_enrollment(&other, section).await.status(),
        StatusCode::CREATED
    );
}

#[actix_web::test]
async fn a_capacity_cut_takes_held_seats_first_and_a_raise_is_held_too() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    set_release_times(&app, fx.term_id, Some(TIMES));
    let (section, seated) = full_section(&app, &fx, "REL500", 4).await;
    let at_1210 = next_seoul(12, 10);
    for s in &seated[..2] {
        drop_at(&app, s.id, section, at_1210).await;
    }
    assert_eq!(counters(&app, section).1, 2);
    let r = app.registrar("relstaff").await;
    let path = format!("/admin/sections/{section}/capacity");
    let res = r.post(&app, &path, &[("capacity", "3")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (enrolled, held, until) = counters(&app, section);
    assert_eq!((enrolled, held), (2, 1), "the cut took one held seat");
    assert!(until.is_some());
    let page = r
        .get(&app, &format!("/admin/sections/{section}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("1석 13:00 공개"),
        "the registrar sees the held seat"
    );
    let res = r.post(&app, &path, &[("capacity", "2")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(counters(&app, section), (2, 0, None));
    // A raise outside a release time (the real clock here): the new seat is held too.
    let res = r.post(&app, &path, &[("capacity", "3")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, held, until) = counters(&app, section);
    assert_eq!(held, 1);
    assert!(until.is_some_and(|u| u > Utc::now().naive_utc()));
}

#[actix_web::test]
async fn the_term_form_validates_release_times_and_stores_them_sorted() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let r = app.registrar("relform").await;
    let path = format!("/admin/terms/{}/release-times", fx.term_id);
    let stored = |app: &TestApp| -> Option<String> {
        terms::table
            .find(fx.term_id)
            .select(terms::release_times)
            .first(&mut app.conn())
            .expect("term")
    };
    for bad in ["25:00", "13:00, noon", "9"] {
        let html = refused(
            r.post(&app, &path, &[("release_times", bad)]).await,
            "release_times",
        )
        .await;
        assert!(html.contains("aria-invalid=\"true\""));
        assert_eq!(stored(&app), None, "{bad} changed nothing");
    }
    let res = r
        .post(
            &app,
            &path,
            &[("release_times", "21:00, 09:00 13:00,13:00")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app).as_deref(), Some("09:00,13:00,21:00"));
    let line: Option<String> = activity_log::table
        .filter(activity_log::action.eq("release_times"))
        .filter(activity_log::actor_id.eq(r.id))
        .select(activity_log::detail)
        .first(&mut app.conn())
        .expect("activity line");
    assert_eq!(line.as_deref(), Some("09:00,13:00,21:00"));
    let res = r.post(&app, &path, &[("release_times", " ")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app), None, "blank turns the feature off");
}

#[actix_web::test]
async fn a_student_who_joins_the_line_while_seats_are_held_is_seated_first_at_the_release() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    set_release_times(&app, fx.term_id, Some(TIMES));
    let course = app.reg_course(&fx, "REL600", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(2)
            .waitlist(5),
    );
    let ids = app.reg_students(&fx, "relq", 4);
    let students = app.students(&ids).await;
    for s in &students[..2] {
        assert_eq!(
            app.post_enrollment(s, section).await.status(),
            StatusCode::CREATED
        );
    }
    // Nobody waits at 12:10: the seat is held, and the section counts as full.
    let at_1210 = next_seoul(12, 10);
    drop_at(&app, students[0].id, section, at_1210).await;
    assert_eq!(counters(&app, section).1, 1);
    let (waiter, watcher) = (&students[2], &students[3]);
    assert_eq!(
        app.post_waitlist(waiter, section).await.status(),
        StatusCode::CREATED
    );
    let res = watcher
        .client
        .post(app.url("/api/v1/watches"))
        .json(&json!({ "section_id": section }))
        .send()
        .await
        .expect("watch");
    assert_eq!(res.status(), StatusCode::CREATED);

    let done = release::run(
        &app.state.db,
        &app.state.seats,
        at_1210 + Duration::minutes(50),
        "t-line",
    )
    .await
    .expect("release");
    assert_eq!(
        done,
        vec![Released {
            section_id: section,
            seats: 1,
            promoted: 1,
            notified: 0,
        }]
    );
    let seated: i64 = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .filter(enrollments::student_id.eq(waiter.id))
        .filter(enrollments::source.eq("waitlist"))
        .count()
        .get_result(&mut app.conn())
        .expect("row");
    assert_eq!(seated, 1, "the line is served first");
    assert_eq!(
        seat_notices(&app, watcher.id),
        0,
        "no seat was left to tell of"
    );
    assert_eq!(counters(&app, section), (2, 0, None));
}
