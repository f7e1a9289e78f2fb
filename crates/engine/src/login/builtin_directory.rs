//! The built-in database as a [`PasswordDirectory`]: the stored user's own
//! argon2id (or imported) hash. Creating, changing and deleting need
//! nothing outside the stored record.

use crate::Engine;
use crate::error::Result;
use crate::login::directory::{Attempt, NewAccount, PasswordDirectory, Verification};
use async_trait::async_trait;
use model::User;

/// The `auth0` strategy's own user store.
#[derive(Debug, Clone, Copy)]
pub struct BuiltInDatabase;

#[async_trait]
impl PasswordDirectory for BuiltInDatabase {
    async fn verify(&self, engine: &Engine, attempt: &Attempt<'_>) -> Result<Verification> {
        // Without a stored user a dummy hash is verified: the same work.
        let stored_hash = attempt
            .stored
            .and_then(|user| user.password_hash.as_deref());
        let matches = engine
            .passwords
            .verify_for(Some(attempt.ip_key), attempt.password, stored_hash)
            .await?;
        Ok(match attempt.stored {
            Some(user) if matches => Verification::Stored(Box::new(user.clone())),
            _ => Verification::WrongCredentials,
        })
    }

    async fn before_create(&self, _engine: &Engine, _account: &NewAccount<'_>) -> Result<bool> {
        Ok(true)
    }

    async fn apply_credential_changes(
        &self,
        _engine: &Engine,
        _user: &User,
        _new_password: Option<(&str, &str)>,
        _verify_email: bool,
    ) -> Result<bool> {
        Ok(true)
    }

    async fn before_delete(&self, _engine: &Engine, _user: &User) -> Result<()> {
        Ok(())
    }
}
