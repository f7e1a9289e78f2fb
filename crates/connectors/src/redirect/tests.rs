//! The OIDC engine against a fake upstream (an axum server on loopback):
//! every way an ID token can be wrong is refused, and a good one is read.

use super::oidc::{
    DEFAULT_ALGS, Endpoints, Flow, OidcConfig, OidcConnector, Overrides, ProviderSource,
};
use super::*;
use axum::Router;
use axum::routing::{get, post};
use base64::Engine as _;
use crypto::{KeyPair, SigningAlg};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Mutex;

const NOW: i64 = 1_700_000_000;
const CLIENT: &str = "vestibule-client";
const NONCE: &str = "nonce-0123456789";

struct Fake {
    base: String,
    id_token: Arc<Mutex<String>>,
    key: KeyPair,
    /// The form bodies the token endpoint received.
    token_forms: Arc<Mutex<Vec<BTreeMap<String, String>>>>,
}

async fn fake_upstream() -> Fake {
    let key = KeyPair::generate(SigningAlg::Es256).unwrap();
    let jwks = json!({"keys": [key.public_jwk("k1")]});
    let id_token = Arc::new(Mutex::new(String::new()));
    let token_body = id_token.clone();
    let token_forms: Arc<Mutex<Vec<BTreeMap<String, String>>>> = Arc::default();
    let forms = token_forms.clone();
    let app = Router::new()
        .route("/jwks", get(move || async move { axum::Json(jwks) }))
        .route(
            "/token",
            post(
                move |axum::Form(form): axum::Form<BTreeMap<String, String>>| async move {
                    forms.lock().unwrap().push(form);
                    let token = token_body.lock().unwrap().clone();
                    axum::Json(
                        json!({"access_token": "at", "token_type": "Bearer", "id_token": token}),
                    )
                },
            ),
        )
        .route("/big", get(|| async { "x".repeat(2 * 1024 * 1024) }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                "{}"
            }),
        )
        .route(
            "/redirect",
            get(|| async { axum::response::Redirect::temporary("/jwks") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Fake {
        base,
        id_token,
        key,
        token_forms,
    }
}

fn connector(fake: &Fake) -> OidcConnector {
    let upstreams = Arc::new(Upstreams::new(local_upstreams()));
    OidcConnector::new(
        OidcConfig {
            source: ProviderSource::Manual(Endpoints {
                issuer: fake.base.clone(),
                authorization_endpoint: format!("{}/authorize", fake.base),
                token_endpoint: Some(format!("{}/token", fake.base)),
                userinfo_endpoint: None,
                jwks_uri: format!("{}/jwks", fake.base),
                token_endpoint_auth_methods: vec![],
                iss_parameter_supported: true,
            }),
            overrides: Overrides::default(),
            client_id: CLIENT.into(),
            client_secret: Some("secret".into()),
            auth: None,
            flow: Flow::BackChannel,
            scope: vec!["openid".into()],
            algs: DEFAULT_ALGS.to_vec(),
            alternate_issuer: None,
            pkce: true,
            send_nonce: true,
        },
        upstreams,
    )
}

fn request() -> LoginRequest {
    LoginRequest {
        callback_url: "http://127.0.0.1:1/login/callback".into(),
        state: "state-1".into(),
        nonce: NONCE.into(),
        pkce_verifier: "v".repeat(43),
        extra_params: vec![],
    }
}

fn good_claims(fake: &Fake) -> Value {
    json!({
        "iss": fake.base, "aud": CLIENT, "sub": "user-1", "nonce": NONCE,
        "iat": NOW, "exp": NOW + 300, "email": "a@example.com", "email_verified": true,
        "name": "A",
    })
}

async fn login_with(fake: &Fake, token: String) -> Result<UpstreamIdentity, RedirectError> {
    *fake.id_token.lock().unwrap() = token;
    let params = CallbackParams::from([
        ("code".to_owned(), "c".to_owned()),
        ("iss".to_owned(), fake.base.clone()),
    ]);
    connector(fake).callback(&request(), &params, NOW).await
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

#[tokio::test]
async fn a_good_id_token_gives_the_identity() {
    let fake = fake_upstream().await;
    let token = fake.key.sign_jwt("k1", None, &good_claims(&fake)).unwrap();
    let identity = login_with(&fake, token).await.unwrap();
    assert_eq!(identity.user_id, "user-1");
    assert_eq!(identity.profile.email.as_deref(), Some("a@example.com"));
    assert!(identity.profile.email_verified);
    assert!(!identity.raw.contains_key("nonce"));
    assert_eq!(identity.access_token.as_deref(), Some("at"));
}

#[tokio::test]
async fn wrong_claims_are_refused() {
    let fake = fake_upstream().await;
    let cases: Vec<(&str, Value)> = vec![
        ("nonce", json!({"nonce": "another"})),
        ("no nonce", json!({"nonce": null})),
        ("iss", json!({"iss": format!("{}/", fake.base)})),
        ("aud", json!({"aud": "someone-else"})),
        ("aud array without azp", json!({"aud": [CLIENT, "other"]})),
        ("azp", json!({"azp": "other"})),
        ("expired", json!({"exp": NOW - 120})),
        (
            "iat in the future",
            json!({"iat": NOW + 600, "exp": NOW + 900}),
        ),
        ("no iat", json!({"iat": null})),
        ("no sub", json!({"sub": null})),
    ];
    for (name, change) in cases {
        let mut claims = good_claims(&fake);
        for (key, value) in change.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(key);
            } else {
                claims[key] = value.clone();
            }
        }
        let token = fake.key.sign_jwt("k1", None, &claims).unwrap();
        let result = login_with(&fake, token).await;
        assert!(
            matches!(result, Err(RedirectError::InvalidIdToken(_))),
            "{name}: {result:?}"
        );
    }
}

#[tokio::test]
async fn bad_signatures_and_algorithms_are_refused() {
    let fake = fake_upstream().await;
    let claims = good_claims(&fake);
    // Signed by another key under the same kid.
    let other = KeyPair::generate(SigningAlg::Es256).unwrap();
    let forged = other.sign_jwt("k1", None, &claims).unwrap();
    // alg none, empty signature.
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "k1"})),
        b64(&claims)
    );
    // HS256 "signed" with anything.
    let hs = format!(
        "{}.{}.AAAA",
        b64(&json!({"alg": "HS256", "kid": "k1"})),
        b64(&claims)
    );
    // A good token with its payload swapped.
    let good = fake.key.sign_jwt("k1", None, &claims).unwrap();
    let mut parts: Vec<&str> = good.split('.').collect();
    let mut changed = claims.clone();
    changed["sub"] = json!("admin");
    let swapped_payload = b64(&changed);
    parts[1] = &swapped_payload;
    let tampered = parts.join(".");
    // A jku pointing elsewhere is never followed: the key is unknown.
    let jku = format!(
        "{}.{}.AAAA",
        b64(&json!({"alg": "ES256", "kid": "evil", "jku": "http://127.0.0.1:1/jwks"})),
        b64(&claims)
    );
    for (name, token) in [
        ("other key", forged),
        ("none", none),
        ("HS256", hs),
        ("tampered", tampered),
        ("jku", jku),
    ] {
        let result = login_with(&fake, token).await;
        assert!(
            matches!(result, Err(RedirectError::InvalidIdToken(_))),
            "{name}: {result:?}"
        );
    }
}

#[tokio::test]
async fn callback_errors_iss_and_missing_code() {
    let fake = fake_upstream().await;
    let connector = connector(&fake);
    let denied = CallbackParams::from([
        ("error".to_owned(), "access_denied".to_owned()),
        ("error_description".to_owned(), "no".to_owned()),
    ]);
    assert!(matches!(
        connector.callback(&request(), &denied, NOW).await,
        Err(RedirectError::Denied { .. })
    ));
    let other_iss = CallbackParams::from([
        ("code".to_owned(), "c".to_owned()),
        ("iss".to_owned(), "https://other.example".to_owned()),
    ]);
    assert!(matches!(
        connector.callback(&request(), &other_iss, NOW).await,
        Err(RedirectError::InvalidCallback(_))
    ));
    // The metadata says iss is always sent: its absence is refused.
    let no_iss = CallbackParams::from([("code".to_owned(), "c".to_owned())]);
    assert!(matches!(
        connector.callback(&request(), &no_iss, NOW).await,
        Err(RedirectError::InvalidCallback(_))
    ));
    let no_code = CallbackParams::from([("iss".to_owned(), fake.base.clone())]);
    assert!(matches!(
        connector.callback(&request(), &no_code, NOW).await,
        Err(RedirectError::InvalidCallback(_))
    ));
}

#[tokio::test]
async fn authorization_url_has_state_nonce_and_pkce() {
    let fake = fake_upstream().await;
    let url = connector(&fake)
        .authorization_url(&request())
        .await
        .unwrap();
    let url = url::Url::parse(&url).unwrap();
    let params: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "state-1");
    assert_eq!(params["nonce"], NONCE);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"], pkce_challenge(&"v".repeat(43)));
    assert_eq!(params["client_id"], CLIENT);
}

#[tokio::test]
async fn oversize_slow_and_redirecting_answers_are_errors() {
    let fake = fake_upstream().await;
    let upstreams = Upstreams::new(UpstreamsConfig {
        total_timeout: std::time::Duration::from_millis(500),
        ..local_upstreams()
    });
    for path in ["/big", "/slow", "/redirect"] {
        let result = upstreams
            .json(
                path,
                upstreams
                    .client()
                    .unwrap()
                    .get(format!("{}{path}", fake.base)),
                false,
            )
            .await;
        assert!(
            matches!(result, Err(RedirectError::Upstream(_))),
            "{path}: {result:?}"
        );
    }
}

/// The fakes run on loopback, which production refuses (SSRF).
fn local_upstreams() -> UpstreamsConfig {
    UpstreamsConfig {
        policy: crate::outbound::OutboundPolicy::allow_all(),
        ..UpstreamsConfig::default()
    }
}

#[tokio::test]
async fn inner_addresses_are_refused_by_default() {
    let fake = fake_upstream().await;
    let upstreams = Upstreams::new(UpstreamsConfig::default());
    let port = url::Url::parse(&fake.base).unwrap().port().unwrap();
    // An IP literal, a name resolving to loopback, and the metadata address.
    for url in [
        format!("{}/jwks", fake.base),
        format!("http://localhost:{port}/jwks"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ] {
        let result = upstreams
            .json("JWKS", upstreams.client().unwrap().get(&url), false)
            .await;
        match result {
            Err(RedirectError::Upstream(message)) => {
                assert!(
                    message.contains("is a private address; the operator has not allowed it"),
                    "{url}: {message}"
                );
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    // Allowed explicitly, the same request works.
    let local = Upstreams::new(local_upstreams());
    let url = format!("http://localhost:{port}/jwks");
    local
        .json("JWKS", local.client().unwrap().get(&url), false)
        .await
        .unwrap();
    // So does one the operator listed, on that port only.
    let listed = Upstreams::new(UpstreamsConfig {
        policy: crate::outbound::OutboundPolicy::new(
            false,
            crate::outbound::parse_allow_list(&format!("127.0.0.1:{port}")).unwrap(),
            None,
        ),
        ..UpstreamsConfig::default()
    });
    listed
        .json(
            "JWKS",
            listed.client().unwrap().get(format!("{}/jwks", fake.base)),
            false,
        )
        .await
        .unwrap();
    let other_port = format!("http://127.0.0.1:{}/jwks", port.wrapping_add(1));
    assert!(
        listed
            .json("JWKS", listed.client().unwrap().get(&other_port), false)
            .await
            .is_err()
    );
}

#[test]
fn basic_authorization_encodes_the_credentials() {
    assert_eq!(
        oauth2::basic_authorization("a b", "c:d"),
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("a+b:c%3Ad")
        )
    );
}

/// Multi-tenant Entra ID: the issuer is a template filled with the token's
/// own `tid`; a token whose `iss` names another directory is refused.
#[tokio::test]
async fn entra_issuer_is_checked_per_tenant() {
    let fake = fake_upstream().await;
    let template = format!("{}/{{tenantid}}/v2.0", fake.base);
    let upstreams = Arc::new(Upstreams::new(local_upstreams()));
    let connector = OidcConnector::new(
        OidcConfig {
            source: ProviderSource::Manual(Endpoints {
                issuer: template,
                authorization_endpoint: format!("{}/authorize", fake.base),
                token_endpoint: Some(format!("{}/token", fake.base)),
                userinfo_endpoint: None,
                jwks_uri: format!("{}/jwks", fake.base),
                token_endpoint_auth_methods: vec![],
                iss_parameter_supported: false,
            }),
            overrides: Overrides::default(),
            client_id: CLIENT.into(),
            client_secret: Some("secret".into()),
            auth: None,
            flow: Flow::BackChannel,
            scope: vec!["openid".into()],
            algs: DEFAULT_ALGS.to_vec(),
            alternate_issuer: None,
            pkce: true,
            send_nonce: true,
        },
        upstreams,
    );
    let tenant_a = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let tenant_b = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let params = CallbackParams::from([("code".to_owned(), "c".to_owned())]);
    let login_request = request();
    let login = |claims: Value| {
        let token = fake.key.sign_jwt("k1", None, &claims).unwrap();
        *fake.id_token.lock().unwrap() = token;
        connector.callback(&login_request, &params, NOW)
    };
    let mut claims = good_claims(&fake);
    claims["tid"] = json!(tenant_a);
    claims["iss"] = json!(format!("{}/{tenant_a}/v2.0", fake.base));
    let identity = login(claims.clone()).await.unwrap();
    assert_eq!(identity.user_id, "user-1");

    let mut other = claims.clone();
    other["iss"] = json!(format!("{}/{tenant_b}/v2.0", fake.base));
    let literal = {
        let mut c = claims.clone();
        c["iss"] = json!(format!("{}/{{tenantid}}/v2.0", fake.base));
        c
    };
    let no_tid = {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove("tid");
        c
    };
    let bad_tid = {
        let mut c = claims.clone();
        c["tid"] = json!("../evil");
        c
    };
    for (case, claims) in [
        ("another directory's issuer", other),
        ("the template itself", literal),
        ("no tid", no_tid),
        ("malformed tid", bad_tid),
    ] {
        assert!(
            matches!(login(claims).await, Err(RedirectError::InvalidIdToken(_))),
            "{case}"
        );
    }
}

#[tokio::test]
async fn private_key_jwt_sends_a_fresh_signed_assertion() {
    let fake = fake_upstream().await;
    let client_key = KeyPair::generate(SigningAlg::Es256).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(client_key.pkcs8_der())
    );
    let options: crate::options::oidc::OidcOptions = serde_json::from_value(json!({
        "type": "back_channel",
        "client_id": CLIENT,
        "issuer": fake.base,
        "authorization_endpoint": format!("{}/authorize", fake.base),
        "token_endpoint": format!("{}/token", fake.base),
        "jwks_uri": format!("{}/jwks", fake.base),
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "client_assertion_signing_key": pem,
        "client_assertion_signing_kid": "client-key-1",
    }))
    .unwrap();
    let upstreams = Arc::new(Upstreams::new(local_upstreams()));
    let connector = OidcConnector::from_oidc_options(options, upstreams).unwrap();
    let params = CallbackParams::from([("code".to_owned(), "c".to_owned())]);
    for _ in 0..2 {
        let token = fake.key.sign_jwt("k1", None, &good_claims(&fake)).unwrap();
        *fake.id_token.lock().unwrap() = token;
        connector.callback(&request(), &params, NOW).await.unwrap();
    }
    let forms = fake.token_forms.lock().unwrap().clone();
    assert_eq!(forms.len(), 2);
    let public = crypto::PublicKey::from_key_pair(&client_key, "client-key-1").unwrap();
    let token_endpoint = format!("{}/token", fake.base);
    let expected = crypto::Expectations::new(CLIENT, token_endpoint.clone());
    let mut jtis = Vec::new();
    for form in &forms {
        assert_eq!(
            form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        assert_eq!(form["client_id"], CLIENT);
        assert!(!form.contains_key("client_secret"));
        let claims = crypto::verify_jwt(
            &form["client_assertion"],
            std::slice::from_ref(&public),
            &[SigningAlg::Es256],
            &expected,
            NOW,
        )
        .unwrap();
        assert_eq!(claims["sub"], CLIENT);
        assert_eq!(claims["aud"], token_endpoint.as_str());
        jtis.push(claims["jti"].clone());
    }
    assert_ne!(jtis[0], jtis[1], "a fresh jti each time");
}

/// A `waad` connection whose endpoints are all given, with a known issuer,
/// never fetches Microsoft's discovery document (this machine cannot reach
/// it: the authorization URL is built from the options alone).
#[tokio::test]
async fn waad_with_every_endpoint_given_needs_no_discovery() {
    let upstreams = Arc::new(Upstreams::new(UpstreamsConfig::default()));
    let options = serde_json::json!({
        "client_id": "waad-client", "client_secret": "waad-secret",
        "tenant_domain": "contoso.onmicrosoft.com",
        "tenantId": "0b1c2d3e-aaaa-bbbb-cccc-000000000001",
        "authorization_endpoint": "https://idp.test/authorize",
        "token_endpoint": "https://idp.test/token",
        "jwks_uri": "https://idp.test/jwks",
    });
    let options = crate::validate_options(Strategy::Waad, options).expect("valid options");
    let connector = open(Strategy::Waad, &options.into_json(), upstreams).expect("connector");
    let url = connector
        .authorization_url(&request())
        .await
        .expect("no discovery needed");
    assert!(url.starts_with("https://idp.test/authorize?"), "{url}");
}
