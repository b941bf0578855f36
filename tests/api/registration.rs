//! Registration through HTTP against real MariaDB and Redis: the rules as the API reports them,
//! and the invariants of DESIGN.md section 3 under hundreds of concurrent requests.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use sugang::db::schema::{activity_log, enrollments, holds, sections, waitlist_entries};

use crate::helpers::{error_code, RegStudent, RegistrationFixture, SectionBuilder, TestApp};

// ---- what the database says ----

fn counter(app: &TestApp, section_id: i32) -> i32 {
    sections::table
        .find(section_id)
        .select(sections::enrolled)
        .first(&mut app.conn())
        .expect("section")
}

fn rows_in(app: &TestApp, section_id: i32) -> i64 {
    enrollments::table
        .filter(enrollments::section_id.eq(section_id))
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

fn sections_of(app: &TestApp, student_id: i32) -> Vec<i32> {
    enrollments::table
        .filter(enrollments::student_id.eq(student_id))
        .order(enrollments::section_id)
        .select(enrollments::section_id)
        .load(&mut app.conn())
        .expect("enrollments")
}

fn total_enrollments(app: &TestApp) -> i64 {
    enrollments::table
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

fn activity_of(app: &TestApp, student_id: i32) -> Vec<(String, String, Option<i32>)> {
    activity_log::table
        .filter(activity_log::student_id.eq(student_id))
        .order(activity_log::id)
        .select((
            activity_log::action,
            activity_log::outcome,
            activity_log::section_id,
        ))
        .load(&mut app.conn())
        .expect("activity")
}

/// Every section's counter equals its rows and stays within capacity.
fn assert_counters_match(app: &TestApp) {
    let all: Vec<(i32, i32, i32)> = sections::table
        .select((sections::id, sections::enrolled, sections::capacity))
        .load(&mut app.conn())
        .expect("sections");
    for (id, enrolled, capacity) in all {
        assert_eq!(
            i64::from(enrolled),
            rows_in(app, id),
            "counter of section {id}"
        );
        assert!(enrolled <= capacity, "section {id} overbooked");
    }
}

async fn status_and_json(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn code_of(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

struct Setup {
    app: TestApp,
    fx: RegistrationFixture,
}

async fn setup() -> Setup {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    Setup { app, fx }
}

impl Setup {
    fn course(&self, code: &str, credits: i8) -> i32 {
        self.app.reg_course(&self.fx, code, credits)
    }

    fn section(&self, course: i32) -> SectionBuilder {
        SectionBuilder::of(self.fx.term_id, course)
    }

    async fn students(&self, prefix: &str, n: usize) -> Vec<RegStudent> {
        let ids = self.app.reg_students(&self.fx, prefix, n);
        self.app.students(&ids).await
    }
}

// ---- the happy path and the receipt ----

#[tokio::test]
async fn enrolling_answers_a_receipt_and_lists_the_section() {
    let s = setup().await;
    let course = s.course("CSE2010", 3);
    let section = s
        .app
        .reg_section(s.section(course).no(2).meets(1, 540, 615));
    let student = s.students("rcp", 1).await.remove(0);

    let res = s.app.post_enrollment(&student, section).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let request_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id header")
        .to_string();
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["request_id"], json!(request_id));
    assert_eq!(body["section"]["id"], json!(section));
    assert_eq!(body["section"]["course_code"], json!("CSE2010"));
    assert_eq!(body["section"]["section_no"], json!(2));
    assert_eq!(body["section"]["credits"], json!(3));
    assert_eq!(body["credits_total"], json!(3));
    let at = body["enrolled_at"].as_str().expect("enrolled_at");
    assert!(
        chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with('Z') && at.len() == 24,
        "RFC 3339 with milliseconds: {at}"
    );

    let mine: Value = student
        .client
        .get(s.app.url("/api/v1/enrollments"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(mine["credits_total"], json!(3));
    assert_eq!(mine["credit_limit"], json!(18));
    assert_eq!(mine["enrollments"][0]["section"]["id"], json!(section));
    assert_eq!(
        mine["enrollments"][0]["meetings"][0]["starts_at_min"],
        json!(540)
    );
    assert_eq!(counter(&s.app, section), 1);
    assert_eq!(
        activity_of(&s.app, student.id),
        vec![("enroll".into(), "ok".into(), Some(section))]
    );
}

#[tokio::test]
async fn a_forged_student_id_in_the_body_is_ignored() {
    let s = setup().await;
    let section = s.app.reg_section(s.section(s.course("CSE1000", 3)));
    let mut students = s.students("forge", 2).await;
    let victim = students.pop().expect("victim");
    let attacker = students.pop().expect("attacker");
    let res = attacker
        .client
        .post(s.app.url("/api/v1/enrollments"))
        .json(&json!({ "section_id": section, "student_id": victim.id }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(sections_of(&s.app, attacker.id), vec![section]);
    assert!(sections_of(&s.app, victim.id).is_empty());
    assert!(activity_of(&s.app, victim.id).is_empty());
}

#[tokio::test]
async fn client_mistakes_are_4xx_never_5xx() {
    let s = setup().await;
    let section = s.app.reg_section(s.section(s.course("CSE1001", 3)));
    let st = s.students("bad", 1).await.remove(0);
    let post = |body: &'static str| {
        st.client
            .post(s.app.url("/api/v1/enrollments"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(post("{not json").await.expect("r").status(), 400);
    assert_eq!(post("[1]").await.expect("r").status(), 400);
    let res = post("{}").await.expect("r");
    assert_eq!(res.status(), 422);
    assert_eq!(error_code(res).await, "validation");
    assert_eq!(
        post(r#"{"section_id":"x"}"#).await.expect("r").status(),
        422
    );
    assert_eq!(post(r#"{"section_id":-4}"#).await.expect("r").status(), 422);
    let res = s.app.post_enrollment(&st, section + 1000).await;
    assert_eq!(res.status(), 404);
    let res = s.app.delete_enrollment(&st, section + 1000).await;
    assert_eq!(res.status(), 404);
    let res = s.app.delete_enrollment(&st, section).await;
    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "not_enrolled");
    let res = s.app.post_swap(&st, section, section).await;
    assert_eq!(res.status(), 422);
    // Without CSRF or session.
    let res = s
        .app
        .client()
        .post(s.app.url("/api/v1/enrollments"))
        .json(&json!({ "section_id": section }))
        .send()
        .await
        .expect("r");
    assert_eq!(res.status(), 401);
    assert_eq!(total_enrollments(&s.app), 0);
    assert_counters_match(&s.app);
}

// ---- every rule as the API reports it; a refusal leaves only its activity line ----

#[tokio::test]
async fn every_refusal_leaves_no_trace_but_its_activity_line() {
    let s = setup().await;
    let other_dept = s.app.insert_department("MAT");
    let base = s.course("CSE3000", 3);
    let taken = s.app.reg_section(s.section(base).no(1).meets(2, 540, 615));
    let same_course = s.app.reg_section(s.section(base).no(2).meets(4, 540, 615));
    let clash = s
        .app
        .reg_section(s.section(s.course("CSE3001", 3)).meets(2, 600, 660));
    let prereq_course = s.course("CSE3002", 3);
    let needed = s.course("CSE1100", 3);
    {
        use sugang::db::schema::course_prerequisites;
        diesel::insert_into(course_prerequisites::table)
            .values((
                course_prerequisites::course_id.eq(prereq_course),
                course_prerequisites::required_course_id.eq(needed),
            ))
            .execute(&mut s.app.conn())
            .expect("prerequisite");
    }
    let with_prereq = s.app.reg_section(s.section(prereq_course));
    let dept_only = s.app.reg_section(
        s.section(s.course("MAT2000", 3))
            .only_department(other_dept),
    );
    let seniors = s
        .app
        .reg_section(s.section(s.course("CSE4000", 3)).years(0b1000));
    let cancelled = s
        .app
        .reg_section(s.section(s.course("CSE4001", 3)).cancelled());
    let big = s.app.reg_section(s.section(s.course("CSE4002", 6)));
    let full = s
        .app
        .reg_section(s.section(s.course("CSE4003", 3)).capacity(0).waitlist(3));

    let students = s.students("ref", 2).await;
    let st = &students[0];
    assert_eq!(s.app.post_enrollment(st, taken).await.status(), 201);
    {
        use sugang::db::schema::users;
        diesel::update(users::table.find(st.id))
            .set(users::max_credits.eq(Some(8i8)))
            .execute(&mut s.app.conn())
            .expect("limit");
    }
    let cases = [
        (taken, "already_enrolled"),
        (same_course, "duplicate_course"),
        (clash, "time_conflict"),
        (with_prereq, "prerequisite_missing"),
        (dept_only, "not_eligible"),
        (seniors, "not_eligible"),
        (cancelled, "not_eligible"),
        (big, "credit_limit"),
        (full, "section_full"),
    ];
    let before_rows = total_enrollments(&s.app);
    for (section, code) in cases {
        let res = s.app.post_enrollment(st, section).await;
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, StatusCode::CONFLICT, "{code}: {body}");
        assert_eq!(code_of(&body), code, "{body}");
        assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    assert_eq!(total_enrollments(&s.app), before_rows);
    assert_counters_match(&s.app);
    let log = activity_of(&s.app, st.id);
    assert_eq!(log.len(), 1 + cases.len());
    for ((section, code), (action, outcome, logged_section)) in cases.iter().zip(&log[1..]) {
        assert_eq!(action, "enroll");
        assert_eq!(outcome, code);
        assert_eq!(*logged_section, Some(*section));
    }

    // The messages name what they are about, in the language asked for.
    let res = st
        .client
        .post(s.app.url("/api/v1/enrollments?lang=en"))
        .json(&json!({ "section_id": clash }))
        .send()
        .await
        .expect("r");
    let (_, body) = status_and_json(res).await;
    let msg = body["error"]["message"].as_str().unwrap_or("");
    assert!(msg.contains("CSE3000-01"), "{msg}");
    let res = st
        .client
        .post(s.app.url("/api/v1/enrollments?lang=en"))
        .json(&json!({ "section_id": big }))
        .send()
        .await
        .expect("r");
    let (_, body) = status_and_json(res).await;
    let msg = body["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains('3') && msg.contains('6') && msg.contains('8'),
        "{msg}"
    );

    // A hold outranks everything after the window.
    let other = &students[1];
    diesel::insert_into(holds::table)
        .values((
            holds::student_id.eq(other.id),
            holds::reason.eq("등록금 미납"),
            holds::created_by.eq(other.id),
        ))
        .execute(&mut s.app.conn())
        .expect("hold");
    let (status, body) = status_and_json(s.app.post_enrollment(other, full).await).await;
    assert_eq!(status, 409);
    assert_eq!(code_of(&body), "hold");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("등록금 미납"));

    // Outside every window of the phase: the message says when the student's window opens.
    {
        use sugang::db::schema::registration_windows as w;
        diesel::update(w::table.filter(w::phase.eq("register")))
            .set(w::opens_at.eq(chrono::Utc::now().naive_utc() + chrono::Duration::hours(2)))
            .execute(&mut s.app.conn())
            .expect("window");
    }
    let (status, body) = status_and_json(s.app.post_enrollment(st, full).await).await;
    assert_eq!(status, 409);
    assert_eq!(code_of(&body), "window_closed");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("KST"));
    let (_, body) = status_and_json(s.app.delete_enrollment(st, taken).await).await;
    assert_eq!(code_of(&body), "window_closed");
    assert_eq!(sections_of(&s.app, st.id), vec![taken]);
    assert_counters_match(&s.app);
}

// ---- concurrency: section 3 of DESIGN.md ----

#[tokio::test]
async fn full_section_accepts_exactly_capacity_under_concurrency() {
    let s = setup().await;
    let section = s
        .app
        .reg_section(s.section(s.course("CSE5000", 3)).capacity(30));
    let students = s.students("rush", 300).await;
    let answers = join_all(
        students
            .iter()
            .map(|st| async { status_and_json(s.app.post_enrollment(st, section).await).await }),
    )
    .await;
    let ok = answers.iter().filter(|(st, _)| *st == 201).count();
    let full = answers
        .iter()
        .filter(|(st, b)| *st == 409 && code_of(b) == "section_full")
        .count();
    assert_eq!(ok, 30);
    assert_eq!(
        full,
        270,
        "other answers: {:?}",
        answers
            .iter()
            .filter(|(st, _)| *st != 201 && *st != 409)
            .take(3)
            .collect::<Vec<_>>()
    );
    assert_eq!(counter(&s.app, section), 30);
    assert_eq!(rows_in(&s.app, section), 30);
    // Everyone told "enrolled" has the row; everyone refused has none.
    for (st, (status, _)) in students.iter().zip(&answers) {
        let has = sections_of(&s.app, st.id) == vec![section];
        assert_eq!(has, *status == 201, "student {}", st.id);
        let log = activity_of(&s.app, st.id);
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].1, if *status == 201 { "ok" } else { "section_full" });
    }
    // The decisions were counted.
    let metrics = reqwest::get(s.app.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("sugang_registration_decisions_total{outcome=\"section_full\"}"));
}

#[tokio::test]
async fn one_students_concurrent_requests_cannot_race_past_the_rules() {
    let s = setup().await;
    // Twenty sections over ten 3-credit courses and ten time slots: section 1 of course i meets
    // in slot i, section 2 in slot i+1, so every section clashes with one of another course
    // and duplicates one of its own; six courses reach the 18-credit limit.
    let slot = |j: usize| ((j % 5 + 1) as i8, 540 + (j / 5) as i16 * 120);
    let courses: Vec<i32> = (0..10)
        .map(|i| s.course(&format!("CSE6{i:03}"), 3))
        .collect();
    let mut ids = Vec::new();
    for (i, course) in courses.iter().enumerate() {
        for (no, j) in [(1, i), (2, (i + 1) % 10)] {
            let (day, start) = slot(j);
            ids.push(
                s.app
                    .reg_section(s.section(*course).no(no).meets(day, start, start + 75)),
            );
        }
    }
    for round in 0..3 {
        let st = s.students(&format!("macro{round}"), 1).await.remove(0);
        let answers = join_all(
            ids.iter()
                .map(|id| async { s.app.post_enrollment(&st, *id).await.status() }),
        )
        .await;
        let mine = sections_of(&s.app, st.id);
        let ok = answers.iter().filter(|a| **a == 201).count();
        assert_eq!(ok, mine.len());
        assert!(
            answers.iter().all(|a| *a == 201 || *a == 409),
            "{answers:?}"
        );
        assert_eq!(mine.len(), 6, "18 credits of 3-credit courses: {mine:?}");
        let mut conn = s.app.conn();
        let rows: Vec<(i32, i8, i16, i16)> = {
            use sugang::db::schema::meetings;
            meetings::table
                .filter(meetings::section_id.eq_any(&mine))
                .select((
                    meetings::section_id,
                    meetings::weekday,
                    meetings::starts_at_min,
                    meetings::ends_at_min,
                ))
                .load(&mut conn)
                .expect("meetings")
        };
        for a in &rows {
            for b in &rows {
                if a.0 != b.0 && a.1 == b.1 {
                    assert!(a.3 <= b.2 || b.3 <= a.2, "time conflict {a:?} {b:?}");
                }
            }
        }
        let courses: Vec<i32> = enrollments::table
            .filter(enrollments::student_id.eq(st.id))
            .select(enrollments::course_id)
            .load(&mut conn)
            .expect("courses");
        let distinct: HashSet<_> = courses.iter().collect();
        assert_eq!(distinct.len(), courses.len(), "two sections of one course");
    }
    assert_counters_match(&s.app);
}

/// `POST /api/v1/enrollments` with an `Idempotency-Key`.
fn enroll_with_key(
    app: &TestApp,
    st: &RegStudent,
    key: &str,
    section: i32,
) -> impl std::future::Future<Output = reqwest::Result<Response>> {
    st.client
        .post(app.url("/api/v1/enrollments"))
        .header("Idempotency-Key", key)
        .json(&json!({ "section_id": section }))
        .send()
}

#[tokio::test]
async fn repeated_idempotency_key_enrolls_once_with_identical_answers() {
    let s = setup().await;
    let section = s.app.reg_section(s.section(s.course("CSE7000", 3)));
    let other = s.app.reg_section(s.section(s.course("CSE7001", 3)));
    let st = s.students("idem", 1).await.remove(0);
    let send = |key: &'static str, section: i32| enroll_with_key(&s.app, &st, key, section);
    let answers = join_all((0..10).map(|_| async {
        let res = send("click-1", section).await.expect("request");
        (res.status(), res.text().await.expect("body"))
    }))
    .await;
    assert!(answers.iter().all(|(st, _)| *st == 201), "{answers:?}");
    let first = &answers[0].1;
    assert!(answers.iter().all(|(_, body)| body == first));
    assert_eq!(rows_in(&s.app, section), 1);
    assert_eq!(counter(&s.app, section), 1);
    assert_eq!(activity_of(&s.app, st.id).len(), 1);

    // Later repeats still get the stored answer, marked as a replay.
    let res = send("click-1", section).await.expect("request");
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.headers()
            .get("idempotency-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(&res.text().await.expect("body"), first);

    // Same key, different body.
    let res = send("click-1", other).await.expect("request");
    assert_eq!(res.status(), 422);
    assert_eq!(error_code(res).await, "idempotency_mismatch");
    assert_eq!(rows_in(&s.app, other), 0);

    // A refusal is remembered too: the repeat does not run again.
    let refused = |key: &'static str| send(key, section);
    let a = refused("again-2").await.expect("r");
    assert_eq!(a.status(), 409);
    let a = a.text().await.expect("body");
    let b = refused("again-2")
        .await
        .expect("r")
        .text()
        .await
        .expect("body");
    assert_eq!(a, b);
    assert_eq!(activity_of(&s.app, st.id).len(), 2);

    // Malformed keys.
    for key in ["", "has space", "키", &"k".repeat(65)] {
        let res = st
            .client
            .post(s.app.url("/api/v1/enrollments"))
            .header("Idempotency-Key", key)
            .json(&json!({ "section_id": other }))
            .send()
            .await
            .expect("r");
        assert_eq!(res.status(), 422, "key {key:?}");
    }
    assert_eq!(rows_in(&s.app, other), 0);
}

/// Marks `key` of `student` the way an enroll whose COMMIT went unanswered leaves it: no answer,
/// the fingerprint of its request, and the request id of the attempt in doubt.
fn mark_in_doubt(app: &TestApp, student: i32, key: &str, section: i32, request_id: &str) {
    use sha2::{Digest, Sha256};
    let body = serde_json::to_vec(&json!({ "section_id": section })).expect("body");
    let mut h = Sha256::new();
    h.update(b"POST\0/api/v1/enrollments\0");
    h.update(&body);
    let mark = json!({ "fp": hex::encode(h.finalize()), "status": null, "body": null, "doubt": request_id });
    let client = redis::Client::open(crate::helpers::redis_url()).expect("redis");
    let mut conn = client.get_connection().expect("redis connection");
    let _: () = redis::cmd("SET")
        .arg(format!("{}idem:{student}:{key}", app.prefix.0))
        .arg(mark.to_string())
        .arg("EX")
        .arg(600)
        .query(&mut conn)
        .expect("set mark");
}

#[tokio::test]
async fn a_repeat_settles_an_enroll_left_in_doubt() {
    let s = setup().await;
    let took = s.app.reg_section(s.section(s.course("CSE7100", 3)));
    let lost = s.app.reg_section(s.section(s.course("CSE7101", 3)));
    let st = s.students("doubt", 1).await.remove(0);
    let send = |key: &'static str, section: i32| enroll_with_key(&s.app, &st, key, section);

    // The attempt committed, but its answer was lost: the repeat answers its receipt.
    let res = send("doubt-1", took).await.expect("request");
    assert_eq!(res.status(), 201);
    let receipt: Value = res.json().await.expect("receipt");
    let first_id = receipt["request_id"]
        .as_str()
        .expect("request id")
        .to_string();
    mark_in_doubt(&s.app, st.id, "doubt-1", took, &first_id);
    for _ in 0..2 {
        let res = send("doubt-1", took).await.expect("request");
        assert_eq!(res.status(), 201);
        assert_eq!(
            res.headers()
                .get("idempotency-replayed")
                .and_then(|v| v.to_str().ok()),
            Some("true")
        );
        let settled: Value = res.json().await.expect("receipt");
        assert_eq!(
            settled, receipt,
            "the settled answer is the attempt's own receipt"
        );
    }
    assert_eq!(rows_in(&s.app, took), 1);
    assert_eq!(counter(&s.app, took), 1);
    assert_eq!(
        activity_of(&s.app, st.id).len(),
        1,
        "settling decides nothing"
    );

    // The attempt never committed: the repeat decides afresh, once.
    mark_in_doubt(&s.app, st.id, "doubt-2", lost, "rolled-back-attempt");
    let answers = join_all((0..5).map(|_| async {
        let res = send("doubt-2", lost).await.expect("request");
        let status = res.status();
        (status, res.json::<Value>().await.expect("body"))
    }))
    .await;
    let granted: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, body)| body)
        .collect();
    assert!(!granted.is_empty(), "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, body)| *status == 201
                || body["error"]["code"] == "idempotency_in_progress"),
        "{answers:?}"
    );
    let fresh = granted[0]["request_id"].as_str().expect("request id");
    assert_ne!(fresh, "rolled-back-attempt");
    assert!(
        granted.iter().all(|b| b["request_id"] == fresh),
        "{answers:?}"
    );
    assert_eq!(rows_in(&s.app, lost), 1);
    assert_eq!(counter(&s.app, lost), 1);
    assert_eq!(activity_of(&s.app, st.id).len(), 2);

    // The same key with another body is still refused.
    mark_in_doubt(&s.app, st.id, "doubt-3", lost, "whatever");
    let res = send("doubt-3", took).await.expect("request");
    assert_eq!(res.status(), 422);
    assert_eq!(error_code(res).await, "idempotency_mismatch");
}

#[tokio::test]
async fn drops_during_a_rush_conserve_seats() {
    let s = setup().await;
    let section = s
        .app
        .reg_section(s.section(s.course("CSE8000", 3)).capacity(20));
    let holders = s.students("hold", 20).await;
    for st in &holders {
        assert_eq!(s.app.post_enrollment(st, section).await.status(), 201);
    }
    let rushers = s.students("grab", 100).await;
    let drops = holders[..10]
        .iter()
        .map(|st| async { s.app.delete_enrollment(st, section).await.status() });
    let grabs = rushers
        .iter()
        .map(|st| async { s.app.post_enrollment(st, section).await.status() });
    let (dropped, grabbed) = tokio::join!(join_all(drops), join_all(grabs));
    assert!(dropped.iter().all(|s| *s == 200), "{dropped:?}");
    let won = grabbed.iter().filter(|s| **s == 201).count();
    assert!(grabbed.iter().all(|s| *s == 201 || *s == 409));
    assert!(won <= 10, "{won} seats won, only 10 freed");
    assert_eq!(counter(&s.app, section) as usize, 10 + won);
    assert_eq!(rows_in(&s.app, section) as usize, 10 + won);
    for st in &holders[..10] {
        assert!(sections_of(&s.app, st.id).is_empty());
    }
    assert_counters_match(&s.app);
}

#[tokio::test]
async fn swaps_under_contention_never_leave_both_or_neither() {
    let s = setup().await;
    let course = s.course("CSE9000", 3);
    let from = s
        .app
        .reg_section(s.section(course).no(1).capacity(40).meets(1, 540, 615));
    let to = s
        .app
        .reg_section(s.section(course).no(2).capacity(10).meets(3, 540, 615));
    let swappers = s.students("swap", 30).await;
    for st in &swappers {
        assert_eq!(s.app.post_enrollment(st, from).await.status(), 201);
    }
    let rivals = s.students("rival", 30).await;
    let swaps = swappers
        .iter()
        .map(|st| async { status_and_json(s.app.post_swap(st, from, to).await).await });
    let enrolls = rivals
        .iter()
        .map(|st| async { s.app.post_enrollment(st, to).await.status() });
    let (swapped, enrolled) = tokio::join!(join_all(swaps), join_all(enrolls));
    let swap_ok = swapped.iter().filter(|(st, _)| *st == 200).count();
    let enroll_ok = enrolled.iter().filter(|s| **s == 201).count();
    assert_eq!(
        swap_ok + enroll_ok,
        10,
        "the 10 seats of the target all went"
    );
    for (st, (status, body)) in swappers.iter().zip(&swapped) {
        let mine = sections_of(&s.app, st.id);
        if *status == 200 {
            assert_eq!(mine, vec![to]);
            assert_eq!(body["added"]["id"], json!(to));
            assert_eq!(body["dropped"]["id"], json!(from));
        } else {
            assert_eq!(*status, 409, "{body}");
            assert_eq!(code_of(body), "section_full");
            assert_eq!(mine, vec![from], "a failed swap changes nothing");
        }
    }
    assert_eq!(counter(&s.app, from) as usize, 30 - swap_ok);
    assert_counters_match(&s.app);
}

#[tokio::test]
async fn waitlist_promotion_is_fifo_rechecks_the_rules_and_never_overbooks() {
    let s = setup().await;
    let section = s.app.reg_section(
        s.section(s.course("CSE9100", 3))
            .capacity(2)
            .waitlist(3)
            .meets(5, 600, 675),
    );
    let clash_course = s.course("CSE9101", 3);
    let clash = s
        .app
        .reg_section(s.section(clash_course).meets(5, 630, 700));
    let students = s.students("wait", 7).await;
    let (seated, line) = students.split_at(2);

    // Not full yet: waiting is refused.
    let (status, body) = status_and_json(s.app.post_waitlist(&line[0], section).await).await;
    assert_eq!(
        (status.as_u16(), code_of(&body)),
        (409, "waitlist_not_needed")
    );
    for st in seated {
        assert_eq!(s.app.post_enrollment(st, section).await.status(), 201);
    }
    let (status, body) = status_and_json(s.app.post_enrollment(&line[0], section).await).await;
    assert_eq!(status, 409);
    assert_eq!(code_of(&body), "section_full");
    for (i, st) in line[..3].iter().enumerate() {
        let (status, body) = status_and_json(s.app.post_waitlist(st, section).await).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["position"], json!(i + 1));
    }
    let (_, body) = status_and_json(s.app.post_waitlist(&line[0], section).await).await;
    assert_eq!(code_of(&body), "already_waitlisted");
    let (_, body) = status_and_json(s.app.post_waitlist(&line[3], section).await).await;
    assert_eq!(code_of(&body), "waitlist_full");
    let mine: Value = line[2]
        .client
        .get(s.app.url("/api/v1/waitlist"))
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    assert_eq!(mine["waitlist"][0]["position"], json!(3));

    // The first in line takes a class at the same time: no longer eligible.
    assert_eq!(s.app.post_enrollment(&line[0], clash).await.status(), 201);

    // A seat frees: the first in line fails the rules and leaves with the reason logged; the
    // second gets the seat in the same transaction as the drop.
    assert_eq!(
        s.app.delete_enrollment(&seated[0], section).await.status(),
        200
    );
    assert_eq!(sections_of(&s.app, line[1].id), vec![section]);
    assert_eq!(sections_of(&s.app, line[0].id), vec![clash]);
    let log0 = activity_of(&s.app, line[0].id);
    assert!(log0.contains(&(
        "waitlist_removed".into(),
        "time_conflict".into(),
        Some(section)
    )));
    let log1 = activity_of(&s.app, line[1].id);
    assert!(log1.contains(&("waitlist_promoted".into(), "ok".into(), Some(section))));
    {
        let source: String = enrollments::table
            .filter(enrollments::student_id.eq(line[1].id))
            .select(enrollments::source)
            .first(&mut s.app.conn())
            .expect("row");
        assert_eq!(source, "waitlist");
    }
    assert_eq!(counter(&s.app, section), 2);
    // The newcomer cannot jump the line: the section is full again.
    let (_, body) = status_and_json(s.app.post_enrollment(&line[3], section).await).await;
    assert_eq!(code_of(&body), "section_full");

    // Leaving the line works; the next seat goes to nobody but the line.
    assert_eq!(s.app.delete_waitlist(&line[2], section).await.status(), 200);
    let (_, body) = status_and_json(s.app.delete_waitlist(&line[2], section).await).await;
    assert_eq!(code_of(&body), "not_waitlisted");
    assert_eq!(
        s.app.delete_enrollment(&seated[1], section).await.status(),
        200
    );
    assert_eq!(counter(&s.app, section), 1);
    let left: i64 = waitlist_entries::table
        .count()
        .get_result(&mut s.app.conn())
        .expect("count");
    assert_eq!(left, 0);
    assert_counters_match(&s.app);
}

#[tokio::test]
async fn waitlist_promotion_under_concurrent_drops_is_fifo_and_never_overbooks() {
    let s = setup().await;
    let section = s
        .app
        .reg_section(s.section(s.course("CSE9200", 3)).capacity(10).waitlist(50));
    let seated = s.students("seat", 10).await;
    for st in &seated {
        assert_eq!(s.app.post_enrollment(st, section).await.status(), 201);
    }
    let line = s.students("line", 20).await;
    for st in &line {
        assert_eq!(s.app.post_waitlist(st, section).await.status(), 201);
    }
    let rivals = s.students("jump", 40).await;
    let drops = seated[..8]
        .iter()
        .map(|st| async { s.app.delete_enrollment(st, section).await.status() });
    let grabs = rivals
        .iter()
        .map(|st| async { s.app.post_enrollment(st, section).await.status() });
    let (dropped, grabbed) = tokio::join!(join_all(drops), join_all(grabs));
    assert!(dropped.iter().all(|s| *s == 200), "{dropped:?}");
    assert!(
        grabbed.iter().all(|s| *s == 409),
        "freed seats went to the line first"
    );
    // Exactly the first eight in line got the eight seats.
    let promoted: Vec<bool> = line
        .iter()
        .map(|st| sections_of(&s.app, st.id) == vec![section])
        .collect();
    assert_eq!(promoted.iter().filter(|p| **p).count(), 8);
    assert!(promoted[..8].iter().all(|p| *p), "FIFO: {promoted:?}");
    assert_eq!(counter(&s.app, section), 10);
    assert_counters_match(&s.app);
}

// ---- the activity log ----

#[tokio::test]
async fn the_activity_log_shows_own_attempts_newest_first_with_request_ids() {
    let s = setup().await;
    let section = s
        .app
        .reg_section(s.section(s.course("CSE9300", 3)).capacity(1));
    let students = s.students("act", 2).await;
    let ok = s.app.post_enrollment(&students[0], section).await;
    let ok_id = ok.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    let refused = s.app.post_enrollment(&students[1], section).await;
    let refused_id = refused.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    let again = s.app.post_enrollment(&students[0], section).await;
    let again_id = again.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();

    let json: Value = students[0]
        .client
        .get(s.app.url("/api/v1/activity"))
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    let items = json["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "only the student's own lines: {json}");
    assert_eq!(items[0]["request_id"], json!(again_id));
    assert_eq!(items[0]["outcome"], json!("already_enrolled"));
    assert_eq!(items[1]["request_id"], json!(ok_id));
    assert_eq!(items[1]["outcome"], json!("ok"));

    let page = students[0]
        .client
        .get(s.app.url("/activity"))
        .send()
        .await
        .expect("r");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains(&ok_id) && html.contains(&again_id));
    assert!(!html.contains(&refused_id), "another student's line leaked");
    assert!(html.contains("KST"));
    assert!(html.contains("CSE9300-01"));
    let en = students[1]
        .client
        .get(s.app.url("/activity?lang=en"))
        .send()
        .await
        .expect("r")
        .text()
        .await
        .expect("html");
    assert!(en.contains(&refused_id) && en.contains("section_full"));
    assert!(
        en.contains(">Section full</td>"),
        "the outcome in words, not its code"
    );
    // Not signed in: the page sends to sign-in.
    let anon = s.app.get(&s.app.client(), "/activity").await;
    assert_eq!(anon.status(), 303);
    let counts: HashMap<String, i64> = activity_log::table
        .group_by(activity_log::outcome)
        .select((activity_log::outcome, diesel::dsl::count_star()))
        .load(&mut s.app.conn())
        .expect("counts")
        .into_iter()
        .collect();
    assert_eq!(counts.get("ok"), Some(&1));
}

#[tokio::test]
async fn a_capacity_raise_promotes_the_line_in_order_through_promote_waitlist() {
    let s = setup().await;
    let section = s
        .app
        .reg_section(s.section(s.course("CSE9400", 3)).capacity(1).waitlist(5));
    let students = s.students("raise", 4).await;
    assert_eq!(
        s.app.post_enrollment(&students[0], section).await.status(),
        201
    );
    for st in &students[1..] {
        assert_eq!(s.app.post_waitlist(st, section).await.status(), 201);
    }
    // The registrar raises the capacity by two; the same transaction fills the new seats.
    let mut conn = s.app.conn();
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
    )
    .expect("isolation");
    let promoted = conn
        .transaction(|conn| {
            diesel::update(sections::table.find(section))
                .set(sections::capacity.eq(3))
                .execute(conn)?;
            sugang::registration::promote_waitlist(conn, section, chrono::Utc::now())
        })
        .expect("promotion");
    let ids: Vec<i32> = promoted.iter().map(|p| p.student_id).collect();
    assert_eq!(ids, vec![students[1].id, students[2].id]);
    assert!(promoted.iter().all(|p| p.outcome == "ok"));
    assert_eq!(sections_of(&s.app, students[3].id), Vec::<i32>::new());
    assert_eq!(counter(&s.app, section), 3);
    assert_counters_match(&s.app);
    let mine: Value = students[3]
        .client
        .get(s.app.url("/api/v1/waitlist"))
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    assert_eq!(mine["waitlist"][0]["position"], json!(1));
}

// ---- the seats-left signal ----

async fn signal_says_full(app: &TestApp, section: i32) -> bool {
    for _ in 0..100 {
        if app.state.seats.is_full(section) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn a_full_section_answers_from_the_seats_signal_in_rule_order() {
    let s = setup().await;
    let section = s
        .app
        .reg_section(s.section(s.course("CSE5100", 3)).capacity(1));
    let students = s.students("sig", 4).await;
    let (first, held, already) = (&students[0], &students[1], &students[2]);

    let (status, _) = status_and_json(s.app.post_enrollment(first, section).await).await;
    assert_eq!(status, 201);
    // The commit published the figure: this instance calls the section full once its copy of
    // the signal is fresh (it is read from Redis every 100 ms).
    assert_eq!(s.app.state.seats.seats_left(section), Some(0));
    assert!(signal_says_full(&s.app, section).await);

    // The answers for a full section do not wait on its row lock (held here by another
    // transaction until they are in), and still come in rule order.
    let mut blocker = s.app.conn();
    diesel::sql_query("START TRANSACTION")
        .execute(&mut blocker)
        .expect("begin");
    diesel::sql_query(format!(
        "SELECT id FROM sections WHERE id = {section} FOR UPDATE"
    ))
    .execute(&mut blocker)
    .expect("lock");
    diesel::insert_into(holds::table)
        .values((
            holds::student_id.eq(held.id),
            holds::reason.eq("서류 미제출"),
            holds::created_by.eq(held.id),
        ))
        .execute(&mut s.app.conn())
        .expect("hold");
    let (status, body) = status_and_json(s.app.post_enrollment(held, section).await).await;
    assert_eq!((status.as_u16(), code_of(&body)), (409, "hold"));
    let (status, body) = status_and_json(s.app.post_enrollment(first, section).await).await;
    assert_eq!((status.as_u16(), code_of(&body)), (409, "already_enrolled"));
    let (status, body) = status_and_json(s.app.post_enrollment(already, section).await).await;
    assert_eq!((status.as_u16(), code_of(&body)), (409, "section_full"));
    diesel::sql_query("ROLLBACK")
        .execute(&mut blocker)
        .expect("release");
    // Each answer left its line (written in a batch before the answer left) and nothing else.
    assert_eq!(activity_of(&s.app, held.id)[0].1, "hold");
    assert_eq!(activity_of(&s.app, already.id)[0].1, "section_full");
    assert_eq!(activity_of(&s.app, first.id).len(), 2);
    assert_eq!(counter(&s.app, section), 1);
    assert_eq!(rows_in(&s.app, section), 1);
}

#[tokio::test]
async fn the_seats_signal_is_rebuilt_from_mysql_when_redis_loses_it() {
    let s = setup().await;
    let section = s
        .app
        .reg_section(s.section(s.course("CSE5200", 3)).capacity(2));
    let students = s.students("reb", 3).await;
    for st in &students[..2] {
        let (status, _) = status_and_json(s.app.post_enrollment(st, section).await).await;
        assert_eq!(status, 201);
    }
    assert!(signal_says_full(&s.app, section).await);

    // Redis forgets everything of this app (a restart without persistence) and a registrar
    // frees a seat directly in MySQL: no answer may stay "full" on the strength of old figures.
    s.app.prefix.flush();
    diesel::delete(
        enrollments::table
            .filter(enrollments::student_id.eq(students[1].id))
            .filter(enrollments::section_id.eq(section)),
    )
    .execute(&mut s.app.conn())
    .expect("drop");
    diesel::update(sections::table.find(section))
        .set(sections::enrolled.eq(1))
        .execute(&mut s.app.conn())
        .expect("counter");
    let mut rebuilt = false;
    for _ in 0..100 {
        if s.app.state.seats.seats_left(section) == Some(1) {
            rebuilt = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(rebuilt, "the signal was rebuilt from the counters");
    let late = s.app.students(&[students[2].id]).await.remove(0);
    let (status, body) = status_and_json(s.app.post_enrollment(&late, section).await).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(counter(&s.app, section), 2);
    assert_eq!(rows_in(&s.app, section), 2);
}
