//! `osc`: send, receive, decode and encode Open Sound Control packets from the command line.
//!
//! Run `osc --help` and `osc help <command>` for the full usage. The tool is a thin layer over
//! `osc-core` (codec) and `osc-std` (sockets): it parses arguments, prints, and does nothing else.

#[path = "../cli/mod.rs"]
mod cli;

use std::io::{self, Read, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use osc_core::{DecodeConfig, TimeTag};

use cli::value::PacketValue;
use cli::{hex, json, net, text, typed, url};

const EXAMPLES: &str = "\
Examples:
  osc dump udp://127.0.0.1:9000
  osc send udp://127.0.0.1:9000 /synth/1/freq ifs 440 0.5 sine
  osc send tcp://127.0.0.1:9000 --framing length /status
  osc send udp://127.0.0.1:57110 --reply 1 /status
  osc send serial:///dev/ttyACM0 --reply 1 /ping
  osc dump serial:///dev/ttyUSB0?baud=57600
  osc dump udp://127.0.0.1:9000 --json --timestamps > show.jsonl
  osc replay udp://127.0.0.1:9001 show.jsonl --speed 2
  osc decode --hex 2f706e67000000002c000000
  osc encode '{\"address\":\"/a\",\"args\":[{\"i\":1}]}'

Exit status: 0 on success, 1 on an error (bad input, network failure, no reply), 2 on bad usage.";

/// Send, receive, decode and encode Open Sound Control (OSC 1.0/1.1) packets.
///
/// Text output follows liblo's oscdump (`/synth/1/freq ifs 440 0.500000 "sine"`); with --json each packet
/// is one JSON object per line. Transports: UDP (IPv4 and IPv6), and TCP and serial ports with OSC 1.1
/// SLIP or OSC 1.0 length-prefix framing.
#[derive(Parser, Debug)]
#[command(name = "osc", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Send one message (or bundle) and optionally print the replies.
    Send(SendArgs),
    /// Receive packets and print one line per message (or one JSON object per packet).
    Dump(DumpArgs),
    /// Decode one packet from hex or raw bytes and print it.
    Decode(DecodeArgs),
    /// Encode a packet given as JSON and print it as hex.
    Encode(EncodeArgs),
    /// Send the packets of a recording (`osc dump --timestamps`, or liblo's oscdump) at their
    /// recorded pace.
    Replay(ReplayArgs),
}

const SEND_AFTER: &str = "\
TYPES and VALUES work like liblo's oscsend: one value per type tag, except for T F N I [ ].

Type tags and the value each one takes:
  i  int32               -5, 440
  h  int64               123456789012
  f  float32             0.5, -1e3, nan, inf, -inf
  d  float64             3.141592653589793
  s  string              hello (quote spaces for your shell)
  S  symbol              name
  c  char                A (exactly one character)
  b  blob                hex bytes: 00ff10 (\"\" for an empty blob)
  m  MIDI                4 hex bytes 00903c7f, or 4 integers 0,144,60,127
  t  timetag             now, +SECONDS, immediately, a 64-bit integer, 0x hex, or SSSSSSSS.FFFFFFFF
  r  RGBA color          8 hex digits RRGGBBAA, optionally after # or 0x: ff0000ff
  T F N I                true, false, nil, impulse: take no value
  [ ]                    start and end an array: 'i[ff]s' 1 0.5 0.25 x

Options go before the address; every word after TYPES is a value (so -5 and -inf need no escaping).

Examples:
  osc send udp://127.0.0.1:9000 /synth/1/freq ifs 440 0.5 sine
  osc send udp://[::1]:9000 /note m 00903c7f
  osc send tcp://127.0.0.1:9000 --framing length /mix 'i[ff]' 3 0.25 0.75
  osc send udp://127.0.0.1:9000 --at +0.5 /later T
  osc send udp://127.0.0.1:9000 --packet '{\"timetag\":1,\"elements\":[{\"address\":\"/a\"}]}'
  osc send udp://127.0.0.1:57110 --reply 1 --json /status
  osc send udp://239.0.0.1:9000 /cue i 4          (a multicast group; ?interface=ADDR or NAME picks the NIC)
  osc send udp://192.168.1.255:10023 --broadcast --reply 1 --sender /xinfo";

#[derive(Args, Debug)]
#[command(after_help = SEND_AFTER)]
struct SendArgs {
    // As an attribute, not a doc comment: rustdoc would read `[::1]` as a link.
    #[arg(
        value_name = "URL",
        help = "Destination: udp://HOST:PORT, tcp://HOST:PORT (IPv6 as udp://[::1]:9000), a \
                multicast group udp://GROUP:PORT[?interface=IF&ttl=N], or serial://PATH[?baud=N] \
                (serial:///dev/ttyACM0, serial://COM3; 115200 by default)"
    )]
    url: String,

    /// OSC address, e.g. /synth/1/freq.
    #[arg(value_name = "ADDRESS", required_unless_present = "packet")]
    address: Option<String>,

    /// Type-tag string, e.g. ifs (a leading comma is allowed). Omit it to send no arguments.
    #[arg(value_name = "TYPES")]
    types: Option<String>,

    /// The values, one per type tag that takes a value.
    #[arg(
        value_name = "VALUES",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    values: Vec<String>,

    /// TCP and serial framing: slip (OSC 1.1, double END) or length (OSC 1.0, int32 size prefix).
    #[arg(long, value_name = "slip|length", default_value = "slip")]
    framing: osc_std::Framing,

    /// After sending, wait this many seconds for replies and print them (exit status 1 if none came).
    #[arg(long, value_name = "SECONDS")]
    reply: Option<f64>,

    /// With --reply: stop waiting once this many replies have arrived.
    #[arg(long, value_name = "N", requires = "reply")]
    count: Option<u64>,

    /// Print replies as JSON, one object per packet.
    #[arg(long)]
    json: bool,

    /// Start each reply line with the sender's address (JSON: a "from" field), e.g. to see which
    /// devices answered a broadcast.
    #[arg(long)]
    sender: bool,

    /// UDP: the destination is a broadcast address such as 192.168.1.255 (sets SO_BROADCAST), and
    /// replies are taken from any sender. 255.255.255.255 and multicast groups need no flag.
    #[arg(long)]
    broadcast: bool,

    /// Wrap the message in a bundle (timed "immediately" unless --at is given).
    #[arg(long)]
    bundle: bool,

    /// Send in a bundle with this timetag: now, +SECONDS, immediately, a 64-bit integer, 0x hex or
    /// SSSSSSSS.FFFFFFFF.
    #[arg(long, value_name = "TIMETAG")]
    at: Option<String>,

    /// Send this packet, given in the JSON form of `osc encode`, instead of ADDRESS TYPES VALUES.
    #[arg(long, value_name = "JSON", conflicts_with_all = ["address", "types", "values"])]
    packet: Option<String>,
}

const DUMP_AFTER: &str = "\
Output (one line per message, flushed at once):
  /synth/1/freq ifs 440 0.500000 \"sine\"
  e8754700.80000000 /a i 7          (a message inside a bundle: the bundle's timetag first)
  127.0.0.1:50124 /a i 7            (with --sender: the sender's address before everything)
Argument forms: i h decimal; f d six decimals (nan, inf); s \"text\"; S 'sym; c 'A';
b [3b 0x01 0x02 0xff]; m MIDI [0x00 0x90 0x3c 0x7f]; r RGBA [0xff 0x00 0x00 0xff];
t SSSSSSSS.FFFFFFFF; T #T; F #F; N Nil; I Infinitum; arrays [1 2].
With --json, one object per packet: {\"address\":\"/a\",\"args\":[{\"i\":1}]} or
{\"timetag\":1,\"elements\":[...]}.

Differences from liblo's oscdump: control characters, quotes and backslashes in strings are escaped;
blob bytes are always 0x and two digits; a message without arguments has no trailing space; messages
outside bundles get no timetag prefix unless --timestamps is given; r and arrays are printed (liblo
rejects them).

When ready, dump prints `osc dump: listening on URL` to stderr (with the real port when PORT is 0).
Malformed packets are reported on stderr and skipped.

Examples:
  osc dump udp://127.0.0.1:9000
  osc dump 9000                                  (all interfaces, like oscdump 9000)
  osc dump tcp://127.0.0.1:9000 --framing length --json --count 1
  osc dump serial:///dev/ttyACM0                 (SLIP at 115200 baud; ?baud=N for another rate)
  osc dump udp://239.0.0.1:9000                  (joins the multicast group, sharing the port)
  osc dump 'udp://239.0.0.1:9000?interface=eth0'   (the interface by its name, or its address)
  osc dump 'udp://[ff02::114]:9000?interface=eth0'  (IPv6: the interface by its name or index)";

#[derive(Args, Debug)]
#[command(after_help = DUMP_AFTER)]
struct DumpArgs {
    /// Where to listen: udp://HOST:PORT, tcp://HOST:PORT, a bare PORT (UDP, all interfaces),
    /// udp://GROUP:PORT[?interface=IF] to join a multicast group, or serial://PATH[?baud=N] to read a
    /// serial port.
    #[arg(value_name = "URL")]
    url: String,

    /// Print one JSON object per packet instead of text lines.
    #[arg(long)]
    json: bool,

    /// Exit after this many packets (a bundle counts as one).
    #[arg(long, value_name = "N")]
    count: Option<u64>,

    /// TCP framing: slip, length, or auto (each connection's first byte decides, as liblo does). A
    /// serial port uses slip unless told length.
    #[arg(long, value_name = "slip|length|auto", default_value = "auto")]
    framing: osc_std::FramingMode,

    /// Prefix every line with a timetag exactly like oscdump: the receive time for messages outside
    /// bundles and for bundles timed "immediately". With --json, a "time" field: the receive time.
    /// Either way the output is a recording that `osc replay` plays back.
    #[arg(long)]
    timestamps: bool,

    /// Start each line with the sender's address (JSON: a "from" field): the UDP sender, the TCP
    /// peer, or the serial port.
    #[arg(long)]
    sender: bool,

    /// Reject packets that are not strictly OSC 1.0 (missing type tags, trailing bytes, non-zero
    /// padding); by default the tolerant profile accepts them.
    #[arg(long)]
    strict: bool,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  osc decode --hex 2f706e67000000002c000000
  osc decode --hex - --json < packet.hex
  osc decode < packet.bin

An invalid packet prints the decoder's error with its byte offset and exits with status 1.")]
struct DecodeArgs {
    /// The packet as hex (whitespace allowed); `-` reads the hex from stdin. Without --hex the raw packet
    /// bytes are read from stdin.
    #[arg(long, value_name = "HEX")]
    hex: Option<String>,

    /// Print the packet as one JSON object instead of text lines.
    #[arg(long)]
    json: bool,

    /// Decode with the strict OSC 1.0 profile.
    #[arg(long)]
    strict: bool,
}

#[derive(Args, Debug)]
#[command(after_help = "\
JSON form (one object per packet):
  message  {\"address\":\"/a\",\"args\":[{\"i\":1},{\"f\":0.5},{\"s\":\"x\"}]}
  bundle   {\"timetag\":1,\"elements\":[PACKET,...]}
  args     {\"i\":1} {\"h\":1} {\"f\":0.5} {\"d\":1.5} {\"s\":\"x\"} {\"S\":\"sym\"} {\"c\":\"A\"}
           {\"b\":\"00ff\"} {\"t\":123} {\"r\":4278190335} {\"m\":[0,144,60,127]}
           {\"T\":true} {\"F\":false} {\"N\":null} {\"I\":null} {\"[\":[...]}
  floats   \"NaN\", \"inf\" and \"-inf\" for non-finite values
  timetags unsigned 64-bit integers (1 = immediately), or \"now\"

Examples:
  osc encode '{\"address\":\"/a\",\"args\":[{\"i\":1}]}'
  osc encode - --raw < packet.json > packet.bin")]
struct EncodeArgs {
    /// The packet as JSON; `-` or nothing reads it from stdin.
    #[arg(value_name = "JSON")]
    json: Option<String>,

    /// Write the raw bytes instead of hex.
    #[arg(long)]
    raw: bool,
}

const REPLAY_AFTER: &str = "\
A recording has one packet per line, as `osc dump --timestamps` prints them:
  JSON (--json): {\"time\":16895498371049897984,\"address\":\"/a\",\"args\":[{\"i\":1}]}
                 exact: every value, and bundles go out as they came, timetags as recorded
                 (--retime moves them to the replay's time). A \"from\" field (--sender) is
                 ignored.
  text:          e8754700.80000000 /synth/1/freq ifs 440 0.500000 \"sine\"
                 liblo's oscdump lines read too, and the lines liblo's oscsendfile takes (oscsend
                 values: bare strings, MIDI as 00903c7f). Floats keep six decimals. Lines of one
                 bundle share its time and go out together in a bundle timed \"immediately\"; a
                 bundle of one message goes out as the message. A sender in front (--sender) is
                 skipped. A symbol or address holding a space or ']' does not read back.
Blank lines and lines starting with # are skipped, so a hand-written cue list works too; a line
without a time goes out right after the one before it.

Pacing: each packet goes out after the recorded gap since the timed line before it, divided by
--speed. A gap that runs backwards sends at once. A gap longer than --max-gap (either way) is taken
for another clock, such as a text line carrying a sender's bundle timetag: that packet goes out at
once, the gap is reported, and the pace goes on from it. With --loop, each pass starts right after
the last packet of the pass before was due (or --loop-pause later), so passes do not drift. A
recording that plays in no time (one line, or no times) loops only with --loop-pause or --no-wait.
In a JSON line with a time, timetags written \"now\" or \"+S\" count from that time.

Errors: a line that cannot be read is reported on stderr and skipped (later --loop passes skip it
silently), and so is a datagram the system refuses to send (in every pass); the exit status is then 1
at the end. A UDP destination that is not listening is reported once and the replay goes on; a TCP
or serial error ends it, and so does a pass with nothing to send. However it ends, replay prints
`osc replay: sent N packets to URL in S s` on stderr.

Examples:
  osc dump udp://127.0.0.1:9000 --json --timestamps > show.jsonl
  osc replay udp://127.0.0.1:9000 show.jsonl
  osc replay udp://127.0.0.1:9000 show.jsonl --speed 0.5      (half speed)
  osc replay udp://127.0.0.1:9000 show.jsonl --loop forever --loop-pause 5 --retime
                                     (an installation: over and over, timed bundles kept ahead as recorded)
  oscdump 9000 > show.txt; osc replay tcp://127.0.0.1:9000 show.txt --no-wait
  osc dump udp://0.0.0.0:9000 --json | osc replay udp://239.0.0.1:9001 --no-wait   (a live relay;
                                      text lines wait for the next line, to see if it joins them)";

#[derive(Args, Debug)]
#[command(after_help = REPLAY_AFTER)]
struct ReplayArgs {
    /// Destination, as for `osc send`: udp://HOST:PORT, tcp://HOST:PORT, a multicast group, or
    /// serial://PATH[?baud=N].
    #[arg(value_name = "URL")]
    url: String,

    /// The recording; `-` or nothing reads stdin (line by line, so a live `osc dump` can feed it).
    #[arg(value_name = "FILE")]
    file: Option<String>,

    /// Play faster (2 = twice as fast) or slower (0.5); the gaps between packets are divided by it.
    #[arg(
        long,
        value_name = "FACTOR",
        default_value = "1",
        conflicts_with = "no_wait"
    )]
    speed: f64,

    /// Send every packet at once, ignoring the recorded times.
    #[arg(long)]
    no_wait: bool,

    /// Recorded gaps longer than this many seconds are taken for another clock and skipped.
    #[arg(long, value_name = "SECONDS", default_value = "60")]
    max_gap: f64,

    /// Play the recording N times (or `forever`, until interrupted), each pass right after the one
    /// before (or --loop-pause later). Needs a FILE.
    #[arg(long = "loop", value_name = "N|forever", default_value = "1", value_parser = parse_passes)]
    passes: u64,

    /// With --loop: the pause between the last packet of one pass and the first of the next.
    #[arg(long, value_name = "SECONDS", default_value = "0")]
    loop_pause: f64,

    /// Move bundle timetags to the time of the replay: a bundle timed 0.5 s after it was received is
    /// sent timed 0.5 s (divided by --speed) after it is sent. For JSON recordings with receive times
    /// (`osc dump --json --timestamps`); without it, timetags go out as recorded.
    #[arg(long)]
    retime: bool,

    /// TCP and serial framing: slip (OSC 1.1) or length (OSC 1.0).
    #[arg(long, value_name = "slip|length", default_value = "slip")]
    framing: osc_std::Framing,

    /// UDP: the destination is a broadcast address (sets SO_BROADCAST).
    #[arg(long)]
    broadcast: bool,
}

/// A failure to report: the message goes to stderr, the exit status is 1.
pub(crate) struct Fail(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail(e.to_string())
    }
}

fn read_stdin() -> Result<Vec<u8>, Fail> {
    let mut buf = Vec::new();
    io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| Fail(format!("cannot read stdin: {e}")))?;
    Ok(buf)
}

fn now() -> TimeTag {
    osc_std::time::now()
}

fn cmd_decode(a: DecodeArgs) -> Result<(), Fail> {
    let bytes = match a.hex.as_deref() {
        Some("-") => {
            let text = String::from_utf8(read_stdin()?)
                .map_err(|_| Fail("stdin is not hex text".into()))?;
            hex::decode(text.trim(), true).map_err(|e| Fail(format!("invalid hex: {e}")))?
        }
        Some(h) => hex::decode(h.trim(), true).map_err(|e| Fail(format!("invalid hex: {e}")))?,
        None => read_stdin()?,
    };
    let config = if a.strict {
        DecodeConfig::strict()
    } else {
        DecodeConfig::new()
    };
    let packet = config
        .decode(&bytes)
        .map_err(|e| Fail(format!("invalid packet ({} bytes): {e}", bytes.len())))?;
    let out = if a.json {
        vec![json::packet_to_json(&packet)]
    } else {
        text::packet_lines(&packet, None)
    };
    net::print_lines(&out)
}

fn cmd_encode(a: EncodeArgs) -> Result<(), Fail> {
    let text = match a.json.as_deref() {
        None | Some("-") => {
            String::from_utf8(read_stdin()?).map_err(|_| Fail("stdin is not UTF-8 text".into()))?
        }
        Some(j) => j.to_owned(),
    };
    let value = json::packet_from_json(&text, &now).map_err(Fail)?;
    let bytes = value
        .encode()
        .map_err(|e| Fail(format!("cannot encode: {e}")))?;
    if a.raw {
        let mut out = io::stdout().lock();
        out.write_all(&bytes).and_then(|()| out.flush())?;
        Ok(())
    } else {
        net::print_lines(&[hex::encode(&bytes)])
    }
}

fn send_packet_value(a: &SendArgs) -> Result<PacketValue, Fail> {
    let value = match (&a.packet, &a.address) {
        (Some(j), _) => json::packet_from_json(j, &now).map_err(Fail)?,
        (None, Some(address)) => {
            let args = match &a.types {
                Some(types) => typed::parse_args(types, &a.values, &now).map_err(Fail)?,
                None => Vec::new(),
            };
            PacketValue::Message {
                address: address.clone(),
                args,
            }
        }
        (None, None) => return Err(Fail("an ADDRESS or --packet is required".into())),
    };
    if a.bundle || a.at.is_some() {
        let timetag = match &a.at {
            Some(t) => typed::parse_timetag(t, now).map_err(Fail)?,
            None => TimeTag::IMMEDIATELY,
        };
        return Ok(PacketValue::Bundle {
            timetag,
            elements: vec![value],
        });
    }
    Ok(value)
}

fn cmd_send(a: SendArgs) -> Result<(), Fail> {
    let endpoint = url::parse(&a.url).map_err(Fail)?;
    let reply = match a.reply {
        None => None,
        Some(s) => Some(seconds("--reply", s)?),
    };
    let bytes = send_packet_value(&a)?
        .encode()
        .map_err(|e| Fail(format!("cannot encode: {e}")))?;
    let options = net::SendOptions {
        framing: a.framing,
        reply,
        max_replies: a.count,
        style: net::Style {
            json: a.json,
            timestamps: false,
            sender: a.sender,
        },
        broadcast: a.broadcast,
    };
    net::send(endpoint, &bytes, &options)
}

fn cmd_dump(a: DumpArgs) -> Result<(), Fail> {
    let endpoint = url::parse(&a.url).map_err(Fail)?;
    let options = net::DumpOptions {
        style: net::Style {
            json: a.json,
            timestamps: a.timestamps,
            sender: a.sender,
        },
        count: a.count,
        framing: a.framing,
        config: if a.strict {
            DecodeConfig::strict()
        } else {
            DecodeConfig::new()
        },
    };
    net::dump(endpoint, options)
}

/// The duration an option gives in seconds (finite, not negative).
fn seconds(option: &str, value: f64) -> Result<std::time::Duration, Fail> {
    std::time::Duration::try_from_secs_f64(value)
        .map_err(|_| Fail(format!("invalid {option} {value}: expected seconds >= 0")))
}

/// `--loop`: a number of passes (1 or more), or `forever` (as many passes as a u64 counts).
fn parse_passes(s: &str) -> Result<u64, String> {
    match s {
        "forever" => Ok(u64::MAX),
        _ => match s.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err("expected a number of passes (1 or more) or `forever`".into()),
        },
    }
}

fn cmd_replay(a: ReplayArgs) -> Result<(), Fail> {
    if !(a.speed.is_finite() && a.speed > 0.0) {
        return Err(Fail(format!(
            "invalid --speed {}: expected a number above 0",
            a.speed
        )));
    }
    let max_gap = seconds("--max-gap", a.max_gap)?;
    let pause = seconds("--loop-pause", a.loop_pause)?;
    let endpoint = url::parse(&a.url).map_err(Fail)?;
    let options = net::ReplayOptions {
        framing: a.framing,
        broadcast: a.broadcast,
        speed: (!a.no_wait).then_some(a.speed),
        max_gap,
        passes: a.passes,
        pause,
        retime: a.retime,
    };
    match a.file.as_deref() {
        None | Some("-") => {
            if options.passes != 1 {
                return Err(Fail(
                    "--loop needs a FILE: stdin can be read only once".into(),
                ));
            }
            let mut stdin = Some(io::stdin().lock());
            net::replay(
                endpoint,
                &mut || {
                    let input = stdin
                        .take()
                        .ok_or_else(|| Fail("stdin can be read only once".into()))?;
                    Ok(Box::new(input))
                },
                "stdin",
                &options,
            )
        }
        Some(path) => {
            let mut open = || {
                let file = std::fs::File::open(path)
                    .map_err(|e| Fail(format!("cannot open {path}: {e}")))?;
                Ok(Box::new(io::BufReader::new(file)) as Box<dyn io::BufRead>)
            };
            // Fail at once on a missing file, before the destination is opened.
            let mut first = Some(open()?);
            net::replay(
                endpoint,
                &mut || first.take().map_or_else(&mut open, Ok),
                path,
                &options,
            )
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (name, result) = match cli.command {
        Command::Send(a) => ("send", cmd_send(a)),
        Command::Dump(a) => ("dump", cmd_dump(a)),
        Command::Decode(a) => ("decode", cmd_decode(a)),
        Command::Encode(a) => ("encode", cmd_encode(a)),
        Command::Replay(a) => ("replay", cmd_replay(a)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(msg)) => {
            eprintln!("osc {name}: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn negative_and_hyphen_values_are_values() {
        let cli = Cli::try_parse_from([
            "osc",
            "send",
            "udp://127.0.0.1:1",
            "/a",
            "ifd",
            "-5",
            "-inf",
            "-1e3",
        ])
        .unwrap();
        let Command::Send(a) = cli.command else {
            panic!("not send")
        };
        assert_eq!(a.values, ["-5", "-inf", "-1e3"]);
        assert_eq!(a.framing, osc_std::Framing::Slip);
    }

    #[test]
    fn options_before_the_address() {
        let cli = Cli::try_parse_from([
            "osc",
            "send",
            "--framing",
            "length",
            "--reply",
            "0.5",
            "tcp://127.0.0.1:1",
            "/a",
        ])
        .unwrap();
        let Command::Send(a) = cli.command else {
            panic!("not send")
        };
        assert_eq!(a.framing, osc_std::Framing::LengthPrefix);
        assert_eq!(a.reply, Some(0.5));
        assert!(a.types.is_none());
    }
}
