//! `POST /api/v2/jobs/verification-email`: send a user the email that
//! verifies their address, as a job.
//!
//! The request is checked when the job is created (the user exists and has
//! an email, the client exists). Running the job queues the message with
//! [`crate::email::send_verification_email`]; when nothing could be queued
//! the job fails with the reason rather than pretending an email left.

use super::pending::pending_job;
use super::progress::{Finished, JobFailure};
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

/// Checks the request: the pending job.
pub(super) async fn prepare(
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
        crate::management::clients::get_client(engine, tenant, client_id).await?;
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
    Ok(job)
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

pub(super) async fn run(engine: &Engine, job: &Job) -> std::result::Result<Finished, JobFailure> {
    let JobParams::VerificationEmail {
        user_id, client_id, ..
    } = &job.params
    else {
        return Err(JobFailure::Refused("not a verification email job".into()));
    };
    // The message is queued in the email outbox, which delivers and retries
    // it; the job is done once it is queued.
    match crate::email::send_verification_email(
        engine,
        &job.tenant_id,
        user_id,
        client_id.as_deref(),
    )
    .await
    {
        Ok(true) => Ok(Finished::default()),
        Ok(false) => Err(JobFailure::Refused(
            "No verification email was queued: the address is verified already, the \
             verify_email template is disabled, or the tenant has no email provider"
                .to_owned(),
        )),
        Err(error) => Err(JobFailure::Internal(error)),
    }
}
