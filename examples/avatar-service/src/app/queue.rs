//! The processing queue shared by both ways an upload arrives (`POST /uploads` in local mode,
//! `POST /avatars/uploaded` in S3 mode): a bounded list of jobs waiting for one of a fixed
//! number of workers.
//!
//! - **Bounded.** At most `max_queued` jobs wait. A caller first takes a [`Reservation`]
//!   (refused with [`QueueFull`] when the queue is full, answered 503 with `Retry-After`),
//!   then stores and records the upload, then commits the reservation; a reservation dropped
//!   uncommitted gives its place back.
//! - **One job per user.** A user's newer upload takes the place of their job still waiting
//!   (the older one is superseded and never runs), and two jobs of the same user never run at
//!   the same time.
//! - **Retries.** A job whose storage failed goes back into the queue with a time before
//!   which it is not picked; the worker is free for other jobs meanwhile.
//!
//! Waiting jobs hold only their key: memory is bounded by the workers (see
//! [`ProcessingConfig`](crate::config::ProcessingConfig)).

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// One upload to process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Job {
    /// The user.
    pub(super) sub: String,
    /// The upload's key in the uploads bucket.
    pub(super) key: String,
    /// The id recorded in `avatar_jobs`.
    pub(super) job_id: String,
    /// Tries made so far.
    pub(super) attempts: u32,
    /// Not to be picked before this time (a retry's backoff).
    pub(super) not_before: Option<Instant>,
}

impl Job {
    /// A new job, never tried.
    pub(super) fn new(sub: impl Into<String>, key: impl Into<String>, job_id: impl Into<String>) -> Job {
        Job { sub: sub.into(), key: key.into(), job_id: job_id.into(), attempts: 0, not_before: None }
    }
}

/// The queue is full: the caller should come back after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct QueueFull {
    /// A guess at when a place will be free.
    pub(super) retry_after: Duration,
}

/// What the queue holds right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(super) struct QueueStats {
    /// Jobs waiting (including those waiting for a retry).
    pub(super) queued: usize,
    /// Jobs being processed.
    pub(super) running: usize,
    /// The most jobs that may wait.
    pub(super) max_queued: usize,
    /// The number of workers.
    pub(super) workers: usize,
}

#[derive(Default)]
struct Inner {
    queued: VecDeque<Job>,
    /// Users whose job a worker is processing.
    running: HashSet<String>,
    /// Places promised to callers that are still storing their upload.
    reserved: usize,
    closed: bool,
}

/// The bounded job queue; see the [module docs](self).
pub(super) struct JobQueue {
    inner: Mutex<Inner>,
    ready: Notify,
    max_queued: usize,
    workers: usize,
}

impl JobQueue {
    /// An empty queue for `workers` workers with room for `max_queued` waiting jobs.
    pub(super) fn new(workers: usize, max_queued: usize) -> Arc<JobQueue> {
        Arc::new(JobQueue {
            inner: Mutex::new(Inner::default()),
            ready: Notify::new(),
            max_queued: max_queued.max(1),
            workers: workers.max(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for `sub`'s next job, or [`QueueFull`]. A user with a job still waiting always
    /// gets one: the new job will take the old one's place.
    pub(super) fn reserve(self: &Arc<Self>, sub: &str) -> Result<Reservation, QueueFull> {
        let mut inner = self.lock();
        let supersedes = inner.queued.iter().any(|j| j.sub == sub);
        if !supersedes && inner.queued.len() + inner.reserved >= self.max_queued {
            // Each worker frees a place about every few seconds; tell the caller to come back
            // after the time the queue ahead of it needs, within reason.
            let ahead = (inner.queued.len() / self.workers).max(1) as u64;
            return Err(QueueFull { retry_after: Duration::from_secs(ahead.clamp(1, 30)) });
        }
        inner.reserved += 1;
        Ok(Reservation { queue: Some(self.clone()) })
    }

    /// Adds a job recorded before start-up, whatever the queue's length: it was acknowledged.
    pub(super) fn resume(&self, job: Job) {
        self.push(job, false);
    }

    /// Puts a job that failed back into the queue, to be picked after `delay`.
    pub(super) fn retry_later(&self, mut job: Job, delay: Duration) {
        job.not_before = Some(Instant::now() + delay);
        self.push(job, false);
    }

    fn push(&self, job: Job, reserved: bool) {
        let mut inner = self.lock();
        if reserved {
            inner.reserved = inner.reserved.saturating_sub(1);
        }
        match inner.queued.iter_mut().find(|j| j.sub == job.sub) {
            // A retry never replaces a newer upload's job.
            Some(_) if job.attempts > 0 => {
                tracing::info!(sub = job.sub, job_id = job.job_id, "retry dropped: a newer upload is queued");
            }
            Some(waiting) => {
                tracing::info!(sub = job.sub, superseded = waiting.job_id, by = job.job_id, "queued upload superseded");
                *waiting = job;
            }
            None => inner.queued.push_back(job),
        }
        drop(inner);
        self.ready.notify_one();
    }

    /// Waits for the next job a worker may take: the first one that is due and whose user has
    /// no job running. `None` once the queue is closed.
    pub(super) async fn next(&self) -> Option<Job> {
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wait = {
                let mut inner = self.lock();
                if inner.closed {
                    return None;
                }
                let now = Instant::now();
                let position = inner
                    .queued
                    .iter()
                    .position(|j| j.not_before.is_none_or(|t| t <= now) && !inner.running.contains(&j.sub));
                if let Some(job) = position.and_then(|i| inner.queued.remove(i)) {
                    inner.running.insert(job.sub.clone());
                    return Some(job);
                }
                inner.queued.iter().filter_map(|j| j.not_before).filter(|&t| t > now).min()
            };
            match wait {
                Some(until) => {
                    tokio::select! {
                        () = &mut notified => {}
                        () = tokio::time::sleep_until(until) => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    /// Marks `sub`'s running job as finished (done, rejected or put back for a retry).
    pub(super) fn finished(&self, sub: &str) {
        self.lock().running.remove(sub);
        // Another worker may have skipped a job of this user while it ran.
        self.ready.notify_waiters();
        self.ready.notify_one();
    }

    /// Wakes every worker and makes [`next`](Self::next) return `None`.
    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_waiters();
    }

    /// The numbers for `/healthz`.
    pub(super) fn stats(&self) -> QueueStats {
        let inner = self.lock();
        QueueStats {
            queued: inner.queued.len(),
            running: inner.running.len(),
            max_queued: self.max_queued,
            workers: self.workers,
        }
    }

    /// The number of workers.
    pub(super) fn workers(&self) -> usize {
        self.workers
    }
}

/// A place in the queue promised to one caller; [`commit`](Self::commit) fills it, dropping
/// it gives it back.
pub(super) struct Reservation {
    queue: Option<Arc<JobQueue>>,
}

impl Reservation {
    /// Queues the job in the reserved place.
    pub(super) fn commit(mut self, job: Job) {
        if let Some(queue) = self.queue.take() {
            queue.push(job, true);
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(queue) = self.queue.take() {
            let mut inner = queue.lock();
            inner.reserved = inner.reserved.saturating_sub(1);
        }
    }
}

/// The delay before try number `attempt + 1` of a job whose storage failed: `base` doubled
/// per try, at most `max`.
pub(super) fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    base.saturating_mul(1u32 << attempt.min(20)).min(max)
}

/// A per-user limit of `per_minute` calls a minute, with bursts of as many (a token bucket
/// per user). Users who have not called for a minute are forgotten, so the table stays small.
pub(super) struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<std::collections::HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` calls per user and minute.
    pub(super) fn new(per_minute: u32) -> RateLimiter {
        RateLimiter { per_minute: per_minute.max(1), buckets: Mutex::new(std::collections::HashMap::new()) }
    }

    /// Takes one call of `user`'s allowance, or says how long until one is free.
    pub(super) fn check(&self, user: &str) -> Result<(), Duration> {
        self.check_at(user, Instant::now())
    }

    fn check_at(&self, user: &str, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, (_, last)| now.duration_since(*last) < Duration::from_secs(60));
        }
        let (tokens, last) = buckets.entry(user.to_owned()).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * per_second).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_second).max(Duration::from_secs(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(sub: &str, id: &str) -> Job {
        Job::new(sub, format!("{sub}.png"), id)
    }

    #[tokio::test]
    async fn full_queue_refuses_and_reservations_give_places_back() {
        let queue = JobQueue::new(1, 2);
        queue.reserve("a").unwrap().commit(job("a", "1"));
        let held = queue.reserve("b").unwrap();
        let refused = queue.reserve("c").err().expect("full: one queued, one reserved");
        assert!(refused.retry_after >= Duration::from_secs(1));
        drop(held);
        queue.reserve("c").unwrap().commit(job("c", "2"));
        assert!(queue.reserve("d").is_err());
        assert_eq!(queue.stats().queued, 2);
    }

    #[tokio::test]
    async fn a_newer_upload_takes_the_place_of_the_waiting_one() {
        let queue = JobQueue::new(1, 2);
        queue.reserve("a").unwrap().commit(job("a", "old"));
        queue.reserve("b").unwrap().commit(job("b", "1"));
        // Full, but a's new upload supersedes a's waiting job, in its place.
        queue.reserve("a").unwrap().commit(job("a", "new"));
        assert_eq!(queue.stats().queued, 2);
        assert_eq!(queue.next().await.unwrap().job_id, "new");
        assert_eq!(queue.next().await.unwrap().job_id, "1");
    }

    #[tokio::test]
    async fn jobs_of_one_user_never_run_together() {
        let queue = JobQueue::new(2, 4);
        queue.reserve("a").unwrap().commit(job("a", "1"));
        let first = queue.next().await.unwrap();
        queue.reserve("a").unwrap().commit(job("a", "2"));
        queue.reserve("b").unwrap().commit(job("b", "3"));
        // a's second job waits while the first runs; b's does not.
        assert_eq!(queue.next().await.unwrap().job_id, "3");
        let waiting = tokio::time::timeout(Duration::from_millis(50), queue.next()).await;
        assert!(waiting.is_err(), "a's second job must wait");
        queue.finished(&first.sub);
        assert_eq!(queue.next().await.unwrap().job_id, "2");
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_waits_for_its_backoff_and_never_replaces_a_newer_upload() {
        let queue = JobQueue::new(1, 4);
        let mut failed = job("a", "1");
        failed.attempts = 1;
        queue.retry_later(failed.clone(), Duration::from_secs(5));
        let started = Instant::now();
        let picked = queue.next().await.unwrap();
        assert_eq!(picked.job_id, "1");
        assert!(started.elapsed() >= Duration::from_secs(5));
        queue.finished("a");

        queue.reserve("a").unwrap().commit(job("a", "2"));
        queue.retry_later(failed, Duration::from_secs(1));
        assert_eq!(queue.stats().queued, 1);
        assert_eq!(queue.next().await.unwrap().job_id, "2");
    }

    #[tokio::test]
    async fn closing_wakes_the_workers() {
        let queue = JobQueue::new(1, 1);
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move { queue.next().await }
        });
        tokio::task::yield_now().await;
        queue.close();
        assert_eq!(waiter.await.unwrap(), None);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let (base, max) = (Duration::from_secs(1), Duration::from_secs(60));
        let delays: Vec<u64> = (0..8).map(|a| backoff(a, base, max).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(u32::MAX, base, max), max);
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_refills() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("a", t0).is_ok());
        }
        let wait = limiter.check_at("a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20), "one call per 20 s");
        assert!(limiter.check_at("b", t0).is_ok(), "per user");
        assert!(limiter.check_at("a", t0 + Duration::from_secs(21)).is_ok());
        assert!(limiter.check_at("a", t0 + Duration::from_secs(21)).is_err());
    }
}
