//! Decisions in batches (`registration::batch`): attempts decided together in one transaction
//! answer exactly as the same attempts decided one by one, see each other, survive a deadlock,
//! and read a standing only after taking the student's lock.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use sugang::activity::NewActivity;
use sugang::db::schema::{
    activity_log, course_prerequisites, enrollments, holds, sections, users, waitlist_entries,
};
use sugang::registration::batch::{self, Decided, JobData};
use sugang::registration::rush;
use sugang::registration::service::{self, Attempt, Frame, TxError};
use sugang::web::Lang;

use crate::helpers::{RegistrationFixture, SectionBuilder, TestApp};

fn attempt(student_id: i32, n: usize) -> Attempt {
    Attempt {
        student_id,
        session_ref: None,
        request_id: format!("batch-{student_id}-{n}-{}", uuid::Uuid::new_v4().simple()),
        client_ip: "127.0.0.1".into(),
        lang: Lang::En,
    }
}

async fn frame(app: &TestApp) -> Frame {
    rush::frame(&app.state.shared, &app.state.engine)
        .await
        .expect("frame")
        .expect("a current term")
}

fn job(a: Attempt, section_id: i32, now: DateTime<Utc>, assume_full: bool, f: &Frame) -> JobData {
    JobData {
        attempt: a,
        section_id,
        now,
        assume_full,
        frame: f.clone(),
    }
}

fn code(outcome: &Decided) -> String {
    match outcome {
        Ok(_) => "ok".into(),
        Err(TxError::Refused(r)) | Err(TxError::Aborted(r)) => r.code().into(),
        Err(TxError::NotFound) => "not_found".into(),
        Err(TxError::Db(e)) => format!("db: {e}"),
    }
}

/// Every counter equals its rows and no section holds more than its capacity.
fn assert_counters(app: &TestApp) {
    let mut conn = app.conn();
    let counters: Vec<(i32, i32, i32)> = sections::table
        .select((sections::id, sections::capacity, sections::enrolled))
        .load(&mut conn)
        .expect("sections");
    for (id, capacity, enrolled) in counters {
        let rows: i64 = enrollments::table
            .filter(enrollments::section_id.eq(id))
            .count()
            .get_result(&mut conn)
            .expect("rows");
        assert_eq!(i64::from(enrolled), rows, "section {id}: counter and rows");
        assert!(enrolled <= capacity, "section {id} overbooked");
    }
}

/// One activity line per request id, with the outcome the answer gave.
fn assert_lines(app: &TestApp, attempts: &[Attempt], codes: &[String]) {
    let mut conn = app.conn();
    for (a, code) in attempts.iter().zip(codes) {
        let lines: Vec<String> = activity_log::table
            .filter(activity_log::request_id.eq(&a.request_id))
            .select(activity_log::outcome)
            .load(&mut conn)
            .expect("lines");
        assert_eq!(lines, vec![code.clone()], "activity of {}", a.request_id);
    }
}

/// Sections and students covering every reason the rules give, in one term.
struct Mixed {
    attempts: Vec<(i32, i32, DateTime<Utc>)>,
}

fn mixed(app: &TestApp) -> Mixed {
    let fx: RegistrationFixture = app.registration_fixture();
    let other_dept = app.insert_department("MTH");
    let course = |code: &str, credits: i8| app.reg_course(&fx, code, credits);
    let (a, b, c, d, e, f, g, h, p) = (
        course("BAT101", 3),
        course("BAT102", 3),
        course("BAT103", 3),
        course("BAT104", 3),
        course("BAT105", 3),
        course("BAT106", 3),
        course("BAT107", 3),
        course("BAT108", 3),
        course("BAT100", 3),
    );
    diesel::insert_into(course_prerequisites::table)
        .values((
            course_prerequisites::course_id.eq(c),
            course_prerequisites::required_course_id.eq(p),
        ))
        .execute(&mut app.conn())
        .expect("prerequisite");
    let t = fx.term_id;
    let a1 = app.reg_section(SectionBuilder::of(t, a).no(1).meets(1, 540, 615));
    let a2 = app.reg_section(SectionBuilder::of(t, a).no(2).meets(2, 540, 615));
    let b1 = app.reg_section(SectionBuilder::of(t, b).meets(1, 600, 660));
    let c1 = app.reg_section(SectionBuilder::of(t, c).meets(3, 540, 615));
    let dept = app.reg_section(SectionBuilder::of(t, d).only_department(other_dept));
    let year = app.reg_section(SectionBuilder::of(t, e).years(0b1000));
    let cancelled = app.reg_section(SectionBuilder::of(t, f).cancelled());
    let small = app.reg_section(SectionBuilder::of(t, g).capacity(1).waitlist(5));
    let spare = app.reg_section(SectionBuilder::of(t, h).meets(5, 540, 615));
    let s = app.reg_students(&fx, "bm", 7);
    let mut conn = app.conn();
    diesel::insert_into(holds::table)
        .values((
            holds::student_id.eq(s[3]),
            holds::reason.eq("등록금 미납"),
            holds::created_by.eq(s[3]),
        ))
        .execute(&mut conn)
        .expect("hold");
    diesel::update(users::table.find(s[4]))
        .set(users::status.eq("on_leave"))
        .execute(&mut conn)
        .expect("status");
    diesel::update(users::table.find(s[5]))
        .set(users::max_credits.eq(Some(3i8)))
        .execute(&mut conn)
        .expect("credit limit");
    // s[2] waits for the small section: a grant to them takes them off its waitlist.
    diesel::insert_into(waitlist_entries::table)
        .values((
            waitlist_entries::section_id.eq(small),
            waitlist_entries::student_id.eq(s[1]),
        ))
        .execute(&mut conn)
        .expect("waitlist");
    let now = Utc::now();
    let early = now - chrono::Duration::days(5);
    Mixed {
        attempts: vec![
            (s[0], a1, now),        // ok
            (s[0], b1, now),        // time_conflict with a1, granted just before
            (s[0], a2, now),        // duplicate_course
            (s[0], a1, now),        // already_enrolled
            (s[1], small, now),     // ok, and off the waitlist
            (s[2], small, now),     // section_full
            (s[3], a2, now),        // hold
            (s[4], a2, now),        // not_eligible (status)
            (s[1], cancelled, now), // not_eligible (cancelled)
            (s[1], dept, now),      // not_eligible (department)
            (s[1], year, now),      // not_eligible (class year)
            (s[1], c1, now),        // prerequisite_missing
            (s[5], a2, now),        // ok: 3 of 3 credits
            (s[5], spare, now),     // credit_limit
            (s[6], 987_654, now),   // not_found
            (s[6], spare, early),   // window_closed
            (s[6], spare, now),     // ok
        ],
    }
}

const MIXED_CODES: [&str; 17] = [
    "ok",
    "time_conflict",
    "duplicate_course",
    "already_enrolled",
    "ok",
    "section_full",
    "hold",
    "not_eligible",
    "not_eligible",
    "not_eligible",
    "not_eligible",
    "prerequisite_missing",
    "ok",
    "credit_limit",
    "not_found",
    "window_closed",
    "ok",
];

#[actix_web::test]
async fn a_batch_answers_every_reason_exactly_as_single_attempts_do() {
    // The batch: every attempt in one unit of the queue, one transaction.
    let batched = TestApp::spawn_for_registration().await;
    let m = mixed(&batched);
    let f = frame(&batched).await;
    let attempts: Vec<Attempt> = m
        .attempts
        .iter()
        .enumerate()
        .map(|(i, (s, _, _))| attempt(*s, i))
        .collect();
    let outcomes = batched
        .state
        .decider
        .decide_all(
            attempts
                .iter()
                .zip(&m.attempts)
                .map(|(a, (_, section, now))| job(a.clone(), *section, *now, false, &f))
                .collect(),
        )
        .await;
    let codes: Vec<String> = outcomes.iter().map(code).collect();
    assert_eq!(codes, MIXED_CODES.map(String::from).to_vec());
    assert_counters(&batched);
    assert_lines(&batched, &attempts, &codes);
    let waiting: i64 = waitlist_entries::table
        .count()
        .get_result(&mut batched.conn())
        .expect("waitlist");
    assert_eq!(waiting, 0, "the granted student left the line");
    // Receipts count the credits granted earlier in the same batch.
    let totals: Vec<i32> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().map(|(r, _)| r.credits_total))
        .collect();
    assert_eq!(totals, vec![3, 3, 3, 3]);

    // The same attempts, one transaction each on the one-attempt path, in a twin database.
    let single = TestApp::spawn_for_registration().await;
    let m = mixed(&single);
    let f = frame(&single).await;
    let mut conn = single.conn();
    let mut single_codes = Vec::new();
    for (i, (s, section, now)) in m.attempts.iter().enumerate() {
        let outcome = service::enroll_in(&mut conn, &attempt(*s, i), &f, *section, *now);
        single_codes.push(code(&outcome));
    }
    assert_eq!(single_codes, codes, "one by one and batched agree");
}

#[actix_web::test]
async fn clashing_attempts_of_one_student_in_one_batch_grant_only_the_first() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let sections: Vec<i32> = (0..5)
        .map(|i| {
            let course = app.reg_course(&fx, &format!("CLS{i:03}"), 3);
            // Each overlaps the next on Monday morning.
            app.reg_section(SectionBuilder::of(fx.term_id, course).meets(1, 540 + i * 10, 600))
        })
        .collect();
    let student = app.reg_students(&fx, "clash", 1)[0];
    let f = frame(&app).await;
    let now = Utc::now();
    let outcomes = app
        .state
        .decider
        .decide_all(
            sections
                .iter()
                .enumerate()
                .map(|(i, s)| job(attempt(student, i), *s, now, false, &f))
                .collect(),
        )
        .await;
    let codes: Vec<String> = outcomes.iter().map(code).collect();
    assert_eq!(
        codes,
        vec![
            "ok",
            "time_conflict",
            "time_conflict",
            "time_conflict",
            "time_conflict"
        ]
    );
    let held: Vec<i32> = enrollments::table
        .filter(enrollments::student_id.eq(student))
        .select(enrollments::section_id)
        .load(&mut app.conn())
        .expect("enrollments");
    assert_eq!(held, vec![sections[0]]);
    assert_counters(&app);
}

#[actix_web::test]
async fn a_full_section_in_the_batch_refuses_after_earlier_rules_and_counts_no_seat() {
    // Attempts the seats-left signal marked full are decided in the batch without the lock; when
    // another attempt of the batch locks the section, they see its live counter instead.
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "FUL100", 3);
    let full = app.reg_section(SectionBuilder::of(fx.term_id, course).capacity(2));
    let students = app.reg_students(&fx, "full", 6);
    let mut conn = app.conn();
    diesel::insert_into(holds::table)
        .values((
            holds::student_id.eq(students[5]),
            holds::reason.eq("서류 미제출"),
            holds::created_by.eq(students[5]),
        ))
        .execute(&mut conn)
        .expect("hold");
    let f = frame(&app).await;
    let now = Utc::now();
    let jobs = students
        .iter()
        .enumerate()
        .map(|(i, s)| job(attempt(*s, i), full, now, i >= 3, &f))
        .collect();
    let codes: Vec<String> = app
        .state
        .decider
        .decide_all(jobs)
        .await
        .iter()
        .map(code)
        .collect();
    // Two seats for the first three; the marked ones are refused full, the one with a hold
    // by the earlier rule.
    assert_eq!(
        codes,
        vec![
            "ok",
            "ok",
            "section_full",
            "section_full",
            "section_full",
            "hold"
        ]
    );
    assert_counters(&app);
    assert_eq!(
        app.state.seats.seats_left(full),
        Some(0),
        "the batch published the section full"
    );
}

/// Runs `jobs` as one batch on its own connection, on a blocking thread.
fn spawn_batch(app: &TestApp, jobs: Vec<JobData>) -> std::thread::JoinHandle<Vec<Decided>> {
    let mut conn = app.conn();
    std::thread::spawn(move || batch::decide_split(&mut conn, &jobs))
}

#[actix_web::test]
async fn a_batch_that_deadlocks_is_retried_and_decides_each_attempt_once() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "DLK100", 3);
    let section = app.reg_section(SectionBuilder::of(fx.term_id, course).capacity(3));
    let students = app.reg_students(&fx, "dlk", 4);
    let f = frame(&app).await;
    let now = Utc::now();
    let attempts: Vec<Attempt> = students
        .iter()
        .enumerate()
        .map(|(i, s)| attempt(*s, i))
        .collect();
    let jobs: Vec<JobData> = attempts
        .iter()
        .map(|a| JobData {
            attempt: a.clone(),
            section_id: section,
            now,
            assume_full: false,
            frame: f.clone(),
        })
        .collect();

    // A rival transaction holds the section, then asks for a student the batch holds: the
    // lock order reversed, as a registrar tool that locked a section first would.
    let mut rival = app.conn();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel::<()>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let student = students[0];
    let rival_thread = std::thread::spawn(move || {
        rival.transaction::<_, diesel::result::Error, _>(|c| {
            // Weight: InnoDB rolls back the lighter transaction, so the rival writes rows first
            // (lines nobody else touches), and the batch is the one chosen.
            let lines: Vec<NewActivity> = (0..200)
                .map(|i| NewActivity {
                    actor_id: None,
                    student_id: None,
                    action: "ballast",
                    section_id: None,
                    outcome: "ok".into(),
                    detail: None,
                    request_id: format!("ballast-{i}"),
                    session_ref: None,
                    client_ip: None,
                })
                .collect();
            diesel::insert_into(activity_log::table)
                .values(&lines)
                .execute(c)?;
            sections::table
                .find(section)
                .select(sections::id)
                .for_update()
                .first::<i32>(c)?;
            locked_tx.send(()).expect("signal");
            go_rx.recv().expect("go");
            users::table
                .find(student)
                .select(users::id)
                .for_update()
                .first::<i32>(c)?;
            Ok(())
        })
    });
    locked_rx.recv().expect("the rival holds the section");
    let batch = spawn_batch(&app, jobs);
    // The batch takes its students, then waits for the section: a third connection finds the
    // student locked (so when the rival asks for that student, the cycle is real).
    let mut probe = app.conn();
    let mut held = false;
    for _ in 0..100 {
        let tried = probe.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::sql_query(format!(
                "SELECT id FROM users WHERE id = {student} FOR UPDATE NOWAIT"
            ))
            .execute(c)
        });
        if let Err(e) = tried {
            assert!(
                e.to_string().contains("Lock wait"),
                "refused for the lock: {e}"
            );
            held = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        held,
        "the batch holds its student while it waits for the section"
    );
    go_tx.send(()).expect("go");
    let rival = rival_thread.join().expect("rival thread");
    let outcomes = batch.join().expect("batch thread");
    let codes: Vec<String> = outcomes.iter().map(code).collect();
    // The batch held the student, so the rival got it only once the batch was rolled back as
    // the deadlock's victim (and retried), or the rival was the victim itself.
    let deadlocked = match &rival {
        Ok(()) => true,
        Err(e) => e.to_string().contains("Deadlock"),
    };
    assert!(deadlocked, "a deadlock happened: {rival:?}");
    assert_eq!(codes, vec!["ok", "ok", "ok", "section_full"]);
    assert_counters(&app);
    assert_lines(&app, &attempts, &codes);
}

#[actix_web::test]
async fn a_batch_sees_a_drop_that_commits_while_it_waits_for_the_student() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let old = app.reg_course(&fx, "DRP100", 3);
    let new = app.reg_course(&fx, "DRP200", 3);
    let old_section = app.reg_section(SectionBuilder::of(fx.term_id, old).meets(1, 540, 615));
    let new_section = app.reg_section(SectionBuilder::of(fx.term_id, new).meets(1, 540, 615));
    let students = app.reg_students(&fx, "drp", 2);
    let (dropper, other) = (students[0], students[1]);
    let f = frame(&app).await;
    let now = Utc::now();
    let mut conn = app.conn();
    service::enroll_in(&mut conn, &attempt(dropper, 0), &f, old_section, now).expect("enrolled");

    // The drop runs and holds its locks uncommitted while the batch starts.
    let mut dropping = app.conn();
    let (dropped_tx, dropped_rx) = std::sync::mpsc::channel::<()>();
    let (commit_tx, commit_rx) = std::sync::mpsc::channel::<()>();
    let drop_attempt = attempt(dropper, 1);
    let drop_thread = std::thread::spawn(move || {
        dropping.transaction::<_, diesel::result::Error, _>(|c| {
            service::drop_enrollment(c, &drop_attempt, old_section, Utc::now())
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
            dropped_tx.send(()).expect("signal");
            commit_rx.recv().expect("commit");
            Ok(())
        })
    });
    dropped_rx.recv().expect("dropped, not committed");
    let jobs = vec![
        JobData {
            attempt: attempt(other, 2),
            section_id: new_section,
            now,
            assume_full: false,
            frame: f.clone(),
        },
        JobData {
            attempt: attempt(dropper, 3),
            section_id: new_section,
            now,
            assume_full: false,
            frame: f.clone(),
        },
    ];
    let batch = spawn_batch(&app, jobs);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !batch.is_finished(),
        "the batch waits for the student the drop holds"
    );
    commit_tx.send(()).expect("commit");
    drop_thread
        .join()
        .expect("drop thread")
        .expect("drop committed");
    let codes: Vec<String> = batch
        .join()
        .expect("batch thread")
        .iter()
        .map(code)
        .collect();
    // Read after the lock: the clash with the dropped section is gone.
    assert_eq!(codes, vec!["ok", "ok"]);
    assert_counters(&app);
}

#[actix_web::test]
async fn hundreds_of_attempts_through_the_queue_never_overbook() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let sections: Vec<i32> = (0..4)
        .map(|i| {
            let course = app.reg_course(&fx, &format!("HOT{i:03}"), 3);
            app.reg_section(SectionBuilder::of(fx.term_id, course).capacity(25))
        })
        .collect();
    let students = app.reg_students(&fx, "hot", 300);
    let f = frame(&app).await;
    let now = Utc::now();
    // Every student tries every section twice, each attempt on its own, all at once.
    let sections = &sections;
    let calls = students.iter().enumerate().flat_map(|(i, s)| {
        let (decider, f) = (app.state.decider.clone(), f.clone());
        (0..8).map(move |k| {
            let (decider, f) = (decider.clone(), f.clone());
            let section = sections[(i + k) % 4];
            async move {
                decider
                    .decide(job(attempt(*s, k), section, now, false, &f))
                    .await
            }
        })
    });
    let outcomes = futures_util::future::join_all(calls).await;
    let mut by_code: HashMap<String, usize> = HashMap::new();
    for o in &outcomes {
        *by_code.entry(code(o)).or_default() += 1;
    }
    assert_eq!(by_code.get("ok"), Some(&100), "{by_code:?}");
    assert_eq!(outcomes.len(), 2400);
    assert!(
        by_code.keys().all(|c| !c.starts_with("db")),
        "no attempt failed: {by_code:?}"
    );
    assert_counters(&app);
    let lines: i64 = activity_log::table
        .filter(activity_log::action.eq("enroll"))
        .count()
        .get_result(&mut app.conn())
        .expect("lines");
    assert_eq!(lines, 2400, "one line per attempt");
}
