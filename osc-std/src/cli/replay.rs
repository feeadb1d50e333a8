//! `osc replay`: the lines of a recording read into packets, grouped and paced. No I/O here:
//! [`net::replay`](super::net::replay) reads the lines, sleeps and sends.
//!
//! A recording is what `osc dump --timestamps` prints, as JSON (`--json`: exact) or as text (liblo's
//! `oscdump` form, which is what liblo's `oscsendfile` replays). Each packet goes out at its recorded time
//! relative to the first timed line, divided by the speed. Text lines that share a timetag came out of one
//! bundle (the receive time of two datagrams never repeats to the 2⁻³² s), so they go out together in a
//! bundle timed "immediately", as `oscsendfile` does; JSON lines keep their bundles as recorded.

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

/// A packet to send, at the time it was recorded.
#[derive(Debug, PartialEq)]
pub(crate) struct Item {
    pub(crate) time: Option<TimeTag>,
    pub(crate) packet: PacketValue,
}

/// Joins consecutive timed text lines with the same time into one bundle.
#[derive(Debug, Default)]
pub(crate) struct Grouper {
    pending: Option<(TimeTag, Vec<PacketValue>)>,
}

impl Grouper {
    /// Takes the next record; returns the items that are now complete, in order.
    pub(crate) fn push(&mut self, r: Record) -> Vec<Item> {
        let mut out = Vec::new();
        match (r.text, r.time) {
            (true, Some(t)) => {
                if let Some((pt, elements)) = &mut self.pending {
                    if *pt == t {
                        elements.push(r.packet);
                        return out;
                    }
                }
                out.extend(self.finish());
                self.pending = Some((t, vec![r.packet]));
            }
            _ => {
                out.extend(self.finish());
                out.push(Item {
                    time: r.time,
                    packet: r.packet,
                });
            }
        }
        out
    }

    /// The item still being gathered, at the end of the input.
    pub(crate) fn finish(&mut self) -> Option<Item> {
        let (time, mut elements) = self.pending.take()?;
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
        })
    }
}

/// When each item goes out: the first timed item at once, every later one at its distance from the first
/// divided by the speed. Items without a time, items timed before the first, and everything when there
/// is no speed (`--no-wait`) go out at once.
#[derive(Debug)]
pub(crate) struct Pacer {
    speed: Option<f64>,
    origin: Option<(TimeTag, Instant)>,
}

impl Pacer {
    /// `speed` must be finite and above 0; `None` sends everything at once.
    pub(crate) fn new(speed: Option<f64>) -> Self {
        Pacer {
            speed,
            origin: None,
        }
    }

    /// When to send an item recorded at `time`, given the time `now`.
    pub(crate) fn due(&mut self, time: Option<TimeTag>, now: Instant) -> Result<Instant, String> {
        let (Some(speed), Some(time)) = (self.speed, time) else {
            return Ok(now);
        };
        let (first, start) = *self.origin.get_or_insert((time, now));
        let Some(gap) = time.duration_since(first) else {
            return Ok(now);
        };
        Duration::try_from_secs_f64(gap.as_secs_f64() / speed)
            .ok()
            .and_then(|d| start.checked_add(d))
            .map(|at| at.max(now))
            .ok_or_else(|| {
                format!(
                    "recorded {} s after the first line: too far to wait for",
                    gap.as_secs()
                )
            })
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
        assert_eq!(g.push(record("00000001.00000000 /a i 1")), []);
        assert_eq!(g.push(record("00000001.00000000 /b i 2")), []);
        let out = g.push(record("00000002.00000000 /c i 3"));
        assert_eq!(
            out,
            [Item {
                time: Some(TimeTag::new(1, 0)),
                packet: PacketValue::Bundle {
                    timetag: TimeTag::IMMEDIATELY,
                    elements: vec![message("/a", 1), message("/b", 2)],
                },
            }]
        );
        // A JSON line ends the group; an untimed text line goes out alone.
        let out = g.push(record(
            r#"{"time":8589934592,"address":"/d","args":[{"i":4}]}"#,
        ));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].packet, message("/c", 3));
        assert_eq!(out[1].packet, message("/d", 4));
        assert_eq!(g.push(record("/e i 5")).len(), 1);
        assert_eq!(g.push(record("/e i 6")).len(), 1);
        assert_eq!(g.finish(), None);
        g.push(record("00000003.00000000 /f i 7"));
        assert_eq!(g.finish().map(|i| i.packet), Some(message("/f", 7)));
    }

    #[test]
    fn pacing_follows_the_recorded_gaps() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut p = Pacer::new(Some(2.0));
        assert_eq!(p.due(Some(TimeTag::new(100, 0)), t0), Ok(t0));
        // One second later in the recording: half a second later at speed 2.
        assert_eq!(
            p.due(Some(TimeTag::new(101, 0)), t0 + ms(1)),
            Ok(t0 + ms(500))
        );
        // Behind schedule: at once. Before the first line, or untimed: at once.
        assert_eq!(
            p.due(Some(TimeTag::new(101, 0)), t0 + ms(900)),
            Ok(t0 + ms(900))
        );
        assert_eq!(p.due(Some(TimeTag::new(99, 0)), t0 + ms(1)), Ok(t0 + ms(1)));
        assert_eq!(p.due(None, t0 + ms(2)), Ok(t0 + ms(2)));
        let mut burst = Pacer::new(None);
        assert_eq!(burst.due(Some(TimeTag::new(5, 0)), t0), Ok(t0));
        assert_eq!(burst.due(Some(TimeTag::new(500, 0)), t0), Ok(t0));
        let mut slow = Pacer::new(Some(1e-300));
        slow.due(Some(TimeTag::new(1, 0)), t0).unwrap();
        assert!(slow.due(Some(TimeTag::new(2, 0)), t0).is_err());
    }
}
