//! `private_key_jwt` toward an upstream, end to end: panva's `oidc-provider`
//! (`tests/sdk/upstream-op.mjs`) registers the client `vestibule-pkjwt`
//! with the public half of a key, and an `oidc` connection holds the private
//! half (`client_assertion_signing_key`, sealed). The code exchange is
//! authenticated by a signed assertion only — no client secret exists. With
//! another private key (claiming the registered `kid`), the provider refuses
//! the assertion, and the login ends in an error with nobody created.

use crate::sdk_node::node_toolchain;
use crate::support::{REDIRECT_A, Tenant, query_param, toolchain_or_skip};
use crate::upstream::{code_to_id_token, op_login_to_client, start_op_with, users};
use base64::Engine as _;
use crypto::{KeyPair, SigningAlg};
use serde_json::json;

/// A PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of a fresh RSA key.
async fn rsa_key() -> (KeyPair, String) {
    let key =
        tokio::task::spawn_blocking(|| KeyPair::generate(SigningAlg::Rs256).expect("RSA key"))
            .await
            .unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(key.pkcs8_der());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    (key, pem)
}

#[tokio::test]
async fn private_key_jwt_authenticates_at_the_upstream_and_a_wrong_key_is_refused() {
    let Some(_versions) = toolchain_or_skip(
        "private_key_jwt_authenticates_at_the_upstream_and_a_wrong_key_is_refused",
        node_toolchain(),
    ) else {
        return;
    };
    let (registered, registered_pem) = rsa_key().await;
    let (_other, other_pem) = rsa_key().await;
    // Vestibule names its key by its RFC 7638 thumbprint unless told otherwise.
    let kid = registered.thumbprint();
    let jwks = json!({"keys": [registered.public_jwk(&kid)]});

    let tenant = Tenant::start().await;
    let app = tenant.client("A", REDIRECT_A, "client_secret_basic").await;
    let callback = format!("{}login/callback", tenant.server.issuer());
    let op = start_op_with(&callback, &[("PKJWT_JWKS", jwks.to_string())]).await;
    let discovery_url = format!("{}/.well-known/openid-configuration", op.origin);
    let connection = |name: &str, pem: &str, kid: Option<&str>| {
        let mut options = json!({
            "type": "back_channel",
            "client_id": "vestibule-pkjwt",
            "discovery_url": discovery_url,
            "scope": "openid profile email",
            "token_endpoint_auth_method": "private_key_jwt",
            "client_assertion_signing_key": pem,
        });
        if let Some(kid) = kid {
            options["client_assertion_signing_kid"] = json!(kid);
        }
        json!({"name": name, "strategy": "oidc", "options": options, "enabled_clients": [app.id]})
    };
    let created = tenant
        .connection(connection("peer-pkjwt", &registered_pem, None))
        .await;
    // The private key is a secret option: sealed, never shown.
    assert!(
        !created.to_string().contains("PRIVATE KEY"),
        "the signing key is never returned: {created}"
    );
    tenant
        .connection(connection("peer-wrong-key", &other_pem, Some(&kid)))
        .await;

    // A wrong key first: the provider refuses the assertion at its token
    // endpoint, the client gets an error, nobody is created.
    let (request, at) = op_login_to_client(&tenant, &app, &op, "peer-wrong-key").await;
    assert!(at.as_str().starts_with(REDIRECT_A), "{at}");
    assert_eq!(
        query_param(&at, "error").as_deref(),
        Some("server_error"),
        "{at}"
    );
    assert_eq!(
        query_param(&at, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert!(query_param(&at, "code").is_none(), "{at}");
    assert!(users(&tenant, "oidc|").await.is_empty());

    // The registered key logs in, twice (a fresh assertion, with a new jti,
    // each time: the provider refuses a replayed one).
    for round in 1..=2 {
        let (request, at) = op_login_to_client(&tenant, &app, &op, "peer-pkjwt").await;
        let claims = code_to_id_token(&tenant, &app, &request, &at).await;
        assert_eq!(claims["sub"], "oidc|peer-pkjwt|user-alice-0001", "{claims}");
        assert_eq!(claims["email"], "alice@example.test", "{claims}");
        assert_eq!(claims["name"], "Alice Liddell", "{claims}");
        let stored = users(&tenant, "oidc|").await;
        assert_eq!(stored.len(), 1, "{stored:?}");
        assert_eq!(stored[0]["logins_count"], round);
    }
}
