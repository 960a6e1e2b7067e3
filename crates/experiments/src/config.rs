//! Experiments as `spin.toml` declares them, one table each under
//! `[application.tool.glint.experiments.<name>]`, checked when the manifest
//! is read: a mistake names the file, the line and the key.
//!
//! ```toml
//! [application.tool.glint.experiments.detector-ab]
//! version = 1                  # bump it to re-bucket everyone
//! status = "running"           # running, paused or stopped
//! start = 2026-12-01T00:00:00Z # optional window
//! [[application.tool.glint.experiments.detector-ab.arms]]
//! name = "control"
//! model = "coco-grounded-v1"
//! weight = 50
//! [[application.tool.glint.experiments.detector-ab.arms]]
//! name = "treatment"
//! model = "coco-grounded-v1"
//! plugin = "detect-next"       # optional: another detector plugin
//! weight = 50
//! [application.tool.glint.experiments.detector-ab.guardrails]
//! max_error_rate = 0.05
//! ```

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

/// `[application.tool.glint.experiments.<name>]` as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    version: Option<Spanned<i64>>,
    /// The allocator plugin (world ab-plugin); default `ab`.
    allocator: Option<String>,
    status: Option<Spanned<String>>,
    start: Option<Spanned<toml::value::Datetime>>,
    stop: Option<Spanned<toml::value::Datetime>>,
    description: Option<String>,
    min_subjects: Option<u64>,
    min_ratings: Option<u64>,
    alpha: Option<Spanned<f64>>,
    mixture_sd: Option<Spanned<f64>>,
    webhook: Option<Spanned<String>>,
    #[serde(default)]
    guardrails: Option<Spanned<RawGuardrails>>,
    #[serde(default)]
    arms: Vec<Spanned<RawArm>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArm {
    name: Spanned<String>,
    model: Spanned<String>,
    plugin: Option<Spanned<String>>,
    weight: Spanned<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuardrails {
    max_error_rate: Option<f64>,
    max_p95_ms: Option<f64>,
    rating_not_worse: Option<bool>,
    min_requests: Option<u64>,
}

/// Whether an experiment assigns subjects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Subjects are assigned and served by their arm.
    Running,
    /// Everyone gets the control arm; assignments are kept for a resume.
    Paused,
    /// Over: everyone gets the control arm, or the winner once one is declared.
    Stopped,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "running" => Status::Running,
            "paused" => Status::Paused,
            "stopped" => Status::Stopped,
            _ => return None,
        })
    }
}

/// One arm: a model version and, optionally, another detector plugin.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ArmDef {
    pub name: String,
    pub model: String,
    /// The detector plugin; `None`: the configured `detect_plugin`.
    pub plugin: Option<String>,
    pub weight: u32,
    /// Where it is declared (for errors found later, at start).
    #[serde(skip)]
    pub line: usize,
}

/// Per-experiment guardrails: a breach stops the experiment.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Guardrails {
    /// An arm whose share of failed requests exceeds this.
    pub max_error_rate: Option<f64>,
    /// An arm whose 95th-percentile latency exceeds this.
    pub max_p95_ms: Option<f64>,
    /// An arm whose mean rating is lower than control's with the anytime-valid bound.
    pub rating_not_worse: bool,
    /// Requests an arm needs before the error and latency rails are judged.
    pub min_requests: u64,
}

impl Guardrails {
    /// Whether any rail is set (else there is nothing to judge).
    pub fn any(&self) -> bool {
        self.max_error_rate.is_some() || self.max_p95_ms.is_some() || self.rating_not_worse
    }
}

/// A checked experiment.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExperimentDef {
    pub name: String,
    pub version: u32,
    pub description: String,
    pub allocator: String,
    pub status: Status,
    pub start_ms: Option<i64>,
    pub stop_ms: Option<i64>,
    /// The first arm is the control.
    pub arms: Vec<ArmDef>,
    /// Subjects per arm before results are called (else "not enough data").
    pub min_subjects: u64,
    /// Ratings per arm before the rating comparison is called.
    pub min_ratings: u64,
    /// Level of the tests and of the confidence sequence.
    pub alpha: f64,
    /// τ, the standard deviation of the mSPRT's normal mixture (in stars).
    pub mixture_sd: f64,
    pub guardrails: Guardrails,
    /// `http://…` URL that gets a POST when a guardrail stops the experiment.
    pub webhook: Option<String>,
    /// The manifest and the line of its table (for errors found later, at start).
    #[serde(skip)]
    pub file: String,
    #[serde(skip)]
    pub line: usize,
}

impl ExperimentDef {
    /// The control arm (the first).
    pub fn control(&self) -> &ArmDef {
        &self.arms[0]
    }

    pub fn arm(&self, name: &str) -> Option<&ArmDef> {
        self.arms.iter().find(|a| a.name == name)
    }

    /// The `name@version` salt the allocator hashes with.
    pub fn salt(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// Checks every experiment; `line(offset)` turns a span into a line number.
/// The error is `(line, message)`, the message naming the key.
pub fn check(
    raw: &BTreeMap<String, Spanned<RawExperiment>>,
    file: &str,
    line: impl Fn(usize) -> usize,
) -> Result<Vec<ExperimentDef>, (usize, String)> {
    let mut defs = Vec::new();
    for (name, table) in raw {
        let at_table = line(table.span().start);
        let key = |k: &str| format!("[application.tool.glint.experiments.{name}] {k}");
        let fail = |span: std::ops::Range<usize>, k: &str, why: String| Err((line(span.start), format!("{}: {why}", key(k))));
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
            return Err((at_table, format!("{}: the name {name:?} must be lower-case letters, digits, '-' and '_'", key(""))));
        }
        let e = table.get_ref();
        let version = match &e.version {
            None => 1,
            Some(v) if (1..=i64::from(u32::MAX)).contains(v.get_ref()) => *v.get_ref() as u32,
            Some(v) => return fail(v.span(), "version", format!("{} is not a whole number from 1", v.get_ref())),
        };
        let status = match &e.status {
            None => Status::Running,
            Some(s) => match Status::parse(s.get_ref()) {
                Some(st) => st,
                None => return fail(s.span(), "status", format!("{:?}: use running, paused or stopped", s.get_ref())),
            },
        };
        if e.arms.len() < 2 {
            return Err((at_table, format!("{}: an experiment needs at least two arms (the first is the control), it has {}", key("arms"), e.arms.len())));
        }
        let mut arms = Vec::new();
        let mut names = HashSet::new();
        for (i, arm) in e.arms.iter().enumerate() {
            let a = arm.get_ref();
            let arm_key = |k: &str| format!("arms[{i}].{k}");
            let arm_name = a.name.get_ref();
            if arm_name.is_empty() || !arm_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return fail(a.name.span(), &arm_key("name"), format!("{arm_name:?} must be letters, digits, '-' and '_'"));
            }
            if !names.insert(arm_name.clone()) {
                return fail(a.name.span(), &arm_key("name"), format!("a second arm named {arm_name:?}: arm names must differ"));
            }
            if a.model.get_ref().trim().is_empty() {
                return fail(a.model.span(), &arm_key("model"), "name a model version".into());
            }
            let weight = *a.weight.get_ref();
            if !(0..=1_000_000).contains(&weight) {
                return fail(a.weight.span(), &arm_key("weight"), format!("{weight} is not a whole number from 0 to 1000000"));
            }
            arms.push(ArmDef {
                name: arm_name.clone(),
                model: a.model.get_ref().clone(),
                plugin: a.plugin.as_ref().map(|p| p.get_ref().clone()),
                weight: weight as u32,
                line: line(arm.span().start),
            });
        }
        if arms.iter().all(|a| a.weight == 0) {
            return fail(e.arms[0].span(), "arms", "the weights sum to 0: give at least one arm a weight above 0".into());
        }
        let time = |t: &Option<Spanned<toml::value::Datetime>>, k: &str| -> Result<Option<i64>, (usize, String)> {
            match t {
                None => Ok(None),
                Some(t) => epoch_ms(t.get_ref()).map(Some).ok_or_else(|| {
                    (line(t.span().start), format!("{}: {} must be a full date and time with an offset, e.g. 2026-12-01T00:00:00Z", key(k), t.get_ref()))
                }),
            }
        };
        let (start_ms, stop_ms) = (time(&e.start, "start")?, time(&e.stop, "stop")?);
        if let (Some(a), Some(b), Some(s)) = (start_ms, stop_ms, &e.stop)
            && b <= a
        {
            return fail(s.span(), "stop", "it must come after start".into());
        }
        let alpha = e.alpha.as_ref().map(|a| (*a.get_ref(), a.span()));
        if let Some((a, span)) = &alpha
            && !(*a > 0.0 && *a <= 0.5)
        {
            return fail(span.clone(), "alpha", format!("{a} must be above 0 and at most 0.5"));
        }
        let sd = e.mixture_sd.as_ref().map(|a| (*a.get_ref(), a.span()));
        if let Some((s, span)) = &sd
            && !(*s > 0.0 && s.is_finite())
        {
            return fail(span.clone(), "mixture_sd", format!("{s} must be above 0"));
        }
        if let Some(w) = &e.webhook
            && !(w.get_ref().starts_with("http://") && w.get_ref().len() > "http://".len())
        {
            return fail(w.span(), "webhook", format!("{:?}: give an http:// URL (glint sends no TLS; put a relay in front for https)", w.get_ref()));
        }
        let guardrails = match &e.guardrails {
            None => Guardrails { max_error_rate: None, max_p95_ms: None, rating_not_worse: false, min_requests: 50 },
            Some(g) => {
                let span = g.span();
                let g = g.get_ref();
                if let Some(r) = g.max_error_rate
                    && !(0.0..=1.0).contains(&r)
                {
                    return fail(span, "guardrails.max_error_rate", format!("{r} must be in [0, 1]"));
                }
                if let Some(p) = g.max_p95_ms
                    && (p.is_nan() || p <= 0.0)
                {
                    return fail(span, "guardrails.max_p95_ms", format!("{p} must be above 0"));
                }
                Guardrails {
                    max_error_rate: g.max_error_rate,
                    max_p95_ms: g.max_p95_ms,
                    rating_not_worse: g.rating_not_worse.unwrap_or(false),
                    min_requests: g.min_requests.unwrap_or(50).max(1),
                }
            }
        };
        defs.push(ExperimentDef {
            name: name.clone(),
            version,
            description: e.description.clone().unwrap_or_default(),
            allocator: e.allocator.clone().unwrap_or_else(|| "ab".into()),
            status,
            start_ms,
            stop_ms,
            arms,
            min_subjects: e.min_subjects.unwrap_or(100),
            min_ratings: e.min_ratings.unwrap_or(30).max(2),
            alpha: alpha.map_or(0.05, |(a, _)| a),
            mixture_sd: sd.map_or(0.5, |(s, _)| s),
            guardrails,
            webhook: e.webhook.as_ref().map(|w| w.get_ref().clone()),
            file: file.to_string(),
            line: at_table,
        });
    }
    let running: Vec<&str> = defs.iter().filter(|d| d.status == Status::Running).map(|d| d.name.as_str()).collect();
    if running.len() > 1 {
        let second = defs.iter().filter(|d| d.status == Status::Running).nth(1).expect("two running");
        return Err((second.line, format!(
            "[application.tool.glint.experiments.{}] status: only one experiment may run at a time ({} are running); pause or stop the others",
            second.name,
            running.join(", ")
        )));
    }
    Ok(defs)
}

/// A TOML offset date-time as milliseconds since the epoch.
fn epoch_ms(t: &toml::value::Datetime) -> Option<i64> {
    let (date, time, offset) = (t.date?, t.time?, t.offset?);
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m, d) = (i64::from(date.year), i64::from(date.month), i64::from(date.day));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + i64::from(time.hour) * 3600 + i64::from(time.minute) * 60 + i64::from(time.second);
    let offset_min = match offset {
        toml::value::Offset::Z => 0,
        toml::value::Offset::Custom { minutes } => i64::from(minutes),
    };
    Some((seconds - offset_min * 60) * 1000 + i64::from(time.nanosecond / 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Doc {
        experiments: BTreeMap<String, Spanned<RawExperiment>>,
    }

    const OK: &str = r#"
[experiments.detector-ab]
version = 2
start = 2026-12-01T00:00:00Z
[[experiments.detector-ab.arms]]
name = "control"
model = "coco-grounded-v1"
weight = 50
[[experiments.detector-ab.arms]]
name = "treatment"
model = "coco-grounded-v2"
plugin = "detect-next"
weight = 50
[experiments.detector-ab.guardrails]
max_error_rate = 0.1
"#;

    fn check_text(text: &str) -> Result<Vec<ExperimentDef>, (usize, String)> {
        let doc: Doc = toml::from_str(text).map_err(|e| (0, e.to_string()))?;
        check(&doc.experiments, "spin.toml", |offset| text[..offset].matches('\n').count() + 1)
    }

    #[test]
    fn reads_an_experiment() {
        let defs = check_text(OK).unwrap();
        let d = &defs[0];
        assert_eq!((d.name.as_str(), d.version, d.status), ("detector-ab", 2, Status::Running));
        assert_eq!(d.salt(), "detector-ab@2");
        assert_eq!(d.control().name, "control");
        assert_eq!(d.arms[1].plugin.as_deref(), Some("detect-next"));
        assert_eq!(d.start_ms, Some(1_796_083_200_000)); // 2026-12-01T00:00:00Z
        assert_eq!(d.guardrails.max_error_rate, Some(0.1));
        assert_eq!(d.arms[1].line, 9);
        assert_eq!((d.file.as_str(), d.line), ("spin.toml", 2));
    }

    #[test]
    fn mistakes_name_the_line_and_key() {
        let e = check_text(&OK.replace("name = \"treatment\"", "name = \"control\"")).unwrap_err();
        assert_eq!(e.0, 10, "{e:?}");
        assert!(e.1.contains("arms[1].name") && e.1.contains("second arm"), "{e:?}");
        let e = check_text(&OK.replace("weight = 50", "weight = 0")).unwrap_err();
        assert!(e.1.contains("sum to 0") && e.1.contains("detector-ab] arms"), "{e:?}");
        let e = check_text(&OK.replace("weight = 50\n[experiments.detector-ab.guardrails]", "weight = -1\n[experiments.detector-ab.guardrails]")).unwrap_err();
        assert!(e.1.contains("arms[1].weight") && e.0 == 13, "{e:?}");
        let e = check_text(&OK.replace("max_error_rate = 0.1", "max_error_rate = 2.0")).unwrap_err();
        assert!(e.1.contains("guardrails.max_error_rate"), "{e:?}");
        let e = check_text(&OK.replace("version = 2", "version = 0")).unwrap_err();
        assert!(e.1.contains("] version") && e.0 == 3, "{e:?}");
        let e = check_text(&OK.replace("version = 2", "status = \"on\"")).unwrap_err();
        assert!(e.1.contains("status") && e.1.contains("running, paused or stopped"), "{e:?}");
        let e = check_text(&OK.replace("version = 2", "webhook = \"https://x\"")).unwrap_err();
        assert!(e.1.contains("webhook"), "{e:?}");
        let e = check_text(&OK.replace("start = 2026-12-01T00:00:00Z", "start = 2026-12-01")).unwrap_err();
        assert!(e.1.contains("start"), "{e:?}");
        let e = check_text(&OK.replace("[experiments.detector-ab]", "[experiments.Detector]").replace("experiments.detector-ab.", "experiments.Detector.")).unwrap_err();
        assert!(e.1.contains("lower-case"), "{e:?}");
        let one_arm = OK.split("[[experiments.detector-ab.arms]]\nname = \"treatment\"").next().unwrap();
        let e = check_text(one_arm).unwrap_err();
        assert!(e.1.contains("at least two arms"), "{e:?}");
        let e = check_text(&OK.replace("plugin = ", "plugn = ")).unwrap_err();
        assert!(e.1.contains("plugn"), "{e:?}");
    }

    #[test]
    fn only_one_experiment_runs_at_a_time() {
        let two = format!("{OK}\n{}", OK.replace("detector-ab", "other"));
        let e = check_text(&two).unwrap_err();
        assert!(e.1.contains("only one experiment"), "{e:?}");
        let paused = format!("{OK}\n{}", OK.replace("detector-ab", "other").replace("version = 2", "status = \"paused\""));
        assert_eq!(check_text(&paused).unwrap().len(), 2);
    }
}
