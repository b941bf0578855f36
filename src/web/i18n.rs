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
    ("catalog.no_results", "조건에 맞는 분반이 없습니다.", "No sections match."),
    ("catalog.col.section", "분반", "Section"),
    ("catalog.col.title", "과목명", "Title"),
    ("catalog.col.instructor", "담당 교수", "Instructor"),
    ("catalog.col.meetings", "강의 시간 및 강의실", "Meetings and rooms"),
    ("catalog.col.seats", "여석 / 정원", "Seats left / capacity"),
    ("catalog.cancelled", "폐강", "Cancelled"),
    ("catalog.full", "마감", "Full"),
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
