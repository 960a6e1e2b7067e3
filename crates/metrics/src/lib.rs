//! Prometheus metrics (text format at `GET /metrics`).

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    /// HTTP requests by spin.toml route, method and status.
    pub http_requests: IntCounterVec,
    /// HTTP latency by route.
    pub http_seconds: HistogramVec,
    /// Detector plugin time by model version (cache misses only).
    pub inference_seconds: HistogramVec,
    /// Result cache look-ups by result ("hit", "miss").
    pub cache: IntCounterVec,
    /// Requests refused before reaching a component, by reason.
    pub rejections: IntCounterVec,
    /// Detection jobs waiting for a slot.
    pub queue_depth: IntGauge,
    /// Audit decisions by check, verdict and outcome (checked, remembered, failed-open, failed-closed, not-auditable).
    pub audit_decisions: IntCounterVec,
    /// Audit check latency by check.
    pub audit_seconds: HistogramVec,
    /// Live plugin and model changes by target and outcome (swapped, unchanged, refused).
    pub plugin_swaps: IntCounterVec,
    /// 1 for the build of each plugin serving now (labels plugin, world, sha256).
    pub plugin_info: IntGaugeVec,
    /// Requests an experiment arm served, by experiment, arm and outcome (ok, error).
    pub experiment_requests: IntCounterVec,
    /// Latency of the requests an experiment arm served.
    pub experiment_seconds: HistogramVec,
    /// Ratings of results an experiment arm served, by experiment, arm and stars.
    pub experiment_ratings: IntCounterVec,
    /// New subjects assigned, by experiment and arm (`allocator-failed` when the allocator failed).
    pub experiment_assignments: IntCounterVec,
}

const LATENCY_BUCKETS: &[f64] = &[0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0];

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("glint".into()), None).expect("valid prefix");
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("registered once");
            c
        };
        let histogram = |name: &str, help: &str, labels: &[&str]| {
            let h = HistogramVec::new(HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()), labels)
                .expect("valid metric");
            registry.register(Box::new(h.clone())).expect("registered once");
            h
        };
        Metrics {
            http_requests: counter("http_requests_total", "HTTP requests by route, method and status", &["route", "method", "status"]),
            http_seconds: histogram("http_request_duration_seconds", "HTTP request latency by route", &["route"]),
            inference_seconds: histogram("inference_duration_seconds", "Detector plugin latency by model version", &["model"]),
            cache: counter("cache_requests_total", "Result cache look-ups", &["result"]),
            rejections: counter("rejections_total", "Requests refused before a component ran, by reason", &["reason"]),
            audit_decisions: counter(
                "audit_decisions_total",
                "Audit decisions by check, verdict and outcome",
                &["check", "verdict", "outcome"],
            ),
            audit_seconds: histogram("audit_duration_seconds", "Audit check latency by check", &["check"]),
            plugin_swaps: counter("plugin_swaps_total", "Live plugin and model changes by target and outcome", &["plugin", "outcome"]),
            experiment_requests: counter(
                "experiment_requests_total",
                "Requests an experiment arm served, by experiment, arm and outcome",
                &["experiment", "arm", "outcome"],
            ),
            experiment_seconds: histogram(
                "experiment_request_duration_seconds",
                "Latency of the requests an experiment arm served",
                &["experiment", "arm"],
            ),
            experiment_ratings: counter(
                "experiment_ratings_total",
                "Ratings of results an experiment arm served, by stars",
                &["experiment", "arm", "rating"],
            ),
            experiment_assignments: counter(
                "experiment_assignments_total",
                "Subjects newly assigned to an experiment arm",
                &["experiment", "arm"],
            ),
            plugin_info: {
                let g = IntGaugeVec::new(Opts::new("plugin_info", "The plugin builds serving now (1 each)"), &["plugin", "world", "sha256"])
                    .expect("valid metric");
                registry.register(Box::new(g.clone())).expect("registered once");
                g
            },
            queue_depth: {
                let g = IntGauge::new("queue_depth", "Detection jobs waiting for a slot").expect("valid metric");
                registry.register(Box::new(g.clone())).expect("registered once");
                g
            },
            registry,
        }
    }

    /// Marks `sha256` as the build of `plugin` serving now (and no other).
    pub fn set_serving(&self, plugin: &str, world: &str, sha256: &str, previous: Option<(&str, &str)>) {
        if let Some((world, sha)) = previous {
            let _ = self.plugin_info.remove_label_values(&[plugin, world, sha]);
        }
        self.plugin_info.with_label_values(&[plugin, world, sha256]).set(1);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding");
        String::from_utf8(out).expect("UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
