//! The weekly timetable (page and JSON), previews with conflicts, and the `.ics` export parsed
//! by a real iCalendar parser.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{BuiltSection, SectionBuilder, TestApp};

struct Week {
    term: i32,
    ds: BuiltSection,
    calc: BuiltSection,
    clash: BuiltSection,
}

/// A student enrolled in two sections (one meeting twice a week), and a third section that
/// overlaps one of them.
async fn week_app() -> (TestApp, Week) {
    let app = TestApp::spawn().await;
    let term = app.insert_current_term();
    let cse = app.insert_department("CSE");
    let me = app.insert_student("20270001");
    let ds = SectionBuilder::new("CSE2010", cse)
        .title("자료구조", "Data Structures")
        .instructor("김철수")
        .meets_in(1, 9 * 60, 10 * 60 + 15, "공학관 301")
        .meets_in(3, 9 * 60, 10 * 60 + 15, "공학관 301")
        .enroll(me)
        .insert(&app, term);
    let calc = SectionBuilder::new("MAT1010", cse)
        .title("미적분학, 기초; 입문", "Calculus")
        .credits(2)
        .meets_in(5, 18 * 60, 19 * 60 + 45, "자연관 B101")
        .enroll(me)
        .insert(&app, term);
    let clash = SectionBuilder::new("CSE2020", cse)
        .title("이산수학", "Discrete Mathematics")
        .meets_in(3, 9 * 60 + 30, 10 * 60 + 45, "공학관 202")
        .insert(&app, term);
    (
        app,
        Week {
            term,
            ds,
            calc,
            clash,
        },
    )
}

fn day(grid: &Value, weekday: u64) -> &Value {
    grid["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["weekday"] == weekday)
        .expect("day")
}

#[tokio::test]
async fn timetable_places_every_meeting_of_every_enrolled_section() {
    let (app, w) = week_app().await;
    let client = app.client();
    app.sign_in(&client, "20270001").await;
    let res = app.get_timetable(&client, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["total_credits"], 5);
    assert_eq!(body["sections"].as_array().expect("sections").len(), 2);
    let grid = &body["grid"];
    assert_eq!(grid["days"].as_array().expect("days").len(), 6, "Mon–Sat");
    for weekday in [1, 3] {
        let blocks = day(grid, weekday)["blocks"].as_array().expect("blocks");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0]["section_id"], w.ds.section_id);
        assert_eq!(blocks[0]["room"], "공학관 301");
        assert_eq!(blocks[0]["label"], "CSE2010-01");
        assert_eq!(blocks[0]["conflict"], false);
    }
    let fri = &day(grid, 5)["blocks"][0];
    assert_eq!(fri["section_id"], w.calc.section_id);
    assert_eq!(
        (fri["start"].clone(), fri["end"].clone()),
        (1080.into(), 1185.into())
    );
    assert!(body["conflicts"].as_array().expect("conflicts").is_empty());

    let html = app
        .get(&client, "/timetable")
        .await
        .text()
        .await
        .expect("html");
    for needle in [
        "id=\"timetable\"",
        "공학관 301",
        "자연관 B101",
        "총 5학점",
        "href=\"/timetable.ics\"",
        "rowspan=\"5\"",
    ] {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    assert!(!html.contains("id=\"conflicts\""));
    let _ = w.term;
}

#[tokio::test]
async fn a_preview_places_overlapping_meetings_side_by_side_and_flags_them() {
    let (app, w) = week_app().await;
    let client = app.client();
    app.sign_in(&client, "20270001").await;
    let body: Value = app
        .get_timetable(&client, &format!("add={}", w.clash.section_id))
        .await
        .json()
        .await
        .expect("json");
    let wed = day(&body["grid"], 3);
    assert_eq!(wed["lanes"], 2);
    let blocks = wed["blocks"].as_array().expect("blocks");
    assert_eq!(blocks.len(), 2);
    assert_ne!(blocks[0]["lane"], blocks[1]["lane"]);
    assert!(blocks.iter().all(|b| b["conflict"] == true));
    // Monday's meeting of the same section overlaps nothing.
    assert_eq!(day(&body["grid"], 1)["blocks"][0]["conflict"], false);
    let conflicts = body["conflicts"].as_array().expect("conflicts");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["weekday"], 3);
    assert_eq!(conflicts[0]["start"], 570);
    assert_eq!(conflicts[0]["end"], 615);
    assert_eq!(body["total_credits"], 8);
    let previewed: Vec<&Value> = body["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .filter(|s| s["preview"] == true)
        .collect();
    assert_eq!(previewed.len(), 1);

    let html = app
        .get(&client, &format!("/timetable?add={}", w.clash.section_id))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"conflicts\""));
    assert!(html.contains("CSE2010-01 ↔ CSE2020-01 (수 09:30–10:15)"));
    assert!(html.contains("colspan=\"2\""), "Wednesday has two lanes");

    for bad in ["add=abc", "add=-1"] {
        let res = app.get_timetable(&client, bad).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let res = app.get_timetable(&client, "add=999999").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_calendar_export_is_valid_icalendar() {
    let (app, w) = week_app().await;
    let client = app.client();
    app.sign_in(&client, "20270001").await;
    let res = app.get(&client, "/timetable.ics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/calendar")));
    assert!(res
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("timetable.ics")));
    let text = res.text().await.expect("body");
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    for line in text.split("\r\n") {
        assert!(!line.contains('\n'), "bare LF in {line:?}");
        assert!(line.len() <= 75, "line over 75 octets: {line:?}");
    }

    let unfolded = icalendar::parser::unfold(&text);
    let calendar = icalendar::parser::read_calendar(&unfolded).expect("parses as iCalendar");
    let tz = calendar
        .components
        .iter()
        .find(|c| c.name == "VTIMEZONE")
        .expect("VTIMEZONE");
    assert_eq!(
        tz.find_prop("TZID").expect("TZID").val.as_str(),
        "Asia/Seoul"
    );
    let standard = &tz.components[0];
    assert_eq!(
        standard
            .find_prop("TZOFFSETTO")
            .expect("offset")
            .val
            .as_str(),
        "+0900"
    );

    let events: Vec<_> = calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .collect();
    assert_eq!(events.len(), 3, "one event per meeting");
    let mut uids: Vec<&str> = events
        .iter()
        .map(|e| e.find_prop("UID").expect("UID").val.as_str())
        .collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), 3, "UIDs are unique");

    let term_start = chrono::Utc::now().date_naive();
    let term_end = term_start + chrono::Days::new(112);
    let until = format!("UNTIL={}T145959Z", term_end.format("%Y%m%d"));
    for e in &events {
        let start = e.find_prop("DTSTART").expect("DTSTART");
        let tzid = start
            .params
            .iter()
            .find(|p| p.key == "TZID")
            .and_then(|p| p.val.as_ref())
            .expect("TZID parameter");
        assert_eq!(tzid.as_str(), "Asia/Seoul");
        let date = chrono::NaiveDateTime::parse_from_str(start.val.as_str(), "%Y%m%dT%H%M%S")
            .expect("local date-time");
        assert!(date.date() >= term_start && date.date() < term_start + chrono::Days::new(7));
        assert!(e
            .find_prop("DTSTAMP")
            .expect("DTSTAMP")
            .val
            .as_str()
            .ends_with('Z'));
        let rrule = e
            .find_prop("RRULE")
            .expect("RRULE")
            .val
            .as_str()
            .to_string();
        assert!(rrule.starts_with("FREQ=WEEKLY;"), "{rrule}");
        assert!(rrule.contains(&until), "{rrule} vs {until}");
    }
    let calc = events
        .iter()
        .find(|e| {
            e.find_prop("LOCATION")
                .is_some_and(|l| l.val.as_str() == "자연관 B101")
        })
        .expect("calculus event");
    let start = chrono::NaiveDateTime::parse_from_str(
        calc.find_prop("DTSTART").expect("start").val.as_str(),
        "%Y%m%dT%H%M%S",
    )
    .expect("date");
    use chrono::Datelike;
    assert_eq!(start.weekday(), chrono::Weekday::Fri);
    assert_eq!(
        start.time(),
        chrono::NaiveTime::from_hms_opt(18, 0, 0).expect("time")
    );
    // Commas and semicolons arrive escaped and unescape back.
    let summary = calc.find_prop("SUMMARY").expect("summary").val.clone();
    assert_eq!(
        summary.unescape_text().as_str(),
        "MAT1010-01 미적분학, 기초; 입문"
    );
    let _ = w.calc;
}

#[tokio::test]
async fn the_timetable_is_for_signed_in_students() {
    let (app, _) = week_app().await;
    let anonymous = app.client();
    assert_eq!(
        app.get_timetable(&anonymous, "").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&anonymous, "/timetable.ics").await.status(),
        StatusCode::SEE_OTHER
    );
    app.insert_registrar("staff1");
    let staff = app.client();
    app.sign_in(&staff, "staff1").await;
    assert_eq!(
        app.get_timetable(&staff, "").await.status(),
        StatusCode::FORBIDDEN
    );
    // A student with nothing enrolled sees an empty week.
    app.insert_student("20270002");
    let client = app.client();
    app.sign_in(&client, "20270002").await;
    let body: Value = app
        .get_timetable(&client, "")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["total_credits"], 0);
    let html = app
        .get(&client, "/timetable")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"timetable-empty\""));
}
