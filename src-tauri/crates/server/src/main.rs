//! `hookboard-server`: runs exported Hookboard workflows without a GUI.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use hookboard_server::keys::ServerDb;
use hookboard_server::publish::{Direction, PublishRequest, publish};
use hookboard_server::run::{RunRequest, exit_code, run};
use hookboard_server::serve::{ServeConfig, serve};

/// mimalloc rather than glibc's malloc: under load the server allocates and frees small
/// buffers on many threads, where glibc's arenas spent about a tenth of the server's CPU
/// (webhook_throughput bench).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs Hookboard workflows exported from the desktop app.
#[derive(Parser)]
#[command(name = "hookboard-server", version, about)]
struct Cli {
    /// Log line format on stderr; the level comes from HOOKBOARD_LOG (e.g. `info`, `debug`;
    /// default `info` for serve, `warn` otherwise). Log lines carry event and run ids, never
    /// secrets or payloads.
    #[arg(long, global = true, env = "HOOKBOARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
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
        #[arg(long, env = "HOOKBOARD_ALLOW_INSECURE_HTTP", value_parser = BoolishValueParser::new())]
        allow_insecure_http: bool,
    },
    /// Receives events over HTTP, stores them, and runs the workflows they trigger.
    ///
    /// Endpoints: GET /healthz; GET /metrics (Prometheus); POST /hooks/{alias} (webhook events); POST
    /// /api/v1/custom-events/alias/{alias}[?createContact=true] (public API, header
    /// `Authorization: ApiKey <key>`); GET /api/v1/runs[?workflow,status,contact,from,to,limit,
    /// offset] (from/to: RFC 3339 start times), GET /api/v1/runs/{id}, POST
    /// /api/v1/runs/{id}/replay and POST /api/v1/rejected/{id}/replay (API key); POST
    /// /api/v1/groups/{group}/contacts (API key whose scope lists `group:<group>`; body
    /// `[{"email": ...} | {"id": ...}]`) adds contacts to a group and starts the workflows of
    /// its "Enters group" triggers for each new member. A scope listing no alias covers all.
    /// Bodies are at most 512 KiB. An event is acknowledged (202 with its id) only once it is
    /// committed to the database; events not yet run are run after a restart. SIGTERM stops
    /// accepting, lets open requests and runs in flight finish (up to --shutdown-grace) and
    /// exits 0.
    ///
    /// Exit status: 2 when the bundle, environment or secrets file is wrong (the reason, with
    /// every bundle problem and its path, on stderr), 1 when the database or address fails.
    Serve {
        /// Bundle file (hookboard.bundle/v1) or a directory of bundle files.
        #[arg(long, env = "HOOKBOARD_BUNDLE")]
        bundle: PathBuf,
        /// SQLite database file (created when missing).
        #[arg(long, env = "HOOKBOARD_DB", default_value = "hookboard.db")]
        db: PathBuf,
        /// Address and port to listen on.
        #[arg(long, env = "HOOKBOARD_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Number of workers running workflows concurrently.
        #[arg(long, env = "HOOKBOARD_WORKERS", default_value_t = 4)]
        workers: usize,
        /// Environment of the bundle whose variables `${env.NAME}` reads.
        #[arg(long, env = "HOOKBOARD_ENV")]
        env: Option<String>,
        /// JSON file of connector secrets: {"connector name": "secret"}; secrets are also read
        /// from HOOKBOARD_SECRET_<CONNECTOR> variables.
        #[arg(long, env = "HOOKBOARD_SECRETS_FILE")]
        secrets_file: Option<PathBuf>,
        /// Allow outbound requests to private, loopback and link-local addresses (refused by
        /// default: the resolved address of every request and redirect is checked, and a
        /// refused step fails with the error kind `blocked_address`).
        #[arg(long, env = "HOOKBOARD_ALLOW_PRIVATE_NETWORK", value_parser = BoolishValueParser::new())]
        allow_private_network: bool,
        /// Allow http:// URLs to hosts other than loopback (refused by default: requests and
        /// their credentials would travel unencrypted).
        #[arg(long, env = "HOOKBOARD_ALLOW_INSECURE_HTTP", value_parser = BoolishValueParser::new())]
        allow_insecure_http: bool,
        /// Seconds (at most 3600) that open requests and runs in flight get after SIGTERM; then
        /// the process exits, and the events of unfinished runs run again at the next start.
        /// Idle workers always get a second to stop.
        #[arg(
            long,
            env = "HOOKBOARD_SHUTDOWN_GRACE",
            default_value_t = 20,
            value_name = "SECONDS",
            value_parser = clap::value_parser!(u64).range(0..=3600)
        )]
        shutdown_grace: u64,
        /// Most events and runs waiting for a worker. Past it a new event waits up to 2 s for
        /// room, then gets 503 with `Retry-After: 1`, so that a server receiving more than it
        /// can run keeps a bounded backlog.
        #[arg(long, env = "HOOKBOARD_MAX_QUEUE", default_value_t = hookboard_server::serve::DEFAULT_MAX_QUEUE)]
        max_queue: usize,
    },
    /// Registers the server's subscription endpoints at the external systems: sends each
    /// Subscription trigger's registration webhook, which reads `${event.url}` (the public URL
    /// of POST /subscriptions/{name}) and `${event.subscription}`. Prints what was sent and
    /// answered as JSON (secrets masked).
    ///
    /// Exit status: 0 when every external system answered 2xx, 1 when one did not, 2 on bad
    /// input.
    Publish(PublishArgs),
    /// Removes the registrations `publish` made: sends each Subscription trigger's
    /// unregistration webhook, with the same `${event.url}` and `${event.subscription}`.
    ///
    /// Exit status: as for publish.
    Unpublish(PublishArgs),
    /// Manages the API keys of the public API.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

/// The arguments of `publish` and `unpublish`.
#[derive(Args)]
struct PublishArgs {
    /// Bundle file (hookboard.bundle/v1) or a directory of bundle files.
    #[arg(long, env = "HOOKBOARD_BUNDLE")]
    bundle: PathBuf,
    /// The base URL external systems reach this server at, e.g. https://hooks.example.com.
    #[arg(long, env = "HOOKBOARD_PUBLIC_URL")]
    public_url: String,
    /// Only this subscription (default: every subscription whose trigger names the webhook).
    #[arg(long)]
    subscription: Option<String>,
    /// Environment of the bundle whose variables `${env.NAME}` reads.
    #[arg(long, env = "HOOKBOARD_ENV")]
    env: Option<String>,
    /// JSON file of connector secrets: {"connector name": "secret"}; secrets are also read
    /// from HOOKBOARD_SECRET_<CONNECTOR> variables.
    #[arg(long, env = "HOOKBOARD_SECRETS_FILE")]
    secrets_file: Option<PathBuf>,
    /// Allow requests to private, loopback and link-local addresses.
    #[arg(long, env = "HOOKBOARD_ALLOW_PRIVATE_NETWORK", value_parser = BoolishValueParser::new())]
    allow_private_network: bool,
}

impl PublishArgs {
    fn request(self, direction: Direction) -> PublishRequest {
        PublishRequest {
            bundle: self.bundle,
            public_url: self.public_url,
            subscription: self.subscription,
            env: self.env,
            secrets_file: self.secrets_file,
            allow_private_network: self.allow_private_network,
            direction,
        }
    }
}

/// Runs `publish` or `unpublish`, prints the outcome and returns the exit status.
fn run_publish(runtime: &tokio::runtime::Runtime, request: PublishRequest) -> ExitCode {
    let verb = match request.direction {
        Direction::Publish => "registered",
        Direction::Unpublish => "unregistered",
    };
    match runtime.block_on(publish(&request)) {
        Ok(publications) => {
            for p in &publications {
                let answer = match (&p.step.response, &p.step.error) {
                    (_, Some(error)) => format!("failed: {}", error.message),
                    (Some(response), None) => format!("answered {}", response.status),
                    (None, None) => "no answer".to_string(),
                };
                eprintln!(
                    "hookboard-server: {}{verb} {} with webhook `{}` ({}): {answer}",
                    if p.ok { "" } else { "not " },
                    p.url,
                    p.webhook,
                    p.subscription
                );
            }
            if let Err(e) = print_json(&publications) {
                eprintln!("hookboard-server: cannot print the outcome: {e}");
                return ExitCode::from(1);
            }
            if publications.iter().all(|p| p.ok) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("hookboard-server: {e}");
            ExitCode::from(2)
        }
    }
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Creates an API key for a scope of the bundle (`api_key_scopes`) and prints it once;
    /// only its SHA-256 hash is stored.
    ///
    /// Exit status: 0 when the key is created; 2, with nothing written, when the scope is
    /// blank, the `--bundle` cannot be loaded or has no such scope; 1 when the database fails.
    Create {
        /// Scope name, as in the bundle's `api_key_scopes`.
        #[arg(long)]
        scope: String,
        /// SQLite database file the server uses.
        #[arg(long, env = "HOOKBOARD_DB", default_value = "hookboard.db")]
        db: PathBuf,
        /// Bundle file or directory the server runs: when given, the scope must be one of its
        /// `api_key_scopes` (exit 2 otherwise, naming the scopes it has). Only this flag is
        /// read, not HOOKBOARD_BUNDLE: a key may be made ahead of the bundle that adds its scope.
        #[arg(long)]
        bundle: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HOOKBOARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter);
    let json_logs = cli.log_format == LogFormat::Json;
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let runtime = match cli.command {
        Command::Serve { .. } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
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
                    if let Err(e) = print_json(&trace) {
                        eprintln!("hookboard-server: cannot print the trace: {e}");
                        return ExitCode::from(1);
                    }
                    ExitCode::from(u8::try_from(exit_code(&trace)).unwrap_or(1))
                }
                Err(e) => {
                    eprintln!("hookboard-server: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Serve {
            bundle,
            db,
            listen,
            workers,
            env,
            secrets_file,
            allow_private_network,
            allow_insecure_http,
            shutdown_grace,
            max_queue,
        } => {
            let config = ServeConfig {
                bundle,
                db,
                listen,
                workers,
                env,
                secrets_file,
                allow_private_network,
                allow_insecure_http,
                shutdown_grace: std::time::Duration::from_secs(shutdown_grace),
                max_queue,
            };
            match runtime.block_on(serve(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    // With JSON logs, a failed start is one more JSON line.
                    if json_logs {
                        tracing::error!("{e}");
                    } else {
                        eprintln!("hookboard-server: {e}");
                    }
                    ExitCode::from(e.exit_code())
                }
            }
        }
        Command::Publish(args) => run_publish(&runtime, args.request(Direction::Publish)),
        Command::Unpublish(args) => run_publish(&runtime, args.request(Direction::Unpublish)),
        Command::Keys {
            command: KeysCommand::Create { scope, db, bundle },
        } => {
            // Only the scopes are read: the URL rule is the server's business, not the key's.
            let options = hookboard_engine::validate::ValidationOptions {
                allow_insecure_http: true,
            };
            let checked = bundle
                .map(|path| hookboard_server::bundle::load_bundle(&path, options))
                .transpose()
                .map_err(|e| e.to_string())
                .and_then(|loaded| {
                    let bundle = loaded.map(|(bundle, _warnings)| bundle);
                    hookboard_server::keys::check_scope(&scope, bundle.as_ref())
                });
            if let Err(message) = checked {
                eprintln!("hookboard-server: no key created: {message}");
                return ExitCode::from(2);
            }
            let created = hookboard_store::Store::open(&db)
                .map_err(|e| e.to_string())
                .and_then(|_| ServerDb::open(&db).map_err(|e| e.to_string()))
                .and_then(|server_db| {
                    let key = server_db.create_key(&scope).map_err(|e| e.to_string())?;
                    Ok((server_db, key))
                });
            match created {
                Ok((server_db, key)) => {
                    // A key nobody saw is useless: it is taken back when it cannot be printed.
                    if let Err(e) = print_line(&key.key) {
                        let _ = server_db.delete_key(&key.id);
                        eprintln!("hookboard-server: no key created: cannot print it: {e}");
                        return ExitCode::from(1);
                    }
                    eprintln!(
                        "hookboard-server: key {} created for scope `{scope}`; it is shown only now",
                        key.id
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!(
                        "hookboard-server: cannot create the key in {}: {e}",
                        db.display()
                    );
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// Writes `text` and a newline to stdout; an error (a closed pipe) is returned, not a panic.
fn print_line(text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("stdout: {e}"))
}

/// Writes `value` as pretty JSON and a newline to stdout ([`print_line`]).
fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    let json = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    print_line(&json)
}
