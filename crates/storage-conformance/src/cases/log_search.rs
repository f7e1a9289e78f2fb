//! Searching tenant log events (`GET /api/v2/logs?q=`) and reading them
//! from a checkpoint (`from`/`take`).

use super::email::event;
use super::support::{after, offset, t};
use crate::fixtures::NOW;
use model::LogEvent;
use std::sync::Arc;
use storage::{Bound, LogCondition as C, LogField as F, LogSearch, Storage};

fn login(id: &str, date: i64, kind: &str, user: Option<&str>, client: &str) -> LogEvent {
    LogEvent {
        event_type: kind.into(),
        user_id: user.map(str::to_owned),
        client_id: Some(client.into()),
        connection: Some("Username-Password-Authentication".into()),
        ip: Some(format!("10.0.0.{}", date - NOW)),
        user_name: user.map(|u| format!("{u}@example.com")),
        ..event("acme", id, date)
    }
}

async fn ids(s: &Arc<dyn Storage>, condition: C) -> (Vec<String>, u64) {
    let search = LogSearch {
        condition: Some(condition),
        ascending: false,
    };
    let page = s
        .list_log_events(&t("acme"), &search, &offset(0, 50))
        .await
        .unwrap();
    (
        page.items.into_iter().map(|e| e.log_id).collect(),
        page.total,
    )
}

fn eq(field: F, value: &str) -> C {
    C::Equals(field, value.into())
}

fn list(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

pub async fn log_events_search_by_field_date_and_checkpoint(s: Arc<dyn Storage>) {
    for record in [
        login("e1", NOW + 1, "s", Some("auth0|a"), "app1"),
        login("e2", NOW + 2, "fp", Some("auth0|a"), "app1"),
        login("e3", NOW + 3, "fu", None, "app2"),
        login("e4", NOW + 4, "s", Some("auth0|b"), "app2"),
    ] {
        s.append_log_event(&record).await.unwrap();
    }
    // Another tenant's identical event is never found.
    s.append_log_event(&LogEvent {
        tenant_id: t("beta"),
        ..login("e5", NOW + 5, "s", Some("auth0|a"), "app1")
    })
    .await
    .unwrap();

    assert_eq!(ids(&s, eq(F::Type, "s")).await, (list(&["e4", "e1"]), 2));
    assert_eq!(
        ids(&s, eq(F::UserId, "auth0|a")).await.0,
        list(&["e2", "e1"])
    );
    assert_eq!(
        ids(&s, eq(F::ClientId, "app2")).await.0,
        list(&["e4", "e3"])
    );
    assert_eq!(ids(&s, eq(F::Ip, "10.0.0.3")).await.0, list(&["e3"]));
    assert_eq!(
        ids(&s, eq(F::UserName, "auth0|b@example.com")).await.0,
        list(&["e4"])
    );
    assert_eq!(
        ids(&s, eq(F::Connection, "Username-Password-Authentication"))
            .await
            .1,
        4
    );
    // Values are exact: no prefix, no case folding.
    assert_eq!(ids(&s, eq(F::Type, "f")).await.1, 0);
    // AND, OR, NOT; an event without a user is not `user_id:auth0|a`, so
    // NOT of it holds.
    assert_eq!(
        ids(&s, C::And(vec![eq(F::Type, "s"), eq(F::UserId, "auth0|a")]))
            .await
            .0,
        list(&["e1"])
    );
    assert_eq!(
        ids(&s, C::Or(vec![eq(F::Type, "fp"), eq(F::Type, "fu")]))
            .await
            .0,
        list(&["e3", "e2"])
    );
    assert_eq!(
        ids(&s, C::Not(Box::new(eq(F::UserId, "auth0|a")))).await.0,
        list(&["e4", "e3"])
    );
    // Dates: bounds inclusive or not, either end open.
    let date = |lower: Option<(i64, bool)>, upper: Option<(i64, bool)>| C::Date {
        lower: lower.map(|(value, inclusive)| Bound { value, inclusive }),
        upper: upper.map(|(value, inclusive)| Bound { value, inclusive }),
    };
    assert_eq!(
        ids(&s, date(Some((NOW + 2, true)), Some((NOW + 4, false))))
            .await
            .0,
        list(&["e3", "e2"])
    );
    assert_eq!(
        ids(&s, date(Some((NOW + 2, false)), None)).await.0,
        list(&["e4", "e3"])
    );
    assert_eq!(ids(&s, date(None, None)).await.1, 4);

    // Checkpoint: after an id, in id order, at most `limit`.
    let everything = LogSearch::default();
    let page = s
        .list_log_events(&t("acme"), &everything, &after("e1", 2))
        .await
        .unwrap();
    let got: Vec<&str> = page.items.iter().map(|e| e.log_id.as_str()).collect();
    assert_eq!(got, ["e2", "e3"]);
    let page = s
        .list_log_events(&t("acme"), &everything, &after("e4", 2))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    // From the start (an empty checkpoint sorts before every id).
    let page = s
        .list_log_events(&t("acme"), &everything, &after("", 10))
        .await
        .unwrap();
    let got: Vec<&str> = page.items.iter().map(|e| e.log_id.as_str()).collect();
    assert_eq!(got, ["e1", "e2", "e3", "e4"]);
}
