//! The end of a transaction: the authorization response (code, tokens, or an
//! error) that goes back to the client, by query, fragment or form_post.

use super::request::{AuthorizationRequest, AuthorizeError, ResponseMode, server_error_page};
use super::transaction::hash;
use crate::error::EngineError;
use crate::token::oauth_error::{ErrorCode, OAuthError};
use crate::token::tokens::{self, GrantContext};
use crate::{Engine, login::sessions};
use model::{Client, LoginTransaction, Session, Tenant};
use serde::{Deserialize, Serialize};

/// An authorization response (success or error) for the client.
#[derive(Debug, Clone)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub params: Vec<(String, String)>,
}

impl AuthorizationResponse {
    pub fn error(
        issuer: &str,
        redirect_uri: String,
        mode: ResponseMode,
        state: Option<String>,
        error: &OAuthError,
    ) -> Self {
        let mut params = vec![
            ("error".to_owned(), error.code.as_str().to_owned()),
            (
                "error_description".to_owned(),
                error.description.to_string(),
            ),
        ];
        if let Some(state) = state {
            params.push(("state".into(), state));
        }
        params.push(("iss".into(), issuer.to_owned()));
        Self {
            redirect_uri,
            response_mode: mode,
            params,
        }
    }
}

/// The data an authorization code stands for, kept hashed in storage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub sid: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub family_id: String,
}

pub const CODE_KIND: &str = "authorization_code";
/// Left behind when a code is redeemed, so a replay can revoke what it issued.
pub const USED_CODE_KIND: &str = "authorization_code_used";

/// Ends the transaction and builds the authorization response.
pub(crate) async fn issue(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    transaction: &LoginTransaction,
    request: &AuthorizationRequest,
    session: Option<Session>,
) -> std::result::Result<AuthorizationResponse, AuthorizeError> {
    let fail = |error: OAuthError| AuthorizeError::redirect(request, error);
    let Some(transaction) = engine
        .storage
        .consume_transaction(&tenant.id, &transaction.id, engine.now())
        .await
        .map_err(server_error_page)?
    else {
        return Err(AuthorizeError::Untrusted(
            "This login was already completed".into(),
        ));
    };
    let user_id = transaction.user_id.clone().unwrap_or_default();
    let Some(user) = engine
        .storage
        .get_user(&tenant.id, &user_id)
        .await
        .map_err(server_error_page)?
    else {
        return Err(fail(OAuthError::new(
            ErrorCode::AccessDenied,
            "The user no longer exists",
        )));
    };
    if user.blocked {
        return Err(fail(OAuthError::new(
            ErrorCode::AccessDenied,
            "user is blocked",
        )));
    }
    let sid = match &session {
        Some(session) if session.user_id == user.user_id => {
            sessions::touch(engine, session, &client.client_id)
                .await
                .map_err(server_error_page)?;
            Some(session.sid.clone())
        }
        _ => None,
    };
    let scope = tokens::granted_scope(engine, tenant, &request.scope, request.audience.as_deref())
        .await
        .map_err(server_error_page)?;
    let grant = GrantContext {
        user,
        scope,
        audience: request.audience.clone(),
        nonce: request.nonce.clone(),
        auth_time: transaction.auth_time.unwrap_or_else(|| engine.now()),
        sid,
        family_id: crypto::secrets::random_token(16)
            .map_err(|e| server_error_page(EngineError::from(e)))?,
    };
    let mut params: Vec<(String, String)> = Vec::new();
    let mut code_value = None;
    if request.response_type.code {
        let code = crypto::secrets::random_token(32)
            .map_err(|e| server_error_page(EngineError::from(e)))?;
        let payload = CodeGrant {
            client_id: client.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            user_id: grant.user.user_id.clone(),
            scope: grant.scope.clone(),
            audience: grant.audience.clone(),
            nonce: grant.nonce.clone(),
            auth_time: grant.auth_time,
            sid: grant.sid.clone(),
            code_challenge: request.code_challenge.clone(),
            code_challenge_method: request.code_challenge_method.clone(),
            family_id: grant.family_id.clone(),
        };
        let now = engine.now();
        let record = model::OneTimeRecord {
            tenant_id: tenant.id.clone(),
            kind: CODE_KIND.into(),
            key_hash: hash(&code),
            payload: serde_json::to_value(&payload)
                .map_err(|_| AuthorizeError::Untrusted("internal error".into()))?,
            subject: None,
            expires_at: now + engine.settings.authorization_code_lifetime * 1000,
            created_at: now,
        };
        engine
            .storage
            .create_one_time(&record)
            .await
            .map_err(server_error_page)?;
        params.push(("code".into(), code.clone()));
        code_value = Some(code);
    }
    let mut access_value = None;
    if request.response_type.token {
        let (token, expires_in) = tokens::access_token(engine, tenant, client, &grant)
            .await
            .map_err(server_error_page)?;
        params.push(("access_token".into(), token.clone()));
        params.push(("token_type".into(), "Bearer".into()));
        params.push(("expires_in".into(), expires_in.to_string()));
        params.push(("scope".into(), grant.scope.join(" ")));
        access_value = Some(token);
    }
    if request.response_type.id_token {
        let token = tokens::id_token(
            engine,
            tenant,
            client,
            &grant,
            access_value.as_deref(),
            code_value.as_deref(),
        )
        .await
        .map_err(server_error_page)?;
        params.push(("id_token".into(), token));
    }
    if let Some(state) = &request.state {
        params.push(("state".into(), state.clone()));
    }
    // RFC 9207: the issuer identifies who answered (mix-up defence).
    params.push(("iss".into(), tenant.issuer.clone()));
    Ok(AuthorizationResponse {
        redirect_uri: request.redirect_uri.clone(),
        response_mode: request.response_mode,
        params,
    })
}
