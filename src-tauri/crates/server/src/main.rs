//! `hookboard-server`: runs exported Hookboard workflows without a GUI.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hookboard_server::run::{RunRequest, exit_code, run};

/// Runs Hookboard workflows exported from the desktop app.
#[derive(Parser)]
#[command(name = "hookboard-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs one workflow once and prints its trace as JSON on stdout.
    ///
    /// Exit status: 0 when the run completes (an error port taken counts as completed),
    /// 1 when it fails, 2 on bad input.
    Run {
        /// Bundle file (hookboard.bundle/v1) or a directory of bundle files.
        bundle: PathBuf,
        /// Name of the workflow to run.
        #[arg(long)]
        workflow: String,
        /// Event JSON file, or `-` for standard input: the payload, or {"alias","source","payload"}.
        #[arg(long)]
        event: Option<PathBuf>,
        /// Contact JSON file (id, email, phone, first_name, ..., custom, groups).
        #[arg(long)]
        contact: Option<PathBuf>,
        /// JSON file of connector secrets: {"connector name": "secret"}.
        #[arg(long, env = "HOOKBOARD_SECRETS_FILE")]
        secrets_file: Option<PathBuf>,
        /// Environment of the bundle whose variables `${env.NAME}` reads.
        #[arg(long, env = "HOOKBOARD_ENV")]
        env: Option<String>,
        /// Allow http:// URLs to hosts other than loopback.
        #[arg(long, env = "HOOKBOARD_ALLOW_INSECURE_HTTP")]
        allow_insecure_http: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HOOKBOARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hookboard-server: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Run {
            bundle,
            workflow,
            event,
            contact,
            secrets_file,
            env,
            allow_insecure_http,
        } => {
            let request = RunRequest {
                bundle,
                workflow,
                event,
                contact,
                secrets_file,
                env,
                allow_insecure_http,
            };
            match runtime.block_on(run(&request)) {
                Ok(trace) => {
                    match serde_json::to_string_pretty(&trace) {
                        Ok(json) => println!("{json}"),
                        Err(e) => {
                            eprintln!("hookboard-server: cannot print the trace: {e}");
                            return ExitCode::from(1);
                        }
                    }
                    ExitCode::from(u8::try_from(exit_code(&trace)).unwrap_or(1))
                }
                Err(e) => {
                    eprintln!("hookboard-server: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
