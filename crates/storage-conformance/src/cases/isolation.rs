//! Missing records and tenant isolation: a record of one tenant can be
//! neither seen, changed nor deleted through another.

use super::support::{assert_not_found, t};
use crate::fixtures;
use model::{KeyState, SigningAlg};
use std::sync::Arc;
use storage::{ClientFilter, ClientGrantFilter, ConnectionFilter, Paging, Storage};

pub async fn missing_records_are_not_found(s: Arc<dyn Storage>) {
    let acme = t("acme");
    assert_not_found(s.update_tenant(&acme, &Ok).await);
    assert_not_found(s.delete_tenant(&acme).await);
    assert_not_found(s.update_client(&acme, "c1", &Ok).await);
    assert_not_found(s.delete_client(&acme, "c1").await);
    assert_not_found(s.update_connection(&acme, "con_1", &Ok).await);
    assert_not_found(s.delete_connection(&acme, "con_1").await);
    assert_not_found(s.update_resource_server(&acme, "rs1", &Ok).await);
    assert_not_found(s.delete_resource_server(&acme, "rs1").await);
    assert_not_found(s.update_client_grant(&acme, "cgr_1", &Ok).await);
    assert_not_found(s.delete_client_grant(&acme, "cgr_1").await);
    assert_not_found(s.revoke_signing_key(&acme, "k1", fixtures::NOW).await);
    assert_not_found(s.set_connection_enabled(&acme, "con_1", "c1", true).await);
    assert_not_found(s.update_user(&acme, "auth0|u1", &Ok).await);
    assert_not_found(s.delete_user(&acme, "auth0|u1").await);
    assert_not_found(s.update_session(&acme, "s1", &Ok).await);
    assert_not_found(s.delete_session(&acme, "s1").await);
    assert_not_found(s.update_transaction(&acme, "tx1", &Ok).await);
    assert_eq!(s.delete_user_sessions(&acme, "auth0|u1").await.unwrap(), 0);
    assert_eq!(
        s.revoke_family(&acme, "f1", fixtures::NOW).await.unwrap(),
        0
    );
    assert_eq!(
        s.rotate_refresh_token(&acme, "rt1", "c1", fixtures::NOW, &[])
            .await
            .unwrap(),
        model::RefreshUse::Invalid
    );
    assert_eq!(
        s.consume_transaction(&acme, "tx1", fixtures::NOW)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.consume_one_time(&acme, "code", "h1", fixtures::NOW)
            .await
            .unwrap(),
        None
    );
}

pub async fn tenant_isolation(s: Arc<dyn Storage>) {
    let (a, b) = (t("acme"), t("beta"));
    s.create_tenant(&fixtures::tenant("acme")).await.unwrap();
    s.create_tenant(&fixtures::tenant("beta")).await.unwrap();
    s.create_client(&fixtures::client("acme", "c1"))
        .await
        .unwrap();
    s.create_connection(&fixtures::connection("acme", "con_1", "db"))
        .await
        .unwrap();
    s.set_connection_enabled(&a, "con_1", "c1", true)
        .await
        .unwrap();
    s.create_resource_server(&fixtures::resource_server("acme", "rs1", "https://api/"))
        .await
        .unwrap();
    s.create_client_grant(&fixtures::client_grant(
        "acme",
        "cgr_1",
        "c1",
        "https://api/",
    ))
    .await
    .unwrap();
    let key = fixtures::signing_key("acme", "k1", SigningAlg::Rs256, KeyState::Next, 0);
    s.create_signing_key(&key).await.unwrap();
    s.create_one_time(&fixtures::one_time(
        "acme",
        "code",
        "h1",
        fixtures::NOW + 60_000,
    ))
    .await
    .unwrap();

    // Invisible through the other tenant.
    let all = Paging::default();
    assert_eq!(s.get_client(&b, "c1").await.unwrap(), None);
    assert_eq!(
        s.list_clients(&b, &ClientFilter::default(), &all)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(s.get_connection(&b, "con_1").await.unwrap(), None);
    assert_eq!(s.get_connection_by_name(&b, "db").await.unwrap(), None);
    assert_eq!(
        s.list_connections(&b, &ConnectionFilter::default(), &all)
            .await
            .unwrap()
            .total,
        0
    );
    assert!(
        s.list_enabled_clients(&b, "con_1")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.list_client_connections(&b, "c1")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.get_resource_server(&b, "rs1").await.unwrap(), None);
    assert_eq!(
        s.get_resource_server_by_identifier(&b, "https://api/")
            .await
            .unwrap(),
        None
    );
    assert_eq!(s.list_resource_servers(&b, &all).await.unwrap().total, 0);
    assert_eq!(s.get_client_grant(&b, "cgr_1").await.unwrap(), None);
    assert_eq!(
        s.list_client_grants(&b, &ClientGrantFilter::default(), &all)
            .await
            .unwrap()
            .total,
        0
    );
    assert!(s.list_signing_keys(&b).await.unwrap().is_empty());
    assert_eq!(
        s.consume_one_time(&b, "code", "h1", fixtures::NOW)
            .await
            .unwrap(),
        None
    );

    // Unchangeable and undeletable through the other tenant.
    assert_not_found(s.update_client(&b, "c1", &Ok).await);
    assert_not_found(s.delete_client(&b, "c1").await);
    assert_not_found(s.update_connection(&b, "con_1", &Ok).await);
    assert_not_found(s.delete_connection(&b, "con_1").await);
    assert_not_found(s.set_connection_enabled(&b, "con_1", "c1", false).await);
    assert_not_found(s.update_resource_server(&b, "rs1", &Ok).await);
    assert_not_found(s.delete_resource_server(&b, "rs1").await);
    assert_not_found(s.update_client_grant(&b, "cgr_1", &Ok).await);
    assert_not_found(s.delete_client_grant(&b, "cgr_1").await);
    assert_not_found(s.revoke_signing_key(&b, "k1", fixtures::NOW).await);
    let next = fixtures::signing_key("beta", "k2", SigningAlg::Rs256, KeyState::Next, 1);
    assert_not_found(
        s.rotate_signing_keys(&b, SigningAlg::Rs256, &next, fixtures::NOW)
            .await,
    );
    s.delete_tenant(&b).await.unwrap();

    // Everything of the first tenant is still there, unchanged.
    assert_eq!(
        s.get_client(&a, "c1").await.unwrap(),
        Some(fixtures::client("acme", "c1"))
    );
    assert_eq!(
        s.get_connection(&a, "con_1").await.unwrap(),
        Some(fixtures::connection("acme", "con_1", "db"))
    );
    assert_eq!(s.list_enabled_clients(&a, "con_1").await.unwrap(), ["c1"]);
    assert_eq!(
        s.get_resource_server(&a, "rs1").await.unwrap(),
        Some(fixtures::resource_server("acme", "rs1", "https://api/"))
    );
    assert_eq!(
        s.get_client_grant(&a, "cgr_1").await.unwrap(),
        Some(fixtures::client_grant(
            "acme",
            "cgr_1",
            "c1",
            "https://api/"
        ))
    );
    assert_eq!(s.list_signing_keys(&a).await.unwrap(), [key]);
    assert!(
        s.consume_one_time(&a, "code", "h1", fixtures::NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(s.get_tenant(&a).await.unwrap().is_some());
}

/// Users, sessions, tokens and login transactions of one tenant can be
/// neither seen, changed, used, consumed nor deleted through another.
pub async fn auth_records_tenant_isolation(s: Arc<dyn Storage>) {
    use model::RefreshUse;
    use storage::UserFilter;
    let (a, b) = (t("acme"), t("beta"));
    let now = fixtures::NOW;
    let user = fixtures::user("acme", "auth0|u1", "con_1", "ada@example.com");
    let session = fixtures::session("acme", "s1", "auth0|u1", now + 60_000);
    let token = fixtures::refresh_token("acme", "rt1", "f1", now + 60_000);
    let transaction = fixtures::transaction("acme", "tx1", now + 60_000);
    s.create_user(&user).await.unwrap();
    s.create_session(&session).await.unwrap();
    s.create_token(&token).await.unwrap();
    s.create_transaction(&transaction).await.unwrap();

    // Invisible through the other tenant.
    assert_eq!(s.get_user(&b, "auth0|u1").await.unwrap(), None);
    assert_eq!(
        s.get_user_by_email(&b, "con_1", "ada@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.get_user_by_username(&b, "con_1", "user_u1")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.list_users(&b, &UserFilter::default(), &Paging::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(s.get_session(&b, "s1", now).await.unwrap(), None);
    assert_eq!(s.get_token(&b, "rt1").await.unwrap(), None);
    assert_eq!(s.get_transaction(&b, "tx1", now).await.unwrap(), None);

    // Unchangeable, unusable and undeletable through the other tenant.
    assert_not_found(s.update_user(&b, "auth0|u1", &Ok).await);
    assert_not_found(s.delete_user(&b, "auth0|u1").await);
    assert_not_found(s.update_session(&b, "s1", &Ok).await);
    assert_not_found(s.delete_session(&b, "s1").await);
    assert_eq!(s.delete_user_sessions(&b, "auth0|u1").await.unwrap(), 0);
    assert_eq!(
        s.rotate_refresh_token(&b, "rt1", "c1", now, &[])
            .await
            .unwrap(),
        RefreshUse::Invalid
    );
    assert_eq!(s.revoke_family(&b, "f1", now).await.unwrap(), 0);
    assert_eq!(
        s.revoke_user_tokens(&b, "auth0|u1", None, now)
            .await
            .unwrap(),
        0
    );
    assert_not_found(s.update_transaction(&b, "tx1", &Ok).await);
    assert_eq!(s.consume_transaction(&b, "tx1", now).await.unwrap(), None);
    s.create_tenant(&fixtures::tenant("beta")).await.unwrap();
    s.delete_tenant(&b).await.unwrap();

    // Everything of the first tenant is still there, unchanged.
    assert_eq!(s.get_user(&a, "auth0|u1").await.unwrap(), Some(user));
    assert_eq!(s.get_session(&a, "s1", now).await.unwrap(), Some(session));
    assert_eq!(s.get_token(&a, "rt1").await.unwrap(), Some(token));
    assert_eq!(
        s.get_transaction(&a, "tx1", now).await.unwrap(),
        Some(transaction.clone())
    );
    assert!(matches!(
        s.rotate_refresh_token(&a, "rt1", "c1", now, &[])
            .await
            .unwrap(),
        RefreshUse::Fresh(_)
    ));
    assert_eq!(
        s.consume_transaction(&a, "tx1", now).await.unwrap(),
        Some(transaction)
    );
}
