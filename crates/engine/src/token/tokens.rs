//! Issuing the tokens of an end-user grant: ID tokens (OIDC Core §2),
//! access tokens (RFC 9068 JWTs for an API, opaque ones for `/userinfo`)
//! and rotating refresh tokens.

use crate::error::Result;
use crate::{Engine, token::opaque_tokens};
use model::{Client, IssuedToken, Tenant, TokenKind, User};
use serde_json::{Map, Value, json};
use std::borrow::Cow;

pub use crate::token::scopes::OIDC_SCOPES;

/// Everything one grant knows about the user's authorization.
#[derive(Debug, Clone)]
pub struct GrantContext {
    pub user: User,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    /// Unix milliseconds of the user's authentication.
    pub auth_time: i64,
    pub sid: Option<String>,
    pub family_id: String,
}

/// A token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenSet {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

fn has(scope: &[String], value: &str) -> bool {
    scope.iter().any(|s| s == value)
}

fn insert_opt(claims: &mut Map<String, Value>, name: &str, value: &Option<String>) {
    if let Some(value) = value {
        claims.insert(name.to_owned(), Value::String(value.clone()));
    }
}

/// Profile and email claims the scope allows (OIDC Core §5.4). `updated_at`
/// is Auth0's ISO 8601 string (what apps written for Auth0 parse) unless
/// the tenant's `oidc_standard_claim_types` flag asks for OIDC Core's
/// number of seconds (what strict OIDC libraries such as pyoidc accept).
pub fn user_claims(tenant: &Tenant, user: &User, scope: &[String]) -> Map<String, Value> {
    let mut claims = Map::new();
    if has(scope, "profile") {
        insert_opt(&mut claims, "name", &user.name);
        insert_opt(&mut claims, "nickname", &user.nickname);
        insert_opt(&mut claims, "given_name", &user.given_name);
        insert_opt(&mut claims, "family_name", &user.family_name);
        insert_opt(&mut claims, "picture", &user.picture);
        insert_opt(&mut claims, "preferred_username", &user.username);
        let updated_at = if tenant
            .settings
            .flag(model::tenant_settings::OIDC_STANDARD_CLAIM_TYPES)
        {
            json!(user.updated_at.div_euclid(1000))
        } else {
            Value::String(model::clock::to_rfc3339(user.updated_at))
        };
        claims.insert("updated_at".into(), updated_at);
    }
    if has(scope, "email") && user.email.is_some() {
        insert_opt(&mut claims, "email", &user.email);
        claims.insert("email_verified".into(), Value::Bool(user.email_verified));
    }
    if has(scope, "phone") && user.phone_number.is_some() {
        insert_opt(&mut claims, "phone_number", &user.phone_number);
        claims.insert(
            "phone_number_verified".into(),
            Value::Bool(user.phone_verified),
        );
    }
    claims
}

/// Which of the requested scopes are granted: OIDC scopes, and the API's own
/// scopes when an audience is named (for the Management API only the
/// current-user ones: end users are never administrators). Unknown scopes are dropped (RFC 6749 §3.3
/// lets the server grant less; the response then says what was granted).
pub async fn granted_scope(
    engine: &Engine,
    tenant: &Tenant,
    requested: &[String],
    audience: Option<&str>,
) -> Result<Vec<String>> {
    let server = match audience {
        Some(audience) => {
            engine
                .storage
                .get_resource_server_by_identifier(&tenant.id, audience)
                .await?
        }
        None => None,
    };
    let allowed = user_scope_rule(tenant, audience);
    Ok(requested
        .iter()
        .filter(|scope| {
            OIDC_SCOPES.contains(&scope.as_str())
                || server.as_ref().is_some_and(|s| s.has_scope(scope))
        })
        .filter(|scope| allowed(scope))
        .filter(|scope| {
            scope.as_str() != "offline_access"
                || server.as_ref().is_none_or(|s| s.allow_offline_access)
        })
        .cloned()
        .collect())
}

/// Which scopes an end user may hold for `audience`
/// ([`crate::token::scopes::user_may_obtain`]); the tenant's Management API
/// audience is built once, and only when there is an audience at all.
fn user_scope_rule<'a>(tenant: &Tenant, audience: Option<&'a str>) -> impl Fn(&str) -> bool + 'a {
    let management = audience.map(|_| tenant.management_audience());
    move |scope| {
        management.as_deref().is_none_or(|management| {
            crate::token::scopes::user_may_obtain(management, audience, scope)
        })
    }
}

/// `scope` without what an end user may not hold for `audience`.
fn user_scope(tenant: &Tenant, audience: Option<&str>, scope: Vec<String>) -> Vec<String> {
    let allowed = user_scope_rule(tenant, audience);
    if scope.iter().all(|s| allowed(s)) {
        return scope;
    }
    scope.into_iter().filter(|s| allowed(s)).collect()
}

/// The grant, narrowed to what an end user may hold for its audience
/// ([`crate::token::scopes::user_may_obtain`]). Every user token is minted through
/// here, so authorization codes, refresh tokens and any later user grant
/// obey the rule even when they carry a wider scope (one stored before the
/// rule existed, or a grant that forgot [`granted_scope`]).
fn user_grant<'a>(tenant: &Tenant, grant: &'a GrantContext) -> Cow<'a, GrantContext> {
    let allowed = user_scope_rule(tenant, grant.audience.as_deref());
    if grant.scope.iter().all(|s| allowed(s)) {
        return Cow::Borrowed(grant);
    }
    let mut narrowed = grant.clone();
    narrowed.scope.retain(|s| allowed(s));
    Cow::Owned(narrowed)
}

/// Signs an ID token for the client.
pub async fn id_token(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    grant: &GrantContext,
    access_token: Option<&str>,
    code: Option<&str>,
) -> Result<String> {
    let alg = client.jwt_configuration.alg;
    let signer = engine.keys.signer(&tenant.id, alg).await?;
    let now = engine.clock.now_seconds();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(tenant.issuer));
    claims.insert("sub".into(), json!(grant.user.user_id));
    claims.insert("aud".into(), json!(client.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert(
        "exp".into(),
        json!(now + client.jwt_configuration.lifetime_in_seconds),
    );
    claims.insert("auth_time".into(), json!(grant.auth_time.div_euclid(1000)));
    if let Some(nonce) = &grant.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    if let Some(sid) = &grant.sid {
        claims.insert("sid".into(), json!(sid));
    }
    if let Some(token) = access_token {
        claims.insert(
            "at_hash".into(),
            json!(crypto::secrets::oidc_half_hash(alg, token)),
        );
    }
    if let Some(code) = code {
        claims.insert(
            "c_hash".into(),
            json!(crypto::secrets::oidc_half_hash(alg, code)),
        );
    }
    for (name, value) in user_claims(tenant, &grant.user, &grant.scope) {
        claims.insert(name, value);
    }
    Ok(signer
        .key
        .sign_jwt(&signer.kid, Some("JWT"), &Value::Object(claims))?)
}

/// Issues an access token: a JWT when the grant names an API, else an opaque
/// token that `/userinfo` accepts (stored here). Returns the token and its lifetime.
pub async fn access_token(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    grant: &GrantContext,
) -> Result<(String, i64)> {
    let grant = &*user_grant(tenant, grant);
    let (token, lifetime, record) = mint_access_token(engine, tenant, client, grant).await?;
    if let Some(record) = record {
        engine.storage.create_token(&record).await?;
    }
    Ok((token, lifetime))
}

/// An access token, its lifetime, and for an opaque token the record the
/// caller must store before handing the token out.
async fn mint_access_token(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    grant: &GrantContext,
) -> Result<(String, i64, Option<IssuedToken>)> {
    let server = match &grant.audience {
        Some(audience) => {
            engine
                .storage
                .get_resource_server_by_identifier(&tenant.id, audience)
                .await?
        }
        None => None,
    };
    let now_ms = engine.now();
    if let Some(server) = server {
        let now = engine.clock.now_seconds();
        let lifetime = server.token_lifetime;
        let mut audiences = vec![json!(server.identifier)];
        if has(&grant.scope, "openid") {
            audiences.push(json!(format!("{}userinfo", tenant.issuer)));
        }
        let mut claims = json!({
            "iss": tenant.issuer,
            "sub": grant.user.user_id,
            "aud": audiences,
            "iat": now,
            "exp": now + lifetime,
            "scope": grant.scope.join(" "),
            "azp": client.client_id,
            "client_id": client.client_id,
            "jti": crypto::secrets::random_token(16)?,
        });
        if let (Some(sid), Value::Object(map)) = (&grant.sid, &mut claims) {
            map.insert("sid".into(), json!(sid));
        }
        let signer = engine.keys.signer(&tenant.id, server.signing_alg).await?;
        let token = signer.key.sign_jwt(&signer.kid, Some("at+jwt"), &claims)?;
        return Ok((token, lifetime, None));
    }
    let lifetime = engine.settings.opaque_access_token_lifetime;
    let token = opaque_tokens::new_token(now_ms)?;
    let record = IssuedToken {
        tenant_id: tenant.id.clone(),
        token_hash: opaque_tokens::key(&token),
        kind: TokenKind::Access,
        family_id: grant.family_id.clone(),
        client_id: client.client_id.clone(),
        user_id: grant.user.user_id.clone(),
        sid: grant.sid.clone(),
        scope: grant.scope.clone(),
        audience: None,
        auth_time: grant.auth_time,
        created_at: now_ms,
        expires_at: now_ms + lifetime * 1000,
        family_expires_at: now_ms + lifetime * 1000,
        used_at: None,
        revoked_at: None,
    };
    Ok((token, lifetime, Some(record)))
}

/// A refresh token in the grant's family carrying `scope`, and the record
/// the caller must store. `family_expires_at` is the family's absolute end
/// (kept across rotations).
fn mint_refresh_token(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    grant: &GrantContext,
    scope: Vec<String>,
    family_expires_at: i64,
) -> Result<(String, IssuedToken)> {
    let now = engine.now();
    let policy = &client.refresh_token;
    let idle = if policy.infinite_idle_token_lifetime || policy.expiration_type == "non-expiring" {
        i64::MAX / 4
    } else {
        policy.idle_token_lifetime * 1000
    };
    let token = opaque_tokens::new_token(now)?;
    let record = IssuedToken {
        tenant_id: tenant.id.clone(),
        token_hash: opaque_tokens::key(&token),
        kind: TokenKind::Refresh,
        family_id: grant.family_id.clone(),
        client_id: client.client_id.clone(),
        user_id: grant.user.user_id.clone(),
        sid: grant.sid.clone(),
        scope,
        audience: grant.audience.clone(),
        auth_time: grant.auth_time,
        created_at: now,
        expires_at: now.saturating_add(idle).min(family_expires_at),
        family_expires_at,
        used_at: None,
        revoked_at: None,
    };
    Ok((token, record))
}

/// The absolute end of a new refresh-token family for this client.
pub fn family_expiry(engine: &Engine, client: &Client) -> i64 {
    let policy = &client.refresh_token;
    if policy.infinite_token_lifetime || policy.expiration_type == "non-expiring" {
        i64::MAX / 4
    } else {
        engine.now() + policy.token_lifetime * 1000
    }
}

/// Whether this grant gets a refresh token: `offline_access` was granted and
/// the client may use the refresh_token grant.
pub fn wants_refresh_token(client: &Client, grant: &GrantContext) -> bool {
    has(&grant.scope, "offline_access") && client.allows_grant("refresh_token")
}

/// The token endpoint's response for a grant: access token, ID token when
/// `openid` was granted, refresh token when allowed. Stored before returned.
pub async fn token_set(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    grant: &GrantContext,
    family_expires_at: i64,
) -> Result<TokenSet> {
    let refresh_scope = wants_refresh_token(client, grant).then(|| grant.scope.clone());
    let minted = mint(
        engine,
        tenant,
        client,
        grant,
        refresh_scope,
        family_expires_at,
    )
    .await?;
    engine.storage.create_tokens(&minted.records).await?;
    Ok(minted.set)
}

/// A token response and the records of its opaque access token and refresh
/// token, which must be stored before the response is handed out.
#[derive(Debug)]
pub struct MintedTokens {
    pub set: TokenSet,
    pub records: Vec<IssuedToken>,
}

/// The response to a refresh-token rotation, not yet stored (the caller
/// stores it with the mark on the old token, in one transaction): like
/// [`token_set`] for the (possibly narrowed) scope of `grant`, and always a
/// new refresh token that keeps the family's original `family_scope`, so a
/// narrower refresh does not shrink what the family was granted.
pub async fn rotated_token_set(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    grant: &GrantContext,
    family_scope: Vec<String>,
    family_expires_at: i64,
) -> Result<MintedTokens> {
    mint(
        engine,
        tenant,
        client,
        grant,
        Some(family_scope),
        family_expires_at,
    )
    .await
}

/// Mints the tokens and signs the ID token; stores nothing.
async fn mint(
    engine: &Engine,
    tenant: &Tenant,
    client: &Client,
    grant: &GrantContext,
    refresh_scope: Option<Vec<String>>,
    family_expires_at: i64,
) -> Result<MintedTokens> {
    let grant = &*user_grant(tenant, grant);
    let refresh_scope =
        refresh_scope.map(|scope| user_scope(tenant, grant.audience.as_deref(), scope));
    let mut records = Vec::with_capacity(2);
    let (access, expires_in, access_record) =
        mint_access_token(engine, tenant, client, grant).await?;
    records.extend(access_record);
    let id = if has(&grant.scope, "openid") {
        Some(id_token(engine, tenant, client, grant, Some(&access), None).await?)
    } else {
        None
    };
    let refresh = match refresh_scope {
        Some(scope) => {
            let (value, record) =
                mint_refresh_token(engine, tenant, client, grant, scope, family_expires_at)?;
            records.push(record);
            Some(value)
        }
        None => None,
    };
    Ok(MintedTokens {
        set: TokenSet {
            access_token: access,
            token_type: "Bearer",
            expires_in,
            refresh_token: refresh,
            id_token: id,
            scope: grant.scope.join(" "),
        },
        records,
    })
}
