//! `TestApp`: a fresh database cloned from a migrated template, a private Redis prefix, the real
//! application on port 0, typed helpers per route and data builders.

#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher as _};
use std::io::BufRead as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::web;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::{sql_query, Connection, MysqlConnection, QueryableByName, RunQueryDsl};
use reqwest::{header, Client, Response, StatusCode};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use sugang::app::AppState;
use sugang::auth::models::{insert as insert_user, NewUser};
use sugang::auth::SessionStore;
use sugang::cache::Cache;
use sugang::catalog::models::{NewTerm, NewWindow};
use sugang::catalog::CatalogCache;
use sugang::config::Settings;
use sugang::controls::Controls;
use sugang::db::schema::{registration_windows, terms};
use sugang::db::Db;
use sugang::registration::batch::Decider;
use sugang::registration::seats::SeatSignal;
use sugang::registration::Engine;
use sugang::startup::{Application, Services};
use sugang::waiting_room::WaitingRoom;

pub mod console;

pub const PASSWORD: &str = "correct horse battery";

pub fn base_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "mysql://sugang:sugang@127.0.0.1:3306/sugang".into())
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// `mysql://user:pass@host:port/<name>`
pub fn url_for(name: &str) -> String {
    let base = base_url();
    let server = base
        .rsplit_once('/')
        .map(|(s, _)| s.to_string())
        .unwrap_or(base);
    format!("{server}/{name}")
}

fn admin_conn() -> MysqlConnection {
    MysqlConnection::establish(&base_url())
        .expect("MariaDB reachable as the app user (run scripts/services.sh)")
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct CreateTable {
    #[diesel(sql_type = Text, column_name = "Create Table")]
    ddl: String,
}

fn migrations_fingerprint() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    let mut h = DefaultHasher::new();
    for path in entries {
        path.to_string_lossy().hash(&mut h);
        std::fs::read(&path).unwrap_or_default().hash(&mut h);
    }
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("migrations dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The DDL of every table of the migrated template, made once per test process.
fn template_ddl() -> &'static (String, Vec<String>) {
    static DDL: OnceLock<(String, Vec<String>)> = OnceLock::new();
    DDL.get_or_init(|| {
        let template = format!("sugang_tpl_{}", migrations_fingerprint());
        let mut conn = admin_conn();
        // Several test processes may start at once: one of them builds the template.
        sql_query("SELECT GET_LOCK('sugang_test_template', 120)").execute(&mut conn).expect("lock");
        drop_stale_databases(&mut conn);
        let exists: Vec<Name> = sql_query(format!(
            "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{template}'"
        ))
        .load(&mut conn)
        .expect("schemata");
        if exists.is_empty() {
            sql_query(format!("CREATE DATABASE `{template}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
                .execute(&mut conn)
                .expect("create template");
            let mut tpl = MysqlConnection::establish(&url_for(&template)).expect("template connection");
            if let Err(e) = sugang::db::run_migrations(&mut tpl) {
                let _ = sql_query(format!("DROP DATABASE `{template}`")).execute(&mut conn);
                panic!("migrations failed: {e}");
            }
        }
        let tables: Vec<Name> = sql_query(format!(
            "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{template}' ORDER BY TABLE_NAME"
        ))
        .load(&mut conn)
        .expect("tables");
        let mut ddl = Vec::new();
        for t in tables {
            let rows: Vec<CreateTable> =
                sql_query(format!("SHOW CREATE TABLE `{template}`.`{}`", t.name)).load(&mut conn).expect("ddl");
            ddl.push(rows.into_iter().next().expect("one row").ddl);
        }
        sql_query("SELECT RELEASE_LOCK('sugang_test_template')").execute(&mut conn).expect("unlock");
        (template, ddl)
    })
}

/// Databases left behind by test processes that died (named after their pid).
fn drop_stale_databases(conn: &mut MysqlConnection) {
    let names: Vec<Name> = sql_query(
        "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'sugang\\_t\\_%'",
    )
    .load(conn)
    .unwrap_or_default();
    for n in names {
        let pid = n.name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = sql_query(format!("DROP DATABASE IF EXISTS `{}`", n.name)).execute(conn);
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new, empty-but-migrated database; dropped when the guard goes.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn create() -> TestDb {
        let (template, ddl) = template_ddl();
        let name = format!(
            "sugang_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn = admin_conn();
        sql_query(format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .execute(&mut conn)
        .expect("create test database");
        let url = url_for(&name);
        let mut db = MysqlConnection::establish(&url).expect("test database connection");
        sql_query("SET FOREIGN_KEY_CHECKS = 0")
            .execute(&mut db)
            .expect("fk off");
        for statement in ddl {
            sql_query(statement.as_str())
                .execute(&mut db)
                .expect("create table");
        }
        sql_query("SET FOREIGN_KEY_CHECKS = 1")
            .execute(&mut db)
            .expect("fk on");
        sql_query(format!("INSERT INTO __diesel_schema_migrations SELECT * FROM `{template}`.__diesel_schema_migrations"))
            .execute(&mut db)
            .expect("copy migration records");
        TestDb { name, url }
    }

    pub fn conn(&self) -> MysqlConnection {
        MysqlConnection::establish(&self.url).expect("test database connection")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = sql_query(format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .execute(&mut admin_conn());
    }
}

/// Deletes every Redis key under a prefix when dropped.
pub struct RedisPrefix(pub String);

impl RedisPrefix {
    /// Deletes every key under the prefix now: what a Redis restart without persistence does to
    /// this app's data.
    pub fn flush(&self) {
        let Ok(client) = redis::Client::open(redis_url()) else {
            return;
        };
        let Ok(mut conn) = client.get_connection() else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.0))
            .query(&mut conn)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query(&mut conn);
        }
    }
}

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        self.flush();
    }
}

pub fn test_settings(db_url: &str, prefix: &str) -> Settings {
    let mut s = Settings::from_lookup(|_| None).expect("default settings");
    s.listen = "127.0.0.1:0".into();
    s.workers = 2;
    s.database_url = db_url.to_string();
    s.redis_url = redis_url();
    s.redis_prefix = prefix.to_string();
    s.db_pool_size = 8;
    s.hash_concurrency = 2;
    s.shutdown_timeout = Duration::from_secs(5);
    // Tests change windows and the catalog in MySQL and expect the next request to see it.
    s.frame_max_age = Duration::ZERO;
    // Concurrency tests fire hundreds of actions per student and address; the limiter has its own tests.
    s.action_limits.per_student = 1_000_000;
    s.action_limits.per_address = 1_000_000;
    s
}

/// What tests read of the running app: the shared state and the capability state they look into.
pub struct TestState {
    pub shared: web::Data<AppState>,
    pub settings: Settings,
    pub db: Db,
    pub cache: Cache,
    pub sessions: SessionStore,
    pub engine: web::Data<Engine>,
    pub seats: Arc<SeatSignal>,
    pub decider: Decider,
    pub catalog: web::Data<CatalogCache>,
    pub controls: web::Data<Controls>,
    pub waiting_room: web::Data<WaitingRoom>,
}

impl TestState {
    fn of(s: Services) -> TestState {
        TestState {
            settings: s.state.settings.clone(),
            db: s.state.db.clone(),
            cache: s.state.cache.clone(),
            shared: s.state,
            sessions: s.auth.sessions.clone(),
            seats: s.engine.seats.clone(),
            decider: s.engine.decider.clone(),
            engine: s.engine,
            catalog: s.catalog,
            controls: s.controls,
            waiting_room: s.waiting_room,
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: TestDb,
    pub state: TestState,
    pub prefix: RedisPrefix,
    handle: ServerHandle,
}

/// One shared hash for test accounts (hashing costs ~25 ms).
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| sugang::auth::password::hash_password(PASSWORD).expect("hash"))
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(customize: impl FnOnce(&mut Settings) + 'static) -> TestApp {
        Self::spawn_on(TestDb::create(), customize).await
    }

    pub async fn spawn_on(db: TestDb, customize: impl FnOnce(&mut Settings) + 'static) -> TestApp {
        let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
        let mut settings = test_settings(&db.url, &prefix);
        customize(&mut settings);
        let app = Application::build(settings)
            .await
            .expect("application builds");
        let port = app.port();
        let state = TestState::of(app.services());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            db,
            state,
            prefix: RedisPrefix(prefix),
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    pub fn conn(&self) -> MysqlConnection {
        self.db.conn()
    }

    // ---- data builders ----

    pub fn insert_department(&self, code: &str) -> i32 {
        use sugang::db::schema::departments;
        let mut conn = self.conn();
        diesel::insert_into(departments::table)
            .values((
                departments::code.eq(code),
                departments::name_ko.eq(format!("{code} 학과")),
                departments::name_en.eq(format!("Department of {code}")),
            ))
            .execute(&mut conn)
            .expect("department");
        sugang::db::last_insert_id(&mut conn).expect("id") as i32
    }

    pub fn insert_user(&self, login_id: &str, role: &str, class_year: Option<i8>) -> i32 {
        let mut conn = self.conn();
        insert_user(
            &mut conn,
            &NewUser {
                login_id,
                name: &format!("테스트 {login_id}"),
                password_hash: password_hash(),
                role,
                department_id: None,
                class_year,
                status: "enrolled",
                max_credits: None,
            },
        )
        .expect("user")
    }

    pub fn insert_student(&self, login_id: &str) -> i32 {
        self.insert_user(login_id, "student", Some(2))
    }

    pub fn insert_registrar(&self, login_id: &str) -> i32 {
        self.insert_user(login_id, "registrar", None)
    }

    /// A current term (spring 2027, 18 credits) with the given windows, all for every cohort.
    pub fn insert_term_with_windows(
        &self,
        windows: &[(&str, chrono::NaiveDateTime, chrono::NaiveDateTime)],
    ) -> i32 {
        let mut conn = self.conn();
        let today = chrono::Utc::now().date_naive();
        diesel::insert_into(terms::table)
            .values(&NewTerm {
                year: 2027,
                season: "spring",
                name_ko: "2027학년도 1학기",
                name_en: "Spring 2027",
                starts_on: today,
                ends_on: today + chrono::Days::new(112),
                is_current: true,
                max_credits: 18,
            })
            .execute(&mut conn)
            .expect("term");
        let term_id = sugang::db::last_insert_id(&mut conn).expect("id") as i32;
        for (phase, opens_at, closes_at) in windows {
            diesel::insert_into(registration_windows::table)
                .values(&NewWindow {
                    term_id,
                    phase,
                    cohort: "all",
                    opens_at: *opens_at,
                    closes_at: *closes_at,
                    group_id: None,
                    parity: None,
                })
                .execute(&mut conn)
                .expect("window");
        }
        term_id
    }

    /// A current term whose basket window is open and whose registration opens in an hour.
    pub fn insert_current_term(&self) -> i32 {
        let now = chrono::Utc::now().naive_utc();
        self.insert_term_with_windows(&[
            (
                "basket",
                now - chrono::Duration::days(1),
                now + chrono::Duration::days(1),
            ),
            (
                "register",
                now + chrono::Duration::hours(1),
                now + chrono::Duration::days(3),
            ),
        ])
    }

    // ---- route helpers ----

    pub async fn post_session(&self, client: &Client, login_id: &str, password: &str) -> Response {
        client
            .post(self.url("/api/v1/session"))
            .json(&json!({ "login_id": login_id, "password": password }))
            .send()
            .await
            .expect("request")
    }

    /// Signs in through the API; returns the CSRF token.
    pub async fn sign_in(&self, client: &Client, login_id: &str) -> String {
        let res = self.post_session(client, login_id, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "sign-in of {login_id} failed");
        let body: Value = res.json().await.expect("json");
        body["csrf_token"].as_str().expect("csrf token").to_string()
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_me(&self, client: &Client) -> Response {
        self.get(client, "/api/v1/me").await
    }

    pub async fn delete_session(&self, client: &Client, csrf: Option<&str>) -> Response {
        let mut req = client.delete(self.url("/api/v1/session"));
        if let Some(token) = csrf {
            req = req.header("X-CSRF-Token", token);
        }
        req.send().await.expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; waiting for it here would block the runtime that
        // has to carry it out.
        drop(self.handle.stop(false));
    }
}

pub async fn error_code(res: Response) -> String {
    let body: Value = res.json().await.expect("json error body");
    body["error"]["code"]
        .as_str()
        .expect("error code")
        .to_string()
}

pub fn session_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("sugang_session=")
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

/// A TCP forwarder the test can cut and restore, to make MySQL or Redis unreachable for one
/// application without touching the shared servers.
pub struct Partition {
    pub addr: SocketAddr,
    open: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Partition {
    pub async fn start(target: &str) -> Partition {
        let target: SocketAddr = target.parse().expect("target address");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let open = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (o, l) = (open.clone(), links.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !o.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                l.lock().expect("links").push(link);
            }
        });
        Partition {
            addr,
            open,
            links,
            accept,
        }
    }

    /// Closes every forwarded connection and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Partition {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

// ---- registration fixtures (tests/api/registration.rs) ----

/// A student (`app.student`) or a registrar (`app.registrar`) signed in through the session store
/// directly (no password hashing), with a client that sends the session cookie and the CSRF token
/// on every request.
#[derive(Clone)]
pub struct RegStudent {
    pub id: i32,
    pub client: Client,
    pub csrf: String,
    /// The session cookie value, for requests that send more cookies than the default one.
    pub cookie: String,
}

/// A current term whose registration window is open now, a department, and helpers to add
/// courses, sections and students to it.
pub struct RegistrationFixture {
    pub term_id: i32,
    pub department_id: i32,
}

impl TestApp {
    /// Settings for registration tests: room for hundreds of concurrent requests.
    pub async fn spawn_for_registration() -> TestApp {
        Self::spawn_with(|s| {
            s.workers = 4;
            s.db_pool_size = 16;
            s.db_pool_timeout = Duration::from_secs(30);
            s.redis_pool_size = 64;
            s.login_address_limit = 1_000_000;
        })
        .await
    }

    /// A current term with the `register` window open for everyone (and add/drop later).
    pub fn registration_fixture(&self) -> RegistrationFixture {
        let now = chrono::Utc::now().naive_utc();
        let term_id = self.insert_term_with_windows(&[
            (
                "basket",
                now - chrono::Duration::days(3),
                now - chrono::Duration::days(2),
            ),
            (
                "register",
                now - chrono::Duration::hours(1),
                now + chrono::Duration::days(2),
            ),
            (
                "add_drop",
                now + chrono::Duration::days(7),
                now + chrono::Duration::days(10),
            ),
        ]);
        let department_id = self.insert_department("CSE");
        RegistrationFixture {
            term_id,
            department_id,
        }
    }

    pub fn reg_course(&self, fx: &RegistrationFixture, code: &str, credits: i8) -> i32 {
        use sugang::db::schema::courses;
        let mut conn = self.conn();
        diesel::insert_into(courses::table)
            .values((
                courses::code.eq(code),
                courses::title_ko.eq(format!("{code} 과목")),
                courses::title_en.eq(format!("{code} course")),
                courses::credits.eq(credits),
                courses::department_id.eq(fx.department_id),
                courses::category.eq("major_elective"),
                courses::description.eq(""),
            ))
            .execute(&mut conn)
            .expect("course");
        sugang::db::last_insert_id(&mut conn).expect("id") as i32
    }

    /// Inserts a section of an existing course (`SectionBuilder::of`) and returns its id.
    pub fn reg_section(&self, section: SectionBuilder) -> i32 {
        let term_id = section.term_id.expect("SectionBuilder::of names the term");
        section.insert(self, term_id).section_id
    }

    /// `n` students (year 2, enrolled, in the fixture's department) with one multi-row insert.
    pub fn reg_students(&self, fx: &RegistrationFixture, prefix: &str, n: usize) -> Vec<i32> {
        use sugang::db::schema::users;
        let mut conn = self.conn();
        let rows: Vec<_> = (0..n)
            .map(|i| {
                (
                    users::login_id.eq(format!("{prefix}{i:05}")),
                    users::name.eq(format!("학생 {prefix}{i}")),
                    users::password_hash.eq(password_hash()),
                    users::role.eq("student"),
                    users::department_id.eq(Some(fx.department_id)),
                    users::class_year.eq(Some(2i8)),
                    users::status.eq("enrolled"),
                )
            })
            .collect();
        diesel::insert_into(users::table)
            .values(&rows)
            .execute(&mut conn)
            .expect("students");
        users::table
            .filter(users::login_id.like(format!("{prefix}%")))
            .order(users::id)
            .select(users::id)
            .load(&mut conn)
            .expect("ids")
    }

    /// Signs a student in through the session store and returns a client for them.
    pub async fn student(&self, student_id: i32) -> RegStudent {
        let login_id = format!("s{student_id}");
        self.session_client(student_id, &login_id, "학생", sugang::auth::Role::Student)
            .await
    }

    /// A new registrar account, signed in the same way (the client sends the CSRF header too).
    pub async fn registrar(&self, login_id: &str) -> RegStudent {
        let id = self.insert_registrar(login_id);
        self.session_client(id, login_id, "학사팀", sugang::auth::Role::Registrar)
            .await
    }

    async fn session_client(
        &self,
        user_id: i32,
        login_id: &str,
        name: &str,
        role: sugang::auth::Role,
    ) -> RegStudent {
        let (cookie, session) = self
            .state
            .sessions
            .sign_in(user_id, login_id, name, role)
            .await
            .expect("session");
        let mut headers = header::HeaderMap::new();
        headers.insert(
            header::COOKIE,
            header::HeaderValue::from_str(&format!("sugang_session={cookie}")).expect("cookie"),
        );
        headers.insert(
            "x-csrf-token",
            header::HeaderValue::from_str(&session.csrf_token).expect("csrf"),
        );
        let client = Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(4)
            .build()
            .expect("client");
        RegStudent {
            id: user_id,
            client,
            csrf: session.csrf_token,
            cookie,
        }
    }

    pub async fn students(&self, ids: &[i32]) -> Vec<RegStudent> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.student(*id).await);
        }
        out
    }

    pub async fn post_enrollment(&self, s: &RegStudent, section_id: i32) -> Response {
        s.client
            .post(self.url("/api/v1/enrollments"))
            .json(&json!({ "section_id": section_id }))
            .send()
            .await
            .expect("request")
    }

    pub async fn delete_enrollment(&self, s: &RegStudent, section_id: i32) -> Response {
        s.client
            .delete(self.url(&format!("/api/v1/enrollments/{section_id}")))
            .send()
            .await
            .expect("request")
    }

    pub async fn post_swap(&self, s: &RegStudent, drop_id: i32, add_id: i32) -> Response {
        s.client
            .post(self.url("/api/v1/enrollments/swap"))
            .json(&json!({ "drop_section_id": drop_id, "add_section_id": add_id }))
            .send()
            .await
            .expect("request")
    }

    pub async fn post_waitlist(&self, s: &RegStudent, section_id: i32) -> Response {
        s.client
            .post(self.url("/api/v1/waitlist"))
            .json(&json!({ "section_id": section_id }))
            .send()
            .await
            .expect("request")
    }

    pub async fn delete_waitlist(&self, s: &RegStudent, section_id: i32) -> Response {
        s.client
            .delete(self.url(&format!("/api/v1/waitlist/{section_id}")))
            .send()
            .await
            .expect("request")
    }
}

impl RegStudent {
    /// Posts a form with the CSRF token field, as the pages' forms do.
    pub async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
        console::post_form(app, self, path, fields).await
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> Response {
        self.client
            .get(app.url(path))
            .send()
            .await
            .expect("request")
    }

    /// A page as it looks right after a redirect that left a one-time message (the flash marker
    /// cookie sent beside the session).
    pub async fn page_with_flash(&self, app: &TestApp, path: &str) -> String {
        self.client
            .get(app.url(path))
            .header(
                header::COOKIE,
                format!("sugang_session={}; sugang_flash=1", self.cookie),
            )
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("html")
    }

    /// A client as a browser holds it: the session cookie and no CSRF header, so a form's own
    /// token field is all that vouches for it.
    pub fn browser(&self) -> Client {
        let mut headers = header::HeaderMap::new();
        headers.insert(
            header::COOKIE,
            header::HeaderValue::from_str(&format!("sugang_session={}", self.cookie))
                .expect("cookie"),
        );
        Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }
}

// ---- section builder ----

/// A section to insert, with its meetings and optional enrollments (rows plus the `enrolled`
/// counter). Of a course by code, created when missing:
/// `SectionBuilder::new("CSE2010", dept).title("자료구조", "Data Structures").meets(1, 540, 615).insert(&app, term)`;
/// or of an existing course in a term: `app.reg_section(SectionBuilder::of(term, course).capacity(30))`.
#[derive(Debug, Clone)]
pub struct SectionBuilder {
    course: Course,
    term_id: Option<i32>,
    section_no: i16,
    instructor: String,
    capacity: i32,
    waitlist_capacity: i32,
    restrict_department_id: Option<i32>,
    restrict_class_years: i8,
    status: &'static str,
    /// Where `meets` puts a meeting.
    room: String,
    meetings: Vec<(i8, i16, i16, String)>,
    enroll: Vec<i32>,
}

#[derive(Debug, Clone)]
enum Course {
    Existing(i32),
    ByCode {
        code: String,
        department_id: i32,
        title_ko: String,
        title_en: String,
        credits: i8,
        category: String,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct BuiltSection {
    pub course_id: i32,
    pub section_id: i32,
}

impl SectionBuilder {
    /// A section of the course `code` (reused when the code exists), meeting in "R-<code>".
    pub fn new(code: &str, department_id: i32) -> SectionBuilder {
        SectionBuilder {
            room: format!("R-{code}"),
            ..SectionBuilder::with(Course::ByCode {
                code: code.to_string(),
                department_id,
                title_ko: format!("{code} 과목"),
                title_en: format!("Course {code}"),
                credits: 3,
                category: "major_elective".into(),
            })
        }
    }

    /// A section of an existing course in `term_id`, meeting in "공학관 101".
    pub fn of(term_id: i32, course_id: i32) -> SectionBuilder {
        SectionBuilder {
            term_id: Some(term_id),
            ..SectionBuilder::with(Course::Existing(course_id))
        }
    }

    fn with(course: Course) -> SectionBuilder {
        SectionBuilder {
            course,
            term_id: None,
            section_no: 1,
            instructor: "김교수".into(),
            capacity: 30,
            waitlist_capacity: 0,
            restrict_department_id: None,
            restrict_class_years: 0,
            status: "open",
            room: "공학관 101".into(),
            meetings: Vec::new(),
            enroll: Vec::new(),
        }
    }

    fn new_course(&mut self) -> (&mut String, &mut String, &mut i8, &mut String) {
        match &mut self.course {
            Course::ByCode {
                title_ko,
                title_en,
                credits,
                category,
                ..
            } => (title_ko, title_en, credits, category),
            Course::Existing(_) => panic!("the course exists already: set it with reg_course"),
        }
    }

    pub fn title(mut self, ko: &str, en: &str) -> Self {
        let (title_ko, title_en, _, _) = self.new_course();
        *title_ko = ko.into();
        *title_en = en.into();
        self
    }

    pub fn credits(mut self, credits: i8) -> Self {
        *self.new_course().2 = credits;
        self
    }

    pub fn category(mut self, category: &str) -> Self {
        *self.new_course().3 = category.into();
        self
    }

    pub fn no(mut self, n: i16) -> Self {
        self.section_no = n;
        self
    }

    pub fn instructor(mut self, name: &str) -> Self {
        self.instructor = name.into();
        self
    }

    pub fn capacity(mut self, capacity: i32) -> Self {
        self.capacity = capacity;
        self
    }

    pub fn waitlist(mut self, capacity: i32) -> Self {
        self.waitlist_capacity = capacity;
        self
    }

    /// Only students of these class years (bit n-1 = year n).
    pub fn years(mut self, mask: i8) -> Self {
        self.restrict_class_years = mask;
        self
    }

    pub fn only_department(mut self, department_id: i32) -> Self {
        self.restrict_department_id = Some(department_id);
        self
    }

    pub fn cancelled(mut self) -> Self {
        self.status = "cancelled";
        self
    }

    /// A meeting: weekday Mon=1..Sat=6, minutes from midnight, in the builder's room.
    pub fn meets(self, weekday: i8, start: i16, end: i16) -> Self {
        let room = self.room.clone();
        self.meets_in(weekday, start, end, &room)
    }

    pub fn meets_in(mut self, weekday: i8, start: i16, end: i16, room: &str) -> Self {
        self.meetings.push((weekday, start, end, room.to_string()));
        self
    }

    pub fn enroll(mut self, student_id: i32) -> Self {
        self.enroll.push(student_id);
        self
    }

    pub fn insert(self, app: &TestApp, term_id: i32) -> BuiltSection {
        use sugang::db::schema::{courses, enrollments, meetings, sections};
        let mut conn = app.conn();
        let course_id = match &self.course {
            Course::Existing(id) => *id,
            Course::ByCode {
                code,
                department_id,
                title_ko,
                title_en,
                credits,
                category,
            } => {
                let existing: Option<i32> = courses::table
                    .filter(courses::code.eq(code))
                    .select(courses::id)
                    .first(&mut conn)
                    .optional()
                    .expect("course lookup");
                match existing {
                    Some(id) => id,
                    None => {
                        diesel::insert_into(courses::table)
                            .values((
                                courses::code.eq(code),
                                courses::title_ko.eq(title_ko),
                                courses::title_en.eq(title_en),
                                courses::credits.eq(credits),
                                courses::department_id.eq(department_id),
                                courses::category.eq(category),
                                courses::description.eq(format!("{title_ko} 설명")),
                            ))
                            .execute(&mut conn)
                            .expect("course");
                        sugang::db::last_insert_id(&mut conn).expect("id") as i32
                    }
                }
            }
        };
        diesel::insert_into(sections::table)
            .values((
                sections::term_id.eq(term_id),
                sections::course_id.eq(course_id),
                sections::section_no.eq(self.section_no),
                sections::instructor.eq(&self.instructor),
                sections::capacity.eq(self.capacity),
                sections::enrolled.eq(self.enroll.len() as i32),
                sections::waitlist_capacity.eq(self.waitlist_capacity),
                sections::restrict_department_id.eq(self.restrict_department_id),
                sections::restrict_class_years.eq(self.restrict_class_years),
                sections::status.eq(self.status),
            ))
            .execute(&mut conn)
            .expect("section");
        let section_id = sugang::db::last_insert_id(&mut conn).expect("id") as i32;
        for (weekday, start, end, room) in &self.meetings {
            diesel::insert_into(meetings::table)
                .values((
                    meetings::section_id.eq(section_id),
                    meetings::weekday.eq(weekday),
                    meetings::starts_at_min.eq(start),
                    meetings::ends_at_min.eq(end),
                    meetings::room.eq(room),
                ))
                .execute(&mut conn)
                .expect("meeting");
        }
        for student in &self.enroll {
            diesel::insert_into(enrollments::table)
                .values((
                    enrollments::student_id.eq(student),
                    enrollments::section_id.eq(section_id),
                    enrollments::term_id.eq(term_id),
                    enrollments::course_id.eq(course_id),
                ))
                .execute(&mut conn)
                .expect("enrollment");
        }
        BuiltSection {
            course_id,
            section_id,
        }
    }
}

impl TestApp {
    /// A past (not current) term, for "only the current term" checks.
    pub fn insert_past_term(&self) -> i32 {
        let mut conn = self.conn();
        let today = chrono::Utc::now().date_naive();
        diesel::insert_into(terms::table)
            .values(&NewTerm {
                year: 2026,
                season: "fall",
                name_ko: "2026학년도 2학기",
                name_en: "Fall 2026",
                starts_on: today - chrono::Days::new(200),
                ends_on: today - chrono::Days::new(90),
                is_current: false,
                max_credits: 18,
            })
            .execute(&mut conn)
            .expect("term");
        sugang::db::last_insert_id(&mut conn).expect("id") as i32
    }

    /// A student of a department and class year.
    pub fn insert_student_in(&self, login_id: &str, department_id: i32, class_year: i8) -> i32 {
        use sugang::db::schema::users;
        let id = self.insert_user(login_id, "student", Some(class_year));
        diesel::update(users::table.find(id))
            .set(users::department_id.eq(department_id))
            .execute(&mut self.conn())
            .expect("department");
        id
    }

    /// Enrolls a student the way registration will: the row and the counter, in one transaction.
    pub fn enroll(&self, student_id: i32, section: BuiltSection, term_id: i32) {
        use sugang::db::schema::{enrollments, sections};
        let mut conn = self.conn();
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            diesel::insert_into(enrollments::table)
                .values((
                    enrollments::student_id.eq(student_id),
                    enrollments::section_id.eq(section.section_id),
                    enrollments::term_id.eq(term_id),
                    enrollments::course_id.eq(section.course_id),
                ))
                .execute(conn)?;
            diesel::update(sections::table.find(section.section_id))
                .set(sections::enrolled.eq(sections::enrolled + 1))
                .execute(conn)?;
            Ok(())
        })
        .expect("enroll");
    }

    /// `GET /api/v1/sections?<query>` as JSON (asserting 200).
    pub async fn search_sections(&self, client: &Client, query: &str) -> Value {
        let res = self.get(client, &format!("/api/v1/sections?{query}")).await;
        assert_eq!(res.status(), StatusCode::OK, "search {query}");
        res.json().await.expect("json")
    }

    pub async fn get_section(&self, client: &Client, id: i32) -> Response {
        self.get(client, &format!("/api/v1/sections/{id}")).await
    }

    pub async fn get_timetable(&self, client: &Client, query: &str) -> Response {
        self.get(client, &format!("/api/v1/timetable?{query}"))
            .await
    }
}

// ---- the binary ----

/// Starts the real binary; returns the child and its port.
pub fn spawn_binary(db_url: &str, prefix: &str, delay_secs: u64) -> (std::process::Child, u16) {
    spawn_binary_with(db_url, prefix, delay_secs, &[])
}

pub fn spawn_binary_with(
    db_url: &str,
    prefix: &str,
    delay_secs: u64,
    extra_env: &[(&str, &str)],
) -> (std::process::Child, u16) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sugang"));
    command.envs(extra_env.iter().copied());
    let mut child = command
        .arg("serve")
        .env("SUGANG_LISTEN", "127.0.0.1:0")
        .env("DATABASE_URL", db_url)
        .env("REDIS_URL", redis_url())
        .env("SUGANG_REDIS_PREFIX", prefix)
        .env("SUGANG_WORKERS", "2")
        .env("SUGANG_HASH_CONCURRENCY", "1")
        .env("SUGANG_SHUTDOWN_DELAY_SECS", delay_secs.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("listening line");
    let port = line
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in the listening line");
    (child, port)
}
