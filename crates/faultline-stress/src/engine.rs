//! The run: layout, `numjobs × iodepth` worker threads doing synchronous
//! `pread`/`pwrite` on aligned buffers, per-block state for verification,
//! progress and early news of mismatches ([`Observer`]), and the report.
//!
//! The hot path per I/O: (with writers in the run) one compare-and-swap
//! that locks the block's state word, the header stamp and xxh3 of a write,
//! two clock reads, the system call, the unlock, a histogram increment, and
//! relaxed stores to the thread's own progress counters (one cache line).
//! No allocation, no shared counter, no lock on statistics (each thread
//! keeps its own, merged at the end).
//!
//! A mismatch (the cold path) is also sent to the calling thread at once,
//! so that a caller streaming status lines can say so before anything else
//! happens to the machine: corruption often comes just before a crash.
//!
//! The block lock exists because a read that overlaps a write of the same
//! block may legitimately return a mix of old and new data (O_DIRECT does
//! not promise otherwise), which verification would report as corruption.
//! Holding the block's state word across the I/O makes every read see a
//! whole write, and gives the generation a read must find. Runs without
//! writes take no lock.

use std::alloc::Layout;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::block::{self, LAYOUT_JOB, MismatchKind, SplitMix, Verdict};
use crate::hist::Histogram;
use crate::mem::Pressure;
use crate::options::{Rw, StressOptions};
use crate::perm::Perm;
use crate::report::{
    FileReport, IoErrorSample, JobReport, MemReport, Mismatch, OpReport, OptionsEcho, Report,
    Totals,
};
use crate::target::{FileKind, FilePlan, plan};
use crate::{EXIT_IO_ERRORS, EXIT_OK, EXIT_VERIFY, StressError};

static STOP: AtomicBool = AtomicBool::new(false);

/// Whether SIGINT or SIGTERM arrived since [`stop_on_interrupt`].
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Makes SIGINT and SIGTERM end a run early (the report is still made,
/// with `interrupted: true`); a second signal kills as usual.
pub fn stop_on_interrupt() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a handler that only stores to an
        // atomic is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART | libc::SA_RESETHAND;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Live figures, cumulative since the workload started unless said
/// otherwise.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub elapsed: Duration,
    /// Reads and writes that completed so far (`read_ops + write_ops`; as
    /// the report counts them, failed ones are `io_errors`).
    pub ops: u64,
    /// `ops` times the block size.
    pub bytes: u64,
    /// Over the last interval (since the previous call).
    pub iops: f64,
    /// Over the last interval.
    pub mib_s: f64,
    pub read_ops: u64,
    pub write_ops: u64,
    /// Reads that found data other than what was written.
    pub verify_failures: u64,
    /// Reads and writes that failed.
    pub io_errors: u64,
}

/// What the calling thread of [`run_observed`] is told during the
/// workload. Both methods run on the calling thread, never concurrently,
/// and should return quickly (the workers do not wait for them, but the
/// next call does).
pub trait Observer {
    /// About every `every` given to [`run_observed`].
    fn progress(&mut self, _progress: &Progress) {}

    /// A read failed verification, told as soon as the worker has re-read
    /// the block; `progress` is taken right after and counts it. Only the
    /// mismatches the report samples (the first 8 of each thread) are
    /// told; later ones show in `verify_failures`.
    fn mismatch(&mut self, _mismatch: &Mismatch, _progress: &Progress) {}
}

/// [`run`]'s callback as an [`Observer`].
struct Callback<'a>(Option<&'a mut dyn FnMut(&Progress)>);

impl Observer for Callback<'_> {
    fn progress(&mut self, p: &Progress) {
        if let Some(cb) = self.0.as_mut() {
            cb(p);
        }
    }
}

/// A block state word: bit 31 locks it, bits 0-30 are the generation this
/// run last wrote (0: not written by this run, or a write failed).
const LOCKED: u32 = 1 << 31;
const GEN_MASK: u32 = LOCKED - 1;

#[inline]
fn lock(state: &AtomicU32) -> u32 {
    let mut spins = 0u32;
    loop {
        let cur = state.load(Ordering::Relaxed);
        if cur & LOCKED == 0
            && state
                .compare_exchange_weak(cur, cur | LOCKED, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        {
            return cur;
        }
        spins += 1;
        if spins < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

#[inline]
fn next_generation(prev: u32) -> u32 {
    let g = prev & GEN_MASK;
    if g == GEN_MASK { 1 } else { g + 1 }
}

/// A zeroed buffer aligned to 4096 (what O_DIRECT needs).
struct AlignedBuf {
    ptr: NonNull<u8>,
    layout: Layout,
}

// The buffer is owned by one thread.
unsafe impl Send for AlignedBuf {}

impl AlignedBuf {
    fn new(len: usize) -> Option<AlignedBuf> {
        let layout = Layout::from_size_align(len.max(1), 4096).ok()?;
        // SAFETY: non-zero size.
        let ptr = NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) })?;
        Some(AlignedBuf { ptr, layout })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `layout.size()` initialised bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.layout.size()) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, uniquely borrowed.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

fn pread_full(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "short read: end of file after {done} of {} bytes",
                        buf.len()
                    ),
                ));
            }
            Ok(k) => done += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn pwrite_full(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match file.write_at(&buf[done..], offset + done as u64) {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    format!("short write: {done} of {} bytes", buf.len()),
                ));
            }
            Ok(k) => done += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// One target as the workers see it.
struct Target<'a> {
    plan: &'a FilePlan,
    file: File,
    states: Vec<AtomicU32>,
}

/// Settings every worker reads.
struct Ctx {
    rw: Rw,
    read_percent: u8,
    bs: u64,
    iodepth: u32,
    time_based: bool,
    seed: u64,
    start: Instant,
    deadline: Option<Instant>,
}

/// A thread's progress counters, on their own cache lines (only their
/// thread writes them; the calling thread reads them for [`Progress`]).
#[repr(align(128))]
#[derive(Default)]
struct Counter {
    reads: AtomicU64,
    writes: AtomicU64,
    errors: AtomicU64,
    verify_failures: AtomicU64,
}

impl Counter {
    /// Publishes the thread's figures: relaxed stores to a line no other
    /// thread writes, so no contention on the hot path.
    #[inline]
    fn publish(&self, stats: &ThreadStats) {
        self.reads.store(stats.read_ops, Ordering::Relaxed);
        self.writes.store(stats.write_ops, Ordering::Relaxed);
        self.errors.store(stats.errors, Ordering::Relaxed);
        self.verify_failures
            .store(stats.verify_failures, Ordering::Relaxed);
    }
}

/// What a worker tells the calling thread.
enum Msg {
    /// A read failed verification (a sample, see [`Observer::mismatch`]).
    Mismatch(Box<Mismatch>),
    /// The worker returned.
    Done,
}

/// Sums the counters of all threads at `now`; `last` is the time and op
/// count of the previous tick, for the interval rates.
fn snapshot(
    counters: &[Counter],
    bs: u64,
    start: Instant,
    now: Instant,
    last: (Instant, u64),
) -> Progress {
    let mut p = Progress {
        elapsed: now.saturating_duration_since(start),
        ..Progress::default()
    };
    for c in counters {
        p.read_ops += c.reads.load(Ordering::Relaxed);
        p.write_ops += c.writes.load(Ordering::Relaxed);
        p.io_errors += c.errors.load(Ordering::Relaxed);
        p.verify_failures += c.verify_failures.load(Ordering::Relaxed);
    }
    p.ops = p.read_ops + p.write_ops;
    p.bytes = p.ops.saturating_mul(bs);
    let dt = now
        .saturating_duration_since(last.0)
        .as_secs_f64()
        .max(1e-9);
    let d_ops = p.ops.saturating_sub(last.1);
    p.iops = d_ops as f64 / dt;
    p.mib_s = d_ops as f64 * bs as f64 / dt / 1_048_576.0;
    p
}

const SAMPLES_PER_THREAD: usize = 8;
const SAMPLES_KEPT: usize = 16;
const GIVE_UP_AFTER: u32 = 64;

struct ThreadStats {
    job: u32,
    read_ops: u64,
    write_ops: u64,
    read_lat: Histogram,
    write_lat: Histogram,
    errors: u64,
    verify_failures: u64,
    verified: u64,
    unverified: u64,
    abandoned: bool,
    ended: Instant,
    error_samples: Vec<IoErrorSample>,
    mismatches: Vec<Mismatch>,
}

impl ThreadStats {
    fn new(job: u32, now: Instant) -> ThreadStats {
        ThreadStats {
            job,
            read_ops: 0,
            write_ops: 0,
            read_lat: Histogram::new(),
            write_lat: Histogram::new(),
            errors: 0,
            verify_failures: 0,
            verified: 0,
            unverified: 0,
            abandoned: false,
            ended: now,
            error_samples: Vec::new(),
            mismatches: Vec::new(),
        }
    }
}

fn perm_key(seed: u64, job: u32, pass: u64) -> u64 {
    SplitMix(seed ^ (u64::from(job) << 40) ^ pass.wrapping_mul(0x9e37_79b9_7f4a_7c15)).next_u64()
}

#[allow(clippy::too_many_arguments)]
fn error_sample(
    stats: &mut ThreadStats,
    ctx: &Ctx,
    target: &Target,
    thread: u32,
    op: &'static str,
    offset: u64,
    e: &std::io::Error,
) {
    stats.errors += 1;
    if stats.error_samples.len() < SAMPLES_PER_THREAD {
        stats.error_samples.push(IoErrorSample {
            job: stats.job,
            thread,
            file: target.plan.path.display().to_string(),
            op,
            offset,
            error: e.to_string(),
            errno: e.raw_os_error(),
            at_s: ctx.start.elapsed().as_secs_f64(),
        });
    }
}

/// Details of a failed check, with a second read of the block.
#[allow(clippy::too_many_arguments)]
fn mismatch(
    ctx: &Ctx,
    target: &Target,
    job: u32,
    thread: u32,
    block_index: u64,
    kind: MismatchKind,
    expected: Option<u64>,
    buf: &mut [u8],
    locking: bool,
) -> Mismatch {
    let offset = block_index * ctx.bs;
    let found = block::Header::parse(buf);
    let computed_checksum = xxhash_rust::xxh3::xxh3_64(&buf[8..]);
    let (first_bad_byte, bad_bytes) = if kind == MismatchKind::Checksum {
        match block::diff_against_rebuilt(buf, offset, expected) {
            Some((i, n)) => (Some(offset + i as u64), Some(n as u64)),
            None => (None, Some(0)),
        }
    } else {
        (None, None)
    };
    let at_s = ctx.start.elapsed().as_secs_f64();
    // Read it again: is it bad on the medium, or was the first read wrong?
    let state = &target.states[block_index as usize];
    let prev = if locking {
        lock(state)
    } else {
        state.load(Ordering::Relaxed)
    };
    let reread = if (prev & GEN_MASK) as u64 != expected.unwrap_or(0) {
        "skipped"
    } else {
        match pread_full(&target.file, buf, offset) {
            Ok(()) => match block::check(buf, offset, expected) {
                Verdict::Good => "good",
                _ => "bad_again",
            },
            Err(_) => "failed",
        }
    };
    if locking {
        state.store(prev, Ordering::Release);
    }
    Mismatch {
        job,
        thread,
        file: target.plan.path.display().to_string(),
        offset,
        kind,
        at_s,
        expected_generation: expected,
        found,
        computed_checksum,
        first_bad_byte,
        bad_bytes,
        reread,
    }
}

fn worker(
    ctx: &Ctx,
    target: &Target,
    job: u32,
    thread: u32,
    counter: &Counter,
    tx: &mpsc::Sender<Msg>,
) -> ThreadStats {
    let mut stats = ThreadStats::new(job, ctx.start);
    let bs = ctx.bs as usize;
    let n = target.states.len() as u64;
    let depth = u64::from(ctx.iodepth);
    if u64::from(thread) >= n {
        return stats;
    }
    let (Some(mut wbuf), Some(mut rbuf)) = (AlignedBuf::new(bs), AlignedBuf::new(bs)) else {
        let e = std::io::Error::new(std::io::ErrorKind::OutOfMemory, "cannot allocate buffers");
        error_sample(&mut stats, ctx, target, thread, "read", 0, &e);
        stats.abandoned = true;
        counter.publish(&stats);
        return stats;
    };
    block::fill_payload(wbuf.bytes_mut(), ctx.seed, job, thread);
    let mut rng = SplitMix(ctx.seed ^ perm_key(!ctx.seed, job, u64::from(thread)));
    let random = ctx.rw.is_random();
    let mut pass = 0u64;
    let mut perm = random.then(|| Perm::new(n, perm_key(ctx.seed, job, 0)));
    let locking = ctx.rw.writes();
    let read_percent = ctx.read_percent;
    let mut i = u64::from(thread);
    let mut consecutive_errors = 0u32;
    loop {
        if i >= n {
            if !ctx.time_based {
                break;
            }
            pass += 1;
            i = u64::from(thread);
            if random {
                perm = Some(Perm::new(n, perm_key(ctx.seed, job, pass)));
            }
        }
        let index = match &perm {
            Some(p) => p.get(i),
            None => i,
        };
        i += depth;
        let offset = index * ctx.bs;
        let is_read = match read_percent {
            100 => true,
            0 => false,
            p => rng.percent() < p,
        };
        let state = &target.states[index as usize];
        let prev = if locking {
            lock(state)
        } else {
            state.load(Ordering::Relaxed)
        };
        let generation = next_generation(prev);
        if !is_read {
            block::stamp(
                wbuf.bytes_mut(),
                offset,
                u64::from(generation),
                ctx.seed,
                job,
                thread,
            );
        }
        let t0 = Instant::now();
        if ctx.deadline.is_some_and(|d| t0 >= d) || STOP.load(Ordering::Relaxed) {
            if locking {
                state.store(prev, Ordering::Release);
            }
            break;
        }
        if is_read {
            let r = pread_full(&target.file, rbuf.bytes_mut(), offset);
            let t1 = Instant::now();
            if locking {
                state.store(prev, Ordering::Release);
            }
            match r {
                Ok(()) => {
                    consecutive_errors = 0;
                    stats.read_ops += 1;
                    stats
                        .read_lat
                        .record(t1.duration_since(t0).as_nanos() as u64);
                    let expected = match prev & GEN_MASK {
                        0 => None,
                        g => Some(u64::from(g)),
                    };
                    match block::check(rbuf.bytes(), offset, expected) {
                        Verdict::Good => stats.verified += 1,
                        Verdict::Unverified => stats.unverified += 1,
                        Verdict::Bad(kind) => {
                            stats.verified += 1;
                            stats.verify_failures += 1;
                            // Counted before the message is sent, so the
                            // progress taken on receipt includes it.
                            counter.publish(&stats);
                            if stats.mismatches.len() < SAMPLES_PER_THREAD {
                                let m = mismatch(
                                    ctx,
                                    target,
                                    job,
                                    thread,
                                    index,
                                    kind,
                                    expected,
                                    rbuf.bytes_mut(),
                                    locking,
                                );
                                // The caller may have gone (it has not: it
                                // waits for every worker), nothing to do.
                                let _ = tx.send(Msg::Mismatch(Box::new(m.clone())));
                                stats.mismatches.push(m);
                            }
                        }
                    }
                }
                Err(e) => {
                    consecutive_errors += 1;
                    error_sample(&mut stats, ctx, target, thread, "read", offset, &e);
                }
            }
        } else {
            let r = pwrite_full(&target.file, wbuf.bytes(), offset);
            let t1 = Instant::now();
            match r {
                Ok(()) => {
                    state.store(generation, Ordering::Release);
                    consecutive_errors = 0;
                    stats.write_ops += 1;
                    stats
                        .write_lat
                        .record(t1.duration_since(t0).as_nanos() as u64);
                }
                Err(e) => {
                    // What the block holds now is unknown.
                    state.store(0, Ordering::Release);
                    consecutive_errors += 1;
                    error_sample(&mut stats, ctx, target, thread, "write", offset, &e);
                }
            }
        }
        counter.publish(&stats);
        if consecutive_errors >= GIVE_UP_AFTER {
            stats.abandoned = true;
            break;
        }
    }
    stats.ended = Instant::now();
    stats
}

/// Writes the whole region of a file with verifiable blocks (generation 1),
/// buffered, in chunks of up to 1 MiB, then syncs it.
fn layout(fp: &FilePlan, bs: u64, seed: u64) -> Result<(), StressError> {
    let io = |action: &'static str| {
        let path = fp.path.clone();
        move |source| StressError::Io {
            path,
            action,
            source,
        }
    };
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&fp.path)
        .map_err(io("open to lay out"))?;
    let per_chunk = ((1u64 << 20) / bs).max(1);
    let mut chunk = vec![0u8; (per_chunk * bs) as usize];
    for b in chunk.chunks_mut(bs as usize) {
        block::fill_payload(b, seed, LAYOUT_JOB, 0);
    }
    let blocks = fp.region / bs;
    let mut index = 0;
    while index < blocks {
        if STOP.load(Ordering::Relaxed) {
            return Err(StressError::Interrupted);
        }
        let k = per_chunk.min(blocks - index);
        let buf = &mut chunk[..(k * bs) as usize];
        for (j, b) in buf.chunks_mut(bs as usize).enumerate() {
            block::stamp(b, (index + j as u64) * bs, 1, seed, LAYOUT_JOB, 0);
        }
        pwrite_full(&file, buf, index * bs).map_err(io("lay out"))?;
        index += k;
    }
    file.sync_data().map_err(io("sync after layout"))
}

/// Makes a file `region` bytes long for a write-only run: allocated with
/// posix_fallocate (fio's default), else just extended.
fn extend(fp: &FilePlan) -> Result<(), StressError> {
    use std::os::fd::AsRawFd;
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&fp.path)
        .map_err(|source| StressError::Io {
            path: fp.path.clone(),
            action: "open to extend",
            source,
        })?;
    let len = libc::off_t::try_from(fp.region).unwrap_or(libc::off_t::MAX);
    // SAFETY: a valid descriptor.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
    if rc != 0 {
        file.set_len(fp.region).map_err(|source| StressError::Io {
            path: fp.path.clone(),
            action: "extend",
            source,
        })?;
    }
    Ok(())
}

/// Drops the region from the page cache before the workload, as fio's
/// default `invalidate=1` does, so that buffered runs of both start cold;
/// then advises the kernel of the pattern (random: no readahead), as fio's
/// default `fadvise_hint=1` does.
fn invalidate_and_advise(file: &File, region: u64, rw: Rw, invalidate: bool) {
    use std::os::fd::AsRawFd;
    let len = libc::off_t::try_from(region).unwrap_or(0);
    let hint = if rw.is_random() {
        libc::POSIX_FADV_RANDOM
    } else {
        libc::POSIX_FADV_SEQUENTIAL
    };
    // SAFETY: a valid descriptor; advice only.
    unsafe {
        if invalidate {
            libc::posix_fadvise(file.as_raw_fd(), 0, len, libc::POSIX_FADV_DONTNEED);
        }
        libc::posix_fadvise(file.as_raw_fd(), 0, len, hint);
    }
}

fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    SplitMix(nanos ^ u64::from(std::process::id()) << 32).next_u64()
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// Runs the workload. `progress` is called about once a second from the
/// calling thread. Errors are setup failures (bad options, refused or
/// unopenable targets, a failed layout); I/O errors and verification
/// failures of the workload are in the report.
pub fn run(
    opts: &StressOptions,
    progress: Option<&mut dyn FnMut(&Progress)>,
) -> Result<Report, StressError> {
    run_observed(opts, Duration::from_secs(1), &mut Callback(progress))
}

/// The shortest progress period [`run_observed`] honours: shorter would
/// make the calling thread spin for nothing.
const MIN_EVERY: Duration = Duration::from_millis(10);

/// [`run`] with an [`Observer`]: its `progress` about every `every` (10 ms
/// at least), its `mismatch` as soon as one is found.
pub fn run_observed(
    opts: &StressOptions,
    every: Duration,
    observer: &mut dyn Observer,
) -> Result<Report, StressError> {
    let plan = plan(opts)?;
    let seed = opts.seed.unwrap_or_else(clock_seed);
    let bs = opts.bs;
    let mut pressure = if opts.mem > 0 {
        Some(Pressure::new(opts.mem)?)
    } else {
        None
    };

    let layout_started = Instant::now();
    let mut targets = Vec::with_capacity(plan.files.len());
    for fp in &plan.files {
        let blocks = (fp.region / bs) as usize;
        let mut states = Vec::new();
        states.try_reserve_exact(blocks).map_err(|_| {
            StressError::option(
                "--size",
                format!("cannot allocate the state of {blocks} blocks"),
            )
        })?;
        if fp.layout {
            layout(fp, bs, seed)?;
            states.resize_with(blocks, || AtomicU32::new(1));
        } else {
            if fp.extend {
                extend(fp)?;
            }
            states.resize_with(blocks, || AtomicU32::new(0));
        }
        let file = crate::target::open(fp, opts)?;
        invalidate_and_advise(&file, fp.region, opts.rw, opts.invalidate);
        targets.push(Target {
            plan: fp,
            file,
            states,
        });
    }
    let layout_s = if plan.files.iter().any(|f| f.layout || f.extend) {
        layout_started.elapsed().as_secs_f64()
    } else {
        0.0
    };

    let threads = (opts.numjobs * opts.iodepth) as usize;
    let counters: Vec<Counter> = (0..threads).map(|_| Counter::default()).collect();
    let start = Instant::now();
    let ctx = Ctx {
        rw: opts.rw,
        read_percent: opts.rw.read_percent(opts.rwmixread),
        bs,
        iodepth: opts.iodepth,
        time_based: opts.time_based,
        seed,
        start,
        deadline: opts.runtime.map(|r| start + r),
    };
    let mem_done = AtomicBool::new(false);
    let (all, mem_passes) = std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<Msg>();
        let mut handles = Vec::with_capacity(threads);
        for job in 0..opts.numjobs {
            let target = &targets[plan.file_of(job)];
            for thread in 0..opts.iodepth {
                let counter = &counters[(job * opts.iodepth + thread) as usize];
                let tx = tx.clone();
                let ctx = &ctx;
                handles.push(s.spawn(move || {
                    let st = worker(ctx, target, job, thread, counter, &tx);
                    let _ = tx.send(Msg::Done);
                    st
                }));
            }
        }
        drop(tx);
        let mem_handle = pressure.as_mut().map(|p| {
            let done = &mem_done;
            let deadline = ctx.deadline;
            s.spawn(move || p.run(done, deadline))
        });
        let tick = every.max(MIN_EVERY);
        let mut finished = 0;
        let mut last = (start, 0u64);
        let mut next_tick = start + tick;
        while finished < threads {
            let wait = next_tick.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Msg::Done) => finished += 1,
                Ok(Msg::Mismatch(m)) => {
                    let p = snapshot(&counters, bs, start, Instant::now(), last);
                    observer.mismatch(&m, &p);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            let now = Instant::now();
            if now >= next_tick {
                next_tick = now + tick;
                let p = snapshot(&counters, bs, start, now, last);
                last = (now, p.ops);
                observer.progress(&p);
            }
        }
        mem_done.store(true, Ordering::Relaxed);
        let all: Vec<ThreadStats> = handles
            .into_iter()
            .enumerate()
            .map(|(k, h)| {
                h.join().unwrap_or_else(|_| {
                    let mut st = ThreadStats::new(k as u32 / opts.iodepth, start);
                    st.abandoned = true;
                    st.errors += 1;
                    st
                })
            })
            .collect();
        let passes = mem_handle.map(|h| h.join().unwrap_or(0));
        (all, passes)
    });
    let end = Instant::now();
    let elapsed = end.duration_since(start).as_secs_f64();

    // Merge per job, then the total.
    let mut jobs = Vec::with_capacity(opts.numjobs as usize);
    let mut total_read = Histogram::new();
    let mut total_write = Histogram::new();
    let mut tot = (0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u32);
    let mut error_samples = Vec::new();
    let mut mismatches = Vec::new();
    for job in 0..opts.numjobs {
        let mine = all.iter().filter(|t| t.job == job);
        let mut rl = Histogram::new();
        let mut wl = Histogram::new();
        let (mut r, mut w, mut errors, mut vf, mut ver, mut unver, mut ab) =
            (0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u32);
        let mut ended = start;
        for t in mine {
            rl.merge(&t.read_lat);
            wl.merge(&t.write_lat);
            r += t.read_ops;
            w += t.write_ops;
            errors += t.errors;
            vf += t.verify_failures;
            ver += t.verified;
            unver += t.unverified;
            ab += u32::from(t.abandoned);
            ended = ended.max(t.ended);
            error_samples.extend(t.error_samples.iter().cloned());
            mismatches.extend(t.mismatches.iter().cloned());
        }
        let secs = ended.duration_since(start).as_secs_f64();
        let read = OpReport::of(r, r * bs, &rl, secs);
        let write = OpReport::of(w, w * bs, &wl, secs);
        jobs.push(JobReport {
            job,
            file: display(&plan.files[plan.file_of(job)].path),
            elapsed_s: secs,
            iops: read.iops + write.iops,
            mib_s: read.mib_s + write.mib_s,
            read,
            write,
            errors,
            verify_failures: vf,
            verified_reads: ver,
            unverified_reads: unver,
            abandoned_threads: ab,
        });
        total_read.merge(&rl);
        total_write.merge(&wl);
        tot.0 += r;
        tot.1 += w;
        tot.2 += errors;
        tot.3 += vf;
        tot.4 += ver;
        tot.5 += unver;
        tot.6 += ab;
    }
    error_samples.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    error_samples.truncate(SAMPLES_KEPT);
    mismatches.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    mismatches.truncate(SAMPLES_KEPT);
    let read = OpReport::of(tot.0, tot.0 * bs, &total_read, elapsed);
    let write = OpReport::of(tot.1, tot.1 * bs, &total_write, elapsed);
    let total = Totals {
        elapsed_s: elapsed,
        iops: read.iops + write.iops,
        mib_s: read.mib_s + write.mib_s,
        read,
        write,
        errors: tot.2,
        verify_failures: tot.3,
        verified_reads: tot.4,
        unverified_reads: tot.5,
        abandoned_threads: tot.6,
    };
    let exit_code = if total.verify_failures > 0 {
        EXIT_VERIFY
    } else if total.errors > 0 {
        EXIT_IO_ERRORS
    } else {
        EXIT_OK
    };
    let size_per_job = plan.files[0].region;
    Ok(Report {
        options: OptionsEcho {
            name: opts.name.clone(),
            rw: opts.rw.as_str().into(),
            rwmixread: opts.rw.read_percent(opts.rwmixread),
            bs,
            size: size_per_job,
            numjobs: opts.numjobs,
            iodepth: opts.iodepth,
            ioengine: "psync",
            direct: opts.direct,
            runtime_s: opts.runtime.map(|d| d.as_secs_f64()),
            time_based: opts.time_based,
            filename: opts.filename.as_deref().map(display),
            directory: opts.filename.is_none().then(|| display(&opts.directory)),
            mem: opts.mem,
            seed,
        },
        files: plan
            .files
            .iter()
            .map(|f| FileReport {
                path: display(&f.path),
                kind: match f.kind {
                    FileKind::BlockDevice { .. } => "block_device",
                    _ => "file",
                },
                region_bytes: f.region,
                jobs: f.jobs.clone(),
                laid_out: f.layout,
            })
            .collect(),
        layout_s,
        elapsed_s: elapsed,
        interrupted: STOP.load(Ordering::Relaxed),
        jobs,
        total,
        mismatches,
        io_errors: error_samples,
        mem: pressure.as_ref().map(|p| MemReport {
            bytes: p.len(),
            passes: mem_passes.unwrap_or(0),
        }),
        exit_code,
    })
}
