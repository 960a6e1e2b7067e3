//! `spin.toml` (Spin manifest v2): the app's HTTP routes and components,
//! plus glint's own settings in `[application.tool.glint]`. Spin ignores
//! tool tables there and under `[component.<id>.tool.*]`, and rejects a
//! top-level `[tool]` table, so glint refuses one too, saying where to move
//! it. Errors name the key and the line.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// A manifest problem, located.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ManifestError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    spin_manifest_version: Spanned<u32>,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, toml::Value>,
    #[serde(default)]
    trigger: Triggers,
    #[serde(default)]
    component: BTreeMap<String, Spanned<RawComponent>>,
    /// A top-level `[tool]` table: Spin rejects it, so glint does too.
    tool: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
struct RawApplication {
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tool: Tools,
    // Other keys (`authors`, `targets`, `trigger`…) are Spin's: ignored.
}

/// `[application.tool.*]`: glint reads its own table; other tools' are ignored.
#[derive(Debug, Default, Deserialize)]
struct Tools {
    #[serde(default)]
    glint: GlintSettings,
}

#[derive(Clone, Debug)]
pub struct Application {
    pub name: String,
    pub version: String,
    pub description: String,
}

#[derive(Debug, Default, Deserialize)]
struct Triggers {
    #[serde(default)]
    http: Vec<Spanned<RawRoute>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    route: Spanned<String>,
    component: Spanned<String>,
}

#[derive(Debug, Deserialize)]
struct RawComponent {
    source: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    /// Folders mounted read-only into the component.
    #[serde(default)]
    files: Vec<Spanned<RawMount>>,
    // Other keys (`build`, `tool`…) are for other tools: ignored.
}

/// A `files` entry: `"dir"` (mounted at `/dir`) or `{ source, destination }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawMount {
    Same(String),
    Mapped { source: String, destination: String },
}

/// glint's settings (`[application.tool.glint]`), all optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlintSettings {
    pub listen: Option<String>,
    pub default_model: Option<String>,
    pub detect_plugin: Option<String>,
    pub database: Option<String>,
    /// Proxies (e.g. the edge) whose `X-Forwarded-For` names the client; none by default.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    #[serde(default)]
    pub limits: LimitSettings,
    #[serde(default)]
    pub rate_limit: RateLimitSettings,
    /// Result cache size in entries; 0 disables it.
    pub cache_entries: Option<usize>,
    #[serde(default)]
    pub jobs: JobsSettings,
    /// How the runtimes share the cores (`[application.tool.glint.inference]`).
    #[serde(default)]
    pub inference: InferenceSettings,
    #[serde(default)]
    pub accounts: AccountSettings,
    /// The audit policy; without it nothing is audited (and `glint up` says so).
    pub audit: Option<glint_audit::AuditPolicy>,
    /// Live installs, rollbacks and reloads (`[application.tool.glint.live]`).
    #[serde(default)]
    pub live: glint_live::LiveSettings,
    /// Limits on connections and requests (`[application.tool.glint.server]`).
    #[serde(default)]
    pub server: glint_serve::ServerLimits,
    /// A/B experiments (`[application.tool.glint.experiments.<name>]`), as written;
    /// [`SpinManifest::experiments`] holds them checked.
    #[serde(default)]
    pub experiments: BTreeMap<String, Spanned<glint_experiments::RawExperiment>>,
}

/// `[application.tool.glint.inference]`: how inferences share the cores.
/// Measured by `scripts/inference-sweep.sh`; the defaults favour one
/// request's latency and memory, the alternatives several at once.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceSettings {
    /// ONNX Runtime sessions per graph (default 1): each runs one inference at a time.
    pub onnx_sessions: Option<usize>,
    /// Threads of ONNX Runtime's intra-op pool (default: one per core).
    pub onnx_threads: Option<usize>,
    /// Inferences per graph that may run at once on its single-thread ONNX
    /// Runtime session, each on one core, when they start while another is
    /// running (0: no such session, every inference waits for the pool's
    /// sessions). `onnx_overlap_sessions`, its name before they shared one
    /// session, is still read.
    #[serde(alias = "onnx_overlap_sessions")]
    pub onnx_overlap_computes: Option<usize>,
    /// OpenVINO's performance hint: "latency" (default) or "throughput".
    pub openvino_hint: Option<OpenvinoHint>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpenvinoHint {
    Latency,
    Throughput,
}

/// `[application.tool.glint.accounts]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// How long a sign-in lasts.
    pub session_hours: u64,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings { session_hours: 12 }
    }
}

/// `[application.tool.glint.jobs]`: the detection queue.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsSettings {
    /// Jobs waiting at most; more get 503 with Retry-After.
    pub queue: usize,
    /// Detections running at once, sync and queued together.
    pub concurrency: usize,
    /// Seconds a finished job stays readable.
    pub keep_seconds: u64,
}

impl Default for JobsSettings {
    fn default() -> Self {
        JobsSettings { queue: 64, concurrency: 2, keep_seconds: 600 }
    }
}

/// `[application.tool.glint.rate_limit]`: on requests that do work (not GET), per
/// account for users and admins, per client IP for guests.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Sustained rate per account; 0 disables the limit.
    pub per_minute: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
    /// Sustained rate per guest IP; 0 disables the limit.
    pub guest_per_minute: u32,
    pub guest_burst: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings { per_minute: 120, burst: 20, guest_per_minute: 30, guest_burst: 10 }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub max_pixels: Option<u64>,
    pub max_prompt_chars: Option<u32>,
    pub max_body_bytes: Option<usize>,
}

/// One `[[trigger.http]]`: requests whose path matches `route` go to `component`.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub route: String,
    pub component: String,
}

impl Route {
    /// Spin's matching: `/...` is a wildcard tail, otherwise exact.
    pub fn matches(&self, path: &str) -> bool {
        match self.route.strip_suffix("/...") {
            Some(prefix) => path == prefix || path.starts_with(&format!("{prefix}/")) || prefix.is_empty(),
            None => path == self.route,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppComponent {
    pub id: String,
    pub source: PathBuf,
    pub description: String,
    pub allowed_outbound_hosts: Vec<String>,
    pub sqlite_databases: Vec<String>,
    pub key_value_stores: Vec<String>,
    pub variables: BTreeMap<String, String>,
    /// Host folders mounted read-only: (host path, guest path).
    pub files: Vec<(PathBuf, String)>,
}

/// A checked manifest.
#[derive(Clone, Debug)]
pub struct SpinManifest {
    pub path: PathBuf,
    pub application: Application,
    pub variables: BTreeMap<String, toml::Value>,
    pub routes: Vec<Route>,
    pub components: BTreeMap<String, AppComponent>,
    pub glint: GlintSettings,
    /// The experiments of `[application.tool.glint.experiments]`, checked.
    pub experiments: Vec<glint_experiments::ExperimentDef>,
}

impl SpinManifest {
    pub fn load(path: &Path) -> Result<SpinManifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
            file: path.display().to_string(),
            line: 0,
            message: format!("cannot read the manifest: {e}"),
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<SpinManifest, ManifestError> {
        let file = path.display().to_string();
        let at = |span: Option<Range<usize>>, message: String| ManifestError {
            file: file.clone(),
            line: span.map_or(0, |s| line_of(text, s.start)),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| at(e.span(), e.message().to_string()))?;
        if raw.tool.is_some() {
            let line = text.lines().position(|l| {
                let l = l.trim_start();
                l.starts_with("[tool") || l.starts_with("[[tool") || l.starts_with("tool")
            });
            return Err(ManifestError {
                file: file.clone(),
                line: line.map_or(0, |i| i + 1),
                message:
                "a top-level [tool] table is not valid in a Spin manifest (Spin rejects it with \"unknown field `tool`\"): \
                 move glint's settings to [application.tool.glint] (and [tool.glint.<x>] to [application.tool.glint.<x>])"
                    .to_string(),
            });
        }
        if *raw.spin_manifest_version.get_ref() != 2 {
            return Err(at(
                Some(raw.spin_manifest_version.span()),
                format!("spin_manifest_version = {}: glint reads version 2", raw.spin_manifest_version.get_ref()),
            ));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let mut components = BTreeMap::new();
        for (id, c) in raw.component {
            let c = c.into_inner();
            let source = c.source.get_ref();
            if source.starts_with("http://") || source.starts_with("https://") || !source.ends_with(".wasm") {
                return Err(at(Some(c.source.span()), format!("component.{id}.source: give a local .wasm file, not {source:?}")));
            }
            let mut files = Vec::new();
            for m in c.files {
                let span = m.span();
                let (source, destination) = match m.into_inner() {
                    RawMount::Same(s) => (s.clone(), format!("/{}", s.trim_start_matches('/'))),
                    RawMount::Mapped { source, destination } => (source, destination),
                };
                if source.contains(['*', '?', '[']) {
                    return Err(at(Some(span), format!("component.{id}.files: {source:?}: glint mounts folders, not globs")));
                }
                if !destination.starts_with('/') {
                    return Err(at(Some(span), format!("component.{id}.files: destination {destination:?} must start with '/'")));
                }
                files.push((base.join(&source), destination));
            }
            components.insert(
                id.clone(),
                AppComponent {
                    id,
                    source: base.join(source),
                    description: c.description,
                    allowed_outbound_hosts: c.allowed_outbound_hosts,
                    sqlite_databases: c.sqlite_databases,
                    key_value_stores: c.key_value_stores,
                    variables: c.variables,
                    files,
                },
            );
        }
        let mut routes = Vec::new();
        for r in raw.trigger.http {
            let r = r.into_inner();
            if !r.route.get_ref().starts_with('/') {
                return Err(at(Some(r.route.span()), format!("trigger.http.route {:?} must start with '/'", r.route.get_ref())));
            }
            if !components.contains_key(r.component.get_ref()) {
                let known: Vec<&String> = components.keys().collect();
                return Err(at(
                    Some(r.component.span()),
                    format!("trigger.http.component {:?} is not a [component.*] (known: {known:?})", r.component.get_ref()),
                ));
            }
            routes.push(Route { route: r.route.into_inner(), component: r.component.into_inner() });
        }
        // Longest prefix first, so "/api/..." wins over "/...".
        routes.sort_by_key(|r| std::cmp::Reverse(r.route.trim_end_matches("/...").len()));
        let app = raw.application;
        let experiments = glint_experiments::config::check(&app.tool.glint.experiments, &file, |offset| line_of(text, offset))
            .map_err(|(line, message)| ManifestError { file: file.clone(), line, message })?;
        Ok(SpinManifest {
            experiments,
            path: path.to_path_buf(),
            application: Application { name: app.name, version: app.version, description: app.description },
            variables: raw.variables,
            routes,
            components,
            glint: app.tool.glint,
        })
    }

    /// The component that serves `path`, if any route matches.
    pub fn route_for(&self, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.matches(path))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"spin_manifest_version = 2

[application]
name = "glint"

[application.tool.glint]
listen = "127.0.0.1:8080"
[application.tool.glint.limits]
max_pixels = 1000

[[trigger.http]]
route = "/..."
component = "web"

[[trigger.http]]
route = "/api/..."
component = "web"

[component.web]
source = "plugins/web.wasm"
sqlite_databases = ["default"]

[component.web.build]
command = "scripts/build-components.sh"

[component.web.tool.other]
anything = "goes"
"#;

    fn parse(text: &str) -> Result<SpinManifest, ManifestError> {
        SpinManifest::parse(Path::new("/app/spin.toml"), text)
    }

    #[test]
    fn inference_settings_and_their_errors() {
        let with = |lines: &str| OK.replace("[application.tool.glint.limits]", &format!("[application.tool.glint.inference]\n{lines}\n[application.tool.glint.limits]"));
        let m = parse(&with("onnx_sessions = 2\nonnx_threads = 1\nopenvino_hint = \"throughput\"")).unwrap();
        let i = &m.glint.inference;
        assert_eq!((i.onnx_sessions, i.onnx_threads, i.openvino_hint), (Some(2), Some(1), Some(OpenvinoHint::Throughput)));
        assert_eq!(parse(&with("onnx_overlap_computes = 2")).unwrap().glint.inference.onnx_overlap_computes, Some(2));
        assert_eq!(parse(&with("onnx_overlap_sessions = 3")).unwrap().glint.inference.onnx_overlap_computes, Some(3), "the older name");
        assert!(parse(OK).unwrap().glint.inference.openvino_hint.is_none(), "latency unless asked");
        let e = parse(&with("openvino_hint = \"fast\"")).unwrap_err();
        assert!(e.message.contains("fast") && e.message.contains("throughput"), "{e}");
        let e = parse(&with("onnx_session = 2")).unwrap_err();
        assert!(e.message.contains("onnx_session"), "{e}");
    }

    #[test]
    fn reads_routes_components_and_settings() {
        let m = parse(OK).unwrap();
        assert_eq!(m.components["web"].source, Path::new("/app/plugins/web.wasm"));
        assert_eq!(m.route_for("/api/detect").unwrap().route, "/api/...");
        assert_eq!(m.route_for("/").unwrap().route, "/...");
        assert_eq!(m.glint.listen.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(m.glint.limits.max_pixels, Some(1000));
    }

    #[test]
    fn errors_name_key_and_line() {
        let e = parse(&OK.replace("component = \"web\"\n\n[[trigger.http]]", "component = \"wbe\"\n\n[[trigger.http]]")).unwrap_err();
        assert_eq!(e.line, 13, "{e}");
        assert!(e.to_string().contains("\"wbe\"") && e.to_string().contains("/app/spin.toml:13"), "{e}");
        let e = parse(&OK.replace("source =", "sourec =")).unwrap_err();
        assert!(e.message.contains("source"), "{e}");
        assert_eq!(e.line, 19, "{e}"); // the [component.web] table
        let e = parse(&OK.replace("max_pixels", "max_pixel")).unwrap_err();
        assert!(e.message.contains("max_pixel") && e.line == 9, "{e}");
        let e = parse(&OK.replace("version = 2", "version = 1")).unwrap_err();
        assert_eq!(e.line, 1);
        // Kept for the trigger to judge: Spin-only components may use it, glint's platform ones may not.
        let m = parse(&OK.replace("sqlite_databases", "allowed_outbound_hosts = [\"https://x\"]\nsqlite_databases")).unwrap();
        assert_eq!(m.components["web"].allowed_outbound_hosts, ["https://x"]);
    }

    #[test]
    fn a_top_level_tool_table_is_refused_with_where_to_move_it() {
        let old = format!("{OK}\n[tool.glint]\nlisten = \"127.0.0.1:1\"\n");
        let e = parse(&old).unwrap_err();
        assert!(e.message.contains("[application.tool.glint]") && e.message.contains("top-level [tool]"), "{e}");
        assert_eq!(e.line, 29, "{e}");
        // Other tools' tables under the application or a component are Spin's to ignore, and glint's too.
        let m = parse(&OK.replace("[application.tool.glint]\n", "[application.tool.other]\nx = 1\n[application.tool.glint]\n")).unwrap();
        assert_eq!(m.glint.listen.as_deref(), Some("127.0.0.1:8080"));
    }

    #[test]
    fn route_matching() {
        let r = Route { route: "/api/...".into(), component: "w".into() };
        assert!(r.matches("/api") && r.matches("/api/x/y") && !r.matches("/apix"));
        let exact = Route { route: "/health".into(), component: "w".into() };
        assert!(exact.matches("/health") && !exact.matches("/health/x"));
    }
}
