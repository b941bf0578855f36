//! CSV exports for registrar staff: a section's roster, every enrollment of a term, and the
//! demand report (basket counts against capacity). UTF-8 with a BOM so Excel reads Korean text;
//! headers in the reader's language; quoting by the `csv` crate.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::admin::forms::{Answer, Console};
use crate::catalog::queries;
use crate::db::schema::{
    courses, departments, enrollments, priority_group_members, priority_groups, sections, terms,
    users,
};
use crate::web::layout::seoul;
use crate::web::{html, AppError, Lang, Layout};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A cell a spreadsheet program would run as a formula (`=`, `+`, `-`, `@`, tab or carriage
/// return first) gets a leading `'`, which makes it text (OWASP "CSV injection"). Names and
/// titles typed by anyone reach rosters, so every cell of every export goes through this.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Rows into CSV bytes with the BOM in front; every cell neutralised (see `neutralise`).
pub fn to_csv(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    w.write_record(header.iter().map(|h| neutralise(h).into_owned()))
        .map_err(|e| AppError::Internal(e.into()))?;
    for r in rows {
        w.write_record(r.iter().map(|c| neutralise(c).into_owned()))
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

fn attachment(filename: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

fn headers(lang: Lang, keys: &[&'static str]) -> Vec<&'static str> {
    keys.iter().map(|k| lang.text(k)).collect()
}

/// The CSV file `filename`: the columns' names in the page's language, then the rows.
fn export(lang: Lang, filename: &str, columns: &[&'static str], rows: Vec<Vec<String>>) -> Answer {
    let body = to_csv(&headers(lang, columns), &rows)?;
    Ok(attachment(filename, body))
}

fn when(at: NaiveDateTime) -> String {
    seoul(&Utc.from_utc_datetime(&at))
}

/// Keeps a filename to the characters every browser and OS accept.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct TermQuery {
    term: Option<i32>,
}

/// The requested term, else the current one.
fn term_of(conn: &mut MysqlConnection, requested: Option<i32>) -> QueryResult<(i32, String)> {
    let (id, year, season): (i32, i16, String) = match requested {
        Some(id) => terms::table
            .find(id)
            .select((terms::id, terms::year, terms::season))
            .first(conn)?,
        None => {
            let t = queries::current_term(conn)?.ok_or(diesel::result::Error::NotFound)?;
            (t.id, t.year, t.season)
        }
    };
    Ok((id, format!("{year}-{season}")))
}

type RosterRow = (
    String,
    String,
    Option<String>,
    Option<i8>,
    String,
    NaiveDateTime,
);

pub async fn roster(c: Console, path: web::Path<i32>) -> Answer {
    let (app, _, layout, _) = c.parts();
    let section_id = path.into_inner();
    let lang = layout.lang;
    let (label, rows) = app
        .db
        .run(move |conn| {
            let (code, no): (String, i16) = sections::table
                .inner_join(courses::table)
                .filter(sections::id.eq(section_id))
                .select((courses::code, sections::section_no))
                .first(conn)?;
            let rows: Vec<RosterRow> = enrollments::table
                .inner_join(users::table.left_join(departments::table))
                .filter(enrollments::section_id.eq(section_id))
                .order(users::login_id)
                .select((
                    users::login_id,
                    users::name,
                    departments::code.nullable(),
                    users::class_year,
                    enrollments::source,
                    enrollments::created_at,
                ))
                .load(conn)?;
            Ok((format!("{code}-{no:02}"), rows))
        })
        .await?;
    let columns = [
        "export.col.login_id",
        "export.col.name",
        "export.col.department",
        "export.col.class_year",
        "export.col.source",
        "export.col.enrolled_at",
    ];
    let rows = rows
        .into_iter()
        .map(|(login, name, dept, year, source, at)| {
            vec![
                login,
                name,
                dept.unwrap_or_default(),
                year.map(|y| y.to_string()).unwrap_or_default(),
                source,
                when(at),
            ]
        })
        .collect();
    export(
        lang,
        &format!("roster-{}.csv", safe(&label)),
        &columns,
        rows,
    )
}

type EnrollmentRow = (
    String,
    String,
    String,
    i16,
    String,
    String,
    i8,
    String,
    NaiveDateTime,
);

pub async fn enrollments(c: Console, query: web::Query<TermQuery>) -> Answer {
    let (app, _, layout, _) = c.parts();
    let lang = layout.lang;
    let requested = query.term;
    let (term, rows) = app
        .db
        .run(move |conn| {
            let (term_id, label) = term_of(conn, requested)?;
            let rows: Vec<EnrollmentRow> = enrollments::table
                .inner_join(users::table)
                .inner_join(sections::table)
                .inner_join(courses::table)
                .filter(enrollments::term_id.eq(term_id))
                .order((courses::code, sections::section_no, users::login_id))
                .select((
                    users::login_id,
                    users::name,
                    courses::code,
                    sections::section_no,
                    courses::title_ko,
                    courses::title_en,
                    courses::credits,
                    enrollments::source,
                    enrollments::created_at,
                ))
                .load(conn)?;
            Ok((label, rows))
        })
        .await?;
    let columns = [
        "export.col.login_id",
        "export.col.name",
        "export.col.course_code",
        "export.col.section_no",
        "export.col.title",
        "export.col.credits",
        "export.col.source",
        "export.col.enrolled_at",
    ];
    let rows = rows
        .into_iter()
        .map(|(login, name, code, no, ko, en, credits, source, at)| {
            vec![
                login,
                name,
                code,
                no.to_string(),
                if lang == Lang::En { en } else { ko },
                credits.to_string(),
                source,
                when(at),
            ]
        })
        .collect();
    export(
        lang,
        &format!("enrollments-{}.csv", safe(&term)),
        &columns,
        rows,
    )
}

type SectionRow = (i32, String, i16, String, String, String, i32, i32, String);

pub async fn demand(c: Console, query: web::Query<TermQuery>) -> Answer {
    let (app, _, layout, _) = c.parts();
    let lang = layout.lang;
    let requested = query.term;
    let (term, rows, baskets, waitlists) = app
        .db
        .run(move |conn| {
            let (term_id, label) = term_of(conn, requested)?;
            let rows: Vec<SectionRow> = sections::table
                .inner_join(courses::table)
                .filter(sections::term_id.eq(term_id))
                .order((courses::code, sections::section_no))
                .select((
                    sections::id,
                    courses::code,
                    sections::section_no,
                    courses::title_ko,
                    courses::title_en,
                    sections::instructor,
                    sections::capacity,
                    sections::enrolled,
                    sections::status,
                ))
                .load(conn)?;
            let baskets = crate::admin::queries::basket_counts(conn, term_id)?;
            let waitlists = crate::admin::queries::waitlist_counts(conn, term_id)?;
            Ok((label, rows, baskets, waitlists))
        })
        .await?;
    let columns = [
        "export.col.course_code",
        "export.col.section_no",
        "export.col.title",
        "export.col.instructor",
        "export.col.capacity",
        "export.col.enrolled",
        "export.col.basket",
        "export.col.waitlist",
        "export.col.demand_ratio",
        "export.col.status",
    ];
    let rows = rows
        .into_iter()
        .map(
            |(id, code, no, ko, en, instructor, capacity, enrolled, status)| {
                let basket = baskets.get(&id).copied().unwrap_or(0);
                let ratio = if capacity > 0 {
                    format!("{:.2}", basket as f64 / f64::from(capacity))
                } else {
                    String::new()
                };
                vec![
                    code,
                    no.to_string(),
                    if lang == Lang::En { en } else { ko },
                    instructor,
                    capacity.to_string(),
                    enrolled.to_string(),
                    basket.to_string(),
                    waitlists.get(&id).copied().unwrap_or(0).to_string(),
                    ratio,
                    status,
                ]
            },
        )
        .collect();
    export(lang, &format!("demand-{}.csv", safe(&term)), &columns, rows)
}

#[derive(Template)]
#[template(path = "admin/export.html")]
struct ExportPage {
    layout: Layout,
    term: Option<String>,
    course_code: String,
    section_no: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RosterQuery {
    course_code: Option<String>,
    section_no: Option<String>,
}

/// Every priority group's members, one line per (student, group), in the columns the member
/// import reads back (`student_number`, `group_code`, `name`).
pub async fn groups(c: Console) -> Answer {
    let (app, _, layout, _) = c.parts();
    let lang = layout.lang;
    let rows: Vec<(String, String, String)> = app
        .db
        .run(|conn| {
            Ok(priority_group_members::table
                .inner_join(users::table)
                .inner_join(priority_groups::table)
                .order((priority_groups::code, users::login_id))
                .select((users::login_id, priority_groups::code, users::name))
                .load(conn)?)
        })
        .await?;
    let columns = [
        "export.col.login_id",
        "export.col.group_code",
        "export.col.name",
    ];
    let rows = rows
        .into_iter()
        .map(|(number, group, name)| vec![number, group, name])
        .collect();
    export(lang, "priority-groups.csv", &columns, rows)
}

/// The export page; with `course_code` and `section_no` it finds that section of the current
/// term and sends its roster.
pub async fn page(c: Console, query: web::Query<RosterQuery>) -> Answer {
    let (app, _, layout, _) = c.parts();
    let lang = layout.lang;
    let term = app
        .db
        .run(|conn| Ok(queries::current_term(conn)?))
        .await?
        .map(|t| {
            if lang == Lang::En {
                t.name_en
            } else {
                t.name_ko
            }
        });
    let code = query
        .course_code
        .clone()
        .unwrap_or_default()
        .trim()
        .to_uppercase();
    let no_raw = query.section_no.clone().unwrap_or_default();
    let mut page = ExportPage {
        layout,
        term,
        course_code: code.clone(),
        section_no: no_raw.clone(),
        error: None,
    };
    if code.is_empty() && no_raw.trim().is_empty() {
        return html(page);
    }
    let Ok(no) = no_raw.trim().parse::<i16>() else {
        page.error = Some(lang.text("export.bad_section_no").to_string());
        let body = page.render()?;
        return Ok(HttpResponse::UnprocessableEntity()
            .content_type("text/html; charset=utf-8")
            .body(body));
    };
    let code_q = code.clone();
    let found = app
        .db
        .run(move |conn| {
            Ok(crate::admin::queries::current_section_id(
                conn, &code_q, no,
            )?)
        })
        .await?;
    match found {
        Some(id) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/admin/export/sections/{id}/roster.csv"),
            ))
            .finish()),
        None => {
            page.error = Some(lang.format(
                "export.no_such_section",
                &[("section", format!("{code}-{no}"))],
            ));
            let body = page.render()?;
            Ok(HttpResponse::NotFound()
                .content_type("text/html; charset=utf-8")
                .body(body))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{neutralise, to_csv};

    #[test]
    fn cells_a_spreadsheet_would_run_are_made_text() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for fine in ["김철수", "CSE2010", "3", "", "a=b", "'quoted"] {
            assert_eq!(neutralise(fine), fine);
        }
        let bytes = to_csv(&["이름"], &[vec!["=1+1".into()]]).expect("csv");
        assert_eq!(&bytes[3..], "이름\n'=1+1\n".as_bytes());
    }

    #[test]
    fn csv_has_a_bom_and_quotes_commas_quotes_and_newlines() {
        let bytes = to_csv(
            &["학번", "이름"],
            &[vec!["1".into(), "김, \"철수\"\n2".into()]],
        )
        .expect("csv");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
        assert_eq!(text, "학번,이름\n1,\"김, \"\"철수\"\"\n2\"\n");
    }
}
