//! Opening inputs: files and standard input, decompressed by what their
//! first bytes say.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

/// Something wrong with one input path.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: no such file or folder", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: cannot open: {error}", path.display())]
    Open { path: PathBuf, error: io::Error },
    #[error("{}: cannot list folder: {error}", path.display())]
    List { path: PathBuf, error: io::Error },
    #[error("{}: read failed: {error}", path.display())]
    Read { path: PathBuf, error: io::Error },
}

impl ReadError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ReadError::NotFound { path }
            | ReadError::Open { path, .. }
            | ReadError::List { path, .. }
            | ReadError::Read { path, .. } => path,
        }
    }

    /// For a caller whose read of an opened [`Source`] failed part way
    /// (a truncated archive, a disk error): names the file with the error.
    pub fn read(path: impl Into<PathBuf>, error: io::Error) -> Self {
        ReadError::Read {
            path: path.into(),
            error,
        }
    }
}

/// How an input was compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// Recognises the magic bytes at the start of a stream.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// An opened input. Reading it gives the decompressed bytes, streamed.
pub struct Source {
    /// The path as given, or `-` for standard input.
    pub name: String,
    pub compression: Compression,
    /// Modification time of the file, when it is one.
    pub mtime: Option<Timestamp>,
    reader: Box<dyn Read + Send>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("name", &self.name)
            .field("compression", &self.compression)
            .field("mtime", &self.mtime)
            .finish_non_exhaustive()
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

/// Opens a file, sniffing gzip and zstd by their magic bytes.
pub fn open(path: &Path) -> Result<Source, ReadError> {
    let open_err = |error: io::Error| {
        if error.kind() == io::ErrorKind::NotFound {
            ReadError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            ReadError::Open {
                path: path.to_path_buf(),
                error,
            }
        }
    };
    let file = File::open(path).map_err(open_err)?;
    let meta = file.metadata().map_err(open_err)?;
    if meta.is_dir() {
        return Err(ReadError::Open {
            path: path.to_path_buf(),
            error: io::Error::other("is a folder"),
        });
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| Timestamp::try_from(t).ok());
    let (compression, reader) = wrap(Box::new(file)).map_err(open_err)?;
    Ok(Source {
        name: path.display().to_string(),
        compression,
        mtime,
        reader,
    })
}

/// Any reader as a source (bytes held in memory, a pipe, a socket),
/// sniffed like a file.
pub fn from_reader(name: impl Into<String>, reader: impl Read + Send + 'static) -> Source {
    let (compression, reader) = match wrap(Box::new(reader)) {
        Ok(x) => x,
        Err(e) => (Compression::None, Box::new(Failed(Some(e))) as _),
    };
    Source {
        name: name.into(),
        compression,
        mtime: None,
        reader,
    }
}

/// Standard input as a source named `-`, sniffed like a file. A failure
/// while sniffing is returned by the first read.
pub fn stdin() -> Source {
    from_reader("-", io::stdin())
}

/// Reads the first bytes, decides the compression and builds the reader
/// that gives the bytes back, decompressed.
fn wrap(mut inner: Box<dyn Read + Send>) -> io::Result<(Compression, Box<dyn Read + Send>)> {
    let mut head = [0u8; 4];
    let mut len = 0;
    while len < head.len() {
        match inner.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let compression = Compression::sniff(&head[..len]);
    let raw = io::Cursor::new(head).take(len as u64).chain(inner);
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(Labelled {
            inner: flate2::read::MultiGzDecoder::new(raw),
            what: "gzip",
        }),
        Compression::Zstd => Box::new(Labelled {
            inner: zstd::stream::read::Decoder::new(raw)?,
            what: "zstd",
        }),
    };
    Ok((compression, reader))
}

/// Says which decompressor failed, so that the caller's message about a
/// truncated file is clear; the error kind is kept.
struct Labelled<R> {
    inner: R,
    what: &'static str,
}

impl<R: Read> Read for Labelled<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                e
            } else {
                io::Error::new(
                    e.kind(),
                    format!("damaged or truncated {} data: {e}", self.what),
                )
            }
        })
    }
}

/// A reader that reports an error that happened before reading began.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn read_all(mut r: impl Read) -> Vec<u8> {
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        v
    }

    #[test]
    fn sniffing() {
        assert_eq!(Compression::sniff(b"\x1f\x8b\x08\x00"), Compression::Gzip);
        assert_eq!(Compression::sniff(b"\x28\xb5\x2f\xfd"), Compression::Zstd);
        assert_eq!(Compression::sniff(b"\x28\xb5\x2f"), Compression::None);
        assert_eq!(Compression::sniff(b"\x1f"), Compression::None);
        assert_eq!(Compression::sniff(b""), Compression::None);
        assert_eq!(Compression::Zstd.as_str(), "zstd");
    }

    /// The path standard input takes, with a reader that is not a file.
    #[test]
    fn wrap_any_reader() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"from a pipe\n").unwrap();
        let gz = e.finish().unwrap();
        let (c, r) = wrap(Box::new(Cursor::new(gz))).unwrap();
        assert_eq!(c, Compression::Gzip);
        assert_eq!(read_all(r), b"from a pipe\n");
        let (c, r) = wrap(Box::new(Cursor::new(b"ab".to_vec()))).unwrap();
        assert_eq!(c, Compression::None);
        assert_eq!(read_all(r), b"ab");
    }

    /// A reader that hands out one byte at a time still gets sniffed.
    #[test]
    fn wrap_short_reads() {
        struct Trickle(Vec<u8>, usize);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.1 >= self.0.len() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let z = zstd::encode_all(&b"one byte at a time\n"[..], 1).unwrap();
        let (c, r) = wrap(Box::new(Trickle(z, 0))).unwrap();
        assert_eq!(c, Compression::Zstd);
        assert_eq!(read_all(r), b"one byte at a time\n");
    }

    #[test]
    fn failed_sniff_is_reported_by_read() {
        let mut f = Failed(Some(io::Error::other("boom")));
        let mut buf = [0u8; 4];
        assert_eq!(f.read(&mut buf).unwrap_err().to_string(), "boom");
        assert_eq!(f.read(&mut buf).unwrap(), 0);
    }
}
