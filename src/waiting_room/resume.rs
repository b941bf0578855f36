//! The action a student clicked when the waiting room stopped them, kept for admission.
//!
//! A form post refused with `queue_required` is answered with a redirect to `/queue` whose query
//! carries the form's path and its known fields (never the CSRF token). The queue page offers the
//! action again as a form with the page's own token, so the student confirms it with one click
//! once admitted; nothing is stored on the server and a crafted link can only pre-fill a form the
//! student still has to submit.

use actix_web::dev::ServiceRequest;
use actix_web::web;

/// Form fields a registration action may carry (everything else is dropped).
const FIELDS: &[&str] = &[
    "section_id",
    "course_code",
    "section_no",
    "drop_section_id",
    "add_section_id",
    "add_course_code",
    "add_section_no",
    "codes",
    "next",
    "confirm",
];

/// Form paths that can be resumed.
const PATHS: &[&str] = &[
    "/registration",
    "/registration/quick",
    "/registration/drop",
    "/registration/swap",
    "/waitlist",
    "/waitlist/leave",
    "/basket/register",
];

/// The remembered action: where it posts and what it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    pub path: String,
    pub fields: Vec<(String, String)>,
}

impl Resume {
    /// From a form's path and urlencoded body; `None` for anything that is not a known action.
    pub fn from_form(path: &str, body: &[u8]) -> Option<Resume> {
        if !PATHS.contains(&path) {
            return None;
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        Some(Resume {
            path: path.to_string(),
            fields: keep(pairs),
        })
    }

    /// From `/queue`'s query (`resume=/registration&section_id=12`).
    pub fn from_query(query: &str) -> Option<Resume> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
        let path = pairs.iter().find(|(k, _)| k == "resume")?.1.clone();
        if !PATHS.contains(&path.as_str()) {
            return None;
        }
        Some(Resume {
            path,
            fields: keep(pairs),
        })
    }

    /// `/queue?resume=...&field=...`
    pub fn queue_url(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![("resume", self.path.as_str())];
        pairs.extend(self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        match serde_urlencoded::to_string(pairs) {
            Ok(q) => format!("/queue?{q}"),
            Err(_) => "/queue".to_string(),
        }
    }

    /// The section id the action names, for naming it on the page.
    pub fn section_id(&self) -> Option<i32> {
        self.fields
            .iter()
            .find(|(k, _)| k == "section_id" || k == "add_section_id")
            .and_then(|(_, v)| v.parse().ok())
    }

    /// The i18n key of the action's name.
    pub fn action_key(&self) -> &'static str {
        match self.path.as_str() {
            "/registration/quick" => "queue.resume.quick",
            "/registration/drop" => "queue.resume.drop",
            "/registration/swap" => "queue.resume.swap",
            "/waitlist" => "queue.resume.waitlist",
            "/waitlist/leave" => "queue.resume.waitlist_leave",
            "/basket/register" => "queue.resume.basket",
            _ => "queue.resume.register",
        }
    }
}

fn keep(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .filter(|(k, v)| FIELDS.contains(&k.as_str()) && v.len() <= 1000)
        .take(FIELDS.len())
        .collect()
}

/// Reads a refused form's body (bounded) and gives the waiting-room URL that remembers it.
pub async fn queue_url_for(req: &mut ServiceRequest, route: &str) -> String {
    let body = req.extract::<web::Bytes>().await.unwrap_or_default();
    if body.len() > 4096 {
        return "/queue".to_string();
    }
    Resume::from_form(route, &body)
        .map(|r| r.queue_url())
        .unwrap_or_else(|| "/queue".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_register_form_is_remembered_without_its_csrf_token() {
        let r = Resume::from_form(
            "/registration",
            b"csrf_token=secret&section_id=12&next=%2Fbasket&evil=1",
        )
        .expect("a known action");
        assert_eq!(
            r.fields,
            vec![
                ("section_id".to_string(), "12".to_string()),
                ("next".to_string(), "/basket".to_string())
            ]
        );
        let url = r.queue_url();
        assert!(!url.contains("secret") && !url.contains("evil"), "{url}");
        assert_eq!(Resume::from_query(&url["/queue?".len()..]), Some(r));
    }

    #[test]
    fn unknown_paths_are_not_resumed() {
        assert_eq!(Resume::from_form("/logout", b"x=1"), None);
        assert_eq!(
            Resume::from_query("resume=%2Fadmin%2Fcontrols%2Ffreeze"),
            None
        );
        assert_eq!(
            Resume::from_query("resume=https%3A%2F%2Fevil.example"),
            None
        );
        assert_eq!(Resume::from_query("section_id=1"), None);
    }
}
