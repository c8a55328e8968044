//! VM disk image files: finding them and telling their format.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::runner::{CommandRunner, RunError};
use crate::snapshot::{DiskImage, Unreadable};

/// File name endings taken as VM disk images (compared without case).
pub const IMAGE_EXTENSIONS: &[&str] = &[
    "qcow2", "qcow", "img", "raw", "vmdk", "vdi", "vhd", "vhdx", "qed",
];

/// How deep below each image folder the search goes.
pub const MAX_DEPTH: usize = 8;

/// The disk images under `dirs` (recursively, not following symbolic links
/// to folders, at most [`MAX_DEPTH`] levels), in path order, with their
/// formats from `qemu-img info`, or from their first bytes when qemu-img is
/// missing or fails.
pub fn collect_images(
    dirs: &[PathBuf],
    runner: &dyn CommandRunner,
    unreadable: &mut Vec<Unreadable>,
) -> Vec<DiskImage> {
    let mut files = Vec::new();
    for dir in dirs {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => walk(&dir, 0, &mut files, unreadable),
            Ok(_) if is_image_name(&dir) => files.push(dir),
            Ok(_) => unreadable.push(Unreadable {
                what: dir.display().to_string(),
                why: "not a folder".into(),
            }),
            Err(e) => unreadable.push(Unreadable {
                what: dir.display().to_string(),
                why: io_why(&e),
            }),
        }
    }
    files.sort();
    files.dedup();
    let mut qemu_img_missing = false;
    let mut images = Vec::new();
    for path in files {
        let shown = path.display().to_string();
        let from_qemu = if qemu_img_missing {
            None
        } else {
            match qemu_img_info(runner, &shown) {
                Ok(json) => match parse_qemu_img_info(&json, &shown) {
                    Some(image) => Some(image),
                    None => {
                        unreadable.push(Unreadable {
                            what: format!("qemu-img info {shown}"),
                            why: "output is not the expected JSON; format read from the file's first bytes".into(),
                        });
                        None
                    }
                },
                Err(RunError::NotFound) => {
                    qemu_img_missing = true;
                    unreadable.push(Unreadable {
                        what: "qemu-img".into(),
                        why: "command not found; image formats read from the files' first bytes, sizes of raw and qcow images only".into(),
                    });
                    None
                }
                Err(e) => {
                    unreadable.push(Unreadable {
                        what: format!("qemu-img info {shown}"),
                        why: format!("{e}; format read from the file's first bytes"),
                    });
                    None
                }
            }
        };
        let image = match from_qemu {
            Some(i) => i,
            None => match sniff(&path) {
                Ok(mut i) => {
                    i.path = shown;
                    i
                }
                Err(e) => {
                    unreadable.push(Unreadable {
                        what: shown.clone(),
                        why: io_why(&e),
                    });
                    DiskImage {
                        path: shown,
                        format: "unknown".into(),
                        ..DiskImage::default()
                    }
                }
            },
        };
        images.push(image);
    }
    images
}

/// `qemu-img info --output=json -U PATH`; qemu-img before 2.10 has no `-U`
/// (and takes no locks), so a failure is retried without it. The first
/// error is the one reported.
fn qemu_img_info(runner: &dyn CommandRunner, path: &str) -> Result<String, RunError> {
    match runner.run("qemu-img", &["info", "--output=json", "-U", path]) {
        Err(first @ RunError::Failed { .. }) => runner
            .run("qemu-img", &["info", "--output=json", path])
            .map_err(|_| first),
        other => other,
    }
}

pub(crate) fn io_why(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "not found".into(),
        _ => {
            // "Is a directory (os error 21)" -> "is a directory".
            let text = e.to_string();
            let text = match text.find(" (os error ") {
                Some(i) => &text[..i],
                None => &text,
            };
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

fn is_image_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, unreadable: &mut Vec<Unreadable>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            unreadable.push(Unreadable {
                what: dir.display().to_string(),
                why: io_why(&e),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth < MAX_DEPTH {
                walk(&path, depth + 1, out, unreadable);
            }
        } else if is_image_name(&path) {
            // A symbolic link to an image is taken; one to a folder is not
            // followed (is_dir above is false for links).
            if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                out.push(path);
            }
        }
    }
}

fn parse_qemu_img_info(json: &str, path: &str) -> Option<DiskImage> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    // With a backing chain and --backing-chain the output is an array; the
    // first element is the image itself.
    let v = match &v {
        serde_json::Value::Array(a) => a.first()?.clone(),
        _ => v,
    };
    let format = v.get("format")?.as_str()?;
    Some(DiskImage {
        path: path.to_string(),
        format: normalise_format(format),
        virtual_size: v.get("virtual-size").and_then(|s| s.as_u64()),
        actual_size: v.get("actual-size").and_then(|s| s.as_u64()),
        backing_file: v
            .get("backing-filename")
            .or_else(|| v.get("full-backing-filename"))
            .and_then(|s| s.as_str())
            .map(str::to_string),
    })
}

/// qemu-img calls VHD `vpc`; faultline says `vhd` either way.
fn normalise_format(f: &str) -> String {
    match f {
        "vpc" => "vhd".into(),
        other => other.to_string(),
    }
}

/// The format of an image file from its first bytes (and, for a fixed VHD,
/// its last 512): `QFI\xfb` is qcow (version 1) or qcow2, `QED\0` qed,
/// `KDMV` or a `# Disk DescriptorFile` vmdk, `<<< ` vdi, `conectix` vhd,
/// `vhdxfile` vhdx; anything else raw. Virtual size for raw (the file's
/// length) and qcow/qcow2 (the header), backing file for qcow/qcow2.
pub fn sniff(path: &Path) -> std::io::Result<DiskImage> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let len = meta.len();
    let mut head = [0u8; 512];
    let n = read_up_to(&mut file, &mut head)?;
    let head = &head[..n];
    let be32 = |at: usize| -> Option<u32> {
        head.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let be64 = |at: usize| -> Option<u64> {
        head.get(at..at + 8).map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_be_bytes(a)
        })
    };
    let mut image = DiskImage {
        path: path.display().to_string(),
        actual_size: actual_size(&meta),
        ..DiskImage::default()
    };
    image.format = if head.starts_with(b"QFI\xfb") {
        image.virtual_size = be64(24);
        image.backing_file = match (be64(8), be32(16)) {
            (Some(off), Some(size)) if off > 0 && size > 0 && size <= 4096 => {
                read_at(&mut file, off, size as usize)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            }
            _ => None,
        };
        if be32(4) == Some(1) { "qcow" } else { "qcow2" }
    } else if head.starts_with(b"QED\0") {
        "qed"
    } else if head.starts_with(b"KDMV") || head.starts_with(b"# Disk DescriptorFile") {
        "vmdk"
    } else if head.starts_with(b"<<< ") {
        "vdi"
    } else if head.starts_with(b"conectix") {
        "vhd"
    } else if head.starts_with(b"vhdxfile") {
        "vhdx"
    } else if len >= 512
        && read_at(&mut file, len - 512, 8).is_ok_and(|b| b.as_slice() == b"conectix")
    {
        "vhd"
    } else {
        image.virtual_size = Some(len);
        "raw"
    }
    .to_string();
    Ok(image)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn read_at(file: &mut File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; len];
    let n = read_up_to(file, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

#[cfg(unix)]
fn actual_size(meta: &std::fs::Metadata) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    Some(meta.blocks() * 512)
}

#[cfg(not(unix))]
fn actual_size(meta: &std::fs::Metadata) -> Option<u64> {
    Some(meta.len())
}
