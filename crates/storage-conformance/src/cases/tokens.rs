//! Issued tokens: refresh tokens used once (even under concurrency), revoked
//! by family or by user, and read back with their marks current.

use super::support::{assert_already_exists, t};
use crate::fixtures::{self, NOW};
use model::{RefreshUse, TokenKind};
use std::sync::Arc;
use storage::Storage;

pub async fn token_crud(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let refresh = fixtures::refresh_token("acme", "rt1", "f1", NOW + 60_000);
    let access = fixtures::token(
        "acme",
        "at1",
        TokenKind::Access,
        "f1",
        "auth0|u1",
        "c1",
        NOW + 60_000,
    );
    s.create_token(&refresh).await.unwrap();
    s.create_token(&access).await.unwrap();
    assert_already_exists(s.create_token(&refresh).await, "token");

    assert_eq!(
        s.get_token(&acme, "rt1").await.unwrap(),
        Some(refresh.clone())
    );
    assert_eq!(s.get_token(&acme, "at1").await.unwrap(), Some(access));
    assert_eq!(s.get_token(&acme, "nope").await.unwrap(), None);

    // A token stored already marked keeps its marks.
    let mut marked = fixtures::refresh_token("acme", "rt2", "f2", NOW + 60_000);
    marked.used_at = Some(NOW - 5);
    marked.revoked_at = Some(NOW - 1);
    s.create_token(&marked).await.unwrap();
    assert_eq!(s.get_token(&acme, "rt2").await.unwrap(), Some(marked));

    // Expired and revoked tokens are still returned: callers check.
    assert_eq!(s.revoke_family(&acme, "f1", NOW).await.unwrap(), 2);
    let revoked = s.get_token(&acme, "rt1").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(NOW));
    assert_eq!(revoked.used_at, None);
}

pub async fn refresh_token_is_used_once(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let token = fixtures::refresh_token("acme", "rt1", "f1", NOW + 60_000);
    s.create_token(&token).await.unwrap();

    let used = match s
        .rotate_refresh_token(&acme, "rt1", "c1", NOW, &[])
        .await
        .unwrap()
    {
        RefreshUse::Fresh(used) => used,
        other => panic!("expected Fresh, got {other:?}"),
    };
    assert_eq!(used.used_at, Some(NOW));
    assert_eq!(
        used,
        model::IssuedToken {
            used_at: Some(NOW),
            ..token
        }
    );
    assert_eq!(s.get_token(&acme, "rt1").await.unwrap(), Some(used.clone()));

    // Later uses see the first use's time, not their own.
    match s
        .rotate_refresh_token(&acme, "rt1", "c1", NOW + 10, &[])
        .await
        .unwrap()
    {
        RefreshUse::AlreadyUsed(again) => assert_eq!(again, used),
        other => panic!("expected AlreadyUsed, got {other:?}"),
    }
    assert_eq!(s.get_token(&acme, "rt1").await.unwrap(), Some(used));

    // Once revoked, a used token is simply invalid.
    s.revoke_family(&acme, "f1", NOW + 20).await.unwrap();
    assert_eq!(
        s.rotate_refresh_token(&acme, "rt1", "c1", NOW + 30, &[])
            .await
            .unwrap(),
        RefreshUse::Invalid
    );
}

pub async fn unusable_refresh_tokens_are_invalid(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let invalid = |hash: &'static str, now| {
        let s = s.clone();
        async move {
            assert_eq!(
                s.rotate_refresh_token(&t("acme"), hash, "c1", now, &[])
                    .await
                    .unwrap(),
                RefreshUse::Invalid,
                "{hash} at {now}"
            );
        }
    };

    invalid("unknown", NOW).await;

    // An access token is never a refresh token.
    s.create_token(&fixtures::token(
        "acme",
        "at1",
        TokenKind::Access,
        "f1",
        "auth0|u1",
        "c1",
        NOW + 60_000,
    ))
    .await
    .unwrap();
    invalid("at1", NOW).await;
    assert_eq!(
        s.get_token(&acme, "at1").await.unwrap().unwrap().used_at,
        None
    );

    // Expired: at the expiry instant already.
    s.create_token(&fixtures::refresh_token(
        "acme",
        "rt-exp",
        "f2",
        NOW + 1_000,
    ))
    .await
    .unwrap();
    invalid("rt-exp", NOW + 1_000).await;
    // Family expired while the token itself has not.
    let mut family_over = fixtures::refresh_token("acme", "rt-fam", "f3", NOW + 60_000);
    family_over.family_expires_at = NOW + 500;
    s.create_token(&family_over).await.unwrap();
    invalid("rt-fam", NOW + 500).await;
    // Revoked.
    let mut revoked = fixtures::refresh_token("acme", "rt-rev", "f4", NOW + 60_000);
    revoked.revoked_at = Some(NOW - 1);
    s.create_token(&revoked).await.unwrap();
    invalid("rt-rev", NOW).await;
    // Used, then expired: invalid, not AlreadyUsed.
    s.create_token(&fixtures::refresh_token(
        "acme",
        "rt-old",
        "f5",
        NOW + 1_000,
    ))
    .await
    .unwrap();
    assert!(matches!(
        s.rotate_refresh_token(&acme, "rt-old", "c1", NOW, &[])
            .await
            .unwrap(),
        RefreshUse::Fresh(_)
    ));
    invalid("rt-old", NOW + 1_000).await;

    // None of the failures marked anything; the expired one is still usable earlier.
    for hash in ["rt-exp", "rt-fam", "rt-rev"] {
        assert_eq!(
            s.get_token(&acme, hash).await.unwrap().unwrap().used_at,
            None
        );
    }
    assert!(matches!(
        s.rotate_refresh_token(&acme, "rt-exp", "c1", NOW + 999, &[])
            .await
            .unwrap(),
        RefreshUse::Fresh(_)
    ));
}

pub async fn token_revocation_by_family_and_user(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for (hash, family, user, client) in [
        ("a1", "fa", "auth0|u1", "c1"),
        ("a2", "fa", "auth0|u1", "c1"),
        ("b1", "fb", "auth0|u1", "c1"),
        ("c1", "fc", "auth0|u1", "c2"),
        ("d1", "fd", "auth0|u2", "c1"),
    ] {
        s.create_token(&fixtures::token(
            "acme",
            hash,
            TokenKind::Refresh,
            family,
            user,
            client,
            NOW + 60_000,
        ))
        .await
        .unwrap();
    }
    s.create_token(&fixtures::refresh_token("beta", "a1", "fa", NOW + 60_000))
        .await
        .unwrap();

    // A family revoke touches that family only, and counts only live tokens.
    assert_eq!(s.revoke_family(&acme, "fa", NOW).await.unwrap(), 2);
    assert_eq!(s.revoke_family(&acme, "fa", NOW + 1).await.unwrap(), 0);
    assert_eq!(
        s.get_token(&acme, "a2").await.unwrap().unwrap().revoked_at,
        Some(NOW)
    );
    assert_eq!(
        s.get_token(&acme, "b1").await.unwrap().unwrap().revoked_at,
        None
    );
    assert_eq!(
        s.get_token(&t("beta"), "a1")
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
    assert!(matches!(
        s.rotate_refresh_token(&acme, "b1", "c1", NOW, &[])
            .await
            .unwrap(),
        RefreshUse::Fresh(_)
    ));

    // By user and client, then by user.
    assert_eq!(
        s.revoke_user_tokens(&acme, "auth0|u1", Some("c2"), NOW)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.get_token(&acme, "b1").await.unwrap().unwrap().revoked_at,
        None
    );
    assert_eq!(
        s.revoke_user_tokens(&acme, "auth0|u1", None, NOW + 5)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.get_token(&acme, "b1").await.unwrap().unwrap().revoked_at,
        Some(NOW + 5)
    );
    // An earlier revocation keeps its time.
    assert_eq!(
        s.get_token(&acme, "c1").await.unwrap().unwrap().revoked_at,
        Some(NOW)
    );
    assert_eq!(
        s.get_token(&acme, "d1").await.unwrap().unwrap().revoked_at,
        None
    );
}

/// 16 callers present one refresh token at once: exactly one gets `Fresh`,
/// every other `AlreadyUsed`.
pub async fn refresh_token_use_race(s: Arc<dyn Storage>) {
    const RACERS: usize = 16;
    for round in 0..3 {
        let hash = format!("rt{round}");
        s.create_token(&fixtures::refresh_token("acme", &hash, "f1", NOW + 60_000))
            .await
            .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(RACERS));
        let mut tasks = Vec::new();
        for _ in 0..RACERS {
            let (s, start, hash) = (s.clone(), start.clone(), hash.clone());
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                s.rotate_refresh_token(&t("acme"), &hash, "c1", NOW, &[])
                    .await
                    .unwrap()
            }));
        }
        let (mut fresh, mut already_used) = (0, 0);
        for task in futures::future::join_all(tasks).await {
            match task.unwrap() {
                RefreshUse::Fresh(_) => fresh += 1,
                RefreshUse::AlreadyUsed(token) => {
                    assert_eq!(token.used_at, Some(NOW));
                    already_used += 1;
                }
                RefreshUse::Invalid => panic!("round {round}: a live token came back Invalid"),
            }
        }
        assert_eq!((fresh, already_used), (1, RACERS - 1), "round {round}");
    }
}

pub async fn refresh_token_of_another_client_is_left_unused(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let token = fixtures::refresh_token("acme", "rt1", "f1", NOW + 60_000);
    s.create_token(&token).await.unwrap();
    // Presented by another client: invalid, and not marked, so the real
    // owner's next use is still the first.
    assert_eq!(
        s.rotate_refresh_token(&acme, "rt1", "c2", NOW, &[])
            .await
            .unwrap(),
        RefreshUse::Invalid
    );
    assert_eq!(
        s.get_token(&acme, "rt1").await.unwrap().unwrap().used_at,
        None
    );
    assert!(matches!(
        s.rotate_refresh_token(&acme, "rt1", "c1", NOW, &[])
            .await
            .unwrap(),
        RefreshUse::Fresh(_)
    ));
    // Once used, another client still learns nothing about it.
    assert_eq!(
        s.rotate_refresh_token(&acme, "rt1", "c2", NOW + 1, &[])
            .await
            .unwrap(),
        RefreshUse::Invalid
    );
}

pub async fn create_tokens_is_all_or_nothing(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let refresh = fixtures::refresh_token("acme", "rt1", "f1", NOW + 60_000);
    let access = fixtures::token(
        "acme",
        "at1",
        TokenKind::Access,
        "f1",
        "auth0|u1",
        "c1",
        NOW + 60_000,
    );
    s.create_tokens(&[access.clone(), refresh.clone()])
        .await
        .unwrap();
    assert_eq!(s.get_token(&acme, "at1").await.unwrap(), Some(access));
    assert_eq!(
        s.get_token(&acme, "rt1").await.unwrap(),
        Some(refresh.clone())
    );

    // A batch with one clash stores nothing.
    let fresh = fixtures::refresh_token("acme", "rt2", "f2", NOW + 60_000);
    assert_already_exists(s.create_tokens(&[fresh, refresh]).await, "token");
    assert_eq!(s.get_token(&acme, "rt2").await.unwrap(), None);
    s.create_tokens(&[]).await.unwrap();
}

/// A rotation marks the old token and stores its successors in one
/// transaction: only a `Fresh` answer writes them; a used, unusable or
/// foreign token writes nothing; and a successor that clashes leaves the
/// old token unmarked.
pub async fn rotation_stores_successors_only_when_fresh(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let successors = |n: &str| {
        vec![
            fixtures::token(
                "acme",
                &format!("at-{n}"),
                TokenKind::Access,
                "f1",
                "auth0|u1",
                "c1",
                NOW + 60_000,
            ),
            fixtures::refresh_token("acme", &format!("rt-{n}"), "f1", NOW + 60_000),
        ]
    };
    s.create_token(&fixtures::refresh_token("acme", "rt1", "f1", NOW + 60_000))
        .await
        .unwrap();

    // Another client: invalid, nothing marked, nothing stored.
    assert_eq!(
        s.rotate_refresh_token(&acme, "rt1", "c2", NOW, &successors("foreign"))
            .await
            .unwrap(),
        RefreshUse::Invalid
    );
    assert_eq!(s.get_token(&acme, "rt-foreign").await.unwrap(), None);

    // A successor that clashes with a stored token: an error, and the old
    // token is still unused.
    let mut clash = successors("clash");
    clash[1].token_hash = "rt1".to_owned();
    assert_already_exists(
        s.rotate_refresh_token(&acme, "rt1", "c1", NOW, &clash)
            .await,
        "token",
    );
    assert_eq!(s.get_token(&acme, "at-clash").await.unwrap(), None);
    assert_eq!(
        s.get_token(&acme, "rt1").await.unwrap().unwrap().used_at,
        None
    );

    // Fresh: marked, and both successors stored as given.
    let first = successors("a");
    assert!(matches!(
        s.rotate_refresh_token(&acme, "rt1", "c1", NOW, &first)
            .await
            .unwrap(),
        RefreshUse::Fresh(_)
    ));
    assert_eq!(
        s.get_token(&acme, "rt1").await.unwrap().unwrap().used_at,
        Some(NOW)
    );
    for token in &first {
        assert_eq!(
            s.get_token(&acme, &token.token_hash)
                .await
                .unwrap()
                .as_ref(),
            Some(token)
        );
    }

    // Used already: the answer says so, and the second set is not stored.
    assert!(matches!(
        s.rotate_refresh_token(&acme, "rt1", "c1", NOW + 1, &successors("b"))
            .await
            .unwrap(),
        RefreshUse::AlreadyUsed(_)
    ));
    assert_eq!(s.get_token(&acme, "at-b").await.unwrap(), None);
    assert_eq!(s.get_token(&acme, "rt-b").await.unwrap(), None);

    // Expired: invalid, nothing stored.
    s.create_token(&fixtures::refresh_token("acme", "rt2", "f2", NOW + 10))
        .await
        .unwrap();
    assert_eq!(
        s.rotate_refresh_token(&acme, "rt2", "c1", NOW + 10, &successors("c"))
            .await
            .unwrap(),
        RefreshUse::Invalid
    );
    assert_eq!(s.get_token(&acme, "rt-c").await.unwrap(), None);
}

/// 16 callers rotate one refresh token at once, each with its own
/// successors: exactly one set of successors is stored.
pub async fn rotation_race_stores_one_set(s: Arc<dyn Storage>) {
    const RACERS: usize = 16;
    s.create_token(&fixtures::refresh_token("acme", "rt1", "f1", NOW + 60_000))
        .await
        .unwrap();
    let start = Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for racer in 0..RACERS {
        let (s, start) = (s.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            let successor =
                fixtures::refresh_token("acme", &format!("next-{racer}"), "f1", NOW + 60_000);
            start.wait().await;
            s.rotate_refresh_token(&t("acme"), "rt1", "c1", NOW, &[successor])
                .await
                .unwrap()
        }));
    }
    let mut winners = Vec::new();
    for (racer, task) in futures::future::join_all(tasks)
        .await
        .into_iter()
        .enumerate()
    {
        match task.unwrap() {
            RefreshUse::Fresh(_) => winners.push(racer),
            RefreshUse::AlreadyUsed(token) => assert_eq!(token.used_at, Some(NOW)),
            RefreshUse::Invalid => panic!("a live token came back Invalid"),
        }
    }
    assert_eq!(winners.len(), 1);
    for racer in 0..RACERS {
        let stored = s
            .get_token(&t("acme"), &format!("next-{racer}"))
            .await
            .unwrap();
        assert_eq!(stored.is_some(), winners.contains(&racer), "racer {racer}");
    }
}

/// Polls `work` until it finishes or `after` has passed, then drops it
/// wherever it stands, as a server drops the request of a client that hung up.
async fn abandon<F: std::future::Future>(work: F, after: std::time::Duration) {
    let mut work = Box::pin(work);
    let deadline = std::time::Instant::now() + after;
    loop {
        if futures::poll!(work.as_mut()).is_ready() || std::time::Instant::now() >= deadline {
            return;
        }
        tokio::task::yield_now().await;
    }
}

/// Writes abandoned half-way (a client hangs up and the server drops its
/// request at whatever `await` it stood) leave no transaction open on a
/// pooled connection: after each, writes on every connection are committed
/// and seen by every reader, and nothing holds a lock. (sqlx 0.9 left a
/// PostgreSQL connection inside a transaction when `begin` was dropped
/// between BEGIN and its answer.) Abandoned: a refresh rotation (one
/// statement on PostgreSQL, a transaction on SQLite) and a one-time record
/// that replaces older ones of its subject (a transaction on both).
pub async fn abandoned_writes_leave_no_transaction_open(s: Arc<dyn Storage>) {
    const PROBES: usize = 12;
    let acme = t("acme");
    for round in 0..60u64 {
        // Stopped after 0 to ~1.5 ms, so that rounds stop them in every
        // phase (taking a connection, BEGIN, the statements, COMMIT).
        let after = std::time::Duration::from_micros(25 * round);
        let hash = format!("rt{round}");
        s.create_token(&fixtures::refresh_token("acme", &hash, "f1", NOW + 60_000))
            .await
            .unwrap();
        let successors = [fixtures::refresh_token(
            "acme",
            &format!("next{round}"),
            "f1",
            NOW + 60_000,
        )];
        abandon(
            s.rotate_refresh_token(&acme, &hash, "c1", NOW, &successors),
            after,
        )
        .await;
        let mut link = fixtures::one_time("acme", "reset", &format!("link{round}"), NOW + 60_000);
        link.subject = Some("auth0|u1".to_owned());
        abandon(s.create_one_time(&link), after).await;
        // Writes at once, so that every pooled connection takes one; then
        // each must be visible to readers on the other connections.
        let probes: Vec<String> = (0..PROBES).map(|n| format!("probe{round}-{n}")).collect();
        let tokens: Vec<_> = probes
            .iter()
            .map(|hash| fixtures::refresh_token("acme", hash, "f9", NOW + 60_000))
            .collect();
        let writes = tokens.iter().map(|token| s.create_token(token));
        for written in futures::future::join_all(writes).await {
            written.unwrap();
        }
        let reads = probes.iter().map(|hash| s.get_token(&acme, hash));
        for (n, read) in futures::future::join_all(reads)
            .await
            .into_iter()
            .enumerate()
        {
            assert!(
                read.unwrap().is_some(),
                "round {round}, probe {n}: a write landed in a transaction left open"
            );
        }
    }
    // And no lock is held: writes over every abandoned record complete.
    let cleanup = async {
        s.revoke_family(&acme, "f1", NOW).await.unwrap();
        let mut last = fixtures::one_time("acme", "reset", "link-last", NOW + 60_000);
        last.subject = Some("auth0|u1".to_owned());
        s.create_one_time(&last).await.unwrap();
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), cleanup)
        .await
        .expect("a lock is still held by an abandoned transaction");
}

/// A family revoked while its token is being rotated ends with no live
/// token: the successors of a rotation that won the row are revoked too, and
/// a rotation that comes later finds its token revoked and stores nothing.
pub async fn family_revocation_racing_a_rotation_leaves_nothing_live(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for round in 0..20 {
        let family = format!("race{round}");
        let first = format!("{family}-0");
        s.create_token(&fixtures::refresh_token(
            "acme",
            &first,
            &family,
            NOW + 60_000,
        ))
        .await
        .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(5));
        let mut tasks = Vec::new();
        for racer in 0..4 {
            let (s, start, first, family) =
                (s.clone(), start.clone(), first.clone(), family.clone());
            tasks.push(tokio::spawn(async move {
                let successor = fixtures::refresh_token(
                    "acme",
                    &format!("{family}-next{racer}"),
                    &family,
                    NOW + 60_000,
                );
                start.wait().await;
                s.rotate_refresh_token(&t("acme"), &first, "c1", NOW, &[successor])
                    .await
                    .unwrap();
            }));
        }
        start.wait().await;
        s.revoke_family(&acme, &family, NOW).await.unwrap();
        futures::future::join_all(tasks).await;
        for racer in 0..4 {
            if let Some(token) = s
                .get_token(&acme, &format!("{family}-next{racer}"))
                .await
                .unwrap()
            {
                assert!(
                    token.revoked_at.is_some(),
                    "round {round}: a successor outlived its family's revocation"
                );
            }
        }
    }
}

pub async fn token_is_read_with_its_user(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let user = fixtures::user("acme", "auth0|u1", "con1", "u1@example.com");
    s.create_user(&user).await.unwrap();
    let token = fixtures::refresh_token("acme", "rt1", "f1", NOW + 60_000);
    s.create_token(&token).await.unwrap();

    let (read, owner) = s.get_token_with_user(&acme, "rt1").await.unwrap().unwrap();
    assert_eq!(read, token);
    assert_eq!(owner, s.get_user(&acme, "auth0|u1").await.unwrap());
    assert!(owner.is_some());
    assert_eq!(s.get_token_with_user(&acme, "nope").await.unwrap(), None);

    // Marks are laid over as get_token lays them.
    s.rotate_refresh_token(&acme, "rt1", "c1", NOW, &[])
        .await
        .unwrap();
    let (read, _) = s.get_token_with_user(&acme, "rt1").await.unwrap().unwrap();
    assert_eq!(Some(read), s.get_token(&acme, "rt1").await.unwrap());

    // The user of another tenant with the same id is not this token's.
    let beta = t("beta");
    s.create_user(&fixtures::user(
        "beta",
        "auth0|u2",
        "con1",
        "u2@example.com",
    ))
    .await
    .unwrap();
    let mut orphan = fixtures::refresh_token("acme", "rt2", "f2", NOW + 60_000);
    orphan.user_id = "auth0|u2".to_owned();
    s.create_token(&orphan).await.unwrap();
    let (read, owner) = s.get_token_with_user(&acme, "rt2").await.unwrap().unwrap();
    assert_eq!(read, orphan);
    assert_eq!(owner, None);
    assert_eq!(s.get_token_with_user(&beta, "rt2").await.unwrap(), None);

    // A user linked into another is read through its primary only.
    s.create_user(&fixtures::user(
        "acme",
        "auth0|u3",
        "con1",
        "u3@example.com",
    ))
    .await
    .unwrap();
    s.link_user(&acme, "auth0|u1", "auth0|u3").await.unwrap();
    let mut linked = fixtures::refresh_token("acme", "rt3", "f3", NOW + 60_000);
    linked.user_id = "auth0|u3".to_owned();
    s.create_token(&linked).await.unwrap();
    let (_, owner) = s.get_token_with_user(&acme, "rt3").await.unwrap().unwrap();
    assert_eq!(owner, None);
    assert_eq!(s.get_user(&acme, "auth0|u3").await.unwrap(), None);
}
