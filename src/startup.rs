//! Builds the application: shared state, middleware, and each capability's routes. `build` binds
//! the listener and reports the port, so tests run the real server on port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

use crate::activity::Batcher;
use crate::app::AppState;
use crate::auth::Auth;
use crate::catalog::CatalogCache;
use crate::config::Settings;
use crate::controls::Controls;
use crate::ops::Draining;
use crate::registration::Engine;
use crate::waiting_room::limits::ActionLimiter;
use crate::waiting_room::WaitingRoom;
use crate::web::layout::BannerSource;
use crate::web::AppError;

/// The shared state and each capability's own, every one a `web::Data` registered on the app.
#[derive(Clone)]
pub struct Services {
    pub state: web::Data<AppState>,
    pub auth: web::Data<Auth>,
    pub waiting_room: web::Data<WaitingRoom>,
    pub action_limiter: web::Data<ActionLimiter>,
    pub catalog: web::Data<CatalogCache>,
    pub activity: web::Data<Batcher>,
    pub engine: web::Data<Engine>,
    pub controls: web::Data<Controls>,
    pub draining: web::Data<Draining>,
}

impl Services {
    pub fn new(settings: Settings) -> anyhow::Result<Self> {
        let state = AppState::new(settings)?;
        let auth = Auth::new(&state.settings, &state.cache);
        let waiting_room = WaitingRoom::new(state.cache.clone());
        let action_limiter = ActionLimiter::new(state.cache.clone(), state.settings.action_limits);
        let catalog = web::Data::new(CatalogCache::default());
        let activity = Batcher::spawn(state.db.clone());
        let engine = Engine::new(&state, catalog.clone(), activity.clone());
        Ok(Services {
            state: web::Data::new(state),
            auth: web::Data::new(auth),
            waiting_room: web::Data::new(waiting_room),
            action_limiter: web::Data::new(action_limiter),
            catalog,
            activity: web::Data::new(activity),
            engine: web::Data::new(engine),
            controls: web::Data::new(Controls::new()),
            draining: web::Data::new(Draining::default()),
        })
    }

    fn register(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.state.clone())
            .app_data(self.auth.clone())
            .app_data(self.waiting_room.clone())
            .app_data(self.action_limiter.clone())
            .app_data(self.catalog.clone())
            .app_data(self.activity.clone())
            .app_data(self.engine.clone())
            .app_data(self.controls.clone())
            .app_data(web::Data::<dyn BannerSource>::from(
                self.controls.clone().into_inner() as Arc<dyn BannerSource>,
            ))
            .app_data(self.draining.clone());
    }
}

pub struct Application {
    port: u16,
    server: Server,
    /// The operations listener's server, when one is configured.
    ops: Option<ServerHandle>,
    services: Services,
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
        let services = Services::new(settings)?;
        let app_services = services.clone();
        let server = HttpServer::new(move || {
            App::new()
                .configure(|cfg| app_services.register(cfg))
                .configure(crate::web::configure_extractors)
                .wrap(from_fn(crate::web::flash::load_flash))
                .wrap(from_fn(crate::waiting_room::guard::require_pass))
                .wrap(from_fn(crate::controls::freeze_guard))
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
                let ops_services = services.clone();
                let ops_server = HttpServer::new(move || {
                    App::new()
                        .configure(|cfg| ops_services.register(cfg))
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
        let state = &services.state;
        services.engine.seats.clone().spawn();
        if state.settings.seat_releaser {
            crate::registration::release::spawn_releaser(
                state.db.clone(),
                state.cache.clone(),
                services.engine.seats.clone(),
            );
        }
        state.db.spawn_probe(
            state.settings.database_url.clone(),
            Duration::from_millis(500),
            Duration::from_secs(2),
        );
        // Redis may still be coming up: the room starts from the settings once it answers.
        let room = WaitingRoom::clone(&services.waiting_room);
        let defaults = state.settings.waiting_room;
        tokio::spawn(async move {
            while let Err(e) = room.init(defaults).await {
                tracing::warn!(error = %e, "waiting room settings not written yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            room.spawn_ticker(Duration::from_millis(100));
        });
        crate::waiting_room::opening::spawn_follower(
            WaitingRoom::clone(&services.waiting_room),
            state.db.clone(),
            Duration::from_millis(500),
            state.settings.opening_draw_span,
        );
        services
            .controls
            .spawn_refresher(state.db.clone(), state.cache.clone());
        Ok(Application {
            port,
            server,
            ops,
            services,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The state the running app shares, for tests that look inside.
    pub fn services(&self) -> Services {
        self.services.clone()
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
        let state = self.services.state.clone();
        let draining = self.services.draining.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            draining.start();
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
