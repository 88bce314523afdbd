//! In-process turn-taking per repository, and batching of queued transactions so
//! that many writers in one process cost few pushes.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::remote::Remote;
use super::transaction::{CommitOutcome, Transaction};
use super::GitError;

/// Most transactions pushed together by one leader.
pub(crate) const MAX_BATCH: usize = 64;

/// One repository's queue: who holds the turn, and the transactions waiting.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    busy: bool,
    pending: VecDeque<Arc<Job>>,
}

/// A queued transaction and, once a leader ran it, its result.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) remote: Remote,
    pub(crate) transaction: Transaction,
    result: Mutex<Option<Result<CommitOutcome, GitError>>>,
}

/// The turn on a [`Queue`]; the next waiter goes when it is dropped.
pub(crate) struct Turn {
    queue: Arc<Queue>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.queue.lock_state().busy = false;
        self.queue.changed.notify_all();
    }
}

impl Job {
    pub(crate) fn new(remote: Remote, transaction: Transaction) -> Self {
        Self {
            remote,
            transaction,
            result: Mutex::new(None),
        }
    }

    fn take_result(&self) -> Option<Result<CommitOutcome, GitError>> {
        self.result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn set_result(&self, result: Result<CommitOutcome, GitError>) {
        *self.result.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
    }
}

impl Queue {
    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until no one else uses the repository in this process.
    pub(crate) fn wait_turn(self: &Arc<Self>) -> Turn {
        let mut state = self.lock_state();
        while state.busy {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.busy = true;
        Turn {
            queue: Arc::clone(self),
        }
    }

    /// Queues `job` and returns its result. When the repository is free, this
    /// thread leads: it takes the queued jobs for the same remote (its own first
    /// among them, in arrival order) and hands them to `run`, which returns one
    /// result per job; otherwise it waits for a leader to run its job.
    pub(crate) fn submit<F>(
        self: &Arc<Self>,
        job: Job,
        mut run: F,
    ) -> Result<CommitOutcome, GitError>
    where
        F: FnMut(&[Arc<Job>]) -> Vec<Result<CommitOutcome, GitError>>,
    {
        let job = Arc::new(job);
        let mut state = self.lock_state();
        state.pending.push_back(Arc::clone(&job));
        loop {
            if let Some(result) = job.take_result() {
                return result;
            }
            if state.busy {
                state = self
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.busy = true;
            let mut batch = Vec::new();
            let mut rest = VecDeque::new();
            for queued in state.pending.drain(..) {
                if batch.len() < MAX_BATCH && queued.remote == job.remote {
                    batch.push(queued);
                } else {
                    rest.push_back(queued);
                }
            }
            state.pending = rest;
            drop(state);
            let turn = Turn {
                queue: Arc::clone(self),
            };
            let results = run(&batch);
            for (queued, result) in batch.iter().zip(results) {
                queued.set_result(result);
            }
            drop(turn);
            state = self.lock_state();
        }
    }
}
