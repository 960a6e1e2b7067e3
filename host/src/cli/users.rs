//! `glint users`: accounts from the command line (the first admin is made here).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use glint::Config;
use glint::auth::{Role, hash_password, validate_password, validate_user_name};
use glint::spin::SpinManifest;
use glint::store::{NewUser, Store};

use super::up::DEFAULT_DATABASE;

#[derive(Args)]
pub struct UsersArgs {
    /// The database (default: spin.toml's [application.tool.glint] database, else .glint/glint.db).
    #[arg(long, global = true)]
    database: Option<String>,
    /// The manifest whose [application.tool.glint] database to use.
    #[arg(long, global = true, default_value = "spin.toml")]
    manifest: PathBuf,
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add an account; the password is asked for (or read from stdin with --password-stdin).
    Add {
        name: String,
        /// user or admin.
        #[arg(long, default_value = "user", value_parser = parse_role)]
        role: Role,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Change an account.
    Set {
        name: String,
        /// user or admin.
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        #[arg(long)]
        enable: bool,
        /// Set a new password, read from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub fn run(config: Config, args: UsersArgs) -> anyhow::Result<()> {
    let database = match args.database {
        Some(d) => d,
        None => {
            let path = config.home.join(&args.manifest);
            let from_manifest = path.is_file().then(|| SpinManifest::load(&path)).transpose()?.and_then(|m| m.glint.database);
            from_manifest.unwrap_or_else(|| DEFAULT_DATABASE.into())
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let store = Store::open(&database, &config.home).await?;
        match args.command {
            UsersCommand::Add { name, role, password_stdin } => {
                validate_user_name(&name).map_err(anyhow::Error::msg)?;
                let password = read_password(password_stdin, true)?;
                let hash = hash_password(&password)?;
                store.add_user(NewUser { name: &name, role: role.as_str(), password_hash: &hash }).await?;
                println!("added {role} {name}");
            }
            UsersCommand::List => {
                println!("{:<32} {:<6} {:<8}", "NAME", "ROLE", "STATE");
                for u in store.users().await? {
                    println!("{:<32} {:<6} {:<8}", u.name, u.role, if u.disabled { "disabled" } else { "enabled" });
                }
            }
            UsersCommand::Set { name, role, disable, enable, password_stdin } => {
                let hash = if password_stdin { Some(hash_password(&read_password(true, false)?)?) } else { None };
                let disabled = if disable { Some(true) } else if enable { Some(false) } else { None };
                if role.is_none() && disabled.is_none() && hash.is_none() {
                    bail!("nothing to change: give --role, --disable, --enable or --password-stdin");
                }
                let u = store.update_user(&name, role.map(Role::as_str), disabled, hash.as_deref()).await?;
                println!("{} is now {} and {}", u.name, u.role, if u.disabled { "disabled" } else { "enabled" });
            }
        }
        anyhow::Ok(())
    })
}

/// The password from stdin's first line, or asked for twice on a terminal.
fn read_password(from_stdin: bool, confirm: bool) -> anyhow::Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        let p = rpassword::prompt_password("password: ")?;
        if confirm && rpassword::prompt_password("again: ")? != p {
            bail!("the passwords differ");
        }
        p
    };
    validate_password(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}
