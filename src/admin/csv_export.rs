//! CSV exports for registrar staff: a section's roster, every enrollment of a term, and the
//! demand report (basket counts against capacity). UTF-8 with a BOM so Excel reads Korean text;
//! headers in the reader's language; quoting by the `csv` crate.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::{MysqlConnection, QueryResult};
use serde::Deserialize;

use crate::admin::forms::{Answer, Console};
use crate::admin::queries as admin;
use crate::catalog::queries;
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

/// The file `{what}-{of}.csv`, `of` (a section or term) kept to safe characters.
fn filename(what: &str, of: &str) -> String {
    format!("{what}-{}.csv", safe(of))
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

pub async fn roster(c: Console, path: web::Path<i32>) -> Answer {
    let (app, _, layout, _) = c.parts();
    let section_id = path.into_inner();
    let lang = layout.lang;
    let (label, rows) = app
        .db
        .run(move |conn| {
            Ok((
                admin::export::section_label(conn, section_id)?,
                admin::export::roster(conn, section_id)?,
            ))
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
    export(lang, &filename("roster", &label), &columns, rows)
}

pub async fn enrollments(c: Console, query: web::Query<TermQuery>) -> Answer {
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
    let read = admin::export::enrollments;
    term_file(
        c,
        query.term,
        "enrollments",
        &columns,
        read,
        |rows, lang| {
            rows.into_iter()
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
                .collect()
        },
    )
    .await
}

pub async fn demand(c: Console, query: web::Query<TermQuery>) -> Answer {
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
    let read = |conn: &mut MysqlConnection, term_id| {
        let every = admin::SectionFilter::default();
        let rows = admin::term_sections(conn, term_id, &every, 0, i64::MAX)?;
        let baskets = admin::basket_counts(conn, term_id)?;
        let waitlists = admin::waitlist_counts(conn, term_id)?;
        Ok((rows, baskets, waitlists))
    };
    term_file(
        c,
        query.term,
        "demand",
        &columns,
        read,
        |(rows, baskets, waitlists), lang| {
            rows.into_iter()
                .map(|(s, c)| {
                    let basket = baskets.get(&s.id).copied().unwrap_or(0);
                    let ratio = if s.capacity > 0 {
                        format!("{:.2}", basket as f64 / f64::from(s.capacity))
                    } else {
                        String::new()
                    };
                    vec![
                        c.code,
                        s.section_no.to_string(),
                        if lang == Lang::En {
                            c.title_en
                        } else {
                            c.title_ko
                        },
                        s.instructor,
                        s.capacity.to_string(),
                        s.enrolled.to_string(),
                        basket.to_string(),
                        waitlists.get(&s.id).copied().unwrap_or(0).to_string(),
                        ratio,
                        s.status,
                    ]
                })
                .collect()
        },
    )
    .await
}

/// The CSV file `{what}-{term}.csv` of the requested term, else the current one: `read` loads
/// the term's rows, `lines` turns them into the file's lines.
async fn term_file<R: Send + 'static>(
    c: Console,
    requested: Option<i32>,
    what: &str,
    columns: &[&'static str],
    read: impl FnOnce(&mut MysqlConnection, i32) -> QueryResult<R> + Send + 'static,
    lines: impl FnOnce(R, Lang) -> Vec<Vec<String>>,
) -> Answer {
    let (app, _, layout, _) = c.parts();
    let lang = layout.lang;
    let (term, loaded) = app
        .db
        .run(move |conn| {
            let (term_id, label) = admin::export::term_of(conn, requested)?;
            Ok((label, read(conn, term_id)?))
        })
        .await?;
    export(lang, &filename(what, &term), columns, lines(loaded, lang))
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
    let rows = app.db.query(admin::export::group_members).await?;
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
    let term = app.db.query(queries::current_term).await?.map(|t| {
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
        .query(move |conn| admin::current_section_id(conn, &code_q, no))
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
