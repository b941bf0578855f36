//! Terms and their registration windows: the terms, one term (locked for every window write of
//! it), which one is current, its seat-release times, and its windows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Pairs;
use crate::catalog::models::{NewTerm, NewWindow};
use crate::catalog::{Term, Window};
use crate::db::schema::{priority_groups, registration_windows, terms};

/// Every term, newest first.
pub fn all(conn: &mut MysqlConnection) -> QueryResult<Vec<Term>> {
    terms::table
        .order((terms::year.desc(), terms::starts_on.desc()))
        .select(Term::as_select())
        .load(conn)
}

pub fn find(conn: &mut MysqlConnection, id: i32) -> QueryResult<Term> {
    terms::table.find(id).select(Term::as_select()).first(conn)
}

/// Inserts the term; returns its id.
pub fn insert(conn: &mut MysqlConnection, t: &NewTerm) -> QueryResult<i32> {
    diesel::insert_into(terms::table).values(t).execute(conn)?;
    Ok(crate::db::last_insert_id(conn)? as i32)
}

/// Makes the locked term the current one. One statement flips every row: there is never a
/// moment with two current terms or none, whoever else is doing the same.
pub fn make_current(conn: &mut MysqlConnection, id: i32) -> QueryResult<Term> {
    let term = terms::table
        .find(id)
        .select(Term::as_select())
        .for_update()
        .first(conn)?;
    diesel::update(terms::table)
        .set(terms::is_current.eq(terms::id.eq(id)))
        .execute(conn)?;
    Ok(term)
}

/// Sets the term's seat-release times (none: the feature is off); whether the term exists.
pub fn set_release_times(
    conn: &mut MysqlConnection,
    id: i32,
    times: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::update(terms::table.find(id))
        .set(terms::release_times.eq(times))
        .execute(conn)?;
    Ok(n > 0)
}

type OfTerm = diesel::dsl::Filter<
    registration_windows::table,
    diesel::dsl::Eq<registration_windows::term_id, i32>,
>;

/// The statement reading the term's windows, to finish with an order or not.
fn windows(term_id: i32) -> OfTerm {
    registration_windows::table.filter(registration_windows::term_id.eq(term_id))
}

/// The term's windows by phase, cohort and opening.
pub fn windows_of(conn: &mut MysqlConnection, term_id: i32) -> QueryResult<Vec<Window>> {
    windows(term_id)
        .order((
            registration_windows::phase,
            registration_windows::cohort,
            registration_windows::opens_at,
        ))
        .select(Window::as_select())
        .load(conn)
}

/// Locks the term's row and reads its windows: every window write of a term takes this lock
/// first, so its overlap check sees every committed window and nobody else is writing.
pub fn lock_windows(conn: &mut MysqlConnection, term_id: i32) -> QueryResult<Vec<Window>> {
    terms::table
        .find(term_id)
        .select(terms::id)
        .for_update()
        .first::<i32>(conn)?;
    windows(term_id).select(Window::as_select()).load(conn)
}

/// Locks the priority group a window names (so it cannot be deleted meanwhile); its code, when
/// it exists.
pub fn lock_group(conn: &mut MysqlConnection, id: i32) -> QueryResult<Option<String>> {
    priority_groups::table
        .find(id)
        .select(priority_groups::code)
        .for_update()
        .first::<String>(conn)
        .optional()
}

pub fn insert_window(conn: &mut MysqlConnection, w: &NewWindow) -> QueryResult<()> {
    diesel::insert_into(registration_windows::table)
        .values(w)
        .execute(conn)?;
    Ok(())
}

/// Gives window `id` the phase, cohort, span, group and parity of `w` (its term stays).
pub fn update_window(conn: &mut MysqlConnection, id: i32, w: &NewWindow) -> QueryResult<()> {
    diesel::update(registration_windows::table.find(id))
        .set((
            registration_windows::phase.eq(w.phase),
            registration_windows::cohort.eq(w.cohort),
            registration_windows::opens_at.eq(w.opens_at),
            registration_windows::closes_at.eq(w.closes_at),
            registration_windows::group_id.eq(w.group_id),
            registration_windows::parity.eq(w.parity),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_closes_at(
    conn: &mut MysqlConnection,
    id: i32,
    closes_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(registration_windows::table.find(id))
        .set(registration_windows::closes_at.eq(closes_at))
        .execute(conn)?;
    Ok(())
}

/// Deletes window `id` of the term; whether there was one.
pub fn delete_window(conn: &mut MysqlConnection, term_id: i32, id: i32) -> QueryResult<bool> {
    Pairs::<registration_windows::id, registration_windows::term_id>::delete(conn, id, term_id)
}
