//! `--mem`: anonymous memory that is allocated and kept dirty (one write to
//! every 4 KiB page every second), so that a host with swap or overcommit
//! has to page while the I/O runs (story 2: fewer freezes with swap off and
//! no overcommit).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::StressError;

const PAGE: usize = 4096;

/// An anonymous private mapping, unmapped on drop.
pub struct Pressure {
    ptr: *mut u8,
    len: usize,
}

// The mapping is owned by one thread at a time.
unsafe impl Send for Pressure {}

impl Pressure {
    pub fn new(bytes: u64) -> Result<Pressure, StressError> {
        let len = usize::try_from(bytes)
            .ok()
            .and_then(|b| b.checked_next_multiple_of(PAGE))
            .ok_or_else(|| StressError::option("--mem", "too large for this machine"))?;
        // SAFETY: a fresh anonymous mapping; arguments are valid.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(StressError::option(
                "--mem",
                format!(
                    "cannot allocate {}: {}",
                    crate::format_size(bytes),
                    std::io::Error::last_os_error()
                ),
            ));
        }
        Ok(Pressure {
            ptr: ptr.cast(),
            len,
        })
    }

    pub fn len(&self) -> u64 {
        self.len as u64
    }

    /// Writes one byte of every page.
    fn touch(&mut self, round: u8) {
        let mut at = 0;
        while at < self.len {
            // SAFETY: `at < len`, inside the mapping we own; volatile so
            // the writes are not elided.
            unsafe { self.ptr.add(at).write_volatile(round) };
            at += PAGE;
        }
    }

    /// Touches every page once a second until `stop` or `deadline`;
    /// returns the number of passes.
    pub fn run(&mut self, stop: &AtomicBool, deadline: Option<Instant>) -> u64 {
        let mut passes = 0u64;
        loop {
            let started = Instant::now();
            self.touch(passes as u8);
            passes += 1;
            let next = started + Duration::from_secs(1);
            loop {
                if stop.load(Ordering::Relaxed) || crate::engine::stop_requested() {
                    return passes;
                }
                let now = Instant::now();
                if deadline.is_some_and(|d| now >= d) {
                    return passes;
                }
                if now >= next {
                    break;
                }
                std::thread::sleep((next - now).min(Duration::from_millis(50)));
            }
        }
    }
}

impl Drop for Pressure {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}
