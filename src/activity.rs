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

/// `ids` as comma-separated parts of at most `max` characters each (at least one part), so a
/// long list (a drawn order) fits the log's detail column over several lines.
pub fn id_parts(ids: &[i32], max: usize) -> Vec<String> {
    let mut parts: Vec<String> = vec![String::new()];
    for id in ids {
        let id = id.to_string();
        if parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.len() + id.len() + 1 > max)
        {
            parts.push(String::new());
        }
        let last = parts.last_mut().expect("one part at least");
        if !last.is_empty() {
            last.push(',');
        }
        last.push_str(&id);
    }
    parts
}

pub fn record(conn: &mut MysqlConnection, entry: &NewActivity) -> QueryResult<()> {
    diesel::insert_into(activity_log::table)
        .values(entry)
        .execute(conn)
        .map(|_| ())
}

/// Lines of answers decided without a transaction (the fast "section full" refusals of the
/// rush), written many to one INSERT: a request hands its line over and waits until the INSERT
/// carrying it has committed, so an answer is never sent before its line exists. While one
/// INSERT runs, the next lines gather; the batch size grows with the load by itself.
#[derive(Clone)]
pub struct Batcher {
    tx: tokio::sync::mpsc::Sender<(NewActivity, tokio::sync::oneshot::Sender<bool>)>,
}

/// Lines per INSERT at most.
const BATCH: usize = 500;

impl Batcher {
    pub fn spawn(db: crate::db::Db) -> Batcher {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(
            NewActivity,
            tokio::sync::oneshot::Sender<bool>,
        )>(8 * BATCH);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (lines, waiters): (Vec<NewActivity>, Vec<_>) = batch.into_iter().unzip();
                let n = lines.len();
                let written = db
                    .run(move |conn| {
                        diesel::insert_into(activity_log::table)
                            .values(&lines)
                            .execute(conn)?;
                        Ok(())
                    })
                    .await;
                if let Err(e) = &written {
                    tracing::warn!(error = %e, lines = n, "activity lines not written");
                }
                for w in waiters {
                    let _ = w.send(written.is_ok());
                }
            }
        });
        Batcher { tx }
    }

    /// Writes `entry`; true once it is committed, false when MySQL could not take it.
    pub async fn record(&self, entry: NewActivity) -> bool {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.tx.send((entry, done)).await.is_err() {
            return false;
        }
        wait.await.unwrap_or(false)
    }
}
