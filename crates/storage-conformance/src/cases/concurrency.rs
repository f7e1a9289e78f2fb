//! The `update_*` contract: refusals change nothing, identity fields are
//! fixed, and concurrent closures are all applied (none is lost).

use super::support::{Refusal, assert_rejected, refuse, t};
use crate::fixtures;
use model::{KeyState, SigningAlg, TenantId};
use std::sync::Arc;
use storage::{Storage, StorageError};

pub async fn rejected_update_leaves_record_unchanged(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_tenant(&fixtures::tenant("acme")).await.unwrap();
    s.create_client(&fixtures::client("acme", "c1"))
        .await
        .unwrap();
    s.create_connection(&fixtures::connection("acme", "con_1", "db"))
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

    // The closure's own error comes back unchanged.
    match s.update_client(&acme, "c1", &refuse).await {
        Err(StorageError::Rejected(source)) => assert!(source.is::<Refusal>()),
        other => panic!("expected the closure's rejection, got {other:?}"),
    }
    assert_rejected(s.update_tenant(&acme, &refuse).await);
    assert_rejected(s.update_connection(&acme, "con_1", &refuse).await);
    assert_rejected(s.update_resource_server(&acme, "rs1", &refuse).await);
    assert_rejected(s.update_client_grant(&acme, "cgr_1", &refuse).await);
    let other_error = |_| Err(StorageError::Conflict);
    assert!(matches!(
        s.update_client(&acme, "c1", &other_error).await,
        Err(StorageError::Conflict)
    ));

    assert_eq!(
        s.get_tenant(&acme).await.unwrap(),
        Some(fixtures::tenant("acme"))
    );
    assert_eq!(
        s.get_client(&acme, "c1").await.unwrap(),
        Some(fixtures::client("acme", "c1"))
    );
    assert_eq!(
        s.get_connection(&acme, "con_1").await.unwrap(),
        Some(fixtures::connection("acme", "con_1", "db"))
    );
    assert_eq!(
        s.get_resource_server(&acme, "rs1").await.unwrap(),
        Some(fixtures::resource_server("acme", "rs1", "https://api/"))
    );
    assert_eq!(
        s.get_client_grant(&acme, "cgr_1").await.unwrap(),
        Some(fixtures::client_grant(
            "acme",
            "cgr_1",
            "c1",
            "https://api/"
        ))
    );
}

pub async fn identity_change_is_rejected(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let other = || TenantId::new("beta");
    s.create_tenant(&fixtures::tenant("acme")).await.unwrap();
    s.create_client(&fixtures::client("acme", "c1"))
        .await
        .unwrap();
    s.create_connection(&fixtures::connection("acme", "con_1", "db"))
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

    assert_rejected(
        s.update_tenant(&acme, &|mut x| {
            x.id = other();
            Ok(x)
        })
        .await,
    );
    assert_rejected(
        s.update_client(&acme, "c1", &|mut x| {
            x.client_id = "c2".to_owned();
            Ok(x)
        })
        .await,
    );
    assert_rejected(
        s.update_client(&acme, "c1", &|mut x| {
            x.tenant_id = other();
            Ok(x)
        })
        .await,
    );
    assert_rejected(
        s.update_connection(&acme, "con_1", &|mut x| {
            x.id = "con_2".to_owned();
            Ok(x)
        })
        .await,
    );
    assert_rejected(
        s.update_connection(&acme, "con_1", &|mut x| {
            x.tenant_id = other();
            Ok(x)
        })
        .await,
    );
    assert_rejected(
        s.update_resource_server(&acme, "rs1", &|mut x| {
            x.id = "rs2".to_owned();
            Ok(x)
        })
        .await,
    );
    assert_rejected(
        s.update_client_grant(&acme, "cgr_1", &|mut x| {
            x.tenant_id = other();
            Ok(x)
        })
        .await,
    );
    assert_rejected(
        s.update_client_grant(&acme, "cgr_1", &|mut x| {
            x.id = "cgr_2".to_owned();
            Ok(x)
        })
        .await,
    );

    // Nothing moved, nothing was copied.
    assert_eq!(
        s.get_client(&acme, "c1").await.unwrap(),
        Some(fixtures::client("acme", "c1"))
    );
    assert_eq!(s.get_client(&acme, "c2").await.unwrap(), None);
    assert_eq!(s.get_client(&other(), "c1").await.unwrap(), None);
    assert_eq!(s.get_connection(&acme, "con_2").await.unwrap(), None);
    assert_eq!(s.get_resource_server(&acme, "rs2").await.unwrap(), None);
    assert_eq!(s.get_client_grant(&other(), "cgr_1").await.unwrap(), None);
    assert_eq!(s.get_tenant(&other()).await.unwrap(), None);
    assert_eq!(
        s.get_tenant(&acme).await.unwrap(),
        Some(fixtures::tenant("acme"))
    );

    // Signing keys are revoked, never re-keyed, so `rotate` refuses a new key
    // of another tenant or algorithm.
    s.create_signing_key(&fixtures::signing_key(
        "acme",
        "k1",
        SigningAlg::Rs256,
        KeyState::Next,
        0,
    ))
    .await
    .unwrap();
    let foreign = fixtures::signing_key("beta", "k2", SigningAlg::Rs256, KeyState::Next, 1);
    assert_rejected(
        s.rotate_signing_keys(&acme, SigningAlg::Rs256, &foreign, fixtures::NOW)
            .await,
    );
    let other_alg = fixtures::signing_key("acme", "k2", SigningAlg::Es256, KeyState::Next, 1);
    assert_rejected(
        s.rotate_signing_keys(&acme, SigningAlg::Rs256, &other_alg, fixtures::NOW)
            .await,
    );
    assert_eq!(s.list_signing_keys(&acme).await.unwrap().len(), 1);
}

/// 20 writers each append one callback to the same client at once; the
/// closures may rerun, but every callback must be there at the end.
pub async fn concurrent_updates_are_all_applied(s: Arc<dyn Storage>) {
    const WRITERS: usize = 20;
    let mut client = fixtures::client("acme", "c1");
    client.callbacks.clear();
    s.create_client(&client).await.unwrap();

    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let callback = format!("https://app.example.com/cb/{writer}");
            s.update_client(&t("acme"), "c1", &|mut c| {
                c.callbacks.push(callback.clone());
                Ok(c)
            })
            .await
            .unwrap();
        }));
    }
    for task in futures::future::join_all(tasks).await {
        task.unwrap();
    }

    let stored = s.get_client(&t("acme"), "c1").await.unwrap().unwrap();
    let mut callbacks = stored.callbacks.clone();
    callbacks.sort();
    let mut expected: Vec<String> = (0..WRITERS)
        .map(|writer| format!("https://app.example.com/cb/{writer}"))
        .collect();
    expected.sort();
    assert_eq!(callbacks, expected);
}
