//! Clients: CRUD, uniqueness, paging, filters, and what deleting one removes.

use super::support::{after, assert_already_exists, assert_not_found, offset, t};
use crate::fixtures;
use model::{AppType, Client};
use std::sync::Arc;
use storage::{ClientFilter, ClientGrantFilter, Paging, Storage};

pub async fn client_crud(s: Arc<dyn Storage>) {
    let client = fixtures::client("acme", "c1");
    s.create_client(&client).await.unwrap();
    assert_eq!(
        s.get_client(&t("acme"), "c1").await.unwrap(),
        Some(client.clone())
    );
    assert_eq!(s.get_client(&t("acme"), "c2").await.unwrap(), None);

    let updated = s
        .update_client(&t("acme"), "c1", &|mut c| {
            c.name = "Renamed".to_owned();
            c.app_type = Some(AppType::Spa);
            c.is_first_party = false;
            c.callbacks.push("https://other.example.com/cb".to_owned());
            c.updated_at = fixtures::NOW + 1;
            Ok(c)
        })
        .await
        .unwrap();
    assert_eq!(updated.name, "Renamed");
    assert_eq!(updated.callbacks.len(), 2);
    assert_eq!(s.get_client(&t("acme"), "c1").await.unwrap(), Some(updated));

    // The filter columns follow the update.
    let spa = ClientFilter {
        app_types: vec!["spa".to_owned()],
        is_first_party: Some(false),
    };
    let page = s
        .list_clients(&t("acme"), &spa, &Paging::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1);

    s.delete_client(&t("acme"), "c1").await.unwrap();
    assert_eq!(s.get_client(&t("acme"), "c1").await.unwrap(), None);
    assert_not_found(s.delete_client(&t("acme"), "c1").await);
}

pub async fn client_id_is_unique_per_tenant(s: Arc<dyn Storage>) {
    s.create_client(&fixtures::client("acme", "c1"))
        .await
        .unwrap();
    let mut again = fixtures::client("acme", "c1");
    again.name = "Another".to_owned();
    assert_already_exists(s.create_client(&again).await, "client");
    assert_eq!(
        s.get_client(&t("acme"), "c1").await.unwrap(),
        Some(fixtures::client("acme", "c1"))
    );
    // The same client id in another tenant is another client.
    s.create_client(&fixtures::client("beta", "c1"))
        .await
        .unwrap();
}

fn ids(page: &[Client]) -> Vec<&str> {
    page.iter().map(|c| c.client_id.as_str()).collect()
}

pub async fn client_list_pages(s: Arc<dyn Storage>) {
    // Mixed case: ordering is by the bytes of the id, the same on every backend.
    let mut expected = vec!["c3", "c1", "B7", "a2", "c2", "_x", "A1"];
    for id in &expected {
        s.create_client(&fixtures::client("acme", id))
            .await
            .unwrap();
    }
    s.create_client(&fixtures::client("beta", "zz"))
        .await
        .unwrap();
    expected.sort_unstable();
    let acme = t("acme");
    let all = ClientFilter::default();

    let first = s.list_clients(&acme, &all, &offset(0, 3)).await.unwrap();
    assert_eq!(ids(&first.items), expected[0..3]);
    assert_eq!(first.total, 7);
    let last = s.list_clients(&acme, &all, &offset(6, 3)).await.unwrap();
    assert_eq!(ids(&last.items), expected[6..]);
    assert_eq!(last.total, 7);
    let beyond = s.list_clients(&acme, &all, &offset(10, 3)).await.unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 7);

    // Checkpoint paging walks the same order from the last id seen.
    let mut seen = Vec::new();
    let mut checkpoint = Paging {
        offset: 0,
        limit: 2,
        after: None,
    };
    loop {
        let page = s.list_clients(&acme, &all, &checkpoint).await.unwrap();
        assert_eq!(page.total, 7);
        let Some(last) = page.items.last() else { break };
        checkpoint = after(&last.client_id, 2);
        seen.extend(page.items.iter().map(|c| c.client_id.clone()));
    }
    assert_eq!(seen, expected);
    let tail = s.list_clients(&acme, &all, &after("c1", 10)).await.unwrap();
    assert_eq!(ids(&tail.items), ["c2", "c3"]);
}

pub async fn client_list_filters(s: Arc<dyn Storage>) {
    let kinds = [
        ("spa1", Some(AppType::Spa), true),
        ("spa2", Some(AppType::Spa), false),
        ("m2m", Some(AppType::NonInteractive), true),
        ("native", Some(AppType::Native), false),
        ("web", Some(AppType::RegularWeb), true),
        ("untyped", None, true),
    ];
    for (id, app_type, first_party) in kinds {
        let mut client = fixtures::client("acme", id);
        client.app_type = app_type;
        client.is_first_party = first_party;
        s.create_client(&client).await.unwrap();
    }
    let mut other = fixtures::client("beta", "spa3");
    other.app_type = Some(AppType::Spa);
    s.create_client(&other).await.unwrap();

    let list = |app_types: &[&str], is_first_party: Option<bool>| {
        let s = s.clone();
        let filter = ClientFilter {
            app_types: app_types.iter().map(|a| (*a).to_owned()).collect(),
            is_first_party,
        };
        async move {
            let page = s
                .list_clients(&t("acme"), &filter, &Paging::default())
                .await
                .unwrap();
            let found: Vec<String> = page.items.iter().map(|c| c.client_id.clone()).collect();
            assert_eq!(page.total, found.len() as u64);
            found
        }
    };
    assert_eq!(list(&["spa"], None).await, ["spa1", "spa2"]);
    assert_eq!(
        list(&["spa", "non_interactive"], None).await,
        ["m2m", "spa1", "spa2"]
    );
    assert_eq!(list(&["spa"], Some(true)).await, ["spa1"]);
    assert_eq!(list(&[], Some(false)).await, ["native", "spa2"]);
    assert_eq!(list(&[], None).await.len(), 6);
    assert!(list(&["no_such_type"], None).await.is_empty());
}

pub async fn delete_client_removes_grants_and_links(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for id in ["c1", "c2"] {
        s.create_client(&fixtures::client("acme", id))
            .await
            .unwrap();
        s.create_client_grant(&fixtures::client_grant(
            "acme",
            &format!("cgr_{id}"),
            id,
            "https://api/",
        ))
        .await
        .unwrap();
    }
    s.create_connection(&fixtures::connection("acme", "con_1", "db"))
        .await
        .unwrap();
    s.set_connection_enabled(&acme, "con_1", "c1", true)
        .await
        .unwrap();
    s.set_connection_enabled(&acme, "con_1", "c2", true)
        .await
        .unwrap();

    s.delete_client(&acme, "c1").await.unwrap();

    assert_eq!(s.get_client_grant(&acme, "cgr_c1").await.unwrap(), None);
    let grants = s
        .list_client_grants(&acme, &ClientGrantFilter::default(), &Paging::default())
        .await
        .unwrap();
    assert_eq!(grants.total, 1);
    assert_eq!(grants.items[0].client_id, "c2");
    assert_eq!(
        s.list_enabled_clients(&acme, "con_1").await.unwrap(),
        ["c2"]
    );
    assert!(
        s.list_client_connections(&acme, "c1")
            .await
            .unwrap()
            .is_empty()
    );

    // A client created again under the old id starts without grants or links.
    s.create_client(&fixtures::client("acme", "c1"))
        .await
        .unwrap();
    assert!(
        s.list_client_connections(&acme, "c1")
            .await
            .unwrap()
            .is_empty()
    );
    let filter = ClientGrantFilter {
        client_id: Some("c1".to_owned()),
        audience: None,
    };
    assert_eq!(
        s.list_client_grants(&acme, &filter, &Paging::default())
            .await
            .unwrap()
            .total,
        0
    );
}
