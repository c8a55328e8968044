//! Inventory sources: inventory.csv, inventory.json, RVTools exports and
//! libvirt domain XML, their merging, implied hosts and name resolution.

mod common;

use common::{NO_CRASHES, case_dir, load, problems};
use faultline_case::{AttrValue, Case, Machine, MachineKind};

fn machine<'c>(case: &'c Case, name: &str) -> &'c Machine {
    case.machines
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no machine {name} in {:#?}", case.machines))
}

fn num(n: f64) -> AttrValue {
    AttrValue::Number(n)
}

fn text(t: &str) -> AttrValue {
    AttrValue::Text(t.to_string())
}

const INVENTORY: &str = "\
name,kind,host,vcpus,memory_mb,kernel,datastore
esx01,host,,,,,
esx02,host,,,,,
web01,guest,esx01,2,2048,2.6.9-42.ELsmp,nfs-gold
web02,,esx01,1,1024,2.6.9-42.EL,nfs-gold
db01,guest,esx02,2,4096,2.6.18-8.el5,fc-01
";

#[test]
fn inventory_csv_types_and_defaults() {
    let case = load(&[NO_CRASHES, ("inventory.csv", INVENTORY)]);
    assert_eq!(problems(&case), Vec::<String>::new());
    let names: Vec<&str> = case.machines.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["esx01", "esx02", "web01", "web02", "db01"]);

    let web02 = machine(&case, "web02");
    assert_eq!(web02.kind, MachineKind::Guest, "kind defaults to guest");
    assert_eq!(web02.host.as_deref(), Some("esx01"));
    assert_eq!(web02.source, "inventory.csv");
    assert_eq!(web02.attributes["vcpus"], num(1.0));
    assert_eq!(web02.attributes["memory_mb"], num(1024.0));
    assert_eq!(web02.attributes["kernel"], text("2.6.9-42.EL"));
    let esx01 = machine(&case, "esx01");
    assert_eq!(esx01.kind, MachineKind::Host);
    assert!(esx01.attributes.is_empty(), "empty values are absent");
}

#[test]
fn a_column_with_one_word_is_text_throughout() {
    let case = load(&[
        NO_CRASHES,
        ("inventory.csv", "name,vcpus,rack\na,2,1\nb,two,2\nc,,3\n"),
    ]);
    assert_eq!(machine(&case, "a").attributes["vcpus"], text("2"));
    assert_eq!(machine(&case, "b").attributes["vcpus"], text("two"));
    assert!(!machine(&case, "c").attributes.contains_key("vcpus"));
    assert_eq!(machine(&case, "c").attributes["rack"], num(3.0));
}

#[test]
fn headers_are_trimmed_and_case_insensitive_with_bom_comments_and_semicolons() {
    let case = load(&[
        NO_CRASHES,
        (
            "inventory.csv",
            "\u{feff}# fleet as of 2009-11\n Name ; KIND ;Host; VCPUs \n\n web01 ; Guest ; esx01 ; 2 \n",
        ),
    ]);
    assert_eq!(problems(&case), Vec::<String>::new());
    let web01 = machine(&case, "web01");
    assert_eq!(web01.kind, MachineKind::Guest);
    assert_eq!(web01.host.as_deref(), Some("esx01"));
    assert_eq!(web01.attributes["vcpus"], num(2.0));
}

#[test]
fn a_file_in_latin1_is_read() {
    let dir = case_dir(&[NO_CRASHES]);
    common::write(
        dir.path(),
        "inventory.csv",
        b"name,owner\nweb01,J\xfcrgen\n",
    );
    let case = faultline_case::load(dir.path()).unwrap();
    assert_eq!(machine(&case, "web01").attributes["owner"], text("Jürgen"));
}

#[test]
fn inventory_csv_problems() {
    let case = load(&[
        NO_CRASHES,
        (
            "inventory.csv",
            "name,kind,host,vcpus\n\
             web01,guest,esx01,2\n\
             ,guest,esx01,2\n\
             web02,vm,esx01,2\n\
             WEB01,guest,esx02,4\n\
             web03,guest,esx01\n\
             web04,guest,web04,1\n\
             \"web05,guest,esx01,1\n\
             web06,guest,esx01,1\n",
        ),
    ]);
    assert_eq!(
        problems(&case),
        [
            "inventory.csv:3: missing name; row skipped",
            "inventory.csv:4: unknown kind \"vm\" (expected host or guest); row skipped",
            "inventory.csv:5: duplicate machine WEB01 (first on line 2); row skipped",
            "inventory.csv:6: row has 3 fields but the header has 4; row skipped",
            "inventory.csv:7: machine web04 names itself as its host; row skipped",
            "inventory.csv:8: row has 1 field but the header has 4; row skipped",
        ]
    );
    let names: Vec<&str> = case.machines.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["web01", "esx01"], "nothing half-read is used");
}

#[test]
fn missing_name_column_skips_the_file() {
    let case = load(&[NO_CRASHES, ("inventory.csv", "machine,vcpus\nweb01,2\n")]);
    assert_eq!(
        problems(&case),
        ["inventory.csv:1: missing column `name`; the file is skipped"]
    );
    assert!(case.machines.is_empty());

    let case = load(&[NO_CRASHES, ("inventory.csv", "")]);
    assert_eq!(
        problems(&case),
        ["inventory.csv:1: missing column `name`; the file is skipped"]
    );
}

#[test]
fn duplicate_and_unnamed_columns_are_reported() {
    let case = load(&[
        NO_CRASHES,
        ("inventory.csv", "name,vcpus,,VCPUs\nweb01,2,x,4\n"),
    ]);
    assert_eq!(
        problems(&case),
        [
            "inventory.csv:1: column 3 has no name; its values are ignored",
            "inventory.csv:1: column `vcpus` appears twice (columns 2 and 4); the second is ignored",
        ]
    );
    assert_eq!(machine(&case, "web01").attributes["vcpus"], num(2.0));
    assert_eq!(machine(&case, "web01").attributes.len(), 1);
}

#[test]
fn inventory_json() {
    let case = load(&[
        NO_CRASHES,
        (
            "inventory.json",
            r#"[
  {"name": "esx01", "kind": "host", "cpu_model": "Intel(R) Xeon(R) CPU E5345 @ 2.33GHz"},
  {"name": "web01", "host": "esx01", "vcpus": 2, "kernel": "2.6.9", "smp": true,
   "note": null, "memory_mb": "2048"},
  {"name": "web02", "kind": "guest", "tags": ["a"]},
  "web03",
  {"kind": "guest"},
  {"name": "Web01"},
  {"name": "web04", "kind": "vm"}
]"#,
        ),
    ]);
    let web01 = machine(&case, "web01");
    assert_eq!(web01.attributes["vcpus"], num(2.0));
    assert_eq!(web01.attributes["kernel"], text("2.6.9"));
    assert_eq!(web01.attributes["smp"], text("true"));
    assert_eq!(
        web01.attributes["memory_mb"],
        text("2048"),
        "strings stay text"
    );
    assert!(!web01.attributes.contains_key("note"));
    assert_eq!(web01.source, "inventory.json");
    assert_eq!(machine(&case, "esx01").kind, MachineKind::Host);
    assert_eq!(
        problems(&case),
        [
            "inventory.json:5: `tags` must be a number or a string, not a list or object; skipped",
            "inventory.json:6: expected an object; skipped",
            "inventory.json:7: missing name; skipped",
            "inventory.json:8: duplicate machine Web01 (first on line 3); row skipped",
            "inventory.json:9: unknown kind \"vm\" (expected host or guest); skipped",
        ]
    );
}

#[test]
fn inventory_json_that_is_not_an_array_of_objects() {
    let case = load(&[
        NO_CRASHES,
        (
            "inventory.json",
            "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\",}\n]\n",
        ),
    ]);
    assert_eq!(
        problems(&case),
        ["inventory.json:3: invalid JSON: trailing comma at line 3 column 16; the file is skipped"]
    );
    assert!(
        case.machines.is_empty(),
        "no object of a broken file is used"
    );

    let case = load(&[NO_CRASHES, ("inventory.json", "{\"name\": \"a\"}")]);
    assert_eq!(
        problems(&case),
        ["inventory.json:1: expected an array of objects; the file is skipped"]
    );
}

// RVTools 4.x `ExportAll2csv` tabs (a subset of the real columns, in the
// real order; values quoted as RVTools writes them).
const VINFO_4: &str = r#""VM","Powerstate","Template","DNS Name","CPUs","Memory","NICs","Disks","Provisioned MiB","In Use MiB","Path","Annotation","Datacenter","Cluster","Host","OS according to the configuration file","OS according to the VMware Tools","VM ID","VM UUID","VI SDK Server"
"web01","poweredOn","False","web01.example.com","2","2048","1","2","40960","20480","[nfs-gold] web01/web01.vmx","","DC1","prod","esx01.example.com","Red Hat Enterprise Linux 4 (64-bit)","Red Hat Enterprise Linux 4 (64-bit)","vm-101","4201a1b2-0000-0000-0000-000000000101","vc01.example.com"
"db01","poweredOn","False","db01.example.com","4","8192","2","1","102400","80000","[fc-01] db01/db01.vmx","","DC1","prod","esx02.example.com","Red Hat Enterprise Linux 5 (64-bit)","","vm-102","4201a1b2-0000-0000-0000-000000000102","vc01.example.com"
"rhel5-template","poweredOff","True","","1","1024","1","1","20480","0","[nfs-gold] rhel5-template/rhel5-template.vmtx","","DC1","prod","esx01.example.com","Red Hat Enterprise Linux 5 (64-bit)","","vm-103","4201a1b2-0000-0000-0000-000000000103","vc01.example.com"
"app01","poweredOff","False","","1","1024","1","2","20480","10000","[nfs-gold] app01/app01.vmx","","DC1","prod","esx01.example.com","","Other 2.6.x Linux (32-bit)","vm-104","4201a1b2-0000-0000-0000-000000000104","vc01.example.com"
"#;

const VHOST_4: &str = r##""Host","Datacenter","Cluster","Config status","in Maintenance Mode","CPU Model","Speed","HT Available","HT Active","# CPU","Cores per CPU","# Cores","CPU usage %","# Memory","Memory usage %","# NICs","# HBAs","# VMs","ESX Version","Boot time","Vendor","Model","Serial number","UUID","VI SDK Server"
"esx01.example.com","DC1","prod","green","False","Intel(R) Xeon(R) CPU E5345 @ 2.33GHz","2333","True","False","2","4","8","35","32766","60","4","2","12","VMware ESX 3.5.0 build-207095","2009/10/01 03:12:44","Dell Inc.","PowerEdge 2950","ABC1234","44454c4c-0000-1000-8000-b2c04f333331","vc01.example.com"
"esx02.example.com","DC1","prod","green","False","Intel(R) Xeon(R) CPU X5460 @ 3.16GHz","3166","True","False","2","4","8","20","32766","45","4","2","9","VMware ESX 3.5.0 build-153875","2009/09/12 11:02:09","HP","ProLiant DL380 G5","XYZ9876","34313435-3536-4d32-3230-303130303031","vc01.example.com"
"##;

const VDISK_4: &str = r#""VM","Powerstate","Template","Disk","Disk Key","Disk UUID","Disk Path","Capacity MiB","Raw","Disk Mode","Thin","Eagerly Scrub","Split","Write Through","Controller","Label","Unit #","Path","Datacenter","Cluster","Host","VM ID","VM UUID","VI SDK Server"
"web01","poweredOn","False","Hard disk 2","2001","6000C291-0000-0000-0000-000000000002","","20480","False","persistent","False","False","False","False","SCSI controller 0","Hard disk 2","1","[fc-01] web01/web01_1.vmdk","DC1","prod","esx01.example.com","vm-101","4201a1b2-0000-0000-0000-000000000101","vc01.example.com"
"web01","poweredOn","False","Hard disk 1","2000","6000C291-0000-0000-0000-000000000001","","20480","False","persistent","True","False","False","False","SCSI controller 0","Hard disk 1","0","[nfs-gold] web01/web01.vmdk","DC1","prod","esx01.example.com","vm-101","4201a1b2-0000-0000-0000-000000000101","vc01.example.com"
"renamed-db01","poweredOn","False","Hard disk 1","2000","6000C292-0000-0000-0000-000000000001","","102400","False","persistent","False","False","False","False","SCSI controller 0","Hard disk 1","0","[fc-01] db01/db01.vmdk","DC1","prod","esx02.example.com","vm-102","4201a1b2-0000-0000-0000-000000000102","vc01.example.com"
"rhel5-template","poweredOff","True","Hard disk 1","2000","6000C293-0000-0000-0000-000000000001","","20480","False","persistent","True","False","False","False","SCSI controller 0","Hard disk 1","0","[nfs-gold] rhel5-template/rhel5-template.vmdk","DC1","prod","esx01.example.com","vm-103","4201a1b2-0000-0000-0000-000000000103","vc01.example.com"
"app01","poweredOff","False","Hard disk 1","2000","6000C294-0000-0000-0000-000000000001","","10240","False","persistent","True","False","False","False","SCSI controller 0","Hard disk 1","0","[nfs-gold] app01/app01.vmdk","DC1","prod","esx01.example.com","vm-104","4201a1b2-0000-0000-0000-000000000104","vc01.example.com"
"app01","poweredOff","False","Hard disk 2","2001","6000C294-0000-0000-0000-000000000002","","10240","False","persistent","False","False","False","False","SCSI controller 0","Hard disk 2","1","[nfs-gold] app01/app01_1.vmdk","DC1","prod","esx01.example.com","vm-104","4201a1b2-0000-0000-0000-000000000104","vc01.example.com"
"ghost01","poweredOn","False","Hard disk 1","2000","6000C295-0000-0000-0000-000000000001","","10240","False","persistent","True","False","False","False","SCSI controller 0","Hard disk 1","0","[nfs-gold] ghost01/ghost01.vmdk","DC1","prod","esx01.example.com","vm-199","4201a1b2-0000-0000-0000-000000000199","vc01.example.com"
"app01","poweredOff","False","Hard disk 3","2002","6000C294-0000-0000-0000-000000000003","","10240","False","persistent","maybe","False","False","False","SCSI controller 0","Hard disk 3","2","[nfs-gold] app01/app01_2.vmdk","DC1","prod","esx01.example.com","vm-104","4201a1b2-0000-0000-0000-000000000104","vc01.example.com"
"#;

#[test]
fn rvtools_4_export() {
    let case = load(&[
        NO_CRASHES,
        ("rvtools/RVTools_tabvInfo.csv", VINFO_4),
        ("rvtools/RVTools_tabvHost.csv", VHOST_4),
        ("rvtools/RVTools_tabvDisk.csv", VDISK_4),
        (
            "rvtools/RVTools_tabvNetwork.csv",
            "\"VM\",\"Network\"\n\"web01\",\"VM Network\"\n",
        ),
    ]);
    assert_eq!(
        problems(&case),
        [
            "rvtools/RVTools_tabvDisk.csv:8: disk of VM \"ghost01\", which the vInfo tab does not list; row skipped",
            "rvtools/RVTools_tabvDisk.csv:9: Thin is \"maybe\" (expected True or False); row skipped",
        ]
    );
    let names: Vec<&str> = case.machines.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "esx01.example.com",
            "esx02.example.com",
            "web01",
            "db01",
            "app01"
        ],
        "hosts first, templates skipped"
    );

    let esx01 = machine(&case, "esx01.example.com");
    assert_eq!(esx01.kind, MachineKind::Host);
    assert_eq!(esx01.source, "rvtools/RVTools_tabvHost.csv");
    assert_eq!(
        esx01.attributes["cpu_model"],
        text("Intel(R) Xeon(R) CPU E5345 @ 2.33GHz")
    );
    assert_eq!(
        esx01.attributes["esx_version"],
        text("VMware ESX 3.5.0 build-207095")
    );
    assert_eq!(esx01.attributes["cores"], num(8.0));
    assert_eq!(esx01.attributes["cpu_sockets"], num(2.0));
    assert_eq!(esx01.attributes["cores_per_cpu"], num(4.0));
    assert_eq!(esx01.attributes["cpu_mhz"], num(2333.0));
    assert_eq!(esx01.attributes["memory_mb"], num(32766.0));
    assert_eq!(esx01.attributes["cluster"], text("prod"));
    assert_eq!(esx01.attributes["model"], text("PowerEdge 2950"));

    let web01 = machine(&case, "web01");
    assert_eq!(web01.kind, MachineKind::Guest);
    assert_eq!(web01.host.as_deref(), Some("esx01.example.com"));
    assert_eq!(web01.source, "rvtools/RVTools_tabvInfo.csv");
    assert_eq!(web01.attributes["vcpus"], num(2.0));
    assert_eq!(web01.attributes["memory_mb"], num(2048.0));
    assert_eq!(
        web01.attributes["os"],
        text("Red Hat Enterprise Linux 4 (64-bit)")
    );
    assert_eq!(web01.attributes["powerstate"], text("poweredOn"));
    assert_eq!(web01.attributes["datacenter"], text("DC1"));
    // Disks sorted by their number, whatever the row order.
    assert_eq!(web01.attributes["datastore"], text("nfs-gold"));
    assert_eq!(web01.attributes["datastores"], text("nfs-gold,fc-01"));
    assert_eq!(web01.attributes["thin"], text("mixed"));

    let db01 = machine(&case, "db01");
    assert_eq!(
        db01.attributes["os"],
        text("Red Hat Enterprise Linux 5 (64-bit)"),
        "the configuration file's OS when the Tools report none"
    );
    // Joined by VM UUID although vDisk has another name for it.
    assert_eq!(db01.attributes["datastore"], text("fc-01"));
    assert!(!db01.attributes.contains_key("datastores"));
    assert_eq!(db01.attributes["thin"], text("false"));

    let app01 = machine(&case, "app01");
    assert_eq!(app01.attributes["os"], text("Other 2.6.x Linux (32-bit)"));
    assert_eq!(app01.attributes["datastore"], text("nfs-gold"));
    assert!(
        !app01.attributes.contains_key("datastores"),
        "one datastore"
    );
    assert_eq!(app01.attributes["thin"], text("mixed"));

    // Guests' FQDN hosts resolve by short name too.
    assert_eq!(case.resolve("esx01").unwrap().name, "esx01.example.com");
}

#[test]
fn rvtools_3_export_with_semicolons_and_no_uuids() {
    // RVTools 3.x as saved by a spreadsheet in a locale with `;` lists:
    // `Capacity MB`, disk file in `Path`, no VM UUID to join on.
    let vinfo = "VM;Powerstate;Template;CPUs;Memory;NICs;Disks;Provisioned MB;In Use MB;Path;Annotation;Datacenter;Cluster;Host;OS according to the configuration file;VI SDK Server\n\
        lx01;poweredOn;False;2;2048;1;1;20480;10240;[nfs-silver] lx01/lx01.vmx;;DC1;lab;esx09;SUSE Linux Enterprise 10 (32-bit);vc01\n\
        lx02;poweredOn;False;1;1024;1;1;20480;10240;[nfs-silver] lx02/lx02.vmx;;DC1;lab;esx09;SUSE Linux Enterprise 10 (32-bit);vc01\n";
    let vdisk = "VM;Powerstate;Template;Disk;Capacity MB;Raw;Disk Mode;Thin;Eagerly Scrub;Split;Write Through;Controller;Unit #;Path;Annotation;Datacenter;Cluster;Host;OS according to the configuration file;VI SDK Server\n\
        lx01;poweredOn;False;Hard disk 1;20480;False;persistent;False;False;False;False;SCSI controller 0;0;[nfs-silver] lx01/lx01.vmdk;;DC1;lab;esx09;SUSE Linux Enterprise 10 (32-bit);vc01\n\
        LX02;poweredOn;False;Hard disk 1;20480;False;persistent;True;False;False;False;SCSI controller 0;0;/vmfs/volumes/4a1b/lx02/lx02.vmdk;;DC1;lab;esx09;SUSE Linux Enterprise 10 (32-bit);vc01\n";
    let case = load(&[
        NO_CRASHES,
        ("rvtools/vc01/tabvInfo.csv", vinfo),
        ("rvtools/vc01/tabvDisk.csv", vdisk),
    ]);
    assert_eq!(
        problems(&case),
        [
            "rvtools/vc01/tabvDisk.csv:3: disk of LX02 has no datastore path like \"[datastore] folder/disk.vmdk\" (\"/vmfs/volumes/4a1b/lx02/lx02.vmdk\"); row skipped"
        ]
    );
    let lx01 = machine(&case, "lx01");
    assert_eq!(lx01.attributes["datastore"], text("nfs-silver"));
    assert_eq!(lx01.attributes["thin"], text("false"));
    assert_eq!(
        lx01.attributes["os"],
        text("SUSE Linux Enterprise 10 (32-bit)")
    );
    assert_eq!(lx01.attributes["vcpus"], num(2.0));
    assert!(!machine(&case, "lx02").attributes.contains_key("datastore"));
    let esx09 = machine(&case, "esx09");
    assert_eq!(
        (esx09.kind, esx09.source.as_str()),
        (MachineKind::Host, "implied")
    );
}

#[test]
fn rvtools_tab_problems() {
    let case = load(&[
        NO_CRASHES,
        (
            "rvtools/RVTools_tabvInfo.csv",
            "\"Name\",\"CPUs\"\n\"a\",\"1\"\n",
        ),
        (
            "rvtools/RVTools_tabvHost.csv",
            "\"Host\",\"# Cores\"\n\"\",\"8\"\n\"esx1\",\"8\"\n\"ESX1\",\"4\"\n",
        ),
        (
            "rvtools/old/RVTools_tabvDisk.csv",
            "\"VM\",\"Path\"\n\"a\",\"[x] a.vmdk\"\n",
        ),
        (
            "rvtools/RVTools_tabvDisk.csv",
            "\"VM\",\"Path\"\n\"a\",\"[x] a.vmdk\"\n\"b\",\"[x] b.vmdk\"\n",
        ),
    ]);
    assert_eq!(
        problems(&case),
        [
            "rvtools/RVTools_tabvHost.csv:2: missing host name; row skipped",
            "rvtools/RVTools_tabvHost.csv:4: duplicate machine ESX1 (first on line 3); row skipped",
            "rvtools/RVTools_tabvInfo.csv:1: missing column `vm`; the file is skipped",
            "rvtools/RVTools_tabvDisk.csv: not joined: the vInfo tab rvtools/RVTools_tabvInfo.csv could not be used; ignored",
            "rvtools/old/RVTools_tabvDisk.csv: a vDisk tab without a vInfo tab in the same folder; ignored",
        ]
    );
}

const DOMAIN_WEB: &str = r#"<domain type='kvm' id='7'>
  <name>kweb01</name>
  <uuid>5f3a9c2e-1111-4a7b-9c3d-0123456789ab</uuid>
  <metadata>
    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.0">
      <nova:name>not-this-name</nova:name>
    </nova:instance>
  </metadata>
  <memory unit='KiB'>4194304</memory>
  <currentMemory unit='KiB'>4194304</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <os>
    <type arch='x86_64' machine='pc-i440fx-2.11'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/CentOS-7-x86_64-DVD.iso'/>
      <target dev='hda' bus='ide'/>
      <readonly/>
    </disk>
    <controller type='usb' index='0'/>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='/var/lib/libvirt/images/kweb01.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw'/>
      <source dev='/dev/vg0/kweb01-data'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <source bridge='br0'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
"#;

const DOMAIN_DB: &str = r#"<?xml version="1.0"?>
<domain type="kvm">
  <name>kdb&amp;01</name>
  <memory unit="GiB">16</memory>
  <vcpu>8</vcpu>
  <os><type arch="x86_64" machine="pc-q35-6.2">hvm</type></os>
  <devices>
    <disk type="block">
      <driver name="qemu" type="raw" cache="none" io="native"/>
      <source dev="/dev/mapper/mpatha"/>
      <target dev="vda" bus="virtio"/>
    </disk>
  </devices>
</domain>
"#;

#[test]
fn libvirt_domains() {
    let case = load(&[
        NO_CRASHES,
        ("libvirt/kvm01/kweb01.xml", DOMAIN_WEB),
        ("libvirt/kvm02/kdb01.xml", DOMAIN_DB),
        (
            "libvirt/loose.xml",
            "<domain type='qemu'><name>loose01</name><memory unit='MiB'>512</memory><vcpu>1</vcpu></domain>",
        ),
        ("libvirt/kvm02/notes.txt", "not a domain"),
    ]);
    assert_eq!(problems(&case), Vec::<String>::new());

    let web = machine(&case, "kweb01");
    assert_eq!(web.kind, MachineKind::Guest);
    assert_eq!(web.host.as_deref(), Some("kvm01"));
    assert_eq!(web.source, "libvirt/kvm01/kweb01.xml");
    assert_eq!(web.attributes["vcpus"], num(2.0), "the current count");
    assert_eq!(web.attributes["memory_mb"], num(4096.0));
    assert_eq!(web.attributes["machine_type"], text("pc-i440fx-2.11"));
    assert_eq!(
        web.attributes["disk_format"],
        text("qcow2"),
        "the cdrom is not a disk"
    );
    assert_eq!(web.attributes["disk_on"], text("file"));
    assert_eq!(
        web.attributes["disk_source"],
        text("/var/lib/libvirt/images/kweb01.qcow2")
    );

    let db = machine(&case, "kdb&01");
    assert_eq!(db.host.as_deref(), Some("kvm02"));
    assert_eq!(db.attributes["vcpus"], num(8.0));
    assert_eq!(db.attributes["memory_mb"], num(16384.0));
    assert_eq!(db.attributes["machine_type"], text("pc-q35-6.2"));
    assert_eq!(db.attributes["disk_format"], text("raw"));
    assert_eq!(db.attributes["disk_on"], text("block"));
    assert_eq!(db.attributes["disk_source"], text("/dev/mapper/mpatha"));

    let loose = machine(&case, "loose01");
    assert_eq!(loose.host, None);
    assert_eq!(loose.attributes["memory_mb"], num(512.0));
    assert!(!loose.attributes.contains_key("disk_format"));

    for host in ["kvm01", "kvm02"] {
        let h = machine(&case, host);
        assert_eq!((h.kind, h.source.as_str()), (MachineKind::Host, "implied"));
    }
}

#[test]
fn libvirt_problems() {
    let case = load(&[
        NO_CRASHES,
        (
            "libvirt/kvm01/a.xml",
            "<domain>\n  <name>a</name>\n  <vcpu>2</vcpu>\n</domian>\n",
        ),
        (
            "libvirt/kvm01/b.xml",
            "<?xml version='1.0'?>\n<network><name>default</name></network>\n",
        ),
        (
            "libvirt/kvm01/c.xml",
            "\n<domain>\n  <vcpu>2</vcpu>\n</domain>\n",
        ),
        (
            "libvirt/kvm01/d.xml",
            "<domain>\n<name>d</name>\n<memory unit='furlongs'>1</memory>\n</domain>\n",
        ),
        (
            "libvirt/kvm01/e.xml",
            "<domain><name>e</name><vcpu>two</vcpu></domain>",
        ),
        ("libvirt/kvm01/f.xml", ""),
        ("libvirt/kvm02/g.xml", "<domain><name>g</name></domain>"),
        ("libvirt/kvm03/g.xml", "<domain>\n<name>G</name></domain>"),
    ]);
    assert_eq!(
        problems(&case),
        [
            "libvirt/kvm01/a.xml:4: not well-formed XML: ill-formed document: expected `</domain>`, but `</domian>` was found; the file is skipped",
            "libvirt/kvm01/b.xml:2: not a libvirt domain (the root element is <network>, expected <domain>); the file is skipped",
            "libvirt/kvm01/c.xml:2: the domain has no <name>; the file is skipped",
            "libvirt/kvm01/d.xml:1: unknown <memory> unit \"furlongs\"; the file is skipped",
            "libvirt/kvm01/e.xml:1: <vcpu> count \"two\" is not a whole number; the file is skipped",
            "libvirt/kvm01/f.xml:1: no XML element in the file; the file is skipped",
            "libvirt/kvm03/g.xml:1: domain G is also in libvirt/kvm02/g.xml; this file is skipped",
        ]
    );
    let names: Vec<&str> = case.machines.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["g", "kvm02"],
        "a host is implied by a domain on it, not by a folder whose files were all skipped"
    );
}

#[test]
fn sources_merge_earlier_wins_later_fills() {
    let case = load(&[
        NO_CRASHES,
        (
            "inventory.csv",
            "name,kind,host,vcpus,kernel\n\
             esx01,host,,,\n\
             web01,guest,esx01,2,2.6.9-42.ELsmp\n\
             db01,guest,esx02,4,2.6.18\n",
        ),
        (
            "inventory.json",
            r#"[
  {"name": "web01.example.com", "vcpus": 4, "memory_mb": 2048, "kernel": "2.6.9-42.elsmp"},
  {"name": "DB01", "kind": "host", "host": "esx03", "rack": "B2"}
]"#,
        ),
        ("rvtools/RVTools_tabvInfo.csv", VINFO_4),
        ("rvtools/RVTools_tabvHost.csv", VHOST_4),
    ]);
    assert_eq!(
        problems(&case),
        [
            "inventory.json:2: machine web01: vcpus is 4 here but 2 in inventory.csv:3; keeping 2",
            "inventory.json:3: machine db01: kind is host here but guest in inventory.csv:4; keeping guest",
            "inventory.json:3: machine db01: host is esx03 here but esx02 in inventory.csv:4; keeping esx02",
        ]
    );
    let web01 = machine(&case, "web01");
    assert_eq!(web01.attributes["vcpus"], num(2.0));
    assert_eq!(
        web01.attributes["memory_mb"],
        num(2048.0),
        "filled by the JSON"
    );
    assert_eq!(
        web01.attributes["kernel"],
        text("2.6.9-42.ELsmp"),
        "same text, case aside"
    );
    assert_eq!(
        web01.attributes["os"],
        text("Red Hat Enterprise Linux 4 (64-bit)")
    );
    assert_eq!(
        web01.host.as_deref(),
        Some("esx01"),
        "esx01.example.com is esx01"
    );
    assert_eq!(
        web01.source,
        "inventory.csv, inventory.json, rvtools/RVTools_tabvInfo.csv"
    );
    let db01 = machine(&case, "db01");
    assert_eq!(db01.kind, MachineKind::Guest);
    assert_eq!(db01.attributes["rack"], text("B2"));

    let esx01 = machine(&case, "esx01");
    assert_eq!(esx01.source, "inventory.csv, rvtools/RVTools_tabvHost.csv");
    assert_eq!(esx01.attributes["cores"], num(8.0));
    // inventory.csv only refers to esx02; RVTools lists it by its
    // qualified name, which the reference resolves to.
    let esx02 = machine(&case, "esx02.example.com");
    assert_eq!(esx02.kind, MachineKind::Host);
    assert_eq!(
        machine(&case, "db01").host.as_deref(),
        Some("esx02.example.com")
    );
    let names: Vec<&str> = case.machines.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["esx01", "web01", "db01", "esx02.example.com", "app01"]
    );
}

#[test]
fn implied_hosts_and_kinds() {
    let case = load(&[
        NO_CRASHES,
        (
            "inventory.csv",
            "name,kind,host\n\
             web01,,esx01\n\
             web02,,web01\n\
             web03,guest,db01\n\
             db01,guest,\n\
             web04,,ESX01.example.com\n",
        ),
        (
            "placements.csv",
            "machine,host,from,to\nweb03,esx09,2009-11-01,\n",
        ),
    ]);
    assert_eq!(
        problems(&case),
        [
            "inventory.csv:4: machine web03 host db01: db01 is a guest (kind guest in inventory.csv:5), not a host; the host is not used"
        ]
    );
    let kinds: Vec<(&str, MachineKind, &str)> = case
        .machines
        .iter()
        .map(|m| (m.name.as_str(), m.kind, m.source.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("web01", MachineKind::Host, "inventory.csv"),
            ("web02", MachineKind::Guest, "inventory.csv"),
            ("web03", MachineKind::Guest, "inventory.csv"),
            ("db01", MachineKind::Guest, "inventory.csv"),
            ("web04", MachineKind::Guest, "inventory.csv"),
            ("esx01", MachineKind::Host, "implied"),
            ("esx09", MachineKind::Host, "implied"),
        ],
        "web01 runs web02, so it is a host; hosts only referred to are implied"
    );
    assert_eq!(machine(&case, "web04").host.as_deref(), Some("esx01"));
    assert_eq!(machine(&case, "web03").host, None);
    assert!(machine(&case, "esx01").attributes.is_empty());
}

#[test]
fn resolve_matches_names_like_an_admin() {
    let case = load(&[
        NO_CRASHES,
        (
            "inventory.csv",
            "name,kind\nweb01,\nDB01.prod.example.com,\nesx01.example.com,host\nesx01.lab.example.com,host\n10.1.2.3,\n",
        ),
    ]);
    let r = |name: &str| case.resolve(name).map(|m| m.name.as_str());
    assert_eq!(r("web01"), Some("web01"));
    assert_eq!(r("WEB01"), Some("web01"));
    assert_eq!(r("web01.example.com"), Some("web01"), "FQDN to short name");
    assert_eq!(
        r("db01"),
        Some("DB01.prod.example.com"),
        "short name to FQDN"
    );
    assert_eq!(r("db01.prod.example.com"), Some("DB01.prod.example.com"));
    assert_eq!(r("db01.other.example.com"), None, "another domain's db01");
    assert_eq!(r("esx01"), None, "two qualified names share it");
    assert_eq!(r("esx01.lab.example.com"), Some("esx01.lab.example.com"));
    assert_eq!(r("10.1.2.3"), Some("10.1.2.3"));
    assert_eq!(r("10"), None, "an IP address has no short name");
    assert_eq!(r("nosuch"), None);
    assert_eq!(r(""), None);
}

#[test]
fn reindex_after_editing_machines() {
    let mut case = load(&[NO_CRASHES, ("inventory.csv", "name\nweb01\n")]);
    case.machines[0].name = "web99".to_string();
    case.reindex();
    assert_eq!(case.resolve("web99").unwrap().name, "web99");
    assert!(case.resolve("web01").is_none());
    // A machine added without reindexing is still found, by a scan.
    let mut extra = case.machines[0].clone();
    extra.name = "web100".to_string();
    case.machines.push(extra);
    assert_eq!(case.resolve("WEB100").unwrap().name, "web100");
}

#[test]
fn unreadable_inventory_is_a_problem_without_a_line() {
    let dir = case_dir(&[NO_CRASHES]);
    std::fs::create_dir(dir.path().join("inventory.csv")).unwrap();
    let case = faultline_case::load(dir.path()).unwrap();
    let p = problems(&case);
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("inventory.csv: cannot read: "), "{p:?}");
}
