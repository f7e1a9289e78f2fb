//! User search: every condition kind, sorting with missing values last,
//! paging, refusal of oversized conditions, and values that look like SQL.

use super::support::{assert_rejected, offset, t};
use crate::fixtures::{self, NOW};
use std::sync::Arc;
use storage::{Bound, Storage, UserCondition as C, UserField as F, UserSearch, UserSort};

/// Five users in two connections of `acme`, one in `other`.
async fn seed(s: &Arc<dyn Storage>) {
    s.create_connection(&fixtures::connection("acme", "con_a", "db-a"))
        .await
        .unwrap();
    s.create_connection(&fixtures::connection("acme", "con_b", "db-b"))
        .await
        .unwrap();
    let rows = [
        (
            "auth0|1",
            "con_a",
            Some("Ada@Example.com"),
            "Ada Lovelace",
            5,
            Some(NOW - 10),
        ),
        (
            "auth0|2",
            "con_a",
            Some("adam@example.com"),
            "Adam Smith",
            0,
            None,
        ),
        (
            "auth0|3",
            "con_b",
            Some("bob@example.org"),
            "Bob Marley",
            12,
            Some(NOW - 5),
        ),
        ("auth0|4", "con_b", None, "Chloé Ünïcode", 1, Some(NOW - 20)),
        (
            "auth0|5",
            "con_a",
            Some("x' or 1=1 --@example.com"),
            "Robert'); DROP TABLE users;--",
            2,
            None,
        ),
    ];
    for (i, (id, connection, email, name, logins, last)) in rows.into_iter().enumerate() {
        let mut user = fixtures::user("acme", id, connection, "placeholder@example.com");
        user.email = email.map(str::to_owned);
        user.username = None;
        user.name = Some(name.to_owned());
        user.logins_count = logins;
        user.last_login = last;
        user.created_at = NOW + i64::try_from(i).unwrap() * 1_000;
        s.create_user(&user).await.unwrap();
    }
    s.create_user(&fixtures::user(
        "other",
        "auth0|1",
        "con_a",
        "ada@example.com",
    ))
    .await
    .unwrap();
}

async fn ids(s: &Arc<dyn Storage>, condition: Option<C>, sort: Option<UserSort>) -> Vec<String> {
    let search = UserSearch {
        condition,
        sort,
        total_limit: None,
    };
    let page = s
        .search_users(&t("acme"), &search, &offset(0, 100))
        .await
        .unwrap();
    assert_eq!(page.total as usize, page.items.len());
    page.items.into_iter().map(|u| u.user_id).collect()
}

fn text(field: F, value: &str) -> C {
    C::TextEquals(field, value.to_owned())
}

fn range(field: F, lower: Option<i64>, upper: Option<i64>) -> C {
    C::Range {
        field,
        lower: lower.map(|value| Bound {
            value,
            inclusive: true,
        }),
        upper: upper.map(|value| Bound {
            value,
            inclusive: true,
        }),
    }
}

pub async fn user_search_conditions(s: Arc<dyn Storage>) {
    seed(&s).await;
    assert_eq!(ids(&s, None, None).await.len(), 5, "tenant-scoped");
    assert_eq!(
        ids(&s, Some(text(F::Email, "ADA@example.com")), None).await,
        ["auth0|1"]
    );
    assert_eq!(
        ids(&s, Some(C::TextPrefix(F::Email, "Ada".into())), None).await,
        ["auth0|1", "auth0|2"]
    );
    assert_eq!(
        ids(&s, Some(C::TextPrefix(F::Email, String::new())), None)
            .await
            .len(),
        4
    );
    assert_eq!(
        ids(&s, Some(C::TextPrefix(F::Name, "chloé ü".into())), None).await,
        ["auth0|4"]
    );
    assert_eq!(
        ids(&s, Some(text(F::Name, "bob marley")), None).await,
        ["auth0|3"]
    );
    assert_eq!(
        ids(&s, Some(text(F::UserId, "auth0|2")), None).await,
        ["auth0|2"]
    );
    assert_eq!(
        ids(&s, Some(text(F::Connection, "db-b")), None).await,
        ["auth0|3", "auth0|4"]
    );
    assert!(
        ids(&s, Some(text(F::Connection, "nope")), None)
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&s, Some(range(F::LoginsCount, Some(1), Some(5))), None).await,
        ["auth0|1", "auth0|4", "auth0|5"]
    );
    let exclusive = C::Range {
        field: F::LoginsCount,
        lower: Some(Bound {
            value: 1,
            inclusive: false,
        }),
        upper: Some(Bound {
            value: 5,
            inclusive: false,
        }),
    };
    assert_eq!(ids(&s, Some(exclusive), None).await, ["auth0|5"]);
    assert_eq!(
        ids(&s, Some(range(F::CreatedAt, Some(NOW + 3_000), None)), None).await,
        ["auth0|4", "auth0|5"]
    );
    assert_eq!(
        ids(&s, Some(range(F::LastLogin, None, None)), None).await,
        ["auth0|1", "auth0|3", "auth0|4"]
    );
    // NOT includes users that lack the field.
    assert_eq!(
        ids(
            &s,
            Some(C::Not(Box::new(C::TextPrefix(F::Email, "ad".into())))),
            None
        )
        .await,
        ["auth0|3", "auth0|4", "auth0|5"]
    );
    let either = C::Or(vec![
        text(F::Email, "bob@example.org"),
        text(F::UserId, "auth0|2"),
    ]);
    let both = C::And(vec![
        either,
        C::Not(Box::new(range(F::LoginsCount, Some(10), None))),
    ]);
    assert_eq!(ids(&s, Some(both), None).await, ["auth0|2"]);
    // Values are data, never SQL.
    assert_eq!(
        ids(&s, Some(text(F::Email, "x' OR 1=1 --@example.com")), None).await,
        ["auth0|5"]
    );
    assert!(
        ids(&s, Some(text(F::Email, "' OR '1'='1")), None)
            .await
            .is_empty()
    );
    assert_eq!(
        ids(
            &s,
            Some(C::TextPrefix(F::Name, "robert'); drop".into())),
            None
        )
        .await,
        ["auth0|5"]
    );
    assert!(
        ids(&s, Some(C::TextPrefix(F::Email, "%".into())), None)
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&s, None, None).await.len(),
        5,
        "the table is still there"
    );
}

pub async fn user_search_sorts_and_pages(s: Arc<dyn Storage>) {
    seed(&s).await;
    let sort = |field, descending| Some(UserSort { field, descending });
    assert_eq!(
        ids(&s, None, sort(F::LoginsCount, true)).await,
        ["auth0|3", "auth0|1", "auth0|5", "auth0|4", "auth0|2"]
    );
    assert_eq!(
        ids(&s, None, sort(F::LastLogin, true)).await,
        ["auth0|3", "auth0|1", "auth0|4", "auth0|5", "auth0|2"],
        "never logged in comes last"
    );
    assert_eq!(
        ids(&s, None, sort(F::LastLogin, false)).await,
        ["auth0|4", "auth0|1", "auth0|3", "auth0|2", "auth0|5"]
    );
    assert_eq!(
        ids(&s, None, sort(F::Email, false)).await,
        ["auth0|1", "auth0|2", "auth0|3", "auth0|5", "auth0|4"]
    );
    assert_eq!(
        ids(&s, None, sort(F::CreatedAt, true)).await,
        ["auth0|5", "auth0|4", "auth0|3", "auth0|2", "auth0|1"]
    );
    let search = UserSearch {
        condition: None,
        sort: Some(UserSort {
            field: F::CreatedAt,
            descending: false,
        }),
        total_limit: None,
    };
    let page = s
        .search_users(&t("acme"), &search, &offset(2, 2))
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    let got: Vec<_> = page.items.iter().map(|u| u.user_id.as_str()).collect();
    assert_eq!(got, ["auth0|3", "auth0|4"]);
}

pub async fn user_search_refuses_misfit_and_huge_conditions(s: Arc<dyn Storage>) {
    seed(&s).await;
    let search = |condition| UserSearch {
        condition: Some(condition),
        sort: None,
        total_limit: None,
    };
    let tenant = t("acme");
    let paging = offset(0, 10);
    assert_rejected(
        s.search_users(&tenant, &search(text(F::LoginsCount, "1")), &paging)
            .await,
    );
    assert_rejected(
        s.search_users(
            &tenant,
            &search(C::TextPrefix(F::UserId, "a".into())),
            &paging,
        )
        .await,
    );
    assert_rejected(
        s.search_users(&tenant, &search(C::Or(Vec::new())), &paging)
            .await,
    );
    let mut deep = text(F::Email, "a@b.c");
    for _ in 0..40 {
        deep = C::Not(Box::new(deep));
    }
    assert_rejected(s.search_users(&tenant, &search(deep), &paging).await);
    let wide = C::Or(
        (0..500)
            .map(|i| text(F::Email, &format!("u{i}@x.y")))
            .collect(),
    );
    assert_rejected(s.search_users(&tenant, &search(wide), &paging).await);
}

/// A connection id condition matches that connection's users (not another
/// tenant's), and a total limit caps the count but never the page.
pub async fn user_search_by_connection_id_with_a_capped_total(s: Arc<dyn Storage>) {
    seed(&s).await;
    assert_eq!(
        ids(&s, Some(text(F::ConnectionId, "con_a")), None).await,
        ["auth0|1", "auth0|2", "auth0|5"]
    );
    assert_eq!(
        ids(
            &s,
            Some(C::Not(Box::new(text(F::ConnectionId, "con_a")))),
            None
        )
        .await,
        ["auth0|3", "auth0|4"]
    );
    assert!(
        ids(&s, Some(text(F::ConnectionId, "db-a")), None)
            .await
            .is_empty(),
        "ids are not names"
    );
    let capped = UserSearch {
        condition: None,
        sort: None,
        total_limit: Some(3),
    };
    let page = s
        .search_users(&t("acme"), &capped, &offset(0, 4))
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.items.len(), 4);
    let roomy = UserSearch {
        total_limit: Some(1_000),
        ..capped
    };
    let page = s
        .search_users(&t("acme"), &roomy, &offset(0, 2))
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(page.items.len(), 2);
}
