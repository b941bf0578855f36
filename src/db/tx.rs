//! The one transaction kit: every capability runs its MySQL transactions through `transaction`,
//! with one retry policy for deadlock victims and lock time-outs, and classifies MySQL's errors
//! with the functions here.
//!
//! Pooled connections run READ COMMITTED (see `db::Manager`): every read after a row lock sees
//! the latest commit, and the locks — not snapshots — make registration correct. The one global
//! lock order (student rows, then section rows, each ascending) is described in
//! docs/REGISTRATION.md; a cycle with waitlist promotion (which locks a student after a section)
//! is broken by InnoDB's deadlock detection, and the victim is run again from the start here.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// How many times a transaction runs at most when it keeps losing to deadlocks.
pub const ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// The pool's level: reads after a row lock see the latest commit.
    ReadCommitted,
    /// For writes serialized by a locking scan of a whole table (gap locks exist only here).
    RepeatableRead,
}

/// A deadlock victim, a lock wait time-out or a serialization failure: running the whole
/// transaction again may succeed.
pub fn is_retryable(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            info.message().contains("Deadlock") || info.message().contains("Lock wait timeout")
        }
        _ => false,
    }
}

/// The COMMIT was sent but its answer never came back (the connection broke, so the roll-back
/// failed too): MySQL may or may not have made the transaction durable. Only the database can
/// settle it, once it answers again — an idempotent retry looks for the transaction's own rows.
pub fn is_in_doubt(e: &DieselError) -> bool {
    matches!(e, DieselError::RollbackErrorOnCommit { .. })
}

/// A unique key refused the write.
pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// The database error inside a capability's transaction error, if it carries one.
pub trait DbFailure {
    fn db_error(&self) -> Option<&DieselError>;
}

impl DbFailure for DieselError {
    fn db_error(&self) -> Option<&DieselError> {
        Some(self)
    }
}

/// Runs `f` in one transaction (at `level`, or the pool's READ COMMITTED when `None`), running
/// it again from the start, after a short jittered pause, while it fails with a retryable error,
/// up to `ATTEMPTS` times.
pub fn transaction<T, E>(
    conn: &mut MysqlConnection,
    level: Option<Isolation>,
    f: impl Fn(&mut MysqlConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DieselError> + DbFailure,
{
    let statement = level.map(|l| match l {
        Isolation::ReadCommitted => "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
        Isolation::RepeatableRead => "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    });
    let mut attempt = 0;
    loop {
        attempt += 1;
        if let Some(statement) = statement {
            conn.batch_execute(statement)?;
        }
        match conn.transaction(|c| f(c)) {
            Err(e) if attempt < ATTEMPTS && e.db_error().is_some_and(is_retryable) => {
                tracing::debug!(attempt, "transaction retried after a deadlock");
                let jitter: u64 = rand::random::<u64>() % 10;
                std::thread::sleep(Duration::from_millis(2 * u64::from(attempt) + jitter));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lost() -> DieselError {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("Lost connection to server during query".to_string()),
        )
    }

    #[test]
    fn only_a_failed_commit_is_in_doubt() {
        let commit = DieselError::RollbackErrorOnCommit {
            rollback_error: Box::new(DieselError::BrokenTransactionManager),
            commit_error: Box::new(lost()),
        };
        assert!(is_in_doubt(&commit));
        // A statement that lost its connection before the COMMIT rolled back with it.
        assert!(!is_in_doubt(&lost()));
        assert!(!is_in_doubt(&DieselError::BrokenTransactionManager));
        assert!(!is_in_doubt(&DieselError::NotFound));
    }
}
