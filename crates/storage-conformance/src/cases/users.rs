//! Users: case-insensitive logins unique per tenant and connection, lists,
//! and deleting a user with their sessions and tokens.

use super::support::{after, assert_already_exists, assert_not_found, assert_rejected, offset, t};
use crate::fixtures::{self, NOW};
use std::sync::Arc;
use storage::{Paging, Storage, UserFilter};

pub async fn user_crud(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let user = fixtures::user("acme", "auth0|u1", "con_1", "Ada@Example.com");
    s.create_user(&user).await.unwrap();
    assert_already_exists(s.create_user(&user).await, "user");

    assert_eq!(
        s.get_user(&acme, "auth0|u1").await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(s.get_user(&acme, "auth0|nope").await.unwrap(), None);
    // Lookups by login ignore case (and surrounding blanks), within the connection.
    for email in ["ada@example.com", "ADA@EXAMPLE.COM", " Ada@Example.com "] {
        assert_eq!(
            s.get_user_by_email(&acme, "con_1", email).await.unwrap(),
            Some(user.clone()),
            "{email}"
        );
    }
    assert_eq!(
        s.get_user_by_email(&acme, "con_2", "ada@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.get_user_by_username(&acme, "con_1", "USER_U1")
            .await
            .unwrap(),
        Some(user.clone())
    );
    assert_eq!(
        s.get_user_by_username(&acme, "con_2", "user_u1")
            .await
            .unwrap(),
        None
    );

    // An update moves the login columns along with the record.
    let updated = s
        .update_user(&acme, "auth0|u1", &|mut u| {
            u.email = Some("Lovelace@Example.org".to_owned());
            u.username = None;
            u.logins_count += 1;
            u.last_login = Some(NOW);
            Ok(u)
        })
        .await
        .unwrap();
    assert_eq!(updated.logins_count, 4);
    assert_eq!(
        s.get_user(&acme, "auth0|u1").await.unwrap(),
        Some(updated.clone())
    );
    assert_eq!(
        s.get_user_by_email(&acme, "con_1", "ada@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.get_user_by_email(&acme, "con_1", "lovelace@example.org")
            .await
            .unwrap(),
        Some(updated.clone())
    );
    assert_eq!(
        s.get_user_by_username(&acme, "con_1", "user_u1")
            .await
            .unwrap(),
        None
    );

    // The user id and tenant are fixed.
    assert_rejected(
        s.update_user(&acme, "auth0|u1", &|mut u| {
            u.user_id = "auth0|u2".to_owned();
            Ok(u)
        })
        .await,
    );
    assert_rejected(
        s.update_user(&acme, "auth0|u1", &|mut u| {
            u.tenant_id = t("beta");
            Ok(u)
        })
        .await,
    );
    assert_rejected(
        s.update_user(&acme, "auth0|u1", &super::support::refuse)
            .await,
    );
    assert_eq!(s.get_user(&acme, "auth0|u1").await.unwrap(), Some(updated));
    assert_eq!(s.get_user(&acme, "auth0|u2").await.unwrap(), None);

    s.delete_user(&acme, "auth0|u1").await.unwrap();
    assert_eq!(s.get_user(&acme, "auth0|u1").await.unwrap(), None);
    assert_not_found(s.delete_user(&acme, "auth0|u1").await);
    assert_not_found(s.update_user(&acme, "auth0|u1", &Ok).await);
    // The freed email can be taken again.
    s.create_user(&fixtures::user(
        "acme",
        "auth0|u2",
        "con_1",
        "lovelace@example.org",
    ))
    .await
    .unwrap();
}

pub async fn user_logins_are_unique_per_connection(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_user(&fixtures::user(
        "acme",
        "auth0|u1",
        "con_1",
        "ada@example.com",
    ))
    .await
    .unwrap();

    // The same email in another case, same connection: taken.
    let mut clash = fixtures::user("acme", "auth0|u2", "con_1", "ADA@example.COM");
    assert_already_exists(s.create_user(&clash).await, "user");
    // The same username in another case, same connection: taken.
    clash.email = Some("other@example.com".to_owned());
    clash.username = Some("User_U1".to_owned());
    assert_already_exists(s.create_user(&clash).await, "user");
    assert_eq!(s.get_user(&acme, "auth0|u2").await.unwrap(), None);

    // The same email in another connection or another tenant is another user.
    s.create_user(&fixtures::user(
        "acme",
        "auth0|u3",
        "con_2",
        "Ada@Example.com",
    ))
    .await
    .unwrap();
    s.create_user(&fixtures::user(
        "beta",
        "auth0|u1",
        "con_1",
        "ada@example.com",
    ))
    .await
    .unwrap();

    // Users without email or username never collide.
    for id in ["auth0|n1", "auth0|n2"] {
        let mut user = fixtures::user("acme", id, "con_1", "x@example.com");
        user.email = None;
        user.username = None;
        s.create_user(&user).await.unwrap();
    }

    // Taking a login through an update is refused, and changes nothing.
    let before = s.get_user(&acme, "auth0|n1").await.unwrap();
    assert_already_exists(
        s.update_user(&acme, "auth0|n1", &|mut u| {
            u.email = Some("Ada@EXAMPLE.com".to_owned());
            Ok(u)
        })
        .await,
        "user",
    );
    assert_already_exists(
        s.update_user(&acme, "auth0|n1", &|mut u| {
            u.username = Some("USER_u1".to_owned());
            Ok(u)
        })
        .await,
        "user",
    );
    assert_eq!(s.get_user(&acme, "auth0|n1").await.unwrap(), before);
    // Moving into a login that is only taken in another connection is fine.
    s.update_user(&acme, "auth0|n1", &|mut u| {
        u.email = Some("ada@example.com".to_owned());
        u.connection_id = "con_3".to_owned();
        Ok(u)
    })
    .await
    .unwrap();
}

pub async fn user_list_filters_and_pages(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for (id, connection, email) in [
        ("auth0|u3", "con_1", "c@example.com"),
        ("auth0|u1", "con_1", "a@example.com"),
        ("auth0|u5", "con_2", "A@Example.com"),
        ("auth0|u2", "con_1", "b@example.com"),
        ("auth0|u4", "con_2", "d@example.com"),
    ] {
        s.create_user(&fixtures::user("acme", id, connection, email))
            .await
            .unwrap();
    }
    s.create_user(&fixtures::user(
        "beta",
        "auth0|u0",
        "con_1",
        "a@example.com",
    ))
    .await
    .unwrap();
    let ids = |page: &storage::Page<model::User>| -> Vec<String> {
        page.items.iter().map(|u| u.user_id.clone()).collect()
    };
    let none = UserFilter::default();

    let all = s
        .list_users(&acme, &none, &Paging::default())
        .await
        .unwrap();
    assert_eq!(all.total, 5);
    assert_eq!(
        ids(&all),
        ["auth0|u1", "auth0|u2", "auth0|u3", "auth0|u4", "auth0|u5"]
    );

    let page = s.list_users(&acme, &none, &offset(2, 2)).await.unwrap();
    assert_eq!(
        (ids(&page), page.total),
        (vec!["auth0|u3".to_owned(), "auth0|u4".to_owned()], 5)
    );
    let page = s
        .list_users(&acme, &none, &after("auth0|u2", 2))
        .await
        .unwrap();
    assert_eq!(ids(&page), ["auth0|u3", "auth0|u4"]);
    let page = s
        .list_users(&acme, &none, &after("auth0|u4", 2))
        .await
        .unwrap();
    assert_eq!(ids(&page), ["auth0|u5"]);

    let con_2 = UserFilter {
        connection_id: Some("con_2".to_owned()),
        email: None,
    };
    let page = s
        .list_users(&acme, &con_2, &Paging::default())
        .await
        .unwrap();
    assert_eq!(
        (ids(&page), page.total),
        (vec!["auth0|u4".to_owned(), "auth0|u5".to_owned()], 2)
    );

    // The email filter ignores case, across connections unless one is named.
    let email = UserFilter {
        connection_id: None,
        email: Some("A@EXAMPLE.COM".to_owned()),
    };
    let page = s
        .list_users(&acme, &email, &Paging::default())
        .await
        .unwrap();
    assert_eq!(ids(&page), ["auth0|u1", "auth0|u5"]);
    let both = UserFilter {
        connection_id: Some("con_1".to_owned()),
        email: Some("a@example.com".to_owned()),
    };
    let page = s.list_users(&acme, &both, &offset(0, 1)).await.unwrap();
    assert_eq!((ids(&page), page.total), (vec!["auth0|u1".to_owned()], 1));
}

pub async fn delete_user_removes_sessions_and_tokens(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for id in ["auth0|u1", "auth0|u2"] {
        s.create_user(&fixtures::user(
            "acme",
            id,
            "con_1",
            &format!("{id}@example.com"),
        ))
        .await
        .unwrap();
        let hash = id.replace('|', "-");
        s.create_session(&fixtures::session(
            "acme",
            &format!("s-{hash}"),
            id,
            NOW + 60_000,
        ))
        .await
        .unwrap();
        let mut token = fixtures::refresh_token(
            "acme",
            &format!("rt-{hash}"),
            &format!("f-{hash}"),
            NOW + 60_000,
        );
        token.user_id = id.to_owned();
        s.create_token(&token).await.unwrap();
    }

    s.delete_user(&acme, "auth0|u1").await.unwrap();
    assert_eq!(s.get_user(&acme, "auth0|u1").await.unwrap(), None);
    assert_eq!(s.get_session(&acme, "s-auth0-u1", NOW).await.unwrap(), None);
    assert_eq!(s.get_token(&acme, "rt-auth0-u1").await.unwrap(), None);

    // The other user keeps everything.
    assert!(s.get_user(&acme, "auth0|u2").await.unwrap().is_some());
    assert!(
        s.get_session(&acme, "s-auth0-u2", NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(s.get_token(&acme, "rt-auth0-u2").await.unwrap().is_some());
}
