#![forbid(unsafe_code)]

use clap::Parser;
use tracing_subscriber::EnvFilter;

use boucle::cli::{prepare_demo, run_admin, Cli, Command};
use boucle::config::Config;
use boucle::startup::Application;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Demo(args) => {
            let message = prepare_demo(&mut config, &args)?;
            let app = Application::build(config)?;
            println!("{message}");
            actix_web::rt::System::new().block_on(app.run_until_stopped())?;
            Ok(())
        }
        Command::Serve => {
            let app = Application::build(config)?;
            actix_web::rt::System::new().block_on(app.run_until_stopped())?;
            Ok(())
        }
        Command::Openapi => {
            let doc = boucle::http::openapi::for_loop(&config.base_url);
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
        admin => {
            let out = run_admin(admin, &config)?;
            if !out.is_empty() {
                println!("{out}");
            }
            Ok(())
        }
    }
}
