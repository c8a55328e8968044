//! Snapshots of ESX hosts from saved command outputs.

use std::path::{Path, PathBuf};

use faultline_collect::{SnapshotError, collect_esx, parse_esx_output};

/// `esxcli system hostname get`, `vmware -v` and `esxcli system settings
/// advanced list` as an administrator would paste them into one file.
const ESXCLI: &str = "\
[root@esx03:~] esxcli system hostname get
   Domain Name: example.com
   Fully Qualified Domain Name: esx03.example.com
   Host Name: esx03
[root@esx03:~] vmware -v
VMware ESXi 6.7.0 build-8169922
[root@esx03:~] esxcli system settings advanced list | grep -A 10 -E 'NFS/Heartbeat|NFS/MaxVolumes|Net/TcpipHeap'
   Path: /NFS/HeartbeatFrequency
   Type: integer
   Int Value: 12
   Default Int Value: 12
   Min Value: 5
   Max Value: 86400
   String Value:
   Default String Value:
   Valid Characters:
   Description: Time in seconds between heartbeats

   Path: /NFS/HeartbeatTimeout
   Type: integer
   Int Value: 5
   Default Int Value: 5
   Min Value: 3
   Max Value: 30
   String Value:
   Default String Value:
   Valid Characters:
   Description: Time in seconds before an outstanding heartbeat is stopped

   Path: /NFS/HeartbeatMaxFailures
   Type: integer
   Int Value: 10
   Default Int Value: 10
   Min Value: 3
   Max Value: 10
   String Value:
   Default String Value:
   Valid Characters:
   Description: Number of sequential failures before a volume is marked down

   Path: /NFS/MaxVolumes
   Type: integer
   Int Value: 256
   Default Int Value: 8
   Min Value: 8
   Max Value: 256
   String Value:
   Default String Value:
   Valid Characters:
   Description: Maximum number of mounted NFS v3 volumes

   Path: /Net/TcpipHeapSize
   Type: integer
   Int Value: 32
   Default Int Value: 0
   Min Value: 0
   Max Value: 32
   String Value:
   Default String Value:
   Valid Characters:
   Description: Size of the heap in megabytes for the TCP/IP stack

   Path: /Net/TcpipHeapMax
   Type: integer
   Int Value: 1536
   Default Int Value: 512
   Min Value: 32
   Max Value: 1536
   String Value:
   Default String Value:
   Valid Characters:
   Description: Max megabytes the TCP/IP stack heap may grow to

   Path: /Syslog/global/logHost
   Type: string
   Int Value: 0
   Default Int Value: 0
   Min Value: 0
   Max Value: 0
   String Value: udp://10.1.1.20:514
   Default String Value:
   Valid Characters: *
   Description: The remote host to output logs to
";

const ADVCFG: &str = "\
~ # esxcfg-advcfg -g /NFS/HeartbeatFrequency\r
Value of HeartbeatFrequency is 12\r
~ # esxcfg-advcfg -g /NFS/HeartbeatMaxFailures\r
Value of HeartbeatMaxFailures is 10\r
~ # esxcfg-advcfg -g /Net/TcpipHeapSize\r
Value of TcpipHeapSize is 30\r
Value of TcpipHeapMax is 120\r
~ # vmware -v\r
VMware ESX Server 3.5.0 build-64607\r
";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn esxcli_advanced_list_with_hostname_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "host3-settings.txt", ESXCLI.as_bytes());
    let s = collect_esx(&[file], None).unwrap();
    assert_eq!(s.machine, "esx03");
    assert_eq!(s.source, "esx");
    assert_eq!(s.role, "host");
    assert_eq!(s.hypervisor.as_deref(), Some("vmware"));
    let esx = s.esx.as_ref().unwrap();
    assert_eq!(esx.version.as_deref(), Some("6.7.0"));
    assert_eq!(esx.build.as_deref(), Some("8169922"));
    let adv: Vec<(&str, &str)> = esx
        .advanced
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        adv,
        vec![
            ("NFS.HeartbeatFrequency", "12"),
            ("NFS.HeartbeatMaxFailures", "10"),
            ("NFS.HeartbeatTimeout", "5"),
            ("NFS.MaxVolumes", "256"),
            ("Net.TcpipHeapMax", "1536"),
            ("Net.TcpipHeapSize", "32"),
            ("Syslog.global.logHost", "udp://10.1.1.20:514"),
        ]
    );
    let f = s.facts();
    assert_eq!(f["esx.NFS.HeartbeatFrequency"], "12");
    assert_eq!(f["esx.Net.TcpipHeapMax"], "1536");
    assert_eq!(f["esx.version"], "6.7.0");
    assert_eq!(f["esx.build"], "8169922");
    assert_eq!(f["machine"], "esx03");
    assert_eq!(f["hypervisor"], "vmware");
    assert!(!f.contains_key("memory.total_kb"));
    assert!(!f.contains_key("swap.enabled"));
}

#[test]
fn esxcfg_advcfg_needs_its_command_line() {
    let out = parse_esx_output(ADVCFG.as_bytes());
    let adv: Vec<(&str, &str)> = out
        .advanced
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // TcpipHeapMax's value has no command line before it: its path is
    // unknown, so it is not taken.
    assert_eq!(
        adv,
        vec![
            ("NFS.HeartbeatFrequency", "12"),
            ("NFS.HeartbeatMaxFailures", "10"),
            ("Net.TcpipHeapSize", "30"),
        ]
    );
    assert_eq!(out.version.as_deref(), Some("3.5.0"));
    assert_eq!(out.build.as_deref(), Some("64607"));
    assert_eq!(out.hostname, None);
}

#[test]
fn key_equals_value_files_and_merging() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "esx01.txt", ADVCFG.as_bytes());
    let b = write(
        dir.path(),
        "esx01-more.txt",
        b"# settings as noted by the admin\nNFS.HeartbeatFrequency = 20\n/NFS/MaxVolumes = 64\nsome prose that is ignored\n",
    );
    let s = collect_esx(&[a, b.clone()], None).unwrap();
    // No host name in the outputs: the first file's name.
    assert_eq!(s.machine, "esx01");
    let esx = s.esx.unwrap();
    assert_eq!(
        esx.advanced["NFS.HeartbeatFrequency"], "20",
        "later file wins"
    );
    assert_eq!(esx.advanced["NFS.MaxVolumes"], "64");
    assert_eq!(esx.advanced["Net.TcpipHeapSize"], "30");
    assert_eq!(esx.version.as_deref(), Some("3.5.0"));

    let s = collect_esx(&[b], Some("given".into())).unwrap();
    assert_eq!(s.machine, "given");
}

#[test]
fn esxcli_version_get_and_a_bare_hostname_file() {
    let dir = tempfile::tempdir().unwrap();
    let v = write(
        dir.path(),
        "version.txt",
        b"   Product: VMware ESXi\n   Version: 7.0.3\n   Build: Releasebuild-19193900\n   Update: 3\n   Patch: 25\n",
    );
    let h = write(dir.path(), "hostname.txt", b"esx07.lab.example.com\n");
    let s = collect_esx(&[v, h], None).unwrap();
    // The short name, as inventories and vmkernel logs use it.
    assert_eq!(s.machine, "esx07");
    let esx = s.esx.unwrap();
    assert_eq!(esx.version.as_deref(), Some("7.0.3"));
    assert_eq!(esx.build.as_deref(), Some("19193900"));
    // "Version:" outside a VMware version block is not the ESX version.
    let other = parse_esx_output(b"Version: 9.9\n");
    assert_eq!(other.version, None);
    assert_eq!(other.recognised, 0);
}

#[test]
fn invalid_utf8_is_read_lossily() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xff\xfe garbage \x00\x80\n".to_vec();
    bytes.extend_from_slice(
        b"   Path: /NFS/HeartbeatFrequency\n   Type: integer\n   Int Value: 12\n\xc3\x28\n",
    );
    let f = write(dir.path(), "binary.log", &bytes);
    let s = collect_esx(&[f], None).unwrap();
    assert_eq!(s.esx.unwrap().advanced["NFS.HeartbeatFrequency"], "12");
}

#[test]
fn a_file_with_nothing_recognised_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.txt", b"NFS.HeartbeatFrequency = 12\n");
    let bad = write(
        dir.path(),
        "notes.txt",
        b"Called VMware support on Monday.\nThey said: check the heartbeat settings.\n",
    );
    let err = collect_esx(&[good, bad.clone()], None).unwrap_err();
    assert!(
        matches!(&err, SnapshotError::NothingRecognised { path } if *path == bad),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "{}: no ESX command output recognised",
            bad.display()
        )),
        "{msg}"
    );

    let missing = dir.path().join("missing.txt");
    let err = collect_esx(std::slice::from_ref(&missing), None).unwrap_err();
    assert!(err.to_string().contains(&missing.display().to_string()));
    assert!(matches!(
        collect_esx(&[], None),
        Err(SnapshotError::NoFiles)
    ));
}
