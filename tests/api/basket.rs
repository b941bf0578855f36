//! The basket page and API, "register my basket", basket allocation (function, registrar page and
//! command line) and the notice a waitlist promotion leaves.

use std::collections::HashSet;
use std::process::Command;

use diesel::prelude::*;
use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};

use sugang::db::schema::{
    activity_log, basket_items, enrollments, holds, notices, sections, users,
};
use sugang::registration::allocation::{self, AllocationReport};

use crate::helpers::{RegStudent, RegistrationFixture, SectionBuilder, TestApp};

// ---- set-up and what the database says ----

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

    /// A section of a new course: `code`, 3 credits, meeting once.
    fn section(&self, code: &str, capacity: i32, day: i8, start: i16, end: i16) -> i32 {
        let course = self.course(code, 3);
        self.app.reg_section(
            SectionBuilder::of(self.fx.term_id, course)
                .capacity(capacity)
                .meets(day, start, end),
        )
    }

    fn students(&self, prefix: &str, n: usize) -> Vec<i32> {
        self.app.reg_students(&self.fx, prefix, n)
    }

    fn put_in_basket(&self, student: i32, section: i32) {
        diesel::insert_into(basket_items::table)
            .values((
                basket_items::student_id.eq(student),
                basket_items::section_id.eq(section),
            ))
            .execute(&mut self.app.conn())
            .expect("basket item");
    }

    fn allocate(&self) -> AllocationReport {
        allocation::allocate_baskets(
            &mut self.app.conn(),
            self.fx.term_id,
            None,
            "test-run",
            None,
        )
        .expect("allocation runs")
    }
}

fn sections_of(app: &TestApp, student: i32) -> Vec<i32> {
    enrollments::table
        .filter(enrollments::student_id.eq(student))
        .order(enrollments::section_id)
        .select(enrollments::section_id)
        .load(&mut app.conn())
        .expect("enrollments")
}

fn rows_in(app: &TestApp, section: i32) -> i64 {
    enrollments::table
        .filter(enrollments::section_id.eq(section))
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

fn basket_of(app: &TestApp, student: i32) -> Vec<i32> {
    basket_items::table
        .filter(basket_items::student_id.eq(student))
        .order(basket_items::section_id)
        .select(basket_items::section_id)
        .load(&mut app.conn())
        .expect("basket")
}

/// Every section's counter equals its rows and stays within capacity.
fn assert_counters_match(app: &TestApp) {
    let all: Vec<(i32, i32, i32)> = sections::table
        .select((sections::id, sections::enrolled, sections::capacity))
        .load(&mut app.conn())
        .expect("sections");
    for (id, enrolled, capacity) in all {
        assert_eq!(i64::from(enrolled), rows_in(app, id), "counter of {id}");
        assert!(enrolled <= capacity, "section {id} overbooked");
    }
}

fn allocation_lines(app: &TestApp, student: i32) -> Vec<(Option<i32>, String)> {
    activity_log::table
        .filter(activity_log::student_id.eq(student))
        .filter(activity_log::action.eq("basket_allocation"))
        .order(activity_log::id)
        .select((activity_log::section_id, activity_log::outcome))
        .load(&mut app.conn())
        .expect("activity")
}

async fn json_of(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn post_json(app: &TestApp, s: &RegStudent, path: &str, body: Value) -> Response {
    s.client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("request")
}

/// Posts a form with the CSRF token and returns the redirect target (asserting a 303).
async fn post_form(app: &TestApp, s: &RegStudent, path: &str, fields: &[(&str, &str)]) -> String {
    let res = s.post(app, path, fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
    res.headers()[header::LOCATION]
        .to_str()
        .expect("ascii")
        .to_string()
}

async fn page(app: &TestApp, s: &RegStudent, path: &str) -> (StatusCode, String) {
    let res = s.client.get(app.url(path)).send().await.expect("request");
    (res.status(), res.text().await.unwrap_or_default())
}

// ---- the basket page and its API ----

#[tokio::test]
async fn basket_page_and_api_show_items_credits_demand_and_conflicts() {
    let s = setup().await;
    let app = &s.app;
    // Mon 09:00-10:15 and Mon 09:30-10:45 overlap; Tue 09:30 overlaps the enrolled Tue 09:00.
    let a = s.section("CSE2010", 30, 1, 540, 615);
    let b = s.section("CSE2020", 30, 1, 570, 645);
    let d = s.section("CSE2030", 30, 2, 570, 630);
    let e = s.section("CSE2040", 30, 2, 540, 615);
    let ids = s.students("bk", 2);
    let me = app.student(ids[0]).await;
    let other = app.student(ids[1]).await;
    assert_eq!(
        app.post_enrollment(&me, e).await.status(),
        StatusCode::CREATED
    );

    for section in [a, b, d] {
        let (status, body) =
            json_of(post_json(app, &me, "/api/v1/basket", json!({ "section_id": section })).await)
                .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, _) =
        json_of(post_json(app, &other, "/api/v1/basket", json!({ "section_id": a })).await).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, basket) = json_of(app.get(&me.client, "/api/v1/basket").await).await;
    assert_eq!(status, StatusCode::OK);
    let items = basket["items"].as_array().expect("items");
    let listed: Vec<i64> = items
        .iter()
        .map(|i| i["section"]["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(
        listed,
        [a, b, d].map(i64::from),
        "in the order they were added"
    );
    assert_eq!(basket["basket_credits"], 9);
    assert_eq!(basket["enrolled_credits"], 3);
    assert_eq!(basket["planned_credits"], 12);
    assert_eq!(basket["credit_limit"], 18);
    assert_eq!(basket["items_left"], 12);
    assert_eq!(basket["credits_left"], 21);
    assert_eq!(items[0]["basket_count"], 2, "demand counts every holder");
    assert_eq!(items[1]["basket_count"], 1);
    assert_eq!(items[0]["seats_left"], 30);
    assert_eq!(items[0]["instructor"], "김교수");
    assert_eq!(items[0]["meetings"][0]["starts_at_min"], 540);
    let clash = |i: usize| -> Vec<(i64, bool)> {
        items[i]["clashes"]
            .as_array()
            .expect("clashes")
            .iter()
            .map(|c| (c["section_id"].as_i64().expect("id"), c["enrolled"] == true))
            .collect()
    };
    assert_eq!(clash(0), [(i64::from(b), false)]);
    assert_eq!(clash(1), [(i64::from(a), false)]);
    assert_eq!(
        clash(2),
        [(i64::from(e), true)],
        "a clash with an enrollment"
    );
    assert_eq!(basket["conflicts"].as_array().expect("conflicts").len(), 2);

    let (status, html) = page(app, &me, "/basket").await;
    assert_eq!(status, StatusCode::OK);
    for label in ["CSE2010-01", "CSE2020-01", "CSE2030-01"] {
        assert!(html.contains(label), "{label} listed");
    }
    assert!(html.contains("id=\"conflicts\""), "overlaps called out");
    assert!(html.contains("CSE2010-01 ↔ CSE2020-01"));
    assert!(
        html.contains("9 / 30학점"),
        "basket credits against the basket limit"
    );
    assert!(html.contains("신청 3학점 → 12학점 / 신청 가능 18학점"));
    assert!(html.contains("id=\"basket-timetable\""));
    assert!(
        html.contains(" conflict preview\""),
        "basket blocks in the preview"
    );
    assert!(html.contains("action=\"/basket/register\""));
    assert_eq!(
        html.matches("formaction=\"/basket/remove\"").count(),
        3,
        "one remove button per item"
    );
    // The rows share one form: no hidden fields repeated per row.
    assert_eq!(
        html.matches("name=\"csrf_token\"").count(),
        3,
        "sign-out, register my basket, and the rows' one form"
    );
    let rows = html
        .split("<table id=\"basket-items\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the basket table");
    assert!(
        rows.trim_end().lines().all(|l| !l.trim().is_empty()),
        "no blank lines left by the row loops: {rows}"
    );
    assert_eq!(
        html.matches("data-refusal=\"time_conflict\"").count(),
        1,
        "the item that clashes with an enrollment shows the refusal before the click"
    );
    assert_eq!(
        html.matches("data-action=\"register\"").count(),
        2,
        "a register button on every item the rules allow"
    );
    let demand = html
        .split("<td class=\"basket-count\"")
        .nth(1)
        .and_then(|rest| rest.split("</td>").next())
        .unwrap_or_default();
    assert!(
        demand.ends_with(">2"),
        "the demand of the first item: {demand}"
    );
}

#[tokio::test]
async fn basket_api_refuses_with_codes_and_changes_nothing() {
    let s = setup().await;
    let app = &s.app;
    let a = s.section("CSE3010", 30, 3, 540, 615);
    let ids = s.students("bq", 1);
    let me = app.student(ids[0]).await;

    let (status, body) = json_of(post_json(app, &me, "/api/v1/basket", json!({})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "section_id");
    let (status, _) =
        json_of(post_json(app, &me, "/api/v1/basket", json!({ "section_id": "x" })).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) =
        json_of(post_json(app, &me, "/api/v1/basket", json!({ "section_id": 999_999 })).await)
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let res = me
        .client
        .post(app.url("/api/v1/basket"))
        .header("x-csrf-token", "forged")
        .json(&json!({ "section_id": a }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(basket_of(app, me.id).is_empty());

    let (status, _) =
        json_of(post_json(app, &me, "/api/v1/basket", json!({ "section_id": a })).await).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) =
        json_of(post_json(app, &me, "/api/v1/basket", json!({ "section_id": a })).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "already_in_basket");
    assert_eq!(basket_of(app, me.id), [a]);

    let delete = |id: i32| {
        me.client
            .delete(app.url(&format!("/api/v1/basket/{id}")))
            .send()
    };
    let (status, _) = json_of(delete(a).await.expect("request")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(basket_of(app, me.id).is_empty());
    let (status, body) = json_of(delete(a).await.expect("request")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "not_in_basket");
}

// ---- register my basket ----

#[tokio::test]
async fn registering_my_basket_gives_one_result_per_item_and_leaves_refusals_untouched() {
    let s = setup().await;
    let app = &s.app;
    let a = s.section("CSE2110", 30, 1, 540, 615);
    let clashing = s.section("CSE2120", 30, 1, 570, 645);
    let full = s.section("CSE2130", 1, 3, 540, 615);
    let d = s.section("CSE2140", 30, 4, 540, 615);
    let ids = s.students("br", 2);
    let me = app.student(ids[0]).await;
    let other = app.student(ids[1]).await;
    assert_eq!(
        app.post_enrollment(&other, full).await.status(),
        StatusCode::CREATED
    );
    for section in [a, clashing, full, d] {
        s.put_in_basket(me.id, section);
    }

    let (status, body) =
        json_of(post_json(app, &me, "/api/v1/basket/register", json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().expect("results");
    let summary: Vec<(i64, bool, &str)> = results
        .iter()
        .map(|r| {
            (
                r["section_id"].as_i64().expect("id"),
                r["ok"] == true,
                r["error"]["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (i64::from(a), true, ""),
            (i64::from(clashing), false, "time_conflict"),
            (i64::from(full), false, "section_full"),
            (i64::from(d), true, ""),
        ]
    );
    assert_eq!(body["enrolled"], 2);
    assert_eq!(body["refused"], 2);
    assert_eq!(results[0]["receipt"]["section"]["id"], a);
    assert!(results[1]["error"]["message"]
        .as_str()
        .expect("message")
        .contains("CSE2110-01"));
    assert_eq!(sections_of(app, me.id), [a, d]);
    assert_eq!(
        basket_of(app, me.id),
        [clashing, full],
        "registered sections leave the basket, refused ones stay"
    );
    assert_counters_match(app);
    let attempts: Vec<String> = activity_log::table
        .filter(activity_log::student_id.eq(me.id))
        .filter(activity_log::action.eq("enroll"))
        .order(activity_log::id)
        .select(activity_log::outcome)
        .load(&mut app.conn())
        .expect("activity");
    assert_eq!(attempts, ["ok", "time_conflict", "section_full", "ok"]);

    // The form: one line per item on the basket page after the redirect.
    let location = post_form(app, &me, "/basket/register", &[]).await;
    assert_eq!(location, "/basket");
    let html = me.page_with_flash(app, &location).await;
    assert!(html.contains("id=\"basket-results\""));
    assert_eq!(html.matches("data-ok=\"false\"").count(), 2, "{html}");
    assert!(html.contains("장바구니 신청: 0건 성공, 2건 실패."));
    assert!(
        html.contains("CSE2120-01 CSE2120 과목: "),
        "one line per item, named"
    );
    assert_eq!(
        sections_of(app, me.id),
        [a, d],
        "nothing changed the second time"
    );
}

#[tokio::test]
async fn registering_my_basket_spends_one_action_per_item_from_the_rate_limit() {
    let app = TestApp::spawn_with(|s| {
        s.action_limits.per_student = 3;
        s.action_limits.per_address = 1_000_000;
    })
    .await;
    let fx = app.registration_fixture();
    let s = Setup { app, fx };
    let sections: Vec<i32> = (0..5)
        .map(|i| s.section(&format!("CSE5{i}10"), 30, 1 + i as i8, 540, 615))
        .collect();
    let ids = s.students("rl", 1);
    let me = s.app.student(ids[0]).await;
    for section in &sections {
        s.put_in_basket(me.id, *section);
    }
    let (status, body) =
        json_of(post_json(&s.app, &me, "/api/v1/basket/register", json!({})).await).await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["error"]["code"].as_str().unwrap_or("ok"))
        .collect();
    assert_eq!(codes, ["ok", "ok", "ok", "rate_limited", "rate_limited"]);
    assert_eq!(sections_of(&s.app, me.id), sections[..3]);
    let res = post_json(&s.app, &me, "/api/v1/basket/register", json!({})).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the gate counts it too"
    );
}

// ---- allocation ----

#[tokio::test]
async fn allocation_enrolls_eligible_holders_of_fitting_sections_and_skips_oversubscribed_ones() {
    let s = setup().await;
    let app = &s.app;
    let fits = s.section("CSE4010", 5, 1, 540, 615);
    let crowded = s.section("CSE4020", 2, 2, 540, 615);
    let early = s.section("CSE4030", 10, 3, 540, 615);
    let overlapping = s.section("CSE4040", 10, 3, 570, 645);
    let second = s.section("CSE4050", 10, 4, 540, 615);
    let ids = s.students("al", 9);
    let (holders, held, clash, capped) = (&ids[0..4], ids[4], ids[5], ids[6]);
    for student in holders {
        s.put_in_basket(*student, fits);
    }
    s.put_in_basket(held, fits);
    diesel::insert_into(holds::table)
        .values((
            holds::student_id.eq(held),
            holds::reason.eq("등록금 미납"),
            holds::created_by.eq(held),
        ))
        .execute(&mut app.conn())
        .expect("hold");
    for student in [ids[7], ids[8], ids[0]] {
        s.put_in_basket(student, crowded);
    }
    s.put_in_basket(clash, early);
    s.put_in_basket(clash, overlapping);
    diesel::update(users::table.find(capped))
        .set(users::max_credits.eq(Some(3i8)))
        .execute(&mut app.conn())
        .expect("limit");
    s.put_in_basket(capped, early);
    s.put_in_basket(capped, second);

    let report = s.allocate();

    for student in holders {
        assert_eq!(sections_of(app, *student), [fits], "holder {student}");
    }
    assert!(sections_of(app, held).is_empty(), "a hold keeps them out");
    assert!(
        basket_of(app, ids[1]).is_empty(),
        "the seat replaces the basket item"
    );
    assert_eq!(
        basket_of(app, held),
        [fits],
        "a refused holder keeps theirs"
    );
    assert_eq!(
        rows_in(app, crowded),
        0,
        "oversubscribed: left to first come"
    );
    assert_eq!(
        sections_of(app, clash),
        [early],
        "the lower id wins, the overlap is refused"
    );
    assert_eq!(
        sections_of(app, capped),
        [early],
        "the credit limit stops the second"
    );
    assert_counters_match(app);
    let sources: Vec<String> = enrollments::table
        .select(enrollments::source)
        .load(&mut app.conn())
        .expect("sources");
    assert!(
        sources.iter().all(|s| s == "basket_allocation"),
        "{sources:?}"
    );

    assert_eq!(
        allocation_lines(app, held),
        [(Some(fits), "hold".to_string())]
    );
    assert_eq!(
        allocation_lines(app, clash),
        [
            (Some(early), "ok".to_string()),
            (Some(overlapping), "time_conflict".to_string())
        ]
    );
    assert_eq!(
        allocation_lines(app, capped),
        [
            (Some(early), "ok".to_string()),
            (Some(second), "credit_limit".to_string())
        ]
    );
    assert!(
        allocation_lines(app, ids[7]).is_empty(),
        "skipped sections are not attempted"
    );
    let told: Vec<(String, String)> = notices::table
        .filter(notices::user_id.eq(clash))
        .select((notices::kind, notices::message_ko))
        .load(&mut app.conn())
        .expect("notices");
    assert_eq!(told.len(), 1, "one notice per seat given: {told:?}");
    assert!(told[0].1.contains("CSE4030-01"), "{told:?}");
    let held_notices: i64 = notices::table
        .filter(notices::user_id.eq(held))
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(held_notices, 0, "a refusal leaves no notice");

    assert_eq!(report.sections_allocated, 4);
    assert_eq!(report.sections_oversubscribed, 1);
    assert_eq!(report.sections_with_refusals, 3);
    assert_eq!(report.enrollments, 6);
    assert_eq!(report.students_enrolled, 6);
    let refusals: Vec<(&str, usize)> = report
        .refusals
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        refusals,
        [("credit_limit", 1), ("hold", 1), ("time_conflict", 1)]
    );
    let crowded_line = report
        .sections
        .iter()
        .find(|r| r.section_id == crowded)
        .expect("reported");
    assert_eq!(
        crowded_line.outcome,
        allocation::SectionOutcome::Oversubscribed
    );
    assert_eq!(crowded_line.demand, 3);
    let text = report.to_string();
    assert!(
        text.contains("CSE4020-01") && text.contains("oversubscribed"),
        "{text}"
    );

    // A re-run enrolls nobody again: the enrolled are no longer demand, and a student who
    // dropped an allocated section is not put back into it.
    let dropper = app.student(ids[1]).await;
    assert_eq!(
        app.delete_enrollment(&dropper, fits).await.status(),
        StatusCode::OK
    );
    let before: i64 = enrollments::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    let again = s.allocate();
    assert_eq!(again.enrollments, 0);
    assert_eq!(again.students_enrolled, 0);
    let after: i64 = enrollments::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(before, after);
    assert!(sections_of(app, ids[1]).is_empty(), "the drop stands");
    assert_eq!(
        again.refusals.get("hold"),
        Some(&1),
        "refused holders are tried again"
    );
    assert_counters_match(app);
}

#[tokio::test]
async fn two_concurrent_allocations_never_enroll_anyone_twice() {
    let s = setup().await;
    let sections: Vec<i32> = (0..4)
        .map(|i| s.section(&format!("CSE6{i}10"), 25, 1 + i as i8, 540, 615))
        .collect();
    let ids = s.students("cc", 25);
    for student in &ids {
        for section in &sections {
            s.put_in_basket(*student, *section);
        }
    }
    let url = s.app.db.url.clone();
    let term = s.fx.term_id;
    let runs: Vec<_> = (0..2)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = MysqlConnection::establish(&url).expect("connection");
                allocation::allocate_baskets(&mut conn, term, None, &format!("run-{i}"), None)
                    .expect("allocation runs")
            })
        })
        .collect();
    let reports: Vec<AllocationReport> = runs
        .into_iter()
        .map(|r| r.join().expect("thread"))
        .collect();
    assert_eq!(
        reports.iter().map(|r| r.enrollments).sum::<usize>(),
        100,
        "every seat given exactly once across both runs"
    );
    for section in &sections {
        assert_eq!(rows_in(&s.app, *section), 25);
    }
    for student in &ids {
        assert_eq!(sections_of(&s.app, *student), sections);
    }
    assert_counters_match(&s.app);
}

#[tokio::test]
async fn the_command_line_allocates_a_term_by_name_and_fails_for_an_unknown_one() {
    let s = setup().await;
    let section = s.section("CSE7010", 5, 1, 540, 615);
    let ids = s.students("cl", 3);
    for student in &ids {
        s.put_in_basket(*student, section);
    }
    let run = |term: &str| {
        Command::new(env!("CARGO_BIN_EXE_sugang"))
            .args(["allocate-baskets", "--term", term])
            .env("DATABASE_URL", &s.app.db.url)
            .env("REDIS_URL", crate::helpers::redis_url())
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let out = run("2027-spring");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("CSE7010-01"), "{stdout}");
    assert!(stdout.contains("students enrolled: 3"), "{stdout}");
    assert_eq!(rows_in(&s.app, section), 3);
    let by_id = run(&s.fx.term_id.to_string());
    assert!(by_id.status.success());
    assert!(String::from_utf8_lossy(&by_id.stdout).contains("students enrolled: 0"));

    let unknown = run("1999-fall");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no such term"));
}

#[tokio::test]
async fn the_registrar_page_previews_and_runs_the_allocation_and_students_get_403() {
    let s = setup().await;
    let app = &s.app;
    let fits = s.section("CSE8010", 5, 1, 540, 615);
    let crowded = s.section("CSE8020", 1, 2, 540, 615);
    let ids = s.students("rg", 2);
    for student in &ids {
        s.put_in_basket(*student, fits);
        s.put_in_basket(*student, crowded);
    }
    let student = app.student(ids[0]).await;
    assert_eq!(
        page(app, &student, "/admin/allocation").await.0,
        StatusCode::FORBIDDEN
    );
    let res = student
        .client
        .post(app.url("/admin/allocation"))
        .form(&[("csrf_token", student.csrf.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(rows_in(app, fits), 0, "a student cannot run it");

    let staff = app.registrar("staff01").await;
    let (status, html) = page(app, &staff, "/admin/allocation").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("class=\"admin-nav\""));
    assert!(
        html.contains(&format!(
            "<tr data-section=\"{fits}\" class=\"fits\"><td><a href=\"/courses/{fits}\">"
        )),
        "a row is one line, no indentation repeated per cell"
    );
    assert!(html.contains(&format!(
        "<tr data-section=\"{crowded}\" class=\"oversubscribed\">"
    )));

    let res = staff
        .client
        .post(app.url("/admin/allocation"))
        .header("x-csrf-token", "wrong")
        .form(&[("csrf_token", "wrong")])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "CSRF checked");
    assert_eq!(rows_in(app, fits), 0);

    let location = post_form(app, &staff, "/admin/allocation", &[]).await;
    assert_eq!(location, "/admin/allocation");
    let html = staff.page_with_flash(app, &location).await;
    assert!(html.contains("id=\"allocation-report\""), "{html}");
    assert!(html.contains("학생 2명"), "{html}");
    assert!(html.contains("CSE8020-01: 수요 2명"), "{html}");
    assert_eq!(rows_in(app, fits), 2);
    assert_eq!(rows_in(app, crowded), 0);
    let actors: HashSet<Option<i32>> = activity_log::table
        .filter(activity_log::action.eq("basket_allocation"))
        .select(activity_log::actor_id)
        .load(&mut app.conn())
        .expect("log")
        .into_iter()
        .collect();
    assert_eq!(actors, HashSet::from([Some(staff.id)]));
}

// ---- notices ----

#[tokio::test]
async fn a_promoted_waitlisted_student_finds_a_notice_on_the_home_page() {
    let s = setup().await;
    let app = &s.app;
    let course = s.course("CSE9010", 3);
    let section = app.reg_section(
        SectionBuilder::of(s.fx.term_id, course)
            .capacity(1)
            .waitlist(5)
            .meets(5, 540, 615),
    );
    let ids = s.students("nt", 3);
    let seated = app.student(ids[0]).await;
    let waiting = app.student(ids[1]).await;
    let stranger = app.student(ids[2]).await;
    assert_eq!(
        app.post_enrollment(&seated, section).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post_waitlist(&waiting, section).await.status(),
        StatusCode::CREATED
    );
    let (_, home) = page(app, &waiting, "/").await;
    assert!(
        !home.contains("id=\"notices\""),
        "no notice before the seat frees"
    );

    assert_eq!(
        app.delete_enrollment(&seated, section).await.status(),
        StatusCode::OK
    );
    assert_eq!(sections_of(app, waiting.id), [section]);

    let (_, home) = page(app, &waiting, "/").await;
    assert!(home.contains("id=\"notices\""));
    assert!(
        home.contains("CSE9010-01 CSE9010 과목에 자리가 나서 수강신청되었습니다"),
        "{home}"
    );
    let (_, me) = json_of(app.get_me(&waiting.client).await).await;
    let notice = &me["notices"][0];
    assert_eq!(notice["kind"], "waitlist_promoted");
    assert_eq!(notice["read"], false);
    let id = notice["id"].as_i64().expect("id");
    assert!(home.contains(&format!("action=\"/notices/{id}/read\"")));

    // Only its owner can mark it read; a double click is harmless.
    let res = stranger
        .client
        .post(app.url(&format!("/notices/{id}/read")))
        .form(&[("csrf_token", stranger.csrf.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, me) = json_of(app.get_me(&waiting.client).await).await;
    assert_eq!(me["notices"][0]["read"], false);
    for _ in 0..2 {
        let location = post_form(app, &waiting, &format!("/notices/{id}/read"), &[]).await;
        assert_eq!(location, "/");
    }
    let (_, listed) = json_of(app.get(&waiting.client, "/api/v1/notices").await).await;
    assert_eq!(listed["unread"], 0);
    assert_eq!(listed["notices"][0]["read"], true);
    let (_, home) = page(app, &waiting, "/").await;
    assert!(!home.contains("data-action=\"mark-read\""));
}

#[tokio::test]
async fn registering_my_basket_waits_in_the_waiting_room_but_the_basket_does_not() {
    let s = setup().await;
    let app = &s.app;
    let a = s.section("CSE9510", 30, 1, 540, 615);
    let ids = s.students("wr", 1);
    let me = app.student(ids[0]).await;
    app.state
        .waiting_room
        .set_config(sugang::config::RoomConfig {
            enabled: true,
            rate: 0,
            concurrency: 10,
            pass_ttl_secs: 60,
            opens_at_ms: 0,
        })
        .await
        .expect("config");

    let (status, _) =
        json_of(post_json(app, &me, "/api/v1/basket", json!({ "section_id": a })).await).await;
    assert_eq!(status, StatusCode::CREATED, "planning is never queued");
    let (status, body) =
        json_of(post_json(app, &me, "/api/v1/basket/register", json!({})).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "queue_required");
    let res = me
        .client
        .post(app.url("/basket/register"))
        .form(&[("csrf_token", me.csrf.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()[header::LOCATION]
            .to_str()
            .expect("ascii")
            .starts_with("/queue"),
        "the form is sent to the waiting room"
    );
    assert!(sections_of(app, me.id).is_empty());
    assert_eq!(basket_of(app, me.id), [a]);
}

// ---- the lottery policy ----

#[test]
fn the_drawn_order_is_fixed_by_the_seed_and_the_section() {
    let holders = [18, 11, 14, 12, 17, 13, 16, 15];
    let order = allocation::drawn_holders(42, 7, &holders);
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        vec![11, 12, 13, 14, 15, 16, 17, 18],
        "a permutation"
    );
    // The documented draw: anyone with the seed and the holders gets this order.
    assert_eq!(order, PINNED_ORDER.to_vec());
    assert_eq!(
        order,
        allocation::drawn_holders(42, 7, &sorted),
        "input order does not matter"
    );
    assert_ne!(order, allocation::drawn_holders(43, 7, &holders));
    assert_ne!(order, allocation::drawn_holders(42, 8, &holders));
}

#[actix_web::test]
async fn a_lottery_seats_the_drawn_winners_of_an_oversubscribed_section_and_records_the_draw() {
    let s = setup().await;
    allocation::set_policy(&mut s.app.conn(), s.fx.term_id, allocation::LOTTERY).expect("policy");
    let section = s.section("LOT100", 3, 1, 540, 615);
    let students = s.students("lot", 8);
    for st in &students {
        s.put_in_basket(*st, section);
    }
    // The first in the drawn order has a hold: refused, and the draw moves on.
    let order = allocation::drawn_holders(42, section, &students);
    diesel::insert_into(holds::table)
        .values((
            holds::student_id.eq(order[0]),
            holds::reason.eq("등록금 미납"),
            holds::created_by.eq(order[0]),
        ))
        .execute(&mut s.app.conn())
        .expect("hold");
    let report = allocation::allocate_baskets(
        &mut s.app.conn(),
        s.fx.term_id,
        None,
        "lottery-run",
        Some(42),
    )
    .expect("allocation runs");
    assert_eq!(report.seed, Some(42));
    assert_eq!(report.sections_drawn, 1);
    let sr = &report.sections[0];
    assert_eq!(sr.outcome, allocation::SectionOutcome::Drawn);
    assert_eq!(sr.drawn_order.as_deref(), Some(order.as_slice()));
    assert_eq!((sr.enrolled, sr.refused), (3, 1));
    // The winners: the next three in the drawn order.
    let mut winners = order[1..4].to_vec();
    winners.sort_unstable();
    let mut seated: Vec<i32> = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .select(enrollments::student_id)
        .load(&mut s.app.conn())
        .expect("seats");
    seated.sort_unstable();
    assert_eq!(seated, winners);
    assert_eq!(rows_in(&s.app, section), 3);
    // The others keep the section in their basket (and may join its waitlist).
    let kept: i64 = basket_items::table
        .filter(basket_items::section_id.eq(section))
        .count()
        .get_result(&mut s.app.conn())
        .expect("basket");
    assert_eq!(kept, 5);
    // The seed and the order are in the activity log for anyone to redo the draw.
    let draw: Vec<String> = activity_log::table
        .filter(activity_log::action.eq("allocation_draw"))
        .filter(activity_log::section_id.eq(section))
        .select(activity_log::detail.assume_not_null())
        .load(&mut s.app.conn())
        .expect("draw line");
    let ids: Vec<String> = order.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        draw,
        vec![format!("seed=42 part=1/1 order={}", ids.join(","))]
    );
    // A second run draws nobody twice.
    let again = allocation::allocate_baskets(
        &mut s.app.conn(),
        s.fx.term_id,
        None,
        "lottery-run-2",
        Some(42),
    )
    .expect("second run");
    assert_eq!(again.enrollments, 0);
    assert_eq!(rows_in(&s.app, section), 3);
}

#[actix_web::test]
async fn in_a_lottery_a_student_wins_at_most_one_section_of_a_course() {
    let s = setup().await;
    allocation::set_policy(&mut s.app.conn(), s.fx.term_id, allocation::LOTTERY).expect("policy");
    let course = s.course("LOT200", 3);
    let a = s.app.reg_section(
        SectionBuilder::of(s.fx.term_id, course)
            .no(1)
            .capacity(2)
            .meets(2, 540, 615),
    );
    let b = s.app.reg_section(
        SectionBuilder::of(s.fx.term_id, course)
            .no(2)
            .capacity(2)
            .meets(4, 540, 615),
    );
    let students = s.students("lotb", 6);
    for st in &students {
        s.put_in_basket(*st, a);
        s.put_in_basket(*st, b);
    }
    let report = allocation::allocate_baskets(
        &mut s.app.conn(),
        s.fx.term_id,
        None,
        "lottery-two",
        Some(7),
    )
    .expect("allocation runs");
    assert_eq!(report.sections_drawn, 2);
    assert_eq!(report.enrollments, 4, "{report}");
    for st in &students {
        assert!(
            sections_of(&s.app, *st).len() <= 1,
            "one section of the course at most"
        );
    }
    assert_eq!(rows_in(&s.app, a), 2);
    assert_eq!(rows_in(&s.app, b), 2);
    let counters: Vec<(i32, i32)> = sections::table
        .filter(sections::id.eq_any([a, b]))
        .select((sections::capacity, sections::enrolled))
        .load(&mut s.app.conn())
        .expect("counters");
    assert!(counters.iter().all(|(c, e)| e <= c && *e == 2));
}

/// The order `drawn_holders(42, 7, 11..=18)` gives (docs/REGISTRATION.md shows how to redo it).
const PINNED_ORDER: [i32; 8] = [12, 14, 18, 15, 11, 17, 13, 16];
