//! Reading an ESX host's saved command outputs into a snapshot.
//!
//! ESX cannot run faultline, so the administrator saves the outputs of a few
//! commands on the host and faultline reads them. A file may hold several
//! outputs one after another; each line is recognised on its own (with a
//! little memory of the lines before it), and lines that match nothing are
//! ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::snapshot::{Esx, SCHEMA, Snapshot, SnapshotError};

/// What one file (or text) of saved ESX outputs says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EsxOutput {
    /// `6.7.0`, from `vmware -v` or `esxcli system version get`.
    pub version: Option<String>,
    /// The build number alone (`8169922`).
    pub build: Option<String>,
    /// From `esxcli system hostname get` (Host Name, else the first label
    /// of the Fully Qualified Domain Name) or `hostname`.
    pub hostname: Option<String>,
    /// Advanced settings by dotted path (`NFS.HeartbeatFrequency`).
    pub advanced: BTreeMap<String, String>,
    /// How many things were recognised; 0 means this was no ESX output.
    pub recognised: usize,
}

/// One block of `esxcli system settings advanced list`.
#[derive(Default)]
struct Block {
    key: String,
    kind: Option<String>,
    int: Option<String>,
    string: Option<String>,
}

/// Reads saved ESX command outputs (invalid UTF-8 is replaced):
///
/// * `esxcli system settings advanced list` (also `-d`, `-o PATH`): blocks
///   of `Path: /NFS/HeartbeatFrequency`, `Type: integer`, `Int Value: 12`,
///   `String Value: ...`; the value is the one the Type calls for.
/// * `esxcfg-advcfg -g /NFS/HeartbeatFrequency` followed by its output
///   `Value of HeartbeatFrequency is 12` (the command line must be in the
///   file, with or without a shell prompt, since the output lacks the path).
/// * `NFS.HeartbeatFrequency = 12` and `/NFS/HeartbeatFrequency = 12`.
/// * `vmware -v`: `VMware ESXi 6.7.0 build-8169922`, `VMware ESX Server
///   3.5.0 build-64607`.
/// * `esxcli system version get`: `Product: VMware ESXi`, `Version: 7.0.3`,
///   `Build: Releasebuild-19193900`.
/// * `esxcli system hostname get` (`Host Name: esx03`, `Fully Qualified
///   Domain Name: esx03.example.com`), and `hostname` after its command
///   line or as a file's only word.
pub fn parse_esx_output(bytes: &[u8]) -> EsxOutput {
    let text = String::from_utf8_lossy(bytes);
    let mut out = EsxOutput::default();
    let mut block: Option<Block> = None;
    let mut advcfg_path: Option<String> = None;
    let mut after_hostname_command = false;
    let mut in_version = false;
    let mut fqdn: Option<String> = None;

    for raw in text.split('\n') {
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() {
            finish_block(block.take(), &mut out);
            in_version = false;
            continue;
        }

        // The line after `esxcfg-advcfg -g PATH` or `hostname`.
        if let Some(path) = advcfg_path.take()
            && let Some((name, value)) = line
                .strip_prefix("Value of ")
                .and_then(|r| r.split_once(" is "))
        {
            let key = dotted(&path);
            let last = key.rsplit('.').next().unwrap_or("");
            if !key.is_empty() && last.eq_ignore_ascii_case(name.trim()) {
                out.advanced.insert(key, value.trim().to_string());
                out.recognised += 1;
                continue;
            }
        }
        if std::mem::take(&mut after_hostname_command) && is_hostname(line) {
            out.hostname.get_or_insert_with(|| line.to_string());
            out.recognised += 1;
            continue;
        }

        if let Some(path) = esxcfg_advcfg_get(line) {
            advcfg_path = Some(path);
            continue;
        }
        if is_hostname_command(line) {
            after_hostname_command = true;
            continue;
        }

        if let Some((key, value)) = line.split_once(':') {
            let value = value.trim();
            match key.trim() {
                "Path" if value.starts_with('/') => {
                    finish_block(block.take(), &mut out);
                    block = Some(Block {
                        key: dotted(value),
                        ..Block::default()
                    });
                    continue;
                }
                "Type" if block.is_some() => {
                    if let Some(b) = block.as_mut() {
                        b.kind = Some(value.to_ascii_lowercase());
                    }
                    continue;
                }
                "Int Value" if block.is_some() => {
                    if let Some(b) = block.as_mut() {
                        b.int = Some(value.to_string());
                    }
                    continue;
                }
                "String Value" if block.is_some() => {
                    if let Some(b) = block.as_mut() {
                        b.string = Some(value.to_string());
                    }
                    continue;
                }
                "Product" if value.starts_with("VMware") => {
                    in_version = true;
                    continue;
                }
                "Version" if in_version && !value.is_empty() => {
                    out.version = Some(value.to_string());
                    out.recognised += 1;
                    continue;
                }
                "Build" if in_version => {
                    if let Some(b) = build_number(value) {
                        out.build = Some(b);
                    }
                    continue;
                }
                "Host Name" if is_hostname(value) => {
                    out.hostname = Some(value.to_string());
                    out.recognised += 1;
                    continue;
                }
                "Fully Qualified Domain Name" if is_hostname(value) => {
                    fqdn.get_or_insert_with(|| value.to_string());
                    out.recognised += 1;
                    continue;
                }
                _ => {}
            }
        }

        if let Some((version, build)) = vmware_v(line) {
            out.version = Some(version);
            if build.is_some() {
                out.build = build;
            }
            out.recognised += 1;
            continue;
        }
        if let Some((key, value)) = setting_line(line) {
            out.advanced.insert(key, value);
            out.recognised += 1;
        }
    }
    finish_block(block, &mut out);

    if out.hostname.is_none() {
        out.hostname = fqdn.and_then(|f| f.split('.').next().map(str::to_string));
    }
    // A file that is nothing but `hostname`'s output.
    if out.recognised == 0 {
        let words: Vec<&str> = text.split_whitespace().collect();
        if let [only] = words.as_slice()
            && is_hostname(only)
        {
            out.hostname = Some(only.to_string());
            out.recognised += 1;
        }
    }
    // `hostname` prints the FQDN on ESX; inventories and vmkernel logs use
    // the short name (an address stays whole).
    if let Some(h) = &mut out.hostname
        && !h.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && let Some((short, _)) = h.split_once('.')
    {
        *h = short.to_string();
    }
    out
}

fn finish_block(block: Option<Block>, out: &mut EsxOutput) {
    let Some(b) = block else {
        return;
    };
    if b.key.is_empty() {
        return;
    }
    let value = match b.kind.as_deref() {
        Some("string") => b.string.or(b.int),
        _ => b.int.or(b.string),
    };
    if let Some(v) = value {
        out.advanced.insert(b.key, v);
        out.recognised += 1;
    }
}

/// `/NFS/HeartbeatFrequency` → `NFS.HeartbeatFrequency`.
fn dotted(path: &str) -> String {
    path.trim()
        .trim_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

/// The PATH of a line that runs `esxcfg-advcfg -g PATH` (after any prompt).
fn esxcfg_advcfg_get(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| *w == "esxcfg-advcfg" || w.ends_with("/esxcfg-advcfg"))?;
    let rest = &words[at + 1..];
    let g = rest.iter().position(|w| *w == "-g" || *w == "--get")?;
    let path = rest.get(g + 1)?;
    path.starts_with('/').then(|| path.to_string())
}

/// `hostname` alone, or after a shell prompt (`~ # hostname`,
/// `[root@esx03:~] hostname`).
fn is_hostname_command(line: &str) -> bool {
    let Some(before) = line.strip_suffix("hostname") else {
        return false;
    };
    let before = before.trim_end();
    before.is_empty() || before.ends_with(['#', '$', ']', '>'])
}

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        && s.chars().any(|c| c.is_ascii_alphabetic())
}

/// `Releasebuild-19193900`, `build-8169922` → the digits.
fn build_number(s: &str) -> Option<String> {
    let digits = s.rsplit('-').next()?.trim();
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then(|| digits.to_string())
}

/// `VMware ESXi 6.7.0 build-8169922` → (`6.7.0`, `8169922`).
fn vmware_v(line: &str) -> Option<(String, Option<String>)> {
    let at = line.find("VMware ESX")?;
    let mut words = line[at..].split_whitespace().skip(2);
    // "ESX Server 3.5.0": skip words until the version.
    let version = words
        .by_ref()
        .take(3)
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.'))?;
    let build = words
        .find(|w| w.to_ascii_lowercase().starts_with("build-"))
        .and_then(build_number);
    Some((version.trim_end_matches(',').to_string(), build))
}

/// `NFS.HeartbeatFrequency = 12` or `/NFS/HeartbeatFrequency = 12`.
fn setting_line(line: &str) -> Option<(String, String)> {
    let (left, right) = line.split_once('=')?;
    let left = left.trim();
    if left.is_empty() || left.contains(char::is_whitespace) {
        return None;
    }
    let parts: Vec<&str> = if let Some(path) = left.strip_prefix('/') {
        path.split('/').collect()
    } else if left.starts_with(|c: char| c.is_ascii_uppercase()) {
        left.split('.').collect()
    } else {
        return None;
    };
    let ok = parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
    if !ok {
        return None;
    }
    let value = right.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Some((parts.join("."), value.to_string()))
}

/// A snapshot of an ESX host from files of saved command outputs (see
/// [`parse_esx_output`]). Source `esx`, role `host`, hypervisor `vmware`.
/// The machine is `machine` if given, else the host name found in the
/// outputs, else the first file's name without extension. Advanced settings
/// found in several files: the later file wins. `collected_at` is the
/// newest modification time of the files.
pub fn collect_esx(files: &[PathBuf], machine: Option<String>) -> Result<Snapshot, SnapshotError> {
    let first = files.first().ok_or(SnapshotError::NoFiles)?;
    let mut esx = Esx::default();
    let mut hostname = None;
    let mut newest = None;
    for path in files {
        let read_err = |source| SnapshotError::Read {
            path: path.clone(),
            source,
        };
        let bytes = std::fs::read(path).map_err(read_err)?;
        if let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) {
            newest = newest.max(Some(modified));
        }
        let parsed = parse_esx_output(&bytes);
        if parsed.recognised == 0 {
            return Err(SnapshotError::NothingRecognised { path: path.clone() });
        }
        if parsed.version.is_some() {
            esx.version = parsed.version;
        }
        if parsed.build.is_some() {
            esx.build = parsed.build;
        }
        if hostname.is_none() {
            hostname = parsed.hostname;
        }
        esx.advanced.extend(parsed.advanced);
    }
    let when = newest
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    Ok(Snapshot {
        schema: SCHEMA,
        machine: machine.or(hostname).unwrap_or_else(|| file_stem(first)),
        collected_at: when.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        source: "esx".into(),
        role: "host".into(),
        hypervisor: Some("vmware".into()),
        esx: Some(esx),
        ..Snapshot::default()
    })
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmware_v_lines() {
        assert_eq!(
            vmware_v("VMware ESXi 6.7.0 build-8169922"),
            Some(("6.7.0".into(), Some("8169922".into())))
        );
        assert_eq!(
            vmware_v("VMware ESX Server 3.5.0 build-64607"),
            Some(("3.5.0".into(), Some("64607".into())))
        );
        assert_eq!(vmware_v("   Product: VMware ESXi"), None);
    }

    #[test]
    fn prompts_before_commands() {
        assert_eq!(
            esxcfg_advcfg_get("~ # esxcfg-advcfg -g /NFS/HeartbeatFrequency").as_deref(),
            Some("/NFS/HeartbeatFrequency")
        );
        assert_eq!(esxcfg_advcfg_get("esxcfg-advcfg -s 12 /NFS/X"), None);
        assert!(is_hostname_command("hostname"));
        assert!(is_hostname_command("[root@esx03:~] hostname"));
        assert!(is_hostname_command("~ # hostname"));
        assert!(!is_hostname_command("myhostname"));
        assert!(!is_hostname_command("Host Name: hostname"));
    }

    #[test]
    fn setting_lines() {
        assert_eq!(
            setting_line("/Net/TcpipHeapSize = 32"),
            Some(("Net.TcpipHeapSize".into(), "32".into()))
        );
        assert_eq!(setting_line("vm.swappiness = 60"), None);
        assert_eq!(setting_line("Description: 0 = off"), None);
    }
}
