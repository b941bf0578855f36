//! Builds the application: shared state, middleware, and each capability's routes. `build` binds
//! the listener and reports the port, so tests run the real server on port 0.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

use crate::auth::password::Hasher;
use crate::auth::session::SessionStore;
use crate::auth::throttle::LoginThrottle;
use crate::cache::Cache;
use crate::config::Settings;
use crate::db::Db;
use crate::waiting_room::WaitingRoom;
use crate::web::AppError;

pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub cache: Cache,
    pub sessions: SessionStore,
    pub throttle: LoginThrottle,
    pub hasher: Hasher,
    pub waiting_room: WaitingRoom,
    pub action_limiter: crate::waiting_room::limits::ActionLimiter,
    /// The catalog snapshot and seat map of this instance (see `catalog::cache`).
    pub catalog: crate::catalog::CatalogCache,
    /// The seats-left signal of the current term (see `registration::seats`).
    pub seats: Arc<crate::registration::seats::SeatSignal>,
    /// Activity lines of answers given without a transaction, written in batches.
    pub activity: crate::registration::activity::Batcher,
    /// The queue of enroll attempts and its decision workers (see `registration::batch`).
    pub decider: crate::registration::batch::Decider,
    /// The current term's windows as registration's hot path reads them.
    pub windows: crate::registration::rush::WindowCache,
    /// Set on SIGTERM: readiness turns 503 while in-flight requests finish.
    pub draining: Arc<AtomicBool>,
    /// Registration freeze and incident banner, this instance's copy (see `admin::controls`).
    pub controls: crate::admin::controls::Controls,
    /// Requests collected in the opening span of a `register` window (see `registration::opening`).
    pub opening: crate::registration::opening::Draws,
}

impl AppState {
    pub fn new(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::from_settings(&settings);
        let cache = Cache::from_settings(&settings)?;
        let seats = Arc::new(crate::registration::seats::SeatSignal::new(
            cache.clone(),
            db.clone(),
        ));
        Ok(AppState {
            sessions: SessionStore::new(
                cache.clone(),
                settings.session_idle,
                settings.session_absolute,
            ),
            throttle: LoginThrottle::new(
                cache.clone(),
                settings.login_account_limit,
                settings.login_address_limit,
                settings.login_window,
                settings.login_delay,
            ),
            hasher: Hasher::new(settings.hash_concurrency),
            waiting_room: WaitingRoom::new(cache.clone()),
            action_limiter: crate::waiting_room::limits::ActionLimiter::new(
                cache.clone(),
                settings.action_limits,
            ),
            catalog: crate::catalog::CatalogCache::default(),
            seats: seats.clone(),
            activity: crate::registration::activity::Batcher::spawn(db.clone()),
            decider: crate::registration::batch::Decider::spawn(
                db.clone(),
                seats.clone(),
                crate::registration::batch::Sizing {
                    workers: settings.decision_workers,
                    batch: settings.decision_batch,
                },
            ),
            windows: Default::default(),
            draining: Arc::new(AtomicBool::new(false)),
            controls: crate::admin::controls::Controls::new(),
            opening: Default::default(),
            db,
            cache,
            settings,
        })
    }
}

pub struct Application {
    port: u16,
    server: Server,
    /// The operations listener's server, when one is configured.
    ops: Option<ServerHandle>,
    state: web::Data<AppState>,
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let metrics = crate::ops::metrics::handle();
        let listener = TcpListener::bind(&settings.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let workers = settings.workers;
        let blocking_threads = (settings.db_pool_size as usize).max(2);
        let shutdown_timeout = settings.shutdown_timeout.as_secs();
        let https_only = settings.cookie_secure;
        let metrics_on_main = settings.ops_listen.is_none();
        let ops_listener = match &settings.ops_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?,
            ),
            None => None,
        };
        let state = web::Data::new(AppState::new(settings)?);
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .configure(crate::web::configure_extractors)
                .wrap(from_fn(crate::web::flash::load_flash))
                .wrap(from_fn(crate::waiting_room::guard::require_pass))
                .wrap(from_fn(crate::accounts::forced_change::guard))
                .wrap(from_fn(crate::auth::middleware::csrf_guard))
                .wrap(from_fn(crate::auth::middleware::load_session))
                .wrap(from_fn(crate::web::middleware::error_pages))
                .wrap(crate::web::middleware::security_headers(https_only))
                .wrap(from_fn(crate::web::request::request_context))
                .wrap(from_fn(crate::ops::metrics::request_metrics))
                .wrap(from_fn(crate::cache::request_budget))
                // Outermost: HTML, CSS, JS and JSON travel gzip-compressed to clients that ask.
                .wrap(actix_web::middleware::Compress::default())
                .configure(|cfg| crate::ops::configure(cfg, metrics_on_main))
                .configure(crate::auth::configure)
                .configure(crate::accounts::configure)
                .configure(crate::registration::configure)
                .configure(crate::catalog::configure)
                .configure(crate::timetable::configure)
                .configure(crate::admin::configure)
                .configure(crate::waiting_room::configure)
                .configure(crate::openapi::configure)
                .route("/static/{name}", web::get().to(crate::web::assets::asset))
                .default_service(web::to(not_found))
        })
        .workers(workers)
        // Blocking work is database calls (hashing has its own threads): more threads than pool
        // connections would only queue inside the pool, each holding a stack and allocator arena.
        .worker_max_blocking_threads(blocking_threads)
        .shutdown_timeout(shutdown_timeout)
        .disable_signals()
        .listen(listener)?
        .run();

        let ops = match ops_listener {
            Some(listener) => {
                let ops_state = state.clone();
                let ops_server = HttpServer::new(move || {
                    App::new()
                        .app_data(ops_state.clone())
                        .configure(crate::ops::configure_ops_listener)
                })
                .workers(1)
                .disable_signals()
                .listen(listener)?
                .run();
                let handle = ops_server.handle();
                tokio::spawn(ops_server);
                Some(handle)
            }
            None => None,
        };

        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                metrics.run_upkeep();
            }
        });
        state.seats.clone().spawn();
        if state.settings.seat_releaser {
            crate::registration::release::spawn_releaser(
                state.db.clone(),
                state.cache.clone(),
                state.seats.clone(),
            );
        }
        state.db.spawn_probe(
            state.settings.database_url.clone(),
            Duration::from_millis(500),
            Duration::from_secs(2),
        );
        // Redis may still be coming up: the room starts from the settings once it answers.
        let room = state.waiting_room.clone();
        let defaults = state.settings.waiting_room;
        tokio::spawn(async move {
            while let Err(e) = room.init(defaults).await {
                tracing::warn!(error = %e, "waiting room settings not written yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            room.spawn_ticker(Duration::from_millis(100));
        });
        crate::waiting_room::opening::spawn_follower(
            state.waiting_room.clone(),
            state.db.clone(),
            Duration::from_millis(500),
            state.settings.opening_draw_span,
        );
        state
            .controls
            .spawn_refresher(state.db.clone(), state.cache.clone());
        Ok(Application {
            port,
            server,
            ops,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through the handle.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(ops) = self.ops {
            ops.stop(true).await;
        }
        result
    }

    /// Serves until SIGTERM or Ctrl-C, then drains: readiness turns 503 at once, the listener
    /// stays open for the configured delay (so the load balancer stops sending), then the server
    /// stops accepting and waits for in-flight requests.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let state = self.state.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            state.draining.store(true, Ordering::SeqCst);
            ::metrics::gauge!("sugang_ready").set(0.0);
            tracing::info!(
                delay_secs = state.settings.shutdown_delay.as_secs(),
                "shutdown requested: draining"
            );
            tokio::time::sleep(state.settings.shutdown_delay).await;
            handle.stop(true).await;
            tracing::info!("server stopped");
        });
        let result = self.server.await;
        if let Some(ops) = self.ops {
            ops.stop(true).await;
        }
        result
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
