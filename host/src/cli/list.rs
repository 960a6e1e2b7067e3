//! `glint models list` and `glint plugins list`.

use glint::models::ModelRegistry;
use glint::{Config, Glint};
use serde::Serialize;

#[derive(Serialize)]
struct ModelRow {
    version: String,
    family: String,
    description: String,
    backend: String,
    backends: Vec<String>,
    /// Whether every file the manifest names is present.
    installed: bool,
    sources: Vec<String>,
}

fn model_rows(models: &ModelRegistry) -> Vec<ModelRow> {
    models
        .entries()
        .into_iter()
        .map(|e| ModelRow {
            version: e.name.clone(),
            family: e.manifest.model.family.clone(),
            description: e.manifest.model.description.clone(),
            backend: models.backend_for(&e).to_string(),
            backends: e.manifest.backends().iter().map(|b| b.to_string()).collect(),
            installed: e.is_installed(),
            sources: e.manifest.source.iter().map(|s| format!("{}:{}=={}", s.registry, s.package, s.version)).collect(),
        })
        .collect()
}

pub fn models(config: Config, json: bool) -> anyhow::Result<()> {
    let models = ModelRegistry::open(&config.models_dir, config.models)?;
    let rows = model_rows(&models);
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!("{:<20} {:<14} {:<9} {:<15} {:<10} SOURCE", "VERSION", "FAMILY", "BACKEND", "BACKENDS", "INSTALLED");
    for r in rows {
        println!(
            "{:<20} {:<14} {:<9} {:<15} {:<10} {}",
            r.version,
            r.family,
            r.backend,
            r.backends.join(","),
            if r.installed { "yes" } else { "no" },
            r.sources.join(" ")
        );
    }
    Ok(())
}

pub fn plugins(config: Config, json: bool) -> anyhow::Result<()> {
    let glint = Glint::open(config)?;
    let plugins = glint.plugins.list();
    if json {
        let infos: Vec<_> = plugins.iter().map(|p| &p.info).collect();
        println!("{}", serde_json::to_string_pretty(&infos)?);
        return Ok(());
    }
    println!("{:<12} {:<14} {:>10} {:<14} EXPORTS / IMPORTS", "NAME", "WORLD", "BYTES", "SHA256");
    for p in plugins {
        let i = &p.info;
        println!(
            "{:<12} {:<14} {:>10} {:<14} exports {}; imports {}",
            i.name,
            serde_json::to_value(i.world)?.as_str().unwrap_or("?"),
            i.bytes,
            &i.sha256[..12],
            i.exports.join(", "),
            i.imports.join(", ")
        );
    }
    Ok(())
}
