//! N1 / N1b sender of WORKLOADS.md: sends W1 (the golden 40 bytes) to `--to ADDR` for 3 s
//! (`--seconds`) as fast as it can, or paced to `--rate` datagrams per second, then prints
//! `{"kind":"net_send","peer":…,"sent":N,"send_errors":N,"elapsed_s":x}`.
//!
//! ```text
//! net_send --peer osc|raw-std|raw-mmsg|rosc --to 127.0.0.1:PORT [--seconds 3] [--rate 300000]
//! ```
//!
//! - `osc`: osc-std's `UdpClient` (connected), `send_message` per datagram.
//! - `raw-std`: `std::net::UdpSocket` `connect` + `send` of the golden bytes.
//! - `raw-mmsg`: `sendmmsg` of 64 datagrams per call, connected (Linux).
//! - `rosc`: build the message, `rosc::encoder::encode`, `send_to` (rosc's README pattern).
//!
//! At full speed the clock is read every 256 sends (every 16 `sendmmsg` calls). With `--rate`
//! it is read every 32 sends (every call), and the sender sleeps whenever it is ahead of
//! `rate × elapsed`.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use osc_core::Arg;
use osc_examples::bench::{self, json_str};
use osc_std::UdpClient;
use rosc::{OscMessage, OscPacket, OscType};

/// Counts and the clock of one run.
struct Run {
    start: Instant,
    seconds: Duration,
    rate: Option<f64>,
    sent: u64,
    errors: u64,
}

impl Run {
    /// Sends per clock reading.
    fn every(&self, full_speed: u64, paced: u64) -> u64 {
        if self.rate.is_some() {
            paced
        } else {
            full_speed
        }
    }

    /// Reads the clock: whether the run is over; when pacing, sleeps while ahead of schedule.
    fn over(&self) -> bool {
        let elapsed = self.start.elapsed();
        if elapsed >= self.seconds {
            return true;
        }
        if let Some(rate) = self.rate {
            let due = Duration::from_secs_f64((self.sent + self.errors) as f64 / rate);
            if let Some(ahead) = due.checked_sub(elapsed) {
                std::thread::sleep(ahead.min(self.seconds - elapsed));
            }
        }
        false
    }

    /// `send` once per datagram, the clock every 256 (paced: 32) sends.
    fn each(&mut self, mut send: impl FnMut() -> bool) {
        let every = self.every(256, 32);
        self.start = Instant::now();
        loop {
            for _ in 0..every {
                if send() {
                    self.sent += 1;
                } else {
                    self.errors += 1;
                }
            }
            if self.over() {
                return;
            }
        }
    }
}

fn run_osc(to: SocketAddr, run: &mut Run, golden: &[u8]) {
    let mut client = UdpClient::connect(to).expect("connect");
    let args = [Arg::Int(440), Arg::Float(0.5), Arg::String("sine")];
    let mut check = vec![0u8; 64];
    let n = osc_core::Message::new("/synth/1/freq", &args)
        .encode(&mut check)
        .expect("encode");
    assert_eq!(&check[..n], golden, "osc sends W1");
    run.each(|| client.send_message("/synth/1/freq", &args).is_ok());
}

fn run_raw_std(to: SocketAddr, run: &mut Run, golden: &[u8]) {
    let socket = UdpSocket::bind(local_for(to)).expect("bind");
    socket.connect(to).expect("connect");
    run.each(|| socket.send(golden).is_ok());
}

fn rosc_w1() -> OscPacket {
    OscPacket::Message(OscMessage {
        addr: "/synth/1/freq".to_string(),
        args: vec![
            OscType::Int(440),
            OscType::Float(0.5),
            OscType::String("sine".to_string()),
        ],
    })
}

fn run_rosc(to: SocketAddr, run: &mut Run, golden: &[u8]) {
    let socket = UdpSocket::bind(local_for(to)).expect("bind");
    let check = rosc::encoder::encode(&rosc_w1()).expect("encode");
    assert_eq!(check, golden, "rosc sends W1");
    run.each(|| {
        rosc::encoder::encode(&rosc_w1()).is_ok_and(|bytes| socket.send_to(&bytes, to).is_ok())
    });
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[allow(unsafe_code)]
fn run_raw_mmsg(to: SocketAddr, run: &mut Run, golden: &[u8]) {
    use std::os::fd::AsRawFd;
    const BATCH: usize = 64;
    let socket = UdpSocket::bind(local_for(to)).expect("bind");
    socket.connect(to).expect("connect");
    let mut data = golden.to_vec();
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: all-zero bytes are a valid `mmsghdr` (integers and null pointers).
    let mut msgs: Vec<libc::mmsghdr> = (0..BATCH).map(|_| unsafe { std::mem::zeroed() }).collect();
    for msg in &mut msgs {
        msg.msg_hdr.msg_iov = &mut iov;
        msg.msg_hdr.msg_iovlen = 1;
    }
    let every = run.every(16, 1);
    run.start = Instant::now();
    loop {
        for _ in 0..every {
            // SAFETY: the 64 headers all point at the one `iovec`, which points at `data`; both
            // outlive the call. The socket is connected, so no address is given.
            let n = unsafe {
                libc::sendmmsg(
                    socket.as_raw_fd(),
                    msgs.as_mut_ptr(),
                    BATCH as libc::c_uint,
                    0 as _,
                )
            };
            match u64::try_from(n) {
                Ok(n) => {
                    run.sent += n;
                    run.errors += BATCH as u64 - n;
                }
                Err(_) => run.errors += BATCH as u64,
            }
        }
        if run.over() {
            return;
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn run_raw_mmsg(_: SocketAddr, _: &mut Run, _: &[u8]) {
    eprintln!("net_send: sendmmsg is Linux-only");
    std::process::exit(2);
}

/// A local address of `to`'s family, any port.
fn local_for(to: SocketAddr) -> &'static str {
    if to.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let usage = "net_send --peer osc|raw-std|raw-mmsg|rosc --to ADDR [--seconds S] [--rate N]";
    let peer = value("--peer").unwrap_or_else(|| "osc".into());
    let Some(to) = value("--to").and_then(|a| a.parse::<SocketAddr>().ok()) else {
        eprintln!("usage: {usage}");
        std::process::exit(2);
    };
    let seconds = value("--seconds").map_or(3.0, |s| s.parse::<f64>().expect("--seconds"));
    let rate = value("--rate").map(|r| r.parse::<f64>().expect("--rate"));
    let golden = bench::vector("W1").bytes;
    let mut run = Run {
        start: Instant::now(),
        seconds: Duration::from_secs_f64(seconds),
        rate: rate.filter(|r| *r > 0.0),
        sent: 0,
        errors: 0,
    };
    match peer.as_str() {
        "osc" => run_osc(to, &mut run, &golden),
        "raw-std" => run_raw_std(to, &mut run, &golden),
        "raw-mmsg" => run_raw_mmsg(to, &mut run, &golden),
        "rosc" => run_rosc(to, &mut run, &golden),
        other => {
            eprintln!("net_send: unknown --peer {other}\nusage: {usage}");
            std::process::exit(2);
        }
    }
    let elapsed = run.start.elapsed().as_secs_f64();
    println!(
        "{{\"kind\":\"net_send\",\"peer\":{},\"sent\":{},\"send_errors\":{},\"elapsed_s\":{:.6}}}",
        json_str(&peer),
        run.sent,
        run.errors,
        elapsed
    );
}
