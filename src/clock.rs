//! Time as the access rules see it. Production reads the system clock; tests drive a manual
//! clock so that lockout, idle timeout and session lifetime are tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

pub type SharedClock = Arc<dyn Clock>;

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        crate::db::now_ms()
    }
}

/// The local calendar day of a clock reading (deadlines count days).
pub fn local_date(ms: i64) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&chrono::Local).date_naive())
        .unwrap_or_else(|| chrono::Local::now().date_naive())
}

pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// A clock that moves only when told to.
#[derive(Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn starting_now() -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(crate::db::now_ms())))
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.0.fetch_add(minutes * 60_000, Ordering::SeqCst);
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
