//! Why an account request was refused, at sign-in or on the account's own pages: a stable code,
//! the field it belongs beside and a message in both languages (`accounts` re-exports these).

use crate::web::i18n::Lang;

/// Why a new password was refused; each has a stable API code and a message in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    EqualsLoginId,
    TooCommon,
    Mismatch,
}

impl PasswordProblem {
    pub fn code(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "password_too_short",
            PasswordProblem::TooLong => "password_too_long",
            PasswordProblem::EqualsLoginId => "password_equals_login_id",
            PasswordProblem::TooCommon => "password_too_common",
            PasswordProblem::Mismatch => "password_mismatch",
        }
    }

    /// The form field the message belongs beside.
    pub fn field(self) -> &'static str {
        match self {
            PasswordProblem::Mismatch => "new_password_confirm",
            _ => "new_password",
        }
    }

    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (PasswordProblem::TooShort, Lang::Ko) => "새 비밀번호는 12자 이상이어야 합니다",
            (PasswordProblem::TooShort, Lang::En) => {
                "the new password must be at least 12 characters"
            }
            (PasswordProblem::TooLong, Lang::Ko) => "새 비밀번호는 128자 이하여야 합니다",
            (PasswordProblem::TooLong, Lang::En) => {
                "the new password must be at most 128 characters"
            }
            (PasswordProblem::EqualsLoginId, Lang::Ko) => {
                "학번(아이디)을 비밀번호로 쓸 수 없습니다"
            }
            (PasswordProblem::EqualsLoginId, Lang::En) => {
                "the new password cannot be your login id"
            }
            (PasswordProblem::TooCommon, Lang::Ko) => {
                "너무 흔한 비밀번호입니다. 다른 비밀번호를 고르세요"
            }
            (PasswordProblem::TooCommon, Lang::En) => {
                "this password is among the most common ones; choose another"
            }
            (PasswordProblem::Mismatch, Lang::Ko) => "새 비밀번호 두 칸이 서로 다릅니다",
            (PasswordProblem::Mismatch, Lang::En) => "the two new passwords differ",
        }
    }
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

impl crate::web::error::Reason for AccountError {
    fn code(&self) -> &'static str {
        AccountError::code(*self)
    }

    fn message(&self, lang: Lang) -> String {
        AccountError::message(*self, lang).to_string()
    }

    fn status(&self) -> actix_web::http::StatusCode {
        AccountError::status(*self)
    }

    fn field(&self) -> Option<&'static str> {
        Some(AccountError::field(*self))
    }

    fn ends_session(&self) -> bool {
        *self == AccountError::AccountDisabled
    }
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
