//! Priority groups and parity days: a window naming a group opens for its members only, a
//! window naming a parity for student numbers ending in such a digit only; every other student
//! is answered as before, with their own window's opening. The console keeps groups and their
//! members (form and CSV, all-or-nothing), and the home page lists the student's own windows.

use chrono::{Duration, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use sugang::db::schema::{
    activity_log, priority_group_members, priority_groups, registration_windows,
};
use sugang::web::layout::seoul;

use crate::helpers::console::{get_text, post_form, refused, seoul_input, upload, upload_id};
use crate::helpers::{RegStudent, RegistrationFixture, SectionBuilder, TestApp};

fn now_s() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(0)
}

async fn status_and_json(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn code_of(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn message_of(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or("")
}

/// A current term without windows, a department and one course with `sections` sections.
struct World {
    app: TestApp,
    fx: RegistrationFixture,
    sections: Vec<i32>,
}

async fn world(sections: i16) -> World {
    let app = TestApp::spawn_for_registration().await;
    let term_id = app.insert_term_with_windows(&[]);
    let department_id = app.insert_department("CSE");
    let fx = RegistrationFixture {
        term_id,
        department_id,
    };
    let sections = (0..sections)
        .map(|i| {
            let course = app.reg_course(&fx, &format!("CSE30{i:02}"), 3);
            app.reg_section(SectionBuilder::of(term_id, course).capacity(100))
        })
        .collect();
    World { app, fx, sections }
}

impl World {
    fn group(&self, code: &str, name_ko: &str) -> i32 {
        let mut conn = self.app.conn();
        diesel::insert_into(priority_groups::table)
            .values((
                priority_groups::code.eq(code),
                priority_groups::name_ko.eq(name_ko),
                priority_groups::name_en.eq(format!("{code} group")),
            ))
            .execute(&mut conn)
            .expect("group");
        sugang::db::last_insert_id(&mut conn).expect("id") as i32
    }

    fn join(&self, group: i32, students: &[i32]) {
        let rows: Vec<_> = students
            .iter()
            .map(|s| {
                (
                    priority_group_members::group_id.eq(group),
                    priority_group_members::student_id.eq(*s),
                )
            })
            .collect();
        diesel::insert_into(priority_group_members::table)
            .values(&rows)
            .execute(&mut self.app.conn())
            .expect("members");
    }

    #[allow(clippy::too_many_arguments)]
    fn window(
        &self,
        cohort: &str,
        group: Option<i32>,
        parity: Option<&str>,
        opens: NaiveDateTime,
        closes: NaiveDateTime,
    ) {
        diesel::insert_into(registration_windows::table)
            .values((
                registration_windows::term_id.eq(self.fx.term_id),
                registration_windows::phase.eq("register"),
                registration_windows::cohort.eq(cohort),
                registration_windows::opens_at.eq(opens),
                registration_windows::closes_at.eq(closes),
                registration_windows::group_id.eq(group),
                registration_windows::parity.eq(parity),
            ))
            .execute(&mut self.app.conn())
            .expect("window");
    }

    fn student(&self, number: &str) -> i32 {
        self.app.insert_student_in(number, self.fx.department_id, 2)
    }
}

#[tokio::test]
async fn a_group_window_opens_only_for_members() {
    let w = world(1).await;
    let section = w.sections[0];
    let now = now_s();
    let everyone = now + Duration::days(1);
    w.window("all", None, None, everyone, now + Duration::days(3));
    let group = w.group("DISAB", "장애학생");
    w.window("all", Some(group), None, now - Duration::hours(1), everyone);

    // Members and non-members of the same class year, all at once (one decision batch or a few).
    let members: Vec<i32> = (0..6).map(|i| w.student(&format!("2026100{i}"))).collect();
    let others: Vec<i32> = (0..6).map(|i| w.student(&format!("2026200{i}"))).collect();
    w.join(group, &members);
    let m = w.app.students(&members).await;
    let o = w.app.students(&others).await;

    // Before the click, the section page says what the registration will answer.
    let page = |s: &RegStudent| {
        let client = s.client.clone();
        let url = w.app.url(&format!("/courses/{section}"));
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    let member_page = page(&m[0]).await;
    assert!(!member_page.contains("data-refusal=\"window_closed\""));
    assert!(
        !member_page.contains("id=\"reason-register\""),
        "register is enabled"
    );
    let other_page = page(&o[0]).await;
    assert!(other_page.contains("id=\"reason-register\" data-reason=\"window_closed\""));
    // The button comes alive when their own window opens, not the group's.
    let enable_at = everyone
        .and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert!(
        other_page.contains(&format!(
            "data-action=\"register\" data-enable-at=\"{enable_at}\""
        )),
        "{other_page}"
    );
    let answers = join_all(m.iter().chain(o.iter()).map(|s| async {
        (
            s.id,
            status_and_json(w.app.post_enrollment(s, section).await).await,
        )
    }))
    .await;
    let opens = seoul(&everyone.and_utc());
    for (id, (status, body)) in answers {
        if members.contains(&id) {
            assert_eq!(status, StatusCode::CREATED, "member {id}: {body}");
        } else {
            assert_eq!(status, StatusCode::CONFLICT, "non-member {id}: {body}");
            assert_eq!(code_of(&body), "window_closed");
            assert!(
                message_of(&body).contains(&opens),
                "names their own window's opening {opens}: {body}"
            );
        }
    }

    // The one-attempt answers agree: a member's second section... is the same section (already
    // enrolled), a non-member is still refused first by the window.
    let (_, body) = status_and_json(w.app.post_enrollment(&o[0], section).await).await;
    assert_eq!(code_of(&body), "window_closed");
    let (_, body) = status_and_json(w.app.post_enrollment(&m[0], section).await).await;
    assert_eq!(code_of(&body), "already_enrolled");
    // A drop checks the window too (one transaction that reads the standing itself): a member
    // may leave during the group's window.
    let (status, body) = status_and_json(w.app.delete_enrollment(&m[1], section).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The home page and /api/v1/me list each student's own windows.
    let home = |s: &RegStudent| {
        let client = s.client.clone();
        let url = w.app.url("/");
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("home")
                .text()
                .await
                .expect("html")
        }
    };
    let member_home = home(&m[0]).await;
    assert!(member_home.contains("나의 신청 기간"));
    assert!(
        member_home.contains("data-group=\"DISAB\""),
        "{member_home}"
    );
    assert!(member_home.contains("장애학생"));
    assert!(
        member_home.contains("aria-current=\"true\""),
        "the open one is marked"
    );
    let other_home = home(&o[0]).await;
    assert!(!other_home.contains("data-group=\"DISAB\""));
    assert!(
        !other_home.contains("aria-current=\"true\""),
        "nothing open for them"
    );

    let me = |s: &RegStudent| {
        let client = s.client.clone();
        let url = w.app.url("/api/v1/me");
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("me")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let mine = me(&m[0]).await;
    let windows = mine["windows"].as_array().expect("windows");
    assert_eq!(windows.len(), 2, "{mine}");
    assert!(windows
        .iter()
        .any(|x| x["group"]["code"] == "DISAB" && x["state"] == "open"));
    let theirs = me(&o[0]).await;
    let windows = theirs["windows"].as_array().expect("windows");
    assert_eq!(windows.len(), 1, "{theirs}");
    assert!(windows[0]["group"].is_null());
    assert_eq!(windows[0]["state"], "upcoming");
}

#[tokio::test]
async fn parity_days_open_for_odd_then_even_student_numbers() {
    let w = world(2).await;
    let (a, b) = (w.sections[0], w.sections[1]);
    let now = now_s();
    let day2 = now + Duration::hours(23);
    w.window("all", None, Some("odd"), now - Duration::hours(1), day2);
    w.window("all", None, Some("even"), day2, day2 + Duration::days(1));

    let odd: Vec<i32> = (0..5)
        .map(|i| w.student(&format!("202630{}", 2 * i + 1)))
        .collect();
    let even: Vec<i32> = (0..5)
        .map(|i| w.student(&format!("202630{}", 2 * i)))
        .collect();
    let os = w.app.students(&odd).await;
    let es = w.app.students(&even).await;

    // Day one: odd numbers register, even numbers are told when their day opens.
    let answers = join_all(os.iter().chain(es.iter()).map(|s| async {
        (
            s.id,
            status_and_json(w.app.post_enrollment(s, a).await).await,
        )
    }))
    .await;
    let day2_shown = seoul(&day2.and_utc());
    for (id, (status, body)) in answers {
        if odd.contains(&id) {
            assert_eq!(status, StatusCode::CREATED, "odd {id}: {body}");
        } else {
            assert_eq!(code_of(&body), "window_closed", "even {id}: {body}");
            assert!(message_of(&body).contains(&day2_shown), "{body}");
        }
    }

    // The next day (the calendar moved one day back): even numbers register, odd ones are out.
    diesel::sql_query(
        "UPDATE registration_windows \
         SET opens_at = opens_at - INTERVAL 1 DAY, closes_at = closes_at - INTERVAL 1 DAY",
    )
    .execute(&mut w.app.conn())
    .expect("next day");
    let answers = join_all(os.iter().chain(es.iter()).map(|s| async {
        (
            s.id,
            status_and_json(w.app.post_enrollment(s, b).await).await,
        )
    }))
    .await;
    for (id, (status, body)) in answers {
        if even.contains(&id) {
            assert_eq!(status, StatusCode::CREATED, "even {id}: {body}");
        } else {
            assert_eq!(code_of(&body), "window_closed", "odd {id}: {body}");
        }
    }
    let (status, _) = status_and_json(w.app.post_enrollment(&es[0], a).await).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "even numbers may take section a now"
    );
}

// ---- the console ----

fn member_count(app: &TestApp, group: i32) -> i64 {
    priority_group_members::table
        .filter(priority_group_members::group_id.eq(group))
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

fn group_id(app: &TestApp, code: &str) -> i32 {
    priority_groups::table
        .filter(priority_groups::code.eq(code))
        .select(priority_groups::id)
        .first(&mut app.conn())
        .expect("group")
}

fn activity(app: &TestApp, action: &str) -> i64 {
    activity_log::table
        .filter(activity_log::action.eq(action))
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

#[tokio::test]
async fn the_console_keeps_groups_members_and_windows_for_a_group_or_a_parity() {
    let w = world(1).await;
    let registrar = w.app.registrar("registrar-t").await;
    let s1 = w.student("20270001");
    let s2 = w.student("20270002");
    w.student("20270003");

    // Create: a bad code is a field error and creates nothing.
    let res = post_form(
        &w.app,
        &registrar,
        "/admin/groups",
        &[
            ("code", "장애"),
            ("name_ko", "장애학생"),
            ("name_en", "Disability"),
        ],
    )
    .await;
    refused(res, "code").await;
    let res = post_form(
        &w.app,
        &registrar,
        "/admin/groups",
        &[
            ("code", "disab"),
            ("name_ko", "장애학생"),
            ("name_en", "Disability"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let g = group_id(&w.app, "DISAB");
    assert_eq!(activity(&w.app, "group_create"), 1);
    let res = post_form(
        &w.app,
        &registrar,
        "/admin/groups",
        &[("code", "DISAB"), ("name_ko", "중복"), ("name_en", "Dup")],
    )
    .await;
    refused(res, "code").await;

    // Members by student number: unknown and duplicate numbers are field errors.
    let members = format!("/admin/groups/{g}/members");
    let add = |number: &'static str| async {
        post_form(&w.app, &registrar, &members, &[("student_number", number)]).await
    };
    assert_eq!(add("20270001").await.status(), StatusCode::SEE_OTHER);
    refused(add("20279999").await, "student_number").await;
    refused(add("20270001").await, "student_number").await;
    assert_eq!(member_count(&w.app, g), 1);
    assert_eq!(activity(&w.app, "group_member_add"), 1);

    // CSV: one bad line (an unknown group) refuses the whole file; fixed, it applies at once.
    let bad = "학번,그룹코드\n20270002,DISAB\n20270003,NOPE\n";
    let res = upload(&w.app, &registrar, "members", bad.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("NOPE"), "the bad line is named");
    assert!(upload_id(&html).is_none());
    assert_eq!(member_count(&w.app, g), 1, "nothing changed");
    // A member already in the group is a line error too.
    let dup = "student_number,group_code\n20270001,DISAB\n";
    let res = upload(&w.app, &registrar, "members", dup.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let good = "student_number,group_code\n20270002,disab\n20270003,DISAB\n";
    let res = upload(&w.app, &registrar, "members", good.as_bytes(), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = upload_id(&res.text().await.expect("html")).expect("apply button");
    assert_eq!(member_count(&w.app, g), 1, "a preview writes nothing");
    let res = post_form(
        &w.app,
        &registrar,
        "/admin/import/apply",
        &[("upload", &id)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(member_count(&w.app, g), 3);

    // The export reads back with the import's columns.
    let res = registrar
        .client
        .get(w.app.url("/admin/export/groups.csv"))
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.expect("csv");
    assert!(csv.contains("20270002,DISAB"), "{csv}");

    // Remove a member.
    let res = post_form(
        &w.app,
        &registrar,
        &format!("/admin/groups/{g}/members/{s2}/delete"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(member_count(&w.app, g), 2);
    let (status, page) = get_text(&w.app, &registrar, &format!("/admin/groups/{g}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("data-student=\"20270001\"") && !page.contains("data-student=\"20270002\"")
    );

    // A window for the group, odd numbers only; a bad parity or group is a field error.
    let now = Utc::now();
    let term = w.fx.term_id;
    let path = format!("/admin/terms/{term}/windows");
    let opens = seoul_input(now - Duration::hours(1));
    let closes = seoul_input(now + Duration::days(1));
    let gid = g.to_string();
    let send = |group: &'static str, parity: &'static str| {
        let fields = [
            ("phase", "register".to_string()),
            ("cohort", "all".to_string()),
            ("opens_at", opens.clone()),
            ("closes_at", closes.clone()),
            (
                "group",
                if group == "G" {
                    gid.clone()
                } else {
                    group.to_string()
                },
            ),
            ("parity", parity.to_string()),
        ];
        let (app, registrar, path) = (&w.app, &registrar, path.clone());
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, registrar, &path, &refs).await
        }
    };
    refused(send("G", "sometimes").await, "parity").await;
    refused(send("999999", "odd").await, "group").await;
    assert_eq!(activity(&w.app, "window_create"), 0);
    assert_eq!(send("G", "odd").await.status(), StatusCode::SEE_OTHER);
    let stored: (Option<i32>, Option<String>) = registration_windows::table
        .filter(registration_windows::term_id.eq(term))
        .select((registration_windows::group_id, registration_windows::parity))
        .first(&mut w.app.conn())
        .expect("window");
    assert_eq!(stored, (Some(g), Some("odd".to_string())));
    assert_eq!(activity(&w.app, "window_create"), 1);
    // The same span for everyone does not overlap the group's odd-number window.
    assert_eq!(send("", "").await.status(), StatusCode::SEE_OTHER);
    let (_, term_page) = get_text(&w.app, &registrar, &format!("/admin/terms/{term}")).await;
    assert!(term_page.contains("DISAB group") || term_page.contains("장애학생"));
    assert!(term_page.contains("홀수 학번"));

    // A group a window names cannot be deleted; its members stay.
    let res = post_form(
        &w.app,
        &registrar,
        &format!("/admin/groups/{g}/delete"),
        &[],
    )
    .await;
    refused(res, "group").await;
    assert_eq!(member_count(&w.app, g), 2);
    assert_eq!(activity(&w.app, "group_delete"), 0);

    // The windows made in the console apply: s1 (a member) may register.
    let st = w.app.student(s1).await;
    let (status, body) = status_and_json(w.app.post_enrollment(&st, w.sections[0]).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_group_without_windows_is_deleted_with_its_members() {
    let w = world(0).await;
    let registrar = w.app.registrar("registrar-t").await;
    let g = w.group("ATHL", "체육특기자");
    let s = w.student("20270101");
    w.join(g, &[s]);

    // Without the CSRF token (a forged form from another site) nothing changes.
    let forger = w.app.registrar("registrar-f").await.browser();
    for (path, fields) in [
        (
            "/admin/groups".to_string(),
            vec![("code", "FORGED"), ("name_ko", "가"), ("name_en", "A")],
        ),
        (format!("/admin/groups/{g}/delete"), vec![]),
        (
            format!("/admin/groups/{g}/members"),
            vec![("student_number", "20270101")],
        ),
        (format!("/admin/groups/{g}/members/{s}/delete"), vec![]),
    ] {
        let res = forger
            .post(w.app.url(&path))
            .form(&fields)
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(member_count(&w.app, g), 1);
    assert_eq!(activity(&w.app, "group_create"), 0);
    let res = post_form(
        &w.app,
        &registrar,
        &format!("/admin/groups/{g}/delete"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let left: i64 = priority_groups::table
        .count()
        .get_result(&mut w.app.conn())
        .expect("count");
    assert_eq!(left, 0);
    assert_eq!(member_count(&w.app, g), 0);
    assert_eq!(activity(&w.app, "group_delete"), 1);
    // A student cannot reach the console.
    let st = w.app.student(s).await;
    let res = st
        .client
        .get(w.app.url("/admin/groups"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
