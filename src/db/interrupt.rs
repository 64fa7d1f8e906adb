/*!
Ctrl-C (or SIGTERM) while tasker-app works in a database: the statement
running on the server is cancelled (PostgreSQL's cancel request, the
driver's `CancelToken`), then the process exits 130. Without it the client
dies and the server goes on running the statement, holding its locks, until
it ends (the next run then waits on them).

[`Guard::install`] puts the handler in place for as long as the guard
lives and puts back whatever was there before when dropped. The signal
handler itself only writes the signal's number to a pipe (about all a
handler may do); a thread reading the pipe does the cancelling.
*/

use postgres::{CancelToken, Client};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Where the run is, for the message after an interrupt.
#[derive(Clone, Default)]
pub struct Progress {
    committing: Arc<AtomicBool>,
}

impl Progress {
    /// From now on an interrupt may come after the server committed.
    pub fn committing(&self) {
        self.committing.store(true, Ordering::SeqCst);
    }

    fn message(&self) -> &'static str {
        if self.committing.load(Ordering::SeqCst) {
            "interrupted while committing: the database holds either all of this run's changes or none; run the command again to see (it applies only what is missing)"
        } else {
            "interrupted: the statement running on the server was cancelled; nothing was applied (the transaction was rolled back)"
        }
    }
}

#[cfg(unix)]
pub use unix::Guard;

#[cfg(not(unix))]
pub struct Guard;

#[cfg(not(unix))]
impl Guard {
    pub fn install(_: &Client, _: MakeRustlsConnect, _: Progress) -> Guard {
        Guard
    }
}

/// Sends the cancel request; the message is printed whatever the outcome.
fn cancel(token: &CancelToken, tls: MakeRustlsConnect, progress: &Progress) -> ! {
    eprintln!("interrupted: cancelling the statement running on the server ...");
    if let Err(e) = token.cancel_query(tls) {
        eprintln!(
            "warning: the cancel request failed ({e}); the server ends the statement when it notices the connection is gone"
        );
    }
    eprintln!("{}", progress.message());
    std::process::exit(130)
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::sync::atomic::AtomicI32;
    use std::thread::JoinHandle;

    /// The pipe's write end, for the signal handler (-1: no guard).
    static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);
    const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];
    /// Written by [`Guard::drop`]: the reader thread ends.
    const STOP: u8 = 0;

    extern "C" fn on_signal(signal: libc::c_int) {
        let fd = PIPE_WRITE.load(Ordering::SeqCst);
        if fd >= 0 {
            let byte = u8::try_from(signal).unwrap_or(u8::MAX);
            // SAFETY: write(2) is async-signal-safe; the buffer is a local byte.
            unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
        }
    }

    pub struct Guard {
        previous: Vec<(libc::c_int, libc::sigaction)>,
        fds: [libc::c_int; 2],
        reader: Option<JoinHandle<()>>,
    }

    impl Guard {
        /// Cancels `client`'s running statement on SIGINT/SIGTERM until dropped.
        /// When the handler cannot be installed the run goes on without it.
        pub fn install(client: &Client, tls: MakeRustlsConnect, progress: Progress) -> Guard {
            let mut guard = Guard {
                previous: Vec::new(),
                fds: [-1, -1],
                reader: None,
            };
            // SAFETY: pipe(2) fills the two-element array.
            if unsafe { libc::pipe(guard.fds.as_mut_ptr()) } != 0 {
                return guard;
            }
            let token = client.cancel_token();
            let read_fd = guard.fds[0];
            guard.reader = Some(std::thread::spawn(move || {
                let mut byte = STOP;
                // SAFETY: reads one byte into a local.
                let n = unsafe { libc::read(read_fd, (&raw mut byte).cast(), 1) };
                if n == 1 && byte != STOP {
                    cancel(&token, tls, &progress);
                }
            }));
            PIPE_WRITE.store(guard.fds[1], Ordering::SeqCst);
            for signal in SIGNALS {
                // SAFETY: a zeroed sigaction is valid; the handler only calls write(2).
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                    action.sa_flags = libc::SA_RESTART;
                    libc::sigemptyset(&mut action.sa_mask);
                    let mut previous: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(signal, &action, &mut previous) == 0 {
                        guard.previous.push((signal, previous));
                    }
                }
            }
            guard
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            for (signal, previous) in self.previous.drain(..) {
                // SAFETY: puts back the action saved by install.
                unsafe { libc::sigaction(signal, &previous, std::ptr::null_mut()) };
            }
            PIPE_WRITE.store(-1, Ordering::SeqCst);
            if self.fds[1] >= 0 {
                let stop = STOP;
                // SAFETY: one byte to our own pipe; then both ends are closed once.
                unsafe { libc::write(self.fds[1], (&raw const stop).cast(), 1) };
            }
            if let Some(reader) = self.reader.take() {
                let _ = reader.join();
            }
            for fd in self.fds {
                if fd >= 0 {
                    // SAFETY: our own descriptors, closed once.
                    unsafe { libc::close(fd) };
                }
            }
        }
    }
}
