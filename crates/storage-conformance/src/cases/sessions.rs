//! SSO sessions and login transactions: expiry on read, optimistic updates,
//! and transactions handed out once.

use super::support::{assert_already_exists, assert_not_found, assert_rejected, t};
use crate::fixtures::{self, NOW};
use std::sync::Arc;
use storage::Storage;

pub async fn session_crud_and_expiry(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let session = fixtures::session("acme", "s1", "auth0|u1", NOW + 10_000);
    s.create_session(&session).await.unwrap();
    assert_already_exists(s.create_session(&session).await, "session");

    assert_eq!(
        s.get_session(&acme, "s1", NOW).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(s.get_session(&acme, "s2", NOW).await.unwrap(), None);
    // Expiry is exclusive and judged by the `now` given.
    assert_eq!(
        s.get_session(&acme, "s1", NOW + 9_999).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        s.get_session(&acme, "s1", NOW + 10_000).await.unwrap(),
        None
    );

    let updated = s
        .update_session(&acme, "s1", &|mut x| {
            x.clients.push("c2".to_owned());
            x.last_active_at = NOW + 5_000;
            x.expires_at = NOW + 20_000;
            Ok(x)
        })
        .await
        .unwrap();
    assert_eq!(updated.clients, ["c1", "c2"]);
    // The new expiry counts.
    assert_eq!(
        s.get_session(&acme, "s1", NOW + 15_000).await.unwrap(),
        Some(updated.clone())
    );

    // sid, id_hash and tenant are fixed.
    assert_rejected(
        s.update_session(&acme, "s1", &|mut x| {
            x.sid = "sid-other".to_owned();
            Ok(x)
        })
        .await,
    );
    assert_rejected(
        s.update_session(&acme, "s1", &|mut x| {
            x.id_hash = "s2".to_owned();
            Ok(x)
        })
        .await,
    );
    assert_rejected(
        s.update_session(&acme, "s1", &|mut x| {
            x.tenant_id = t("beta");
            Ok(x)
        })
        .await,
    );
    assert_eq!(
        s.get_session(&acme, "s1", NOW).await.unwrap(),
        Some(updated)
    );

    s.delete_session(&acme, "s1").await.unwrap();
    assert_eq!(s.get_session(&acme, "s1", NOW).await.unwrap(), None);
    assert_not_found(s.delete_session(&acme, "s1").await);
    assert_not_found(s.update_session(&acme, "s1", &Ok).await);
}

pub async fn delete_user_sessions_counts(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for (hash, user) in [("s1", "auth0|u1"), ("s2", "auth0|u1"), ("s3", "auth0|u2")] {
        s.create_session(&fixtures::session("acme", hash, user, NOW + 60_000))
            .await
            .unwrap();
    }
    s.create_session(&fixtures::session("beta", "s1", "auth0|u1", NOW + 60_000))
        .await
        .unwrap();
    assert_eq!(s.delete_user_sessions(&acme, "auth0|u1").await.unwrap(), 2);
    assert_eq!(s.delete_user_sessions(&acme, "auth0|u1").await.unwrap(), 0);
    assert_eq!(s.get_session(&acme, "s1", NOW).await.unwrap(), None);
    assert!(s.get_session(&acme, "s3", NOW).await.unwrap().is_some());
    assert!(
        s.get_session(&t("beta"), "s1", NOW)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn transaction_crud_and_expiry(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let mut transaction = fixtures::transaction("acme", "tx1", NOW + 10_000);
    transaction.user_id = None;
    transaction.connection = None;
    transaction.auth_time = None;
    s.create_transaction(&transaction).await.unwrap();
    assert_already_exists(
        s.create_transaction(&transaction).await,
        "login transaction",
    );

    assert_eq!(
        s.get_transaction(&acme, "tx1", NOW).await.unwrap(),
        Some(transaction.clone())
    );
    assert_eq!(s.get_transaction(&acme, "tx2", NOW).await.unwrap(), None);
    assert_eq!(
        s.get_transaction(&acme, "tx1", NOW + 10_000).await.unwrap(),
        None
    );

    let updated = s
        .update_transaction(&acme, "tx1", &|mut x| {
            x.user_id = Some("auth0|u1".to_owned());
            x.connection = Some("db".to_owned());
            x.auth_time = Some(NOW + 1);
            Ok(x)
        })
        .await
        .unwrap();
    assert_eq!(
        s.get_transaction(&acme, "tx1", NOW).await.unwrap(),
        Some(updated.clone())
    );
    assert_rejected(
        s.update_transaction(&acme, "tx1", &|mut x| {
            x.id = "tx2".to_owned();
            Ok(x)
        })
        .await,
    );
    assert_not_found(s.update_transaction(&acme, "tx2", &Ok).await);

    // Expired transactions are not handed out, and a failed attempt keeps it.
    assert_eq!(
        s.consume_transaction(&acme, "tx1", NOW + 10_000)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.consume_transaction(&acme, "tx1", NOW).await.unwrap(),
        Some(updated)
    );
    assert_eq!(
        s.consume_transaction(&acme, "tx1", NOW).await.unwrap(),
        None
    );
    assert_eq!(s.get_transaction(&acme, "tx1", NOW).await.unwrap(), None);
}

/// 16 callers race to consume one transaction: exactly one gets it.
pub async fn transaction_consumption_race(s: Arc<dyn Storage>) {
    const RACERS: usize = 16;
    for round in 0..3 {
        let id = format!("tx{round}");
        s.create_transaction(&fixtures::transaction("acme", &id, NOW + 60_000))
            .await
            .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(RACERS));
        let mut tasks = Vec::new();
        for _ in 0..RACERS {
            let (s, start, id) = (s.clone(), start.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                s.consume_transaction(&t("acme"), &id, NOW).await.unwrap()
            }));
        }
        let mut winners = 0;
        for task in futures::future::join_all(tasks).await {
            if task.unwrap().is_some() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "round {round}: exactly one consumer may win");
    }
}
