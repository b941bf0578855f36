use std::collections::HashSet;

use reqwest::StatusCode;
use sugang::cache::Cache;
use sugang::config::RoomConfig;
use sugang::waiting_room::{Admission, WaitingRoom};

use crate::helpers::{redis_url, RedisPrefix, TestApp};

/// A room of its own (no background ticker), so the test controls the clock.
fn room() -> (WaitingRoom, RedisPrefix) {
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let cache = Cache::new(&redis_url(), &prefix, 4).expect("redis pool");
    (WaitingRoom::new(cache), RedisPrefix(prefix))
}

const T0: i64 = 1_900_000_000_000;

fn open(rate: u32, concurrency: u32, pass_ttl_secs: u32) -> RoomConfig {
    RoomConfig {
        enabled: true,
        rate,
        concurrency,
        pass_ttl_secs,
        opens_at_ms: 0,
    }
}

#[tokio::test]
async fn a_closed_room_lets_everybody_through() {
    let (room, _p) = room();
    room.init(RoomConfig::default()).await.expect("init");
    assert_eq!(
        room.enter(1, T0).await.expect("enter"),
        Admission::NotRequired
    );
}

#[tokio::test]
async fn tickets_follow_arrival_and_belong_to_the_student() {
    let (room, _p) = room();
    room.set_config(open(10, 100, 60)).await.expect("config");
    for (i, student) in [30, 10, 20].into_iter().enumerate() {
        assert_eq!(
            room.enter(student, T0).await.expect("enter"),
            Admission::Waiting {
                position: i as u64 + 1
            }
        );
    }
    // Refreshing, a new tab or a second device: the same place.
    for _ in 0..3 {
        assert_eq!(
            room.enter(10, T0 + 500).await.expect("enter"),
            Admission::Waiting { position: 2 }
        );
    }
}

#[tokio::test]
async fn admission_goes_in_ticket_order_at_the_configured_rate() {
    let (room, _p) = room();
    room.set_config(open(2, 100, 60)).await.expect("config");
    for student in 1..=5 {
        room.enter(student, T0).await.expect("enter");
    }
    assert_eq!(
        room.tick(T0).await.expect("tick").admitted,
        0,
        "the bucket starts empty"
    );
    let t = room.tick(T0 + 1000).await.expect("tick");
    assert_eq!((t.admitted, t.waiting, t.active), (2, 3, 2));
    assert_eq!(
        room.enter(1, T0 + 1000).await.expect("enter"),
        Admission::Admitted
    );
    assert_eq!(
        room.enter(2, T0 + 1000).await.expect("enter"),
        Admission::Admitted
    );
    assert_eq!(
        room.enter(3, T0 + 1000).await.expect("enter"),
        Admission::Waiting { position: 1 }
    );
    // Half a second later one more token, one more student.
    assert_eq!(room.tick(T0 + 1500).await.expect("tick").admitted, 1);
    assert_eq!(
        room.enter(3, T0 + 1500).await.expect("enter"),
        Admission::Admitted
    );
    assert_eq!(
        room.enter(5, T0 + 1500).await.expect("enter"),
        Admission::Waiting { position: 2 }
    );

    // Live change: a faster rate admits the rest.
    room.set_config(open(100, 100, 60)).await.expect("config");
    room.tick(T0 + 2500).await.expect("tick");
    assert_eq!(
        room.enter(5, T0 + 2500).await.expect("enter"),
        Admission::Admitted
    );
}

#[tokio::test]
async fn the_cap_counts_actions_in_flight_and_an_answer_frees_its_place() {
    let (room, _p) = room();
    room.set_config(open(100, 2, 1)).await.expect("config");
    for student in 1..=4 {
        room.enter(student, T0).await.expect("enter");
    }
    room.tick(T0).await.expect("tick");
    let t = room.tick(T0 + 1000).await.expect("tick");
    assert_eq!((t.admitted, t.active, t.waiting), (2, 2, 2));
    // Both admitted students act at once: two actions in flight fill the cap.
    for student in [1, 2] {
        assert_eq!(
            room.act(student, T0 + 1100).await.expect("act"),
            Admission::Admitted
        );
    }
    assert_eq!(room.tick(T0 + 1200).await.expect("tick").admitted, 0);
    // Student 1's action is answered: its place goes to the next in line at once.
    room.finish(1).await.expect("finish");
    assert_eq!(room.tick(T0 + 1300).await.expect("tick").admitted, 1);
    // Student 3 acts at once: two actions in flight again, the line waits.
    assert_eq!(
        room.act(3, T0 + 1300).await.expect("act"),
        Admission::Admitted
    );
    assert_eq!(room.tick(T0 + 1400).await.expect("tick").admitted, 0);
    // An action never answered (its instance died) stops counting after 30 s.
    assert_eq!(
        room.tick(T0 + 1100 + 30_001).await.expect("tick").admitted,
        1
    );
    // Passes lapse after their idle time: the student starts again at the back of the line.
    assert!(matches!(
        room.enter(1, T0 + 31_200).await.expect("enter"),
        Admission::Waiting { .. }
    ));
}

/// Before the opening instant nobody is admitted and no token is saved up for opening.
#[tokio::test]
async fn no_admission_before_opening_and_no_burst_at_it() {
    let (room, _p) = room();
    let opening = T0 + 10_000;
    room.set_config(RoomConfig {
        opens_at_ms: opening,
        ..open(5, 1000, 60)
    })
    .await
    .expect("config");
    for student in 1..=20 {
        room.enter(student, T0).await.expect("enter");
    }
    for at in (T0..opening).step_by(1000) {
        assert_eq!(room.tick(at).await.expect("tick").admitted, 0);
    }
    assert_eq!(room.tick(opening).await.expect("tick").admitted, 0);
    // One second after opening: the rate's worth, not ten seconds' worth saved up.
    assert_eq!(room.tick(opening + 1000).await.expect("tick").admitted, 5);
}

#[tokio::test]
async fn early_arrivals_are_drawn_once_at_opening_and_latecomers_queue_behind() {
    let (room, _p) = room();
    let opening = T0 + 60_000;
    room.set_config(RoomConfig {
        opens_at_ms: opening,
        ..open(1, 1000, 60)
    })
    .await
    .expect("config");
    for student in 1..=50 {
        let at = T0 + i64::from(student) * 100; // student 1 clicked first
        assert!(matches!(
            room.enter(student, at).await.expect("enter"),
            Admission::Early { .. }
        ));
    }
    assert_eq!(
        room.tick(opening - 1).await.expect("tick").drawn,
        0,
        "nothing is drawn before opening"
    );
    let t = room.tick(opening).await.expect("tick");
    assert_eq!(t.drawn, 50);
    assert_eq!(
        room.enter(999, opening + 1).await.expect("enter"),
        Admission::Waiting { position: 51 }
    );

    let mut positions = Vec::new();
    for student in 1..=50 {
        match room.enter(student, opening + 2).await.expect("enter") {
            Admission::Waiting { position } => positions.push(position),
            other => panic!("student {student}: {other:?}"),
        }
    }
    assert_eq!(
        positions.iter().copied().collect::<HashSet<_>>(),
        (1..=50).collect::<HashSet<_>>()
    );
    assert_ne!(
        positions,
        (1..=50).collect::<Vec<_>>(),
        "clicking first before opening wins nothing"
    );
    // Drawn once: later ticks do not reshuffle.
    room.tick(opening + 10).await.expect("tick");
    for (i, student) in (1..=50).enumerate() {
        let again = room.enter(student, opening + 20).await.expect("enter");
        assert_eq!(
            again,
            Admission::Waiting {
                position: positions[i]
            }
        );
    }
}

#[tokio::test]
async fn the_queue_api_and_page_show_the_students_place() {
    let app = TestApp::spawn().await;
    app.insert_student("20250201");
    app.insert_student("20250202");
    app.state
        .waiting_room
        .set_config(RoomConfig {
            enabled: true,
            rate: 1,
            concurrency: 1,
            pass_ttl_secs: 60,
            opens_at_ms: 0,
        })
        .await
        .expect("config");
    // Fill the single pass so both students below have to wait.
    app.state
        .waiting_room
        .enter(1_000_000, chrono::Utc::now().timestamp_millis())
        .await
        .expect("enter");
    let (a, b) = (app.client(), app.client());
    app.sign_in(&a, "20250201").await;
    app.sign_in(&b, "20250202").await;
    let first: serde_json::Value = app
        .get(&a, "/api/v1/queue")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["state"], "waiting");
    let second: serde_json::Value = app
        .get(&b, "/api/v1/queue")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(second["state"], "waiting");
    assert!(second["position"].as_u64() > first["position"].as_u64());
    assert!(second["eta_seconds"].as_u64().expect("eta") >= 1);
    let page = app.get(&b, "/queue").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("id=\"queue-position\""));
    assert!(
        html.contains("http-equiv=\"refresh\""),
        "works without JavaScript"
    );
    let anonymous = app.get(&app.client(), "/api/v1/queue").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn registration_actions_need_a_pass_while_the_room_is_on() {
    let app = TestApp::spawn().await;
    app.insert_student("20250203");
    let client = app.client();
    let csrf = app.sign_in(&client, "20250203").await;
    let room = &app.state.waiting_room;
    // Closed for now: the ticker admits nobody while the rate is zero.
    room.set_config(RoomConfig {
        enabled: true,
        rate: 0,
        concurrency: 10,
        pass_ttl_secs: 60,
        opens_at_ms: 0,
    })
    .await
    .expect("config");
    let enroll = || {
        client
            .post(app.url("/api/v1/enrollments"))
            .header("X-CSRF-Token", &csrf)
            .json(&serde_json::json!({"section_id": 987654}))
            .send()
    };
    let queued = enroll().await.expect("request");
    assert_eq!(queued.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(queued.headers().contains_key("retry-after"));
    let body: serde_json::Value = queued.json().await.expect("json");
    assert_eq!(body["error"]["code"], "queue_required");
    // Browsing is never queued.
    assert_eq!(
        app.get(&client, "/api/v1/me").await.status(),
        StatusCode::OK
    );

    // Open the gate: the ticker admits the student and the action reaches the handler.
    room.set_config(RoomConfig {
        enabled: true,
        rate: 1000,
        concurrency: 10,
        pass_ttl_secs: 60,
        opens_at_ms: 0,
    })
    .await
    .expect("config");
    let mut status = StatusCode::TOO_MANY_REQUESTS;
    for _ in 0..50 {
        status = enroll().await.expect("request").status();
        if status != StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        matches!(status, StatusCode::NOT_FOUND | StatusCode::CONFLICT),
        "admitted: the enrollment handler itself answered ({status})"
    );
}

#[tokio::test]
async fn a_macro_is_rate_limited_logged_and_then_blocked() {
    use diesel::prelude::*;
    use sugang::db::schema::activity_log;

    let app = TestApp::spawn_with(|s| {
        s.action_limits.per_student = 3;
        s.action_limits.window = std::time::Duration::from_secs(1);
    })
    .await;
    let macro_user = app.insert_student("20250204");
    app.insert_student("20250205");
    let (bot, human) = (app.client(), app.client());
    let bot_csrf = app.sign_in(&bot, "20250204").await;
    let human_csrf = app.sign_in(&human, "20250205").await;
    let fire = |client: &reqwest::Client, csrf: &str| {
        client
            .post(app.url("/api/v1/enrollments"))
            .header("X-CSRF-Token", csrf)
            .json(&serde_json::json!({"section_id": 987654}))
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(fire(&bot, &bot_csrf).await.expect("request").status());
    }
    assert!(
        statuses[..3]
            .iter()
            .all(|s| *s != StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        statuses[3..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let limited = fire(&bot, &bot_csrf).await.expect("request");
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(crate::helpers::error_code(limited).await, "rate_limited");
    // Another student is not slowed by the macro.
    assert_ne!(
        fire(&human, &human_csrf).await.expect("request").status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Coming back over the limit window after window earns a growing block.
    let mut penalised = false;
    for _ in 0..4 {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        for _ in 0..5 {
            let _ = fire(&bot, &bot_csrf).await;
        }
        let mut conn = app.conn();
        let outcomes: Vec<String> = activity_log::table
            .filter(activity_log::student_id.eq(macro_user))
            .filter(activity_log::action.eq("rate_limit"))
            .select(activity_log::outcome)
            .load(&mut conn)
            .expect("log");
        if outcomes.iter().any(|o| o == "penalised") {
            penalised = true;
            break;
        }
    }
    assert!(penalised, "sustained abuse is blocked and logged");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let blocked = fire(&bot, &bot_csrf).await.expect("request");
    assert_eq!(
        blocked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the block outlasts the window"
    );
    let retry: u64 = blocked.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("secs");
    assert!(retry > 1);
}

/// Arrivals before the opening instant the calendar gives (the next register window) are put in
/// a drawn order at that instant, whatever their arrival order; arrivals after it queue in
/// arrival order.
#[tokio::test]
async fn arrivals_before_the_calendar_opening_are_drawn_and_later_ones_queue_in_order() {
    let (room, _p) = room();
    room.set_config(open(1, 1000, 300)).await.expect("config");
    let opens = T0 + 600_000;
    room.set_calendar_opening(opens).await.expect("calendar");
    assert_eq!(room.opening().await.expect("opening"), opens);

    // 40 students arrive one after the other in the ten minutes before opening.
    let early: Vec<i32> = (1..=40).collect();
    for (i, student) in early.iter().enumerate() {
        let at = T0 + i as i64 * 10_000;
        assert!(
            matches!(
                room.enter(*student, at).await.expect("enter"),
                Admission::Early { .. }
            ),
            "student {student} before opening is not queued"
        );
        // Before the instant nobody is drawn and nobody is admitted.
        let t = room.tick(at).await.expect("tick");
        assert_eq!((t.drawn, t.admitted), (0, 0));
    }
    let t = room.tick(opens).await.expect("tick");
    assert_eq!(t.drawn, 40);

    // Ten more arrive after opening, one after the other.
    let late: Vec<i32> = (101..=110).collect();
    for (i, student) in late.iter().enumerate() {
        room.enter(*student, opens + 1_000 + i as i64)
            .await
            .expect("enter");
    }

    // The tick at opening may already have admitted the head of the drawn line (rate 1/s).
    let mut places = Vec::new();
    for student in early.iter().chain(late.iter()) {
        match room.enter(*student, opens + 2_000).await.expect("enter") {
            Admission::Waiting { position } => places.push((position, *student)),
            Admission::Admitted => places.push((0, *student)),
            other => panic!("student {student}: {other:?}"),
        }
    }
    assert!(places.iter().filter(|(p, _)| *p == 0).count() <= 1);
    places.sort();
    let order: Vec<i32> = places.iter().map(|(_, s)| *s).collect();
    let (drawn, after) = order.split_at(40);
    let mut sorted = drawn.to_vec();
    sorted.sort();
    assert_eq!(
        sorted, early,
        "every early arrival holds one place ahead of later ones"
    );
    assert_ne!(
        drawn,
        early.as_slice(),
        "the drawn order follows arrival order"
    );
    assert_eq!(
        after,
        late.as_slice(),
        "arrivals after opening queue in arrival order"
    );
}

/// The registrar's instant wins over the calendar's; clearing it follows the calendar again.
#[tokio::test]
async fn the_registrars_opening_instant_wins_over_the_calendar() {
    let (room, _p) = room();
    room.set_calendar_opening(T0 + 60_000)
        .await
        .expect("calendar");
    let mut config = open(10, 100, 60);
    config.opens_at_ms = T0 + 120_000;
    room.set_config(config).await.expect("config");
    assert_eq!(room.opening().await.expect("opening"), T0 + 120_000);
    // After the calendar's instant, before the registrar's: still early.
    assert!(matches!(
        room.enter(7, T0 + 90_000).await.expect("enter"),
        Admission::Early { .. }
    ));
    assert_eq!(room.tick(T0 + 90_000).await.expect("tick").drawn, 0);
    assert_eq!(room.tick(T0 + 120_000).await.expect("tick").drawn, 1);
    config.opens_at_ms = 0;
    room.set_config(config).await.expect("config");
    assert_eq!(room.opening().await.expect("opening"), T0 + 60_000);
}

/// The calendar instant read from MySQL: the next register window's opening while none is open,
/// none while one is.
#[tokio::test]
async fn the_calendar_opening_is_the_next_register_window_while_none_is_open() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now();
    let opens = (now + chrono::Duration::minutes(30)).naive_utc();
    app.insert_term_with_windows(&[
        (
            "basket",
            (now - chrono::Duration::days(1)).naive_utc(),
            (now + chrono::Duration::days(1)).naive_utc(),
        ),
        ("register", opens, opens + chrono::Duration::days(2)),
    ]);
    let mut conn = app.conn();
    assert_eq!(
        sugang::waiting_room::opening::from_calendar(&mut conn, now).expect("read"),
        opens.and_utc().timestamp_millis()
    );
    let inside = now + chrono::Duration::hours(1);
    assert_eq!(
        sugang::waiting_room::opening::from_calendar(&mut conn, inside).expect("read"),
        0
    );
}

#[tokio::test]
async fn the_line_reports_where_a_ticket_started_and_how_long_the_line_is() {
    let (room, _p) = room();
    room.set_config(open(2, 100, 60)).await.expect("config");
    for student in 1..=5 {
        room.enter(student, T0).await.expect("enter");
    }
    let first = room.line(5).await.expect("line");
    assert_eq!((first.position, first.start, first.length), (5, 5, 5));
    room.tick(T0).await.expect("tick");
    assert_eq!(room.tick(T0 + 1000).await.expect("tick").admitted, 2);
    let later = room.line(5).await.expect("line");
    assert_eq!(
        (later.position, later.start, later.length),
        (3, 5, 3),
        "two places moved of the five it started at"
    );
    // Once admitted the student is out of the line; a new ticket starts a new count.
    room.set_config(open(100, 100, 60)).await.expect("config");
    room.tick(T0 + 2000).await.expect("tick");
    assert_eq!(
        room.enter(5, T0 + 2000).await.expect("enter"),
        Admission::Admitted
    );
    assert_eq!(room.line(5).await.expect("line").position, 0);
    room.set_config(open(0, 100, 1)).await.expect("config");
    for student in 6..=7 {
        room.enter(student, T0 + 2000).await.expect("enter");
    }
    // The pass lapses; the student queues again, behind 6 and 7.
    assert_eq!(
        room.enter(5, T0 + 70_000).await.expect("enter"),
        Admission::Waiting { position: 3 }
    );
    let again = room.line(5).await.expect("line");
    assert_eq!((again.position, again.start, again.length), (3, 3, 3));
}
