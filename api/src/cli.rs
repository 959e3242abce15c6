//! The `upturn` command line: `serve`, `migrate` (`--check`), `demo`,
//! `member add`, `backup` and `restore`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use upturn_domain::model::Role;
use upturn_domain::values::{Email, Name, Password};
use upturn_persistence::NewMember;

use crate::auth::hash_password;
use crate::config::Settings;
use crate::startup::{Application, connect};

#[derive(Debug, Parser)]
#[command(
    name = "upturn",
    version,
    about = "Upturn: customers on top, leadership at the bottom."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (configured by UPTURN_* variables).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate(MigrateArgs),
    /// Seed a demo organisation (once) and run the service.
    Demo(DemoArgs),
    /// Manage members.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Copy the SQLite database to a file while the service keeps serving
    /// (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
    /// Put a backup in place of the SQLite database; the service must be
    /// stopped (PostgreSQL: use pg_restore).
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
struct MigrateArgs {
    /// Change nothing: exit 0 when the schema is up to date, 1 and the
    /// pending migrations' names when it is not.
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Args)]
struct BackupArgs {
    /// The backup file to write.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct RestoreArgs {
    /// The backup file to restore.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// Replace the database if one exists.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Seed only; do not start the server.
    #[arg(long)]
    seed_only: bool,
}

#[derive(Debug, Subcommand)]
enum MemberCommand {
    /// Add a member, e.g. the first admin.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// frontline, manager, service, leader or admin.
        #[arg(long)]
        role: String,
        /// The unit's id (none for admins).
        #[arg(long)]
        unit_id: Option<uuid::Uuid>,
        /// The password; read from UPTURN_MEMBER_PASSWORD when not given.
        #[arg(long, env = "UPTURN_MEMBER_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("upturn: failed to start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("upturn: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load()?;
    if matches!(cli.command, Command::Demo(_)) && std::env::var_os("UPTURN_DATABASE_URL").is_none()
    {
        settings.database_url = "sqlite://upturn-demo.db?mode=rwc".to_owned();
    }
    crate::telemetry::init(&settings.log, settings.log_format);
    let done = match cli.command {
        Command::Serve => serve(settings, None).await,
        Command::Migrate(MigrateArgs { check: true }) => {
            return check_migrations(&settings.database_url).await;
        }
        Command::Migrate(MigrateArgs { check: false }) => {
            let store = connect(&settings).await?;
            tracing::info!("Migrations applied");
            store.close().await
        }
        Command::Backup(BackupArgs { to, force }) => {
            let copied =
                upturn_persistence::backup::backup(&settings.database_url, &to, force).await?;
            println!(
                "Backed up to {} ({} bytes, {} migrations) in {:.1?}, checked in {:.1?}",
                copied.path.display(),
                copied.bytes,
                upturn_persistence::schema::known_migrations().len() - copied.schema.pending.len(),
                copied.copying,
                copied.checking
            );
            Ok(())
        }
        Command::Restore(RestoreArgs { from, force }) => {
            let copied =
                upturn_persistence::backup::restore(&settings.database_url, &from, force).await?;
            println!(
                "Restored {} into {} ({} bytes), checked in {:.1?}",
                from.display(),
                copied.path.display(),
                copied.bytes,
                copied.checking
            );
            if !copied.schema.pending.is_empty() {
                println!(
                    "The backup is from an older release: {} migrations pending;                      `upturn migrate` (or the next start) applies them",
                    copied.schema.pending.len()
                );
            }
            Ok(())
        }
        Command::Demo(args) => {
            let store = connect(&settings).await?;
            let logins = crate::demo::seed(&store).await?;
            if args.seed_only {
                store.close().await
            } else {
                serve(settings, Some((store, logins))).await
            }
        }
        Command::Member(MemberCommand::Add {
            name,
            email,
            role,
            unit_id,
            password,
        }) => {
            let name = Name::parse("name", &name)
                .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
            let email = Email::parse("email", &email)
                .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
            let role: Role = role.parse()?;
            let password = Password::parse("password", &password)
                .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
            let store = connect(&settings).await?;
            let member = store
                .create_member(
                    None,
                    NewMember {
                        name: name.into_inner(),
                        email: email.as_str().to_owned(),
                        role,
                        unit_id,
                        password_hash: hash_password(password.expose().to_owned()).await?,
                    },
                    None,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Added {} ({}) with id {}",
                member.email, member.role, member.id
            );
            store.close().await
        }
    };
    done.map(|()| ExitCode::SUCCESS)
}

/// `upturn migrate --check`: 0 when nothing is pending, 1 with the list.
async fn check_migrations(database_url: &str) -> anyhow::Result<ExitCode> {
    let status = upturn_persistence::schema::status(database_url).await?;
    if !status.ahead.is_empty() {
        println!(
            "The database has {} migrations of a later release: {}",
            status.ahead.len(),
            status.ahead.join(", ")
        );
    }
    if status.is_current() {
        println!("The database schema is up to date");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} migrations pending:", status.pending.len());
    for name in &status.pending {
        println!("  {name}");
    }
    println!("Run `upturn migrate` to apply them");
    Ok(ExitCode::FAILURE)
}

async fn serve(
    settings: Settings,
    demo: Option<(upturn_persistence::Store, Vec<crate::demo::Login>)>,
) -> anyhow::Result<()> {
    let (application, logins) = match demo {
        Some((store, logins)) => (
            Application::build_with_store(settings.clone(), store).await?,
            logins,
        ),
        None => (Application::build(settings.clone()).await?, vec![]),
    };
    if !logins.is_empty() {
        let _ = application.state().demo_logins.set(logins.clone());
    }
    let host = settings
        .bind
        .rsplit_once(':')
        .map(|(host, _)| host)
        .unwrap_or("127.0.0.1");
    let host = if host == "0.0.0.0" || host.is_empty() {
        "127.0.0.1"
    } else {
        host
    };
    let url = format!("http://{host}:{}", application.port());
    println!("Upturn is listening on {url}");
    println!("  App:  {url}/  (sign in with a demo login below)");
    println!("  API:  {url}/api/v1");
    println!("  Docs: {url}/docs");
    if !logins.is_empty() {
        println!("Demo logins (password for all: {}):", crate::demo::PASSWORD);
        for login in &logins {
            println!("  {:<34} {:<10} {}", login.email, login.role, login.unit);
        }
    }
    tracing::info!(%url, "Serving");
    application.run_until_stopped().await
}
