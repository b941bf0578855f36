//! The console's Diesel statements, by area: small `QueryResult` functions over
//! `&mut MysqlConnection` that compose inside the caller's transaction (`forms::run`), as
//! `registration/queries.rs` does for registration. Locks are taken by the callers, in the order
//! docs/REGISTRATION.md gives.

pub mod courses;
pub mod export;
pub mod groups;
pub mod registrars;
mod sections;
pub mod students;
pub mod terms;

pub use sections::*;

use std::marker::PhantomData;

use diesel::associations::HasTable;
use diesel::prelude::*;
use diesel::query_builder::{DeleteStatement, InsertStatement, IntoUpdateTarget};
use diesel::query_dsl::methods::{ExecuteDsl, FilterDsl};
use diesel::sql_types::Integer;

/// A table's rows named by two integer columns, `A` then `B`: a group's members, a course's
/// prerequisites, a term's windows. Statements filter by the two in that order.
pub(crate) struct Pairs<A, B>(PhantomData<(A, B)>);

type Eq<C> = diesel::dsl::Eq<C, i32>;

impl<A, B> Pairs<A, B>
where
    A: Column + Expression<SqlType = Integer> + Default,
    B: Column<Table = A::Table> + Expression<SqlType = Integer> + Default,
    A::Table: Default,
{
    /// Inserts the row `(first, second)`.
    pub(crate) fn insert<V>(conn: &mut MysqlConnection, first: i32, second: i32) -> QueryResult<()>
    where
        (Eq<A>, Eq<B>): Insertable<A::Table, Values = V>,
        InsertStatement<A::Table, V>: ExecuteDsl<MysqlConnection>,
    {
        diesel::insert_into(A::Table::default())
            .values((A::default().eq(first), B::default().eq(second)))
            .execute(conn)?;
        Ok(())
    }

    /// Deletes the row `(first, second)`; whether there was one.
    pub(crate) fn delete<W, F, G>(
        conn: &mut MysqlConnection,
        first: i32,
        second: i32,
    ) -> QueryResult<bool>
    where
        A::Table: IntoUpdateTarget<WhereClause = W>,
        DeleteStatement<<A::Table as HasTable>::Table, W>: FilterDsl<Eq<A>, Output = F>,
        F: FilterDsl<Eq<B>, Output = G>,
        G: ExecuteDsl<MysqlConnection> + RunQueryDsl<MysqlConnection>,
    {
        let n = diesel::delete(A::Table::default())
            .filter(A::default().eq(first))
            .filter(B::default().eq(second))
            .execute(conn)?;
        Ok(n > 0)
    }
}
