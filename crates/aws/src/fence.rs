//! Fencing: once this process may no longer hold the apply lease, it makes no further write.
//!
//! The fence trips in two ways: a renewal of the lease finds that another run took it over
//! (the lease object's ETag changed), or too long has passed since the last renewal that S3
//! confirmed, measured on this machine's own clocks, so a run that was stalled (a suspended
//! laptop, a network partition) stops before a later run can have taken its lease over. Every
//! write call is admitted by it before each attempt ([`crate::call::call`]); reads go on.
//!
//! Admitting a write (and journalling its `before` line) and tripping (and journalling the
//! `fenced` line) happen under one lock, so the journal shows exactly which writes were sent
//! before the fence tripped: none follows the `fenced` line.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use groundwork_apply::Journal;

/// Whether this process may still write. A fence without a limit (no lease held) never trips
/// on time.
#[derive(Debug, Default)]
pub struct Fence {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Why writing stopped, once it has.
    tripped: Option<String>,
    /// The lease's safe age: how long after a confirmed renewal this process may still write.
    limit: Option<Duration>,
    /// When the last confirmed renewal was sent, on the monotonic clock and on the wall clock
    /// (the monotonic clock of some systems stops while suspended; the wall clock does not).
    renewed: Option<(Instant, SystemTime)>,
}

impl Fence {
    /// Starts guarding a lease: writes are allowed for `limit` after each [`Fence::renewed`].
    pub fn arm(&self, limit: Duration, sent: (Instant, SystemTime)) {
        let mut s = self.state.lock().expect("fence");
        s.limit = Some(limit);
        s.renewed = Some(sent);
    }

    /// A renewal sent at `sent` was confirmed.
    pub fn renewed(&self, sent: (Instant, SystemTime)) {
        let mut s = self.state.lock().expect("fence");
        s.renewed = Some(sent);
    }

    /// Stops every later write, saying why, and journals it.
    pub fn trip(&self, journal: &Journal, why: impl Into<String>) {
        let mut s = self.state.lock().expect("fence");
        if s.tripped.is_none() {
            let why = why.into();
            journal.fenced(&why);
            s.tripped = Some(why);
        }
    }

    /// Replaces the reason of a tripped fence with a fuller one (who took the lease over).
    pub fn explain(&self, why: impl Into<String>) {
        let mut s = self.state.lock().expect("fence");
        if s.tripped.is_some() {
            s.tripped = Some(why.into());
        }
    }

    /// Admits one write attempt: runs `record` (journalling it) and returns `Ok`, unless writing
    /// has stopped.
    ///
    /// # Errors
    /// Why writing stopped.
    pub fn admit(&self, journal: &Journal, record: impl FnOnce()) -> Result<(), String> {
        let mut s = self.state.lock().expect("fence");
        if let Some(why) = Self::stopped(&mut s) {
            if s.tripped.is_none() {
                journal.fenced(&why);
                s.tripped = Some(why.clone());
            }
            return Err(why);
        }
        record();
        Ok(())
    }

    /// No longer guarding a lease (it was released).
    pub fn disarm(&self) {
        let mut s = self.state.lock().expect("fence");
        s.limit = None;
        s.renewed = None;
    }

    /// `Err(why)` once writing must stop.
    ///
    /// # Errors
    /// Why writing stopped.
    pub fn check(&self) -> Result<(), String> {
        let mut s = self.state.lock().expect("fence");
        match Self::stopped(&mut s) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    /// Why writing must stop: tripped, or too long since the last confirmed renewal.
    fn stopped(s: &mut State) -> Option<String> {
        if let Some(why) = &s.tripped {
            return Some(why.clone());
        }
        let (Some(limit), Some((mono, wall))) = (s.limit, s.renewed) else { return None };
        let age = mono.elapsed().max(wall.elapsed().unwrap_or_default());
        (age > limit).then(|| {
            format!(
                "the apply lease was last renewed {}s ago, longer than its safe age of {}s: another run may have \
                 taken it over, so this run stops writing",
                age.as_secs(),
                limit.as_secs()
            )
        })
    }

    /// Whether writing has stopped.
    pub fn tripped(&self) -> bool {
        self.check().is_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unarmed_fence_never_trips_on_time() {
        let f = Fence::default();
        assert!(f.check().is_ok());
    }

    #[test]
    fn an_armed_fence_trips_after_its_limit_and_stays_tripped() {
        let f = Fence::default();
        let ten = Duration::from_secs(10);
        let long_ago = (Instant::now().checked_sub(ten).unwrap(), SystemTime::now().checked_sub(ten).unwrap());
        f.arm(Duration::from_mins(1), long_ago);
        assert!(f.check().is_ok());
        f.arm(Duration::from_secs(5), long_ago);
        let why = f.admit(&Journal::disabled(), || panic!("not admitted")).unwrap_err();
        assert!(why.contains("safe age of 5s"), "{why}");
        f.renewed((Instant::now(), SystemTime::now()));
        assert!(f.check().is_err(), "a tripped fence does not reset");
    }

    #[test]
    fn the_wall_clock_counts_when_the_monotonic_clock_did_not() {
        let f = Fence::default();
        f.arm(
            Duration::from_secs(5),
            (Instant::now(), SystemTime::now().checked_sub(Duration::from_secs(30)).unwrap()),
        );
        assert!(f.tripped());
    }

    #[test]
    fn a_trip_keeps_its_first_reason() {
        let f = Fence::default();
        let journal = Journal::disabled();
        f.trip(&journal, "taken over by run B");
        f.trip(&journal, "later");
        assert_eq!(f.check().unwrap_err(), "taken over by run B");
    }
}
