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
    ("account.password.title", "비밀번호 변경", "Change password"),
    ("account.password.intro", "새 비밀번호는 12자 이상 128자 이하이며, 학번(아이디)이나 흔한 비밀번호는 쓸 수 없습니다. 변경하면 다른 곳의 로그인은 모두 종료됩니다.", "The new password must be 12 to 128 characters, not your login id and not a common password. Changing it signs out every other session of your account."),
    ("account.password.current", "현재 비밀번호", "Current password"),
    ("account.password.new", "새 비밀번호", "New password"),
    ("account.password.confirm", "새 비밀번호 확인", "New password again"),
    ("account.password.submit", "비밀번호 변경", "Change password"),
    ("account.password.changed", "비밀번호가 변경되었습니다. 다른 곳의 로그인은 종료되었습니다.", "Your password was changed. Every other session has been signed out."),
    ("field.current_password", "현재 비밀번호", "current password"),
    ("account.otp.title", "임시 비밀번호 발급", "One-time password issued"),
    ("account.otp.intro", "이 비밀번호는 지금 한 번만 표시되며 저장되지 않습니다. 72시간 동안 한 번 로그인할 수 있고, 로그인하면 바로 비밀번호를 변경해야 합니다. 이 계정의 기존 로그인은 종료되었습니다.", "This password is shown once, now, and is not stored. It signs in once within 72 hours, and the password must be changed right after. The account's existing session has ended."),
    ("account.otp.password", "임시 비밀번호", "One-time password"),
    ("account.otp.expires", "유효 기한", "Valid until"),
    ("account.otp.back", "학생 정보로 돌아가기", "Back to the student"),
    ("account.otp.issue", "임시 비밀번호 발급", "Issue a one-time password"),
    ("account.otp.bulk", "비밀번호 없는 학생 전원에게 임시 비밀번호 발급 (CSV, 한 번만 표시)", "Issue one-time passwords to every student without a password (CSV, shown once)"),
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
    // Registrar console: dashboard, CSV import/export, registration-day controls.
    ("dashboard.generated", "기준 시각", "As of"),
    ("dashboard.refresh_hint", "몇 초마다 자동으로 갱신됩니다 (JavaScript 사용 시).", "Refreshes every few seconds (with JavaScript)."),
    ("dashboard.frozen", "수강신청이 중지되어 있습니다. 운영 화면에서 해제하세요.", "Registration is frozen. Unfreeze it on the registration-day page."),
    ("dashboard.seats_filled", "좌석 충원", "Seats filled"),
    ("dashboard.per_minute", "분당 수강신청", "Enrollments per minute"),
    ("dashboard.per_minute_help", "최근 10분, 신청·교체·대기 승격 성공 건수. 합계:", "Last 10 minutes: successful enrolls, swaps and waitlist promotions. Total:"),
    ("dashboard.minute", "시각", "Minute"),
    ("dashboard.count", "건수", "Count"),
    ("dashboard.refusals", "거절 사유", "Refusals by reason"),
    ("dashboard.refusals_help", "최근 10분 동안 거절된 수강신청 요청. 합계:", "Registration requests refused in the last 10 minutes. Total:"),
    ("dashboard.reason", "사유", "Reason"),
    ("dashboard.code", "코드", "Code"),
    ("dashboard.none", "없음", "None"),
    ("dashboard.waiting_room", "대기실", "Waiting room"),
    ("dashboard.room_state", "상태", "State"),
    ("dashboard.on", "사용 중", "On"),
    ("dashboard.off", "꺼짐", "Off"),
    ("dashboard.room_waiting", "대기 인원", "Waiting"),
    ("dashboard.room_active", "입장 중 / 동시 입장 한도", "Admitted now / concurrency"),
    ("dashboard.room_rate", "초당 입장 허용", "Admissions per second"),
    ("dashboard.room_unavailable", "대기실 정보를 지금 읽을 수 없습니다.", "Waiting-room figures are unavailable right now."),
    ("dashboard.errors", "오류율", "Error rate"),
    ("dashboard.errors.share", "5xx 응답 비율", "Share of 5xx answers"),
    ("dashboard.errors.scope", "범위", "Covers"),
    ("dashboard.errors.window", "이 인스턴스, 최근 {seconds}초", "this instance, last {seconds} s"),
    ("dashboard.errors.since_start", "이 인스턴스, 시작 이후", "this instance, since it started"),
    ("refusal.window_closed", "신청 기간 아님", "Window closed"),
    ("refusal.hold", "수강 제한", "Hold"),
    ("refusal.not_eligible", "신청 자격 없음", "Not eligible"),
    ("refusal.already_enrolled", "이미 신청함", "Already enrolled"),
    ("refusal.duplicate_course", "같은 과목 중복", "Duplicate course"),
    ("refusal.time_conflict", "시간 중복", "Time conflict"),
    ("refusal.prerequisite_missing", "선수과목 미이수", "Prerequisite missing"),
    ("refusal.credit_limit", "학점 초과", "Credit limit"),
    ("refusal.section_full", "정원 마감", "Section full"),
    ("refusal.not_enrolled", "신청하지 않은 분반", "Not enrolled"),
    ("refusal.waitlist_full", "대기 명단 마감", "Waitlist full"),
    ("refusal.already_waitlisted", "이미 대기 중", "Already waitlisted"),
    ("refusal.not_waitlisted", "대기 명단에 없음", "Not waitlisted"),
    ("refusal.waitlist_not_needed", "대기 불필요", "Waitlist not needed"),
    ("refusal.rate_limited", "요청 과다", "Rate limited"),
    ("refusal.penalised", "요청 과다로 일시 차단", "Blocked for excess requests"),
    ("controls.title", "수강신청 운영", "Registration day"),
    ("controls.save", "저장", "Save"),
    ("controls.frozen_message", "수강신청이 일시 중지되었습니다: {reason}", "Registration is paused: {reason}"),
    ("controls.freeze.title", "수강신청 중지", "Freeze registration"),
    ("controls.freeze.is_frozen", "지금 중지되어 있습니다", "Registration is frozen"),
    ("controls.freeze.is_open", "수강신청이 정상 운영 중입니다.", "Registration is running normally."),
    ("controls.freeze.reason", "중지 사유 (학생에게 표시됩니다)", "Reason (shown to students)"),
    ("controls.freeze.help", "중지하면 학생의 신청·취소·교체·대기·장바구니 변경이 거절되고 사유가 표시됩니다. 조회는 계속 됩니다.", "While frozen, students' enroll, drop, swap, waitlist and basket changes are refused with this reason. Pages stay readable."),
    ("controls.freeze.freeze", "중지", "Freeze"),
    ("controls.freeze.update", "사유 변경", "Update reason"),
    ("controls.freeze.unfreeze", "재개", "Unfreeze"),
    ("controls.banner.title", "공지 배너", "Incident banner"),
    ("controls.banner.enabled", "모든 페이지 상단에 표시", "Show at the top of every page"),
    ("controls.banner.text_ko", "배너 문구 (한국어)", "Banner text (Korean)"),
    ("controls.banner.text_en", "배너 문구 (영어, 비우면 한국어 문구)", "Banner text (English; Korean is used when empty)"),
    ("controls.room.title", "대기실", "Waiting room"),
    ("controls.room.help", "켜면 수강신청 요청에 입장권이 필요합니다. 값은 모든 서버에 즉시 적용됩니다.", "When on, registration actions need an admission pass. Changes apply to every instance at once."),
    ("controls.room.enabled", "대기실 사용", "Waiting room on"),
    ("controls.room.rate", "초당 입장 허용 (1–10000)", "Admissions per second (1–10000)"),
    ("controls.room.concurrency", "동시 입장 한도 (1–1000000)", "Concurrent passes (1–1000000)"),
    ("controls.room.pass_ttl", "입장권 유효 시간, 초 (30–3600)", "Pass idle timeout, seconds (30–3600)"),
    ("controls.allocation.title", "장바구니 배정", "Basket allocation"),
    ("controls.allocation.help", "정원 안의 장바구니를 한 번에 신청 처리합니다:", "Enroll basket holders where demand fits capacity:"),
    ("controls.error.reason_required", "사유를 입력하세요.", "Enter a reason."),
    ("controls.error.banner_required", "배너를 켜려면 한국어 문구를 입력하세요.", "Enter the Korean text to show the banner."),
    ("controls.error.too_long", "{max}자 이하로 입력하세요.", "Use at most {max} characters."),
    ("controls.error.range", "{min}에서 {max} 사이의 정수를 입력하세요.", "Enter a whole number from {min} to {max}."),
    ("controls.done.frozen", "수강신청을 중지했습니다.", "Registration is frozen."),
    ("controls.done.unfrozen", "수강신청을 재개했습니다.", "Registration is running again."),
    ("controls.done.banner", "공지 배너를 저장했습니다.", "Banner saved."),
    ("controls.done.waiting_room", "대기실 설정을 저장했습니다.", "Waiting-room settings saved."),
    ("import.title", "CSV 가져오기", "CSV import"),
    ("import.upload", "파일 올리기", "Upload"),
    ("import.help", "먼저 미리보기로 모든 줄을 검사합니다. 오류가 하나라도 있으면 아무것도 반영되지 않습니다. 최대 2 MB, UTF-8 (BOM 있어도 됨).", "A preview checks every line first. If any line has an error, nothing is applied. Up to 2 MB, UTF-8 (with or without BOM)."),
    ("import.kind", "종류", "Kind"),
    ("import.kind.courses", "교과목", "Courses"),
    ("import.kind.sections", "분반과 강의시간 (현재 학기)", "Sections with meetings (current term)"),
    ("import.kind.students", "학생", "Students"),
    ("import.file", "CSV 파일", "CSV file"),
    ("import.text", "또는 CSV 내용 붙여넣기", "Or paste the CSV"),
    ("import.initial_password", "초기 비밀번호 (학생, 선택)", "Initial password (students, optional)"),
    ("import.initial_password_help", "비우면 가져온 학생은 비밀번호가 설정될 때까지 로그인할 수 없습니다. 입력하면 모든 학생에게 같은 초기 비밀번호가 설정됩니다 (8–128자).", "Left empty, imported students cannot sign in until a password is set. Given, every imported student gets this initial password (8–128 characters)."),
    ("import.preview_submit", "미리보기", "Preview"),
    ("import.preview", "미리보기", "Preview"),
    ("import.preview_ok", "{rows}줄 모두 반영할 수 있습니다.", "All {rows} lines can be applied."),
    ("import.preview_errors", "{rows}줄 중 {errors}줄에 오류가 있어 반영할 수 없습니다.", "{errors} of {rows} lines have errors: nothing can be applied."),
    ("import.apply", "모두 반영", "Apply all"),
    ("import.cancel", "취소", "Cancel"),
    ("import.fix_and_retry", "오류를 고친 뒤 다시 올리세요.", "Fix the errors and upload again."),
    ("import.line", "줄", "Line"),
    ("import.subject", "대상", "Item"),
    ("import.outcome", "결과", "Outcome"),
    ("import.line_ok", "정상", "OK"),
    ("import.formats", "열 형식", "Column layouts"),
    ("import.formats_help", "첫 줄은 머리글입니다. 영어 또는 괄호 안의 한국어 이름을 쓸 수 있고 순서는 자유입니다. *는 필수.", "The first line is the header: English names or the Korean ones in brackets, in any order. * = required."),
    ("import.meetings_help", "강의시간: 요일 시작-끝 강의실, 여러 개는 ; 로 구분 (예: 월 09:00-10:15 공학관 101; 수 09:00-10:15 공학관 101). 학년제한: 1;2. 선수과목: 과목코드를 ; 로 구분.", "Meetings: weekday start-end room, several separated by ; (e.g. Mon 09:00-10:15 ENG 101; Wed 09:00-10:15 ENG 101). Class years: 1;2. Prerequisites: course codes separated by ;."),
    ("import.applied", "{kind} {rows}건을 반영했습니다.", "Applied {rows} rows of {kind}."),
    ("import.err.not_utf8", "UTF-8 파일이 아닙니다. UTF-8로 저장해 다시 올리세요.", "The file is not UTF-8. Save it as UTF-8 and upload again."),
    ("import.err.invalid_chars", "제어 문자(탭, 줄바꿈 등)는 쓸 수 없습니다.", "Control characters (tabs, line breaks, ...) are not allowed."),
    ("import.err.malformed", "CSV 형식 오류: {detail}", "Malformed CSV: {detail}"),
    ("import.err.empty", "파일이 비어 있습니다.", "The file is empty."),
    ("import.err.no_rows", "머리글 아래에 데이터 줄이 없습니다.", "There are no data lines below the header."),
    ("import.err.unknown_column", "알 수 없는 열입니다.", "Unknown column."),
    ("import.err.duplicate_column", "같은 열이 두 번 있습니다.", "This column appears twice."),
    ("import.err.missing_column", "필수 열이 없습니다.", "Required column missing."),
    ("import.err.required", "값이 없습니다.", "Missing value."),
    ("import.err.too_long", "{max}자 이하여야 합니다.", "At most {max} characters."),
    ("import.err.not_a_number", "숫자가 아닙니다: {value}", "Not a whole number: {value}"),
    ("import.err.out_of_range", "{min}에서 {max} 사이여야 합니다.", "Must be from {min} to {max}."),
    ("import.err.unknown_department", "없는 학과 코드입니다: {code}", "Unknown department code: {code}"),
    ("import.err.unknown_course", "없는 과목 코드입니다: {code}", "Unknown course code: {code}"),
    ("import.err.bad_course_code", "과목 코드는 영문·숫자 2–16자입니다: {code}", "A course code is 2–16 letters and digits: {code}"),
    ("import.err.course_exists", "이미 있는 과목입니다: {code}", "This course exists already: {code}"),
    ("import.err.section_exists", "이번 학기에 이미 있는 분반입니다: {section}", "This section exists already this term: {section}"),
    ("import.err.duplicate_in_file", "{line}번째 줄과 중복됩니다.", "Duplicate of line {line}."),
    ("import.err.bad_category", "알 수 없는 이수구분입니다: {value}", "Unknown category: {value}"),
    ("import.err.self_prerequisite", "자기 자신을 선수과목으로 둘 수 없습니다.", "A course cannot be its own prerequisite."),
    ("import.err.no_current_term", "현재 학기가 없습니다.", "There is no current term."),
    ("import.err.bad_class_years", "학년제한은 1–4를 ; 로 구분합니다: {value}", "Class years are 1–4 separated by ;: {value}"),
    ("import.err.meeting_format", "강의시간 형식은 '요일 09:00-10:15 강의실'입니다: {meeting}", "A meeting is 'weekday 09:00-10:15 room': {meeting}"),
    ("import.err.bad_weekday", "요일은 월–토(Mon–Sat)입니다: {meeting}", "The weekday must be Mon–Sat (월–토): {meeting}"),
    ("import.err.bad_time", "시간은 HH:MM-HH:MM 입니다: {meeting}", "Times are HH:MM-HH:MM: {meeting}"),
    ("import.err.time_order", "시작 시각이 끝 시각보다 빨라야 합니다: {meeting}", "The start must be before the end: {meeting}"),
    ("import.err.room_missing", "강의실이 없습니다: {meeting}", "The room is missing: {meeting}"),
    ("import.err.room_too_long", "강의실은 50자 이하입니다: {meeting}", "A room has at most 50 characters: {meeting}"),
    ("import.err.meetings_overlap", "같은 분반의 강의시간이 겹칩니다: {meeting}", "Overlaps another meeting of this section: {meeting}"),
    ("import.err.bad_login_id", "학번은 영문·숫자·-·_ 32자 이하입니다: {value}", "A student number is up to 32 letters, digits, - or _: {value}"),
    ("import.err.login_exists", "이미 있는 학번입니다: {value}", "This student number exists already: {value}"),
    ("import.err.bad_status", "알 수 없는 학적상태입니다: {value}", "Unknown student status: {value}"),
    ("import.err.too_large", "파일이 너무 큽니다. 최대 {mb} MB입니다.", "The file is too large: at most {mb} MB."),
    ("import.err.kind", "가져올 종류를 고르세요.", "Choose what to import."),
    ("import.err.no_file", "CSV 파일을 고르거나 내용을 붙여넣으세요.", "Choose a CSV file or paste its content."),
    ("import.err.password", "초기 비밀번호는 8–128자입니다.", "The initial password has 8–128 characters."),
    ("import.err.expired", "미리보기가 만료되었거나 이미 반영되었습니다. 다시 올리세요.", "This preview expired or was applied already. Upload again."),
    ("import.err.apply_refused", "반영하지 않았습니다: 그사이 데이터가 바뀌었습니다. 아래 오류를 확인하세요.", "Nothing was applied: the data changed since the preview. See the errors below."),
    ("import.err.concurrent", "다른 가져오기가 같은 항목을 먼저 반영했습니다. 아무것도 반영하지 않았습니다.", "Another import applied the same items first. Nothing was applied."),
    ("export.title", "CSV 내보내기", "CSV export"),
    ("export.help", "UTF-8 (BOM 포함) CSV로 Excel에서 한글이 바로 열립니다.", "UTF-8 CSV with a BOM, so Excel opens Korean text directly."),
    ("export.term", "현재 학기", "Current term"),
    ("export.enrollments", "전체 수강신청 내역", "All enrollments"),
    ("export.demand", "수요 보고서 (장바구니 대비 정원)", "Demand report (baskets against capacity)"),
    ("export.roster", "분반 명단", "Section roster"),
    ("export.roster_help", "현재 학기의 분반을 과목 코드와 분반 번호로 찾습니다.", "Finds the current term's section by course code and section number."),
    ("export.download", "내려받기", "Download"),
    ("export.bad_section_no", "분반 번호는 1–999의 정수입니다.", "The section number is a whole number from 1 to 999."),
    ("export.no_such_section", "현재 학기에 없는 분반입니다: {section}", "No such section this term: {section}"),
    ("export.col.login_id", "학번", "Student number"),
    ("export.col.name", "이름", "Name"),
    ("export.col.department", "학과", "Department"),
    ("export.col.class_year", "학년", "Class year"),
    ("export.col.source", "경로", "Source"),
    ("export.col.enrolled_at", "신청 시각 (KST)", "Enrolled at (KST)"),
    ("export.col.course_code", "과목코드", "Course code"),
    ("export.col.section_no", "분반", "Section"),
    ("export.col.title", "과목명", "Title"),
    ("export.col.credits", "학점", "Credits"),
    ("export.col.instructor", "담당교수", "Instructor"),
    ("export.col.capacity", "정원", "Capacity"),
    ("export.col.enrolled", "신청 인원", "Enrolled"),
    ("export.col.basket", "장바구니", "Baskets"),
    ("export.col.waitlist", "대기 인원", "Waitlist"),
    ("export.col.demand_ratio", "장바구니/정원", "Baskets per seat"),
    ("export.col.status", "상태", "Status"),
    ("admin.nav", "학사 관리 메뉴", "Registrar console menu"),
    ("admin.nav.dashboard", "현황", "Dashboard"),
    ("admin.nav.controls", "수강신청 운영", "Registration day"),
    ("admin.nav.terms", "학기·신청 기간", "Terms and windows"),
    ("admin.nav.departments", "학과", "Departments"),
    ("admin.nav.courses", "교과목", "Courses"),
    ("admin.nav.sections", "분반", "Sections"),
    ("admin.nav.students", "학생", "Students"),
    ("admin.nav.allocation", "장바구니 배정", "Basket allocation"),
    ("admin.nav.import", "CSV 가져오기", "CSV import"),
    ("admin.nav.export", "CSV 내보내기", "CSV export"),
    ("admin.nav.audit", "감사 기록", "Audit log"),
    // ---- registrar console: terms, catalog, students, overrides, audit ----
    ("admin.error.required", "입력하세요", "This is required"),
    ("admin.error.too_long", "최대 {max}자까지 입력할 수 있습니다", "At most {max} characters"),
    ("admin.error.invalid_chars", "사용할 수 없는 문자가 있습니다", "Contains characters that are not allowed"),
    ("admin.error.range", "{min}부터 {max} 사이의 정수여야 합니다", "Must be a whole number from {min} to {max}"),
    ("admin.error.number", "정수를 입력하세요", "Enter a whole number"),
    ("admin.error.datetime", "날짜와 시각을 올바르게 입력하세요 (한국 시간)", "Enter a valid date and time (Korea time)"),
    ("admin.error.date", "날짜를 올바르게 입력하세요 (YYYY-MM-DD)", "Enter a valid date (YYYY-MM-DD)"),
    ("admin.error.time", "시각을 00:00부터 24:00 사이로 입력하세요 (HH:MM)", "Enter a time from 00:00 to 24:00 (HH:MM)"),
    ("admin.error.choice", "목록에서 고르세요", "Choose one of the options"),
    ("admin.error.end_before_start", "종료가 시작보다 뒤여야 합니다", "The end must come after the start"),
    ("admin.name_ko", "이름 (한국어)", "Name (Korean)"),
    ("admin.name_en", "이름 (영어)", "Name (English)"),
    ("admin.save", "저장", "Save"),
    ("admin.delete", "삭제", "Delete"),
    ("admin.none", "없음", "None"),
    ("season.spring", "1학기", "Spring"),
    ("season.summer", "여름학기", "Summer"),
    ("season.fall", "2학기", "Fall"),
    ("season.winter", "겨울학기", "Winter"),
    ("admin.terms.title", "학기·신청 기간", "Terms and windows"),
    ("admin.terms.list", "학기 목록", "Terms"),
    ("admin.terms.none", "등록된 학기가 없습니다.", "No terms yet."),
    ("admin.terms.name", "학기", "Term"),
    ("admin.terms.dates", "기간", "Dates"),
    ("admin.terms.max_credits", "기본 신청 가능 학점", "Default credit limit"),
    ("admin.terms.current", "현재 학기", "Current"),
    ("admin.terms.is_current", "현재 학기", "Current term"),
    ("admin.terms.make_current", "현재 학기로 지정", "Make current"),
    ("admin.terms.create", "학기 만들기", "Create a term"),
    ("admin.terms.year", "연도", "Year"),
    ("admin.terms.season", "학기 구분", "Season"),
    ("admin.terms.starts_on", "개강일", "First day"),
    ("admin.terms.ends_on", "종강일", "Last day"),
    ("admin.terms.create_submit", "학기 만들기", "Create term"),
    ("admin.terms.back", "학기 목록으로", "Back to terms"),
    ("admin.term.exists", "같은 연도·학기가 이미 있습니다", "This year and season already exist"),
    ("admin.term.created", "{name} 학기를 만들었습니다.", "Created the term {name}."),
    ("admin.term.now_current", "{name}이(가) 현재 학기입니다.", "{name} is now the current term."),
    ("admin.windows.title", "수강신청 기간", "Registration windows"),
    ("admin.windows.help", "시각은 모두 한국 시간(KST)입니다. 같은 구분·대상의 기간은 겹칠 수 없습니다.", "All times are Korea time (KST). Windows of the same phase and cohort may not overlap."),
    ("admin.windows.change", "변경", "Change"),
    ("admin.windows.extend_to", "새 종료 시각 (KST)", "New closing time (KST)"),
    ("admin.windows.extend", "지금 연장", "Extend now"),
    ("admin.windows.opens_kst", "시작 (KST)", "Opens (KST)"),
    ("admin.windows.closes_kst", "종료 (KST)", "Closes (KST)"),
    ("admin.windows.create", "신청 기간 추가", "Add a window"),
    ("admin.windows.create_submit", "추가", "Add window"),
    ("admin.window.overlaps", "같은 구분·대상의 기간과 겹칩니다: {phase} {cohort} {opens} – {closes}", "Overlaps another window of the same phase and cohort: {phase} {cohort} {opens} – {closes}"),
    ("admin.window.not_open", "진행 중인 기간만 연장할 수 있습니다", "Only an open window can be extended"),
    ("admin.window.end_in_past", "종료 시각은 지금 이후여야 합니다", "The new closing time must be after now"),
    ("admin.window.created", "신청 기간을 추가했습니다.", "Window added."),
    ("admin.window.updated", "신청 기간을 바꿨습니다.", "Window changed."),
    ("admin.window.extended", "신청 기간을 연장했습니다.", "Window extended."),
    ("admin.window.deleted", "신청 기간을 삭제했습니다.", "Window deleted."),
    ("admin.code", "코드", "Code"),
    ("admin.error.code", "영문 대문자와 숫자 2~16자로 입력하세요", "Use 2 to 16 letters and digits"),
    ("admin.departments.title", "학과", "Departments"),
    ("admin.departments.rename", "이름 바꾸기", "Rename"),
    ("admin.departments.create", "학과 추가", "Add a department"),
    ("admin.departments.create_submit", "추가", "Add department"),
    ("admin.department.created", "{code} 학과를 추가했습니다.", "Added the department {code}."),
    ("admin.department.code_taken", "이미 있는 학과 코드입니다", "This department code is taken"),
    ("admin.department.renamed", "학과 이름을 바꿨습니다.", "Department renamed."),
    ("admin.courses.title", "교과목", "Courses"),
    ("admin.courses.create", "교과목 추가", "Add a course"),
    ("admin.courses.create_submit", "추가", "Add course"),
    ("admin.courses.back", "교과목 목록으로", "Back to courses"),
    ("admin.course.title_ko", "과목명 (한국어)", "Title (Korean)"),
    ("admin.course.title_en", "과목명 (영어)", "Title (English)"),
    ("admin.course.description", "설명", "Description"),
    ("admin.course.edit", "교과목 수정", "Edit the course"),
    ("admin.course.created", "교과목을 추가했습니다.", "Course added."),
    ("admin.course.updated", "교과목을 수정했습니다.", "Course saved."),
    ("admin.course.code_taken", "이미 있는 과목 코드입니다", "This course code is taken"),
    ("admin.course.required_code", "선수과목 코드", "Prerequisite course code"),
    ("admin.course.prerequisite_add", "선수과목 추가", "Add prerequisite"),
    ("admin.course.prerequisite_remove", "빼기", "Remove"),
    ("admin.course.prerequisite_added", "{code}을(를) 선수과목으로 추가했습니다.", "{code} is now a prerequisite."),
    ("admin.course.prerequisite_removed", "선수과목을 뺐습니다.", "Prerequisite removed."),
    ("admin.course.unknown_code", "없는 과목 코드입니다: {code}", "No course has the code {code}"),
    ("admin.course.self_prerequisite", "자기 자신을 선수과목으로 정할 수 없습니다", "A course cannot require itself"),
    ("admin.course.already_required", "이미 선수과목입니다", "This is already a prerequisite"),
    ("admin.course.cycle", "{code}이(가) 이미 이 과목을 (간접적으로) 선수과목으로 요구하므로 순환이 생깁니다", "{code} already requires this course (directly or through others): that would make a cycle"),
    ("admin.form_has_errors", "입력값을 확인하세요. 아무것도 바뀌지 않았습니다.", "Please check the highlighted fields. Nothing was changed."),
    ("admin.reason", "사유", "Reason"),
    ("admin.sections.title", "분반", "Sections"),
    ("admin.sections.new", "분반 개설", "New section"),
    ("admin.sections.back", "분반 목록으로", "Back to sections"),
    ("admin.sections.status", "상태", "Status"),
    ("admin.sections.create_submit", "분반 개설", "Create section"),
    ("admin.section.status.open", "개설", "Open"),
    ("admin.section.status.cancelled", "폐강", "Cancelled"),
    ("admin.section.any_department", "제한 없음", "Any department"),
    ("admin.section.years_help", "(아무것도 고르지 않으면 전 학년)", "(none ticked: every year)"),
    ("admin.section.meetings", "강의 시간", "Meetings"),
    ("admin.section.meetings_help", "요일, 시작·종료 시각(한국 시간)과 강의실. 쓰지 않는 줄은 비워 두세요.", "Weekday, start and end (Korea time) and room. Leave unused rows blank."),
    ("admin.section.starts", "시작", "Starts"),
    ("admin.section.ends", "종료", "Ends"),
    ("admin.section.waitlist_capacity", "대기 정원", "Waitlist size"),
    ("admin.section.meeting_required", "강의 시간을 하나 이상 입력하세요", "Enter at least one meeting"),
    ("admin.section.meetings_overlap", "같은 분반의 다른 강의 시간과 겹칩니다", "Overlaps another meeting of this section"),
    ("admin.section.no_current_term", "현재 학기가 없습니다. 먼저 현재 학기를 지정하세요", "There is no current term: make a term current first"),
    ("admin.section.number_taken", "이 과목의 같은 분반 번호가 이번 학기에 이미 있습니다", "This course already has a section with this number this term"),
    ("admin.section.created", "분반을 개설했습니다.", "Section created."),
    ("admin.section.updated", "분반 정보를 저장했습니다.", "Section saved."),
    ("admin.section.meetings_saved", "강의 시간을 저장했습니다.", "Meetings saved."),
    ("admin.section.is_cancelled", "폐강된 분반은 바꿀 수 없습니다", "A cancelled section cannot be changed"),
    ("admin.section.below_enrolled", "정원을 현재 신청 인원({enrolled}명)보다 적게 하려면 '강제'를 선택하고 사유를 입력하세요", "To set the capacity below the {enrolled} enrolled, tick \"force\" and give a reason"),
    ("admin.section.capacity_saved", "정원을 {capacity}명으로 바꿨습니다. 대기자 {promoted}명이 신청되었습니다.", "Capacity set to {capacity}; {promoted} waitlisted students were enrolled."),
    ("admin.section.capacity_title", "정원 변경", "Change capacity"),
    ("admin.section.capacity_help", "정원을 늘리면 대기자가 순서대로 자동 신청됩니다. 신청 인원보다 줄이려면 강제와 사유가 필요합니다.", "Raising the capacity enrolls waitlisted students in order. Going below the enrolled count needs \"force\" and a reason."),
    ("admin.section.force", "강제 (신청 인원보다 적게)", "Force (below the enrolled count)"),
    ("admin.section.over_capacity", "정원 초과", "over capacity"),
    ("admin.section.details", "분반 정보", "Section details"),
    ("admin.section.roster", "수강생", "Enrolled students"),
    ("admin.section.source", "신청 경로", "Source"),
    ("admin.section.public_page", "학생 화면", "Student view"),
    ("admin.section.cancel_title", "폐강", "Cancel the section"),
    ("admin.section.cancel_help", "폐강하면 수강생 전원의 신청이 취소되고, 대기자와 장바구니에서도 빠지며, 각 학생에게 사유와 함께 알림이 갑니다. 되돌릴 수 없습니다.", "Cancelling drops every enrolled student, clears the waitlist and baskets, and notifies each student with the reason. It cannot be undone."),
    ("admin.section.cancel_reason", "폐강 사유", "Reason for cancelling"),
    ("admin.section.confirm", "수강생 전원의 신청이 취소됨을 확인했습니다", "I understand every enrolled student is dropped"),
    ("admin.section.confirm_required", "확인란을 선택하세요", "Tick the confirmation box"),
    ("admin.section.cancel_submit", "폐강하기", "Cancel section"),
    ("admin.section.cancelled_done", "분반을 폐강했습니다. 수강생 {students}명의 신청이 취소되었습니다.", "Section cancelled; {students} students were dropped."),
    ("admin.notice.cancelled_enrolled", "{section} 분반이 폐강되어 수강신청이 취소되었습니다. 사유: {reason}", "{section} was cancelled and you have been dropped from it. Reason: {reason}"),
    ("admin.notice.cancelled_waitlist", "{section} 분반이 폐강되어 대기 신청이 취소되었습니다. 사유: {reason}", "{section} was cancelled; you are no longer on its waitlist. Reason: {reason}"),
    ("admin.notice.cancelled_basket", "장바구니에 담은 {section} 분반이 폐강되었습니다. 사유: {reason}", "{section}, which was in your basket, was cancelled. Reason: {reason}"),
    ("admin.override.reason_required", "사유를 입력하세요", "Give a reason"),
    ("admin.students.number", "학번", "Student number"),
    ("admin.students.name", "이름", "Name"),
    ("action.section_cancelled", "폐강으로 취소", "Dropped: section cancelled"),
    ("action.basket_removed", "장바구니에서 빠짐", "Removed from basket"),
    ("action.override_enroll", "학사 담당자 신청", "Enrolled by the registrar"),
    ("action.override_drop", "학사 담당자 취소", "Dropped by the registrar"),
    ("action.hold_add", "수강신청 제한", "Hold added"),
    ("action.hold_release", "제한 해제", "Hold released"),
    ("action.credit_limit", "학점 한도 변경", "Credit limit changed"),
    ("admin.students.title", "학생", "Students"),
    ("admin.students.query", "학번 또는 이름", "Student number or name"),
    ("admin.students.none", "찾는 학생이 없습니다.", "No student matches."),
    ("admin.students.back", "학생 찾기로", "Back to student search"),
    ("admin.hold.by", "등록자", "Added by"),
    ("admin.hold.since", "등록 시각", "Since"),
    ("admin.hold.released_at", "해제됨", "Released"),
    ("admin.hold.release", "해제", "Release"),
    ("admin.hold.reason", "제한 사유", "Reason for the hold"),
    ("admin.hold.add", "수강신청 제한 추가", "Add hold"),
    ("admin.hold.added", "수강신청 제한을 추가했습니다.", "Hold added."),
    ("admin.hold.released", "수강신청 제한을 해제했습니다.", "Hold released."),
    ("admin.hold.already_released", "이미 해제된 제한입니다.", "That hold was already released."),
    ("admin.limit.own", "학생별 한도 (비우면 학기 기본값)", "Own limit (blank: the term's default)"),
    ("admin.limit.help", "한도를 낮춰도 이미 신청한 과목은 그대로이며, 이후 신청부터 적용됩니다.", "Lowering the limit keeps existing enrollments; it applies to later requests."),
    ("admin.limit.set", "학생의 신청 가능 학점을 {credits}학점으로 정했습니다.", "Credit limit set to {credits}."),
    ("admin.limit.cleared", "학생별 한도를 지우고 학기 기본값을 따릅니다.", "Own limit cleared: the term's default applies."),
    ("admin.override.drop_title", "학생 대신 취소", "Drop on the student's behalf"),
    ("admin.override.drop_submit", "취소하기", "Drop"),
    ("admin.override.enroll_title", "학생 대신 신청", "Enroll on the student's behalf"),
    ("admin.override.enroll_help", "정원 초과나 규칙 하나의 예외를 허용할 수 있습니다. 사유는 감사 기록에 남습니다.", "You may go beyond capacity or waive one rule. The reason is kept in the audit log."),
    ("admin.override.enroll_submit", "신청하기", "Enroll"),
    ("admin.override.beyond_capacity", "정원 초과 허용", "Allow beyond capacity"),
    ("admin.override.waive", "예외로 할 규칙", "Rule to waive"),
    ("admin.override.waive_none", "없음", "None"),
    ("admin.override.waive.window_closed", "신청 기간", "Registration window"),
    ("admin.override.waive.hold", "수강신청 제한", "Hold"),
    ("admin.override.waive.not_eligible", "학적·학과·학년 제한", "Status, department or year restriction"),
    ("admin.override.waive.time_conflict", "시간 겹침", "Time conflict"),
    ("admin.override.waive.prerequisite_missing", "선수과목", "Prerequisites"),
    ("admin.override.waive.credit_limit", "학점 한도", "Credit limit"),
    ("admin.override.no_section", "이번 학기에 없는 분반입니다", "No such section this term"),
    ("admin.override.section_format", "분반 번호 또는 과목코드-분반 (예: CSE2010-01)을 입력하세요", "Enter a section id or course code and number (e.g. CSE2010-01)"),
    ("admin.override.refused", "처리하지 못했습니다: {reason}", "Not done: {reason}"),
    ("admin.override.enrolled", "{section}에 학생을 신청했습니다.", "Enrolled the student in {section}."),
    ("admin.override.dropped", "{section}에서 학생의 신청을 취소했습니다. 대기자 {promoted}명이 신청되었습니다.", "Dropped the student from {section}; {promoted} waitlisted students were enrolled."),
    ("admin.notice.override_enrolled", "학사 담당자가 {section}에 수강신청을 처리했습니다. 사유: {reason}", "The registrar enrolled you in {section}. Reason: {reason}"),
    ("admin.notice.override_dropped", "학사 담당자가 {section} 수강을 취소했습니다. 사유: {reason}", "The registrar dropped you from {section}. Reason: {reason}"),
    ("admin.audit.section", "분반 ID", "Section id"),
    ("admin.audit.actor", "처리자 (학번·교번)", "Actor (login id)"),
    ("admin.audit.from", "부터 (KST)", "From (KST)"),
    ("admin.audit.to", "까지 (KST)", "To (KST)"),
    ("admin.audit.at", "시각 (KST)", "Time (KST)"),
    ("admin.audit.bad_word", "영문 소문자와 밑줄(_)만 쓸 수 있습니다", "Only lower-case letters and underscores"),
    ("admin.audit.bad_login", "학번·교번 형식이 아닙니다", "Not a student or staff number"),
    ("admin.audit.unknown_user", "그런 사용자가 없습니다", "No such user"),
    ("action.capacity_change", "정원 변경", "Capacity changed"),
    ("action.override_capacity", "정원 강제 변경", "Capacity forced below enrolled"),
    ("action.section_create", "분반 개설", "Section created"),
    ("action.section_update", "분반 수정", "Section changed"),
    ("action.section_meetings", "강의 시간 변경", "Meetings changed"),
    ("action.section_cancel", "폐강", "Section cancelled"),
    ("action.term_current", "현재 학기 지정", "Current term set"),
    ("action.window_create", "신청 기간 추가", "Window added"),
    ("action.window_update", "신청 기간 변경", "Window changed"),
    ("action.window_extend", "신청 기간 연장", "Window extended"),
    ("action.window_delete", "신청 기간 삭제", "Window deleted"),
    // ---- end of registrar console keys ----
    ("queue.title", "수강신청 대기열", "Registration waiting room"),
    ("queue.waiting", "접속자가 많아 순서대로 입장하고 있습니다. 이 화면을 닫지 마세요.", "Many students are registering; you are admitted in order. Keep this page open."),
    ("queue.position", "내 대기 순서", "Your place in line"),
    ("queue.eta", "예상 대기 시간", "Estimated wait"),
    ("queue.eta_value", "약 {min}분 {sec}초", "about {min} min {sec} s"),
    ("queue.keep", "새로 고침하거나 다른 기기에서 접속해도 순서는 그대로 유지됩니다.", "Refreshing or using another device keeps your place."),
    ("queue.early", "수강신청 시작 전입니다. 시작 시각에 대기 순서가 무작위로 한 번 정해집니다.", "Registration has not opened yet. At opening, the order of everyone waiting is drawn once at random."),
    ("queue.early_count", "시작을 기다리는 학생", "Students waiting for opening"),
    ("queue.admitted", "입장했습니다. 수강신청을 진행하세요.", "You are in. Go ahead and register."),
    ("queue.continue", "수강신청으로 이동", "Continue to registration"),
    ("error.queue_required", "대기열에서 순서를 기다려야 합니다. 현재 순서: {position}", "Please wait your turn in the waiting room. Your place: {position}"),
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
    // Registration rules (DESIGN.md section 4) and the registration pages.
    ("rule.window_closed", "지금은 신청 기간이 아닙니다. 학생의 신청 기간은 {opens_at}에 열립니다.", "Registration is not open for you now. Your window opens at {opens_at}."),
    ("rule.window_closed_none", "지금은 신청 기간이 아니며 남은 신청 기간이 없습니다.", "Registration is not open for you now, and no later window remains."),
    ("rule.hold", "수강신청 제한이 있습니다: {reason}", "A hold blocks registration: {reason}"),
    ("rule.not_eligible_status", "현재 학적 상태로는 수강신청할 수 없습니다.", "Your student status does not allow registration."),
    ("rule.not_eligible_cancelled", "폐강된 분반입니다.", "This section has been cancelled."),
    ("rule.not_eligible_department", "다른 학과 학생은 신청할 수 없는 분반입니다.", "This section is restricted to another department."),
    ("rule.not_eligible_class_year", "학생의 학년은 신청할 수 없는 분반입니다.", "This section is restricted to other class years."),
    ("rule.already_enrolled", "이미 신청한 분반입니다.", "You are already enrolled in this section."),
    ("rule.duplicate_course", "같은 과목의 다른 분반을 이미 신청했습니다: {section}", "You are already enrolled in another section of this course: {section}"),
    ("rule.time_conflict", "신청한 과목과 시간이 겹칩니다: {section}", "This overlaps a section you are enrolled in: {section}"),
    ("rule.prerequisite_missing", "선수과목을 이수하지 않았습니다: {courses}", "Prerequisites not completed: {courses}"),
    ("rule.credit_limit", "학점 한도를 넘습니다: 현재 {current}학점 + {adding}학점 > 한도 {limit}학점", "Credit limit exceeded: {current} enrolled + {adding} > limit {limit}"),
    ("rule.section_full", "정원이 찼습니다.", "This section is full."),
    ("rule.section_full_waitlist", "정원이 찼습니다. 대기자 명단에 등록할 수 있습니다.", "This section is full. You can join its waitlist."),
    ("rule.not_enrolled", "신청하지 않은 분반입니다.", "You are not enrolled in this section."),
    ("rule.already_waitlisted", "이미 대기자 명단에 있습니다.", "You are already on this waitlist."),
    ("rule.not_waitlisted", "이 분반의 대기자 명단에 없습니다.", "You are not on this waitlist."),
    ("rule.waitlist_not_needed", "빈자리가 있습니다. 대기하지 말고 바로 신청하세요.", "This section has seats: enroll instead of waiting."),
    ("rule.waitlist_full", "대기자 명단을 받지 않거나 명단이 찼습니다.", "This section has no waitlist, or its waitlist is full."),
    ("error.idempotency_mismatch", "같은 Idempotency-Key로 다른 요청을 보냈습니다.", "This Idempotency-Key was already used for a different request."),
    ("error.idempotency_in_progress", "같은 요청을 처리하고 있습니다. 잠시 후 다시 시도하세요.", "The same request is still being processed. Try again shortly."),
    ("field.idempotency_key", "Idempotency-Key", "Idempotency-Key"),
    ("field.section_id", "분반 번호", "section id"),
    ("field.add_section_id", "신청할 분반 번호", "section to add"),
    ("field.drop_section_id", "버릴 분반 번호", "section to drop"),
    ("field.invalid_value", "{field} 값이 올바르지 않습니다", "{field} is not valid"),
    ("field.same_section", "버릴 분반과 신청할 분반이 같습니다", "the section to drop and the section to add are the same"),
    ("activity.title", "수강신청 내역", "Registration activity"),
    ("activity.empty", "아직 기록이 없습니다.", "Nothing recorded yet."),
    ("activity.at", "시각 (서버)", "Time (server)"),
    ("activity.action", "요청", "Action"),
    ("activity.section", "분반", "Section"),
    ("activity.outcome", "결과", "Outcome"),
    ("activity.detail", "내용", "Detail"),
    ("activity.request_id", "요청 번호", "Request id"),
    ("activity.newer", "최근 기록", "Newer"),
    ("activity.older", "이전 기록", "Older"),
    ("activity.page", "{page}쪽", "Page {page}"),
    ("action.enroll", "신청", "Enroll"),
    ("action.drop", "취소", "Drop"),
    ("action.swap", "교체", "Swap"),
    ("action.waitlist", "대기 등록", "Join waitlist"),
    ("action.waitlist_leave", "대기 취소", "Leave waitlist"),
    ("action.waitlist_promoted", "대기 → 신청", "Promoted from waitlist"),
    ("action.waitlist_removed", "대기 제외", "Removed from waitlist"),
    ("outcome.ok", "성공", "Done"),
    // Catalog search, section pages and the timetable.
    ("catalog.title", "강의 검색", "Course search"),
    ("catalog.keyword", "검색어", "Keyword"),
    ("catalog.keyword_placeholder", "과목코드, 과목명, 교수명 (예: 자료구조)", "Course code, title or instructor (e.g. Data Structures)"),
    ("catalog.search", "검색", "Search"),
    ("catalog.any", "전체", "Any"),
    ("catalog.department", "개설 학과", "Department"),
    ("catalog.category", "이수 구분", "Category"),
    ("catalog.day", "요일", "Day"),
    ("catalog.time", "시간", "Time"),
    ("catalog.time.morning", "오전 (12시 이전 시작)", "Morning (starts before 12:00)"),
    ("catalog.time.afternoon", "오후 (12–18시 시작)", "Afternoon (starts 12:00–18:00)"),
    ("catalog.time.evening", "야간 (18시 이후 시작)", "Evening (starts 18:00 or later)"),
    ("catalog.credits", "학점", "Credits"),
    ("catalog.credits_value", "{credits}학점", "{credits} credits"),
    ("catalog.year", "수강 가능 학년", "Open to year"),
    ("catalog.sort", "정렬", "Sort"),
    ("catalog.sort.code", "과목코드순", "Course code"),
    ("catalog.sort.title", "과목명순", "Title"),
    ("catalog.sort.credits", "학점순", "Credits"),
    ("catalog.sort.seats_left", "여석 많은 순", "Most seats left"),
    ("catalog.open_only", "여석 있는 분반만", "Seats left only"),
    ("catalog.summary", "검색 결과 {total}건 · {page}/{pages}쪽", "{total} results · page {page} of {pages}"),
    ("catalog.stale", "일시적으로 최신 정보를 확인할 수 없어 마지막으로 받은 강의 목록과 좌석 수를 보여 줍니다. 실제와 다를 수 있습니다.", "The latest catalog can't be checked right now: this is the last copy this server holds, and seat numbers may be out of date."),
    ("catalog.no_results", "조건에 맞는 분반이 없습니다.", "No sections match."),
    ("catalog.col.section", "분반", "Section"),
    ("catalog.col.title", "과목명", "Title"),
    ("catalog.col.instructor", "담당 교수", "Instructor"),
    ("catalog.col.meetings", "강의 시간 및 강의실", "Meetings and rooms"),
    ("catalog.col.seats", "여석 / 정원", "Seats left / capacity"),
    ("catalog.cancelled", "폐강", "Cancelled"),
    ("catalog.full", "마감", "Full"),
    ("catalog.col.action", "신청", "Action"),
    ("catalog.marker.enrolled", "신청함", "Enrolled"),
    ("catalog.marker.clash", "시간 겹침", "Clash"),
    ("catalog.prev", "이전", "Previous"),
    ("catalog.next", "다음", "Next"),
    ("catalog.back", "강의 검색으로", "Back to search"),
    ("catalog.invalid_param", "{field} 값이 올바르지 않습니다", "{field} is not valid"),
    ("catalog.per_page_range", "{field}은(는) {min}~{max} 사이여야 합니다", "{field} must be between {min} and {max}"),
    ("category.major_required", "전공필수", "Major required"),
    ("category.major_elective", "전공선택", "Major elective"),
    ("category.general_required", "교양필수", "General required"),
    ("category.general_elective", "교양선택", "General elective"),
    ("category.teaching", "교직", "Teacher training"),
    ("category.free_elective", "일반선택", "Free elective"),
    ("weekday.1", "월", "Mon"),
    ("weekday.2", "화", "Tue"),
    ("weekday.3", "수", "Wed"),
    ("weekday.4", "목", "Thu"),
    ("weekday.5", "금", "Fri"),
    ("weekday.6", "토", "Sat"),
    ("section.capacity", "정원", "Capacity"),
    ("section.enrolled", "신청 인원", "Enrolled"),
    ("section.seats_left", "여석", "Seats left"),
    ("section.basket_count", "장바구니 담은 인원", "In baskets"),
    ("section.waitlist", "대기 인원 / 대기 정원", "Waitlist / waitlist size"),
    ("section.waitlist_position", "내 순번 {position}", "you are number {position}"),
    ("section.room", "강의실", "Room"),
    ("section.requirements", "수강 조건", "Requirements"),
    ("section.prerequisites", "선수과목", "Prerequisites"),
    ("section.none", "없음", "None"),
    ("section.completed", "이수함", "completed"),
    ("section.not_completed", "미이수", "not completed"),
    ("section.restrict_department", "수강 가능 학과", "Department restriction"),
    ("section.class_years", "수강 가능 학년", "Class years"),
    ("section.every_year", "전 학년", "Every year"),
    ("section.your_status", "나의 신청 상태", "Your status"),
    ("section.opens_in", "신청 시작까지", "Registration opens in"),
    ("section.opens_now", "신청 기간이 시작되었습니다. 새로 고침하세요.", "Registration is open now: reload the page."),
    ("section.preview_timetable", "시간표에 넣어 보기", "Preview in my timetable"),
    ("section.state.available", "신청 가능한 분반입니다.", "You can register for this section."),
    ("section.state.full", "정원이 찼습니다.", "This section is full."),
    ("section.state.cancelled", "폐강된 분반입니다.", "This section has been cancelled."),
    ("section.state.already_enrolled", "이미 신청한 분반입니다.", "You are enrolled in this section."),
    ("section.state.duplicate_course", "같은 과목의 다른 분반을 이미 신청했습니다.", "You are enrolled in another section of this course."),
    ("section.state.not_eligible", "학과 또는 학년 제한으로 신청할 수 없습니다.", "A department or class-year restriction excludes you."),
    ("section.state.staff", "학사 담당자 보기", "Registrar view"),
    ("section.action.register", "수강신청", "Register"),
    ("section.action.drop", "수강 취소", "Drop"),
    ("section.action.basket_add", "장바구니 담기", "Add to basket"),
    ("section.action.basket_remove", "장바구니에서 빼기", "Remove from basket"),
    ("section.action.waitlist_join", "대기자 등록", "Join waitlist"),
    ("section.reason.window_closed", "지금은 신청 기간이 아닙니다", "not open now"),
    ("section.reason.waitlist_full", "대기 정원이 찼습니다", "the waitlist is full"),
    ("timetable.title", "시간표", "Timetable"),
    ("timetable.total_credits", "총 {credits}학점", "{credits} credits in total"),
    ("timetable.download_ics", "캘린더 파일(.ics) 받기", "Download calendar (.ics)"),
    ("timetable.previewing", "미리 보기: 아직 신청하지 않은 분반이 함께 표시됩니다.", "Preview: sections you have not registered for are shown too."),
    ("timetable.end_preview", "미리 보기 끝내기", "End preview"),
    ("timetable.conflicts", "시간이 겹치는 분반이 있습니다", "Some sections overlap"),
    ("timetable.conflict", "{a} ↔ {b} ({when})", "{a} ↔ {b} ({when})"),
    ("timetable.conflict_badge", "시간 겹침", "Overlap"),
    ("timetable.by_day", "요일별 보기", "By day"),
    ("timetable.empty", "신청한 과목이 없습니다.", "You have no sections yet."),
    ("timetable.sections", "신청 과목", "Sections"),
    ("timetable.preview_badge", "미리 보기", "Preview"),
    ("timetable.too_many", "{field}은(는) 최대 {max}개까지 가능합니다", "{field} allows at most {max} sections"),
    ("field.q", "검색어", "keyword"),
    ("field.course_code", "과목 코드", "course code"),
    ("basket.added", "장바구니에 담았습니다. 장바구니 학점 {credits}.", "Added to your basket. Basket credits: {credits}."),
    ("basket.removed", "장바구니에서 뺐습니다.", "Removed from your basket."),
    ("basket.not_found", "이번 학기에 없는 분반입니다.", "There is no such section this term."),
    ("basket.not_eligible", "폐강된 분반은 담을 수 없습니다.", "A cancelled section cannot be added."),
    ("basket.already_in_basket", "이미 장바구니에 있는 분반입니다.", "This section is already in your basket."),
    ("basket.not_in_basket", "장바구니에 없는 분반입니다.", "This section is not in your basket."),
    ("basket.full", "장바구니에는 최대 {max}개 분반까지 담을 수 있습니다.", "A basket holds at most {max} sections."),
    ("basket.credit_limit", "장바구니에는 최대 {max}학점까지 담을 수 있습니다.", "A basket holds at most {max} credits."),
    ("basket.page.title", "장바구니", "Basket"),
    ("basket.page.intro", "수강 희망 분반을 담아 두고 시간표를 미리 확인하세요. 배정과 수강신청은 분반마다 따로 처리됩니다.", "Keep the sections you plan to take and check your week before registering. Allocation and registration handle each section on its own."),
    ("basket.page.items", "담은 분반", "Sections"),
    ("basket.page.items_value", "{count} / {max}개 (남은 {left}개)", "{count} of {max} ({left} left)"),
    ("basket.page.credits", "장바구니 학점", "Basket credits"),
    ("basket.page.credits_value", "{credits} / {max}학점 (남은 {left}학점)", "{credits} of {max} credits ({left} left)"),
    ("basket.page.planned", "모두 신청하면", "If all are registered"),
    ("basket.page.planned_value", "신청 {enrolled}학점 → {planned}학점 / 신청 가능 {limit}학점", "{enrolled} credits now → {planned} of your {limit}-credit limit"),
    ("basket.page.over_limit", "신청 가능 학점 초과", "Over your credit limit"),
    ("basket.page.same_course", "같은 과목 {section} 신청함", "Registered in {section} of this course"),
    ("basket.page.list", "담은 분반", "Sections in your basket"),
    ("basket.page.empty", "장바구니가 비어 있습니다.", "Your basket is empty."),
    ("basket.page.registered", "신청 완료", "Registered"),
    ("basket.page.clashes_with", "시간 겹침", "Overlaps"),
    ("basket.page.enrolled_short", "신청함", "registered"),
    ("basket.page.remove", "빼기", "Remove"),
    ("basket.page.preview", "시간표 미리 보기", "Timetable preview"),
    ("basket.page.preview_help", "신청한 과목과 장바구니 분반을 함께 보여 줍니다. 겹치는 시간은 빨간색입니다.", "Your registered sections together with your basket; overlaps are shown in red."),
    ("basket.page.in_basket", "장바구니", "Basket"),
    ("basket.register.submit", "장바구니 전체 신청", "Register my basket"),
    ("basket.register.help", "분반마다 따로 신청하며, 안 되는 분반이 있어도 나머지는 신청됩니다.", "Each section is tried on its own: one refusal does not stop the others."),
    ("basket.register.results", "장바구니 신청 결과", "Basket registration results"),
    ("basket.register.summary", "장바구니 신청: {enrolled}건 성공, {refused}건 실패.", "Basket registration: {enrolled} registered, {refused} refused."),
    ("basket.register.ok_line", "{section}: 신청 완료 (신청 학점 {credits})", "{section}: registered (credits now {credits})"),
    ("basket.register.ok_badge", "성공", "Done"),
    ("basket.register.refused_badge", "실패", "Refused"),
    ("basket.register.empty", "장바구니가 비어 있어 신청할 분반이 없습니다.", "Your basket is empty: there is nothing to register."),
    ("notice.title", "알림", "Notices"),
    ("notice.mark_read", "읽음", "Mark read"),
    ("notice.basket_allocated", "장바구니 배정으로 {section}에 수강신청되었습니다.", "Basket allocation registered you for {section}."),
    ("notice.waitlist_promoted", "대기하던 {section}에 자리가 나서 수강신청되었습니다.", "A seat opened in {section}: you are now registered from the waitlist."),
    ("action.basket_allocation", "장바구니 배정", "Basket allocation"),
    ("allocation.title", "장바구니 배정", "Basket allocation"),
    ("allocation.intro", "장바구니 담은 인원이 여석 이내인 분반은 자격을 갖춘 학생 모두를 한 번에 신청 처리합니다. 여석보다 많이 담긴 분반은 선착순 신청으로 남겨 둡니다. 다시 실행해도 같은 학생이 두 번 신청되지 않습니다.", "Every section whose basket demand fits its free seats enrolls all eligible basket holders at once; oversubscribed sections are left to first come, first served. Running it again never enrolls anyone twice."),
    ("allocation.preview", "배정 미리 보기", "Preview"),
    ("allocation.preview_summary", "배정 대상 분반 {fitting}개 (학생 {holders}명), 초과 신청으로 제외될 분반 {oversubscribed}개", "{fitting} sections fit ({holders} basket holders); {oversubscribed} oversubscribed sections will be skipped"),
    ("allocation.run", "장바구니 배정 실행", "Run basket allocation"),
    ("allocation.run_help", "현재 학기 전체에 적용됩니다.", "Applies to the whole current term."),
    ("allocation.nothing", "배정할 장바구니가 없습니다.", "No basket demand is waiting for allocation."),
    ("allocation.demand", "장바구니 수요", "Basket demand"),
    ("allocation.result", "예상 결과", "Expected result"),
    ("allocation.fits", "배정", "Allocate"),
    ("allocation.oversubscribed", "초과 (선착순)", "Oversubscribed (first come)"),
    ("allocation.report", "배정 결과", "Allocation report"),
    ("allocation.done", "장바구니 배정 완료: 분반 {sections}개, 학생 {students}명 ({enrollments}건). 초과 신청으로 제외 {oversubscribed}개, 거절이 있는 분반 {with_refusals}개.", "Basket allocation done: {sections} sections, {students} students ({enrollments} enrollments). {oversubscribed} oversubscribed sections skipped, {with_refusals} sections with refusals."),
    ("allocation.line_allocated", "{section}: {enrolled}명 배정, {refused}명 거절", "{section}: {enrolled} enrolled, {refused} refused"),
    ("allocation.line_oversubscribed", "{section}: 수요 {demand}명 > 여석 {seats}석, 선착순으로 남김", "{section}: demand {demand} > {seats} seats, left to first come"),
    ("allocation.refusals", "거절 사유별: {list}", "Refusals by reason: {list}"),
    ("allocation.more", "외 {count}개 분반 (전체 목록은 신청 내역 기록과 명령줄 보고서에 있습니다)", "and {count} more sections (the activity log and the command-line report list every one)"),
    ("allocation.busy", "다른 장바구니 배정이 실행 중입니다. 끝난 뒤 다시 시도하세요.", "Another basket allocation is running. Try again when it has finished."),
    ("allocation.no_term", "현재 학기가 없어 배정할 수 없습니다.", "There is no current term to allocate."),
    ("field.section_no", "분반", "section number"),
    ("registration.title", "수강신청", "Registration"),
    ("registration.mine", "신청 내역", "My enrollments"),
    ("registration.credits", "신청 학점", "Credits"),
    ("registration.none", "아직 신청한 과목이 없습니다.", "You have not registered for any section yet."),
    ("registration.quick_add", "빠른 신청", "Quick add"),
    ("registration.quick_add_help", "과목 코드와 분반 번호로 바로 신청합니다 (예: CSE2010, 1).", "Register directly by course code and section number (e.g. CSE2010, 1)."),
    ("registration.submit", "신청", "Register"),
    ("registration.drop", "취소", "Drop"),
    ("registration.swap", "분반 교체", "Swap"),
    ("registration.swap_help", "버릴 과목을 고르고 새 분반을 입력하면, 새 분반 신청이 성공할 때만 교체됩니다.", "Pick what to drop and name the new section: the swap happens only if the new section can be taken."),
    ("registration.swap_drop", "버릴 분반", "Drop"),
    ("registration.swap_submit", "교체", "Swap"),
    ("registration.waitlist", "대기 신청", "Waitlists"),
    ("registration.position", "대기 순번", "Position"),
    ("registration.leave", "대기 취소", "Leave"),
    ("registration.enrolled", "{section} 수강신청이 완료되었습니다. 신청 학점 {credits}.", "Registered for {section}. Credits now {credits}."),
    ("registration.dropped", "{section} 수강을 취소했습니다. 신청 학점 {credits}.", "Dropped {section}. Credits now {credits}."),
    ("registration.swapped", "{dropped} 대신 {added}(으)로 교체했습니다.", "Swapped {dropped} for {added}."),
    ("registration.waitlisted", "{section} 대기 {position}번으로 등록되었습니다.", "On the waitlist of {section} at position {position}."),
    ("registration.left_waitlist", "대기 신청을 취소했습니다.", "You left the waitlist."),
    ("field.department", "학과", "department"),
    ("field.category", "이수 구분", "category"),
    ("field.day", "요일", "day"),
    ("field.time", "시간대", "time of day"),
    ("field.credits", "학점", "credits"),
    ("field.year", "학년", "class year"),
    ("field.open_only", "여석 있는 분반만", "seats left only"),
    ("field.sort", "정렬", "sort"),
    ("field.page", "쪽 번호", "page"),
    ("field.per_page", "쪽당 개수", "per page"),
    ("field.add", "미리 볼 분반", "sections to preview"),
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
