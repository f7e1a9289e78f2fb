//! Account linking: a linked user disappears from plain reads but keeps its
//! logins, resolves to its primary, goes with the primary when it is
//! deleted, and comes back whole when unlinked. Users of redirect
//! connections may share an email.

use super::support::{assert_not_found, assert_rejected, offset, t};
use crate::fixtures::{self, NOW};
use model::{Identity, User};
use std::sync::Arc;
use storage::{Storage, UserFilter};

/// A user of a social connection (`github|{id}`) with `email`.
fn social_user(id: &str, email: &str) -> User {
    let mut user = fixtures::user("acme", &format!("github|{id}"), "con_gh", email);
    user.username = None;
    user.password_hash = None;
    user.identities = vec![Identity {
        connection: "github".to_owned(),
        connection_id: "con_gh".to_owned(),
        provider: "github".to_owned(),
        user_id: id.to_owned(),
        is_social: true,
        profile_data: None,
        upstream_tokens: None,
    }];
    user
}

pub async fn redirect_users_may_share_an_email(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_user(&social_user("1", "Same@Example.com"))
        .await
        .unwrap();
    s.create_user(&social_user("2", "same@example.com"))
        .await
        .unwrap();
    // Both are found by email across connections.
    let filter = UserFilter {
        email: Some("SAME@example.com".to_owned()),
        ..UserFilter::default()
    };
    let page = s.list_users(&acme, &filter, &offset(0, 10)).await.unwrap();
    assert_eq!(page.total, 2);
    // Database users still may not.
    s.create_user(&fixtures::user(
        "acme",
        "auth0|a",
        "con_db",
        "x@example.com",
    ))
    .await
    .unwrap();
    let duplicate = fixtures::user("acme", "auth0|b", "con_db", "X@example.com");
    assert!(matches!(
        s.create_user(&duplicate).await,
        Err(storage::StorageError::AlreadyExists("user"))
    ));
}

pub async fn linking_and_unlinking_users(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let primary = fixtures::user("acme", "auth0|p", "con_db", "p@example.com");
    s.create_user(&primary).await.unwrap();
    s.create_user(&social_user("7", "p@example.com"))
        .await
        .unwrap();
    s.create_user(&social_user("8", "other@example.com"))
        .await
        .unwrap();
    let mut session = fixtures::session("acme", "s-gh7", "github|7", NOW + 60_000);
    session.user_id = "github|7".to_owned();
    s.create_session(&session).await.unwrap();

    assert_rejected(s.link_user(&acme, "auth0|p", "auth0|p").await);
    assert_not_found(s.link_user(&acme, "auth0|p", "github|nope").await);
    assert_not_found(s.link_user(&acme, "auth0|nope", "github|7").await);

    // github|8 is linked to github|7 first, then github|7 to the primary:
    // both identities end up with the primary.
    let middle = s.link_user(&acme, "github|7", "github|8").await.unwrap();
    assert_eq!(middle.identities.len(), 2);
    let linked = s.link_user(&acme, "auth0|p", "github|7").await.unwrap();
    let ids: Vec<String> = linked
        .identities
        .iter()
        .map(|i| format!("{}|{}", i.provider, i.user_id))
        .collect();
    assert_eq!(ids, ["auth0|p", "github|7", "github|8"]);
    assert_eq!(s.get_user(&acme, "auth0|p").await.unwrap(), Some(linked));

    // Linked users are gone from plain reads, sessions included …
    assert_eq!(s.get_user(&acme, "github|7").await.unwrap(), None);
    assert_eq!(s.get_session(&acme, "s-gh7", NOW).await.unwrap(), None);
    let all = s
        .list_users(&acme, &UserFilter::default(), &offset(0, 10))
        .await
        .unwrap();
    assert_eq!(all.total, 1);
    assert_not_found(s.update_user(&acme, "github|7", &|u| Ok(u)).await);
    assert_not_found(s.delete_user(&acme, "github|7").await);
    assert_not_found(s.link_user(&acme, "github|7", "auth0|p").await);
    // … but resolve to the primary.
    for id in ["auth0|p", "github|7", "github|8"] {
        assert_eq!(
            s.primary_user_id(&acme, id).await.unwrap().as_deref(),
            Some("auth0|p"),
            "{id}"
        );
    }
    assert_eq!(s.primary_user_id(&acme, "github|9").await.unwrap(), None);

    // Unlinking: the identity must be linked to that primary, and the
    // primary's own identity cannot go.
    assert_not_found(s.unlink_user(&acme, "auth0|p", "github|9").await);
    assert_not_found(s.unlink_user(&acme, "auth0|p", "auth0|p").await);
    assert_not_found(s.unlink_user(&acme, "github|8", "github|7").await);
    let (primary, restored) = s.unlink_user(&acme, "auth0|p", "github|7").await.unwrap();
    assert_eq!(primary.identities.len(), 2);
    assert_eq!(restored.user_id, "github|7");
    assert_eq!(restored.identities.len(), 1);
    assert_eq!(restored.identities[0].provider, "github");
    assert_eq!(s.get_user(&acme, "github|7").await.unwrap(), Some(restored));
    assert_eq!(
        s.primary_user_id(&acme, "github|7")
            .await
            .unwrap()
            .as_deref(),
        Some("github|7")
    );

    // Deleting the primary deletes what is still linked to it.
    s.delete_user(&acme, "auth0|p").await.unwrap();
    assert_eq!(s.primary_user_id(&acme, "github|8").await.unwrap(), None);
    assert!(s.get_user(&acme, "github|7").await.unwrap().is_some());
}
