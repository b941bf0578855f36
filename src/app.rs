//! The state every capability shares: settings, the MySQL pool and the Redis cache. Each
//! capability keeps its own state in a `web::Data` of its own (registered by `startup`), so a
//! handler takes this and only the parts it uses.

use crate::cache::Cache;
use crate::config::Settings;
use crate::db::Db;

pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub cache: Cache,
}

impl AppState {
    pub fn new(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::from_settings(&settings);
        let cache = Cache::from_settings(&settings)?;
        Ok(AppState {
            settings,
            db,
            cache,
        })
    }
}
