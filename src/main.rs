use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel::{Connection, MysqlConnection};

use sugang::config::Settings;
use sugang::startup::Application;

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
    }
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
