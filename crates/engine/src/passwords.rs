//! Password hashing off the async runtime.
//!
//! Each argon2id hash holds `m_cost` KiB and a core for tens of
//! milliseconds, so hashing runs on the blocking pool behind a semaphore: a
//! login flood queues instead of exhausting memory or starving the runtime.

use crate::error::{EngineError, Result};
use crypto::{PasswordHasher, PasswordParams};
use std::sync::Arc;
use tokio::sync::Semaphore;

pub struct PasswordService {
    hasher: Arc<PasswordHasher>,
    permits: Semaphore,
}

impl PasswordService {
    pub fn new(params: PasswordParams, max_concurrent: usize) -> Result<Self> {
        Ok(Self {
            hasher: Arc::new(PasswordHasher::new(params)?),
            permits: Semaphore::new(max_concurrent.max(1)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| EngineError::Conflict)?;
        let hasher = self.hasher.clone();
        tokio::task::spawn_blocking(move || work(&hasher))
            .await
            .map_err(|_| EngineError::Conflict)
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_owned();
        Ok(self.run(move |hasher| hasher.hash(&password)).await??)
    }

    /// Checks `password` against a stored hash; with no hash (unknown user)
    /// spends the same time and answers false, so timing reveals nothing.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool> {
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        self.run(move |hasher| match stored {
            Some(phc) => hasher.verify(&password, &phc).unwrap_or(false),
            None => hasher.verify_dummy(&password),
        })
        .await
    }

    /// True when a stored hash uses other parameters than the configured ones.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        self.hasher.needs_rehash(stored)
    }
}
