//! Email provider and templates, the outbox's claims, tenant log events,
//! and peeking at single-use records.

use super::support::{assert_already_exists, offset, t};
use crate::fixtures::{self, NOW};
use model::{EmailProvider, EmailTemplate, LogEvent, OutboxEmail};
use std::sync::Arc;
use storage::{LogSearch, Storage, StorageError};

fn provider(tenant: &str, host: &str) -> EmailProvider {
    EmailProvider {
        tenant_id: t(tenant),
        name: "smtp".into(),
        enabled: true,
        default_from_address: "no-reply@example.com".into(),
        smtp_host: host.into(),
        smtp_port: 587,
        smtp_user: Some("mailer".into()),
        sealed_smtp_pass: Some("sealed".into()),
        allow_insecure_plaintext: false,
        created_at: NOW,
        updated_at: NOW,
    }
}

fn template(tenant: &str, name: &str, subject: &str) -> EmailTemplate {
    EmailTemplate {
        tenant_id: t(tenant),
        template: name.into(),
        body: "<p>{{ url }}</p>".into(),
        from: String::new(),
        subject: subject.into(),
        syntax: "liquid".into(),
        result_url: None,
        url_lifetime_in_seconds: Some(600),
        enabled: true,
        include_email_in_redirect: false,
        updated_at: NOW,
    }
}

fn outbox(tenant: &str, id: &str, due: i64) -> OutboxEmail {
    OutboxEmail {
        tenant_id: t(tenant),
        id: id.into(),
        template: "verify_email".into(),
        user_id: Some("auth0|1".into()),
        sealed_message: format!("sealed-{id}"),
        attempts: 0,
        next_attempt_at: due,
        created_at: NOW,
    }
}

pub(super) fn event(tenant: &str, id: &str, date: i64) -> LogEvent {
    LogEvent {
        tenant_id: t(tenant),
        log_id: id.into(),
        date,
        event_type: "fn".into(),
        description: "failed".into(),
        client_id: None,
        client_name: None,
        connection: None,
        connection_id: None,
        ip: Some("127.0.0.1".into()),
        user_id: Some("auth0|1".into()),
        user_name: None,
        details: serde_json::json!({"attempt": 1}),
    }
}

pub async fn email_provider_and_templates_crud(s: Arc<dyn Storage>) {
    let acme = t("acme");
    assert_eq!(s.get_email_provider(&acme).await.unwrap(), None);
    assert!(matches!(
        s.put_email_provider(&provider("acme", "a.example"), false)
            .await,
        Err(StorageError::NotFound)
    ));
    s.put_email_provider(&provider("acme", "a.example"), true)
        .await
        .unwrap();
    assert_already_exists(
        s.put_email_provider(&provider("acme", "b.example"), true)
            .await,
        "email provider",
    );
    s.put_email_provider(&provider("acme", "c.example"), false)
        .await
        .unwrap();
    assert_eq!(
        s.get_email_provider(&acme).await.unwrap(),
        Some(provider("acme", "c.example"))
    );
    assert_eq!(s.get_email_provider(&t("beta")).await.unwrap(), None);
    s.delete_email_provider(&acme).await.unwrap();
    assert!(matches!(
        s.delete_email_provider(&acme).await,
        Err(StorageError::NotFound)
    ));

    let verify = template("acme", "verify_email", "one");
    s.put_email_template(&verify, true).await.unwrap();
    assert_already_exists(s.put_email_template(&verify, true).await, "email template");
    assert!(matches!(
        s.put_email_template(&template("acme", "reset_email", "x"), false)
            .await,
        Err(StorageError::NotFound)
    ));
    s.put_email_template(&template("acme", "verify_email", "two"), false)
        .await
        .unwrap();
    assert_eq!(
        s.get_email_template(&acme, "verify_email").await.unwrap(),
        Some(template("acme", "verify_email", "two"))
    );
    assert_eq!(
        s.get_email_template(&t("beta"), "verify_email")
            .await
            .unwrap(),
        None
    );
}

pub async fn outbox_claims_retries_and_completes(s: Arc<dyn Storage>) {
    s.enqueue_email(&outbox("acme", "m1", NOW)).await.unwrap();
    s.enqueue_email(&outbox("beta", "m2", NOW + 10))
        .await
        .unwrap();
    s.enqueue_email(&outbox("acme", "later", NOW + 60_000))
        .await
        .unwrap();
    assert_already_exists(
        s.enqueue_email(&outbox("acme", "m1", NOW)).await,
        "outbox email",
    );

    // Due messages of every tenant, in due order; the later one waits.
    let lease = NOW + 120_000;
    let claimed = s.claim_due_emails(NOW + 10, lease, 10).await.unwrap();
    let ids: Vec<&str> = claimed.iter().map(|c| c.email.id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2"]);
    assert!(
        claimed
            .iter()
            .all(|c| c.email.attempts == 1 && c.lease == lease)
    );
    assert_eq!(claimed[0].email.sealed_message, "sealed-m1");
    // Claimed messages are hidden until the lease ends.
    assert!(
        s.claim_due_emails(NOW + 10, lease + 1, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Retry m1 later, deliver m2.
    s.retry_email(&t("acme"), "m1", lease, Some(NOW + 1_000))
        .await
        .unwrap();
    s.complete_email(&t("beta"), "m2", lease).await.unwrap();
    let again = s
        .claim_due_emails(NOW + 1_000, NOW + 200_000, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].email.id, "m1");
    assert_eq!(again[0].email.attempts, 2);
    // A stale lease changes nothing.
    s.complete_email(&t("acme"), "m1", lease).await.unwrap();
    // Giving up removes it.
    s.retry_email(&t("acme"), "m1", NOW + 200_000, None)
        .await
        .unwrap();
    let rest = s
        .claim_due_emails(NOW + 60_000, NOW + 300_000, 10)
        .await
        .unwrap();
    let ids: Vec<&str> = rest.iter().map(|c| c.email.id.as_str()).collect();
    assert_eq!(ids, ["later"]);
}

/// 8 workers claim the same 20 due messages at once: each goes to one.
pub async fn outbox_claim_race(s: Arc<dyn Storage>) {
    for i in 0..20 {
        s.enqueue_email(&outbox("acme", &format!("m{i:02}"), NOW))
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.claim_due_emails(NOW, NOW + 1_000 + worker, 20)
                .await
                .unwrap()
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.unwrap().into_iter().map(|c| c.email.id));
    }
    ids.sort();
    let expected: Vec<String> = (0..20).map(|i| format!("m{i:02}")).collect();
    assert_eq!(ids, expected);
}

pub async fn log_events_list_newest_first_and_stay_in_their_tenant(s: Arc<dyn Storage>) {
    let newest = LogSearch::default();
    let oldest = LogSearch {
        condition: None,
        ascending: true,
    };
    for (id, date) in [("a", NOW), ("b", NOW + 2), ("c", NOW + 1)] {
        s.append_log_event(&event("acme", id, date)).await.unwrap();
    }
    s.append_log_event(&event("beta", "z", NOW)).await.unwrap();
    assert_already_exists(
        s.append_log_event(&event("acme", "a", NOW)).await,
        "log event",
    );
    let page = s
        .list_log_events(&t("acme"), &newest, &offset(0, 2))
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|e| e.log_id.as_str()).collect();
    assert_eq!((ids, page.total), (vec!["b", "c"], 3));
    let page = s
        .list_log_events(&t("acme"), &oldest, &offset(1, 5))
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|e| e.log_id.as_str()).collect();
    assert_eq!(ids, ["c", "b"]);
    assert_eq!(
        s.get_log_event(&t("acme"), "a").await.unwrap(),
        Some(event("acme", "a", NOW))
    );
    assert_eq!(s.get_log_event(&t("beta"), "a").await.unwrap(), None);
    // Events older than 30 days are swept; one a little younger stays.
    assert_eq!(s.garbage_collect(NOW + 30 * 86_400_000).await.unwrap(), 2);
    assert_eq!(
        s.list_log_events(&t("acme"), &newest, &offset(0, 10))
            .await
            .unwrap()
            .total,
        2
    );
    let removed = s.garbage_collect(NOW + 30 * 86_400_000 + 10).await.unwrap();
    assert_eq!(removed, 2);
    assert_eq!(
        s.list_log_events(&t("acme"), &newest, &offset(0, 10))
            .await
            .unwrap()
            .total,
        0
    );
}

pub async fn one_time_can_be_peeked_without_consuming(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let record = fixtures::one_time("acme", "password_reset_ticket", "h", NOW + 1_000);
    s.create_one_time(&record).await.unwrap();
    for _ in 0..2 {
        assert_eq!(
            s.get_one_time(&acme, "password_reset_ticket", "h", NOW)
                .await
                .unwrap(),
            Some(record.clone())
        );
    }
    assert_eq!(
        s.get_one_time(&acme, "password_reset_ticket", "h", NOW + 1_000)
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        s.get_one_time(&t("beta"), "password_reset_ticket", "h", NOW)
            .await
            .unwrap(),
        None
    );
    assert!(
        s.consume_one_time(&acme, "password_reset_ticket", "h", NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.get_one_time(&acme, "password_reset_ticket", "h", NOW)
            .await
            .unwrap(),
        None
    );
}
