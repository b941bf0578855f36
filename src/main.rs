use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel::{Connection, MysqlConnection};

use sugang::config::Settings;
use sugang::startup::Application;

/// jemalloc returns freed memory to the system and keeps per-thread caches small: under glibc's
/// allocator every blocking thread kept an arena of its own, and the server's resident memory
/// grew with the number of threads that ever ran a query.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "sugang",
    version,
    about = "Goorm University course registration (수강신청)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP until SIGTERM (settings from SUGANG_* / DATABASE_URL / REDIS_URL).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the deterministic demo data set (departments, catalog, students, current term).
    Seed {
        /// Do nothing when the database already has users.
        #[arg(long)]
        if_empty: bool,
        /// How many students to create.
        #[arg(long, default_value_t = 20_000)]
        students: u32,
    },
    /// Enroll every eligible basket holder of each section whose basket demand fits its free
    /// seats; oversubscribed sections are left to first come, first served. Safe to re-run.
    AllocateBaskets {
        /// Term id or year-season (e.g. 2026-fall); the current term when omitted.
        #[arg(long)]
        term: Option<String>,
        /// Seed of the draws when the term's policy is `lottery` (to replay a published draw);
        /// a fresh random seed when omitted.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Release the seats held until a seat-release time that has come (run by a CronJob at each
    /// release time). Safe to run on several machines at once: every seat is released once.
    ReleaseSeats,
    /// Manage accounts (`user create` makes the first registrar of an empty database).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Benchmarks only: start a session for each login id read from stdin (one a line) without
    /// a password, and print `cookie<TAB>csrf_token` lines for a load generator.
    #[command(hide = true)]
    BenchSessions,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is the first line of standard input; with
    /// --generate-password (or when standard input is a terminal) one is generated and printed once.
    Create {
        /// registrar or student
        #[arg(long, value_parser = ["registrar", "student"])]
        role: String,
        /// The login id (staff or student number).
        #[arg(long)]
        login: String,
        /// Display name (the login id when omitted).
        #[arg(long)]
        name: Option<String>,
        /// Generate a random password and print it once instead of reading one.
        #[arg(long)]
        generate_password: bool,
    },
}

fn connect(settings: &Settings) -> anyhow::Result<MysqlConnection> {
    MysqlConnection::establish(&settings.database_url).context("cannot connect to MySQL")
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    sugang::telemetry::init(settings.log_format);
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => {
            let applied = sugang::db::run_migrations(&mut connect(&settings)?)?;
            tracing::info!(count = applied.len(), ?applied, "migrations applied");
            Ok(())
        }
        Command::Seed { if_empty, students } => {
            let mut conn = connect(&settings)?;
            sugang::db::run_migrations(&mut conn)?;
            let options = sugang::seed::SeedOptions {
                students,
                if_empty,
                ..Default::default()
            };
            let report = sugang::seed::seed(&mut conn, &options)?;
            println!("{report}");
            Ok(())
        }
        Command::AllocateBaskets { term, seed } => {
            allocate_baskets(&settings, term.as_deref(), seed)
        }
        Command::ReleaseSeats => release_seats(&settings),
        Command::BenchSessions => bench_sessions(settings),
        Command::User {
            command:
                UserCommand::Create {
                    role,
                    login,
                    name,
                    generate_password,
                },
        } => user_create(&settings, &role, &login, name.as_deref(), generate_password),
    }
}

fn allocate_baskets(
    settings: &Settings,
    term: Option<&str>,
    seed: Option<u64>,
) -> anyhow::Result<()> {
    use diesel::connection::SimpleConnection;
    use sugang::registration::allocation;
    let mut conn = connect(settings)?;
    // As the pool sets up the server's connections: timestamps defaulted by MySQL are UTC, and
    // the registration transactions run READ COMMITTED (their locks make them correct).
    conn.batch_execute(
        "SET time_zone = '+00:00'; SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    )?;
    let term = allocation::find_term(&mut conn, term).map_err(|e| match e {
        allocation::AllocationError::NoSuchTerm => {
            anyhow::anyhow!("no such term (give a term id or year-season such as 2026-fall)")
        }
        other => anyhow::Error::new(other),
    })?;
    let request_id = format!("cli-{}", uuid::Uuid::new_v4().simple());
    let report = allocation::allocate_baskets(&mut conn, term.id, None, &request_id, seed)?;
    println!("{}", term.name_en);
    println!("{report}");
    Ok(())
}

fn release_seats(settings: &Settings) -> anyhow::Result<()> {
    use sugang::registration::{release, seats::SeatSignal};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        // The server's pool: its connections are set up as the server's are (UTC, READ COMMITTED).
        let db = sugang::db::Db::from_settings(settings);
        let cache = sugang::cache::Cache::from_settings(settings)?;
        let seats = SeatSignal::new(cache, db.clone());
        let request_id = format!("cli-{}", uuid::Uuid::new_v4().simple());
        let done = release::run(&db, &seats, chrono::Utc::now(), &request_id).await?;
        for r in &done {
            println!(
                "section {}: {} seats released, {} from the waitlist seated, {} watchers told",
                r.section_id, r.seats, r.promoted, r.notified
            );
        }
        println!(
            "sections released: {}, seats released: {}",
            done.len(),
            done.iter().map(|r| i64::from(r.seats)).sum::<i64>()
        );
        Ok(())
    })
}

fn user_create(
    settings: &Settings,
    role: &str,
    login: &str,
    name: Option<&str>,
    generate: bool,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    use sugang::accounts::create::{create_account, CreateAccount, PasswordSource};
    let role = sugang::auth::Role::parse(role).context("--role is registrar or student")?;
    let mut conn = connect(settings)?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let password = if generate || std::io::stdin().is_terminal() {
        PasswordSource::Generate
    } else {
        PasswordSource::Read(&mut input)
    };
    let created = create_account(
        &mut conn,
        CreateAccount {
            role,
            login_id: login,
            name,
            password,
        },
    )?;
    println!(
        "created {role:?} account {} (id {})",
        created.login_id, created.id
    );
    if let Some(p) = created.generated_password {
        println!("password (shown once, not stored in clear): {p}");
    }
    Ok(())
}

fn bench_sessions(settings: Settings) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let mut conn = connect(&settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let cache = sugang::cache::Cache::from_settings(&settings)?;
    let store =
        sugang::auth::SessionStore::new(cache, settings.session_idle, settings.session_absolute);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let login_id = line.trim();
        if login_id.is_empty() {
            continue;
        }
        let Some(user) = sugang::auth::models::find_by_login_id(&mut conn, login_id)? else {
            anyhow::bail!("no such user: {login_id}");
        };
        let role = sugang::auth::Role::parse(&user.role).context("unknown role")?;
        let (cookie, session) = runtime
            .block_on(store.sign_in(user.id, &user.login_id, &user.name, role))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        writeln!(out, "{cookie}\t{}", session.csrf_token)?;
    }
    out.flush()?;
    Ok(())
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    if settings.run_migrations {
        sugang::db::run_migrations(&mut connect(&settings)?)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async move {
        let app = Application::build(settings.clone()).await?;
        tracing::info!(address = %settings.listen, port = app.port(), "listening");
        println!("sugang listening on port {}", app.port());
        app.run_until_signalled().await?;
        Ok(())
    })
}
