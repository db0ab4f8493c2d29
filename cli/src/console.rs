//! Writing to stdout and stderr without panicking when the reader goes away.
//!
//! `thumbing probe *.jpg | head -1` closes the pipe after one line. Rust ignores SIGPIPE, so
//! the next write fails with `BrokenPipe`; `println!` would panic on it. Here the failure is
//! remembered instead: the command stops its work and exits with status 141 (128 + SIGPIPE),
//! the status a shell shows for a Unix tool that SIGPIPE ended, without printing anything.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit status after a closed pipe: 128 + SIGPIPE (13), as for a tool SIGPIPE killed.
pub const BROKEN_PIPE_STATUS: u8 = 141;

/// Line-oriented stdout and stderr that notice a closed pipe.
#[derive(Default)]
pub struct Console {
    closed: AtomicBool,
}

impl Console {
    /// Writes one line to stdout. Returns `false` once the reader has gone.
    pub fn out(&self, line: &str) -> bool {
        self.write(&mut io::stdout().lock(), line)
    }

    /// Writes one line to stderr. Returns `false` once the reader has gone (`2>&1 | head`).
    pub fn err(&self, line: &str) -> bool {
        self.write(&mut io::stderr().lock(), line)
    }

    /// Whether a write found the pipe closed: the command should stop.
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// `code`, or [`BROKEN_PIPE_STATUS`] once the pipe was found closed.
    pub fn exit(&self, code: ExitCode) -> ExitCode {
        if self.closed() { ExitCode::from(BROKEN_PIPE_STATUS) } else { code }
    }

    fn write(&self, stream: &mut impl Write, line: &str) -> bool {
        if self.closed() {
            return false;
        }
        match writeln!(stream, "{line}").and_then(|()| stream.flush()) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed.store(true, Ordering::Relaxed);
                false
            }
            // Any other failure to print (a full disk behind a redirect) must not lose the
            // avatars being made: carry on.
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that has gone away.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_remembered_and_changes_the_exit_status() {
        let console = Console::default();
        assert!(console.write(&mut Vec::new(), "fine"));
        assert!(!console.closed());
        assert!(!console.write(&mut ClosedPipe, "lost"));
        assert!(console.closed());
        assert!(!console.write(&mut Vec::new(), "after"), "nothing is written once the pipe closed");
        assert_eq!(console.exit(ExitCode::SUCCESS), ExitCode::from(BROKEN_PIPE_STATUS));
    }
}
