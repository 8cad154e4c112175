//! Per-workspace token buckets.
//!
//! Buckets are made once, for the configured workspaces, so checking one takes one small lock
//! and workspaces never contend with each other.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::config::{Config, RateLimit};

/// The rate limiter of all workspaces.
#[derive(Debug)]
pub struct RateLimiter {
    buckets: HashMap<String, Mutex<Bucket>>,
    /// How many gateways share each workspace's limit; this one allows its share.
    share: AtomicU32,
}

#[derive(Debug)]
struct Bucket {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
}

/// A request was refused: try again after this long.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limited {
    /// Time until a token is available.
    pub retry_after: Duration,
    /// The workspace's sustained rate.
    pub per_second: f64,
}

impl Limited {
    /// `Retry-After` in whole seconds, rounded up (the header has no fractions; 0 would invite
    /// an immediate retry that fails again).
    pub fn retry_after_secs(&self) -> u64 {
        (self.retry_after.as_secs_f64().ceil() as u64).max(1)
    }
}

impl RateLimiter {
    /// Full buckets for every workspace of `config`.
    pub fn new(config: &Config, now: Instant) -> Self {
        let buckets = config
            .workspaces
            .iter()
            .map(|w| {
                let limit = w.rate_limit.unwrap_or(config.rate_limit);
                (w.id.clone(), Mutex::new(Bucket { limit, tokens: limit.burst(), last: now }))
            })
            .collect();
        RateLimiter { buckets, share: AtomicU32::new(1) }
    }

    /// Makes each workspace's limit a limit of `gateways` gateways together: this one allows
    /// 1/`gateways` of the rate and of the burst (see `ingest::shared_limit`).
    pub fn set_share(&self, gateways: u32) {
        self.share.store(gateways.max(1), Ordering::Relaxed);
    }

    /// Takes a token for `workspace`. A workspace without a bucket is not limited here (it
    /// cannot have passed authentication).
    pub fn check(&self, workspace: &str, now: Instant) -> Result<(), Limited> {
        let Some(bucket) = self.buckets.get(workspace) else { return Ok(()) };
        // A poisoned lock only means another request panicked mid-update of two numbers;
        // the numbers are still usable.
        let mut b = bucket.lock().unwrap_or_else(|e| e.into_inner());
        let share = f64::from(self.share.load(Ordering::Relaxed));
        let per_second = b.limit.per_second / share;
        let burst = (b.limit.burst() / share).max(1.0);
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_second).min(burst);
        b.last = b.last.max(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / per_second;
            // try_: a rate of 1e-300 a second would overflow a Duration, and this must not panic.
            let retry_after = Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX);
            Err(Limited { retry_after, per_second: b.limit.per_second })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WorkspaceConfig;

    fn limiter(per_second: f64, burst: Option<f64>, now: Instant) -> RateLimiter {
        let config = Config {
            workspaces: vec![WorkspaceConfig {
                id: "w".into(),
                key: "k".into(),
                rate_limit: None,
                destination: None,
            }],
            rate_limit: RateLimit { per_second, burst },
            ..Config::default()
        };
        RateLimiter::new(&config, now)
    }

    #[test]
    fn allows_the_burst_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let l = limiter(10.0, Some(3.0), t0);
        for _ in 0..3 {
            assert!(l.check("w", t0).is_ok());
        }
        let refused = l.check("w", t0).unwrap_err();
        assert!((refused.retry_after.as_secs_f64() - 0.1).abs() < 1e-9);
        assert_eq!(refused.retry_after_secs(), 1);
        assert!(l.check("w", t0 + Duration::from_millis(100)).is_ok());
        assert!(l.check("w", t0 + Duration::from_millis(100)).is_err());
        // A long pause refills only up to the burst.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(l.check("w", later).is_ok());
        }
        assert!(l.check("w", later).is_err());
    }

    #[test]
    fn absurdly_low_rates_do_not_panic() {
        let t0 = Instant::now();
        let l = limiter(1e-300, None, t0);
        assert!(l.check("w", t0).is_ok());
        assert_eq!(l.check("w", t0).unwrap_err().retry_after_secs(), u64::MAX);
    }

    #[test]
    fn retry_after_rounds_up_to_seconds() {
        let t0 = Instant::now();
        let l = limiter(0.01, None, t0);
        assert!(l.check("w", t0).is_ok());
        assert_eq!(l.check("w", t0).unwrap_err().retry_after_secs(), 100);
    }
}
