//! The verifiable block: what every block written looks like, and how a
//! read is checked.
//!
//! Layout (all little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | xxh3-64 of bytes 8..bs |
//! | 8..16 | magic `FLSTRESS` |
//! | 16..24 | offset of the block in the file or device |
//! | 24..32 | generation: how many times this run wrote the block (layout = 1) |
//! | 32..40 | seed of the run that wrote it |
//! | 40..44 | job that wrote it (`u32::MAX` = the layout) |
//! | 44..48 | thread of the job (0..iodepth) |
//! | 48..52 | block size |
//! | 52..56 | zero |
//! | 56..bs | payload: a splitmix64 stream seeded from (seed, job, thread) |
//!
//! The payload does not depend on the offset or the generation, so a writer
//! fills it once and changes only the header per write; and a reader that
//! finds a bad checksum can rebuild the block that was written and name the
//! bytes that differ.

use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

/// `FLSTRESS`, little-endian.
pub const MAGIC: u64 = u64::from_le_bytes(*b"FLSTRESS");
/// Bytes of header before the payload.
pub const HEADER_LEN: usize = 56;
/// Job id of blocks written by the layout.
pub const LAYOUT_JOB: u32 = u32::MAX;

/// The header fields of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Header {
    pub checksum: u64,
    pub magic: u64,
    pub offset: u64,
    pub generation: u64,
    pub seed: u64,
    pub job: u32,
    pub thread: u32,
    pub bs: u32,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

impl Header {
    /// Reads the header of `block` (at least [`HEADER_LEN`] bytes).
    pub fn parse(block: &[u8]) -> Header {
        Header {
            checksum: u64_at(block, 0),
            magic: u64_at(block, 8),
            offset: u64_at(block, 16),
            generation: u64_at(block, 24),
            seed: u64_at(block, 32),
            job: u32_at(block, 40),
            thread: u32_at(block, 44),
            bs: u32_at(block, 48),
        }
    }
}

/// splitmix64: the payload stream and the per-thread random numbers.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in 0..100.
    #[inline]
    pub fn percent(&mut self) -> u8 {
        (((self.next_u64() >> 32) * 100) >> 32) as u8
    }
}

/// Fills `block[HEADER_LEN..]` with the payload of writer (seed, job,
/// thread).
pub fn fill_payload(block: &mut [u8], seed: u64, job: u32, thread: u32) {
    let mut rng = SplitMix(
        seed ^ (u64::from(job) << 32 | u64::from(thread)).wrapping_mul(0xd6e8_feb8_6659_fd93),
    );
    for chunk in block[HEADER_LEN..].chunks_mut(8) {
        let w = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&w[..chunk.len()]);
    }
}

/// Writes the header of a block whose payload is already filled, checksum
/// last.
#[inline]
pub fn stamp(block: &mut [u8], offset: u64, generation: u64, seed: u64, job: u32, thread: u32) {
    block[8..16].copy_from_slice(&MAGIC.to_le_bytes());
    block[16..24].copy_from_slice(&offset.to_le_bytes());
    block[24..32].copy_from_slice(&generation.to_le_bytes());
    block[32..40].copy_from_slice(&seed.to_le_bytes());
    block[40..44].copy_from_slice(&job.to_le_bytes());
    block[44..48].copy_from_slice(&thread.to_le_bytes());
    let bs = block.len() as u32;
    block[48..52].copy_from_slice(&bs.to_le_bytes());
    block[52..56].copy_from_slice(&0u32.to_le_bytes());
    let sum = xxh3_64(&block[8..]);
    block[0..8].copy_from_slice(&sum.to_le_bytes());
}

/// A whole block as writer (seed, job, thread) writes it.
pub fn build(bs: usize, offset: u64, generation: u64, seed: u64, job: u32, thread: u32) -> Vec<u8> {
    let mut b = vec![0u8; bs];
    fill_payload(&mut b, seed, job, thread);
    stamp(&mut b, offset, generation, seed, job, thread);
    b
}

/// What a read found wrong, in the order the checks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MismatchKind {
    /// No faultline header where this run wrote one: the block was
    /// overwritten, zeroed, or the read returned other data.
    Magic,
    /// A header of another block size where this run wrote a block.
    BlockSize,
    /// A valid header naming another offset: a misdirected write or read.
    Offset,
    /// The checksum does not match the contents: corrupted bytes.
    Checksum,
    /// An intact block of an earlier generation than the last write this
    /// run made to it: a lost (or reordered) write.
    Generation,
}

impl MismatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MismatchKind::Magic => "magic",
            MismatchKind::BlockSize => "block_size",
            MismatchKind::Offset => "offset",
            MismatchKind::Checksum => "checksum",
            MismatchKind::Generation => "generation",
        }
    }
}

/// The outcome of checking one block.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Everything checked matched.
    Good,
    /// A block this run did not write and that carries no faultline header
    /// (or one of another block size): nothing to check.
    Unverified,
    /// A mismatch.
    Bad(MismatchKind),
}

/// Checks a block read at `offset`. `expected_generation` is the last
/// generation this run wrote there, or `None` when this run has not written
/// it (then a block carrying a faultline header of this block size, from an
/// earlier run, is checked for offset and checksum; anything else is
/// unverified).
#[inline]
pub fn check(block: &[u8], offset: u64, expected_generation: Option<u64>) -> Verdict {
    let magic = u64_at(block, 8);
    let written = expected_generation.is_some();
    if magic != MAGIC {
        return if written {
            Verdict::Bad(MismatchKind::Magic)
        } else {
            Verdict::Unverified
        };
    }
    if u32_at(block, 48) as usize != block.len() {
        return if written {
            Verdict::Bad(MismatchKind::BlockSize)
        } else {
            Verdict::Unverified
        };
    }
    if u64_at(block, 16) != offset {
        return Verdict::Bad(MismatchKind::Offset);
    }
    if xxh3_64(&block[8..]) != u64_at(block, 0) {
        return Verdict::Bad(MismatchKind::Checksum);
    }
    if let Some(g) = expected_generation
        && u64_at(block, 24) != g
    {
        return Verdict::Bad(MismatchKind::Generation);
    }
    Verdict::Good
}

/// Bytes that differ from the block that was (probably) written: rebuilt
/// from the expected offset and generation and the seed, job and thread
/// found in the header. Returns (first differing byte's index in the block,
/// number of differing bytes), over bytes 8..bs (the stored checksum is
/// not compared). Meaningful when the magic and block size were intact.
pub fn diff_against_rebuilt(
    block: &[u8],
    offset: u64,
    expected_generation: Option<u64>,
) -> Option<(usize, usize)> {
    let found = Header::parse(block);
    let generation = expected_generation.unwrap_or(found.generation);
    let want = build(
        block.len(),
        offset,
        generation,
        found.seed,
        found.job,
        found.thread,
    );
    let mut first = None;
    let mut count = 0;
    for (i, (a, b)) in block.iter().zip(&want).enumerate().skip(8) {
        if a != b {
            first.get_or_insert(i);
            count += 1;
        }
    }
    first.map(|f| (f, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_block_checks() {
        let b = build(4096, 8192, 3, 42, 1, 0);
        assert_eq!(check(&b, 8192, Some(3)), Verdict::Good);
        assert_eq!(check(&b, 8192, None), Verdict::Good);
        assert_eq!(check(&b, 4096, Some(3)), Verdict::Bad(MismatchKind::Offset));
        assert_eq!(
            check(&b, 8192, Some(4)),
            Verdict::Bad(MismatchKind::Generation)
        );
        let h = Header::parse(&b);
        assert_eq!(
            (h.magic, h.offset, h.generation, h.seed),
            (MAGIC, 8192, 3, 42)
        );
        assert_eq!((h.job, h.thread, h.bs), (1, 0, 4096));
    }

    #[test]
    fn flipped_byte_is_found() {
        let mut b = build(4096, 0, 1, 7, 0, 2);
        b[1000] ^= 0x40;
        assert_eq!(check(&b, 0, Some(1)), Verdict::Bad(MismatchKind::Checksum));
        assert_eq!(diff_against_rebuilt(&b, 0, Some(1)), Some((1000, 1)));
    }

    #[test]
    fn zeros_are_unverified_unless_written() {
        let b = vec![0u8; 512];
        assert_eq!(check(&b, 0, None), Verdict::Unverified);
        assert_eq!(check(&b, 0, Some(1)), Verdict::Bad(MismatchKind::Magic));
    }
}
