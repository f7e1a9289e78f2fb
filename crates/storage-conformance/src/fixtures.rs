//! Fully populated records with predictable values, for the conformance
//! cases and for any other crate's tests.
//!
//! Every optional field is set and every collection is non-empty, so a
//! storage round trip that drops or mangles a field shows up as an
//! inequality.

use model::{
    AppType, Client, ClientGrant, Connection, JwtConfiguration, KeyState, OneTimeRecord,
    RefreshTokenPolicy, ResourceServer, ResourceServerScope, SigningAlg, SigningKey, Tenant,
    TenantId, TokenEndpointAuthMethod, UnixMillis,
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
        cross_origin_authentication: true,
        initiate_login_uri: Some("https://app.example.com/login".to_owned()),
        client_metadata: BTreeMap::from([("team".to_owned(), "identity".to_owned())]),
        addons,
        allow_pkce_plain: false,
        client_secret_sealed: Some("sealed:v1:c2VjcmV0".to_owned()),
        is_system: false,
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
        expires_at,
        created_at: NOW,
    }
}
