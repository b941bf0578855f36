//! The published OpenAPI document against the routes the application registers: every `/api/v1`
//! route is documented, and every documented operation reaches a route.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// `{section_id}` and `{id}` alike: a route and its documentation may name a parameter apart.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `(METHOD, /api/v1/...)` registered with `.route("/api/v1/...", web::<method>()...)` in
/// the application's route tables. Whitespace and line breaks between the parts do not matter.
fn registered_api_routes() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let compact: String = text.split_whitespace().collect::<Vec<_>>().join("");
        for piece in compact.split("route(\"/api/v1").skip(1) {
            let Some((rest, after)) = piece.split_once('"') else {
                continue;
            };
            let Some(method) = after
                .strip_prefix(",web::")
                .and_then(|m| m.split_once("()"))
                .map(|(m, _)| m.to_ascii_uppercase())
            else {
                panic!(
                    "{}: a route to /api/v1{rest} without a web::<method>()",
                    file.display()
                );
            };
            routes.insert((method, shape(&format!("/api/v1{rest}"))));
        }
    }
    routes
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                ops.insert((method.to_ascii_uppercase(), shape(path)));
            }
        }
    }
    ops
}

#[tokio::test]
async fn the_published_document_covers_every_api_route_and_nothing_else() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let res = client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");

    let registered = registered_api_routes();
    assert!(
        registered.len() >= 20,
        "the route scan found too few routes: {registered:?}"
    );
    let ops = documented(&doc);
    let undocumented: Vec<_> = registered.difference(&ops).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the OpenAPI document: {undocumented:?}"
    );

    // Every documented operation reaches a route: without a session it is refused (401), read
    // or validated, but never answered "no such route" (404) or "no such method" (405) as a path
    // the application does not have is.
    for (method, path) in [("GET", "/api/v1/no-such-route"), ("DELETE", "/api/v1/time")] {
        let res = client
            .request(
                Method::from_bytes(method.as_bytes()).expect("method"),
                app.url(path),
            )
            .send()
            .await
            .expect("request");
        assert!(
            matches!(
                res.status(),
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ),
            "{method} {path} answered {}",
            res.status()
        );
    }
    for (method, path) in &ops {
        let concrete = path.replace("{}", "1");
        let res = client
            .request(
                Method::from_bytes(method.as_bytes()).expect("method"),
                app.url(&concrete),
            )
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        assert!(
            !matches!(
                res.status(),
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ),
            "{method} {path} is documented but has no route (answered {})",
            res.status()
        );
    }

    // Every operation names its answers, and every error answer is the one error body.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} documents no success answer"
            );
            if path != "/api/v1/time" && path != "/api/v1/openapi.json" {
                for status in ["400", "401", "422", "429", "503"] {
                    let body = &responses[status]["content"]["application/json"]["schema"];
                    assert_eq!(
                        body["$ref"], "#/components/schemas/ErrorBody",
                        "{method} {path} documents no error body for {status}"
                    );
                }
            }
        }
    }
}
