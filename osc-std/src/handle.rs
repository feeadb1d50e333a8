//! [`ServerHandle`]: a server running on its own thread.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::counters::{Counters, Stats};
use crate::shutdown::Shutdown;

/// A server started with a `spawn` method: its address, its counters, and the means to stop it.
///
/// Dropping the handle stops the server and waits for its thread, like [`stop`](Self::stop)
/// without the result.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    shutdown: Shutdown,
    counters: Arc<Counters>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    pub(crate) fn new(
        local_addr: SocketAddr,
        shutdown: Shutdown,
        counters: Arc<Counters>,
        thread: JoinHandle<io::Result<()>>,
    ) -> Self {
        Self {
            local_addr,
            shutdown,
            counters,
            thread: Some(thread),
        }
    }

    /// The address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The live counters.
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// A copy of the counters now.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// The server's shutdown handle (firing it stops the server without waiting).
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Whether the server thread has ended (after a shutdown or a socket error).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the server, waits for its thread, and returns its final counts, or the error its `run`
    /// ended with.
    ///
    /// The counts are read after the thread has ended, so every reply the server sent is in them
    /// (counts read with [`stats`](Self::stats) while it runs can trail a reply that a peer already
    /// holds by a moment).
    pub fn stop(mut self) -> io::Result<Stats> {
        self.shutdown.shutdown();
        self.join_thread()
    }

    /// Waits for the server to end by itself (a shutdown fired elsewhere, or a socket error), and
    /// returns its final counts as [`stop`](Self::stop) does.
    pub fn join(mut self) -> io::Result<Stats> {
        self.join_thread()
    }

    /// Waits for the thread (once) and returns how its `run` ended, with the counts after it.
    fn join_thread(&mut self) -> io::Result<Stats> {
        if let Some(t) = self.thread.take() {
            t.join()
                .unwrap_or_else(|_| Err(io::Error::other("the server thread panicked")))?;
        }
        Ok(self.counters.snapshot())
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shutdown.shutdown();
        let _ = self.join_thread();
    }
}
