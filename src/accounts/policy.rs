//! What a new password must be: 12 to 128 characters, not the account's login id, not among the
//! 10,000 most common passwords (`data/common-passwords.txt`). Pure: the CLI, the password page
//! and the API all check through `check_new_password`.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::auth::account_error::PasswordProblem;

pub const NEW_PASSWORD_MIN: usize = 12;
pub const NEW_PASSWORD_MAX: usize = 128;

/// Lower-cased: a password is refused whatever its case.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_lowercase)
        .collect()
});

/// Checks a new password (typed twice) for the account `login_id`, in a fixed order.
pub fn check_new_password(login_id: &str, new: &str, confirm: &str) -> Result<(), PasswordProblem> {
    let len = new.chars().count();
    if len < NEW_PASSWORD_MIN {
        return Err(PasswordProblem::TooShort);
    }
    if len > NEW_PASSWORD_MAX {
        return Err(PasswordProblem::TooLong);
    }
    if new.trim().eq_ignore_ascii_case(login_id.trim()) {
        return Err(PasswordProblem::EqualsLoginId);
    }
    if is_common(new) {
        return Err(PasswordProblem::TooCommon);
    }
    if new != confirm {
        return Err(PasswordProblem::Mismatch);
    }
    Ok(())
}

pub fn is_common(password: &str) -> bool {
    COMMON.contains(&password.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_has_ten_thousand_entries() {
        assert!(COMMON.len() > 9_900, "{}", COMMON.len());
        assert_eq!(
            include_str!("../../data/common-passwords.txt")
                .lines()
                .count(),
            10_000
        );
        assert!(is_common("1QAZ2WSX3EDC"));
        assert!(is_common("q1w2e3r4t5y6"));
        assert!(is_common("password"));
        assert!(is_common("PassWord"));
        assert!(!is_common("river-lantern-quietly-47"));
    }

    #[test]
    fn a_good_password_typed_twice_is_accepted() {
        assert_eq!(
            check_new_password("20240001", "river-lantern-47", "river-lantern-47"),
            Ok(())
        );
    }

    #[test]
    fn length_bounds_count_characters_not_bytes() {
        assert_eq!(
            check_new_password("u", "short-pw-11", "short-pw-11"),
            Err(PasswordProblem::TooShort)
        );
        let twelve = "가나다라마바사아자차카타";
        assert_eq!(check_new_password("u", twelve, twelve), Ok(()));
        let long = "x1".repeat(64);
        assert_eq!(check_new_password("u", &long, &long), Ok(()));
        let too_long = format!("{long}z");
        assert_eq!(
            check_new_password("u", &too_long, &too_long),
            Err(PasswordProblem::TooLong)
        );
    }

    #[test]
    fn the_login_id_is_refused_as_a_password() {
        assert_eq!(
            check_new_password("registrar-0001", "REGISTRAR-0001", "REGISTRAR-0001"),
            Err(PasswordProblem::EqualsLoginId)
        );
    }

    #[test]
    fn a_common_password_is_refused_whatever_its_case() {
        let common = COMMON
            .iter()
            .find(|p| p.chars().count() >= NEW_PASSWORD_MIN)
            .expect("the list has long entries");
        let upper = common.to_uppercase();
        assert_eq!(
            check_new_password("u", &upper, &upper),
            Err(PasswordProblem::TooCommon)
        );
    }

    #[test]
    fn mismatched_confirmation_is_refused() {
        assert_eq!(
            check_new_password("u", "river-lantern-47", "river-lantern-48"),
            Err(PasswordProblem::Mismatch)
        );
        assert_eq!(PasswordProblem::Mismatch.field(), "new_password_confirm");
    }
}
