//! VM disk images: formats from `qemu-img info`, and from the first bytes
//! when qemu-img is missing.

use std::path::{Path, PathBuf};

use faultline_collect::{
    DiskImage, RecordedRunner, SystemRunner, Unreadable, collect_images, sniff,
};

fn qemu_img_available() -> bool {
    std::process::Command::new("qemu-img")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn qemu_img(args: &[&str]) {
    let out = std::process::Command::new("qemu-img")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "qemu-img {args:?}: {out:?}");
}

fn by_name<'a>(images: &'a [DiskImage], name: &str) -> &'a DiskImage {
    images
        .iter()
        .find(|i| Path::new(&i.path).file_name().unwrap() == name)
        .unwrap_or_else(|| panic!("{name} not found in {images:?}"))
}

#[test]
fn real_qcow2_and_raw_images() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("nested/deeper")).unwrap();
    let raw = std::fs::File::create(d.join("nested/deeper/disk.raw")).unwrap();
    raw.set_len(1 << 20).unwrap();
    std::fs::write(d.join("notes.txt"), "not an image").unwrap();
    std::fs::write(d.join("web01.IMG"), vec![0u8; 4096]).unwrap();

    let have_qemu_img = qemu_img_available();
    if have_qemu_img {
        let base = d.join("base.qcow2");
        qemu_img(&["create", "-q", "-f", "qcow2", base.to_str().unwrap(), "64M"]);
        let overlay = d.join("overlay.qcow2");
        qemu_img(&[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "base.qcow2",
            "-F",
            "qcow2",
            overlay.to_str().unwrap(),
        ]);
    } else {
        println!("note: qemu-img is not installed; qcow2 assertions skipped");
    }

    let mut unreadable = Vec::new();
    let images = collect_images(
        &[d.to_path_buf()],
        &SystemRunner::default(),
        &mut unreadable,
    );
    let raw = by_name(&images, "disk.raw");
    assert_eq!(raw.format, "raw");
    assert_eq!(raw.virtual_size, Some(1 << 20));
    assert!(Path::new(&raw.path).is_absolute());
    assert_eq!(by_name(&images, "web01.IMG").format, "raw");
    assert!(!images.iter().any(|i| i.path.ends_with("notes.txt")));
    if have_qemu_img {
        assert_eq!(images.len(), 4);
        assert!(unreadable.is_empty(), "{unreadable:?}");
        let base = by_name(&images, "base.qcow2");
        assert_eq!(base.format, "qcow2");
        assert_eq!(base.virtual_size, Some(64 << 20));
        assert_eq!(base.backing_file, None);
        let overlay = by_name(&images, "overlay.qcow2");
        assert_eq!(overlay.format, "qcow2");
        assert_eq!(overlay.backing_file.as_deref(), Some("base.qcow2"));

        // Without qemu-img the first bytes give the same answers.
        let mut unreadable = Vec::new();
        let sniffed = collect_images(&[d.to_path_buf()], &RecordedRunner::new(), &mut unreadable);
        for (a, b) in images.iter().zip(&sniffed) {
            assert_eq!(a.path, b.path);
            assert_eq!(a.format, b.format);
            assert_eq!(a.virtual_size, b.virtual_size, "{}", a.path);
            assert_eq!(a.backing_file, b.backing_file);
        }
        assert_eq!(unreadable.len(), 1);
        assert_eq!(unreadable[0].what, "qemu-img");
        assert!(unreadable[0].why.starts_with("command not found"));
    } else {
        assert_eq!(images.len(), 2);
    }
}

fn header(magic: &[u8], len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    v[..magic.len()].copy_from_slice(magic);
    v
}

#[test]
fn magic_bytes_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // qcow2 v3, 1 GiB, backing file "base.img" at offset 512.
    let mut qcow2 = header(b"QFI\xfb\0\0\0\x03", 1024);
    qcow2[8..16].copy_from_slice(&512u64.to_be_bytes());
    qcow2[16..20].copy_from_slice(&8u32.to_be_bytes());
    qcow2[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
    qcow2[512..520].copy_from_slice(b"base.img");
    let mut vhd_fixed = vec![0u8; 4096];
    vhd_fixed[4096 - 512..4096 - 504].copy_from_slice(b"conectix");
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a.qcow2", qcow2, "qcow2"),
        ("b.qcow", header(b"QFI\xfb\0\0\0\x01", 512), "qcow"),
        ("c.vmdk", header(b"KDMV", 512), "vmdk"),
        (
            "c-desc.vmdk",
            b"# Disk DescriptorFile\nversion=1\n".to_vec(),
            "vmdk",
        ),
        (
            "d.vdi",
            header(b"<<< Oracle VM VirtualBox Disk Image >>>\n", 512),
            "vdi",
        ),
        ("e.vhd", header(b"conectix", 512), "vhd"),
        ("e-fixed.vhd", vhd_fixed, "vhd"),
        ("f.vhdx", header(b"vhdxfile", 512), "vhdx"),
        ("g.qed", header(b"QED\0", 512), "qed"),
        ("h.img", b"short".to_vec(), "raw"),
        ("i.raw", Vec::new(), "raw"),
    ];
    for (name, bytes, _) in &files {
        std::fs::write(d.join(name), bytes).unwrap();
    }
    for (name, bytes, want) in &files {
        let got = sniff(&d.join(name)).unwrap();
        assert_eq!(got.format, *want, "{name}");
        if *want == "raw" {
            assert_eq!(got.virtual_size, Some(bytes.len() as u64), "{name}");
        }
    }
    let a = sniff(&d.join("a.qcow2")).unwrap();
    assert_eq!(a.virtual_size, Some(1 << 30));
    assert_eq!(a.backing_file.as_deref(), Some("base.img"));

    // Through collect_images with no qemu-img: every file, in path order,
    // and the missing qemu-img said once.
    let mut unreadable = Vec::new();
    let images = collect_images(&[d.to_path_buf()], &RecordedRunner::new(), &mut unreadable);
    let formats: Vec<&str> = images.iter().map(|i| i.format.as_str()).collect();
    let mut want: Vec<(&str, &str)> = files.iter().map(|(n, _, f)| (*n, *f)).collect();
    want.sort();
    assert_eq!(formats, want.iter().map(|(_, f)| *f).collect::<Vec<_>>());
    assert_eq!(
        unreadable.iter().filter(|u| u.what == "qemu-img").count(),
        1
    );
}

#[test]
fn qemu_img_failing_on_one_file_falls_back_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.qcow2");
    std::fs::write(&path, header(b"QFI\xfb\0\0\0\x03", 512)).unwrap();
    let shown = path.display().to_string();
    let runner = RecordedRunner::new().failure(
        &format!("qemu-img info --output=json -U {shown}"),
        faultline_collect::RunError::Failed {
            status: "exit status 1".into(),
            message: "Failed to get shared \"write\" lock".into(),
        },
    );
    let mut unreadable = Vec::new();
    let images = collect_images(&[PathBuf::from(dir.path())], &runner, &mut unreadable);
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].format, "qcow2");
    assert_eq!(
        runner.calls(),
        vec![
            format!("qemu-img info --output=json -U {shown}"),
            format!("qemu-img info --output=json {shown}"),
        ]
    );
    assert_eq!(
        unreadable,
        vec![Unreadable {
            what: format!("qemu-img info {shown}"),
            why: "exit status 1: Failed to get shared \"write\" lock; format read from the file's first bytes".into(),
        }]
    );
}

#[test]
fn a_missing_image_folder_is_noted() {
    let mut unreadable = Vec::new();
    let images = collect_images(
        &[PathBuf::from("/nonexistent/faultline/images")],
        &RecordedRunner::new(),
        &mut unreadable,
    );
    assert!(images.is_empty());
    assert_eq!(
        unreadable,
        vec![Unreadable {
            what: "/nonexistent/faultline/images".into(),
            why: "not found".into(),
        }]
    );
}
