//! `glint plugins new` and `glint plugins wit`: what a third party needs to
//! start a plugin, from the glint that will run it.

use std::path::PathBuf;

use clap::Args;
use clap::builder::PossibleValuesParser;

use glint::Config;
use glint::plugins::{WIT_PACKAGE, WIT_VERSION};
use glint::sdk::skeleton::{self, Lang, Role};

#[derive(Args)]
pub struct NewArgs {
    /// The plugin's name: its folder, its .wasm and its name once installed.
    name: String,
    /// What it does: the interface it exports.
    #[arg(long, value_parser = PossibleValuesParser::new(Role::NAMES))]
    world: String,
    /// The language to write it in.
    #[arg(long, value_parser = PossibleValuesParser::new(Lang::NAMES))]
    lang: String,
    /// Where to make the plugin's folder.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

pub fn new(config: &Config, args: NewArgs) -> anyhow::Result<()> {
    let role: Role = args.world.parse().map_err(anyhow::Error::msg)?;
    let lang: Lang = args.lang.parse().map_err(anyhow::Error::msg)?;
    let dir = skeleton::write(&config.home, &args.dir, &args.name, role, lang)?;
    println!("{}: {} plugin in {} (world {} of {WIT_PACKAGE}@{WIT_VERSION}) written", args.name, args.world, args.lang, role.world());
    println!("  build it:  {}/build.sh", dir.display());
    println!("  check it:  glint plugins check {}/{}.wasm", dir.display(), args.name);
    Ok(())
}

pub fn wit(config: &Config, out: &std::path::Path) -> anyhow::Result<()> {
    let written = glint::sdk::wit::write(&config.home, out)?;
    for f in &written.files {
        println!("{}", f.display());
    }
    if !written.nn_worlds {
        eprintln!(
            "glint: the wasi:nn worlds (detect-plugin, audit-plugin) were left out: {} is missing (run scripts/setup.sh)",
            glint::sdk::wit::wasi_nn_wit(&config.home).display()
        );
    }
    Ok(())
}
