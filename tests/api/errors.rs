use reqwest::{header, StatusCode};

use crate::helpers::{error_code, TestApp};

#[tokio::test]
async fn unknown_pages_get_an_html_404_and_unknown_api_paths_a_json_404() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let page = app.get(&client, "/no-such-page").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.headers()[header::CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let html = page.text().await.expect("html");
    assert!(html.contains("<html lang=\"ko\">"));
    assert!(html.contains("찾는 페이지나 항목이 없습니다"));

    let api = app.get(&client, "/api/v1/no-such-thing").await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(api).await, "not_found");
}

#[tokio::test]
async fn english_comes_from_the_query_the_cookie_or_accept_language() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let res = app.get(&client, "/login?lang=en").await;
    let set_cookie: Vec<_> = res.headers().get_all(header::SET_COOKIE).iter().collect();
    assert!(set_cookie
        .iter()
        .any(|c| c.to_str().unwrap_or("").starts_with("lang=en")));
    assert!(res
        .text()
        .await
        .expect("html")
        .contains("Sign in with your student or staff number"));
    // The cookie keeps English on the next page.
    let next = app.get(&client, "/login").await.text().await.expect("html");
    assert!(next.contains("<html lang=\"en\">"));

    let browser = app
        .client()
        .get(app.url("/api/v1/nothing"))
        .header(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9,ko;q=0.5")
        .send()
        .await
        .expect("request");
    let body: serde_json::Value = browser.json().await.expect("json");
    assert_eq!(body["error"]["message"], "The page or item was not found.");
}

#[tokio::test]
async fn wrong_methods_and_bad_paths_are_client_errors() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let res = client
        .put(app.url("/api/v1/session"))
        .send()
        .await
        .expect("request");
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = app.get(&client, "/static/../../etc/passwd").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.get(&client, "/static/app.css").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_request_id() {
    let app = TestApp::spawn().await;
    let res = app.get(&app.client(), "/login").await;
    let h = res.headers();
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii");
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "same-origin");
    assert_eq!(h["x-request-id"].to_str().expect("ascii").len(), 32);

    // A client's own id is not taken (it would reach the activity log); the server makes one.
    let chosen = app
        .client()
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-trace-0001")
        .send()
        .await
        .expect("request");
    assert_ne!(chosen.headers()["x-request-id"], "lb-trace-0001");
    assert!(!chosen.headers().contains_key("x-upstream-request-id"));
}

#[tokio::test]
async fn pages_that_need_a_sign_in_redirect_to_it() {
    let app = TestApp::spawn().await;
    let res = app.get(&app.client(), "/").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()[header::LOCATION],
        "/login?notice=required&next=%2F"
    );
    let api = app.get(&app.client(), "/api/v1/me").await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(api).await, "unauthenticated");
}
