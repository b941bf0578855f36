//! The registrar console's student pages: holds, credit limits, overrides on a student's behalf,
//! and the audit view that shows them.

use diesel::prelude::*;
use reqwest::StatusCode;

use sugang::db::schema::{
    activity_log, enrollments, holds, notices, sections, users, waitlist_entries,
};

use crate::helpers::console::{location, refused, summarized};
use crate::helpers::{error_code, SectionBuilder, TestApp};

fn counter_and_rows(app: &TestApp, section: i32) -> (i32, i64) {
    let mut conn = app.conn();
    let counter = sections::table
        .find(section)
        .select(sections::enrolled)
        .first(&mut conn)
        .expect("counter");
    let rows = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .count()
        .get_result(&mut conn)
        .expect("rows");
    (counter, rows)
}

#[tokio::test]
async fn students_are_found_by_number_or_name() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let ids = app.reg_students(&fx, "2031", 3);
    let r = app.registrar("staff01").await;
    let by_number = r
        .get(&app, "/admin/students?q=203100001")
        .await
        .text()
        .await
        .expect("html");
    assert!(by_number.contains(&format!("data-student=\"{}\"", ids[1])));
    assert!(!by_number.contains(&format!("data-student=\"{}\"", ids[0])));
    let by_name = r
        .get(&app, "/admin/students?q=%ED%95%99%EC%83%9D%202031")
        .await
        .text()
        .await
        .expect("html");
    for id in &ids {
        assert!(by_name.contains(&format!("data-student=\"{id}\"")));
    }
    let page = r.get(&app, &format!("/admin/students/{}", ids[0])).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        r.get(&app, &format!("/admin/students/{}", r.id))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "staff are not students"
    );
}

#[tokio::test]
async fn a_hold_blocks_registration_until_it_is_released() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE5010", 3);
    let section = app.reg_section(SectionBuilder::of(fx.term_id, course).meets(1, 540, 615));
    let student = app.student(app.reg_students(&fx, "2032", 1)[0]).await;
    let r = app.registrar("staff01").await;
    let path = format!("/admin/students/{}/holds", student.id);
    refused(
        r.post(&app, &path, &[("hold_reason", "  ")]).await,
        "hold_reason",
    )
    .await;
    let count = |app: &TestApp| -> i64 {
        holds::table
            .count()
            .get_result(&mut app.conn())
            .expect("count")
    };
    assert_eq!(count(&app), 0);
    location(&r.post(&app, &path, &[("hold_reason", "등록금 미납")]).await);
    assert_eq!(count(&app), 1);

    let res = app.post_enrollment(&student, section).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(res).await, "hold");

    let hold: i32 = holds::table
        .select(holds::id)
        .first(&mut app.conn())
        .expect("hold");
    // Releasing asks for a reason: none, blank or too long is refused beside the field of
    // that hold, and the hold stays.
    let release = format!("/admin/students/{}/holds/{hold}/release", student.id);
    let long = "가".repeat(201);
    for bad in ["", "   ", long.as_str()] {
        let html = refused(
            r.post(&app, &release, &[("release_reason", bad)]).await,
            "release_reason",
        )
        .await;
        assert!(html.contains(&format!("id=\"release_reason-{hold}-error\"")));
    }
    let still: Option<chrono::NaiveDateTime> = holds::table
        .find(hold)
        .select(holds::released_at)
        .first(&mut app.conn())
        .expect("hold");
    assert!(still.is_none(), "a refused release changes nothing");
    assert_eq!(
        error_code(app.post_enrollment(&student, section).await).await,
        "hold"
    );
    location(
        &r.post(
            &app,
            &release,
            &[("release_reason", "  등록금 납부 확인 (영수증)  ")],
        )
        .await,
    );
    let detail: Option<String> = activity_log::table
        .filter(activity_log::action.eq("hold_release"))
        .filter(activity_log::student_id.eq(student.id))
        .select(activity_log::detail)
        .first(&mut app.conn())
        .expect("the release is on file");
    assert_eq!(detail.as_deref(), Some("등록금 납부 확인 (영수증)"));
    let page = r
        .get(&app, &format!("/admin/students/{}", student.id))
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("<td>제한 해제</td>")
            && page.contains("data-outcome=\"ok\">성공</td><td>등록금 납부 확인 (영수증)</td>"),
        "the student's page shows the release and its reason in words"
    );
    let released: (Option<chrono::NaiveDateTime>, Option<i32>) = holds::table
        .find(hold)
        .select((holds::released_at, holds::released_by))
        .first(&mut app.conn())
        .expect("hold");
    assert!(released.0.is_some());
    assert_eq!(released.1, Some(r.id));
    assert_eq!(
        app.post_enrollment(&student, section).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_credit_limit_is_validated_and_applies_to_the_next_request() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let a = app.reg_course(&fx, "CSE5020", 3);
    let b = app.reg_course(&fx, "CSE5030", 3);
    let sa = app.reg_section(SectionBuilder::of(fx.term_id, a).meets(1, 540, 615));
    let sb = app.reg_section(SectionBuilder::of(fx.term_id, b).meets(2, 540, 615));
    let student = app.student(app.reg_students(&fx, "2033", 1)[0]).await;
    let r = app.registrar("staff01").await;
    let path = format!("/admin/students/{}/credit-limit", student.id);
    refused(
        r.post(&app, &path, &[("max_credits", "31")]).await,
        "max_credits",
    )
    .await;
    refused(
        r.post(&app, &path, &[("max_credits", "-3")]).await,
        "max_credits",
    )
    .await;
    refused(
        r.post(&app, &path, &[("max_credits", "many")]).await,
        "max_credits",
    )
    .await;
    let limit = |app: &TestApp| -> Option<i8> {
        users::table
            .find(student.id)
            .select(users::max_credits)
            .first(&mut app.conn())
            .expect("user")
    };
    assert_eq!(limit(&app), None);
    location(&r.post(&app, &path, &[("max_credits", "3")]).await);
    assert_eq!(limit(&app), Some(3));
    assert_eq!(
        app.post_enrollment(&student, sa).await.status(),
        StatusCode::CREATED
    );
    let res = app.post_enrollment(&student, sb).await;
    assert_eq!(error_code(res).await, "credit_limit");
    location(&r.post(&app, &path, &[("max_credits", "")]).await);
    assert_eq!(limit(&app), None, "cleared: the term's default applies");
    assert_eq!(
        app.post_enrollment(&student, sb).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn an_override_beyond_capacity_is_recorded_and_shown_in_the_audit_view() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE5040", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(1)
            .meets(4, 600, 675),
    );
    let ids = app.reg_students(&fx, "2034", 2);
    let first = app.student(ids[0]).await;
    assert_eq!(
        app.post_enrollment(&first, section).await.status(),
        StatusCode::CREATED
    );
    let r = app.registrar("staff07").await;
    let path = format!("/admin/students/{}/enroll", ids[1]);

    refused(
        r.post(
            &app,
            &path,
            &[("override_section", "CSE5040-01"), ("override_reason", "")],
        )
        .await,
        "override_reason",
    )
    .await;
    refused(
        r.post(
            &app,
            &path,
            &[
                ("override_section", "ZZZ9999-01"),
                ("override_reason", "졸업 예정"),
            ],
        )
        .await,
        "override_section",
    )
    .await;
    refused(
        r.post(
            &app,
            &path,
            &[
                ("override_section", "CSE5040-01"),
                ("override_reason", "졸업 예정"),
                ("waive", "everything"),
            ],
        )
        .await,
        "waive",
    )
    .await;
    // Without "beyond capacity" a full section stays full, and the refusal is on file.
    let html = refused(
        r.post(
            &app,
            &path,
            &[
                ("override_section", "CSE5040-01"),
                ("override_reason", "졸업 예정"),
            ],
        )
        .await,
        "override_section",
    )
    .await;
    assert!(html.contains("정원"), "the rule's reason is shown");
    assert!(
        html.contains("‘정원 초과 허용’을 고르세요"),
        "the refusal names the choice that lifts it"
    );
    assert_eq!(counter_and_rows(&app, section), (1, 1));

    location(
        &r.post(
            &app,
            &path,
            &[
                ("override_section", "CSE5040-01"),
                ("beyond_capacity", "1"),
                ("override_reason", "졸업 예정자 필수 과목"),
            ],
        )
        .await,
    );
    assert_eq!(
        counter_and_rows(&app, section),
        (2, 2),
        "past capacity, counter equals rows"
    );
    let source: String = enrollments::table
        .filter(enrollments::student_id.eq(ids[1]))
        .select(enrollments::source)
        .first(&mut app.conn())
        .expect("row");
    assert_eq!(source, "registrar");
    let lines: Vec<(Option<i32>, String, Option<String>)> = activity_log::table
        .filter(activity_log::student_id.eq(ids[1]))
        .filter(activity_log::action.eq("override_enroll"))
        .order(activity_log::id)
        .select((
            activity_log::actor_id,
            activity_log::outcome,
            activity_log::detail,
        ))
        .load(&mut app.conn())
        .expect("lines");
    assert_eq!(lines.len(), 2, "the refused attempt and the override");
    assert_eq!(lines[0].1, "section_full");
    assert_eq!(lines[1].0, Some(r.id), "the registrar is the actor");
    assert_eq!(lines[1].1, "ok_beyond_capacity");
    assert!(lines[1]
        .2
        .as_deref()
        .unwrap_or("")
        .contains("졸업 예정자 필수 과목"));
    let told: i64 = notices::table
        .filter(notices::user_id.eq(ids[1]))
        .filter(notices::kind.eq("registrar_change"))
        .count()
        .get_result(&mut app.conn())
        .expect("notice");
    assert_eq!(told, 1);

    let audit = r
        .get(
            &app,
            "/admin/audit?action=override_enroll&outcome=ok_beyond_capacity",
        )
        .await;
    assert_eq!(audit.status(), StatusCode::OK);
    let html = audit.text().await.expect("html");
    assert!(html.contains("졸업 예정자 필수 과목"));
    assert!(html.contains("staff07"));
    assert!(html.contains("203400001"));
    assert_eq!(html.matches("data-entry=").count(), 1);
    let by_student = r
        .get(&app, "/admin/audit?student=203400001&actor=staff07")
        .await
        .text()
        .await
        .expect("html");
    assert_eq!(by_student.matches("data-entry=").count(), 2);
    let by_section = r
        .get(&app, &format!("/admin/audit?section={section}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(by_section.contains("ok_beyond_capacity"));
    assert!(
        by_section.contains("data-action=\"enroll\""),
        "the student's own enrollment too"
    );
}

#[tokio::test]
async fn an_override_waives_only_the_rule_it_names() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE5050", 3);
    let section = app.reg_section(SectionBuilder::of(fx.term_id, course).meets(5, 600, 675));
    let student = app.reg_students(&fx, "2035", 1)[0];
    let r = app.registrar("staff01").await;
    location(
        &r.post(
            &app,
            &format!("/admin/students/{student}/holds"),
            &[("hold_reason", "서류 미제출")],
        )
        .await,
    );
    let path = format!("/admin/students/{student}/enroll");
    let section_s = section.to_string();
    let html = refused(
        r.post(
            &app,
            &path,
            &[
                ("override_section", section_s.as_str()),
                ("override_reason", "확인 완료"),
                ("waive", "credit_limit"),
            ],
        )
        .await,
        "override_section",
    )
    .await;
    assert!(html.contains("서류 미제출"), "the hold still applies");
    assert!(
        html.contains("‘수강신청 제한’ 항목입니다") && html.contains("한 번에 규칙 하나만"),
        "the refusal names the waiver that lifts it"
    );
    let html = refused(
        r.post(
            &app,
            &path,
            &[
                ("override_section", section_s.as_str()),
                ("override_reason", "확인 완료"),
            ],
        )
        .await,
        "override_section",
    )
    .await;
    assert!(
        html.contains("‘예외로 할 규칙’에서 ‘수강신청 제한’ 항목을 고르세요"),
        "the refusal names the waiver by its label on the form"
    );
    assert_eq!(counter_and_rows(&app, section), (0, 0));
    location(
        &r.post(
            &app,
            &path,
            &[
                ("override_section", section_s.as_str()),
                ("override_reason", "확인 완료"),
                ("waive", "hold"),
            ],
        )
        .await,
    );
    assert_eq!(counter_and_rows(&app, section), (1, 1));
    let detail: Option<String> = activity_log::table
        .filter(activity_log::action.eq("override_enroll"))
        .filter(activity_log::outcome.eq("ok"))
        .select(activity_log::detail)
        .first(&mut app.conn())
        .expect("line");
    assert_eq!(detail.as_deref(), Some("확인 완료 [waive=hold]"));
}

#[tokio::test]
async fn an_override_drop_gives_the_seat_to_the_waitlist_in_the_same_transaction() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE5060", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(1)
            .waitlist(2)
            .meets(1, 780, 855),
    );
    let students = app.students(&app.reg_students(&fx, "2036", 2)).await;
    assert_eq!(
        app.post_enrollment(&students[0], section).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post_waitlist(&students[1], section).await.status(),
        StatusCode::CREATED
    );
    let r = app.registrar("staff01").await;
    let path = format!("/admin/students/{}/drop", students[0].id);
    let section_s = section.to_string();
    refused(
        r.post(
            &app,
            &path,
            &[("drop_section", section_s.as_str()), ("drop_reason", "")],
        )
        .await,
        "drop_reason",
    )
    .await;
    assert_eq!(counter_and_rows(&app, section), (1, 1));
    location(
        &r.post(
            &app,
            &path,
            &[
                ("drop_section", section_s.as_str()),
                ("drop_reason", "본인 요청 (전화)"),
            ],
        )
        .await,
    );
    let holder: Vec<(i32, String)> = enrollments::table
        .filter(enrollments::section_id.eq(section))
        .select((enrollments::student_id, enrollments::source))
        .load(&mut app.conn())
        .expect("rows");
    assert_eq!(holder, vec![(students[1].id, "waitlist".to_string())]);
    assert_eq!(counter_and_rows(&app, section), (1, 1));
    let waiting: i64 = waitlist_entries::table
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    assert_eq!(waiting, 0);
    // Dropping again: the student holds no seat, nothing changes.
    summarized(
        r.post(
            &app,
            &path,
            &[
                ("drop_section", section_s.as_str()),
                ("drop_reason", "다시"),
            ],
        )
        .await,
        "drop_section",
    )
    .await;
    assert_eq!(counter_and_rows(&app, section), (1, 1));
}

#[tokio::test]
async fn audit_filters_are_checked_and_shown_beside_their_fields() {
    let app = TestApp::spawn().await;
    app.insert_current_term();
    let r = app.registrar("staff01").await;
    for (query, field) in [
        ("section=abc", "section"),
        ("student=99999999", "student"),
        ("actor=nobody", "actor"),
        ("action=DROP%3B", "action"),
        ("outcome=a%20b", "outcome"),
        ("from=2027-02-10T10:00&to=2027-02-09T10:00", "to"),
        ("from=yesterday", "from"),
        ("page=0", "page"),
        ("request=abc", "request"),
        ("request=%25%25%25%25%25%25%25%25", "request"),
        ("request=0123456789_abcdef", "request"),
    ] {
        refused(r.get(&app, &format!("/admin/audit?{query}")).await, field).await;
    }
    assert_eq!(
        r.get(&app, "/admin/audit?from=2027-02-10T10:00")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_audit_view_filters_by_named_choices_shows_words_and_hides_sign_ins_in_one_click() {
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE5070", 3);
    let section = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .capacity(41)
            .meets(2, 780, 855),
    );
    let r = app.registrar("staff01").await;
    location(
        &r.post(
            &app,
            &format!("/admin/sections/{section}/capacity"),
            &[("capacity", "40")],
        )
        .await,
    );
    // A real sign-in, so its line is in the log.
    app.insert_student("20370001");
    app.sign_in(&app.client(), "20370001").await;

    let html = r
        .get(&app, "/admin/audit")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("<select name=\"action\""),
        "actions are a list"
    );
    assert!(html.contains("<option value=\"capacity_change\">정원 변경</option>"));
    assert!(
        html.contains("<select name=\"outcome\""),
        "outcomes are a list"
    );
    assert!(html.contains("<option value=\"section_full\">정원 마감</option>"));
    assert!(
        html.contains("정원 41 → 40 (신청 0명)"),
        "the detail in words"
    );
    assert!(!html.contains("capacity 41 -&gt; 40") && !html.contains("capacity 41 -> 40"));
    assert!(
        html.contains("data-action=\"login\""),
        "sign-ins shown by default"
    );
    assert!(html.contains(">로그인</td>"), "by name");
    assert!(
        html.contains("href=\"/admin/audit?student=&#38;section=&#38;actor=&#38;action=&#38;outcome=&#38;request=&#38;from=&#38;to=&#38;quiet=1&#38;page=1\""),
        "one link hides them"
    );

    let quiet = r
        .get(&app, "/admin/audit?quiet=1")
        .await
        .text()
        .await
        .expect("html");
    assert!(!quiet.contains("data-action=\"login\""), "sign-ins hidden");
    assert!(quiet.contains("data-action=\"capacity_change\""));
    assert!(quiet.contains("name=\"quiet\" value=\"1\" checked"));

    let en = r
        .get(&app, "/admin/audit?action=capacity_change&lang=en")
        .await
        .text()
        .await
        .expect("html");
    assert!(en.contains("capacity 41 → 40 (0 enrolled)"));
    assert!(en.contains("<option value=\"capacity_change\" selected>Capacity changed</option>"));
    assert_eq!(en.matches("data-entry=").count(), 1);

    // Only the listed choices are accepted.
    for query in ["action=capacity", "outcome=OK", "action=login%3B"] {
        refused(
            r.get(&app, &format!("/admin/audit?{query}")).await,
            query.split('=').next().expect("name"),
        )
        .await;
    }
}

#[tokio::test]
async fn the_audit_view_shows_a_short_request_id_that_finds_its_lines_and_a_swap_by_section_codes()
{
    let app = TestApp::spawn_for_registration().await;
    let fx = app.registration_fixture();
    let course = app.reg_course(&fx, "CSE5080", 3);
    let from = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .no(1)
            .meets(1, 540, 615),
    );
    let to = app.reg_section(
        SectionBuilder::of(fx.term_id, course)
            .no(2)
            .meets(3, 540, 615),
    );
    let ids = app.reg_students(&fx, "2038", 1);
    let student = app.student(ids[0]).await;
    assert_eq!(app.post_enrollment(&student, from).await.status(), 201);
    assert_eq!(app.post_swap(&student, from, to).await.status(), 200);
    let (request_id, detail): (String, Option<String>) = activity_log::table
        .filter(activity_log::action.eq("swap"))
        .select((activity_log::request_id, activity_log::detail))
        .first(&mut app.conn())
        .expect("the swap's line");
    assert_eq!(request_id.len(), 32);
    assert_eq!(
        detail.as_deref(),
        Some(format!("drop {from} -> add {to}").as_str()),
        "the log keeps its plain detail"
    );
    let short = &request_id[..8];
    let r = app.registrar("staff01").await;

    let html = r
        .get(&app, "/admin/audit?action=swap")
        .await
        .text()
        .await
        .expect("html");
    assert_eq!(html.matches("data-entry=").count(), 1);
    assert!(html.contains("CSE5080-01 → CSE5080-02"), "{html}");
    assert!(
        !html.contains(&format!("drop {from}")),
        "no raw section ids"
    );
    assert!(
        html.contains(&format!("<code>{short}</code>")),
        "the short id in the column"
    );
    assert!(
        !html.contains(&format!(">{request_id}<")),
        "the whole id is no text of the main column"
    );
    assert!(
        html.contains(&format!(
            "href=\"/admin/audit?request={request_id}\" title=\"{request_id}\""
        )),
        "the whole id one click away"
    );
    let en = r
        .get(&app, "/admin/audit?action=swap&lang=en")
        .await
        .text()
        .await
        .expect("html");
    assert!(en.contains("CSE5080-01 → CSE5080-02"));
    assert!(en.contains("Request id"));

    // The whole id, its short form and its upper-case spelling all find the request's lines.
    let lines: i64 = activity_log::table
        .filter(activity_log::request_id.eq(&request_id))
        .count()
        .get_result(&mut app.conn())
        .expect("count");
    for query in [
        request_id.clone(),
        short.to_string(),
        request_id.to_ascii_uppercase(),
    ] {
        let res = r.get(&app, &format!("/admin/audit?request={query}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{query}");
        let html = res.text().await.expect("html");
        assert_eq!(html.matches("data-entry=").count() as i64, lines, "{query}");
        assert!(html.contains(&format!("data-request-id=\"{request_id}\"")));
        assert!(
            !html.contains("data-action=\"enroll\""),
            "another request's line"
        );
        assert!(html.contains("name=\"request\" maxlength=\"64\""));
    }
    let none = r
        .get(
            &app,
            "/admin/audit?request=ffffffffffffffffffffffffffffffff",
        )
        .await;
    assert_eq!(none.status(), StatusCode::OK);
    assert!(none
        .text()
        .await
        .expect("html")
        .contains("id=\"no-results\""));
}
