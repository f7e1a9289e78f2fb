//! Connections: CRUD, per-tenant unique names, filters, and enabled clients.

use super::support::{after, assert_already_exists, assert_not_found, offset, t};
use crate::fixtures;
use model::Connection;
use std::sync::Arc;
use storage::{ConnectionFilter, Paging, Storage};

pub async fn connection_crud(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let connection = fixtures::connection("acme", "con_1", "Username-Password");
    s.create_connection(&connection).await.unwrap();
    assert_eq!(
        s.get_connection(&acme, "con_1").await.unwrap(),
        Some(connection.clone())
    );
    assert_eq!(
        s.get_connection_by_name(&acme, "Username-Password")
            .await
            .unwrap(),
        Some(connection.clone())
    );
    assert_eq!(s.get_connection(&acme, "con_2").await.unwrap(), None);
    assert_eq!(
        s.get_connection_by_name(&acme, "other").await.unwrap(),
        None
    );

    let renamed = s
        .update_connection(&acme, "con_1", &|mut c| {
            c.name = "users".to_owned();
            c.options = serde_json::json!({ "passwordPolicy": "excellent" });
            Ok(c)
        })
        .await
        .unwrap();
    assert_eq!(
        s.get_connection_by_name(&acme, "users").await.unwrap(),
        Some(renamed.clone())
    );
    assert_eq!(
        s.get_connection_by_name(&acme, "Username-Password")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.get_connection(&acme, "con_1").await.unwrap(),
        Some(renamed)
    );

    s.delete_connection(&acme, "con_1").await.unwrap();
    assert_eq!(s.get_connection(&acme, "con_1").await.unwrap(), None);
    assert_eq!(
        s.get_connection_by_name(&acme, "users").await.unwrap(),
        None
    );
    assert_not_found(s.delete_connection(&acme, "con_1").await);
}

pub async fn connection_name_is_unique_per_tenant(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_connection(&fixtures::connection("acme", "con_1", "db"))
        .await
        .unwrap();
    assert_already_exists(
        s.create_connection(&fixtures::connection("acme", "con_2", "db"))
            .await,
        "connection",
    );
    assert_already_exists(
        s.create_connection(&fixtures::connection("acme", "con_1", "other"))
            .await,
        "connection",
    );
    // The same name in another tenant is allowed.
    s.create_connection(&fixtures::connection("beta", "con_2", "db"))
        .await
        .unwrap();

    // Renaming onto a taken name is refused and changes nothing.
    s.create_connection(&fixtures::connection("acme", "con_3", "social"))
        .await
        .unwrap();
    let take = |mut c: Connection| {
        c.name = "db".to_owned();
        Ok(c)
    };
    assert_already_exists(
        s.update_connection(&acme, "con_3", &take).await,
        "connection",
    );
    assert_eq!(
        s.get_connection(&acme, "con_3").await.unwrap(),
        Some(fixtures::connection("acme", "con_3", "social"))
    );
}

pub async fn connection_list_filters_and_pages(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let specs = [
        ("con_a", "db", "auth0"),
        ("con_b", "google", "google-oauth2"),
        ("con_c", "corp", "samlp"),
        ("con_d", "github", "github"),
        ("con_e", "partner", "samlp"),
    ];
    for (id, name, strategy) in specs {
        let mut connection = fixtures::connection("acme", id, name);
        connection.strategy = strategy.to_owned();
        s.create_connection(&connection).await.unwrap();
    }
    s.create_connection(&fixtures::connection("beta", "con_z", "db"))
        .await
        .unwrap();

    let names =
        |page: &[Connection]| -> Vec<String> { page.iter().map(|c| c.id.clone()).collect() };
    let all = ConnectionFilter::default();
    let page = s
        .list_connections(&acme, &all, &offset(1, 2))
        .await
        .unwrap();
    assert_eq!(names(&page.items), ["con_b", "con_c"]);
    assert_eq!(page.total, 5);
    let page = s
        .list_connections(&acme, &all, &after("con_c", 10))
        .await
        .unwrap();
    assert_eq!(names(&page.items), ["con_d", "con_e"]);
    assert_eq!(page.total, 5);

    let saml = ConnectionFilter {
        strategies: vec!["samlp".to_owned(), "github".to_owned()],
        name: None,
    };
    let page = s
        .list_connections(&acme, &saml, &Paging::default())
        .await
        .unwrap();
    assert_eq!(names(&page.items), ["con_c", "con_d", "con_e"]);
    assert_eq!(page.total, 3);
    let page = s
        .list_connections(&acme, &saml, &offset(0, 1))
        .await
        .unwrap();
    assert_eq!(names(&page.items), ["con_c"]);
    assert_eq!(page.total, 3);

    let by_name = ConnectionFilter {
        strategies: Vec::new(),
        name: Some("db".to_owned()),
    };
    let page = s
        .list_connections(&acme, &by_name, &Paging::default())
        .await
        .unwrap();
    assert_eq!(names(&page.items), ["con_a"]);
    let mismatch = ConnectionFilter {
        strategies: vec!["samlp".to_owned()],
        name: Some("db".to_owned()),
    };
    let page = s
        .list_connections(&acme, &mismatch, &Paging::default())
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.total, 0);
}

pub async fn enabled_clients_set_and_unset(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for id in ["c3", "c1", "c2"] {
        s.create_client(&fixtures::client("acme", id))
            .await
            .unwrap();
    }
    // Named so that name order differs from id order.
    s.create_connection(&fixtures::connection("acme", "con_1", "zeta"))
        .await
        .unwrap();
    s.create_connection(&fixtures::connection("acme", "con_2", "alpha"))
        .await
        .unwrap();
    assert!(
        s.list_enabled_clients(&acme, "con_1")
            .await
            .unwrap()
            .is_empty()
    );

    for client in ["c3", "c1", "c2"] {
        s.set_connection_enabled(&acme, "con_1", client, true)
            .await
            .unwrap();
    }
    // Enabling twice is fine and changes nothing.
    s.set_connection_enabled(&acme, "con_1", "c1", true)
        .await
        .unwrap();
    assert_eq!(
        s.list_enabled_clients(&acme, "con_1").await.unwrap(),
        ["c1", "c2", "c3"]
    );

    s.set_connection_enabled(&acme, "con_2", "c1", true)
        .await
        .unwrap();
    let connections = s.list_client_connections(&acme, "c1").await.unwrap();
    let names: Vec<&str> = connections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["alpha", "zeta"]);
    assert_eq!(
        connections[0],
        fixtures::connection("acme", "con_2", "alpha")
    );

    s.set_connection_enabled(&acme, "con_1", "c2", false)
        .await
        .unwrap();
    // Disabling twice is fine too.
    s.set_connection_enabled(&acme, "con_1", "c2", false)
        .await
        .unwrap();
    assert_eq!(
        s.list_enabled_clients(&acme, "con_1").await.unwrap(),
        ["c1", "c3"]
    );
    assert!(
        s.list_client_connections(&acme, "c2")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn enabled_clients_require_both_ends(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_client(&fixtures::client("acme", "c1"))
        .await
        .unwrap();
    s.create_connection(&fixtures::connection("acme", "con_1", "db"))
        .await
        .unwrap();
    for enabled in [true, false] {
        assert_not_found(
            s.set_connection_enabled(&acme, "con_missing", "c1", enabled)
                .await,
        );
        assert_not_found(
            s.set_connection_enabled(&acme, "con_1", "missing", enabled)
                .await,
        );
    }
    assert!(
        s.list_enabled_clients(&acme, "con_1")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.list_enabled_clients(&acme, "con_missing")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.list_client_connections(&acme, "missing")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn delete_connection_removes_links(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_client(&fixtures::client("acme", "c1"))
        .await
        .unwrap();
    for (id, name) in [("con_1", "one"), ("con_2", "two")] {
        s.create_connection(&fixtures::connection("acme", id, name))
            .await
            .unwrap();
        s.set_connection_enabled(&acme, id, "c1", true)
            .await
            .unwrap();
    }
    s.delete_connection(&acme, "con_1").await.unwrap();
    let left = s.list_client_connections(&acme, "c1").await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, "con_2");
    assert!(
        s.list_enabled_clients(&acme, "con_1")
            .await
            .unwrap()
            .is_empty()
    );

    // A connection created again under the old id and name starts without links.
    s.create_connection(&fixtures::connection("acme", "con_1", "one"))
        .await
        .unwrap();
    assert!(
        s.list_enabled_clients(&acme, "con_1")
            .await
            .unwrap()
            .is_empty()
    );
}
