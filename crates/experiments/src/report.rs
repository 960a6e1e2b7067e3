//! An experiment's results: per arm, the subjects, requests, errors,
//! latency and ratings; per treatment arm, the comparison of its mean rating
//! to control's (the anytime-valid mSPRT and its confidence sequence, and
//! Welch's t-test for reference); the sample-ratio-mismatch check; and the
//! cumulative difference over time for the chart.

use std::collections::BTreeMap;

use serde::Serialize;

use super::stats::{self, Running, Summary};
use super::{ExperimentDef, Experiments, LiveState};
use glint_store::StoreResult;

/// Ratings of 4 stars or more count as "good".
const GOOD_RATING: u8 = 4;
/// Points the chart's series is thinned to.
const SERIES_POINTS: usize = 120;
/// The sample-ratio check flags a split at this p-value or below.
pub const SRM_P: f64 = 0.001;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub definition: ExperimentDef,
    pub state: LiveState,
    pub arms: Vec<ArmReport>,
    pub srm: Option<SampleRatio>,
    /// Whether every arm has the minimum subjects and ratings.
    pub enough_data: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ArmReport {
    pub name: String,
    pub model: String,
    pub plugin: Option<String>,
    pub weight: u32,
    pub subjects: u64,
    pub requests: u64,
    pub errors: u64,
    pub error_rate: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub ratings: Ratings,
    /// For arms other than the control.
    pub vs_control: Option<Comparison>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Ratings {
    pub count: u64,
    pub mean: Option<f64>,
    /// The 95% interval of the mean: [low, high].
    pub ci95: Option<[f64; 2]>,
    /// Share of ratings of 4 stars or more.
    pub good_share: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// `better`, `worse`, `no significant difference` or `not enough data`.
    pub verdict: &'static str,
    /// Mean rating minus control's.
    pub difference: Option<f64>,
    /// The anytime-valid confidence sequence of the difference at 1 − alpha.
    pub confidence_sequence: Option<[f64; 2]>,
    /// The always-valid p-value (the running minimum of 1 / Λ over every look).
    pub msprt_p: Option<f64>,
    /// Welch's t-test, valid only for one look at a sample size fixed in advance.
    pub t_test: Option<TTest>,
    /// The cumulative difference after each rating (thinned), for the chart.
    pub series: Vec<SeriesPoint>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TTest {
    pub t: f64,
    pub df: f64,
    pub p: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SeriesPoint {
    pub time_ms: i64,
    pub difference: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SampleRatio {
    pub chi_squared: f64,
    pub p: f64,
    /// p < 0.001: the split is not what the weights say; do not trust the results.
    pub flagged: bool,
    /// Subjects per arm assigned since the weights last changed.
    pub observed: Vec<u64>,
    pub expected_share: Vec<f64>,
}

impl Experiments {
    /// The report of experiment `name`; `None` if there is no such experiment.
    pub async fn report(&self, name: &str) -> StoreResult<Option<Report>> {
        let (Some(def), Some(state)) = (self.def(name), self.state(name)) else { return Ok(None) };
        let subjects: BTreeMap<String, u64> = self.store.experiment_subjects(name, def.version, 0).await?.into_iter().collect();
        let since: BTreeMap<String, u64> =
            self.store.experiment_subjects(name, def.version, state.weights_since_ms).await?.into_iter().collect();
        let events = self.store.experiment_events(name, def.version).await?;
        let ratings = self.store.experiment_ratings(name, def.version).await?;
        Ok(Some(build(def, &state, &subjects, &since, &events, &ratings)))
    }
}

/// The report from what the store holds.
pub fn build(
    def: &ExperimentDef,
    state: &LiveState,
    subjects: &BTreeMap<String, u64>,
    subjects_since_weights: &BTreeMap<String, u64>,
    events: &[glint_store::ExperimentEvent],
    ratings: &[glint_store::ExperimentRating],
) -> Report {
    let index: BTreeMap<&str, usize> = def.arms.iter().enumerate().map(|(i, a)| (a.name.as_str(), i)).collect();
    let n = def.arms.len();
    let (mut requests, mut errors, mut latencies) = (vec![0u64; n], vec![0u64; n], vec![Vec::new(); n]);
    for e in events {
        let Some(&i) = index.get(e.arm.as_str()) else { continue };
        requests[i] += 1;
        errors[i] += u64::from(!e.ok);
        latencies[i].push(e.latency_us as f64 / 1e3);
    }
    latencies.iter_mut().for_each(|l| l.sort_by(f64::total_cmp));
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); n];
    for r in ratings {
        if let Some(&i) = index.get(r.arm.as_str()) {
            values[i].push(f64::from(r.rating));
        }
    }
    let subject_counts: Vec<u64> = def.arms.iter().map(|a| subjects.get(&a.name).copied().unwrap_or(0)).collect();
    let enough_data = (0..n).all(|i| {
        state.weights[i] == 0 || (subject_counts[i] >= def.min_subjects && values[i].len() as u64 >= def.min_ratings)
    });
    let arms = def
        .arms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let summary = Summary::of(&values[i]);
            let good = values[i].iter().filter(|&&v| v >= f64::from(GOOD_RATING)).count();
            let ci = summary.ci95();
            ArmReport {
                name: a.name.clone(),
                model: a.model.clone(),
                plugin: a.plugin.clone(),
                weight: state.weights[i],
                subjects: subject_counts[i],
                requests: requests[i],
                errors: errors[i],
                error_rate: (requests[i] > 0).then(|| errors[i] as f64 / requests[i] as f64),
                latency_p50_ms: stats::quantile(&latencies[i], 0.5),
                latency_p95_ms: stats::quantile(&latencies[i], 0.95),
                ratings: Ratings {
                    count: summary.n,
                    mean: (summary.n > 0).then_some(summary.mean),
                    ci95: ci.is_finite().then_some([summary.mean - ci, summary.mean + ci]),
                    good_share: (summary.n > 0).then(|| good as f64 / summary.n as f64),
                },
                vs_control: (i > 0).then(|| compare(def, ratings, i, enough_data)),
            }
        })
        .collect();
    // The split is judged on the subjects assigned under the weights in force.
    let split: Vec<u64> = def.arms.iter().map(|a| subjects_since_weights.get(&a.name).copied().unwrap_or(0)).collect();
    let expected_ok = {
        let total: u64 = split.iter().sum();
        let wsum: f64 = state.weights.iter().map(|&w| f64::from(w)).sum();
        wsum > 0.0 && state.weights.iter().all(|&w| w == 0 || total as f64 * f64::from(w) / wsum >= 5.0)
    };
    let srm = stats::sample_ratio(&split, &state.weights).filter(|_| expected_ok).map(|(chi2, p)| {
        let wsum: f64 = state.weights.iter().map(|&w| f64::from(w)).sum();
        SampleRatio {
            chi_squared: chi2,
            p,
            flagged: p < SRM_P,
            observed: split.clone(),
            expected_share: state.weights.iter().map(|&w| f64::from(w) / wsum).collect(),
        }
    });
    Report { definition: def.clone(), state: state.clone(), arms, srm, enough_data }
}

/// Arm `i` against the control, replaying the ratings in time order: each
/// rating is a look, so the always-valid p is the minimum over all of them.
fn compare(def: &ExperimentDef, ratings: &[glint_store::ExperimentRating], i: usize, enough: bool) -> Comparison {
    let (control, arm) = (&def.arms[0].name, &def.arms[i].name);
    let tau2 = def.mixture_sd * def.mixture_sd;
    let (mut a, mut b) = (Running::default(), Running::default());
    let mut min_p: Option<f64> = None;
    let mut series = Vec::new();
    let mut last = None;
    for r in ratings {
        let v = f64::from(r.rating);
        if &r.arm == control {
            a.push(v);
        } else if &r.arm == arm {
            b.push(v);
        } else {
            continue;
        }
        if let Some(s) = stats::msprt(&a.summary(), &b.summary(), tau2, def.alpha) {
            min_p = Some(min_p.map_or(s.p_value, |m: f64| m.min(s.p_value)));
            series.push(SeriesPoint { time_ms: r.time_ms, difference: s.difference, low: s.difference - s.half_width, high: s.difference + s.half_width });
            last = Some(s);
        }
    }
    if series.len() > SERIES_POINTS {
        let step = series.len() as f64 / SERIES_POINTS as f64;
        let last_point = series.last().cloned();
        series = (0..SERIES_POINTS).map(|k| series[(k as f64 * step) as usize].clone()).collect();
        series.extend(last_point);
    }
    let t_test = stats::welch(&a.summary(), &b.summary()).map(|(_, t, df, p)| TTest { t, df, p });
    let confidence_sequence = last.map(|s| [s.difference - s.half_width, s.difference + s.half_width]);
    let verdict = match confidence_sequence {
        _ if !enough => "not enough data",
        Some([low, _]) if low > 0.0 => "better",
        Some([_, high]) if high < 0.0 => "worse",
        Some(_) => "no significant difference",
        None => "not enough data",
    };
    Comparison { verdict, difference: last.map(|s| s.difference), confidence_sequence, msprt_p: min_p, t_test, series }
}
