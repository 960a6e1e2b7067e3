//! Detection jobs: a bounded queue in front of a fixed number of inference
//! slots. Synchronous requests take a slot too, so `concurrency` bounds all
//! inference. Finished jobs are kept for `keep`, then forgotten. After the
//! pipeline, the record stage: the audit log, the history, the experiment event.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::history::{self, Owner};
use glint_app::Glint;
use glint_app::detection::{DetectInput, RunResult};
use glint_common::error::{ErrorKind, GlintError};
use glint_experiments::allocate::RequestAllocator;
use glint_experiments::{Experiments, Subject};
use glint_app::pipeline::Ran;
use glint_store::{AuditContext, Store, random_id};

/// `[application.tool.glint.jobs]` settings.
#[derive(Clone, Copy, Debug)]
pub struct JobSettings {
    /// Jobs waiting at most; more are refused (503).
    pub queue: usize,
    /// Detections running at once (sync and queued).
    pub concurrency: usize,
    /// How long a finished job's result stays readable.
    pub keep: Duration,
}

#[derive(Clone, Debug)]
pub enum JobState {
    Queued { position: usize },
    Running,
    Done(Box<RunResult>),
    Failed(GlintError),
}

enum State {
    Queued,
    Running,
    Done(Box<RunResult>),
    Failed(GlintError),
}

struct Job {
    seq: u64,
    /// The account that queued it: only it (and admins) may read the job.
    owner: Option<String>,
    state: State,
    finished: Option<Instant>,
}

pub struct Jobs {
    glint: Arc<Glint>,
    store: Store,
    experiments: Arc<Experiments>,
    slots: Arc<Semaphore>,
    table: Mutex<(HashMap<String, Job>, u64)>,
    settings: JobSettings,
}

/// The queue is full; retry after this many seconds.
#[derive(Debug)]
pub struct Busy(pub u64);

impl Jobs {
    pub fn new(glint: Arc<Glint>, store: Store, experiments: Arc<Experiments>, settings: JobSettings) -> Arc<Jobs> {
        Arc::new(Jobs {
            glint,
            store,
            experiments,
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            table: Mutex::new((HashMap::new(), 0)),
            settings,
        })
    }

    /// Runs a detection now, waiting for a free slot; a signed-in owner's
    /// result is recorded in its history.
    pub async fn run_now(&self, input: DetectInput, request: Requester) -> Result<RunResult, GlintError> {
        let slot = self.slots.acquire().await.expect("never closed");
        self.execute(input, request, slot).await
    }

    /// The pipeline on a blocking thread, then the record stage: the audit
    /// log, the owner's history, the experiment event. Failures to record are
    /// logged, not passed on: the detection's answer stands either way.
    async fn execute(&self, input: DetectInput, request: Requester, slot: tokio::sync::SemaphorePermit<'_>) -> Result<RunResult, GlintError> {
        let Requester { owner, mut audit, subject } = request;
        let prompt = input.prompt.clone();
        let image = owner.as_ref().map(|_| input.image.clone());
        let started = Instant::now();
        let allocator = subject.map(|subject| RequestAllocator {
            experiments: self.experiments.clone(),
            subject,
            runtime: tokio::runtime::Handle::current(),
        });
        let glint = self.glint.clone();
        let ran = tokio::task::spawn_blocking(move || glint.run_allocated(&input, allocator.as_ref().map(|a| a as _)))
            .await
            .unwrap_or_else(|e| Ran {
                result: Err(GlintError::new(ErrorKind::Plugin, format!("the detection task failed: {e}"))),
                decisions: Vec::new(),
                arm: None,
            });
        drop(slot);
        let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
        let Ran { result, decisions, arm } = ran;
        audit.experiment = arm.as_ref().map(|a| a.label()).unwrap_or_default();
        if let Err(e) = self.store.log_audit(&audit, &decisions).await {
            tracing::error!("writing {} audit decisions failed: {e}", decisions.len());
        }
        let mut result = result;
        if let (Ok(r), Some(owner), Some(image)) = (&mut result, &owner, image) {
            history::record(&self.store, owner, &prompt, &image, &decisions, r).await;
        }
        // A blocked request was the content's fault, not the arm's: it is not counted.
        let counted = !matches!(&result, Err(e) if matches!(e.kind, ErrorKind::Blocked | ErrorKind::InvalidInput | ErrorKind::TooLarge));
        if let (Some(arm), true) = (&arm, counted) {
            let result_id = result.as_ref().ok().and_then(|r| r.result_id.clone());
            self.experiments.record(arm, result.is_ok(), elapsed_ms, result_id.as_deref()).await;
        }
        result
    }

    /// Queues a detection; its id, or `Busy` when the queue is full.
    pub fn submit(self: &Arc<Self>, input: DetectInput, request: Requester) -> Result<String, Busy> {
        let owner = request.owner.clone();
        let id = random_id(); // 128 random bits: job ids are not guessable
        {
            let mut guard = self.table.lock().unwrap_or_else(|p| p.into_inner());
            let (jobs, next) = &mut *guard;
            let keep = self.settings.keep;
            jobs.retain(|_, j| j.finished.is_none_or(|t| t.elapsed() < keep));
            let queued = jobs.values().filter(|j| matches!(j.state, State::Queued)).count();
            if queued >= self.settings.queue {
                self.glint.metrics.rejections.with_label_values(&["queue_full"]).inc();
                return Err(Busy(5));
            }
            *next += 1;
            let owner_name = owner.as_ref().map(|o| o.user.clone());
            jobs.insert(id.clone(), Job { seq: *next, owner: owner_name, state: State::Queued, finished: None });
            self.glint.metrics.queue_depth.set(queued as i64 + 1);
        }
        let this = self.clone();
        let job_id = id.clone();
        tokio::spawn(async move {
            let slot = this.slots.acquire().await.expect("never closed");
            this.set(&job_id, State::Running);
            let state = match this.execute(input, request, slot).await {
                Ok(r) => State::Done(Box::new(r)),
                Err(e) => State::Failed(e),
            };
            this.set(&job_id, state);
        });
        Ok(id)
    }

    /// Waits, up to `deadline`, until no job is queued or running; how many still are.
    pub async fn drain(&self, deadline: Duration) -> usize {
        let started = Instant::now();
        loop {
            let pending = {
                let guard = self.table.lock().unwrap_or_else(|p| p.into_inner());
                guard.0.values().filter(|j| matches!(j.state, State::Queued | State::Running)).count()
            };
            if pending == 0 || started.elapsed() >= deadline {
                return pending;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn set(&self, id: &str, state: State) {
        let mut guard = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let (jobs, _) = &mut *guard;
        if let Some(job) = jobs.get_mut(id) {
            if matches!(state, State::Done(_) | State::Failed(_)) {
                job.finished = Some(Instant::now());
            }
            job.state = state;
        }
        let queued = jobs.values().filter(|j| matches!(j.state, State::Queued)).count();
        self.glint.metrics.queue_depth.set(queued as i64);
    }

    /// The state of job `id`, if it is known and `reader` may see it: jobs
    /// of an account are visible to it and to admins, guests' jobs to whoever
    /// holds the (unguessable) id.
    pub fn status(&self, id: &str, reader: Option<&str>, admin: bool) -> Option<JobState> {
        let guard = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let (jobs, _) = &*guard;
        let job = jobs.get(id)?;
        if job.owner.is_some() && job.owner.as_deref() != reader && !admin {
            return None;
        }
        Some(match &job.state {
            State::Queued => JobState::Queued {
                position: 1 + jobs.values().filter(|j| matches!(j.state, State::Queued) && j.seq < job.seq).count(),
            },
            State::Running => JobState::Running,
            State::Done(r) => JobState::Done(r.clone()),
            State::Failed(e) => JobState::Failed(e.clone()),
        })
    }
}

/// Who asked for a detection: the signed-in owner whose history records it,
/// the audit log's context, and the experiment subject (none: no experiment).
pub struct Requester {
    pub owner: Option<Owner>,
    pub audit: AuditContext,
    pub subject: Option<Subject>,
}
