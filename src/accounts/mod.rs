//! Account lifecycle beyond signing in: creating accounts from the command line
//! (`sugang user create`), the password policy, and changing one's own password.

pub mod create;
pub mod forced_change;
pub mod issue;
pub mod one_time;
pub mod password_change;
pub mod policy;

use actix_web::web;

use crate::web::i18n::Lang;
use policy::PasswordProblem;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/account/password",
        web::get().to(password_change::password_form),
    )
    .route(
        "/account/password",
        web::post().to(password_change::password_submit),
    )
    .route(
        "/api/v1/account/password",
        web::post().to(password_change::api_change_password),
    )
    .route(
        "/api/v1/admin/one-time-passwords",
        web::post().to(issue::api_issue),
    )
    .route(
        "/admin/one-time-passwords",
        web::post().to(issue::bulk_form),
    )
    .route(
        "/admin/students/{id}/one-time-password",
        web::post().to(issue::one_form),
    );
}

/// Why an account request was refused: a stable code, the field it belongs beside, a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountError {
    WrongCurrentPassword,
    NewPassword(PasswordProblem),
    /// Signed in with a one-time password: change it before anything else.
    PasswordChangeRequired,
    OneTimePasswordExpired,
    OneTimePasswordUsed,
    /// A registrar named a login id that no student account has.
    NoSuchUser,
    /// A registrar disabled the account: no sign-in, and its session has ended.
    AccountDisabled,
}

impl AccountError {
    pub fn code(self) -> &'static str {
        match self {
            AccountError::WrongCurrentPassword => "wrong_current_password",
            AccountError::NewPassword(p) => p.code(),
            AccountError::PasswordChangeRequired => "password_change_required",
            AccountError::OneTimePasswordExpired => "one_time_password_expired",
            AccountError::OneTimePasswordUsed => "one_time_password_used",
            AccountError::NoSuchUser => "no_such_user",
            AccountError::AccountDisabled => "account_disabled",
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            AccountError::WrongCurrentPassword => "current_password",
            AccountError::NewPassword(p) => p.field(),
            AccountError::PasswordChangeRequired => "new_password",
            AccountError::OneTimePasswordExpired | AccountError::OneTimePasswordUsed => "password",
            AccountError::NoSuchUser | AccountError::AccountDisabled => "login_id",
        }
    }

    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (AccountError::WrongCurrentPassword, Lang::Ko) => "현재 비밀번호가 맞지 않습니다",
            (AccountError::WrongCurrentPassword, Lang::En) => "the current password is not correct",
            (AccountError::NewPassword(p), lang) => p.message(lang),
            (AccountError::PasswordChangeRequired, Lang::Ko) => {
                "임시 비밀번호로 로그인했습니다. 먼저 비밀번호를 변경하세요"
            }
            (AccountError::PasswordChangeRequired, Lang::En) => {
                "you signed in with a one-time password; change your password first"
            }
            (AccountError::OneTimePasswordExpired, Lang::Ko) => {
                "임시 비밀번호의 유효 기간(72시간)이 지났습니다. 학사 담당자에게 새 임시 비밀번호를 요청하세요"
            }
            (AccountError::OneTimePasswordExpired, Lang::En) => {
                "this one-time password has expired (valid 72 hours); ask the registrar for a new one"
            }
            (AccountError::OneTimePasswordUsed, Lang::Ko) => {
                "이미 사용한 임시 비밀번호입니다. 학사 담당자에게 새 임시 비밀번호를 요청하세요"
            }
            (AccountError::OneTimePasswordUsed, Lang::En) => {
                "this one-time password was already used; ask the registrar for a new one"
            }
            (AccountError::NoSuchUser, Lang::Ko) => "그런 학번의 학생이 없습니다",
            (AccountError::NoSuchUser, Lang::En) => "no student has this login id",
            (AccountError::AccountDisabled, Lang::Ko) => {
                "사용이 중지된 계정입니다. 학사 담당자에게 문의하세요"
            }
            (AccountError::AccountDisabled, Lang::En) => {
                "this account is disabled; ask the registrar's office"
            }
        }
    }

    pub fn status(self) -> actix_web::http::StatusCode {
        use actix_web::http::StatusCode;
        match self {
            AccountError::WrongCurrentPassword | AccountError::NewPassword(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AccountError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            AccountError::OneTimePasswordExpired | AccountError::OneTimePasswordUsed => {
                StatusCode::UNAUTHORIZED
            }
            AccountError::NoSuchUser => StatusCode::NOT_FOUND,
            AccountError::AccountDisabled => StatusCode::UNAUTHORIZED,
        }
    }
}
