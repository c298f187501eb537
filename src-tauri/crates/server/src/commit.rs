//! Group commit: one thread owns the store's writes of the hot paths (accepting an event,
//! recording a run). Whatever is waiting when it is free goes into one transaction with one
//! commit, each item in its own savepoint, and every caller gets its own answer once that
//! commit is done. Under load many events share one commit; alone, an event commits at once.
//!
//! What to do with an event once committed (queue it for the workers) is done here, right
//! after the commit, and not by the request handler: a client that hangs up before its answer
//! does not leave a committed event unqueued.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hookboard_store::{AcceptedEvent, NewEvent, RecordedRun, RunRecord, Store, StoreError};
use tokio::sync::oneshot;

/// Most items in one transaction (bounds the time one commit holds the writer).
const MAX_BATCH: usize = 256;

/// How long the first item of a batch waits for others to join it. Every commit writes each
/// page it touched to the WAL, so a handful of commits a millisecond costs far more than one
/// commit of them all; this bounds the added acknowledgement latency.
const GATHER: Duration = Duration::from_micros(1000);

type Reply<T> = oneshot::Sender<Result<T, String>>;

enum Job {
    Accept(NewEvent, Reply<AcceptedEvent>),
    Record(Box<RunRecord>, Reply<RecordedRun>),
}

/// Called on the committing thread for each event just committed (new or repeated).
pub type OnAccepted = Box<dyn Fn(&NewEvent, &AcceptedEvent) + Send>;

/// The sending side; the thread stops when every clone is dropped.
#[derive(Clone)]
pub struct Committer {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committer").finish_non_exhaustive()
    }
}

fn text(e: StoreError) -> String {
    e.to_string()
}

impl Committer {
    /// Starts the committing thread on `store`; `on_accepted` sees every committed event.
    pub fn start(store: Arc<Store>, on_accepted: OnAccepted) -> std::io::Result<Committer> {
        let (jobs, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("hookboard-commit".to_string())
            .spawn(move || run(&store, &on_accepted, receiver))?;
        Ok(Committer { jobs })
    }

    /// [`Store::accept_event`], committed (possibly with others) when this returns.
    pub async fn accept(&self, event: NewEvent) -> Result<AcceptedEvent, String> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Accept(event, reply))
            .map_err(|_| "the committing thread has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the committing thread has stopped".to_string())?
    }

    /// [`Store::record_run`], committed (possibly with others) when this returns.
    pub async fn record(&self, run: RunRecord) -> Result<RecordedRun, String> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Record(Box::new(run), reply))
            .map_err(|_| "the committing thread has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the committing thread has stopped".to_string())?
    }
}

/// Takes what is waiting (gathering for up to [`GATHER`]), commits it in one transaction,
/// answers; until every sender is gone.
fn run(store: &Store, on_accepted: &OnAccepted, receiver: mpsc::Receiver<Job>) {
    while let Ok(first) = receiver.recv() {
        let mut accepts = Vec::new();
        let mut records = Vec::new();
        let mut take = |job: Job| match job {
            Job::Accept(event, reply) => accepts.push((event, reply)),
            Job::Record(run, reply) => records.push((*run, reply)),
        };
        take(first);
        let mut taken = 1;
        let until = Instant::now() + GATHER;
        while taken < MAX_BATCH {
            let left = until.saturating_duration_since(Instant::now());
            match receiver.recv_timeout(left) {
                Ok(job) => {
                    take(job);
                    taken += 1;
                }
                Err(_) => break,
            }
        }
        let (events, accept_replies): (Vec<_>, Vec<_>) = accepts.into_iter().unzip();
        let (runs, record_replies): (Vec<_>, Vec<_>) = records.into_iter().unzip();
        match store.commit_batch(&events, &runs) {
            Ok((accepted, recorded)) => {
                for (event, result) in events.iter().zip(&accepted) {
                    if let Ok(outcome) = result {
                        on_accepted(event, outcome);
                    }
                }
                answer(Ok(accepted), accept_replies);
                answer(Ok(recorded), record_replies);
            }
            Err(e) => {
                let message = e.to_string();
                answer(Err(message.clone()), accept_replies);
                answer(Err(message), record_replies);
            }
        }
    }
}

/// Sends each caller its item's outcome, or the whole transaction's error.
fn answer<T>(outcome: Result<Vec<hookboard_store::Result<T>>, String>, replies: Vec<Reply<T>>) {
    match outcome {
        Ok(results) => {
            for (result, reply) in results.into_iter().zip(replies) {
                // A caller that went away (client disconnected) needs no answer.
                let _ = reply.send(result.map_err(text));
            }
        }
        Err(message) => {
            for reply in replies {
                let _ = reply.send(Err(message.clone()));
            }
        }
    }
}
