//! Account lifecycle beyond signing in: creating accounts from the command line
//! (`sugang user create`), the password policy, and changing one's own password.

pub mod create;
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
    );
}

/// Why an account request was refused: a stable code, the field it belongs beside, a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountError {
    WrongCurrentPassword,
    NewPassword(PasswordProblem),
}

impl AccountError {
    pub fn code(self) -> &'static str {
        match self {
            AccountError::WrongCurrentPassword => "wrong_current_password",
            AccountError::NewPassword(p) => p.code(),
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            AccountError::WrongCurrentPassword => "current_password",
            AccountError::NewPassword(p) => p.field(),
        }
    }

    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (AccountError::WrongCurrentPassword, Lang::Ko) => "현재 비밀번호가 맞지 않습니다",
            (AccountError::WrongCurrentPassword, Lang::En) => "the current password is not correct",
            (AccountError::NewPassword(p), lang) => p.message(lang),
        }
    }
}
