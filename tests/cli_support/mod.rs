//! Shared helpers of the `osc` CLI tests (`cli_*.rs`): finding or building the binary, running
//! processes with bounded waits, and deciding when a missing peer is a skip or a failure.
//!
//! # How the tests get the `osc` binary
//!
//! `CARGO_BIN_EXE_osc` exists only inside `osc-std`, so these tests build it themselves, once per test
//! binary: `cargo build -p osc-std --features cli --bin osc` with the same target directory and profile
//! as the running test (both read from the test executable's path, `<target>/<profile>/deps/…`), and use
//! `<target>/<profile>/osc`. Cargo does not hold its build lock while tests run, and the build is a
//! no-op when the binary is fresh. `OSC_BIN=/path/to/osc` skips the build and uses that binary.
//!
//! # Peers
//!
//! A missing external peer (liblo's `oscsend`/`oscdump`, python-osc) makes a test print `SKIPPED` and
//! pass, unless the `CI` environment variable is set, where it fails: CI installs the peers itself
//! (`tests/ci/cli.sh`).
//!
//! Every child process is killed when its [`Proc`] is dropped, and every wait is bounded.

#![allow(dead_code)]

use std::env;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single wait for a peer may take.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// The target directory and profile directory of the running test (`<target>/<profile>/deps/<test>`).
pub(crate) fn target_dirs() -> (PathBuf, PathBuf) {
    let exe = env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable inside <target>/<profile>/deps");
    let target_dir = profile_dir.parent().expect("a target directory");
    (target_dir.to_path_buf(), profile_dir.to_path_buf())
}

/// The `osc` binary, built on first use.
pub(crate) fn osc_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = env::var_os("OSC_BIN") {
            return PathBuf::from(p);
        }
        let (target_dir, profile_dir) = target_dirs();
        let profile = profile_dir
            .file_name()
            .and_then(OsStr::to_str)
            .expect("profile directory name");
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "osc-std",
            "--features",
            "cli",
            "--bin",
            "osc",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir);
        match profile {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let out = run_timeout(cmd, b"", Duration::from_secs(1200));
        assert!(
            out.code == 0,
            "building the osc binary failed:\n{}",
            out.stderr
        );
        let bin = profile_dir.join(format!("osc{}", env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
}

/// Whether tests must not skip (the `CI` environment variable is set to anything but "" or "false").
pub(crate) fn in_ci() -> bool {
    env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Reports a missing peer: prints `SKIPPED` and returns, or fails under CI.
pub(crate) fn skip(test: &str, why: &str) {
    assert!(
        !in_ci(),
        "{test}: {why} (CI is set, so this is a failure; see tests/ci/cli.sh)"
    );
    eprintln!("SKIPPED {test}: {why}");
}

/// Whether `program` can be found on `PATH`.
pub(crate) fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|paths| env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// A free UDP port on 127.0.0.1 (for peers that cannot bind port 0 and report it).
pub(crate) fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port")
        .port()
}

/// A free TCP port on 127.0.0.1.
pub(crate) fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free TCP port")
        .port()
}

/// A running child process whose stdout and stderr lines are collected by threads. Killed on drop.
pub(crate) struct Proc {
    name: String,
    child: Child,
    stdout: Receiver<String>,
    stderr_lines: std::sync::Arc<Mutex<Vec<String>>>,
    stderr: Receiver<String>,
}

fn pump(
    r: impl Read + Send + 'static,
    tx: mpsc::Sender<String>,
    keep: Option<std::sync::Arc<Mutex<Vec<String>>>>,
) {
    thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if let Some(k) = &keep {
                k.lock().unwrap().push(line.clone());
            }
            if tx.send(line).is_err() && keep.is_none() {
                break;
            }
        }
    });
}

impl Proc {
    /// Starts `program` with `args`, stdin closed.
    pub(crate) fn spawn<I, S>(program: impl AsRef<OsStr>, args: I) -> Proc
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(program.as_ref());
        cmd.args(args);
        Self::spawn_cmd(cmd)
    }

    /// Starts a prepared command, stdin closed, stdout and stderr captured.
    pub(crate) fn spawn_cmd(mut cmd: Command) -> Proc {
        let name = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let (otx, stdout) = mpsc::channel();
        let (etx, stderr) = mpsc::channel();
        let stderr_lines = std::sync::Arc::new(Mutex::new(Vec::new()));
        pump(child.stdout.take().expect("stdout"), otx, None);
        pump(
            child.stderr.take().expect("stderr"),
            etx,
            Some(std::sync::Arc::clone(&stderr_lines)),
        );
        Proc {
            name,
            child,
            stdout,
            stderr_lines,
            stderr,
        }
    }

    fn context(&self) -> String {
        format!(
            "{}\nstderr so far:\n{}",
            self.name,
            self.stderr_lines.lock().unwrap().join("\n")
        )
    }

    /// The next stdout line, waiting at most `timeout`; `None` if none came.
    pub(crate) fn try_line(&self, timeout: Duration) -> Option<String> {
        self.stdout.recv_timeout(timeout).ok()
    }

    /// The next stdout line; fails the test after [`WAIT`].
    pub(crate) fn line(&self) -> String {
        self.try_line(WAIT)
            .unwrap_or_else(|| panic!("no output line within {WAIT:?} from {}", self.context()))
    }

    /// The next `n` stdout lines.
    pub(crate) fn lines(&self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.line()).collect()
    }

    /// The next stderr line; fails the test after [`WAIT`].
    pub(crate) fn err_line(&self) -> String {
        self.stderr
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no stderr line within {WAIT:?} from {}", self.context()))
    }

    /// Waits for the `osc dump: listening on SCHEME://ADDR:PORT[?QUERY]` announcement and returns the port.
    pub(crate) fn listening_port(&self) -> u16 {
        let line = self.err_line();
        let rest = line
            .strip_prefix("osc dump: listening on ")
            .unwrap_or_else(|| panic!("unexpected first stderr line {line:?}"));
        let rest = rest.split_once('?').map_or(rest, |(url, _query)| url);
        rest.rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"))
    }

    /// Waits for the process to exit and returns its exit code; fails the test after [`WAIT`].
    pub(crate) fn wait(&mut self) -> i32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(
                start.elapsed() < WAIT,
                "{} did not exit within {WAIT:?}",
                self.context()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Everything written to stderr so far.
    pub(crate) fn stderr_text(&self) -> String {
        self.stderr_lines.lock().unwrap().join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The result of a finished command.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stdout_bytes: Vec<u8>,
    pub(crate) stderr: String,
}

impl Output {
    /// Checks the exit status and that stderr says each of `wants`.
    pub(crate) fn assert_says(&self, code: i32, wants: &[&str]) {
        assert_eq!(self.code, code, "{}", self.stderr);
        for want in wants {
            assert!(self.stderr.contains(want), "{want:?} in {}", self.stderr);
        }
    }
}

/// Runs a command to completion with bytes on stdin, killing it after [`WAIT`].
pub(crate) fn run_with_input(cmd: Command, input: &[u8]) -> Output {
    run_timeout(cmd, input, WAIT)
}

/// Runs a command to completion with bytes on stdin, killing it after `limit`.
pub(crate) fn run_timeout(cmd: Command, input: &[u8], limit: Duration) -> Output {
    try_run_timeout(cmd, input, limit).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`run_timeout`], but a program that cannot be started is an `Err` instead of a failure.
pub(crate) fn try_run_timeout(
    mut cmd: Command,
    input: &[u8],
    limit: Duration,
) -> Result<Output, String> {
    let name = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&input);
    });
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_t = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{name} did not finish within {limit:?}"));
        }
        thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    let stdout_bytes = out_t.join().unwrap_or_default();
    Ok(Output {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout_bytes).into_owned(),
        stdout_bytes,
        stderr: String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned(),
    })
}

/// Runs `osc ARGS…` with empty stdin.
pub(crate) fn osc(args: &[&str]) -> Output {
    osc_with_input(args, b"")
}

/// Runs `osc ARGS…` with `input` on stdin.
pub(crate) fn osc_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut cmd = Command::new(osc_bin());
    cmd.args(args);
    run_with_input(cmd, input)
}

/// Runs `osc ARGS…` and fails the test unless it exits with status 0.
pub(crate) fn osc_ok(args: &[&str]) -> String {
    let out = osc(args);
    assert_eq!(out.code, 0, "osc {args:?} failed: {}", out.stderr);
    out.stdout
}

/// Starts `osc dump URL EXTRA…` on port 0 of `host` and returns it with the port it bound.
pub(crate) fn spawn_dump(scheme_host: &str, extra: &[&str]) -> (Proc, u16) {
    let url = format!("{scheme_host}:0");
    let mut args = vec!["dump", url.as_str()];
    args.extend_from_slice(extra);
    let p = Proc::spawn(osc_bin(), &args);
    let port = p.listening_port();
    (p, port)
}

/// A file in the system's temporary directory, removed when dropped.
pub(crate) struct TempFile(pub(crate) PathBuf);

impl TempFile {
    /// Writes `contents` to a file whose name holds `name` and this process's id.
    pub(crate) fn new(name: &str, contents: &str) -> TempFile {
        let path = env::temp_dir().join(format!("osc-test-{}-{name}", std::process::id()));
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        TempFile(path)
    }

    pub(crate) fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
