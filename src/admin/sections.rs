//! Sections of the current term: list with filters, create with meetings, edit details and
//! meetings, change capacity (a raise seats the waitlist in the same transaction; a cut below the
//! enrolled count only when forced, with a reason, as a recorded override), and cancel (폐강:
//! everyone dropped, told why, in one transaction).

use actix_web::web;
use askama::Template;
use chrono::Utc;
use diesel::prelude::*;

use crate::activity;
use crate::admin::courses::Course;
use crate::admin::departments;
use crate::admin::forms::ConsoleApp;
use crate::admin::forms::{
    self, field, run, unprocessable, Act, Answer, Changed, Choice, Console, FormErrors, TxFail,
    Values,
};
use crate::admin::queries::{self as q, NewMeeting, Section};
use crate::catalog::queries::current_term;
use crate::domain::Meeting;
use crate::registration::notices::{self, NoticeKind};
use crate::registration::queries as reg;
use crate::registration::rules::SectionLabel;
use crate::web::form::url_encode;
use crate::web::{html, AppError, Lang, Layout};

const PER_PAGE: i64 = 50;
const MAX_SEATS: i64 = 10_000;

/// The meeting rows a form offers; unused rows are left blank.
const MEETING_ROWS: usize = 4;
const DAY: [&str; MEETING_ROWS] = ["m1_day", "m2_day", "m3_day", "m4_day"];
const START: [&str; MEETING_ROWS] = ["m1_start", "m2_start", "m3_start", "m4_start"];
const END: [&str; MEETING_ROWS] = ["m1_end", "m2_end", "m3_end", "m4_end"];
const ROOM: [&str; MEETING_ROWS] = ["m1_room", "m2_room", "m3_room", "m4_room"];
const YEARS: [&str; 4] = ["year1", "year2", "year3", "year4"];

/// "Any department" and every department, the posted or stored restriction selected.
fn department_choices(
    depts: &[crate::auth::models::Department],
    lang: Lang,
    values: &Values,
) -> Vec<Choice> {
    let current = values.v("restrict_department_id").trim();
    let mut choices = vec![Choice::new(
        "",
        lang.text("admin.section.any_department"),
        current,
    )];
    choices.extend(departments::choices(depts, lang, current));
    choices
}

/// The used meeting rows, each checked: a weekday Mon-Sat, a start before its end within the
/// day, a room, and no two meetings of the section overlapping.
fn parse_meetings(values: &Values, errors: &mut FormErrors) -> Vec<(NewMeeting, String)> {
    let mut out: Vec<(NewMeeting, String)> = Vec::new();
    for i in 0..MEETING_ROWS {
        let used = [DAY[i], START[i], END[i], ROOM[i]]
            .iter()
            .any(|f| !values.v(f).trim().is_empty());
        if !used {
            continue;
        }
        let day = forms::int(errors, DAY[i], values.v(DAY[i]), 1, 6);
        let start = forms::minute_of_day(errors, START[i], values.v(START[i]));
        let end = forms::minute_of_day(errors, END[i], values.v(END[i]));
        let room = forms::text(errors, ROOM[i], values.v(ROOM[i]), 50);
        let (Some(day), Some(start), Some(end), Some(room)) = (day, start, end, room) else {
            continue;
        };
        if start >= end {
            errors.put("admin.error.end_before_start", END[i]);
            continue;
        }
        let m = NewMeeting {
            weekday: day as i8,
            starts: start,
            ends: end,
        };
        let clash = |o: &NewMeeting| {
            Meeting::stored(o.weekday, o.starts, o.ends)
                .overlaps(&Meeting::stored(m.weekday, m.starts, m.ends))
        };
        if out.iter().any(|(o, _)| clash(o)) {
            errors.put("admin.section.meetings_overlap", START[i]);
            continue;
        }
        out.push((m, room));
    }
    if out.is_empty() && errors.is_empty() {
        errors.put("admin.section.meeting_required", DAY[0]);
    }
    out
}

fn parse_years(values: &Values) -> i8 {
    YEARS
        .iter()
        .enumerate()
        .filter(|(_, f)| values.on(f))
        .fold(0i8, |mask, (i, _)| mask | (1 << i))
}

fn parse_restrict_department(
    values: &Values,
    depts: &[crate::auth::models::Department],
    errors: &mut FormErrors,
) -> Option<Option<i32>> {
    let raw = values.v("restrict_department_id").trim();
    if raw.is_empty() {
        return Some(None);
    }
    match raw
        .parse::<i32>()
        .ok()
        .filter(|id| depts.iter().any(|d| d.id == *id))
    {
        Some(id) => Some(Some(id)),
        None => {
            errors.put("admin.error.choice", "restrict_department_id");
            None
        }
    }
}

struct MeetingRow {
    day: &'static str,
    start: &'static str,
    end: &'static str,
    room: &'static str,
    days: Vec<Choice>,
}

/// The lists a section form shows, from its values: the meeting rows and the department choices.
struct FormLists {
    meetings: Vec<MeetingRow>,
    departments: Vec<Choice>,
}

impl FormLists {
    fn of(depts: &[crate::auth::models::Department], lang: Lang, values: &Values) -> Self {
        FormLists {
            meetings: meeting_rows(values, lang),
            departments: department_choices(depts, lang, values),
        }
    }
}

fn meeting_rows(values: &Values, lang: Lang) -> Vec<MeetingRow> {
    (0..MEETING_ROWS)
        .map(|i| {
            let current = values.v(DAY[i]).trim().to_string();
            let mut days = vec![Choice::new("", "-", &current)];
            days.extend(
                (1..=6).map(|d| Choice::new(d, lang.text(&format!("weekday.{d}")), &current)),
            );
            MeetingRow {
                day: DAY[i],
                start: START[i],
                end: END[i],
                room: ROOM[i],
                days,
            }
        })
        .collect()
}

// ---- list ----

struct ListRow {
    s: Section,
    c: Course,
}

#[derive(Template)]
#[template(path = "admin/sections.html")]
struct SectionsPage {
    layout: Layout,
    term_name: Option<String>,
    q: String,
    status: String,
    departments: Vec<Choice>,
    statuses: Vec<Choice>,
    rows: Vec<ListRow>,
    page: i64,
    more: bool,
    department: String,
}

impl SectionsPage {
    fn page_href(&self, page: i64) -> String {
        format!(
            "/admin/sections?q={}&department={}&status={}&page={page}",
            url_encode(&self.q),
            url_encode(&self.department),
            url_encode(&self.status)
        )
    }
}

pub async fn list(c: Console, query: web::Query<forms::ListQuery>) -> Answer {
    let (app, _, layout, _) = c.parts();
    let q: String = query.q.trim().chars().take(100).collect();
    let status = match query.status.trim() {
        s @ ("open" | "cancelled") => s.to_string(),
        _ => String::new(),
    };
    let department = query.department.trim().parse::<i32>().ok();
    let page = forms::page_number(&query.page);
    let filter = q::SectionFilter {
        pattern: Some(q::like_pattern(&q)).filter(|_| !q.is_empty()),
        department,
        status: Some(status.clone()).filter(|s| !s.is_empty()),
    };
    let (term, mut found, depts) = app
        .db
        .run(move |conn| {
            let depts = departments::all(conn)?;
            let Some(term) = current_term(conn)? else {
                return Ok((None, Vec::new(), depts));
            };
            let offset = (page - 1) * PER_PAGE;
            let found = q::term_sections(conn, term.id, &filter, offset, PER_PAGE + 1)?;
            Ok((Some(term), found, depts))
        })
        .await?;
    let more = found.len() as i64 > PER_PAGE;
    found.truncate(PER_PAGE as usize);
    let lang = layout.lang;
    let dept_value = department.map(|d| d.to_string()).unwrap_or_default();
    let mut dept_choices = vec![Choice::new("", lang.text("catalog.any"), &dept_value)];
    dept_choices.extend(departments::choices(&depts, lang, &dept_value));
    let statuses = vec![
        Choice::new("", lang.text("catalog.any"), &status),
        Choice::new("open", lang.text("admin.section.status.open"), &status),
        Choice::new(
            "cancelled",
            lang.text("admin.section.status.cancelled"),
            &status,
        ),
    ];
    html(SectionsPage {
        term_name: term.map(|t| forms::pick(lang, &t.name_ko, &t.name_en)),
        layout,
        q: query.q.trim().chars().take(100).collect(),
        status,
        departments: dept_choices,
        statuses,
        rows: found.into_iter().map(|(s, c)| ListRow { s, c }).collect(),
        page,
        more,
        department: dept_value,
    })
}

// ---- create ----

#[derive(Template)]
#[template(path = "admin/section_new.html")]
struct NewSectionPage {
    layout: Layout,
    values: Values,
    lists: FormLists,
    errors: FormErrors,
}

async fn new_page(
    app: &ConsoleApp,
    layout: Layout,
    values: Values,
    errors: FormErrors,
) -> Result<NewSectionPage, AppError> {
    let depts = app.db.query(departments::all).await?;
    Ok(NewSectionPage {
        lists: FormLists::of(&depts, layout.lang, &values),
        layout,
        values,
        errors,
    })
}

pub async fn new_form(c: Console) -> Answer {
    let (app, _, layout, _) = c.parts();
    let mut values = Values::default();
    values.set("section_no", 1);
    values.set("capacity", 40);
    values.set("waitlist_capacity", 0);
    let errors = FormErrors::new(layout.lang);
    html(new_page(&app, layout, values, errors).await?)
}

pub async fn create(c: Console, values: Values) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let mut errors = FormErrors::new(layout.lang);
    let depts = app.db.query(departments::all).await?;
    let course_code =
        forms::course_code(&mut errors, "course_code", values.v("course_code")).map(String::from);
    let section_no = forms::int(&mut errors, "section_no", values.v("section_no"), 1, 999);
    let instructor = forms::text(&mut errors, "instructor", values.v("instructor"), 100);
    let capacity = forms::int(&mut errors, "capacity", values.v("capacity"), 0, MAX_SEATS);
    let waitlist = forms::int(
        &mut errors,
        "waitlist_capacity",
        values.v("waitlist_capacity"),
        0,
        MAX_SEATS,
    );
    let restrict = parse_restrict_department(&values, &depts, &mut errors);
    let years = parse_years(&values);
    let meetings = parse_meetings(&values, &mut errors);
    let (Some(code), Some(no), Some(instructor), Some(capacity), Some(waitlist), Some(restrict)) = (
        course_code,
        section_no,
        instructor,
        capacity,
        waitlist,
        restrict,
    ) else {
        return unprocessable(new_page(&app, layout, values, errors).await?);
    };
    if !errors.is_empty() {
        return unprocessable(new_page(&app, layout, values, errors).await?);
    }
    let lang = layout.lang;
    let message = lang.text("admin.section.created").to_string();
    let result = run(&app, &r, meta, move |conn, act| {
        let term = current_term(conn)?
            .ok_or_else(|| field("admin.section.no_current_term", "course_code"))?;
        let course_id = q::course_id_by_code(conn, &code)?
            .ok_or_else(|| field("admin.course.unknown_code", "course_code").arg("code", &code))?;
        let new = q::NewSection {
            term_id: term.id,
            course_id,
            section_no: no as i16,
            instructor: &instructor,
            capacity: capacity as i32,
            waitlist_capacity: waitlist as i32,
            restrict_department_id: restrict,
            restrict_class_years: years,
        };
        let id = q::insert_section(conn, &new)
            .map_err(forms::taken("admin.section.number_taken", "section_no"))?;
        q::replace_meetings(conn, id, &meetings)?;
        let detail = format!("{code}-{no:02} capacity {capacity}");
        act.record(conn, "section_create", None, Some(id), detail)?;
        Ok((format!("/admin/sections/{id}"), message.clone()))
    })
    .await?;
    forms::answer_at(&app, &r, lang, Changed::Catalog, result, |errors| {
        new_page(&app, layout, values, errors)
    })
    .await
}

// ---- one section ----

struct Person {
    id: i32,
    login_id: String,
    name: String,
    source: String,
    at: String,
}

#[derive(Template)]
#[template(path = "admin/section.html")]
struct SectionPage {
    layout: Layout,
    s: Section,
    c: Course,
    meeting_list: Vec<(i8, i16, i16, String)>,
    roster: Vec<Person>,
    waitlist: Vec<Person>,
    basket_count: i64,
    values: Values,
    lists: FormLists,
    errors: FormErrors,
}

impl SectionPage {
    /// "2석 13:00 공개" while the section holds seats for a release time.
    fn held_text(&self) -> Option<String> {
        let at = self.s.held_until.filter(|_| self.s.held_seats > 0)?;
        Some(crate::catalog::routes::held_text(
            self.layout.lang,
            self.s.held_seats,
            &crate::web::layout::clock(at),
        ))
    }

    fn day(&self, d: &i8) -> &'static str {
        self.layout.t(&format!("weekday.{d}"))
    }

    fn time(&self, m: &i16) -> String {
        forms::hhmm(*m)
    }

    fn cancelled(&self) -> bool {
        self.s.status == "cancelled"
    }

    fn over_capacity(&self) -> bool {
        self.s.enrolled > self.s.capacity
    }
}

type Loaded = (
    Section,
    Course,
    Vec<(i8, i16, i16, String)>,
    Vec<Person>,
    Vec<Person>,
    i64,
    Vec<crate::auth::models::Department>,
);

fn load_section(conn: &mut MysqlConnection, id: i32) -> QueryResult<Loaded> {
    let (s, c) = q::section_with_course(conn, id)?;
    let meeting_list = q::meetings_of(conn, id)?;
    let person = |(id, login_id, name, source, at): q::Listed| Person {
        id,
        login_id,
        name,
        source,
        at: forms::seoul_display(&at),
    };
    let roster = q::roster(conn, id)?.into_iter().map(person).collect();
    let waitlist = q::waiting(conn, id)?.into_iter().map(person).collect();
    let basket_count = q::basket_count(conn, id)?;
    let depts = departments::all(conn)?;
    Ok((s, c, meeting_list, roster, waitlist, basket_count, depts))
}

/// The section page; `posted` (a refused form's fields) replaces the stored values it names.
async fn section_page(
    app: &ConsoleApp,
    layout: Layout,
    id: i32,
    posted: Option<Values>,
    errors: FormErrors,
) -> Result<SectionPage, AppError> {
    let (s, c, meeting_list, roster, waitlist, basket_count, depts) =
        app.db.query(move |conn| load_section(conn, id)).await?;
    let mut values = Values::default();
    values.set("instructor", &s.instructor);
    values.set("waitlist_capacity", s.waitlist_capacity);
    values.set("capacity", s.capacity);
    if let Some(d) = s.restrict_department_id {
        values.set("restrict_department_id", d);
    }
    for (i, f) in YEARS.iter().enumerate() {
        if s.restrict_class_years & (1 << i) != 0 {
            values.set(f, "1");
        }
    }
    for (i, (day, start, end, room)) in meeting_list.iter().take(MEETING_ROWS).enumerate() {
        values.set(DAY[i], day);
        values.set(START[i], forms::hhmm(*start));
        values.set(END[i], forms::hhmm(*end));
        values.set(ROOM[i], room);
    }
    if let Some(p) = posted {
        // Checkboxes post nothing when unticked: a refused form's years are what it posted.
        if p.0.contains_key("instructor") {
            for f in YEARS {
                values.0.remove(f);
            }
        }
        if p.0.keys().any(|k| k.starts_with("m1_")) {
            for i in 0..MEETING_ROWS {
                for f in [DAY[i], START[i], END[i], ROOM[i]] {
                    values.0.remove(f);
                }
            }
        }
        values.0.extend(p.0);
    }
    Ok(SectionPage {
        lists: FormLists::of(&depts, layout.lang, &values),
        layout,
        s,
        c,
        meeting_list,
        roster,
        waitlist,
        basket_count,
        values,
        errors,
    })
}

pub async fn show(c: Console, path: web::Path<i32>) -> Answer {
    let (app, layout, errors) = c.page();
    html(section_page(&app, layout, path.into_inner(), None, errors).await?)
}

/// One form of the section page: `parse` reads what was posted (`first` names a field the form
/// always posts, so a refused form's values replace the stored ones), and refused values show
/// the page again with 422; `write` makes the change in one console transaction and says what
/// it did; the answer is the section page with that message.
async fn section_form<P: Send + 'static>(
    c: Console,
    path: web::Path<i32>,
    mut values: Values,
    first: &str,
    parse: impl FnOnce(&Values, &mut FormErrors) -> Option<P>,
    write: impl Fn(&mut MysqlConnection, &Act, i32, &P, Lang) -> Result<String, TxFail> + Send + 'static,
) -> Answer {
    let (app, r, layout, meta) = c.parts();
    let id = path.into_inner();
    values.0.entry(first.into()).or_default();
    let lang = layout.lang;
    let mut errors = FormErrors::new(lang);
    let parsed = parse(&values, &mut errors).filter(|_| errors.is_empty());
    let Some(parsed) = parsed else {
        return unprocessable(section_page(&app, layout, id, Some(values), errors).await?);
    };
    let result = run(&app, &r, meta, move |conn, act| {
        write(conn, act, id, &parsed, lang)
    })
    .await?;
    let to = format!("/admin/sections/{id}");
    forms::answer(&app, &r, lang, &to, Changed::Catalog, result, |errors| {
        section_page(&app, layout, id, Some(values), errors)
    })
    .await
}

/// Locks the section's row; a cancelled section takes no more edits.
fn lock_open(conn: &mut MysqlConnection, id: i32, at: &'static str) -> Result<reg::Seats, TxFail> {
    let (seats, status) = reg::lock_section(conn, id)?;
    if status != "open" {
        return Err(field("admin.section.is_cancelled", at).into());
    }
    Ok(seats)
}

/// The editable details: instructor, waitlist size, department and class-year restrictions.
struct Details {
    instructor: String,
    waitlist: i64,
    restrict: Option<i32>,
    years: i8,
}

pub async fn update(c: Console, path: web::Path<i32>, values: Values) -> Answer {
    let depts = c.app.db.query(departments::all).await?;
    let parse = move |values: &Values, errors: &mut FormErrors| {
        let instructor = forms::text(errors, "instructor", values.v("instructor"), 100);
        let waitlist = forms::int(
            errors,
            "waitlist_capacity",
            values.v("waitlist_capacity"),
            0,
            MAX_SEATS,
        );
        let restrict = parse_restrict_department(values, &depts, errors);
        Some(Details {
            instructor: instructor?,
            waitlist: waitlist?,
            restrict: restrict?,
            years: parse_years(values),
        })
    };
    section_form(
        c,
        path,
        values,
        "instructor",
        parse,
        |conn, act, id, d, lang| {
            lock_open(conn, id, "instructor")?;
            let changes = q::SectionChanges {
                instructor: &d.instructor,
                waitlist_capacity: d.waitlist as i32,
                restrict_department_id: d.restrict,
                restrict_class_years: d.years,
            };
            q::update_section(conn, id, &changes)?;
            let detail = format!(
                "instructor {}; waitlist {}; department {:?}; years {}",
                d.instructor, d.waitlist, d.restrict, d.years
            );
            act.record(conn, "section_update", None, Some(id), detail)?;
            Ok(lang.text("admin.section.updated").to_string())
        },
    )
    .await
}

pub async fn update_meetings(c: Console, path: web::Path<i32>, values: Values) -> Answer {
    let parse = |values: &Values, errors: &mut FormErrors| Some(parse_meetings(values, errors));
    section_form(
        c,
        path,
        values,
        DAY[0],
        parse,
        |conn, act, id, list, lang| {
            lock_open(conn, id, DAY[0])?;
            q::replace_meetings(conn, id, list)?;
            let shown: Vec<String> = list
                .iter()
                .map(|(m, room)| {
                    format!(
                        "{} {}-{} {room}",
                        m.weekday,
                        forms::hhmm(m.starts),
                        forms::hhmm(m.ends)
                    )
                })
                .collect();
            act.record(conn, "section_meetings", None, Some(id), shown.join("; "))?;
            Ok(lang.text("admin.section.meetings_saved").to_string())
        },
    )
    .await
}

/// Sets the capacity. Below the enrolled count only with `force` and a reason (the section then
/// stays over capacity until students leave; recorded as an override). A raise hands the new
/// seats to the waitlist, first come first served, before anyone else can take them.
pub async fn change_capacity(c: Console, path: web::Path<i32>, values: Values) -> Answer {
    let parse = |values: &Values, errors: &mut FormErrors| {
        let capacity = forms::int(errors, "capacity", values.v("capacity"), 0, MAX_SEATS);
        let force = values.on("force");
        let reason = forms::opt_text(errors, "reason", values.v("reason"), 300);
        if force && reason.as_deref().is_some_and(str::is_empty) {
            errors.put("admin.override.reason_required", "reason");
        }
        Some((capacity? as i32, force, reason?))
    };
    section_form(
        c,
        path,
        values,
        "capacity",
        parse,
        |conn, act, id, p, lang| {
            let (capacity, force, reason) = (p.0, p.1, &p.2);
            let seats = lock_open(conn, id, "capacity")?;
            let below = capacity < seats.enrolled;
            if below && !force {
                return Err(field("admin.section.below_enrolled", "capacity")
                    .arg("enrolled", seats.enrolled)
                    .into());
            }
            q::set_capacity(conn, id, capacity)?;
            // A cut takes seats held for the next release time first.
            let held = seats.held_seats.min((capacity - seats.enrolled).max(0));
            if held != seats.held_seats {
                q::set_held_seats(conn, id, held)?;
            }
            let action = if below {
                "override_capacity"
            } else {
                "capacity_change"
            };
            let mut detail = format!(
                "capacity {} -> {capacity} (enrolled {})",
                seats.capacity, seats.enrolled
            );
            if !reason.is_empty() {
                detail.push_str(": ");
                detail.push_str(reason);
            }
            act.record(conn, action, None, Some(id), detail)?;
            let promoted = if capacity > seats.capacity {
                crate::registration::promote_waitlist(conn, id, Utc::now())?
                    .iter()
                    .filter(|p| p.outcome == "ok")
                    .count()
            } else {
                0
            };
            Ok(lang.format(
                "admin.section.capacity_saved",
                &[
                    ("capacity", capacity.to_string()),
                    ("promoted", promoted.to_string()),
                ],
            ))
        },
    )
    .await
}

/// 폐강: in one transaction the section is cancelled, every enrolled student dropped (the counter
/// goes to zero with the rows), its waitlist and basket entries cleared, and each student gets an
/// activity line with the reason and a notice on their home page.
pub async fn cancel(c: Console, path: web::Path<i32>, values: Values) -> Answer {
    let parse = |values: &Values, errors: &mut FormErrors| {
        let reason = forms::text(errors, "cancel_reason", values.v("cancel_reason"), 300);
        if !values.on("confirm") {
            errors.put("admin.section.confirm_required", "confirm");
        }
        reason
    };
    section_form(
        c,
        path,
        values,
        "cancel_reason",
        parse,
        |conn, act, id, reason, lang| {
            let n = cancel_tx(conn, act, id, reason)?;
            Ok(lang.format(
                "admin.section.cancelled_done",
                &[("students", n.to_string())],
            ))
        },
    )
    .await
}

fn cancel_tx(
    conn: &mut MysqlConnection,
    act: &Act,
    id: i32,
    reason: &str,
) -> Result<usize, TxFail> {
    // Students' rows before the section's, as every registration transaction takes them.
    let enrolled = q::enrolled_students(conn, id)?;
    q::lock_users(conn, &enrolled)?;
    lock_open(conn, id, "cancel_reason")?;
    let (c, no) = q::course_and_number(conn, id)?;
    let label = SectionLabel {
        course_code: c.code.clone(),
        section_no: no,
        title_ko: c.title_ko.clone(),
        title_en: c.title_en.clone(),
    };
    // Read again under the lock: whoever enrolled meanwhile is dropped too.
    let dropped = q::cancel_section(conn, id, reason)?;
    let waiting = q::clear_waitlist(conn, id)?;
    let basket = q::clear_baskets(conn, id)?;

    let args = |lang: Lang| {
        [
            ("section", label.show(lang)),
            ("reason", reason.to_string()),
        ]
    };
    let tell = |conn: &mut MysqlConnection,
                student: i32,
                action: &'static str,
                key: &'static str|
     -> QueryResult<()> {
        let mut l = act.line(action);
        l.section_id = Some(id);
        l.student_id = Some(student);
        l.outcome = "section_cancelled".into();
        l.detail = Some(forms::clip(reason.to_string()));
        activity::record(conn, &l)?;
        notices::post(
            conn,
            student,
            NoticeKind::SectionCancelled,
            &Lang::Ko.format(key, &args(Lang::Ko)),
            &Lang::En.format(key, &args(Lang::En)),
        )
    };
    for s in &dropped {
        tell(
            conn,
            *s,
            "section_cancelled",
            "admin.notice.cancelled_enrolled",
        )?;
    }
    for s in &waiting {
        tell(
            conn,
            *s,
            "waitlist_removed",
            "admin.notice.cancelled_waitlist",
        )?;
    }
    for s in basket
        .iter()
        .filter(|s| !dropped.contains(s) && !waiting.contains(s))
    {
        tell(conn, *s, "basket_removed", "admin.notice.cancelled_basket")?;
    }
    let detail = format!(
        "{} dropped, {} waitlisted, {} in baskets: {reason}",
        dropped.len(),
        waiting.len(),
        basket.len()
    );
    act.record(conn, "section_cancel", None, Some(id), detail)?;
    tracing::info!(
        section.id = id,
        dropped = dropped.len(),
        "section cancelled"
    );
    Ok(dropped.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// Meeting row `i` of the form (0 = the first): weekday, start, end, room.
    fn row(
        i: usize,
        day: &'static str,
        start: &'static str,
        end: &'static str,
    ) -> Vec<(&'static str, &'static str)> {
        vec![
            (DAY[i], day),
            (START[i], start),
            (END[i], end),
            (ROOM[i], "공학관 101"),
        ]
    }

    /// What `parse_meetings` makes of these rows, and the fields it refused.
    fn parsed(rows: &[Vec<(&'static str, &'static str)>]) -> (usize, FormErrors) {
        let mut e = FormErrors::new(Lang::En);
        let ok = parse_meetings(&values(&rows.concat()), &mut e);
        (ok.len(), e)
    }

    #[test]
    fn meetings_need_a_start_before_the_end_and_may_not_overlap_each_other() {
        let (ok, e) = parsed(&[row(0, "1", "09:00", "10:15"), row(1, "3", "09:00", "10:15")]);
        assert!(e.is_empty());
        assert_eq!(ok, 2);
        let (_, e) = parsed(&[row(0, "1", "10:00", "09:00")]);
        assert!(e.has("m1_end"));
        let (_, e) = parsed(&[row(0, "2", "09:00", "11:00"), row(1, "2", "10:00", "12:00")]);
        assert!(e.has("m2_start"));
    }

    #[test]
    fn a_section_needs_at_least_one_meeting_on_a_weekday() {
        let (ok, e) = parsed(&[]);
        assert_eq!(ok, 0);
        assert!(e.has("m1_day"));
        let (_, e) = parsed(&[row(0, "7", "09:00", "10:00")]);
        assert!(e.has("m1_day"));
    }

    #[test]
    fn class_year_boxes_make_the_mask() {
        assert_eq!(
            parse_years(&values(&[("year1", "1"), ("year3", "on")])),
            0b101
        );
        assert_eq!(parse_years(&values(&[])), 0);
    }
}
