//! What a sign-in form may contain, parsed once at the edge.

use crate::web::error::Invalid;

pub const LOGIN_ID_MAX: usize = 32;
pub const PASSWORD_MAX: usize = 128;

/// A student or staff number: 1 to 32 letters, digits, `.`, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginId(String);

impl LoginId {
    pub fn parse(raw: &str) -> Result<LoginId, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::new("login_id", "field.required"));
        }
        if s.chars().count() > LOGIN_ID_MAX {
            return Err(Invalid::new("login_id", "field.too_long").arg("max", LOGIN_ID_MAX));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(Invalid::new("login_id", "field.invalid_chars"));
        }
        Ok(LoginId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed: 1 to 128 characters, never trimmed, never logged.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Password, Invalid> {
        if raw.is_empty() {
            return Err(Invalid::new("password", "field.required"));
        }
        if raw.chars().count() > PASSWORD_MAX {
            return Err(Invalid::new("password", "field.too_long").arg("max", PASSWORD_MAX));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_id_edges() {
        assert_eq!(
            LoginId::parse(" 20240001 ").expect("valid").as_str(),
            "20240001"
        );
        assert_eq!(
            LoginId::parse("").expect_err("invalid").key,
            "field.required"
        );
        assert_eq!(
            LoginId::parse("   ").expect_err("invalid").key,
            "field.required"
        );
        assert!(LoginId::parse(&"9".repeat(32)).is_ok());
        assert_eq!(
            LoginId::parse(&"9".repeat(33)).expect_err("invalid").key,
            "field.too_long"
        );
        assert_eq!(
            LoginId::parse("2024' OR 1=1").expect_err("invalid").key,
            "field.invalid_chars"
        );
        assert_eq!(
            LoginId::parse("학번").expect_err("invalid").key,
            "field.invalid_chars"
        );
    }

    #[test]
    fn password_edges() {
        assert!(Password::parse(" spaces kept ").is_ok());
        assert_eq!(
            Password::parse("").expect_err("invalid").key,
            "field.required"
        );
        assert!(Password::parse(&"가".repeat(128)).is_ok());
        assert_eq!(
            Password::parse(&"a".repeat(129)).expect_err("invalid").key,
            "field.too_long"
        );
        assert_eq!(
            format!("{:?}", Password::parse("secret").expect("valid")),
            "Password(..)"
        );
    }
}
