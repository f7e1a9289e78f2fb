//! `POST /api/v2/jobs/verification-email`: send a user the email that
//! verifies their address, as a job.
//!
//! The request is checked when the job is created (the user exists and has
//! an email, the client exists). Sending goes through
//! [`send_verification_email_hook`], the one place that will call
//! `engine::email::send_verification_email` once email sending is part of
//! the engine; until then the job fails with that reason rather than
//! pretending an email left.

use super::runner::{Finished, JobFailure};
use super::{pending_job, submit};
use crate::Engine;
use crate::error::{EngineError, Result};
use model::{Job, JobParams, TenantId, User};
use serde_json::Value;

/// What `POST /api/v2/jobs/verification-email` asks for.
#[derive(Debug, Clone)]
pub struct VerificationEmailRequest {
    pub user_id: String,
    pub client_id: Option<String>,
    /// `{user_id, provider}`: the identity whose email to verify.
    pub identity: Option<Value>,
}

pub async fn create_verification_email(
    engine: &Engine,
    tenant: &TenantId,
    request: VerificationEmailRequest,
) -> Result<Job> {
    let user = crate::users::get_user(engine, tenant, &request.user_id).await?;
    if user.email.is_none() {
        return Err(EngineError::invalid(
            "user_id",
            "The user has no email address to verify",
        ));
    }
    if let Some(client_id) = &request.client_id {
        crate::clients::get_client(engine, tenant, client_id).await?;
    }
    if let Some(identity) = &request.identity {
        check_identity(&user, identity)?;
    }
    let params = JobParams::VerificationEmail {
        user_id: request.user_id,
        client_id: request.client_id,
        identity: request.identity,
    };
    let job = pending_job(engine, tenant, params, None);
    submit(engine, job, None).await
}

/// `identity` must name one of the user's identities.
fn check_identity(user: &User, identity: &Value) -> Result<()> {
    let text = |field: &str| identity.get(field).and_then(Value::as_str);
    let (Some(user_id), Some(provider)) = (text("user_id"), text("provider")) else {
        return Err(EngineError::invalid(
            "identity",
            "identity must be an object with user_id and provider strings",
        ));
    };
    let known = user
        .identities
        .iter()
        .any(|own| own.user_id == user_id && own.provider == provider);
    if known {
        Ok(())
    } else {
        Err(EngineError::invalid(
            "identity",
            "identity is not one of the user's identities",
        ))
    }
}

/// Why the email could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No email provider is available to this engine.
    #[error("{0}")]
    Unavailable(&'static str),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The hook the verification-email job calls. Wire it to
/// `engine::email::send_verification_email(engine, tenant, user_id, client_id)`
/// when email sending lands; it must return only once the email was handed
/// to the provider.
pub async fn send_verification_email_hook(
    _engine: &Engine,
    _tenant: &TenantId,
    _user_id: &str,
    _client_id: Option<&str>,
) -> std::result::Result<(), SendError> {
    Err(SendError::Unavailable(
        "Verification emails cannot be sent: this server has no email provider",
    ))
}

pub(super) async fn run(engine: &Engine, job: &Job) -> std::result::Result<Finished, JobFailure> {
    let JobParams::VerificationEmail {
        user_id, client_id, ..
    } = &job.params
    else {
        return Err(JobFailure::Refused("not a verification email job".into()));
    };
    match send_verification_email_hook(engine, &job.tenant_id, user_id, client_id.as_deref()).await
    {
        Ok(()) => Ok(Finished::default()),
        Err(SendError::Unavailable(reason)) => Err(JobFailure::Refused(reason.to_owned())),
        Err(SendError::Engine(error)) => Err(JobFailure::Internal(error)),
    }
}
