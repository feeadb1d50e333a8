//! `osc replay`: the lines of a recording read into packets, grouped and paced. No I/O here:
//! [`net::replay`](super::net::replay()) reads the lines, sleeps and sends.
//!
//! A recording is what `osc dump --timestamps` prints, as JSON (`--json`: exact) or as text (liblo's
//! `oscdump` form, which is what liblo's `oscsendfile` replays). Each packet goes out after the gap since
//! the timed line before it, divided by the speed; see [`Pacer`] for gaps that run backwards or are too
//! long (a text line from a timed bundle carries the sender's timetag, not the receive time, so one
//! recording can hold two clocks). Text lines that share a timetag came out of
//! one bundle (the receive time of two datagrams never repeats to the 2⁻³² s), so they go out together in
//! a bundle timed "immediately", as `oscsendfile` does; JSON lines keep their bundles as recorded, or
//! moved to the replay's time by [`retime`] (`--retime`).

use std::time::{Duration, Instant};

use osc_core::TimeTag;

use super::json;
use super::text;
use super::value::PacketValue;

/// One line of a recording, read.
#[derive(Debug, PartialEq)]
pub(crate) struct Record {
    /// When it was received (or, for text lines from a bundle, the bundle's timetag).
    pub(crate) time: Option<TimeTag>,
    pub(crate) packet: PacketValue,
    /// A text line: it joins the lines next to it that have the same time into one bundle.
    pub(crate) text: bool,
}

/// Reads one line: JSON (it starts with `{`), the text form, or nothing (a blank line or a `#` comment).
/// `now` is the time for JSON timetags given as `"now"`.
pub(crate) fn parse_record(
    line: &str,
    now: &dyn Fn() -> TimeTag,
) -> Result<Option<Record>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    if line.starts_with('{') {
        let (time, packet) = json::record_from_json(line, now)?;
        return Ok(Some(Record {
            time,
            packet,
            text: false,
        }));
    }
    let l = text::parse_line(line)?;
    Ok(Some(Record {
        time: l.time,
        packet: PacketValue::Message {
            address: l.address,
            args: l.args,
        },
        text: true,
    }))
}

/// A packet to send, at the time it was recorded, from the line it starts on.
#[derive(Debug, PartialEq)]
pub(crate) struct Item {
    pub(crate) time: Option<TimeTag>,
    pub(crate) packet: PacketValue,
    pub(crate) line: usize,
}

/// Joins consecutive timed text lines with the same time into one bundle.
#[derive(Debug, Default)]
pub(crate) struct Grouper {
    /// The time, the first line and the messages of the group being gathered.
    pending: Option<(TimeTag, usize, Vec<PacketValue>)>,
}

impl Grouper {
    /// Takes the record read from line `line`; returns the items that are now complete, in order.
    pub(crate) fn push(&mut self, r: Record, line: usize) -> Vec<Item> {
        let mut out = Vec::new();
        match (r.text, r.time) {
            (true, Some(t)) => {
                if let Some((pt, _, elements)) = &mut self.pending {
                    if *pt == t {
                        elements.push(r.packet);
                        return out;
                    }
                }
                out.extend(self.finish());
                self.pending = Some((t, line, vec![r.packet]));
            }
            _ => {
                out.extend(self.finish());
                out.push(Item {
                    time: r.time,
                    packet: r.packet,
                    line,
                });
            }
        }
        out
    }

    /// The item still being gathered, at the end of the input. A group of one line goes out as the
    /// message it holds.
    pub(crate) fn finish(&mut self) -> Option<Item> {
        let (time, line, mut elements) = self.pending.take()?;
        let packet = if elements.len() == 1 {
            elements.pop()?
        } else {
            PacketValue::Bundle {
                timetag: TimeTag::IMMEDIATELY,
                elements,
            }
        };
        Some(Item {
            time: Some(time),
            packet,
            line,
        })
    }
}

/// When each item goes out: the first timed item at once, every later one after the gap since the timed
/// item before it, divided by the speed (counted from when that one was due, so late sends do not add
/// up). Untimed items and everything without a speed (`--no-wait`) go out at once. A gap that runs
/// backwards (a bundle's own timetag, slightly ahead of the receive times around it) sends at once and
/// keeps the clock. A gap longer than the maximum either way is another clock (a sender's timetags, years
/// off): the item goes out at once, the gap is reported, and the pace continues from it.
///
/// Another pass over the recording (`--loop`) starts with [`restart`](Self::restart): its first item is
/// due a given pause after the last item of the pass before was due, so passes do not drift either.
#[derive(Debug)]
pub(crate) struct Pacer {
    speed: Option<f64>,
    max_gap: Duration,
    /// The last timed item's time and when it was due.
    last: Option<(TimeTag, Instant)>,
    /// When the last item (timed or not) was due.
    previous: Option<Instant>,
    /// When the first item of this pass is due (from the second pass on).
    anchor: Option<Instant>,
    /// Whether any item of this pass waited for a recorded gap.
    paced: bool,
}

/// When an item goes out, and the recorded gap that was skipped for being too long.
#[derive(Debug, PartialEq)]
pub(crate) struct Due {
    pub(crate) at: Instant,
    pub(crate) skipped: Option<Duration>,
}

impl Pacer {
    /// `speed` must be finite and above 0; `None` sends everything at once.
    pub(crate) fn new(speed: Option<f64>, max_gap: Duration) -> Self {
        Pacer {
            speed,
            max_gap,
            last: None,
            previous: None,
            anchor: None,
            paced: false,
        }
    }

    /// Starts another pass over the recording (`--loop`): its first item is due `pause` after the last
    /// item of the pass before was due, and the recorded gaps count from it.
    pub(crate) fn restart(&mut self, pause: Duration) {
        self.last = None;
        self.anchor = self.previous.and_then(|p| p.checked_add(pause));
        self.paced = false;
    }

    /// Whether an item of this pass has waited for a recorded gap: a pass that has not takes no time,
    /// and looping it without a pause would send as fast as the system allows.
    pub(crate) fn paced(&self) -> bool {
        self.paced
    }

    /// When to send an item recorded at `time`, given the time `now`.
    pub(crate) fn due(&mut self, time: Option<TimeTag>, now: Instant) -> Due {
        let start = self.anchor.take().map_or(now, |a| a.max(now));
        let due = self.due_from(time, start);
        self.previous = Some(due.at);
        due
    }

    /// [`due`](Self::due), with `now` no earlier than the pass's start.
    fn due_from(&mut self, time: Option<TimeTag>, now: Instant) -> Due {
        let mut due = Due {
            at: now,
            skipped: None,
        };
        let (Some(speed), Some(time)) = (self.speed, time) else {
            return due;
        };
        let Some((last, last_due)) = self.last else {
            self.last = Some((time, now));
            return due;
        };
        let forward = time.duration_since(last);
        let gap = forward
            .or_else(|| last.duration_since(time))
            .unwrap_or(Duration::MAX);
        if gap > self.max_gap {
            due.skipped = Some(gap);
            self.last = Some((time, now));
            return due;
        }
        if forward.is_some() {
            let wait = Duration::try_from_secs_f64(gap.as_secs_f64() / speed).ok();
            match wait.and_then(|w| last_due.checked_add(w)) {
                Some(at) => due.at = at.max(now),
                None => due.skipped = Some(gap),
            }
            self.paced |= !gap.is_zero();
            self.last = Some((time, due.at));
        }
        due
    }
}

/// Moves the bundle timetags of a packet recorded (received) at `recorded` to a replay that sends it at
/// `sent` (`--retime`): a bundle timed a duration after (or before) its reception is timed that duration,
/// divided by `speed`, after (or before) it is sent. Nested bundles move the same way; "immediately" (and
/// 0, which some senders use for it) stays.
pub(crate) fn retime(packet: &mut PacketValue, recorded: TimeTag, sent: TimeTag, speed: f64) {
    let PacketValue::Bundle { timetag, elements } = packet else {
        return;
    };
    if timetag.to_bits() > TimeTag::IMMEDIATELY.to_bits() {
        // The signed offset from reception in 2^-32 s (serial arithmetic, so across the 2036 era too),
        // exact at speed 1; `as` saturates an offset too large for the speed.
        let offset = timetag
            .to_bits()
            .wrapping_sub(recorded.to_bits())
            .cast_signed();
        let offset = if speed == 1.0 {
            offset
        } else {
            (offset as f64 / speed) as i64
        };
        // 0 and 1 would mean "immediately": one or two ticks later is the same instant to 2^-31 s.
        *timetag = TimeTag::from_bits(sent.to_bits().wrapping_add_signed(offset).max(2));
    }
    for element in elements {
        retime(element, recorded, sent, speed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::value::Value;

    fn now() -> TimeTag {
        TimeTag::new(9, 9)
    }

    fn record(line: &str) -> Record {
        parse_record(line, &now).unwrap().unwrap()
    }

    fn message(address: &str, i: i32) -> PacketValue {
        PacketValue::Message {
            address: address.into(),
            args: vec![Value::Int(i)],
        }
    }

    #[test]
    fn json_text_blank_and_comment_lines() {
        assert_eq!(parse_record("   ", &now), Ok(None));
        assert_eq!(parse_record("# cue list", &now), Ok(None));
        let j = record(r#"{"time":4294967296,"address":"/a","args":[{"i":1}]}"#);
        assert_eq!(
            j,
            Record {
                time: Some(TimeTag::new(1, 0)),
                packet: message("/a", 1),
                text: false
            }
        );
        let t = record("00000001.00000000 /a i 1");
        assert_eq!(t.time, Some(TimeTag::new(1, 0)));
        assert!(t.text);
        assert!(parse_record("{\"address\":", &now)
            .unwrap_err()
            .contains("invalid JSON"));
        assert!(parse_record("00000001.00000000 /a i x", &now).is_err());
    }

    #[test]
    fn text_lines_with_one_time_become_one_bundle() {
        let mut g = Grouper::default();
        assert_eq!(g.push(record("00000001.00000000 /a i 1"), 1), []);
        assert_eq!(g.push(record("00000001.00000000 /b i 2"), 2), []);
        let out = g.push(record("00000002.00000000 /c i 3"), 3);
        assert_eq!(
            out,
            [Item {
                time: Some(TimeTag::new(1, 0)),
                packet: PacketValue::Bundle {
                    timetag: TimeTag::IMMEDIATELY,
                    elements: vec![message("/a", 1), message("/b", 2)],
                },
                line: 1,
            }]
        );
        // A JSON line ends the group; an untimed text line goes out alone.
        let out = g.push(
            record(r#"{"time":8589934592,"address":"/d","args":[{"i":4}]}"#),
            5,
        );
        assert_eq!(out.len(), 2);
        assert_eq!((&out[0].packet, out[0].line), (&message("/c", 3), 3));
        assert_eq!((&out[1].packet, out[1].line), (&message("/d", 4), 5));
        assert_eq!(g.push(record("/e i 5"), 6).len(), 1);
        assert_eq!(g.push(record("/e i 6"), 7).len(), 1);
        assert_eq!(g.finish(), None);
        g.push(record("00000003.00000000 /f i 7"), 8);
        assert_eq!(g.finish().map(|i| i.packet), Some(message("/f", 7)));
    }

    #[test]
    fn pacing_follows_the_recorded_gaps() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let at = |at| Due { at, skipped: None };
        let tt = |s, f| Some(TimeTag::new(s, f));
        let mut p = Pacer::new(Some(2.0), Duration::from_secs(60));
        assert_eq!(p.due(tt(100, 0), t0), at(t0));
        // One second later in the recording: half a second later at speed 2.
        assert_eq!(p.due(tt(101, 0), t0 + ms(1)), at(t0 + ms(500)));
        // Behind schedule: at once, and the next gap counts from when this one was due.
        assert_eq!(p.due(tt(101, 0x8000_0000), t0 + ms(900)), at(t0 + ms(900)));
        assert_eq!(p.due(tt(102, 0), t0 + ms(901)), at(t0 + ms(1150)));
        // A little backwards (a bundle's timetag), untimed: at once, and the clock stays.
        assert_eq!(p.due(tt(101, 0), t0 + ms(1200)), at(t0 + ms(1200)));
        assert_eq!(p.due(None, t0 + ms(1201)), at(t0 + ms(1201)));
        assert_eq!(p.due(tt(103, 0), t0 + ms(1202)), at(t0 + ms(1650)));
        // Years off either way (another clock): at once, reported, and the pace goes on from there.
        for far in [90_000_000, 103] {
            let d = p.due(tt(far, 0), t0 + ms(1700));
            assert_eq!(d.at, t0 + ms(1700));
            assert!(d.skipped.is_some_and(|g| g > Duration::from_secs(60)));
            assert_eq!(p.due(tt(far + 1, 0), t0 + ms(1701)), at(t0 + ms(2200)));
            p.due(tt(far + 1, 0), t0 + ms(2200));
        }
        let mut burst = Pacer::new(None, Duration::from_secs(60));
        assert_eq!(burst.due(tt(5, 0), t0), at(t0));
        assert_eq!(burst.due(tt(500, 0), t0), at(t0));
        let mut slow = Pacer::new(Some(1e-300), Duration::MAX);
        slow.due(tt(1, 0), t0);
        assert!(slow.due(tt(2, 0), t0).skipped.is_some());
    }

    #[test]
    fn passes_follow_each_other_without_drift() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let at = |at| Due { at, skipped: None };
        let tt = |s| Some(TimeTag::new(s, 0));
        let mut p = Pacer::new(Some(1.0), Duration::from_secs(60));
        assert!(!p.paced());
        p.due(tt(100), t0);
        assert_eq!(p.due(tt(101), t0), at(t0 + ms(1000)));
        assert!(p.paced());
        // The next pass starts right after the last item was due, even when it went out late…
        p.restart(Duration::ZERO);
        assert!(!p.paced());
        assert_eq!(p.due(tt(100), t0 + ms(1030)), at(t0 + ms(1030)));
        assert_eq!(p.due(tt(101), t0 + ms(1031)), at(t0 + ms(2030)));
        // …or a pause after it, from when it was due (not from when this pass was read).
        p.restart(ms(500));
        assert_eq!(p.due(tt(100), t0 + ms(2040)), at(t0 + ms(2530)));
        // An untimed first item takes the pause; a pass of untimed items is not paced.
        p.restart(ms(500));
        assert_eq!(p.due(None, t0 + ms(2600)), at(t0 + ms(3030)));
        assert_eq!(p.due(None, t0 + ms(3031)), at(t0 + ms(3031)));
        assert!(!p.paced());
        // Without a speed (`--no-wait`) the pause holds too.
        let mut burst = Pacer::new(None, Duration::from_secs(60));
        burst.due(tt(1), t0);
        burst.restart(ms(200));
        assert_eq!(burst.due(tt(1), t0 + ms(1)), at(t0 + ms(200)));
        assert!(!burst.paced());
    }

    fn bundle(timetag: TimeTag, elements: Vec<PacketValue>) -> PacketValue {
        PacketValue::Bundle { timetag, elements }
    }

    #[test]
    fn retiming_keeps_each_bundles_lead_on_its_reception() {
        let tt = TimeTag::new;
        // Received at 100 s: a bundle for 100.5 s holding one for 99 s, one for "immediately", one
        // timed 0 and a message.
        let recorded = || {
            bundle(
                tt(100, 0x8000_0000),
                vec![
                    bundle(tt(99, 0), vec![message("/a", 1)]),
                    bundle(TimeTag::IMMEDIATELY, vec![]),
                    bundle(TimeTag::from_bits(0), vec![]),
                    message("/b", 2),
                ],
            )
        };
        let moved = |outer, inner| {
            bundle(
                outer,
                vec![
                    bundle(inner, vec![message("/a", 1)]),
                    bundle(TimeTag::IMMEDIATELY, vec![]),
                    bundle(TimeTag::from_bits(0), vec![]),
                    message("/b", 2),
                ],
            )
        };
        let mut p = recorded();
        retime(&mut p, tt(100, 0), tt(200, 0), 1.0);
        assert_eq!(p, moved(tt(200, 0x8000_0000), tt(199, 0)));
        // At speed 2 the leads are halved.
        let mut p = recorded();
        retime(&mut p, tt(100, 0), tt(200, 0), 2.0);
        assert_eq!(p, moved(tt(200, 0x4000_0000), tt(199, 0x8000_0000)));
        // Across the 2036 era boundary, both ways.
        let mut p = recorded();
        retime(&mut p, tt(100, 0), tt(u32::MAX, 0xc000_0000), 1.0);
        assert_eq!(p, moved(tt(0, 0x4000_0000), tt(u32::MAX - 1, 0xc000_0000)));
        let mut p = bundle(tt(0, 0x8000_0000), vec![]);
        retime(&mut p, tt(u32::MAX, 0), tt(10, 0), 1.0);
        assert_eq!(p, bundle(tt(11, 0x8000_0000), vec![]));
        // A result that would read as "immediately" is kept a timetag; a message has none.
        let mut p = bundle(tt(5, 0), vec![]);
        retime(&mut p, tt(6, 0), tt(1, 0), 1.0);
        assert_eq!(p, bundle(TimeTag::from_bits(2), vec![]));
        let mut m = message("/c", 3);
        retime(&mut m, tt(1, 0), tt(2, 0), 1.0);
        assert_eq!(m, message("/c", 3));
    }
}
