//! Single-use records, garbage collection, and the storage's own health.

use super::support::{assert_already_exists, t};
use crate::fixtures::{self, NOW};
use std::sync::Arc;
use storage::Storage;

pub async fn one_time_is_consumed_once(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let record = fixtures::one_time("acme", "authorization_code", "h1", NOW + 60_000);
    s.create_one_time(&record).await.unwrap();
    assert_already_exists(s.create_one_time(&record).await, "one-time record");
    // Same hash under another kind or tenant is another record.
    s.create_one_time(&fixtures::one_time("acme", "ticket", "h1", NOW + 60_000))
        .await
        .unwrap();
    s.create_one_time(&fixtures::one_time(
        "beta",
        "authorization_code",
        "h1",
        NOW + 60_000,
    ))
    .await
    .unwrap();

    assert_eq!(
        s.consume_one_time(&acme, "authorization_code", "h1", NOW)
            .await
            .unwrap(),
        Some(record)
    );
    assert_eq!(
        s.consume_one_time(&acme, "authorization_code", "h1", NOW)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.consume_one_time(&acme, "authorization_code", "other", NOW)
            .await
            .unwrap(),
        None
    );
    assert!(
        s.consume_one_time(&acme, "ticket", "h1", NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.consume_one_time(&t("beta"), "authorization_code", "h1", NOW)
            .await
            .unwrap()
            .is_some()
    );
}

/// 16 callers race for one record: exactly one gets it.
pub async fn one_time_consumption_race(s: Arc<dyn Storage>) {
    const RACERS: usize = 16;
    for round in 0..3 {
        let hash = format!("race{round}");
        s.create_one_time(&fixtures::one_time("acme", "code", &hash, NOW + 60_000))
            .await
            .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(RACERS));
        let mut tasks = Vec::new();
        for _ in 0..RACERS {
            let (s, start, hash) = (s.clone(), start.clone(), hash.clone());
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                s.consume_one_time(&t("acme"), "code", &hash, NOW)
                    .await
                    .unwrap()
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

pub async fn expired_one_time_is_not_consumable(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_one_time(&fixtures::one_time("acme", "code", "h1", NOW + 1_000))
        .await
        .unwrap();
    // Expiry is exclusive: at the expiry instant the record is already gone.
    assert_eq!(
        s.consume_one_time(&acme, "code", "h1", NOW + 1_000)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.consume_one_time(&acme, "code", "h1", NOW + 5_000)
            .await
            .unwrap(),
        None
    );
    // Expiry is judged by the `now` given: failed attempts did not remove it.
    assert!(
        s.consume_one_time(&acme, "code", "h1", NOW + 999)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn garbage_collect_removes_expired(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for (tenant, hash, expires_at) in [
        ("acme", "old1", NOW - 1),
        ("acme", "old2", NOW),
        ("beta", "old3", NOW - 10),
        ("acme", "fresh", NOW + 1),
    ] {
        s.create_one_time(&fixtures::one_time(tenant, "code", hash, expires_at))
            .await
            .unwrap();
    }
    assert_eq!(s.garbage_collect(NOW).await.unwrap(), 3);
    assert_eq!(s.garbage_collect(NOW).await.unwrap(), 0);
    assert!(
        s.consume_one_time(&acme, "code", "fresh", NOW)
            .await
            .unwrap()
            .is_some()
    );
    // Collected records can be created again.
    s.create_one_time(&fixtures::one_time("acme", "code", "old1", NOW + 10))
        .await
        .unwrap();
}

pub async fn ping_and_backend_name(s: Arc<dyn Storage>) {
    s.ping().await.unwrap();
    assert!(!s.backend_name().is_empty());
    assert!(
        s.backend_name()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
}

/// Garbage collection sweeps expired transactions and sessions, and tokens
/// once both they and their family have expired, in every tenant; live
/// records stay.
pub async fn garbage_collect_sweeps_sessions_tokens_transactions(s: Arc<dyn Storage>) {
    use model::TokenKind;
    let acme = t("acme");
    // One-time: 1 expired.
    s.create_one_time(&fixtures::one_time("acme", "code", "old", NOW))
        .await
        .unwrap();
    s.create_one_time(&fixtures::one_time("acme", "code", "live", NOW + 1))
        .await
        .unwrap();
    // Transactions: 2 expired.
    for (tenant, id, expires_at) in [
        ("acme", "tx-old", NOW - 1),
        ("beta", "tx-old", NOW),
        ("acme", "tx-live", NOW + 1),
    ] {
        s.create_transaction(&fixtures::transaction(tenant, id, expires_at))
            .await
            .unwrap();
    }
    // Sessions: 2 expired.
    for (tenant, hash, expires_at) in [
        ("acme", "s-old", NOW),
        ("beta", "s-old", NOW - 5),
        ("acme", "s-live", NOW + 1),
    ] {
        s.create_session(&fixtures::session(tenant, hash, "auth0|u1", expires_at))
            .await
            .unwrap();
    }
    // Tokens: 2 collectable (token and family both over); a token whose
    // family lives on, and a live token, stay.
    let mut gone = fixtures::refresh_token("acme", "rt-gone", "f1", NOW - 10);
    gone.family_expires_at = NOW;
    s.create_token(&gone).await.unwrap();
    let mut access = fixtures::token(
        "beta",
        "at-gone",
        TokenKind::Access,
        "f2",
        "auth0|u1",
        "c1",
        NOW,
    );
    access.family_expires_at = NOW;
    s.create_token(&access).await.unwrap();
    let mut family_lives = fixtures::refresh_token("acme", "rt-used", "f1", NOW - 10);
    family_lives.family_expires_at = NOW + 1;
    s.create_token(&family_lives).await.unwrap();
    s.create_token(&fixtures::refresh_token("acme", "rt-live", "f3", NOW + 1))
        .await
        .unwrap();

    assert_eq!(s.garbage_collect(NOW).await.unwrap(), 1 + 2 + 2 + 2);
    assert_eq!(s.garbage_collect(NOW).await.unwrap(), 0);

    assert_eq!(s.get_token(&acme, "rt-gone").await.unwrap(), None);
    assert_eq!(s.get_token(&t("beta"), "at-gone").await.unwrap(), None);
    assert!(s.get_token(&acme, "rt-used").await.unwrap().is_some());
    assert!(s.get_token(&acme, "rt-live").await.unwrap().is_some());
    assert!(s.get_session(&acme, "s-live", NOW).await.unwrap().is_some());
    assert!(
        s.get_transaction(&acme, "tx-live", NOW)
            .await
            .unwrap()
            .is_some()
    );
    // Collected records can be created again.
    s.create_session(&fixtures::session("acme", "s-old", "auth0|u1", NOW + 10))
        .await
        .unwrap();
    s.create_transaction(&fixtures::transaction("acme", "tx-old", NOW + 10))
        .await
        .unwrap();
    s.create_token(&fixtures::refresh_token("acme", "rt-gone", "f1", NOW + 10))
        .await
        .unwrap();

    // Later, the rest goes too.
    assert_eq!(
        s.garbage_collect(NOW + 3_600_000 + 20).await.unwrap(),
        1 + 2 + 2 + 3
    );
}

/// A record with a subject replaces the older ones of its kind and subject,
/// and only those: other subjects, kinds, tenants and subject-less records
/// stay.
pub async fn one_time_with_a_subject_replaces_older_ones(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let with = |tenant: &str, kind: &str, hash: &str, subject: Option<&str>| {
        let mut record = fixtures::one_time(tenant, kind, hash, NOW + 60_000);
        record.subject = subject.map(str::to_owned);
        record
    };
    let older = with("acme", "reset", "h1", Some("auth0|1"));
    s.create_one_time(&older).await.unwrap();
    for record in [
        with("acme", "reset", "h2", Some("auth0|2")),
        with("acme", "verify", "h3", Some("auth0|1")),
        with("beta", "reset", "h4", Some("auth0|1")),
        with("acme", "reset", "h5", None),
    ] {
        s.create_one_time(&record).await.unwrap();
    }
    let newer = with("acme", "reset", "h6", Some("auth0|1"));
    s.create_one_time(&newer).await.unwrap();
    assert_eq!(
        s.get_one_time(&acme, "reset", "h1", NOW).await.unwrap(),
        None
    );
    assert_eq!(
        s.consume_one_time(&acme, "reset", "h6", NOW).await.unwrap(),
        Some(newer)
    );
    for (tenant, kind, hash) in [
        ("acme", "reset", "h2"),
        ("acme", "verify", "h3"),
        ("beta", "reset", "h4"),
        ("acme", "reset", "h5"),
    ] {
        assert!(
            s.get_one_time(&t(tenant), kind, hash, NOW)
                .await
                .unwrap()
                .is_some(),
            "{tenant} {kind} {hash} kept"
        );
    }
    // A key hash already stored (for another subject) is still a duplicate,
    // and the live record stays.
    let again = with("acme", "reset", "h2", Some("auth0|9"));
    assert_already_exists(s.create_one_time(&again).await, "one-time record");
    assert!(
        s.get_one_time(&acme, "reset", "h2", NOW)
            .await
            .unwrap()
            .is_some()
    );
}
