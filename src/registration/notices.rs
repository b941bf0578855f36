//! Notices: short messages a student finds on their home page the next time they look — a
//! waitlist promotion, a cancelled section, a registrar's change. Written inside the transaction
//! that caused them, so a notice exists exactly when its cause committed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::notices;
use crate::web::Lang;

/// What a notice is about; stored as a short code so pages can style it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    WaitlistPromoted,
    SectionCancelled,
    RegistrarChange,
    /// A seat of a watched section became free.
    SeatOpened,
}

impl NoticeKind {
    pub fn code(self) -> &'static str {
        match self {
            NoticeKind::WaitlistPromoted => "waitlist_promoted",
            NoticeKind::SectionCancelled => "section_cancelled",
            NoticeKind::RegistrarChange => "registrar_change",
            NoticeKind::SeatOpened => "seat_opened",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notices, check_for_backend(diesel::mysql::Mysql))]
pub struct Notice {
    pub id: i64,
    pub kind: String,
    pub message_ko: String,
    pub message_en: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

impl Notice {
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ko => &self.message_ko,
            Lang::En => &self.message_en,
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(500).collect()
}

/// Leaves a notice for `user_id` inside the caller's transaction.
pub fn post(
    conn: &mut MysqlConnection,
    user_id: i32,
    kind: NoticeKind,
    message_ko: &str,
    message_en: &str,
) -> QueryResult<()> {
    diesel::insert_into(notices::table)
        .values((
            notices::user_id.eq(user_id),
            notices::kind.eq(kind.code()),
            notices::message_ko.eq(clip(message_ko)),
            notices::message_en.eq(clip(message_en)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The newest notices of a user, unread first.
pub fn recent(conn: &mut MysqlConnection, user_id: i32, limit: i64) -> QueryResult<Vec<Notice>> {
    notices::table
        .filter(notices::user_id.eq(user_id))
        .order((
            notices::read_at.is_not_null(),
            notices::created_at.desc(),
            notices::id.desc(),
        ))
        .limit(limit)
        .select(Notice::as_select())
        .load(conn)
}

/// Marks one of the user's own notices read; another user's id changes nothing.
pub fn mark_read(conn: &mut MysqlConnection, user_id: i32, notice_id: i64) -> QueryResult<bool> {
    diesel::update(
        notices::table
            .filter(notices::id.eq(notice_id))
            .filter(notices::user_id.eq(user_id))
            .filter(notices::read_at.is_null()),
    )
    .set(notices::read_at.eq(Some(chrono::Utc::now().naive_utc())))
    .execute(conn)
    .map(|n| n == 1)
}
