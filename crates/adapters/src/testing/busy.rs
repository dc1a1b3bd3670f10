//! Other processes keeping cores busy: what the tests that must hold on a loaded machine run
//! beside them.

use std::process::{Child, Command};

/// Processes that keep cores busy (`sh -c 'while :; do :; done'`), stopped when dropped.
#[derive(Debug)]
pub struct BusyLoops(Vec<Child>);

impl BusyLoops {
    /// `count` of them, or why one could not start.
    pub fn start(count: usize) -> std::io::Result<Self> {
        let mut loops = Self(Vec::with_capacity(count));
        for _ in 0..count {
            loops.0.push(
                Command::new("sh")
                    .args(["-c", "while :; do :; done"])
                    .spawn()?,
            );
        }
        Ok(loops)
    }
}

impl Drop for BusyLoops {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
