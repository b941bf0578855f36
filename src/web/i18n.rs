//! The one message catalog: every user-facing string in Korean (default) and English.
//! Templates and error bodies look texts up by key; `{name}` placeholders are filled by `format`.

use actix_web::http::header;
use actix_web::HttpRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ko,
    En,
}

pub const LANG_COOKIE: &str = "lang";

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ko" | "ko-kr" => Some(Lang::Ko),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// `?lang=` first, then the `lang` cookie, then Accept-Language; Korean otherwise.
    pub fn from_request(req: &HttpRequest) -> Lang {
        if let Some(lang) = query_lang(req.query_string()) {
            return lang;
        }
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return lang;
        }
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(from_accept_language)
            .unwrap_or_default()
    }

    pub fn text(self, key: &str) -> &'static str {
        match lookup(key) {
            Some((ko, en)) => match self {
                Lang::Ko => ko,
                Lang::En => en,
            },
            None => {
                tracing::warn!(key, "missing message key");
                "?"
            }
        }
    }

    /// The text for `key` with `{name}` placeholders replaced.
    pub fn format(self, key: &str, args: &[(&str, String)]) -> String {
        let mut out = self.text(key).to_string();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

pub fn query_lang(query: &str) -> Option<Lang> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

/// Picks ko or en from an Accept-Language header by quality, first listed on ties.
fn from_accept_language(value: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in value.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(lang) = Lang::parse(primary) {
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
    }
    best.map(|(_, l)| l)
}

/// (key, Korean, English)
static MESSAGES: &[(&str, &str, &str)] = &[
    ("app.name", "구름대학교 수강신청", "Goorm University Course Registration"),
    ("app.short", "수강신청", "Registration"),
    ("nav.home", "내 수강신청", "My registration"),
    ("nav.courses", "강의 검색", "Course search"),
    ("nav.basket", "장바구니", "Basket"),
    ("nav.registration", "수강신청", "Register"),
    ("nav.timetable", "시간표", "Timetable"),
    ("nav.activity", "신청 내역", "Activity"),
    ("nav.admin", "학사 관리", "Registrar console"),
    ("nav.login", "로그인", "Sign in"),
    ("nav.logout", "로그아웃", "Sign out"),
    ("nav.language", "English", "한국어"),
    ("nav.skip", "본문으로 건너뛰기", "Skip to content"),
    ("clock.server_time", "서버 시각", "Server time"),
    ("login.title", "로그인", "Sign in"),
    ("login.intro", "학번(교번)과 비밀번호로 로그인하세요.", "Sign in with your student or staff number and password."),
    ("login.login_id", "학번 / 교번", "Student or staff number"),
    ("login.password", "비밀번호", "Password"),
    ("login.submit", "로그인", "Sign in"),
    ("login.bad_credentials", "학번 또는 비밀번호가 올바르지 않습니다.", "The number or password is not correct."),
    ("login.notice.replaced", "다른 곳에서 로그인되어 이 화면의 로그인이 종료되었습니다. 한 계정은 한 곳에서만 사용할 수 있습니다.", "You were signed out because this account signed in elsewhere. An account can be signed in at one place at a time."),
    ("login.notice.expired", "로그인 시간이 만료되었습니다. 다시 로그인하세요.", "Your session has expired. Please sign in again."),
    ("login.notice.signed_out", "로그아웃되었습니다.", "You have signed out."),
    ("login.notice.required", "로그인이 필요합니다.", "Please sign in to continue."),
    ("home.title", "내 수강신청", "My registration"),
    ("home.welcome", "{name}님, 안녕하세요.", "Hello, {name}."),
    ("home.term", "학기", "Term"),
    ("home.no_term", "현재 진행 중인 학기가 없습니다.", "There is no current term."),
    ("home.department", "소속", "Department"),
    ("home.class_year", "학년", "Year"),
    ("home.class_year_value", "{year}학년", "Year {year}"),
    ("home.status", "학적 상태", "Status"),
    ("home.credit_limit", "신청 가능 학점", "Credit limit"),
    ("home.credits_value", "{credits}학점", "{credits} credits"),
    ("home.windows", "수강신청 일정", "Registration schedule"),
    ("home.window.phase", "구분", "Phase"),
    ("home.window.cohort", "대상", "Who"),
    ("home.window.opens", "시작", "Opens"),
    ("home.window.closes", "종료", "Closes"),
    ("home.window.state", "상태", "State"),
    ("home.no_windows", "등록된 수강신청 일정이 없습니다.", "No registration windows are scheduled."),
    ("home.next_window", "다음 일정까지", "Until your next window"),
    ("home.registrar", "학사 관리 화면에서 학기와 수강신청을 운영하세요.", "Run terms and registration from the registrar console."),
    ("home.holds", "수강신청 제한", "Holds"),
    ("window.state.open", "진행 중", "Open"),
    ("window.state.upcoming", "예정", "Upcoming"),
    ("window.state.closed", "마감", "Closed"),
    ("phase.basket", "장바구니", "Basket"),
    ("phase.register", "수강신청", "Registration"),
    ("phase.add_drop", "수강정정", "Add/drop"),
    ("cohort.all", "전체", "Everyone"),
    ("cohort.year1", "1학년", "Year 1"),
    ("cohort.year2", "2학년", "Year 2"),
    ("cohort.year3", "3학년", "Year 3"),
    ("cohort.year4", "4학년", "Year 4"),
    ("status.enrolled", "재학", "Enrolled"),
    ("status.on_leave", "휴학", "On leave"),
    ("status.graduated", "졸업", "Graduated"),
    ("status.withdrawn", "자퇴", "Withdrawn"),
    ("status.suspended", "정학", "Suspended"),
    ("admin.title", "학사 관리", "Registrar console"),
    ("admin.term_summary", "현재 학기 현황", "Current term"),
    ("admin.sections", "개설 분반", "Sections"),
    ("admin.enrollments", "수강신청 건수", "Enrollments"),
    ("admin.students", "학생 수", "Students"),
    ("admin.full_sections", "마감 분반", "Full sections"),
    ("error.title", "오류", "Error"),
    ("error.back_home", "처음으로", "Back to start"),
    ("error.validation", "입력값을 확인하세요: {detail}", "Please check your input: {detail}"),
    ("error.bad_request", "요청 형식이 올바르지 않습니다: {detail}", "The request is malformed: {detail}"),
    ("error.unauthenticated", "로그인이 필요합니다.", "Please sign in."),
    ("error.bad_credentials", "학번 또는 비밀번호가 올바르지 않습니다.", "The number or password is not correct."),
    ("error.session_replaced", "다른 곳에서 로그인되어 이 로그인은 종료되었습니다.", "This session ended because the account signed in elsewhere."),
    ("error.forbidden", "이 기능을 사용할 권한이 없습니다.", "You do not have permission to do this."),
    ("error.csrf", "보안 토큰이 없거나 올바르지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요.", "The security token is missing or wrong. Reload the page and try again."),
    ("error.not_found", "찾는 페이지나 항목이 없습니다.", "The page or item was not found."),
    ("error.method_not_allowed", "허용되지 않는 요청 방식입니다.", "This method is not allowed here."),
    ("error.payload_too_large", "요청이 너무 큽니다.", "The request is too large."),
    ("error.rate_limited", "요청이 너무 많습니다. {seconds}초 후에 다시 시도하세요.", "Too many requests. Try again in {seconds} seconds."),
    ("error.unavailable", "서비스가 잠시 응답할 수 없습니다. 잠시 후 다시 시도하세요.", "The service is briefly unavailable. Please try again shortly."),
    ("error.internal", "서버 오류가 발생했습니다. 요청 번호: {request_id}", "Something went wrong on our side. Request id: {request_id}"),
    ("field.login_id", "학번", "number"),
    ("field.password", "비밀번호", "password"),
    ("field.required", "{field}을(를) 입력하세요", "{field} is required"),
    ("field.too_long", "{field}이(가) 너무 깁니다 (최대 {max}자)", "{field} is too long (at most {max} characters)"),
    ("field.invalid_chars", "{field}에 사용할 수 없는 문자가 있습니다", "{field} has characters that are not allowed"),
];

fn lookup(key: &str) -> Option<(&'static str, &'static str)> {
    MESSAGES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, ko, en)| (*ko, *en))
}

/// All keys, for the test that every key a template uses exists.
pub fn has_key(key: &str) -> bool {
    lookup(key).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_higher_quality() {
        assert_eq!(
            from_accept_language("en-US,en;q=0.9,ko;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            from_accept_language("ko-KR,ko;q=0.9,en;q=0.8"),
            Some(Lang::Ko)
        );
        assert_eq!(from_accept_language("fr;q=1, en;q=0.2"), Some(Lang::En));
        assert_eq!(from_accept_language("fr, de"), None);
    }

    #[test]
    fn query_language_wins_and_garbage_is_ignored() {
        assert_eq!(query_lang("a=1&lang=en"), Some(Lang::En));
        assert_eq!(query_lang("lang=xx"), None);
        assert_eq!(query_lang("%%%"), None);
    }

    #[test]
    fn catalog_has_no_duplicate_keys_and_no_blank_texts() {
        let mut keys: Vec<&str> = MESSAGES.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "duplicate keys in the message catalog");
        assert!(MESSAGES
            .iter()
            .all(|(_, ko, en)| !ko.is_empty() && !en.is_empty()));
    }

    #[test]
    fn every_key_used_by_templates_and_code_exists() {
        let mut missing = Vec::new();
        for dir in ["templates", "src"] {
            scan(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
                &mut missing,
            );
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalog: {missing:?}"
        );
    }

    fn looks_like_key(s: &str) -> bool {
        s.contains('.')
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.split('.').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
    }

    fn scan(dir: std::path::PathBuf, missing: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                scan(path, missing);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            // Keys are written as t("...") / text("...") / format("...") / msg("...").
            for marker in ["t(\"", "text(\"", "format(\"", "msg(\""] {
                for piece in text.split(marker).skip(1) {
                    if let Some(end) = piece.find('"') {
                        let key = &piece[..end];
                        if looks_like_key(key) && !has_key(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
    }
}
