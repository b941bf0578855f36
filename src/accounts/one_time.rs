//! One-time passwords issued by a registrar: for one student from the console, or for every
//! student imported without a password (a CSV shown once). Only the argon2id hash is stored; it
//! becomes the account's password hash, and a `one_time_passwords` row with the same hash makes
//! a sign-in with it single use, valid for 72 hours, and restricted to changing the password.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::MysqlConnection;

use crate::db::schema::{one_time_passwords, users};

pub const VALID_FOR_HOURS: i64 = 72;
/// The password hash of students imported without a password (see `admin::csv_import`).
pub const NO_PASSWORD_HASH: &str = "!imported-no-password";

/// Stores `hash` as the account's password and as a pending one-time password; replaces an
/// earlier one. Returns when it expires.
pub fn issue(
    conn: &mut MysqlConnection,
    user_id: i32,
    hash: &str,
    issued_by: i32,
) -> QueryResult<NaiveDateTime> {
    let expires_at = Utc::now().naive_utc() + Duration::hours(VALID_FOR_HOURS);
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    diesel::replace_into(one_time_passwords::table)
        .values((
            one_time_passwords::user_id.eq(user_id),
            one_time_passwords::password_hash.eq(hash),
            one_time_passwords::expires_at.eq(expires_at),
            one_time_passwords::used_at.eq(None::<NaiveDateTime>),
            one_time_passwords::issued_by.eq(issued_by),
        ))
        .execute(conn)?;
    Ok(expires_at)
}

/// The password was changed: no one-time password is pending any more.
pub fn clear(conn: &mut MysqlConnection, user_id: i32) -> QueryResult<usize> {
    diesel::delete(one_time_passwords::table.filter(one_time_passwords::user_id.eq(user_id)))
        .execute(conn)
}

/// Students who have no password at all (imported without one), by login id.
pub fn students_without_password(conn: &mut MysqlConnection) -> QueryResult<Vec<(i32, String)>> {
    users::table
        .filter(users::role.eq("student"))
        .filter(users::password_hash.eq(NO_PASSWORD_HASH))
        .order(users::login_id.asc())
        .select((users::id, users::login_id))
        .load(conn)
}

/// A one-time password: 16 characters from an alphabet without look-alikes (~93 bits), in
/// groups of four so it can be read out or typed from paper.
pub fn generate() -> String {
    let raw = crate::accounts::create::generate_password();
    let chars: Vec<char> = raw.chars().take(16).collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_pass_the_policy() {
        let p = generate();
        assert_eq!(p.len(), 19);
        assert_eq!(p.matches('-').count(), 3);
        assert_eq!(
            crate::accounts::policy::check_new_password("20260001", &p, &p),
            Ok(())
        );
    }
}
