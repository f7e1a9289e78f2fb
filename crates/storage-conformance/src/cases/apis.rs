//! Resource servers (APIs) and client grants.

use super::support::{after, assert_already_exists, assert_not_found, offset, t};
use crate::fixtures;
use model::{ClientGrant, ResourceServer, ResourceServerScope};
use std::sync::Arc;
use storage::{ClientGrantFilter, Paging, Storage};

pub async fn resource_server_crud(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let api = fixtures::resource_server("acme", "rs1", "https://api.acme.test/");
    s.create_resource_server(&api).await.unwrap();
    assert_eq!(
        s.get_resource_server(&acme, "rs1").await.unwrap(),
        Some(api.clone())
    );
    assert_eq!(
        s.get_resource_server_by_identifier(&acme, "https://api.acme.test/")
            .await
            .unwrap(),
        Some(api.clone())
    );
    assert_eq!(s.get_resource_server(&acme, "rs2").await.unwrap(), None);
    assert_eq!(
        s.get_resource_server_by_identifier(&acme, "https://other/")
            .await
            .unwrap(),
        None
    );

    let updated = s
        .update_resource_server(&acme, "rs1", &|mut rs| {
            rs.identifier = "urn:acme:api".to_owned();
            rs.scopes.push(ResourceServerScope {
                value: "admin".to_owned(),
                description: String::new(),
            });
            Ok(rs)
        })
        .await
        .unwrap();
    assert_eq!(updated.scopes.len(), 3);
    assert_eq!(
        s.get_resource_server_by_identifier(&acme, "urn:acme:api")
            .await
            .unwrap(),
        Some(updated)
    );
    assert_eq!(
        s.get_resource_server_by_identifier(&acme, "https://api.acme.test/")
            .await
            .unwrap(),
        None
    );

    s.delete_resource_server(&acme, "rs1").await.unwrap();
    assert_eq!(s.get_resource_server(&acme, "rs1").await.unwrap(), None);
    assert_not_found(s.delete_resource_server(&acme, "rs1").await);
}

pub async fn resource_server_identifier_is_unique(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_resource_server(&fixtures::resource_server("acme", "rs1", "https://api/"))
        .await
        .unwrap();
    assert_already_exists(
        s.create_resource_server(&fixtures::resource_server("acme", "rs2", "https://api/"))
            .await,
        "resource server",
    );
    assert_already_exists(
        s.create_resource_server(&fixtures::resource_server("acme", "rs1", "https://x/"))
            .await,
        "resource server",
    );
    s.create_resource_server(&fixtures::resource_server("beta", "rs2", "https://api/"))
        .await
        .unwrap();

    s.create_resource_server(&fixtures::resource_server("acme", "rs3", "https://three/"))
        .await
        .unwrap();
    let take = |mut rs: ResourceServer| {
        rs.identifier = "https://api/".to_owned();
        Ok(rs)
    };
    assert_already_exists(
        s.update_resource_server(&acme, "rs3", &take).await,
        "resource server",
    );
    assert_eq!(
        s.get_resource_server(&acme, "rs3").await.unwrap(),
        Some(fixtures::resource_server("acme", "rs3", "https://three/"))
    );
}

pub async fn resource_server_list_pages(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for i in [4, 2, 0, 3, 1] {
        s.create_resource_server(&fixtures::resource_server(
            "acme",
            &format!("rs{i}"),
            &format!("https://api{i}/"),
        ))
        .await
        .unwrap();
    }
    s.create_resource_server(&fixtures::resource_server("beta", "rs9", "https://api9/"))
        .await
        .unwrap();
    let ids =
        |page: &[ResourceServer]| -> Vec<String> { page.iter().map(|rs| rs.id.clone()).collect() };
    let page = s.list_resource_servers(&acme, &offset(0, 2)).await.unwrap();
    assert_eq!(ids(&page.items), ["rs0", "rs1"]);
    assert_eq!(page.total, 5);
    let page = s.list_resource_servers(&acme, &offset(4, 2)).await.unwrap();
    assert_eq!(ids(&page.items), ["rs4"]);
    let page = s
        .list_resource_servers(&acme, &after("rs1", 2))
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["rs2", "rs3"]);
    assert_eq!(page.total, 5);
    let page = s
        .list_resource_servers(&acme, &Paging::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
}

pub async fn client_grant_crud(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let grant = fixtures::client_grant("acme", "cgr_1", "c1", "https://api/");
    s.create_client_grant(&grant).await.unwrap();
    assert_eq!(
        s.get_client_grant(&acme, "cgr_1").await.unwrap(),
        Some(grant.clone())
    );
    assert_eq!(s.get_client_grant(&acme, "cgr_2").await.unwrap(), None);

    let updated = s
        .update_client_grant(&acme, "cgr_1", &|mut g| {
            g.scope = vec!["read:things".to_owned()];
            g.updated_at = fixtures::NOW + 5;
            Ok(g)
        })
        .await
        .unwrap();
    assert_eq!(updated.scope, ["read:things"]);
    assert_eq!(
        s.get_client_grant(&acme, "cgr_1").await.unwrap(),
        Some(updated)
    );

    s.delete_client_grant(&acme, "cgr_1").await.unwrap();
    assert_eq!(s.get_client_grant(&acme, "cgr_1").await.unwrap(), None);
    assert_not_found(s.delete_client_grant(&acme, "cgr_1").await);
}

pub async fn client_grant_is_unique_per_client_and_audience(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_client_grant(&fixtures::client_grant("acme", "cgr_1", "c1", "https://a/"))
        .await
        .unwrap();
    assert_already_exists(
        s.create_client_grant(&fixtures::client_grant("acme", "cgr_2", "c1", "https://a/"))
            .await,
        "client grant",
    );
    assert_already_exists(
        s.create_client_grant(&fixtures::client_grant("acme", "cgr_1", "c9", "https://z/"))
            .await,
        "client grant",
    );
    // Another audience, another client, or another tenant is fine.
    s.create_client_grant(&fixtures::client_grant("acme", "cgr_2", "c1", "https://b/"))
        .await
        .unwrap();
    s.create_client_grant(&fixtures::client_grant("acme", "cgr_3", "c2", "https://a/"))
        .await
        .unwrap();
    s.create_client_grant(&fixtures::client_grant("beta", "cgr_1", "c1", "https://a/"))
        .await
        .unwrap();

    let retarget = |mut g: ClientGrant| {
        g.audience = "https://a/".to_owned();
        Ok(g)
    };
    assert_already_exists(
        s.update_client_grant(&acme, "cgr_2", &retarget).await,
        "client grant",
    );
    assert_eq!(
        s.get_client_grant(&acme, "cgr_2").await.unwrap(),
        Some(fixtures::client_grant("acme", "cgr_2", "c1", "https://b/"))
    );
}

pub async fn client_grant_list_filters(s: Arc<dyn Storage>) {
    let specs = [
        ("cgr_1", "c1", "https://a/"),
        ("cgr_2", "c1", "https://b/"),
        ("cgr_3", "c2", "https://a/"),
        ("cgr_4", "c3", "https://c/"),
    ];
    for (id, client, audience) in specs {
        s.create_client_grant(&fixtures::client_grant("acme", id, client, audience))
            .await
            .unwrap();
    }
    s.create_client_grant(&fixtures::client_grant("beta", "cgr_9", "c1", "https://a/"))
        .await
        .unwrap();

    let list = |client_id: Option<&str>, audience: Option<&str>, paging: Paging| {
        let s = s.clone();
        let filter = ClientGrantFilter {
            client_id: client_id.map(str::to_owned),
            audience: audience.map(str::to_owned),
        };
        async move {
            let page = s
                .list_client_grants(&t("acme"), &filter, &paging)
                .await
                .unwrap();
            let ids: Vec<String> = page.items.iter().map(|g| g.id.clone()).collect();
            (ids, page.total)
        }
    };
    let all = Paging::default();
    assert_eq!(
        list(Some("c1"), None, all.clone()).await,
        (vec!["cgr_1".to_owned(), "cgr_2".to_owned()], 2)
    );
    assert_eq!(
        list(None, Some("https://a/"), all.clone()).await,
        (vec!["cgr_1".to_owned(), "cgr_3".to_owned()], 2)
    );
    assert_eq!(
        list(Some("c1"), Some("https://b/"), all.clone()).await,
        (vec!["cgr_2".to_owned()], 1)
    );
    assert_eq!(list(Some("c9"), None, all.clone()).await, (vec![], 0));
    assert_eq!(
        list(None, None, offset(1, 2)).await,
        (vec!["cgr_2".to_owned(), "cgr_3".to_owned()], 4)
    );
    assert_eq!(
        list(None, Some("https://a/"), after("cgr_1", 5)).await,
        (vec!["cgr_3".to_owned()], 2)
    );
}
