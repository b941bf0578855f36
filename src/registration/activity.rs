//! The activity log: every attempt, successful or refused, with who, what, outcome, request id,
//! session reference and client address. Append-only.

use diesel::prelude::*;

use crate::db::schema::activity_log;
use crate::web::RequestMeta;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = activity_log)]
pub struct NewActivity {
    pub actor_id: Option<i32>,
    pub student_id: Option<i32>,
    pub action: &'static str,
    pub section_id: Option<i32>,
    pub outcome: String,
    pub detail: Option<String>,
    pub request_id: String,
    pub session_ref: Option<String>,
    pub client_ip: Option<String>,
}

impl NewActivity {
    pub fn new(action: &'static str, outcome: impl Into<String>, meta: &RequestMeta) -> Self {
        NewActivity {
            actor_id: None,
            student_id: None,
            action,
            section_id: None,
            outcome: outcome.into(),
            detail: None,
            request_id: meta.request_id.clone(),
            session_ref: None,
            client_ip: Some(meta.client_ip.clone()),
        }
    }
}

pub fn record(conn: &mut MysqlConnection, entry: &NewActivity) -> QueryResult<()> {
    diesel::insert_into(activity_log::table)
        .values(entry)
        .execute(conn)
        .map(|_| ())
}
