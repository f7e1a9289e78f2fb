//! Password hashing off the async runtime.
//!
//! Each argon2id hash holds `m_cost` KiB and a core for tens of
//! milliseconds. Hashing therefore runs on a small pool of dedicated threads
//! (`max_concurrent` of them) fed by a queue: a login flood waits in line
//! instead of starving the runtime, and memory stays bounded — with the
//! general blocking pool, each of its many threads kept its own allocator
//! arena holding a freed 19 MiB block, and peak memory grew to hundreds of MiB.

use crate::error::{EngineError, Result};
use crypto::{HashWorkspace, PasswordHasher, PasswordParams};
use std::sync::{Arc, Mutex, mpsc};

type Job = Box<dyn FnOnce(&PasswordHasher, &mut HashWorkspace) + Send + 'static>;

pub struct PasswordService {
    hasher: Arc<PasswordHasher>,
    jobs: mpsc::Sender<Job>,
}

impl PasswordService {
    pub fn new(params: PasswordParams, max_concurrent: usize) -> Result<Self> {
        let hasher = Arc::new(PasswordHasher::new(params)?);
        let (sender, receiver) = mpsc::channel::<Job>();
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
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHasher, &mut HashWorkspace) -> T + Send + 'static,
    ) -> Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |hasher, workspace| {
            let _ = done.send(work(hasher, workspace));
        });
        self.jobs.send(job).map_err(|_| EngineError::Conflict)?;
        result.await.map_err(|_| EngineError::Conflict)
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_owned();
        Ok(self
            .run(move |hasher, workspace| hasher.hash_with(workspace, &password))
            .await??)
    }

    /// Checks `password` against a stored hash; with no hash (unknown user)
    /// spends the same time and answers false, so timing reveals nothing.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool> {
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        self.run(move |hasher, workspace| match stored {
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
}
