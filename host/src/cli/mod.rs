//! Argument parsing and the sub-commands.

mod detect;
mod gateway;
mod list;
mod live;
mod sdk;
mod up;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use glint::nn::BackendKind;
use glint::{Config, ErrorKind, GlintError};

#[derive(Parser)]
#[command(name = "glint", version, about = "Grounded detection as sandboxed WebAssembly components")]
struct Cli {
    /// The glint folder (models/, plugins/); default: $GLINT_HOME, the current
    /// folder, or the checkout the binary was built in.
    #[arg(long, global = true)]
    home: Option<PathBuf>,
    /// Run every model version that has files for it on this backend (onnx or
    /// openvino) instead of the one its model.toml names.
    #[arg(long, global = true)]
    backend: Option<BackendKind>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find the phrases of a prompt in an image; prints JSON.
    Detect(detect::DetectArgs),
    /// Serve the app of spin.toml (web UI and JSON API) until Ctrl-C.
    Up(up::UpArgs),
    /// Audit an unmodified Gradio app from in front of it (reverse proxy) until Ctrl-C.
    Gateway(gateway::GatewayArgs),
    /// Installed model versions; reload them in a running server.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Accounts of the web app (add the first admin here).
    Users(users::UsersArgs),
    /// Plugin components: list, check, and install or roll back in a running server.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// List them (a table, or JSON with --json).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Make a running server rescan models/ (or reload one VERSION), checked and canaried, without a restart.
    Reload {
        version: Option<String>,
        #[command(flatten)]
        remote: live::Remote,
    },
}

#[derive(Subcommand)]
enum PluginsCommand {
    /// List them (a table, or JSON with --json).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Install or replace a plugin in a running server: checked, canaried, swapped atomically.
    Install(live::InstallArgs),
    /// Make a running server go back to a plugin's previous build.
    Rollback {
        name: String,
        #[command(flatten)]
        remote: live::Remote,
    },
    /// Run the checks and canary of a live install here, changing nothing.
    Check(live::CheckArgs),
    /// Write a ready-to-build plugin folder: one world, in Rust, Python or JavaScript.
    New(sdk::NewArgs),
    /// Write the WIT package this glint implements (glint:plugins) into a folder.
    Wit {
        /// The folder to write it into (made if missing).
        out: PathBuf,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // A server logs its access lines by default; one-shot commands only warnings.
    let default_filter = if matches!(cli.command, Command::Up(_) | Command::Gateway(_)) { "warn,glint::access=info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GLINT_LOG").unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(glint::redact::RedactingStderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let home = cli.home.clone().unwrap_or_else(Config::discover_home);
    let mut config = Config::new(&home);
    config.models.backend = cli.backend;
    let result = match cli.command {
        Command::Detect(args) => detect::run(config, args),
        Command::Up(args) => up::run(config, args),
        Command::Gateway(args) => gateway::run(config, args),
        Command::Users(args) => users::run(config, args),
        Command::Models { command: ModelsCommand::List { json } } => list::models(config, json),
        Command::Models { command: ModelsCommand::Reload { version, remote } } => live::reload(&config, version.as_deref(), &remote),
        Command::Plugins { command: PluginsCommand::List { json } } => list::plugins(config, json),
        Command::Plugins { command: PluginsCommand::Install(args) } => live::install(&config, args),
        Command::Plugins { command: PluginsCommand::Rollback { name, remote } } => live::rollback(&config, &name, &remote),
        Command::Plugins { command: PluginsCommand::Check(args) } => live::check(config, args),
        Command::Plugins { command: PluginsCommand::New(args) } => sdk::new(&config, args),
        Command::Plugins { command: PluginsCommand::Wit { out } } => sdk::wit(&config, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = match e.downcast_ref::<GlintError>().map(|g| g.kind) {
                _ if e.downcast_ref::<glint::spin::ManifestError>().is_some() => 4,
                Some(ErrorKind::InvalidInput | ErrorKind::TooLarge) => 2,
                Some(ErrorKind::UnknownModel | ErrorKind::UnknownPlugin) => 3,
                Some(ErrorKind::Backend | ErrorKind::Config) => 4,
                Some(ErrorKind::Plugin) => 5,
                Some(ErrorKind::Blocked) => 6,
                None => 1,
            };
            eprintln!("glint: {e:#}");
            ExitCode::from(code)
        }
    }
}
