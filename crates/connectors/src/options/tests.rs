//! Tests across every strategy, and the helpers and fixtures the
//! per-strategy test modules share.

use super::*;
use serde_json::json;

/// Base64 DER that starts like a certificate (an ASN.1 SEQUENCE).
pub(crate) const TEST_CERT_B64: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A";

/// Validates and returns the normalised JSON, failing the test on error.
pub(crate) fn validate(strategy: Strategy, options: Value) -> Value {
    match validate_options(strategy, options.clone()) {
        Ok(validated) => validated.into_json(),
        Err(err) => panic!("{strategy} rejected {options}: {err}"),
    }
}

/// Asserts that `options` is rejected on exactly `field`.
pub(crate) fn assert_rejected(strategy: Strategy, options: Value, field: &str) {
    match validate_options(strategy, options.clone()) {
        Ok(out) => panic!("{strategy} accepted {options} as {}", out.as_json()),
        Err(err) => assert_eq!(err.field, field, "{strategy} {options}: {err}"),
    }
}

fn social_core() -> Value {
    json!({
        "client_id": "client-123",
        "client_secret": "secret-456",
        "scope": ["openid", "email"],
        "set_user_root_attributes": "on_first_login",
        "non_persistent_attrs": ["ethnicity", "gender"],
        "upstream_params": {
            "prompt": {"value": "consent"},
            "login_hint": {"alias": "login_hint"},
        },
        "strategy_version": 2,
        "authorization_endpoint": "http://127.0.0.1:8081/authorize",
        "token_endpoint": "http://127.0.0.1:8081/token",
        "userinfo_endpoint": "http://localhost:8081/userinfo",
        "jwks_uri": "http://[::1]:8081/jwks",
        "api_base_url": "https://api.example.com/",
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// A realistic options object using every field of the strategy's type (in
/// normalised form, defaults included), so it must round-trip unchanged.
pub(crate) fn full_options(strategy: Strategy) -> Value {
    match strategy {
        Strategy::Auth0 => json!({
            "passwordPolicy": "excellent",
            "password_complexity_options": {"min_length": 12},
            "password_history": {"enable": true, "size": 5},
            "password_dictionary": {"enable": true, "dictionary": ["acme", "vestibule"]},
            "password_no_personal_info": {"enable": true},
            "attributes": {
                "email": {
                    "identifier": {"active": true, "default_method": "password"},
                    "profile_required": true,
                    "signup": {"status": "required", "verification": {"active": true}},
                    "verification_method": "otp",
                    "unique": true,
                },
                "phone_number": {"identifier": {"active": false}, "signup": {"status": "inactive"}},
                "username": {
                    "identifier": {"active": true},
                    "signup": {"status": "optional"},
                    "validation": {
                        "min_length": 3,
                        "max_length": 30,
                        "allowed_types": {"email": false, "phone_number": false},
                    },
                },
            },
            "precedence": ["username", "email", "phone_number"],
            "disable_signup": false,
            "disable_self_service_change_password": false,
            "brute_force_protection": true,
            "enabledDatabaseCustomization": true,
            "import_mode": true,
            "customScripts": {
                "login": "function login(email, password, cb) {}",
                "get_user": "function getByEmail(email, cb) {}",
                "create": "function create(user, cb) {}",
                "verify": "function verify(email, cb) {}",
                "change_password": "function changePassword(email, pw, cb) {}",
                "delete": "function remove(id, cb) {}",
                "change_email": "function changeEmail(e, n, v, cb) {}",
            },
            "configuration": {"db_url": "postgres://legacy", "db_password": "hunter2"},
            "enable_script_context": true,
            "mfa": {"active": true, "return_enroll_settings": true},
            "set_user_root_attributes": "on_each_login",
            "non_persistent_attrs": ["address"],
            "upstream_params": {"screen_hint": {"value": "signup"}},
            "strategy_version": 2,
            "realm_fallback": false,
        }),
        Strategy::GoogleOAuth2 => with(
            social_core(),
            json!({"allowed_audiences": ["ios.example.com"], "email": true, "profile": true, "gmail": false}),
        ),
        Strategy::Github => with(
            social_core(),
            json!({"email": true, "read_user": true, "read_org": true, "profile": true}),
        ),
        Strategy::Facebook => with(
            social_core(),
            json!({"scope": "email,public_profile", "email": true, "public_profile": true,
                   "allow_context_profile_field": false}),
        ),
        Strategy::Linkedin => with(
            social_core(),
            json!({"email": true, "profile": true, "basic_profile": true}),
        ),
        Strategy::WindowsLive => with(
            social_core(),
            json!({"signin": true, "offline_access": true, "graph_user": true}),
        ),
        Strategy::Apple => {
            let mut core = social_core();
            if let Some(core) = core.as_object_mut() {
                core.remove("client_secret");
            }
            with(
                core,
                json!({
                    "app_secret": APPLE_TEST_KEY,
                    "team_id": "TEAM123456",
                    "kid": "KEY1234567",
                    "name": true,
                    "email": true,
                }),
            )
        }
        Strategy::Amazon => with(social_core(), json!({"profile": true, "postal_code": true})),
        Strategy::Bitbucket
        | Strategy::Gitlab
        | Strategy::Twitter
        | Strategy::Discord
        | Strategy::Slack => with(social_core(), json!({"email": true, "profile": true})),
        Strategy::OAuth2 => json!({
            "client_id": "client-123",
            "client_secret": "secret-456",
            "authorizationURL": "https://idp.example/oauth/authorize",
            "tokenURL": "https://idp.example/oauth/token",
            "userInfoURL": "https://idp.example/api/me",
            "scope": "read:user",
            "useOauthSpecScope": true,
            "scripts": {"fetchUserProfile": "function(token, ctx, cb) { cb(null, {}); }"},
            "profile_mapping": {"user_id": "id", "email": "email", "name": "display_name",
                                "picture": "avatar.url"},
            "customHeaders": {"Accept": "application/json"},
            "pkce_enabled": true,
            "icon_url": "https://idp.example/logo.png",
            "set_user_root_attributes": "never_on_login",
            "non_persistent_attrs": ["raw"],
            "upstream_params": {"audience": {"alias": "audience"}},
            "strategy_version": 1,
            "email": true,
        }),
        Strategy::Oidc => json!({
            "type": "back_channel",
            "client_id": "client-123",
            "client_secret": "secret-456",
            "discovery_url": "https://idp.example/.well-known/openid-configuration",
            "issuer": "https://idp.example/",
            "authorization_endpoint": "https://idp.example/authorize",
            "token_endpoint": "https://idp.example/token",
            "userinfo_endpoint": "https://idp.example/userinfo",
            "jwks_uri": "https://idp.example/jwks",
            "scope": "openid profile email",
            "token_endpoint_auth_method": "client_secret_post",
            "token_endpoint_auth_signing_alg": "RS256",
            "client_assertion_signing_key": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
            "client_assertion_signing_kid": "client-key-1",
            "id_token_signed_response_algs": ["RS256", "ES256"],
            "send_back_channel_nonce": true,
            "connection_settings": {"pkce": "S256"},
            "attribute_map": {"mapping_mode": "use_map", "userinfo_scope": "openid email",
                              "attributes": {"nickname": "${context.tokenset.preferred_username}"}},
            "oidc_metadata": {"issuer": "https://idp.example/"},
            "domain_aliases": ["example.com"],
            "tenant_domain": "example.com",
            "icon_url": "https://idp.example/logo.png",
            "set_user_root_attributes": "on_each_login",
            "non_persistent_attrs": ["groups"],
            "upstream_params": {"acr_values": {"alias": "acr_values"}},
            "strategy_version": 1,
        }),
        Strategy::Okta => json!({
            "domain": "acme.okta.com",
            "client_id": "client-123",
            "client_secret": "secret-456",
            "issuer": "https://acme.okta.com",
            "authorization_endpoint": "https://acme.okta.com/oauth2/v1/authorize",
            "token_endpoint": "https://acme.okta.com/oauth2/v1/token",
            "userinfo_endpoint": "https://acme.okta.com/oauth2/v1/userinfo",
            "jwks_uri": "https://acme.okta.com/oauth2/v1/keys",
            "scope": "openid profile email",
            "token_endpoint_auth_method": "client_secret_post",
            "token_endpoint_auth_signing_alg": "RS256",
            "id_token_signed_response_algs": ["RS256"],
            "connection_settings": {"pkce": "auto"},
            "attribute_map": {"mapping_mode": "basic_profile"},
            "oidc_metadata": {"issuer": "https://acme.okta.com"},
            "domain_aliases": ["acme.com"],
            "tenant_domain": "acme.com",
            "icon_url": "https://acme.okta.com/logo.png",
            "set_user_root_attributes": "on_first_login",
            "non_persistent_attrs": ["groups"],
            "upstream_params": {"idp": {"value": "0oa1"}},
            "strategy_version": 1,
        }),
        Strategy::Waad => json!({
            "client_id": "client-123",
            "client_secret": "secret-456",
            "tenant_domain": "contoso.onmicrosoft.com",
            "domain": "contoso.onmicrosoft.com",
            "tenantId": "00000000-0000-0000-0000-000000000000",
            "app_id": "app-1",
            "app_domain": "contoso.auth.example",
            "domain_aliases": ["contoso.com"],
            "icon_url": "https://contoso.com/logo.png",
            "identity_api": "microsoft-identity-platform-v2.0",
            "waad_protocol": "openid-connect",
            "waad_common_endpoint": false,
            "useCommonEndpoint": false,
            "use_wsfed": false,
            "api_enable_users": true,
            "max_groups_to_retrieve": "50",
            "basic_profile": true,
            "ext_profile": true,
            "ext_groups": true,
            "ext_nested_groups": false,
            "ext_admin": false,
            "ext_is_suspended": false,
            "ext_agreed_terms": false,
            "ext_assigned_plans": false,
            "should_trust_email_verified_connection": "never_set_emails_as_verified",
            "userid_attribute": "oid",
            "thumbprints": [],
            "cert_rollover_notification": "admin@contoso.com",
            "granted": true,
            "set_user_root_attributes": "on_each_login",
            "non_persistent_attrs": ["groups"],
            "upstream_params": {"domain_hint": {"value": "contoso.com"}},
            "strategy_version": 2,
            "authorization_endpoint": "http://127.0.0.1:9000/authorize",
            "token_endpoint": "http://127.0.0.1:9000/token",
            "userinfo_endpoint": "http://127.0.0.1:9000/userinfo",
            "jwks_uri": "http://127.0.0.1:9000/keys",
            "api_base_url": "http://127.0.0.1:9000/graph",
        }),
        Strategy::GoogleApps => json!({
            "domain": "example.com",
            "tenant_domain": "example.com",
            "client_id": "client-123",
            "client_secret": "secret-456",
            "domain_aliases": ["example.org"],
            "icon_url": "https://example.com/logo.png",
            "api_enable_users": true,
            "map_user_id_to_id": false,
            "handle_login_from_social": true,
            "basic_profile": true,
            "ext_profile": true,
            "ext_groups": true,
            "ext_is_admin": false,
            "ext_is_suspended": false,
            "ext_agreed_terms": false,
            "set_user_root_attributes": "on_each_login",
            "non_persistent_attrs": [],
            "upstream_params": {"hd": {"value": "example.com"}},
            "strategy_version": 2,
            "authorization_endpoint": "http://localhost:9100/authorize",
            "token_endpoint": "http://localhost:9100/token",
            "userinfo_endpoint": "http://localhost:9100/userinfo",
            "jwks_uri": "http://localhost:9100/certs",
            "api_base_url": "http://localhost:9100/admin",
        }),
        Strategy::Ad => json!({
            "ldap_url": "ldap://dc1.corp.example:389",
            "starttls": true,
            "base_dn": "dc=corp,dc=example",
            "bind_dn": "cn=svc-vestibule,ou=Service,dc=corp,dc=example",
            "bind_password": "bind-secret",
            "user_search_filter": "(&(objectClass=user)(sAMAccountName={username}))",
            "ca_cert_pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "ips": ["10.0.0.0/8", "192.168.1.10", "fd00::/8"],
            "domain_aliases": ["corp.example"],
            "tenant_domain": "corp.example",
            "icon_url": "https://corp.example/logo.png",
            "brute_force_protection": true,
            "disable_cache": false,
            "disable_self_service_change_password": true,
            "certAuth": false,
            "kerberos": false,
            "set_user_root_attributes": "on_each_login",
            "non_persistent_attrs": ["memberOf"],
            "upstream_params": {},
            "strategy_version": 1,
        }),
        Strategy::Samlp => json!({
            "signInEndpoint": "https://idp.example/saml/sso",
            "signOutEndpoint": "https://idp.example/saml/slo",
            "disableSignout": false,
            "signingCert": TEST_CERT_B64,
            "signSAMLRequest": true,
            "signatureAlgorithm": "rsa-sha256",
            "digestAlgorithm": "sha256",
            "protocolBinding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            "requestTemplate": "<samlp:AuthnRequest/>",
            "fieldsMap": {"email": "mail", "groups": ["memberOf", "groups"]},
            "user_id_attribute": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
            "idpinitiated": {"enabled": true, "client_id": "app-1", "client_protocol": "oauth2",
                             "client_authorizequery": "response_type=code&scope=openid"},
            "metadataUrl": "https://idp.example/saml/metadata",
            "metadataXml": "<EntityDescriptor/>",
            "entityId": "urn:vestibule:acme",
            "signing_key": {"key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
                            "cert": TEST_CERT_B64},
            "decryptionKey": {"key": "-----BEGIN PRIVATE KEY-----\nMIIF\n-----END PRIVATE KEY-----\n",
                              "cert": TEST_CERT_B64},
            "debug": false,
            "cert_rollover_notification": "admin@example.com",
            "domain_aliases": ["example.com"],
            "tenant_domain": "example.com",
            "icon_url": "https://idp.example/logo.png",
            "set_user_root_attributes": "on_first_login",
            "non_persistent_attrs": ["groups"],
            "upstream_params": {"RelayState": {"value": "x"}},
            "strategy_version": 2,
        }),
        Strategy::PingFederate => json!({
            "pingFederateBaseUrl": "https://ping.example:9031",
            "signingCert": TEST_CERT_B64,
            "signSAMLRequest": true,
            "signatureAlgorithm": "rsa-sha256",
            "digestAlgorithm": "sha256",
            "idpinitiated": {"enabled": false},
            "domain_aliases": ["example.com"],
            "tenant_domain": "example.com",
            "icon_url": "https://ping.example/logo.png",
            "set_user_root_attributes": "on_each_login",
            "non_persistent_attrs": [],
            "upstream_params": {},
            "strategy_version": 1,
        }),
        Strategy::Adfs => json!({
            "adfs_server": "https://adfs.example/FederationMetadata/2007-06/FederationMetadata.xml",
            "fedMetadataXml": "<EntityDescriptor/>",
            "signInEndpoint": "https://adfs.example/adfs/ls/",
            "thumbprints": ["0123456789abcdef0123456789abcdef01234567"],
            "prev_thumbprints": [],
            "entityID": "urn:vestibule:acme",
            "api_enable_users": false,
            "should_trust_email_verified_connection": "always_set_emails_as_verified",
            "cert_rollover_notification": "admin@example.com",
            "domain_aliases": ["example.com"],
            "tenant_domain": "example.com",
            "icon_url": "https://adfs.example/logo.png",
            "set_user_root_attributes": "on_each_login",
            "non_persistent_attrs": [],
            "upstream_params": {},
            "strategy_version": 1,
        }),
        Strategy::Email => json!({
            "name": "email",
            "email": {
                "from": "{{ application.name }} <login@acme.example>",
                "subject": "Your code",
                "syntax": "liquid",
                "body": "<p>Your code is {{ code }}</p>",
            },
            "totp": {"time_step": 300, "length": 8},
            "authParams": {"scope": "openid email"},
            "disable_signup": true,
            "brute_force_protection": true,
            "set_user_root_attributes": "on_first_login",
            "non_persistent_attrs": [],
            "upstream_params": {},
        }),
        Strategy::Sms => json!({
            "name": "sms",
            "provider": "sms_gateway",
            "twilio_sid": "AC123",
            "twilio_token": "twilio-secret",
            "from": "+15550100",
            "messaging_service_sid": "MG123",
            "syntax": "md_with_macros",
            "template": "Your code is @@password@@",
            "totp": {"time_step": 180, "length": 6},
            "authParams": {},
            "gateway_url": "https://sms.example/send",
            "gateway_authentication": {"method": "bearer", "subject": "vestibule",
                                       "audience": "https://sms.example", "secret": "gw-secret",
                                       "secret_base64_encoded": false},
            "forward_req_info": true,
            "disable_signup": false,
            "brute_force_protection": true,
            "upstream_params": {},
        }),
    }
}

#[test]
fn every_strategy_accepts_its_full_options_unchanged() {
    for &strategy in Strategy::ALL {
        let full = full_options(strategy);
        assert_eq!(validate(strategy, full.clone()), full, "{strategy}");
    }
}

#[test]
fn every_secret_pointer_resolves_in_the_full_options() {
    for &strategy in Strategy::ALL {
        let out = validate(strategy, full_options(strategy));
        for pointer in secret_fields(strategy) {
            assert!(
                out.pointer(pointer).is_some(),
                "{strategy}: secret pointer {pointer} missing from normalised options"
            );
        }
    }
}

#[test]
fn secret_values_never_appear_in_debug_output() {
    let options: social::GithubOptions =
        serde_json::from_value(json!({"client_secret": "do-not-log"})).unwrap();
    assert!(!format!("{options:?}").contains("do-not-log"));
    let options: database::DatabaseOptions =
        serde_json::from_value(json!({"configuration": {"k": "do-not-log"}})).unwrap();
    assert!(!format!("{options:?}").contains("do-not-log"));
}

#[test]
fn a_mistyped_field_names_the_field() {
    for strategy in [
        Strategy::Auth0,
        Strategy::Ad,
        Strategy::Email,
        Strategy::Sms,
    ] {
        let mut options = full_options(strategy);
        options["brute_force_protection"] = json!("yes");
        let err = validate_options(strategy, options).unwrap_err();
        assert_eq!(err.field, "options.brute_force_protection", "{strategy}");
        assert!(err.message.contains("expected a boolean"), "{err}");
    }
}

#[test]
fn an_unknown_field_is_reported_by_name_for_every_strategy() {
    for &strategy in Strategy::ALL {
        let mut options = full_options(strategy);
        options["frobnicate"] = json!(true);
        let err = validate_options(strategy, options).unwrap_err();
        assert_eq!(err.field, "options.frobnicate", "{strategy}");
        assert_eq!(err.message, "unknown field `frobnicate`");
    }
}

#[test]
fn options_must_be_an_object_and_null_means_empty() {
    let err = validate_options(Strategy::Github, json!(["x"])).unwrap_err();
    assert_eq!(err.field, "options");
    assert_eq!(
        validate_options(Strategy::Github, Value::Null)
            .unwrap()
            .into_json(),
        json!({})
    );
}

#[test]
fn defaults_are_valid_options_for_strategies_without_requirements() {
    for strategy in [
        Strategy::Auth0,
        Strategy::Email,
        Strategy::GoogleOAuth2,
        Strategy::Apple,
    ] {
        assert_eq!(
            validate(strategy, json!({})),
            default_options(strategy),
            "{strategy}"
        );
    }
}

#[test]
fn defaults_are_objects_accepted_by_the_options_type() {
    // Every default key must be a field the typed struct knows.
    for &strategy in Strategy::ALL {
        let defaults = default_options(strategy);
        assert!(defaults.is_object(), "{strategy}");
        let mut options = full_options(strategy);
        if let (Some(options), Some(defaults)) = (options.as_object_mut(), defaults.as_object()) {
            for key in defaults.keys() {
                options.remove(key);
            }
        }
        let out = validate(strategy, options);
        for (key, value) in defaults.as_object().into_iter().flatten() {
            assert_eq!(out.get(key), Some(value), "{strategy} default {key}");
        }
    }
}

#[test]
fn error_display_is_field_then_message() {
    let err = OptionsError::at("client_id", "is required");
    assert_eq!(err.to_string(), "options.client_id: is required");
}

/// The smallest options object each strategy accepts.
fn minimal_options(strategy: Strategy) -> Value {
    match strategy {
        Strategy::Auth0 | Strategy::Email => json!({}),
        Strategy::GoogleOAuth2
        | Strategy::Github
        | Strategy::Facebook
        | Strategy::Linkedin
        | Strategy::WindowsLive
        | Strategy::Apple
        | Strategy::Amazon
        | Strategy::Bitbucket
        | Strategy::Gitlab
        | Strategy::Twitter
        | Strategy::Discord
        | Strategy::Slack => json!({}),
        Strategy::OAuth2 => json!({
            "client_id": "c",
            "authorizationURL": "https://idp.example/authorize",
            "tokenURL": "https://idp.example/token",
            "scripts": {"fetchUserProfile": "function(t, c, cb) {}"},
        }),
        Strategy::Oidc => json!({"client_id": "c", "discovery_url": "https://idp.example/"}),
        Strategy::Okta => {
            json!({"domain": "acme.okta.com", "client_id": "c", "client_secret": "s"})
        }
        Strategy::Waad => {
            json!({"client_id": "c", "client_secret": "s", "tenant_domain": "contoso.com"})
        }
        Strategy::GoogleApps => json!({"domain": "example.com"}),
        Strategy::Ad => json!({"ldap_url": "ldaps://dc.corp.example"}),
        Strategy::Samlp => json!({"metadataUrl": "https://idp.example/metadata"}),
        Strategy::PingFederate => {
            json!({"pingFederateBaseUrl": "https://ping.example", "signingCert": TEST_CERT_B64})
        }
        Strategy::Adfs => json!({"fedMetadataXml": "<EntityDescriptor/>"}),
        Strategy::Sms => json!({"twilio_sid": "AC1", "twilio_token": "t", "from": "+15550100"}),
    }
}

#[test]
fn every_strategy_accepts_minimal_options_plus_its_defaults() {
    for &strategy in Strategy::ALL {
        let minimal = minimal_options(strategy);
        let out = validate(strategy, minimal.clone());
        let mut expected = minimal;
        if let (Some(expected), Value::Object(defaults)) =
            (expected.as_object_mut(), default_options(strategy))
        {
            for (key, value) in defaults {
                expected.entry(key).or_insert(value);
            }
        }
        assert_eq!(out, expected, "{strategy}");
    }
}

#[test]
fn an_unknown_map_key_is_named() {
    let err = validate_options(
        Strategy::Auth0,
        json!({"precedence": ["email", "username", "phone_number"], "attributes": {"fax": {}}}),
    )
    .unwrap_err();
    assert_eq!(err.field, "options.attributes.fax");
}

/// A P-256 PKCS#8 key, as Apple's `.p8` files are (tests only).
pub(crate) const APPLE_TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKDm+xnWHsLLVqLU1
NqpwCWMlrftgv6USFxfGWTaNRJehRANCAATFegE+hFxVXNj+Xc8Psxx415yDc7fH
RuyKm5G3gj7hx7OqC34/bU1949lWHrGmacOKd1q71YO2x3uEulo27I6N
-----END PRIVATE KEY-----
";
