//! The `upturn` command line: `serve`, `migrate`, `demo`, `member add`.

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
    Migrate,
    /// Seed a demo organisation (once) and run the service.
    Demo(DemoArgs),
    /// Manage members.
    #[command(subcommand)]
    Member(MemberCommand),
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
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("upturn: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load()?;
    if matches!(cli.command, Command::Demo(_)) && std::env::var_os("UPTURN_DATABASE_URL").is_none()
    {
        settings.database_url = "sqlite://upturn-demo.db?mode=rwc".to_owned();
    }
    crate::telemetry::init(&settings.log, settings.log_format);
    match cli.command {
        Command::Serve => serve(settings, None).await,
        Command::Migrate => {
            let store = connect(&settings).await?;
            tracing::info!("Migrations applied");
            store.close().await
        }
        Command::Demo(args) => {
            let store = connect(&settings).await?;
            let logins = crate::demo::seed(&store).await?;
            if args.seed_only {
                return store.close().await;
            }
            serve(settings, Some((store, logins))).await
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
    }
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
