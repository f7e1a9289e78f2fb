//! Signing keys: one live key per state, rotation, revocation.

use super::support::{assert_already_exists, assert_not_found, t};
use crate::fixtures::{self, NOW};
use model::{KeyState, SigningAlg, SigningKey};
use std::sync::Arc;
use storage::Storage;

fn state_of(keys: &[SigningKey], kid: &str) -> KeyState {
    keys.iter()
        .find(|key| key.kid == kid)
        .unwrap_or_else(|| panic!("key {kid} is missing"))
        .state
}

pub async fn signing_key_crud_and_revoke(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let rs = SigningAlg::Rs256;
    let later = fixtures::signing_key("acme", "k2", rs, KeyState::Next, 10);
    let first = fixtures::signing_key("acme", "k1", rs, KeyState::Current, 0);
    let other_alg = fixtures::signing_key("acme", "e1", SigningAlg::EdDsa, KeyState::Current, 5);
    s.create_signing_key(&later).await.unwrap();
    s.create_signing_key(&first).await.unwrap();
    s.create_signing_key(&other_alg).await.unwrap();
    // Ordered by creation, whatever the order of insertion.
    assert_eq!(
        s.list_signing_keys(&acme).await.unwrap(),
        [first.clone(), other_alg.clone(), later.clone()]
    );

    let revoked = s.revoke_signing_key(&acme, "k1", NOW + 5).await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    assert_eq!(revoked.revoked_at, Some(NOW + 5));
    assert_eq!(revoked.public_jwk, first.public_jwk);
    let again = s.revoke_signing_key(&acme, "k1", NOW + 9).await.unwrap();
    assert_eq!(
        again.revoked_at,
        Some(NOW + 5),
        "revoking twice keeps the first time"
    );
    assert_eq!(
        s.list_signing_keys(&acme).await.unwrap(),
        [revoked, other_alg, later]
    );

    // With the current key revoked, a new current key fits again.
    s.create_signing_key(&fixtures::signing_key(
        "acme",
        "k3",
        rs,
        KeyState::Current,
        20,
    ))
    .await
    .unwrap();
    assert_not_found(s.revoke_signing_key(&acme, "missing", NOW).await);
}

pub async fn signing_key_states_are_unique(s: Arc<dyn Storage>) {
    let rs = SigningAlg::Rs256;
    s.create_signing_key(&fixtures::signing_key("acme", "k1", rs, KeyState::Next, 0))
        .await
        .unwrap();
    assert_already_exists(
        s.create_signing_key(&fixtures::signing_key("acme", "k2", rs, KeyState::Next, 1))
            .await,
        "signing key",
    );
    assert_already_exists(
        s.create_signing_key(&fixtures::signing_key(
            "acme",
            "k1",
            rs,
            KeyState::Current,
            1,
        ))
        .await,
        "signing key",
    );
    // Other states, other algorithms, other tenants, and any number of revoked keys fit.
    for (tenant, kid, alg, state) in [
        ("acme", "k2", rs, KeyState::Current),
        ("acme", "k3", rs, KeyState::Previous),
        ("acme", "k4", rs, KeyState::Revoked),
        ("acme", "k5", rs, KeyState::Revoked),
        ("acme", "e1", SigningAlg::Es256, KeyState::Next),
        ("beta", "k1", rs, KeyState::Next),
    ] {
        s.create_signing_key(&fixtures::signing_key(tenant, kid, alg, state, 2))
            .await
            .unwrap();
    }
    assert_already_exists(
        s.create_signing_key(&fixtures::signing_key(
            "acme",
            "k6",
            rs,
            KeyState::Previous,
            3,
        ))
        .await,
        "signing key",
    );
    assert_eq!(s.list_signing_keys(&t("acme")).await.unwrap().len(), 6);
}

pub async fn signing_key_rotation(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let rs = SigningAlg::Rs256;
    s.create_signing_key(&fixtures::signing_key(
        "acme",
        "k1",
        rs,
        KeyState::Current,
        0,
    ))
    .await
    .unwrap();
    s.create_signing_key(&fixtures::signing_key("acme", "k2", rs, KeyState::Next, 1))
        .await
        .unwrap();
    s.create_signing_key(&fixtures::signing_key(
        "acme",
        "e1",
        SigningAlg::Es256,
        KeyState::Next,
        2,
    ))
    .await
    .unwrap();

    // The new key's state is whatever the caller left in it: it is stored as next.
    let k3 = fixtures::signing_key("acme", "k3", rs, KeyState::Current, 100);
    s.rotate_signing_keys(&acme, rs, &k3, NOW + 100)
        .await
        .unwrap();
    let keys = s.list_signing_keys(&acme).await.unwrap();
    assert_eq!(state_of(&keys, "k1"), KeyState::Previous);
    assert_eq!(state_of(&keys, "k2"), KeyState::Current);
    assert_eq!(state_of(&keys, "k3"), KeyState::Next);
    assert_eq!(state_of(&keys, "e1"), KeyState::Next);
    let k1 = keys.iter().find(|k| k.kid == "k1").unwrap();
    assert_eq!(k1.current_until, Some(NOW + 100));
    let k2 = keys.iter().find(|k| k.kid == "k2").unwrap();
    assert_eq!(k2.current_since, Some(NOW + 100));
    assert_eq!(k2.current_until, None);

    let k4 = fixtures::signing_key("acme", "k4", rs, KeyState::Next, 200);
    s.rotate_signing_keys(&acme, rs, &k4, NOW + 200)
        .await
        .unwrap();
    let keys = s.list_signing_keys(&acme).await.unwrap();
    let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, ["k1", "k2", "e1", "k3", "k4"]);
    let states: Vec<KeyState> = keys.iter().map(|k| k.state).collect();
    assert_eq!(
        states,
        [
            KeyState::Revoked,
            KeyState::Previous,
            KeyState::Next,
            KeyState::Current,
            KeyState::Next
        ]
    );
    assert_eq!(keys[0].revoked_at, Some(NOW + 200));
    assert_eq!(keys[0].current_until, Some(NOW + 100));
    assert_eq!(keys[1].current_until, Some(NOW + 200));
    assert_eq!(keys[3].current_since, Some(NOW + 200));
    assert_eq!(keys[4], k4);

    // Without a next key there is nothing to promote, and nothing changes.
    let d1 = fixtures::signing_key("acme", "d1", SigningAlg::EdDsa, KeyState::Next, 300);
    assert_not_found(
        s.rotate_signing_keys(&acme, SigningAlg::EdDsa, &d1, NOW + 300)
            .await,
    );
    assert_eq!(s.list_signing_keys(&acme).await.unwrap(), keys);

    // A new key that reuses a kid is refused, and the rotation is undone.
    let reused = fixtures::signing_key("acme", "k1", rs, KeyState::Next, 400);
    assert_already_exists(
        s.rotate_signing_keys(&acme, rs, &reused, NOW + 400).await,
        "signing key",
    );
    assert_eq!(s.list_signing_keys(&acme).await.unwrap(), keys);
}

/// Concurrent rotations of one algorithm happen one after the other: each
/// succeeds, and the live states stay one of each.
pub async fn concurrent_rotations_serialize(s: Arc<dyn Storage>) {
    const ROTATIONS: i64 = 6;
    let rs = SigningAlg::Rs256;
    s.create_signing_key(&fixtures::signing_key("acme", "k0", rs, KeyState::Next, 0))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 1..=ROTATIONS {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let key = fixtures::signing_key("acme", &format!("k{i}"), rs, KeyState::Next, i);
            s.rotate_signing_keys(&t("acme"), rs, &key, NOW + i)
                .await
                .unwrap();
        }));
    }
    for task in futures::future::join_all(tasks).await {
        task.unwrap();
    }
    let keys = s.list_signing_keys(&t("acme")).await.unwrap();
    assert_eq!(keys.len() as i64, ROTATIONS + 1);
    let count = |state| keys.iter().filter(|k| k.state == state).count();
    assert_eq!(count(KeyState::Next), 1);
    assert_eq!(count(KeyState::Current), 1);
    assert_eq!(count(KeyState::Previous), 1);
    assert_eq!(count(KeyState::Revoked) as i64, ROTATIONS - 2);
}
