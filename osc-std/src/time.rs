//! The std clock as OSC timetags: conversions between [`SystemTime`] and [`TimeTag`].
//!
//! osc-core never reads a clock; the servers in this crate drive its
//! [`Scheduler`](osc_core::Scheduler) with [`now`].
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use osc_std::time;
//!
//! let t = SystemTime::UNIX_EPOCH + Duration::new(1_795_478_400, 500_000_000);
//! let tag = time::from_system_time(t)?;
//! assert_eq!((tag.seconds(), tag.fraction()), (1_795_478_400 + 2_208_988_800, 0x8000_0000));
//! assert_eq!(time::to_system_time(tag)?, t);
//!
//! // Half a second from now, e.g. for a bundle.
//! let later = time::after(Duration::from_millis(500));
//! assert!(later > time::now());
//! # Ok::<(), osc_core::TimeTagError>(())
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use osc_core::{TimeTag, TimeTagError};

/// The current time as a timetag.
///
/// A system clock set before 1970 reads as the UNIX epoch, and one after 2104 (the end of NTP era 1)
/// as the last representable instant; both are clocks gone wrong, and saturating keeps a server
/// running.
pub fn now() -> TimeTag {
    match from_system_time(SystemTime::now()) {
        Ok(t) => t,
        Err(TimeTagError::BeforeUnixEpoch) => TimeTag::new(osc_core::NTP_UNIX_OFFSET as u32, 0),
        Err(_) => TimeTag::new((1 << 31) - 1, u32::MAX),
    }
}

/// The timetag `d` from now (for bundles that should fire later).
///
/// ```
/// use std::time::Duration;
/// let t = osc_std::time::after(Duration::from_secs(1));
/// let left = osc_std::time::until(t).unwrap();
/// assert!(left <= Duration::from_secs(1) && left > Duration::from_millis(900));
/// ```
pub fn after(d: Duration) -> TimeTag {
    now().wrapping_add(d)
}

/// How long until `t`, or `None` if `t` is now or in the past ([`TimeTag::IMMEDIATELY`] included).
pub fn until(t: TimeTag) -> Option<Duration> {
    t.duration_since(now()).filter(|d| !d.is_zero())
}

/// The timetag of a system time.
///
/// # Errors
///
/// [`TimeTagError::BeforeUnixEpoch`] for an instant before 1970-01-01, and
/// [`TimeTagError::AfterEra1`] after 2104-02-26.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use osc_core::TimeTagError;
/// use osc_std::time::from_system_time;
///
/// assert_eq!(from_system_time(SystemTime::UNIX_EPOCH)?.seconds(), 2_208_988_800);
/// assert_eq!(
///     from_system_time(SystemTime::UNIX_EPOCH - Duration::from_secs(1)),
///     Err(TimeTagError::BeforeUnixEpoch)
/// );
/// # Ok::<(), TimeTagError>(())
/// ```
pub fn from_system_time(t: SystemTime) -> Result<TimeTag, TimeTagError> {
    let since = t
        .duration_since(UNIX_EPOCH)
        .map_err(|_| TimeTagError::BeforeUnixEpoch)?;
    TimeTag::from_unix(since)
}

/// The system time of a timetag (read in NTP era 0 or 1 by the RFC 4330 rule).
///
/// [`TimeTag::IMMEDIATELY`] is not special here (it reads as 2036-02-07, in era 1): check
/// [`TimeTag::is_immediately`] first where it matters.
///
/// # Errors
///
/// [`TimeTagError::BeforeUnixEpoch`] for a timetag before 1970.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use osc_core::TimeTag;
/// use osc_std::time::to_system_time;
///
/// let tag = TimeTag::new(2_208_988_800 + 60, 0);
/// assert_eq!(to_system_time(tag)?, SystemTime::UNIX_EPOCH + Duration::from_secs(60));
/// # Ok::<(), osc_core::TimeTagError>(())
/// ```
pub fn to_system_time(t: TimeTag) -> Result<SystemTime, TimeTagError> {
    let since = t.to_unix()?;
    UNIX_EPOCH.checked_add(since).ok_or(TimeTagError::AfterEra1)
}
