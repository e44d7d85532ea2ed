//! Helpers shared by the integration tests that drive the real `travis-local` binary.

use std::io::Read;
use std::process::ChildStdout;
use std::sync::mpsc::{channel, Receiver};
use std::thread::JoinHandle;

/// Reads a running child's stdout on its own thread. The receiver gets one message as
/// soon as a line equal to `marker` has been printed (so a test can interrupt the job
/// at a known point); joining the handle gives everything that was read.
pub fn watch_for_line(
    mut stdout: ChildStdout,
    marker: &'static str,
) -> (Receiver<()>, JoinHandle<String>) {
    let (tx, rx) = channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        let mut seen = false;
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    all.extend_from_slice(&buf[..n]);
                    if !seen && String::from_utf8_lossy(&all).lines().any(|l| l == marker) {
                        seen = true;
                        let _ = tx.send(());
                    }
                }
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    });
    (rx, reader)
}
