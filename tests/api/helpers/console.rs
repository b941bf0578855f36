//! What the registrar console's tests share: forms posted with the CSRF field, pages read as
//! text, the assertions on a refused form, and the CSV upload as a browser sends it.

use chrono::Utc;
use chrono_tz::Asia::Seoul;
use reqwest::{header, Response, StatusCode};

use crate::helpers::{RegStudent, TestApp};

/// Posts a form with the CSRF token field, as the console's pages do.
pub async fn post_form(
    app: &TestApp,
    who: &RegStudent,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", who.csrf.as_str())];
    form.extend_from_slice(fields);
    who.client
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .expect("request")
}

pub async fn get_text(app: &TestApp, who: &RegStudent, path: &str) -> (StatusCode, String) {
    let res = who.client.get(app.url(path)).send().await.expect("request");
    (res.status(), res.text().await.expect("body"))
}

/// Asserts the form was refused with an error beside `field`, and returns the page.
pub async fn refused(res: Response, field: &str) -> String {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
    let html = res.text().await.expect("html");
    assert!(
        html.contains(&format!("class=\"field-error\" data-field=\"{field}\"")),
        "no error beside {field}"
    );
    html
}

/// Asserts the form was refused with `field` named in the summary above the forms (used when
/// the refused form is no longer on the page).
pub async fn summarized(res: Response, field: &str) -> String {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
    let html = res.text().await.expect("html");
    assert!(
        html.contains(&format!("class=\"error-summary\" data-field=\"{field}\"")),
        "no summary line for {field}"
    );
    html
}

pub fn location(res: &Response) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "expected a redirect");
    res.headers()[header::LOCATION]
        .to_str()
        .expect("ascii")
        .to_string()
}

/// A UTC instant as a `datetime-local` value in Seoul time.
pub fn seoul_input(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&Seoul)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Posts the import form as multipart (the way a browser uploads a file).
pub async fn upload(
    app: &TestApp,
    who: &RegStudent,
    kind: &str,
    file: &[u8],
    password: &str,
) -> reqwest::Response {
    upload_with(app, &who.client, &who.csrf, kind, file, password).await
}

/// The same from any client, with `token` in the form body (as the page's form sends it).
pub async fn upload_with(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    kind: &str,
    file: &[u8],
    password: &str,
) -> reqwest::Response {
    let b = "----sugangtestboundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("csrf_token", token),
        ("kind", kind),
        ("initial_password", password),
    ] {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    client
        .post(app.url("/admin/import"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={b}"),
        )
        .body(body)
        .send()
        .await
        .expect("request")
}

/// The upload id of the apply button on a clean preview.
pub fn upload_id(html: &str) -> Option<String> {
    html.split("name=\"upload\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(str::to_string)
}
