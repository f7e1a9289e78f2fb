//! Failed-login counters: atomic increments (also under concurrency),
//! windows that restart, expiry, listing and resetting by subject, tenants.

use super::support::t;
use crate::fixtures::NOW;
use std::sync::Arc;
use storage::{CounterKey, CounterKind, Failure, Storage};

fn key(subject: &str, ip: &str) -> CounterKey {
    CounterKey {
        kind: CounterKind::IdentifierIp,
        connection_id: "con_1".to_owned(),
        subject: subject.to_owned(),
        ip: ip.to_owned(),
    }
}

fn failure(now: i64) -> Failure {
    Failure {
        now,
        restart_before: now - 3_600_000,
        expires_at: now + 3_600_000,
    }
}

pub async fn login_counters_count_and_reset(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let ada = key("ada@example.com", "192.0.2.1");
    assert_eq!(s.get_login_counter(&acme, &ada, NOW).await.unwrap(), None);
    for expected in 1..=3 {
        let got = s
            .add_login_failure(&acme, &ada, failure(NOW + expected))
            .await
            .unwrap();
        assert_eq!(got, u64::try_from(expected).unwrap());
    }
    let counter = s
        .get_login_counter(&acme, &ada, NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(counter.failures, 3);
    assert_eq!(counter.window_start, NOW + 1);
    assert_eq!(counter.last_failure, NOW + 3);
    assert_eq!(counter.key, ada);
    // Other IPs, subjects, kinds and tenants count separately.
    let other_ip = key("ada@example.com", "198.51.100.7");
    assert_eq!(
        s.add_login_failure(&acme, &other_ip, failure(NOW))
            .await
            .unwrap(),
        1
    );
    let ip_only = CounterKey {
        kind: CounterKind::Ip,
        connection_id: String::new(),
        subject: String::new(),
        ip: "192.0.2.1".to_owned(),
    };
    assert_eq!(
        s.add_login_failure(&acme, &ip_only, failure(NOW))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.add_login_failure(&t("other"), &ada, failure(NOW))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.get_login_counter(&acme, &ada, NOW)
            .await
            .unwrap()
            .unwrap()
            .failures,
        3
    );

    // A run that started before `restart_before` starts over.
    let later = NOW + 2 * 3_600_000;
    assert_eq!(
        s.add_login_failure(&acme, &ada, failure(later))
            .await
            .unwrap(),
        1
    );
    // Expired counters are invisible.
    assert_eq!(
        s.get_login_counter(&acme, &ada, later + 3_600_000)
            .await
            .unwrap(),
        None
    );

    // Listing and resetting by subject.
    let subjects = vec!["ada@example.com".to_owned(), "ada".to_owned()];
    let listed = s
        .list_login_counters(&acme, CounterKind::IdentifierIp, &subjects, NOW)
        .await
        .unwrap();
    let ips: Vec<_> = listed.iter().map(|c| c.key.ip.as_str()).collect();
    assert_eq!(ips, ["192.0.2.1", "198.51.100.7"]);
    assert!(s.delete_login_counter(&acme, &other_ip).await.unwrap());
    assert!(!s.delete_login_counter(&acme, &other_ip).await.unwrap());
    assert_eq!(
        s.delete_login_counters(&acme, CounterKind::IdentifierIp, &subjects)
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.get_login_counter(&acme, &ada, NOW).await.unwrap(), None);
    assert!(
        s.get_login_counter(&acme, &ip_only, NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.get_login_counter(&t("other"), &ada, NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.list_login_counters(&acme, CounterKind::IdentifierIp, &[], NOW)
            .await
            .unwrap()
            .is_empty()
    );

    // Garbage collection removes expired counters.
    assert!(s.garbage_collect(NOW + 10 * 3_600_000).await.unwrap() >= 2);
    assert_eq!(
        s.get_login_counter(&acme, &ip_only, NOW).await.unwrap(),
        None
    );
}

pub async fn login_counter_increments_race(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let ada = key("ada@example.com", "192.0.2.1");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let s = s.clone();
            let (acme, ada) = (acme.clone(), ada.clone());
            tokio::spawn(async move {
                s.add_login_failure(&acme, &ada, failure(NOW))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=20).collect::<Vec<u64>>(),
        "each caller sees its own count"
    );
    assert_eq!(
        s.get_login_counter(&acme, &ada, NOW)
            .await
            .unwrap()
            .unwrap()
            .failures,
        20
    );
}
