//! The basket (장바구니): sections a student plans to take, added and removed during the basket
//! phase (and afterwards as a plan). Limits: at most `MAX_ITEMS` sections and `MAX_CREDITS`
//! credits. Each section's basket count is the demand signal shown in the catalog.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

use crate::activity::{self, NewActivity};
use crate::catalog::queries::current_term;
use crate::db::schema::{basket_items, courses, enrollments, meetings, sections};
use crate::registration::service::{Attempt, SectionSummary};
use crate::timetable::grid::{self, Slot, TimetableSection};

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

// ---- the basket as the page and the API show it ----

/// A meeting of a basket or enrolled section.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    #[serde(skip)]
    pub id: i32,
    pub weekday: u8,
    pub starts_at_min: u16,
    pub ends_at_min: u16,
    pub room: String,
}

/// Another section a basket item overlaps with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Clash {
    pub section_id: i32,
    pub label: String,
    /// The other section is one the student is enrolled in (else another basket item).
    pub enrolled: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BasketItem {
    pub section: SectionSummary,
    #[serde(skip)]
    pub course_id: i32,
    pub instructor: String,
    /// `open` or `cancelled`.
    pub status: String,
    pub capacity: i32,
    pub enrolled: i32,
    pub seats_left: i32,
    pub waitlist_capacity: i32,
    /// How many students hold this section in their basket (the demand signal).
    pub basket_count: i64,
    pub meetings: Vec<MeetingView>,
    /// The student is already enrolled in this very section.
    pub registered: bool,
    /// The student is enrolled in another section of the same course (its label).
    pub same_course: Option<String>,
    pub clashes: Vec<Clash>,
}

impl BasketItem {
    pub fn label(&self) -> String {
        format!(
            "{}-{:02}",
            self.section.course_code, self.section.section_no
        )
    }
}

/// An enrolled section, for the timetable preview beside the basket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrolledSection {
    pub section: SectionSummary,
    #[serde(skip)]
    pub course_id: i32,
    pub instructor: String,
    pub meetings: Vec<MeetingView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BasketView {
    pub term_id: Option<i32>,
    pub items: Vec<BasketItem>,
    pub enrollments: Vec<EnrolledSection>,
    /// Credits of every section in the basket (the basket's own limit counts these).
    pub basket_credits: i64,
    pub enrolled_credits: i64,
    /// Enrolled credits plus the basket sections not registered yet: the total if all went through.
    pub planned_credits: i64,
    /// The student's registration credit limit this term.
    pub credit_limit: Option<i32>,
    pub max_items: i64,
    pub max_credits: i64,
    pub items_left: i64,
    pub credits_left: i64,
    /// Every overlap between two sections of the preview (basket items and enrollments).
    pub conflicts: Vec<grid::Conflict>,
}

impl BasketView {
    /// The sections the timetable preview lays out: enrollments, then unregistered basket items.
    pub fn timetable(&self) -> Vec<TimetableSection> {
        let mut out: Vec<TimetableSection> = self
            .enrollments
            .iter()
            .map(|e| timetable_section(&e.section, &e.instructor, &e.meetings))
            .collect();
        out.extend(
            self.items
                .iter()
                .filter(|i| !i.registered)
                .map(|i| timetable_section(&i.section, &i.instructor, &i.meetings)),
        );
        out
    }

    pub fn over_limit(&self) -> bool {
        self.credit_limit
            .is_some_and(|l| self.planned_credits > i64::from(l))
    }
}

fn timetable_section(
    s: &SectionSummary,
    instructor: &str,
    meetings: &[MeetingView],
) -> TimetableSection {
    TimetableSection {
        section_id: s.id,
        course_code: s.course_code.clone(),
        section_no: s.section_no,
        title_ko: s.title_ko.clone(),
        title_en: s.title_en.clone(),
        credits: i8::try_from(s.credits).unwrap_or(i8::MAX),
        instructor: instructor.to_string(),
        meetings: meetings
            .iter()
            .map(|m| Slot {
                meeting_id: m.id,
                weekday: m.weekday,
                start: m.starts_at_min,
                end: m.ends_at_min,
                room: m.room.clone(),
            })
            .collect(),
    }
}

/// A section with its course, as the basket shows it.
#[derive(Debug, Clone, Queryable)]
struct FactsRow {
    id: i32,
    course_id: i32,
    code: String,
    section_no: i16,
    title_ko: String,
    title_en: String,
    credits: i8,
    instructor: String,
    status: String,
    capacity: i32,
    enrolled: i32,
    waitlist_capacity: i32,
    held_seats: i32,
}

/// Sections by id with their course and meetings, in the order of `ids`.
fn section_facts(
    conn: &mut MysqlConnection,
    ids: &[i32],
) -> QueryResult<Vec<(FactsRow, Vec<MeetingView>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<FactsRow> = sections::table
        .inner_join(courses::table)
        .filter(sections::id.eq_any(ids))
        .select((
            sections::id,
            courses::id,
            courses::code,
            sections::section_no,
            courses::title_ko,
            courses::title_en,
            courses::credits,
            sections::instructor,
            sections::status,
            sections::capacity,
            sections::enrolled,
            sections::waitlist_capacity,
            sections::held_seats,
        ))
        .load(conn)?;
    let mut meetings: HashMap<i32, Vec<MeetingView>> = HashMap::new();
    let slots: Vec<(i32, i32, i8, i16, i16, String)> = meetings::table
        .filter(meetings::section_id.eq_any(ids))
        .order((meetings::weekday, meetings::starts_at_min))
        .select((
            meetings::id,
            meetings::section_id,
            meetings::weekday,
            meetings::starts_at_min,
            meetings::ends_at_min,
            meetings::room,
        ))
        .load(conn)?;
    for (id, section_id, weekday, starts, ends, room) in slots {
        meetings.entry(section_id).or_default().push(MeetingView {
            id,
            weekday: u8::try_from(weekday).unwrap_or(0),
            starts_at_min: u16::try_from(starts).unwrap_or(0),
            ends_at_min: u16::try_from(ends).unwrap_or(0),
            room,
        });
    }
    let mut by_id: HashMap<i32, FactsRow> = rows.into_iter().map(|r| (r.id, r)).collect();
    Ok(ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|r| {
            let m = meetings.remove(&r.id).unwrap_or_default();
            (r, m)
        })
        .collect())
}

fn summary(r: &FactsRow) -> SectionSummary {
    SectionSummary {
        id: r.id,
        course_code: r.code.clone(),
        section_no: r.section_no,
        title_ko: r.title_ko.clone(),
        title_en: r.title_en.clone(),
        credits: i32::from(r.credits),
    }
}

/// The student's basket in the current term with everything the page and the API show: each
/// item's seats and demand, the credit totals against both limits, and every time overlap among
/// the basket and the student's enrollments.
pub fn view(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<BasketView> {
    let Some(term) = current_term(conn)? else {
        return Ok(BasketView {
            term_id: None,
            items: Vec::new(),
            enrollments: Vec::new(),
            basket_credits: 0,
            enrolled_credits: 0,
            planned_credits: 0,
            credit_limit: None,
            max_items: MAX_ITEMS,
            max_credits: MAX_CREDITS,
            items_left: MAX_ITEMS,
            credits_left: MAX_CREDITS,
            conflicts: Vec::new(),
        });
    };
    let user = crate::auth::models::find(conn, student_id)?;
    let basket_ids = term_basket(conn, student_id, term.id)?;
    let enrolled_ids: Vec<i32> = enrollments::table
        .filter(enrollments::student_id.eq(student_id))
        .filter(enrollments::term_id.eq(term.id))
        .order((enrollments::created_at, enrollments::id))
        .select(enrollments::section_id)
        .load(conn)?;
    let demand: HashMap<i32, i64> = if basket_ids.is_empty() {
        HashMap::new()
    } else {
        basket_items::table
            .filter(basket_items::section_id.eq_any(&basket_ids))
            .group_by(basket_items::section_id)
            .select((basket_items::section_id, count_star()))
            .load::<(i32, i64)>(conn)?
            .into_iter()
            .collect()
    };
    let enrollments: Vec<EnrolledSection> = section_facts(conn, &enrolled_ids)?
        .into_iter()
        .map(|(r, meetings)| EnrolledSection {
            section: summary(&r),
            course_id: r.course_id,
            instructor: r.instructor.clone(),
            meetings,
        })
        .collect();
    let items: Vec<BasketItem> = section_facts(conn, &basket_ids)?
        .into_iter()
        .map(|(r, meetings)| {
            let registered = enrolled_ids.contains(&r.id);
            let same_course = enrollments
                .iter()
                .find(|e| e.course_id == r.course_id && e.section.id != r.id)
                .map(|e| format!("{}-{:02}", e.section.course_code, e.section.section_no));
            BasketItem {
                section: summary(&r),
                course_id: r.course_id,
                instructor: r.instructor.clone(),
                status: r.status.clone(),
                capacity: r.capacity,
                enrolled: r.enrolled,
                seats_left: (r.capacity - r.enrolled - r.held_seats).max(0),
                waitlist_capacity: r.waitlist_capacity,
                basket_count: demand.get(&r.id).copied().unwrap_or(0),
                meetings,
                registered,
                same_course,
                clashes: Vec::new(),
            }
        })
        .collect();

    let basket_credits: i64 = items.iter().map(|i| i64::from(i.section.credits)).sum();
    let enrolled_credits: i64 = enrollments
        .iter()
        .map(|e| i64::from(e.section.credits))
        .sum();
    let unregistered: i64 = items
        .iter()
        .filter(|i| !i.registered)
        .map(|i| i64::from(i.section.credits))
        .sum();
    let mut view = BasketView {
        term_id: Some(term.id),
        items_left: (MAX_ITEMS - items.len() as i64).max(0),
        credits_left: (MAX_CREDITS - basket_credits).max(0),
        basket_credits,
        enrolled_credits,
        planned_credits: enrolled_credits + unregistered,
        credit_limit: Some(i32::from(user.max_credits.unwrap_or(term.max_credits))),
        max_items: MAX_ITEMS,
        max_credits: MAX_CREDITS,
        conflicts: Vec::new(),
        items,
        enrollments,
    };
    let preview = view.timetable();
    let conflicts = grid::conflicts(&preview);
    let label_of = |id: i32| {
        preview
            .iter()
            .find(|s| s.section_id == id)
            .map(TimetableSection::label)
            .unwrap_or_default()
    };
    for item in view.items.iter_mut() {
        let me = item.section.id;
        for c in &conflicts {
            let other = match (c.section_a == me, c.section_b == me) {
                (true, _) => c.section_b,
                (_, true) => c.section_a,
                _ => continue,
            };
            if item.clashes.iter().any(|x| x.section_id == other) {
                continue;
            }
            item.clashes.push(Clash {
                section_id: other,
                label: label_of(other),
                enrolled: enrolled_ids.contains(&other),
            });
        }
    }
    view.conflicts = conflicts;
    Ok(view)
}

/// Takes a section out of the student's basket once it has become an enrollment (allocation,
/// "register my basket"). Not an attempt of the student's, so not logged as one.
pub fn settle(conn: &mut MysqlConnection, student_id: i32, section_id: i32) -> QueryResult<()> {
    diesel::delete(
        basket_items::table
            .filter(basket_items::student_id.eq(student_id))
            .filter(basket_items::section_id.eq(section_id)),
    )
    .execute(conn)
    .map(|_| ())
}

/// The sections of the student's basket in the current term, oldest first.
pub fn section_ids(conn: &mut MysqlConnection, student_id: i32) -> QueryResult<Vec<i32>> {
    match current_term(conn)? {
        Some(term) => term_basket(conn, student_id, term.id),
        None => Ok(Vec::new()),
    }
}

fn term_basket(conn: &mut MysqlConnection, student_id: i32, term_id: i32) -> QueryResult<Vec<i32>> {
    basket_items::table
        .inner_join(sections::table)
        .filter(basket_items::student_id.eq(student_id))
        .filter(sections::term_id.eq(term_id))
        .order((basket_items::created_at, basket_items::id))
        .select(basket_items::section_id)
        .load(conn)
}
