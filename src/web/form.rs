//! What every form shares: the posted values, field errors shown beside their inputs (in the
//! page's language), the parsers for what a form posts (Seoul wall-clock times, minutes of the
//! day, course codes, bounded numbers and texts), and the answers: the page again with its
//! errors (422) or post/redirect/get with a one-time message.

use std::collections::HashMap;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Seoul;
use futures_util::future::LocalBoxFuture;

use crate::cache::Cache;
use crate::domain::{CourseCode, MinuteOfDay, ParseError};
use crate::session::Session;
use crate::web::flash::{self, Flash, Level};
use crate::web::{AppError, Lang};

/// One problem with one field, as a catalog key with arguments (rendered in the page's language).
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// `arg` for an error already recorded (`errors.put(..).and(..)`).
    pub fn and(&mut self, name: &'static str, value: impl ToString) -> &mut Self {
        self.args.push((name, value.to_string()));
        self
    }
}

/// The errors of one submitted form, shown beside their fields.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    lang: Lang,
    items: Vec<FieldError>,
}

impl FormErrors {
    pub fn new(lang: Lang) -> Self {
        FormErrors {
            lang,
            items: Vec::new(),
        }
    }

    /// Records `key` (a catalog key) against `field`; returns it so arguments can be added.
    pub fn put(&mut self, key: &'static str, field: &'static str) -> &mut FieldError {
        self.items.push(FieldError {
            field,
            key,
            args: Vec::new(),
        });
        let last = self.items.len() - 1;
        &mut self.items[last]
    }

    pub fn push(&mut self, e: FieldError) {
        self.items.push(e);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    #[cfg(test)]
    pub fn has(&self, field: &str) -> bool {
        self.items.iter().any(|e| e.field == field)
    }

    /// Every (field, message), for the summary above the forms: a refused form may not be on the
    /// page any more (a section just cancelled, an enrollment just dropped).
    pub fn list(&self) -> Vec<(&'static str, String)> {
        self.items
            .iter()
            .map(|e| (e.field, self.lang.format(e.key, &e.args)))
            .collect()
    }

    /// The message for `field`, in the page's language (the first one when there are several).
    pub fn get(&self, field: &str) -> Option<String> {
        self.items
            .iter()
            .find(|e| e.field == field)
            .map(|e| self.lang.format(e.key, &e.args))
    }
}

pub fn field(key: &'static str, field: &'static str) -> FieldError {
    FieldError {
        field,
        key,
        args: Vec::new(),
    }
}

/// What a form posted, by field name; a missing field reads as empty. As an extractor it reads
/// the urlencoded body under the app's `FormConfig` (size limit, clear 4xx errors).
#[derive(Debug, Clone, Default)]
pub struct Values(pub HashMap<String, String>);

impl FromRequest for Values {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<HashMap<String, String>>::from_request(req, payload);
        Box::pin(async move { Ok(Values(form.await?.into_inner())) })
    }
}

impl Values {
    pub fn v(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn on(&self, name: &str) -> bool {
        checked(self.v(name))
    }

    pub fn set(&mut self, name: &str, value: impl ToString) {
        self.0.insert(name.to_string(), value.to_string());
    }
}

// ---- parsers: each records its error and returns `None` on bad input ----

/// The trimmed value, or `None` with a "required" error when it is empty.
fn required<'a>(errors: &mut FormErrors, name: &'static str, raw: &'a str) -> Option<&'a str> {
    let v = raw.trim();
    if v.is_empty() {
        errors.put("admin.error.required", name);
        return None;
    }
    Some(v)
}

/// A required single-line text of at most `max` characters, trimmed.
pub fn text(errors: &mut FormErrors, name: &'static str, raw: &str, max: usize) -> Option<String> {
    let v = required(errors, name, raw)?;
    opt_text(errors, name, v, max)
}

/// An optional text (empty is fine) of at most `max` characters, trimmed.
pub fn opt_text(
    errors: &mut FormErrors,
    name: &'static str,
    raw: &str,
    max: usize,
) -> Option<String> {
    bounded(errors, name, raw, max, |c| !c.is_control())
}

/// An optional text that may span lines (tabs and line breaks allowed), trimmed.
pub fn opt_text_multiline(
    errors: &mut FormErrors,
    name: &'static str,
    raw: &str,
    max: usize,
) -> Option<String> {
    bounded(errors, name, raw, max, |c| {
        !c.is_control() || matches!(c, '\n' | '\r' | '\t')
    })
}

fn bounded(
    errors: &mut FormErrors,
    name: &'static str,
    raw: &str,
    max: usize,
    allowed: fn(char) -> bool,
) -> Option<String> {
    let v = raw.trim();
    if v.chars().count() > max {
        errors.put("admin.error.too_long", name).and("max", max);
        return None;
    }
    if !v.chars().all(allowed) {
        errors.put("admin.error.invalid_chars", name);
        return None;
    }
    Some(v.to_string())
}

/// A required whole number within `min..=max`.
pub fn int(
    errors: &mut FormErrors,
    name: &'static str,
    raw: &str,
    min: i64,
    max: i64,
) -> Option<i64> {
    let v = required(errors, name, raw)?;
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        Ok(_) => {
            errors
                .put("admin.error.range", name)
                .and("min", min)
                .and("max", max);
            None
        }
        Err(_) => {
            errors.put("admin.error.number", name);
            None
        }
    }
}

/// A `datetime-local` value (`2027-02-10T10:00`, seconds optional) read as Seoul wall-clock
/// time; returns the UTC instant to store.
pub fn seoul_datetime(
    errors: &mut FormErrors,
    name: &'static str,
    raw: &str,
) -> Option<NaiveDateTime> {
    let v = required(errors, name, raw)?;
    let parsed = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok());
    // Korea keeps no daylight saving time: every wall-clock time names exactly one instant.
    match parsed.and_then(|local| Seoul.from_local_datetime(&local).single()) {
        Some(at) if (2000..=2100).contains(&chrono::Datelike::year(&at)) => {
            Some(at.with_timezone(&Utc).naive_utc())
        }
        _ => {
            errors.put("admin.error.datetime", name);
            None
        }
    }
}

/// A stored UTC instant as the value of a `datetime-local` input in Seoul time.
pub fn datetime_input(at: &NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&Seoul)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A stored UTC instant as a reader sees it, in Seoul time.
pub fn seoul_display(at: &NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&Seoul)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn date(errors: &mut FormErrors, name: &'static str, raw: &str) -> Option<NaiveDate> {
    let v = required(errors, name, raw)?;
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
        _ => {
            errors.put("admin.error.date", name);
            None
        }
    }
}

/// A required form field holding a time of day (`MinuteOfDay`), in minutes from midnight.
pub fn minute_of_day(errors: &mut FormErrors, name: &'static str, raw: &str) -> Option<i16> {
    let v = required(errors, name, raw)?;
    match MinuteOfDay::parse(v) {
        // At most 24:00, so it fits the column.
        Ok(m) => Some(m.minutes() as i16),
        Err(_) => {
            errors.put("admin.error.time", name);
            None
        }
    }
}

/// A required form field holding a course code (`CourseCode`).
pub fn course_code(errors: &mut FormErrors, name: &'static str, raw: &str) -> Option<CourseCode> {
    match CourseCode::parse(raw) {
        Ok(code) => Some(code),
        Err(ParseError::Empty) => {
            errors.put("admin.error.required", name);
            None
        }
        Err(_) => {
            errors.put("admin.error.code", name);
            None
        }
    }
}

/// A stored time of day as a form shows it (`09:00`).
pub fn hhmm(minutes: i16) -> String {
    MinuteOfDay::stored(u16::try_from(minutes).unwrap_or_default()).to_string()
}

pub fn checked(raw: &str) -> bool {
    matches!(raw.trim(), "1" | "on" | "true" | "yes")
}

// ---- answers ----

/// Re-renders a form page with its errors: 422, nothing was changed.
pub fn unprocessable(page: impl askama::Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// Post/redirect/get with a one-time message for the session's next page.
pub async fn see_other(
    cache: &Cache,
    session: &Session,
    to: &str,
    level: Level,
    message: String,
) -> Result<HttpResponse, AppError> {
    let cookie = flash::set(cache, session, &Flash { level, message }).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .cookie(cookie)
        .finish())
}

/// A value as one query-string component (`a b&c` → `a+b%26c`).
pub fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|v| v.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// An option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl ToString, label: impl ToString, current: &str) -> Choice {
        let value = value.to_string();
        Choice {
            selected: value == current,
            value,
            label: label.to_string(),
        }
    }
}

pub fn pick(lang: Lang, ko: &str, en: &str) -> String {
    match lang {
        Lang::Ko => ko.to_string(),
        Lang::En => en.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seoul_wall_clock_is_stored_as_utc() {
        let mut e = FormErrors::new(Lang::En);
        let at = seoul_datetime(&mut e, "opens_at", "2027-02-10T10:00").expect("valid");
        assert_eq!(at.to_string(), "2027-02-10 01:00:00");
        assert_eq!(datetime_input(&at), "2027-02-10T10:00");
        assert!(e.is_empty());
    }

    #[test]
    fn malformed_datetimes_are_field_errors() {
        let mut e = FormErrors::new(Lang::En);
        for bad in [
            "",
            "2027-02-30T10:00",
            "tomorrow",
            "2027-02-10T25:00",
            "1800-01-01T00:00",
        ] {
            assert!(seoul_datetime(&mut e, "opens_at", bad).is_none(), "{bad}");
        }
        assert!(e.has("opens_at"));
    }

    #[test]
    fn minutes_of_the_day_run_from_midnight_to_midnight() {
        let mut e = FormErrors::new(Lang::En);
        assert_eq!(minute_of_day(&mut e, "start", "09:00"), Some(540));
        assert_eq!(minute_of_day(&mut e, "start", "24:00"), Some(1440));
        assert_eq!(minute_of_day(&mut e, "start", "00:00"), Some(0));
        assert!(e.is_empty());
        assert_eq!(minute_of_day(&mut e, "start", "9:30"), Some(570));
        assert!(e.is_empty());
        for bad in [
            "24:01", "9", "ab:cd", "-1:00", "12:60", "09:005", "+9:00", "9:0", "123:00", "09:5x",
        ] {
            assert!(minute_of_day(&mut e, "start", bad).is_none(), "{bad}");
        }
        assert_eq!(hhmm(615), "10:15");
    }

    #[test]
    fn numbers_outside_their_range_are_refused() {
        let mut e = FormErrors::new(Lang::En);
        assert_eq!(int(&mut e, "capacity", " 40 ", 0, 10_000), Some(40));
        assert!(int(&mut e, "capacity", "-1", 0, 10_000).is_none());
        assert!(int(&mut e, "capacity", "4.5", 0, 10_000).is_none());
        assert!(e.has("capacity"));
    }
}
