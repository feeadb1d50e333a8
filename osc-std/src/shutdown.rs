//! [`Shutdown`]: a cloneable handle that stops a running server.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

type Waker = Box<dyn Fn() + Send + Sync>;

struct Inner {
    fired: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

/// Stops a server: every server form's `run` returns soon after [`shutdown`](Shutdown::shutdown)
/// is called from any thread (at once for a server blocked in a receive, which is woken; within
/// the server's poll interval, 50 ms by default, otherwise).
///
/// Clones share one state. A server hands out its handle before it runs; a handle given to
/// several servers stops them all.
///
/// ```
/// use osc_std::Shutdown;
///
/// let stop = Shutdown::new();
/// let copy = stop.clone();
/// assert!(!copy.is_shutdown());
/// stop.shutdown();
/// assert!(copy.is_shutdown());
/// ```
#[derive(Clone)]
pub struct Shutdown(Arc<Inner>);

impl Shutdown {
    /// A handle that has not fired.
    pub fn new() -> Self {
        Self(Arc::new(Inner {
            fired: AtomicBool::new(false),
            wakers: Mutex::new(Vec::new()),
        }))
    }

    /// Asks every server sharing this handle to stop. Calling it again does nothing.
    pub fn shutdown(&self) {
        if !self.0.fired.swap(true, Ordering::SeqCst) {
            let wakers = self.0.wakers.lock().unwrap_or_else(PoisonError::into_inner);
            for wake in wakers.iter() {
                wake();
            }
        }
    }

    /// Whether [`shutdown`](Self::shutdown) has been called.
    pub fn is_shutdown(&self) -> bool {
        self.0.fired.load(Ordering::SeqCst)
    }

    /// Registers `wake` to run when the handle fires (at once if it already has). Servers use it to
    /// interrupt a blocking receive or accept.
    pub(crate) fn on_shutdown(&self, wake: impl Fn() + Send + Sync + 'static) {
        let mut wakers = self.0.wakers.lock().unwrap_or_else(PoisonError::into_inner);
        if self.is_shutdown() {
            drop(wakers);
            wake();
        } else {
            wakers.push(Box::new(wake));
        }
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("fired", &self.is_shutdown())
            .finish()
    }
}
