//! Password hashing off the async runtime.
//!
//! Each argon2id hash holds `m_cost` KiB and a core for tens of
//! milliseconds. Hashing therefore runs on a small pool of dedicated threads
//! (`max_concurrent` of them) fed by a queue: a login flood waits in line
//! instead of starving the runtime, and memory stays bounded — with the
//! general blocking pool, each of its many threads kept its own allocator
//! arena holding a freed 19 MiB block, and peak memory grew to hundreds of MiB.
//!
//! The queue is bounded (`queue_length` waiting jobs): a flood beyond what
//! the cores can hash is refused at once with [`EngineError::Overloaded`]
//! instead of piling up requests, sockets and seconds of waiting. A job
//! whose caller has gone (the client disconnected and its request future was
//! dropped) is skipped when its turn comes, so abandoned work costs nothing.
//! One client address may hold at most half of the pool's places (queued
//! or running), so a flood from one address leaves room for everyone else
//! until the IP throttle stops it. Half, not less: clients behind a proxy
//! that is not configured as trusted share one address, and still keep
//! every hashing thread busy.

use crate::error::{EngineError, Result};
use crypto::{HashWorkspace, PasswordHasher, PasswordParams};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// How long a refused caller is told to wait (`Retry-After`), seconds: the
/// queue drains in well under that at any sane hashing cost.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// A queued hash; it does nothing when its caller has gone.
type Job = Box<dyn FnOnce(&PasswordHasher, &mut HashWorkspace) + Send + 'static>;

pub struct PasswordService {
    hasher: Arc<PasswordHasher>,
    jobs: mpsc::SyncSender<Job>,
    /// Jobs skipped because their caller had gone, and jobs run (for tests
    /// and metrics).
    skipped: Arc<AtomicU64>,
    run: Arc<AtomicU64>,
    /// Places (queued or running) held per client address.
    shares: Arc<Mutex<HashMap<String, usize>>>,
    per_client: usize,
}

/// One place held by a client address; given back when dropped (the hash
/// answered, or its caller gone).
struct Share {
    shares: Arc<Mutex<HashMap<String, usize>>>,
    client: String,
}

impl Drop for Share {
    fn drop(&mut self) {
        if let Ok(mut shares) = self.shares.lock()
            && let Some(held) = shares.get_mut(&self.client)
        {
            *held -= 1;
            if *held == 0 {
                shares.remove(&self.client);
            }
        }
    }
}

impl PasswordService {
    /// `max_concurrent` hashing threads, and at most `queue_length` jobs
    /// waiting for one of them.
    pub fn new(params: PasswordParams, max_concurrent: usize, queue_length: usize) -> Result<Self> {
        let hasher = Arc::new(PasswordHasher::new(params)?);
        let (sender, receiver) = mpsc::sync_channel::<Job>(queue_length);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..max_concurrent.max(1) {
            let receiver = receiver.clone();
            let hasher = hasher.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || {
                    // Each thread reuses one argon2 working memory for all
                    // its hashes, so memory stays at threads × m_cost.
                    let mut workspace = hasher.workspace();
                    loop {
                        // The lock is held only while taking the next job.
                        let job = match receiver.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&hasher, &mut workspace),
                            Err(_) => return, // the service was dropped
                        }
                    }
                })
                .map_err(|_| EngineError::Conflict)?;
        }
        Ok(Self {
            hasher,
            jobs: sender,
            skipped: Arc::default(),
            run: Arc::default(),
            shares: Arc::default(),
            per_client: ((queue_length + max_concurrent.max(1)) / 2).max(1),
        })
    }

    /// Takes one of `client`'s places, or refuses when it holds its share.
    fn take_share(&self, client: &str) -> Result<Share> {
        let mut shares = self.shares.lock().map_err(|_| EngineError::Conflict)?;
        let held = shares.entry(client.to_owned()).or_insert(0);
        if *held >= self.per_client {
            return Err(EngineError::Overloaded {
                retry_after: RETRY_AFTER_SECONDS,
            });
        }
        *held += 1;
        Ok(Share {
            shares: self.shares.clone(),
            client: client.to_owned(),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        client: Option<&str>,
        work: impl FnOnce(&PasswordHasher, &mut HashWorkspace) -> T + Send + 'static,
    ) -> Result<T> {
        let _share = client.map(|client| self.take_share(client)).transpose()?;
        let (done, result) = tokio::sync::oneshot::channel();
        let (skipped, run) = (self.skipped.clone(), self.run.clone());
        let job: Job = Box::new(move |hasher, workspace| {
            // The receiver is dropped with the request's future: nobody
            // would read this hash.
            if done.is_closed() {
                skipped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            run.fetch_add(1, Ordering::Relaxed);
            let _ = done.send(work(hasher, workspace));
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(_)) => {
                return Err(EngineError::Overloaded {
                    retry_after: RETRY_AFTER_SECONDS,
                });
            }
            Err(mpsc::TrySendError::Disconnected(_)) => return Err(EngineError::Conflict),
        }
        result.await.map_err(|_| EngineError::Conflict)
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String> {
        self.hash_for(None, password).await
    }

    /// [`Self::hash`] for a request from `client` (its address), which may
    /// hold only its share of the pool.
    pub async fn hash_for(&self, client: Option<&str>, password: &str) -> Result<String> {
        let password = password.to_owned();
        Ok(self
            .run(client, move |hasher, workspace| {
                hasher.hash_with(workspace, &password)
            })
            .await??)
    }

    /// Checks `password` against a stored hash; with no hash (unknown user)
    /// spends the same time and answers false, so timing reveals nothing.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool> {
        self.verify_for(None, password, stored).await
    }

    /// [`Self::verify`] for a request from `client` (its address), which
    /// may hold only its share of the pool.
    pub async fn verify_for(
        &self,
        client: Option<&str>,
        password: &str,
        stored: Option<&str>,
    ) -> Result<bool> {
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        self.run(client, move |hasher, workspace| match stored {
            Some(phc) => hasher
                .verify_with(workspace, &password, &phc)
                .unwrap_or(false),
            None => hasher.verify_dummy_with(workspace, &password),
        })
        .await
    }

    /// True when a stored hash uses other parameters than the configured ones.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        self.hasher.needs_rehash(stored)
    }

    /// How many queued hashes were skipped because their caller had gone.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// How many hashes (and verifications) have run.
    pub fn hashes_run(&self) -> u64 {
        self.run.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn service(queue_length: usize) -> PasswordService {
        let params = PasswordParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        };
        PasswordService::new(params, 1, queue_length).unwrap()
    }

    /// Occupies the only hashing thread until the returned sender is dropped
    /// or sent to.
    async fn hold_the_thread(service: &PasswordService) -> std::sync::mpsc::Sender<()> {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, is_started) = tokio::sync::oneshot::channel();
        let (done, _) = tokio::sync::oneshot::channel::<()>();
        let job: Job = Box::new(move |_, _| {
            let _ = started.send(());
            let _ = wait.recv();
            drop(done);
        });
        service.jobs.try_send(job).unwrap();
        is_started.await.unwrap();
        release
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once() {
        let service = Arc::new(service(1));
        let release = hold_the_thread(&service).await;
        let waiting = tokio::spawn({
            let service = service.clone();
            async move { service.hash("queued").await }
        });
        // Let the spawned task queue its job: the queue is then full.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let refused = tokio::time::timeout(Duration::from_secs(1), service.hash("refused")).await;
        assert!(matches!(
            refused,
            Ok(Err(EngineError::Overloaded { retry_after: 1 }))
        ));
        drop(release);
        let _ = waiting.await.unwrap();
    }

    #[tokio::test]
    async fn one_client_holds_at_most_its_share() {
        // 1 thread + 3 waiting places: 2 per client.
        let service = Arc::new(service(3));
        let release = hold_the_thread(&service).await;
        let mut waiting = Vec::new();
        for _ in 0..2 {
            let service = service.clone();
            waiting.push(tokio::spawn(async move {
                service.verify_for(Some("192.0.2.1"), "guess", None).await
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(matches!(
            service.verify_for(Some("192.0.2.1"), "guess", None).await,
            Err(EngineError::Overloaded { .. })
        ));
        let other = tokio::spawn({
            let service = service.clone();
            async move { service.verify_for(Some("192.0.2.2"), "guess", None).await }
        });
        drop(release);
        for task in waiting {
            assert!(task.await.unwrap().is_ok());
        }
        assert!(other.await.unwrap().is_ok());
        // Its places are given back.
        assert!(
            service
                .verify_for(Some("192.0.2.1"), "guess", None)
                .await
                .is_ok()
        );
        assert!(service.shares.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_hash_whose_caller_left_is_skipped() {
        let service = Arc::new(service(4));
        let release = hold_the_thread(&service).await;
        let abandoned = tokio::spawn({
            let service = service.clone();
            async move { service.verify("guess", None).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        abandoned.abort();
        let _ = abandoned.await;
        drop(release);
        // A later job runs after the skipped one.
        assert!(service.hash("next").await.is_ok());
        assert_eq!(service.skipped(), 1);
        assert_eq!(service.hashes_run(), 1);
    }
}
