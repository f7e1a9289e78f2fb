//! Fully populated records with predictable values, for the conformance
//! cases and for any other crate's tests.
//!
//! Every optional field is set and every collection is non-empty, so a
//! storage round trip that drops or mangles a field shows up as an
//! inequality.

use model::{
    AppType, Client, ClientGrant, Connection, Identity, IssuedToken, JwtConfiguration, KeyState,
    LoginTransaction, OneTimeRecord, RefreshTokenPolicy, ResourceServer, ResourceServerScope,
    Session, SigningAlg, SigningKey, Tenant, TenantId, TokenEndpointAuthMethod, TokenKind,
    UnixMillis, User,
};
use serde_json::json;
use std::collections::BTreeMap;

/// The time every fixture is created at: 2023-11-14T22:13:20Z.
pub const NOW: UnixMillis = 1_700_000_000_000;

pub fn tenant_id(name: &str) -> TenantId {
    TenantId::new(name)
}

/// A tenant reachable at `{id}.example.com` and `login.{id}.test`.
pub fn tenant(id: &str) -> Tenant {
    Tenant {
        id: tenant_id(id),
        friendly_name: format!("Tenant {id}"),
        hosts: vec![format!("{id}.example.com"), format!("login.{id}.test")],
        issuer: format!("https://{id}.example.com/"),
        published_algs: Vec::new(),
        prompts: model::PromptSettings::default(),
        settings: model::TenantSettings::default(),
        created_at: NOW,
        updated_at: NOW,
    }
}

/// A confidential regular web application.
pub fn client(tenant: &str, client_id: &str) -> Client {
    let mut addons = serde_json::Map::new();
    addons.insert(
        "samlp".to_owned(),
        json!({ "audience": "urn:example", "mappings": { "email": "mail" } }),
    );
    Client {
        tenant_id: tenant_id(tenant),
        client_id: client_id.to_owned(),
        name: format!("Client {client_id}"),
        description: "A test client".to_owned(),
        app_type: Some(AppType::RegularWeb),
        logo_uri: Some("https://cdn.example.com/logo.png".to_owned()),
        is_first_party: true,
        oidc_conformant: true,
        callbacks: vec!["https://app.example.com/callback".to_owned()],
        allowed_logout_urls: vec!["https://app.example.com/".to_owned()],
        web_origins: vec!["https://app.example.com".to_owned()],
        allowed_origins: vec!["https://app.example.com".to_owned()],
        allowed_clients: vec!["other-client".to_owned()],
        grant_types: Client::default_grant_types(Some(AppType::RegularWeb)),
        token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretPost,
        jwt_configuration: JwtConfiguration {
            alg: SigningAlg::Es256,
            lifetime_in_seconds: 3_600,
            secret_encoded: false,
        },
        refresh_token: RefreshTokenPolicy::default(),
        sso_disabled: false,
        sso: false,
        custom_login_page_on: true,
        client_aliases: Vec::new(),
        cross_origin_authentication: true,
        initiate_login_uri: Some("https://app.example.com/login".to_owned()),
        client_metadata: BTreeMap::from([("team".to_owned(), "identity".to_owned())]),
        addons,
        allow_pkce_plain: false,
        client_secret_sealed: Some("sealed:v1:c2VjcmV0".to_owned()),
        is_system: false,
        is_token_endpoint_ip_header_trusted: true,
        created_at: NOW,
        updated_at: NOW,
    }
}

/// A database connection (`auth0` strategy).
pub fn connection(tenant: &str, id: &str, name: &str) -> Connection {
    Connection {
        tenant_id: tenant_id(tenant),
        id: id.to_owned(),
        name: name.to_owned(),
        display_name: Some(format!("Connection {name}")),
        strategy: "auth0".to_owned(),
        options: json!({ "passwordPolicy": "good", "brute_force_protection": true }),
        metadata: BTreeMap::from([("owner".to_owned(), "ops".to_owned())]),
        realms: vec![name.to_owned()],
        is_domain_connection: false,
        show_as_button: Some(true),
        created_at: NOW,
        updated_at: NOW,
    }
}

/// An API with two scopes.
pub fn resource_server(tenant: &str, id: &str, identifier: &str) -> ResourceServer {
    ResourceServer {
        tenant_id: tenant_id(tenant),
        id: id.to_owned(),
        name: format!("API {identifier}"),
        identifier: identifier.to_owned(),
        scopes: vec![
            ResourceServerScope {
                value: "read:things".to_owned(),
                description: "Read things".to_owned(),
            },
            ResourceServerScope {
                value: "write:things".to_owned(),
                description: "Write things".to_owned(),
            },
        ],
        signing_alg: SigningAlg::Rs256,
        token_lifetime: 86_400,
        token_lifetime_for_web: 7_200,
        allow_offline_access: true,
        skip_consent_for_verifiable_first_party_clients: true,
        enforce_policies: false,
        token_dialect: "access_token".to_owned(),
        is_system: false,
        created_at: NOW,
        updated_at: NOW,
    }
}

pub fn client_grant(tenant: &str, id: &str, client_id: &str, audience: &str) -> ClientGrant {
    ClientGrant {
        tenant_id: tenant_id(tenant),
        id: id.to_owned(),
        client_id: client_id.to_owned(),
        audience: audience.to_owned(),
        scope: vec!["read:things".to_owned(), "write:things".to_owned()],
        created_at: NOW,
        updated_at: NOW,
    }
}

/// A key in `state`, created at `NOW` (shifted by `created_offset` ms so
/// that keys created together list in a known order).
pub fn signing_key(
    tenant: &str,
    kid: &str,
    alg: SigningAlg,
    state: KeyState,
    created_offset: i64,
) -> SigningKey {
    SigningKey {
        tenant_id: tenant_id(tenant),
        kid: kid.to_owned(),
        alg,
        state,
        public_jwk: json!({ "kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": kid, "alg": alg.as_str(), "use": "sig" }),
        private_sealed: format!("sealed:v1:{kid}"),
        cert_pem: Some("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_owned()),
        created_at: NOW + created_offset,
        current_since: None,
        current_until: None,
        revoked_at: None,
    }
}

/// An authorization-code-like record.
pub fn one_time(tenant: &str, kind: &str, key_hash: &str, expires_at: UnixMillis) -> OneTimeRecord {
    OneTimeRecord {
        tenant_id: tenant_id(tenant),
        kind: kind.to_owned(),
        key_hash: key_hash.to_owned(),
        payload: json!({ "client_id": "c1", "redirect_uri": "https://app.example.com/cb", "scope": ["openid"] }),
        subject: None,
        expires_at,
        created_at: NOW,
    }
}

/// A database user of `connection_id` with `email` (as given, any case) and
/// the username `user_{id}` (the id without its `auth0|` prefix).
pub fn user(tenant: &str, user_id: &str, connection_id: &str, email: &str) -> User {
    let local_id = user_id.rsplit('|').next().unwrap_or(user_id).to_owned();
    let mut user_metadata = serde_json::Map::new();
    user_metadata.insert("theme".to_owned(), json!("dark"));
    let mut app_metadata = serde_json::Map::new();
    app_metadata.insert("roles".to_owned(), json!(["admin"]));
    let mut profile_data = serde_json::Map::new();
    profile_data.insert("locale".to_owned(), json!("en"));
    User {
        tenant_id: tenant_id(tenant),
        user_id: user_id.to_owned(),
        connection_id: connection_id.to_owned(),
        email: Some(email.to_owned()),
        email_verified: true,
        username: Some(format!("user_{local_id}")),
        phone_number: Some("+15555550100".to_owned()),
        phone_verified: false,
        name: Some("Ada Lovelace".to_owned()),
        nickname: Some("ada".to_owned()),
        given_name: Some("Ada".to_owned()),
        family_name: Some("Lovelace".to_owned()),
        picture: Some("https://cdn.example.com/ada.png".to_owned()),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        password_history: vec!["$argon2id$v=19$m=19456,t=2,p=1$b2xk$b2xk".to_owned()],
        blocked: false,
        identities: vec![Identity {
            connection: "Username-Password-Authentication".to_owned(),
            connection_id: connection_id.to_owned(),
            provider: "auth0".to_owned(),
            user_id: local_id,
            is_social: false,
            profile_data: Some(profile_data),
            upstream_tokens: None,
        }],
        user_metadata,
        app_metadata,
        logins_count: 3,
        last_login: Some(NOW - 60_000),
        last_ip: Some("192.0.2.1".to_owned()),
        created_at: NOW,
        updated_at: NOW,
    }
}

/// An SSO session of `user_id`, addressed by `id_hash`, with `sid` `sid-{id_hash}`.
pub fn session(tenant: &str, id_hash: &str, user_id: &str, expires_at: UnixMillis) -> Session {
    Session {
        tenant_id: tenant_id(tenant),
        id_hash: id_hash.to_owned(),
        sid: format!("sid-{id_hash}"),
        user_id: user_id.to_owned(),
        connection: "Username-Password-Authentication".to_owned(),
        auth_time: NOW - 1_000,
        amr: vec!["pwd".to_owned()],
        clients: vec!["c1".to_owned()],
        created_at: NOW - 1_000,
        last_active_at: NOW,
        expires_at,
    }
}

/// A live, unused token of `kind` in `family_id`; the family ends an hour
/// after `expires_at`.
pub fn token(
    tenant: &str,
    token_hash: &str,
    kind: TokenKind,
    family_id: &str,
    user_id: &str,
    client_id: &str,
    expires_at: UnixMillis,
) -> IssuedToken {
    IssuedToken {
        tenant_id: tenant_id(tenant),
        token_hash: token_hash.to_owned(),
        kind,
        family_id: family_id.to_owned(),
        client_id: client_id.to_owned(),
        user_id: user_id.to_owned(),
        sid: Some("sid-s1".to_owned()),
        scope: vec!["openid".to_owned(), "offline_access".to_owned()],
        audience: Some("https://api/".to_owned()),
        auth_time: NOW - 1_000,
        created_at: NOW,
        expires_at,
        family_expires_at: expires_at + 3_600_000,
        used_at: None,
        revoked_at: None,
    }
}

/// A refresh token of user `auth0|u1` and client `c1`.
pub fn refresh_token(
    tenant: &str,
    token_hash: &str,
    family_id: &str,
    expires_at: UnixMillis,
) -> IssuedToken {
    token(
        tenant,
        token_hash,
        TokenKind::Refresh,
        family_id,
        "auth0|u1",
        "c1",
        expires_at,
    )
}

/// A login transaction for client `c1`, already authenticated.
pub fn transaction(tenant: &str, id: &str, expires_at: UnixMillis) -> LoginTransaction {
    LoginTransaction {
        tenant_id: tenant_id(tenant),
        id: id.to_owned(),
        browser_binding: format!("binding-{id}"),
        client_id: "c1".to_owned(),
        request: json!({ "response_type": "code", "redirect_uri": "https://app.example.com/cb", "scope": "openid" }),
        user_id: Some("auth0|u1".to_owned()),
        connection: Some("Username-Password-Authentication".to_owned()),
        auth_time: Some(NOW - 1_000),
        consent_given: true,
        created_at: NOW,
        expires_at,
    }
}

/// A pending import job of `connection_id`.
pub fn job(tenant: &str, id: &str, connection_id: &str) -> model::Job {
    model::Job {
        tenant_id: tenant_id(tenant),
        id: id.to_owned(),
        status: model::JobStatus::Pending,
        params: model::JobParams::UsersImport {
            upsert: true,
            external_id: Some("batch-7".to_owned()),
            send_completion_email: false,
        },
        connection_id: Some(connection_id.to_owned()),
        connection: Some("Username-Password-Authentication".to_owned()),
        summary: None,
        failure: None,
        runner: None,
        heartbeat_at: None,
        created_at: NOW,
        updated_at: NOW,
        finished_at: None,
        expires_at: None,
    }
}
