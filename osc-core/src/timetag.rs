//! NTP timetags: the time format of OSC bundles and of the `t` argument.
//!
//! A [`TimeTag`] is the 64-bit NTP timestamp: seconds since 1900-01-01 00:00:00 UTC in the upper 32 bits and
//! a binary fraction of a second (units of 2⁻³² s, about 233 ps) in the lower 32 bits. The value 1
//! ([`TimeTag::IMMEDIATELY`]) is reserved by OSC to mean "now".
//!
//! # Eras and the year 2036
//!
//! 32 bits of seconds run out on 2036-02-07 06:28:16 UTC, when NTP era 1 begins and the seconds field wraps
//! to 0. A timetag carries no era number, so this crate uses the rule of RFC 4330 §3 to convert to and from
//! [`Duration`] since the UNIX epoch: a timetag whose most significant seconds bit is **set** is in era 0
//! (1968-01-20 to 2036-02-07), one whose top bit is **clear** is in era 1 (2036-02-07 to 2104-02-26). This
//! covers every instant from 1970-01-01 to 2104-02-26 without ambiguity. Conversions outside that span
//! return [`TimeTagError`].
//!
//! # Exactness
//!
//! All conversions are integer arithmetic (no `f64`). [`TimeTag::from_unix`] rounds the nanoseconds *up*
//! to the next fraction unit and [`TimeTag::to_unix`] rounds *down*, so `Duration → TimeTag → Duration`
//! gives back exactly the same nanoseconds, and `TimeTag → Duration → TimeTag` is within one nanosecond.
//!
//! The host clock is not read here: a std adapter turns `SystemTime` into a [`Duration`] and calls
//! [`TimeTag::from_unix`].

use core::fmt;
use core::time::Duration;

/// Seconds from 1900-01-01 (the NTP epoch) to 1970-01-01 (the UNIX epoch).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Seconds from the UNIX epoch to the start of NTP era 1 (2036-02-07 06:28:16 UTC).
const ERA1_UNIX: u64 = (1 << 32) - NTP_UNIX_OFFSET;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A 64-bit NTP timestamp as used by OSC.
///
/// ```
/// use core::time::Duration;
/// use osc_core::TimeTag;
///
/// // 2026-11-24 00:00:00.5 UTC
/// let unix = Duration::new(1_795_478_400, 500_000_000);
/// let tt = TimeTag::from_unix(unix).unwrap();
/// assert_eq!(tt.seconds(), 1_795_478_400 + 2_208_988_800);
/// assert_eq!(tt.fraction(), 0x8000_0000);
/// assert_eq!(tt.to_unix(), Ok(unix));
/// assert!(TimeTag::IMMEDIATELY.is_immediately());
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimeTag(u64);

/// A conversion between [`TimeTag`] and [`Duration`] left the range the conversion can express.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TimeTagError {
    /// The instant is after 2104-02-26, the end of NTP era 1.
    AfterEra1,
    /// The timetag denotes an instant before the UNIX epoch (1968-01-20 to 1969-12-31 in era 0).
    BeforeUnixEpoch,
}

impl fmt::Display for TimeTagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AfterEra1 => "instant after the end of NTP era 1 (2104-02-26)",
            Self::BeforeUnixEpoch => "timetag is before the UNIX epoch",
        })
    }
}

impl core::error::Error for TimeTagError {}

impl TimeTag {
    /// The reserved value 1 (63 zero bits and a one): "dispatch immediately".
    pub const IMMEDIATELY: TimeTag = TimeTag(1);

    /// A timetag from its raw 64-bit wire value.
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// The raw 64-bit wire value (`seconds << 32 | fraction`).
    pub const fn to_bits(self) -> u64 {
        self.0
    }

    /// A timetag from NTP seconds (since 1900) and a fraction in units of 2⁻³² s.
    ///
    /// ```
    /// use osc_core::TimeTag;
    /// let tt = TimeTag::new(3_900_000_000, 0x8000_0000);
    /// assert_eq!(tt.to_bits(), 0xe875_4700_8000_0000);
    /// ```
    pub const fn new(seconds: u32, fraction: u32) -> Self {
        Self(((seconds as u64) << 32) | fraction as u64)
    }

    /// NTP seconds since 1900 (in the timetag's era).
    pub const fn seconds(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// Fraction of a second in units of 2⁻³² s.
    pub const fn fraction(self) -> u32 {
        self.0 as u32
    }

    /// Whether this is the reserved "immediately" value.
    pub const fn is_immediately(self) -> bool {
        self.0 == Self::IMMEDIATELY.0
    }

    /// The timetag for an instant given as time since the UNIX epoch.
    ///
    /// Sub-nanosecond precision cannot be lost: nanoseconds are rounded up to the next fraction unit, so
    /// [`to_unix`](Self::to_unix) returns exactly `since_unix`. Instants from 2036-02-07 on are written in NTP
    /// era 1 (the seconds field wraps), as RFC 4330 prescribes.
    ///
    /// ```
    /// use core::time::Duration;
    /// use osc_core::{TimeTag, TimeTagError};
    ///
    /// let d = Duration::new(2_085_978_496, 123_456_789); // 2036-02-07 06:28:16.123456789
    /// let tt = TimeTag::from_unix(d).unwrap();
    /// assert_eq!(tt.seconds(), 0); // era 1 started
    /// assert_eq!(tt.to_unix(), Ok(d));
    /// assert_eq!(
    ///     TimeTag::from_unix(Duration::from_secs(5_000_000_000)),
    ///     Err(TimeTagError::AfterEra1)
    /// );
    /// ```
    pub const fn from_unix(since_unix: Duration) -> Result<Self, TimeTagError> {
        let ntp_secs = since_unix.as_secs().saturating_add(NTP_UNIX_OFFSET);
        // Era 0 covers [2^31, 2^32) under the RFC 4330 rule, era 1 covers [2^32, 2^32 + 2^31).
        if ntp_secs >= (1 << 32) + (1 << 31) {
            return Err(TimeTagError::AfterEra1);
        }
        let nanos = since_unix.subsec_nanos() as u64;
        // ceil(nanos * 2^32 / 1e9) < 2^32 because nanos < 1e9 - 0.2.
        let fraction = (nanos << 32).div_ceil(NANOS_PER_SEC);
        Ok(Self::new(ntp_secs as u32, fraction as u32))
    }

    /// The instant as time since the UNIX epoch, reading the era by the RFC 4330 rule.
    ///
    /// The fraction is rounded down to whole nanoseconds. [`TimeTag::IMMEDIATELY`] is not special here: check
    /// [`is_immediately`](Self::is_immediately) first if it matters.
    pub const fn to_unix(self) -> Result<Duration, TimeTagError> {
        let secs = self.seconds() as u64;
        let unix_secs = if secs & (1 << 31) != 0 {
            if secs < NTP_UNIX_OFFSET {
                return Err(TimeTagError::BeforeUnixEpoch);
            }
            secs - NTP_UNIX_OFFSET
        } else {
            secs + ERA1_UNIX
        };
        let nanos = (self.fraction() as u64 * NANOS_PER_SEC) >> 32;
        Ok(Duration::new(unix_secs, nanos as u32))
    }

    /// The fraction as nanoseconds (rounded down).
    pub const fn subsec_nanos(self) -> u32 {
        ((self.fraction() as u64 * NANOS_PER_SEC) >> 32) as u32
    }

    /// This timetag moved forward by `d`, wrapping at the end of the 64-bit range like NTP arithmetic.
    ///
    /// ```
    /// use core::time::Duration;
    /// use osc_core::TimeTag;
    /// let t = TimeTag::new(10, 0).wrapping_add(Duration::from_millis(1500));
    /// assert_eq!((t.seconds(), t.fraction()), (11, 0x8000_0000));
    /// ```
    pub const fn wrapping_add(self, d: Duration) -> Self {
        Self(self.0.wrapping_add(duration_to_ntp64(d)))
    }

    /// Whether this timetag is a later instant than `other`, also across the 2036 era boundary.
    ///
    /// [`IMMEDIATELY`](Self::IMMEDIATELY), and 0 (which some senders use for it), come before every other
    /// timetag. Any other two are compared by their difference modulo 2⁶⁴ (serial-number arithmetic, as in
    /// RFC 1982), which is right for instants less than 2³¹ s (68 years) apart, including a pair on either
    /// side of 2036-02-07, where the seconds field wraps to 0. This is the comparison the
    /// [`Scheduler`](crate::Scheduler) uses. The derived `Ord` compares the raw 64-bit values instead.
    ///
    /// ```
    /// use core::time::Duration;
    /// use osc_core::TimeTag;
    /// let before = TimeTag::new(u32::MAX, 0); // 2036-02-07 06:28:15 UTC, era 0
    /// let after = before.wrapping_add(Duration::from_secs(2)); // 06:28:17, era 1
    /// assert_eq!(after.seconds(), 1);
    /// assert!(after.is_later_than(before) && !before.is_later_than(after));
    /// assert!(after > TimeTag::IMMEDIATELY && !TimeTag::IMMEDIATELY.is_later_than(after));
    /// assert!(after < before); // the raw values
    /// ```
    pub const fn is_later_than(self, other: TimeTag) -> bool {
        match (self.0 <= 1, other.0 <= 1) {
            (true, _) => false,
            (false, true) => true,
            (false, false) => self.0.wrapping_sub(other.0).cast_signed() > 0,
        }
    }

    /// The later of two timetags, by [`is_later_than`](Self::is_later_than) (`self` if neither is later).
    pub const fn later(self, other: TimeTag) -> TimeTag {
        if other.is_later_than(self) {
            other
        } else {
            self
        }
    }

    /// How long after `earlier` this timetag is, or `None` if it is earlier.
    ///
    /// The difference is taken modulo 2⁶⁴, as by [`is_later_than`](Self::is_later_than): it is right for
    /// instants less than 2³¹ s (68 years) apart, also across the 2036 era boundary.
    ///
    /// ```
    /// use core::time::Duration;
    /// use osc_core::TimeTag;
    /// let before = TimeTag::new(u32::MAX, 0);
    /// let after = TimeTag::new(1, 0x8000_0000);
    /// assert_eq!(after.duration_since(before), Some(Duration::from_millis(2500)));
    /// assert_eq!(before.duration_since(after), None);
    /// ```
    pub const fn duration_since(self, earlier: TimeTag) -> Option<Duration> {
        let diff = self.0.wrapping_sub(earlier.0);
        if diff.cast_signed() < 0 {
            return None;
        }
        let nanos = ((diff & 0xffff_ffff) * NANOS_PER_SEC) >> 32;
        Some(Duration::new(diff >> 32, nanos as u32))
    }
}

/// A duration as 32.32 fixed point, truncating seconds beyond 2³² and rounding nanoseconds up.
const fn duration_to_ntp64(d: Duration) -> u64 {
    let frac = ((d.subsec_nanos() as u64) << 32).div_ceil(NANOS_PER_SEC);
    (d.as_secs() << 32).wrapping_add(frac)
}

impl From<u64> for TimeTag {
    fn from(bits: u64) -> Self {
        Self(bits)
    }
}

impl From<TimeTag> for u64 {
    fn from(t: TimeTag) -> Self {
        t.0
    }
}

impl fmt::Display for TimeTag {
    /// `SSSSSSSS.FFFFFFFF`: seconds and fraction in hexadecimal, as liblo's `oscdump` prints them.
    ///
    /// ```
    /// use osc_core::TimeTag;
    /// assert_eq!(TimeTag::IMMEDIATELY.to_string(), "00000000.00000001");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}.{:08x}", self.seconds(), self.fraction())
    }
}

impl fmt::Debug for TimeTag {
    /// `TimeTag(SSSSSSSS.FFFFFFFF)`, as [`Display`](fmt::Display) shows it, or `TimeTag(IMMEDIATELY)`.
    ///
    /// ```
    /// use osc_core::TimeTag;
    /// assert_eq!(format!("{:?}", TimeTag::new(0xe875_4700, 0x8000_0000)), "TimeTag(e8754700.80000000)");
    /// assert_eq!(format!("{:?}", TimeTag::IMMEDIATELY), "TimeTag(IMMEDIATELY)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_immediately() {
            f.write_str("TimeTag(IMMEDIATELY)")
        } else {
            write!(f, "TimeTag({self})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanos_round_trip_exactly() {
        for nanos in [
            0,
            1,
            2,
            232,
            233,
            234,
            499_999_999,
            500_000_000,
            999_999_999,
        ] {
            for secs in [
                0u64,
                1,
                1_795_478_400,
                ERA1_UNIX - 1,
                ERA1_UNIX,
                ERA1_UNIX + 7,
            ] {
                let d = Duration::new(secs, nanos);
                let tt = TimeTag::from_unix(d).unwrap();
                assert_eq!(tt.to_unix(), Ok(d), "{d:?}");
            }
        }
    }

    #[test]
    fn timetag_round_trip_within_a_nanosecond() {
        for frac in [0u32, 1, 4, 5, 0x8000_0000, u32::MAX - 1, u32::MAX] {
            let tt = TimeTag::new(3_900_000_000, frac);
            let back = TimeTag::from_unix(tt.to_unix().unwrap()).unwrap();
            assert_eq!(back.seconds(), tt.seconds());
            let diff = i64::from(back.fraction()) - i64::from(frac);
            assert!(diff.abs() <= 5, "{frac} -> {}", back.fraction());
        }
    }

    #[test]
    fn era_rules() {
        assert_eq!(
            TimeTag::new(0x7fff_ffff, 0).to_unix().unwrap().as_secs(),
            0x7fff_ffff + ERA1_UNIX
        );
        assert_eq!(
            TimeTag::new(0x8000_0000, 0).to_unix(),
            Err(TimeTagError::BeforeUnixEpoch)
        );
        assert_eq!(
            TimeTag::new(NTP_UNIX_OFFSET as u32, 0).to_unix(),
            Ok(Duration::ZERO)
        );
        let last = Duration::new(ERA1_UNIX + (1 << 31) - 1, 999_999_999);
        assert_eq!(TimeTag::from_unix(last).unwrap().to_unix(), Ok(last));
        assert_eq!(
            TimeTag::from_unix(Duration::from_secs(ERA1_UNIX + (1 << 31))),
            Err(TimeTagError::AfterEra1)
        );
        assert_eq!(
            TimeTag::from_unix(Duration::MAX),
            Err(TimeTagError::AfterEra1)
        );
    }

    #[test]
    fn durations() {
        let a = TimeTag::new(100, 0);
        let b = a.wrapping_add(Duration::new(2, 250_000_000));
        assert_eq!(b.fraction(), 0x4000_0000);
        assert_eq!(b.duration_since(a), Some(Duration::new(2, 250_000_000)));
        assert_eq!(a.duration_since(b), None);
    }
}
