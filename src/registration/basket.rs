//! The basket (장바구니): sections a student plans to take, added and removed during the basket
//! phase (and afterwards as a plan). Limits: at most `MAX_ITEMS` sections and `MAX_CREDITS`
//! credits. Each section's basket count is the demand signal shown in the catalog.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::catalog::queries::current_term;
use crate::db::schema::{basket_items, courses, sections};
use crate::registration::activity::{self, NewActivity};
use crate::registration::service::Attempt;

pub const MAX_ITEMS: i64 = 15;
pub const MAX_CREDITS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BasketRefusal {
    NotFound,
    Cancelled,
    AlreadyInBasket,
    TooManyItems,
    TooManyCredits { limit: i64 },
    NotInBasket,
}

impl BasketRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            BasketRefusal::NotFound => "not_found",
            BasketRefusal::Cancelled => "not_eligible",
            BasketRefusal::AlreadyInBasket => "already_in_basket",
            BasketRefusal::TooManyItems => "basket_full",
            BasketRefusal::TooManyCredits { .. } => "basket_credit_limit",
            BasketRefusal::NotInBasket => "not_in_basket",
        }
    }

    pub fn message(&self, lang: crate::web::Lang) -> String {
        match self {
            BasketRefusal::TooManyItems => {
                lang.format("basket.full", &[("max", MAX_ITEMS.to_string())])
            }
            BasketRefusal::TooManyCredits { limit } => {
                lang.format("basket.credit_limit", &[("max", limit.to_string())])
            }
            other => lang.text(&format!("basket.{}", other.code())).to_string(),
        }
    }
}

#[derive(Debug)]
pub enum BasketError {
    Refused(BasketRefusal),
    Db(DieselError),
}

impl From<DieselError> for BasketError {
    fn from(e: DieselError) -> Self {
        BasketError::Db(e)
    }
}

fn log(conn: &mut MysqlConnection, a: &Attempt, section_id: i32, outcome: &str) -> QueryResult<()> {
    let meta = crate::web::RequestMeta {
        request_id: a.request_id.clone(),
        client_ip: a.client_ip.clone(),
    };
    let mut entry = NewActivity::new("basket", outcome, &meta);
    entry.actor_id = Some(a.student_id);
    entry.student_id = Some(a.student_id);
    entry.section_id = Some(section_id);
    entry.session_ref = a.session_ref.clone();
    activity::record(conn, &entry)
}

/// Adds a section of the current term to the student's basket. The student's row is locked so two
/// tabs cannot together pass the limits.
pub fn add(
    conn: &mut MysqlConnection,
    a: &Attempt,
    section_id: i32,
    _now: DateTime<Utc>,
) -> Result<i64, BasketError> {
    let outcome = conn.transaction::<_, BasketError, _>(|conn| {
        use crate::db::schema::users;
        users::table
            .find(a.student_id)
            .select(users::id)
            .for_update()
            .first::<i32>(conn)?;
        let term = current_term(conn)?.ok_or(BasketError::Refused(BasketRefusal::NotFound))?;
        let (status, credits): (String, i8) = sections::table
            .inner_join(courses::table)
            .filter(sections::id.eq(section_id))
            .filter(sections::term_id.eq(term.id))
            .select((sections::status, courses::credits))
            .first(conn)
            .optional()?
            .ok_or(BasketError::Refused(BasketRefusal::NotFound))?;
        if status != "open" {
            return Err(BasketError::Refused(BasketRefusal::Cancelled));
        }
        let mine = basket_items::table
            .inner_join(sections::table.inner_join(courses::table))
            .filter(basket_items::student_id.eq(a.student_id))
            .filter(sections::term_id.eq(term.id));
        let held: Vec<(i32, i8)> = mine
            .select((basket_items::section_id, courses::credits))
            .load(conn)?;
        if held.iter().any(|(s, _)| *s == section_id) {
            return Err(BasketError::Refused(BasketRefusal::AlreadyInBasket));
        }
        if held.len() as i64 >= MAX_ITEMS {
            return Err(BasketError::Refused(BasketRefusal::TooManyItems));
        }
        let total: i64 = held.iter().map(|(_, c)| i64::from(*c)).sum::<i64>() + i64::from(credits);
        if total > MAX_CREDITS {
            return Err(BasketError::Refused(BasketRefusal::TooManyCredits {
                limit: MAX_CREDITS,
            }));
        }
        match diesel::insert_into(basket_items::table)
            .values((
                basket_items::student_id.eq(a.student_id),
                basket_items::section_id.eq(section_id),
            ))
            .execute(conn)
        {
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(BasketError::Refused(BasketRefusal::AlreadyInBasket))
            }
            other => other?,
        };
        log(conn, a, section_id, "ok")?;
        Ok(total)
    });
    if let Err(BasketError::Refused(r)) = &outcome {
        log(conn, a, section_id, r.code())?;
    }
    outcome
}

pub fn remove(conn: &mut MysqlConnection, a: &Attempt, section_id: i32) -> Result<(), BasketError> {
    let removed = diesel::delete(
        basket_items::table
            .filter(basket_items::student_id.eq(a.student_id))
            .filter(basket_items::section_id.eq(section_id)),
    )
    .execute(conn)?;
    if removed == 0 {
        log(conn, a, section_id, "not_in_basket")?;
        return Err(BasketError::Refused(BasketRefusal::NotInBasket));
    }
    log(conn, a, section_id, "removed")?;
    Ok(())
}
