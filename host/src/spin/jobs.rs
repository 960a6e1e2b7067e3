//! Detection jobs: a bounded queue in front of a fixed number of inference
//! slots. Synchronous requests take a slot too, so `concurrency` bounds all
//! inference. Finished jobs are kept for `keep`, then forgotten.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::history::{self, Owner};
use crate::app::Glint;
use crate::audit::Decision;
use crate::detection::{DetectInput, RunResult};
use crate::error::{ErrorKind, GlintError};
use crate::store::{AuditContext, Store, random_id};

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
    Done(RunResult),
    Failed(GlintError),
}

enum State {
    Queued,
    Running,
    Done(RunResult),
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
    slots: Arc<Semaphore>,
    table: Mutex<(HashMap<String, Job>, u64)>,
    settings: JobSettings,
}

/// The queue is full; retry after this many seconds.
#[derive(Debug)]
pub struct Busy(pub u64);

impl Jobs {
    pub fn new(glint: Arc<Glint>, store: Store, settings: JobSettings) -> Arc<Jobs> {
        Arc::new(Jobs {
            glint,
            store,
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            table: Mutex::new((HashMap::new(), 0)),
            settings,
        })
    }

    /// Runs a detection now, waiting for a free slot; a signed-in owner's
    /// result is recorded in its history.
    pub async fn run_now(
        &self,
        input: DetectInput,
        owner: Option<Owner>,
        audit: AuditContext,
    ) -> Result<RunResult, GlintError> {
        let slot = self.slots.acquire().await.expect("never closed");
        let prompt = input.prompt.clone();
        let image = owner.as_ref().map(|_| input.image.clone());
        let (ran, decisions) = run_blocking(self.glint.clone(), &self.store, input, &audit).await;
        drop(slot);
        let mut r = ran?;
        if let (Some(owner), Some(image)) = (&owner, image) {
            history::record(&self.store, owner, &prompt, &image, &decisions, &mut r).await;
        }
        Ok(r)
    }

    /// Queues a detection; its id, or `Busy` when the queue is full.
    pub fn submit(
        self: &Arc<Self>,
        input: DetectInput,
        owner: Option<Owner>,
        audit: AuditContext,
    ) -> Result<String, Busy> {
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
            let slot = this.slots.clone().acquire_owned().await.expect("never closed");
            this.set(&job_id, State::Running);
            let prompt = input.prompt.clone();
            let image = owner.as_ref().map(|_| input.image.clone());
            let (ran, decisions) = run_blocking(this.glint.clone(), &this.store, input, &audit).await;
            drop(slot);
            let ran = match (ran, &owner, image) {
                (Ok(mut r), Some(owner), Some(image)) => {
                    history::record(&this.store, owner, &prompt, &image, &decisions, &mut r).await;
                    Ok(r)
                }
                (ran, _, _) => ran,
            };
            let state = match ran {
                Ok(r) => State::Done(r),
                Err(e) => State::Failed(e),
            };
            this.set(&job_id, state);
        });
        Ok(id)
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

/// Runs the detection off the async threads and logs its audit decisions
/// (returned too, for the result's record). A failure to write the log is
/// logged, not passed on: the decisions were applied either way.
async fn run_blocking(
    glint: Arc<Glint>,
    store: &Store,
    input: DetectInput,
    audit: &AuditContext,
) -> (Result<RunResult, GlintError>, Vec<Decision>) {
    let (result, decisions) = tokio::task::spawn_blocking(move || glint.run_audited(&input)).await.unwrap_or_else(|e| {
        (Err(GlintError::new(ErrorKind::Plugin, format!("the detection task failed: {e}"))), Vec::new())
    });
    if let Err(e) = store.log_audit(audit, &decisions).await {
        tracing::error!("writing {} audit decisions failed: {e}", decisions.len());
    }
    (result, decisions)
}
