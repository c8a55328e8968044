//! A writer (and, for tests, a reader) of the "newc" cpio format, the one the
//! kernel unpacks as an initramfs (`Documentation/driver-api/early-userspace/
//! buffer-format.rst`).
//!
//! An archive is a sequence of entries, then an entry named `TRAILER!!!`.
//! Each entry is a 110-byte ASCII header, the name, the data:
//!
//! | bytes | field |
//! |---|---|
//! | 6 | magic `070701` |
//! | 8 × 13 | hex numbers: ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize (with the NUL), check (0) |
//! | namesize | the path without leading `/`, then a NUL; padded with NULs so header + name is a multiple of 4 |
//! | filesize | the contents (for a symlink: the target); padded to a multiple of 4 |
//!
//! Parents must come before their children: [`CpioWriter`] adds the missing
//! parent directories itself. Every entry gets its own inode number and
//! `nlink` 1 (no hard links), uid/gid 0 and mtime 0, so the same input gives
//! the same archive.

use std::collections::BTreeSet;
use std::io::{self, Write};

pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFCHR: u32 = 0o020000;

pub struct CpioWriter<W: Write> {
    out: W,
    written: u64,
    ino: u32,
    dirs: BTreeSet<String>,
}

/// One entry as read back by [`read_newc`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub mode: u32,
    pub rdev: (u32, u32),
    pub data: Vec<u8>,
}

fn clean(path: &str) -> String {
    path.trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

impl<W: Write> CpioWriter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            written: 0,
            ino: 0,
            dirs: BTreeSet::new(),
        }
    }

    fn entry(&mut self, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]) -> io::Result<()> {
        self.ino += 1;
        let namesize = name.len() + 1;
        let fields = [
            self.ino,
            mode,
            0,
            0,
            if mode & 0o170000 == S_IFDIR { 2 } else { 1 },
            0,
            u32::try_from(data.len()).map_err(|_| io::Error::other("file over 4 GiB"))?,
            0,
            0,
            rdev.0,
            rdev.1,
            namesize as u32,
            0,
        ];
        let mut header = String::with_capacity(110);
        header.push_str("070701");
        for f in fields {
            header.push_str(&format!("{f:08x}"));
        }
        self.write(header.as_bytes())?;
        self.write(name.as_bytes())?;
        self.write(&[0])?;
        self.pad()?;
        self.write(data)?;
        self.pad()
    }

    fn write(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.written += b.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - self.written % 4) % 4;
        self.write(&[0u8; 3][..n as usize])
    }

    fn parents(&mut self, path: &str) -> io::Result<()> {
        let mut prefix = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if self.dirs.insert(prefix.clone()) {
                let p = prefix.clone();
                self.entry(&p, S_IFDIR | 0o755, (0, 0), &[])?;
            }
        }
        Ok(())
    }

    /// A directory (and its parents).
    pub fn dir(&mut self, path: &str, perm: u32) -> io::Result<()> {
        let p = clean(path);
        self.parents(&p)?;
        if self.dirs.insert(p.clone()) {
            self.entry(&p, S_IFDIR | (perm & 0o7777), (0, 0), &[])?;
        }
        Ok(())
    }

    /// A regular file with permissions `perm` (e.g. 0o755).
    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) -> io::Result<()> {
        let p = clean(path);
        self.parents(&p)?;
        self.entry(&p, S_IFREG | (perm & 0o7777), (0, 0), data)
    }

    /// A symbolic link at `path` pointing to `target`.
    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        let p = clean(path);
        self.parents(&p)?;
        self.entry(&p, S_IFLNK | 0o777, (0, 0), target.as_bytes())
    }

    /// A character device node (e.g. `dev/console`, 5:1).
    pub fn char_dev(&mut self, path: &str, perm: u32, major: u32, minor: u32) -> io::Result<()> {
        let p = clean(path);
        self.parents(&p)?;
        self.entry(&p, S_IFCHR | (perm & 0o7777), (major, minor), &[])
    }

    /// Writes the trailer and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.entry("TRAILER!!!", 0, (0, 0), &[])?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Reads a newc archive back (up to the trailer).
pub fn read_newc(mut b: &[u8]) -> io::Result<Vec<Entry>> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    let total = b.len();
    let mut out = Vec::new();
    loop {
        if b.len() < 110 || &b[..6] != b"070701" {
            return Err(bad("bad newc header"));
        }
        let field = |i: usize| -> io::Result<u32> {
            let s = std::str::from_utf8(&b[6 + 8 * i..14 + 8 * i]).map_err(|_| bad("bad hex"))?;
            u32::from_str_radix(s, 16).map_err(|_| bad("bad hex"))
        };
        let mode = field(1)?;
        let filesize = field(6)? as usize;
        let rdev = (field(9)?, field(10)?);
        let namesize = field(11)? as usize;
        let name_end = 110 + namesize;
        if b.len() < name_end || namesize == 0 || b[name_end - 1] != 0 {
            return Err(bad("bad name"));
        }
        let name = String::from_utf8_lossy(&b[110..name_end - 1]).into_owned();
        let pos = total - b.len();
        let data_start = name_end + (4 - (pos + name_end) % 4) % 4;
        let data_end = data_start + filesize;
        if b.len() < data_end {
            return Err(bad("truncated data"));
        }
        let data = b[data_start..data_end].to_vec();
        let next = data_end + (4 - (pos + data_end) % 4) % 4;
        if name == "TRAILER!!!" {
            return Ok(out);
        }
        out.push(Entry {
            name,
            mode,
            rdev,
            data,
        });
        b = &b[next.min(b.len())..];
    }
}
