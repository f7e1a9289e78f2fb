//! Tenants, their hosts, and deleting a tenant with everything in it.

use super::support::{assert_already_exists, assert_not_found, t};
use crate::fixtures;
use model::{KeyState, LoginExperience, PromptSettings, SigningAlg};
use std::sync::Arc;
use storage::{ClientFilter, ClientGrantFilter, ConnectionFilter, Paging, Storage, UserFilter};

pub async fn tenant_crud(s: Arc<dyn Storage>) {
    let acme = fixtures::tenant("acme");
    s.create_tenant(&acme).await.unwrap();
    s.create_tenant(&fixtures::tenant("beta")).await.unwrap();
    assert_already_exists(s.create_tenant(&acme).await, "tenant");

    assert_eq!(s.get_tenant(&t("acme")).await.unwrap(), Some(acme.clone()));
    assert_eq!(s.get_tenant(&t("nope")).await.unwrap(), None);
    let all = s.list_tenants().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|tenant| tenant.id.as_str()).collect();
    assert_eq!(ids, ["acme", "beta"]);

    let updated = s
        .update_tenant(&t("acme"), &|mut tenant| {
            tenant.friendly_name = "Acme Corp".to_owned();
            Ok(tenant)
        })
        .await
        .unwrap();
    assert_eq!(updated.friendly_name, "Acme Corp");
    assert_eq!(s.get_tenant(&t("acme")).await.unwrap(), Some(updated));

    s.delete_tenant(&t("acme")).await.unwrap();
    assert_eq!(s.get_tenant(&t("acme")).await.unwrap(), None);
    assert_eq!(
        s.get_tenant_by_host("acme.example.com").await.unwrap(),
        None
    );
    assert_not_found(s.delete_tenant(&t("acme")).await);
    assert_not_found(s.update_tenant(&t("acme"), &Ok).await);
}

/// The prompt settings live in the tenant record: an update keeps them,
/// every read path returns them, and other tenants keep their defaults.
pub async fn tenant_prompt_settings_persist(s: Arc<dyn Storage>) {
    s.create_tenant(&fixtures::tenant("acme")).await.unwrap();
    s.create_tenant(&fixtures::tenant("beta")).await.unwrap();
    let settings = PromptSettings {
        universal_login_experience: LoginExperience::Classic,
        identifier_first: true,
        webauthn_platform_first_factor: true,
    };
    let updated = s
        .update_tenant(&t("acme"), &|mut tenant| {
            tenant.prompts = settings;
            Ok(tenant)
        })
        .await
        .unwrap();
    assert_eq!(updated.prompts, settings);
    let read = s.get_tenant(&t("acme")).await.unwrap().unwrap();
    assert_eq!(read.prompts, settings);
    let by_host = s
        .get_tenant_by_host("login.acme.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_host.prompts, settings);
    let beta = s.get_tenant(&t("beta")).await.unwrap().unwrap();
    assert_eq!(beta.prompts, PromptSettings::default());
    assert!(!beta.prompts.identifier_first);
}

pub async fn tenant_host_is_unique(s: Arc<dyn Storage>) {
    let acme = fixtures::tenant("acme");
    s.create_tenant(&acme).await.unwrap();
    assert_eq!(
        s.get_tenant_by_host("login.acme.test").await.unwrap(),
        Some(acme.clone())
    );
    assert_eq!(s.get_tenant_by_host("unknown.test").await.unwrap(), None);

    // A second tenant claiming an existing host is refused, and nothing of it remains.
    let mut beta = fixtures::tenant("beta");
    beta.hosts.push("acme.example.com".to_owned());
    assert_already_exists(s.create_tenant(&beta).await, "tenant host");
    assert_eq!(s.get_tenant(&t("beta")).await.unwrap(), None);
    assert_eq!(
        s.get_tenant_by_host("beta.example.com").await.unwrap(),
        None
    );

    // Taking a host over through an update is refused too.
    s.create_tenant(&fixtures::tenant("beta")).await.unwrap();
    let steal = |mut tenant: model::Tenant| {
        tenant.hosts.push("login.acme.test".to_owned());
        Ok(tenant)
    };
    assert_already_exists(s.update_tenant(&t("beta"), &steal).await, "tenant host");
    assert_eq!(
        s.get_tenant(&t("beta")).await.unwrap(),
        Some(fixtures::tenant("beta"))
    );
    assert_eq!(
        s.get_tenant_by_host("login.acme.test").await.unwrap(),
        Some(acme)
    );
}

pub async fn tenant_hosts_follow_updates(s: Arc<dyn Storage>) {
    s.create_tenant(&fixtures::tenant("acme")).await.unwrap();
    let moved = s
        .update_tenant(&t("acme"), &|mut tenant| {
            tenant.hosts = vec!["id.acme.org".to_owned()];
            Ok(tenant)
        })
        .await
        .unwrap();
    assert_eq!(
        s.get_tenant_by_host("id.acme.org").await.unwrap(),
        Some(moved)
    );
    assert_eq!(
        s.get_tenant_by_host("acme.example.com").await.unwrap(),
        None
    );

    // The released host is free for another tenant.
    let mut beta = fixtures::tenant("beta");
    beta.hosts = vec!["acme.example.com".to_owned()];
    s.create_tenant(&beta).await.unwrap();
    assert_eq!(
        s.get_tenant_by_host("acme.example.com").await.unwrap(),
        Some(beta)
    );
}

pub async fn delete_tenant_removes_everything(s: Arc<dyn Storage>) {
    for name in ["acme", "beta"] {
        s.create_tenant(&fixtures::tenant(name)).await.unwrap();
        s.create_client(&fixtures::client(name, "c1"))
            .await
            .unwrap();
        s.create_connection(&fixtures::connection(name, "con_1", "db"))
            .await
            .unwrap();
        s.set_connection_enabled(&t(name), "con_1", "c1", true)
            .await
            .unwrap();
        s.create_resource_server(&fixtures::resource_server(name, "rs1", "https://api/"))
            .await
            .unwrap();
        s.create_client_grant(&fixtures::client_grant(name, "cgr_1", "c1", "https://api/"))
            .await
            .unwrap();
        s.create_signing_key(&fixtures::signing_key(
            name,
            "k1",
            SigningAlg::Rs256,
            KeyState::Current,
            0,
        ))
        .await
        .unwrap();
        s.create_one_time(&fixtures::one_time(
            name,
            "code",
            "h1",
            fixtures::NOW + 60_000,
        ))
        .await
        .unwrap();
        s.create_user(&fixtures::user(
            name,
            "auth0|u1",
            "con_1",
            "ada@example.com",
        ))
        .await
        .unwrap();
        s.create_session(&fixtures::session(
            name,
            "s1",
            "auth0|u1",
            fixtures::NOW + 60_000,
        ))
        .await
        .unwrap();
        s.create_token(&fixtures::refresh_token(
            name,
            "rt1",
            "f1",
            fixtures::NOW + 60_000,
        ))
        .await
        .unwrap();
        s.create_transaction(&fixtures::transaction(name, "tx1", fixtures::NOW + 60_000))
            .await
            .unwrap();
    }

    s.delete_tenant(&t("acme")).await.unwrap();

    let acme = t("acme");
    let all = Paging::default();
    assert_eq!(s.get_tenant(&acme).await.unwrap(), None);
    assert_eq!(
        s.get_tenant_by_host("acme.example.com").await.unwrap(),
        None
    );
    assert_eq!(s.get_client(&acme, "c1").await.unwrap(), None);
    assert_eq!(
        s.list_clients(&acme, &ClientFilter::default(), &all)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(s.get_connection(&acme, "con_1").await.unwrap(), None);
    assert_eq!(
        s.list_connections(&acme, &ConnectionFilter::default(), &all)
            .await
            .unwrap()
            .total,
        0
    );
    assert!(
        s.list_enabled_clients(&acme, "con_1")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.get_resource_server(&acme, "rs1").await.unwrap(), None);
    assert_eq!(s.get_client_grant(&acme, "cgr_1").await.unwrap(), None);
    assert_eq!(
        s.list_client_grants(&acme, &ClientGrantFilter::default(), &all)
            .await
            .unwrap()
            .total,
        0
    );
    assert!(s.list_signing_keys(&acme).await.unwrap().is_empty());
    assert_eq!(
        s.consume_one_time(&acme, "code", "h1", fixtures::NOW)
            .await
            .unwrap(),
        None
    );
    assert_eq!(s.get_user(&acme, "auth0|u1").await.unwrap(), None);
    assert_eq!(
        s.list_users(&acme, &UserFilter::default(), &all)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        s.get_session(&acme, "s1", fixtures::NOW).await.unwrap(),
        None
    );
    assert_eq!(s.get_token(&acme, "rt1").await.unwrap(), None);
    assert_eq!(
        s.get_transaction(&acme, "tx1", fixtures::NOW)
            .await
            .unwrap(),
        None
    );

    // The other tenant is untouched.
    let beta = t("beta");
    assert!(s.get_tenant(&beta).await.unwrap().is_some());
    assert!(s.get_client(&beta, "c1").await.unwrap().is_some());
    assert_eq!(
        s.list_enabled_clients(&beta, "con_1").await.unwrap(),
        ["c1"]
    );
    assert!(s.get_client_grant(&beta, "cgr_1").await.unwrap().is_some());
    assert_eq!(s.list_signing_keys(&beta).await.unwrap().len(), 1);
    assert!(
        s.consume_one_time(&beta, "code", "h1", fixtures::NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(s.get_user(&beta, "auth0|u1").await.unwrap().is_some());
    assert!(
        s.get_session(&beta, "s1", fixtures::NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(s.get_token(&beta, "rt1").await.unwrap().is_some());
    assert!(
        s.get_transaction(&beta, "tx1", fixtures::NOW)
            .await
            .unwrap()
            .is_some()
    );

    // The tenant's name and hosts can be used again.
    s.create_tenant(&fixtures::tenant("acme")).await.unwrap();
    s.create_client(&fixtures::client("acme", "c1"))
        .await
        .unwrap();
    s.create_user(&fixtures::user(
        "acme",
        "auth0|u1",
        "con_1",
        "ada@example.com",
    ))
    .await
    .unwrap();
}
