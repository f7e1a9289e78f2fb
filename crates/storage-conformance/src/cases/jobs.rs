//! Jobs: the record, its payloads kept apart, listing by status, claiming a
//! pending job exactly once, expiry; and bulk user inserts.

use super::support::{assert_already_exists, assert_not_found, t};
use crate::fixtures::{self, NOW};
use model::{JobPayload, JobStatus, JobSummary};
use std::sync::Arc;
use storage::{Storage, StorageError};

pub async fn job_crud_and_payloads(s: Arc<dyn Storage>) {
    let acme = t("acme");
    let job = fixtures::job("acme", "job_1", "con_1");
    s.create_job(&job, Some("[{\"email\":\"a@b.co\"}]"))
        .await
        .unwrap();
    assert_already_exists(s.create_job(&job, None).await, "job");
    assert_eq!(s.get_job(&acme, "job_1").await.unwrap(), Some(job.clone()));
    assert_eq!(s.get_job(&acme, "job_2").await.unwrap(), None);
    assert_eq!(
        s.get_job_payload(&acme, "job_1", JobPayload::Input)
            .await
            .unwrap()
            .as_deref(),
        Some("[{\"email\":\"a@b.co\"}]")
    );
    assert_eq!(
        s.get_job_payload(&acme, "job_1", JobPayload::Errors)
            .await
            .unwrap(),
        None
    );

    let done = s
        .update_job(&acme, "job_1", &|mut j| {
            j.status = JobStatus::Completed;
            j.summary = Some(JobSummary {
                failed: 1,
                updated: 2,
                inserted: 3,
                total: 6,
            });
            j.finished_at = Some(NOW + 5);
            Ok(j)
        })
        .await
        .unwrap();
    assert_eq!(s.get_job(&acme, "job_1").await.unwrap(), Some(done));
    s.put_job_payload(&acme, "job_1", JobPayload::Errors, Some("[1]"))
        .await
        .unwrap();
    s.put_job_payload(&acme, "job_1", JobPayload::Input, None)
        .await
        .unwrap();
    assert_eq!(
        s.get_job_payload(&acme, "job_1", JobPayload::Errors)
            .await
            .unwrap()
            .as_deref(),
        Some("[1]")
    );
    assert_eq!(
        s.get_job_payload(&acme, "job_1", JobPayload::Input)
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        s.put_job_payload(&acme, "job_9", JobPayload::Output, Some("x"))
            .await,
    );
    assert_not_found(s.update_job(&acme, "job_9", &Ok).await);

    // Another tenant sees none of it.
    let other = t("other");
    assert_eq!(s.get_job(&other, "job_1").await.unwrap(), None);
    assert_eq!(
        s.get_job_payload(&other, "job_1", JobPayload::Errors)
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        s.put_job_payload(&other, "job_1", JobPayload::Errors, Some("x"))
            .await,
    );
}

pub async fn jobs_list_by_status_and_expire(s: Arc<dyn Storage>) {
    let acme = t("acme");
    for (index, status) in [
        JobStatus::Processing,
        JobStatus::Pending,
        JobStatus::Completed,
        JobStatus::Pending,
    ]
    .into_iter()
    .enumerate()
    {
        let mut job = fixtures::job("acme", &format!("job_{index}"), "con_1");
        job.status = status;
        job.created_at = NOW + 10 - index as i64;
        if status == JobStatus::Completed {
            job.expires_at = Some(NOW + 1_000);
        }
        s.create_job(&job, None).await.unwrap();
    }
    s.create_job(&fixtures::job("other", "job_x", "con_1"), None)
        .await
        .unwrap();
    let ids = |jobs: Vec<model::Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    let unfinished = s
        .list_jobs_by_status(&acme, &[JobStatus::Pending, JobStatus::Processing], 10)
        .await
        .unwrap();
    // Oldest first.
    assert_eq!(ids(unfinished), ["job_3", "job_1", "job_0"]);
    let first = s
        .list_jobs_by_status(&acme, &[JobStatus::Pending], 1)
        .await
        .unwrap();
    assert_eq!(ids(first), ["job_3"]);
    assert!(
        s.list_jobs_by_status(&acme, &[], 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Finished jobs go once they expire; unfinished ones stay.
    s.garbage_collect(NOW + 999).await.unwrap();
    assert!(s.get_job(&acme, "job_2").await.unwrap().is_some());
    s.garbage_collect(NOW + 1_000).await.unwrap();
    assert_eq!(s.get_job(&acme, "job_2").await.unwrap(), None);
    assert!(s.get_job(&acme, "job_1").await.unwrap().is_some());
}

/// Several nodes race to claim a pending job: exactly one wins.
pub async fn job_claim_race(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_job(&fixtures::job("acme", "job_1", "con_1"), None)
        .await
        .unwrap();
    let mut racers = Vec::new();
    for node in 0..8 {
        let s = s.clone();
        let acme = acme.clone();
        racers.push(tokio::spawn(async move {
            let runner = format!("node-{node}");
            s.update_job(&acme, "job_1", &|mut j| {
                if j.status != JobStatus::Pending {
                    return Err(StorageError::Rejected("taken".into()));
                }
                j.status = JobStatus::Processing;
                j.runner = Some(runner.clone());
                Ok(j)
            })
            .await
            .is_ok()
        }));
    }
    let mut winners = 0;
    for racer in racers {
        if racer.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    let job = s.get_job(&acme, "job_1").await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Processing);
    assert!(job.runner.is_some());
}

pub async fn create_users_reports_collisions(s: Arc<dyn Storage>) {
    let acme = t("acme");
    s.create_user(&fixtures::user(
        "acme",
        "auth0|old",
        "con_1",
        "old@example.com",
    ))
    .await
    .unwrap();
    let mut batch = Vec::new();
    for n in 0..1_200 {
        batch.push(fixtures::user(
            "acme",
            &format!("auth0|n{n}"),
            "con_1",
            &format!("user{n}@example.com"),
        ));
    }
    // Same email as an existing user, any case.
    batch.push(fixtures::user(
        "acme",
        "auth0|x1",
        "con_1",
        "OLD@example.com",
    ));
    // Same id as an earlier row of the same batch.
    batch.push(fixtures::user(
        "acme",
        "auth0|n5",
        "con_1",
        "other5@example.com",
    ));
    // Same email as an earlier row, but in another connection: fine.
    batch.push(fixtures::user(
        "acme",
        "auth0|x2",
        "con_2",
        "user7@example.com",
    ));
    let created = s.create_users(&batch).await.unwrap();
    assert_eq!(created.len(), batch.len());
    assert!(created[..1_200].iter().all(|&c| c));
    assert_eq!(&created[1_200..], &[false, false, true]);
    assert_eq!(
        s.get_user(&acme, "auth0|n1199").await.unwrap(),
        Some(batch[1_199].clone())
    );
    assert_eq!(
        s.get_user_by_email(&acme, "con_1", "user5@example.com")
            .await
            .unwrap()
            .map(|u| u.user_id),
        Some("auth0|n5".to_owned())
    );
    assert_eq!(s.get_user(&acme, "auth0|x1").await.unwrap(), None);
    assert!(s.create_users(&[]).await.unwrap().is_empty());
}
