//! `sugang user create`: the first registrar of an empty database, and any account after it,
//! without SQL. The password comes from standard input or is generated and shown once; it is
//! checked by the same policy as a password change and hashed like every real account (argon2id
//! with its own salt).

use std::io::BufRead;

use diesel::prelude::*;
use diesel::MysqlConnection;

use crate::accounts::policy;
use crate::activity::{self, NewActivity};
use crate::auth::account_error::PasswordProblem;
use crate::auth::domain::LoginId;
use crate::auth::models::{self, NewUser};
use crate::auth::Role;

pub const NAME_MAX: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("login id: {0}")]
    BadLoginId(String),
    #[error("name: must be 1 to {NAME_MAX} characters")]
    BadName,
    #[error("password: {}", .0.message(crate::web::i18n::Lang::En))]
    BadPassword(PasswordProblem),
    #[error("password: nothing on standard input (pipe one line in, or pass --generate-password)")]
    NoPassword,
    #[error("an account with login id {0:?} already exists; nothing changed")]
    LoginTaken(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Where the password comes from.
pub enum PasswordSource<'a> {
    /// The first line of this reader (the trailing newline is not part of the password).
    Read(&'a mut dyn BufRead),
    Generate,
}

pub struct CreateAccount<'a> {
    pub role: Role,
    pub login_id: &'a str,
    pub name: Option<&'a str>,
    pub password: PasswordSource<'a>,
}

#[derive(Debug)]
pub struct Created {
    pub id: i32,
    pub login_id: String,
    /// The generated password, to be shown once; `None` when it was read from the input.
    pub generated_password: Option<String>,
}

/// A random password of 20 characters from an alphabet without look-alikes (~115 bits).
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Validates everything, then inserts the account and its activity line in one transaction.
pub fn create_account(
    conn: &mut MysqlConnection,
    account: CreateAccount<'_>,
) -> Result<Created, CreateError> {
    let login_id = LoginId::parse(account.login_id)
        .map_err(|e| CreateError::BadLoginId(e.message(crate::web::i18n::Lang::En)))?;
    let name = account.name.unwrap_or(login_id.as_str()).trim().to_string();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(CreateError::BadName);
    }
    let (password, generated) = match account.password {
        PasswordSource::Generate => {
            let p = generate_password();
            (p.clone(), Some(p))
        }
        PasswordSource::Read(input) => {
            let mut line = String::new();
            input
                .read_line(&mut line)
                .map_err(|e| anyhow::anyhow!("cannot read standard input: {e}"))?;
            let line = line.strip_suffix('\n').unwrap_or(&line);
            let line = line.strip_suffix('\r').unwrap_or(line).to_string();
            if line.is_empty() {
                return Err(CreateError::NoPassword);
            }
            (line, None)
        }
    };
    policy::check_new_password(login_id.as_str(), &password, &password)
        .map_err(CreateError::BadPassword)?;
    if models::find_by_login_id(conn, login_id.as_str())?.is_some() {
        return Err(CreateError::LoginTaken(login_id.as_str().to_string()));
    }
    let hash = crate::auth::password::hash_password(&password)?;
    let role = match account.role {
        Role::Student => "student",
        Role::Registrar => "registrar",
    };
    let id = conn.transaction(|conn| {
        let id = models::insert(
            conn,
            &NewUser {
                login_id: login_id.as_str(),
                name: &name,
                password_hash: &hash,
                role,
                department_id: None,
                class_year: None,
                status: "enrolled",
                max_credits: None,
            },
        )
        .map_err(|e| match e {
            // A concurrent create of the same login id.
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => CreateError::LoginTaken(login_id.as_str().to_string()),
            other => CreateError::Database(other),
        })?;
        activity::record(
            conn,
            &NewActivity {
                actor_id: None,
                student_id: (account.role == Role::Student).then_some(id),
                action: "account_create",
                section_id: None,
                outcome: "ok".into(),
                detail: Some(format!(
                    "{role} {} created from the command line",
                    login_id.as_str()
                )),
                request_id: format!("cli-{}", uuid::Uuid::new_v4().simple()),
                session_ref: None,
                client_ip: None,
            },
        )?;
        Ok::<_, CreateError>(id)
    })?;
    tracing::info!(user.id = id, role, "account created from the command line");
    Ok(Created {
        id,
        login_id: login_id.as_str().to_string(),
        generated_password: generated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_pass_the_policy_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, b);
        assert_eq!(policy::check_new_password("anyone", &a, &a), Ok(()));
    }
}
