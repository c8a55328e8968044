//! The analyses on a small case whose figures can be worked out by hand.

use std::path::{Path, PathBuf};

use faultline_analyze::{AnalyzeOptions, analyze};
use faultline_scan::{Input, ScanOptions};

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn example(rel: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/logs")
            .join(rel),
    )
    .unwrap()
}

/// Four hosts, ten guests; three crashes, all on esx03 (which carries 4 of
/// the 10 guests), all on dual-vCPU guests (4 of 10), all in the 22:00
/// hour on a Tuesday, one known only from monitoring (crashes.csv).
fn mini_case() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "faultline.toml",
        "name = \"mini\"\ntime_zone = \"America/New_York\"\n[window]\nstart = \"2009-08-01 00:00\"\nend = \"2009-11-21 00:00\"\n",
    );
    write(
        d,
        "inventory.csv",
        "name,kind,host,vcpus,datastore,kernel
esx01,host,,,,
esx02,host,,,,
esx03,host,,,,
esx04,host,,,,
vm1,guest,esx03,2,nfs-gold,2.6.18-128.7.1.el5
vm2,guest,esx03,2,nfs-gold,2.6.9-89.0.9.ELsmp
vm3,guest,esx03,2,fc-lun01,2.6.18-128.7.1.el5
vm4,guest,esx01,1,nfs-gold,2.6.18-128.7.1.el5
vm5,guest,esx01,1,fc-lun01,2.6.18-128.7.1.el5
vm6,guest,esx02,1,nfs-gold,2.6.18-128.7.1.el5
vm7,guest,esx02,2,nfs-gold,2.6.18-128.7.1.el5
vm8,guest,esx04,1,fc-lun01,2.6.9-89.0.9.ELsmp
vm9,guest,esx04,1,nfs-gold,2.6.18-128.7.1.el5
vm10,guest,esx03,1,fc-lun01,2.6.18-128.7.1.el5
",
    );
    write(
        d,
        "events.csv",
        "start,end,kind,scope
2009-09-08 21:00,2009-09-08 21:45,backup,datastore=nfs-gold
2009-10-06 21:00,2009-10-06 21:45,backup,datastore=nfs-gold
2009-11-17 21:00,2009-11-17 21:45,backup,datastore=nfs-gold
",
    );
    write(
        d,
        "crashes.csv",
        "machine,time,title\nvm3.example.com,2009-11-17 22:31,kernel panic: Fatal exception\n",
    );
    let stamp = |at: &str, text: String| -> String {
        text.lines().map(|l| format!("[{at}] {l}\n")).collect()
    };
    write(
        d,
        "logs/vm1/console.log",
        &stamp("2009-09-08 22:14:03", example("centos5-db02/console.log")),
    );
    write(
        d,
        "logs/vm2/console.log",
        &stamp("2009-10-06 22:40:11", example("centos4-app11/console.log")),
    );
    dir
}

fn run(dir: &Path) -> faultline_analyze::Analysis {
    let case = faultline_case::load(dir).unwrap();
    assert!(case.problems.is_empty(), "{:?}", case.problems);
    let logs: Vec<PathBuf> = faultline_read::expand(&[dir.join("logs")]).0;
    let inputs: Vec<Input> = logs.into_iter().map(Input::Path).collect();
    let opts = ScanOptions {
        time_zone: case.time_zone.clone(),
        ..ScanOptions::default()
    };
    let out = faultline_scan::scan(&inputs, &opts);
    analyze(&case, &out.reports, &out.events, &AnalyzeOptions::default())
}

#[test]
fn figures_worked_out_by_hand() {
    let dir = mini_case();
    let a = run(dir.path());
    assert_eq!(a.crashes.len(), 3);
    assert_eq!(
        a.crashes[2].machine, "vm3",
        "the FQDN in crashes.csv names the inventory's vm3"
    );
    let all = &a.analyses[0];
    assert!(all.group.is_none());

    // Fisher one-sided: P(X >= 3) for 3 draws from 10 machines of which 4
    // have the value = C(4,3)/C(10,3) = 4/120.
    let host = all
        .factors
        .iter()
        .find(|f| f.attribute == "host" && f.value == "esx03")
        .unwrap();
    assert_eq!(
        (
            host.crashed_with,
            host.crashed,
            host.population_with,
            host.population
        ),
        (3, 3, 4, 10)
    );
    assert!((host.p - 4.0 / 120.0).abs() < 1e-12, "{}", host.p);
    let vcpus = all
        .factors
        .iter()
        .find(|f| f.attribute == "vcpus" && f.value == "2")
        .unwrap();
    assert!((vcpus.p - 4.0 / 120.0).abs() < 1e-12);
    assert!(host.q >= host.p);

    // Any host with 3 of 3 crashes when shares of guest-hours are
    // 0.2, 0.2, 0.4, 0.2 (no placements: inventory hosts all window):
    // sum of share^3 = 3 * 0.008 + 0.064 = 0.088. Naive: (1/4)^3.
    let hc = all.host_concentration.as_ref().unwrap();
    assert_eq!((hc.host.as_str(), hc.crashes, hc.of), ("esx03", 3, 3));
    assert!((hc.expected_share - 0.4).abs() < 1e-9);
    assert!((hc.p - 0.088).abs() < 1e-9, "{}", hc.p);
    assert!((hc.naive_p - 1.0 / 64.0).abs() < 1e-12);
    // Three crashes on three machines: counting machines changes nothing.
    assert_eq!((hc.machines, hc.machines_of), (3, 3));
    assert_eq!(hc.machines_host, hc.host);
    assert!((hc.p_machines - 0.088).abs() < 1e-9, "{}", hc.p_machines);

    // All three in the 22:00 hour: some hour gets 3 of 3 with
    // probability 24 * (1/24)^3 = 1/576; some weekday: 7 * (1/7)^3 = 1/49.
    let t = all.time_of_day.as_ref().unwrap();
    assert_eq!((t.peak_hour, t.peak_count, t.n), (22, 3, 3));
    assert!((t.p_max_bin - 1.0 / 576.0).abs() < 1e-12, "{}", t.p_max_bin);
    let w = all.day_of_week.as_ref().unwrap();
    assert_eq!(w.peak_hour, 1, "Tuesday");
    assert!((w.p_max_bin - 1.0 / 49.0).abs() < 1e-12);

    // Backups: the two nfs-gold crashes came 74 and 100 minutes after one
    // (21:00 backup; crashes 22:14:03 and 22:40:11), vm3 is on fc-lun01
    // and had none, so counts as the whole window: the median of the three
    // is 100.18 minutes.
    let b = all
        .event_proximity
        .iter()
        .find(|e| e.kind == "backup")
        .unwrap();
    assert_eq!(b.crashes, 2);
    assert!(
        (b.median_minutes_after - 100.1833).abs() < 0.01,
        "{}",
        b.median_minutes_after
    );
    assert!(b.p < 0.01);

    // host=esx03 and vcpus=2 travel together; vm10 (esx03, 1 vCPU) and vm7
    // (esx02, 2 vCPUs) tell them partly apart; both stayed up.
    let c = &all.confounded[0];
    assert_eq!((c.both.machines, c.both.crashed), (3, 3));
    assert_eq!((c.first_only.machines, c.first_only.crashed), (1, 0));
    assert_eq!((c.second_only.machines, c.second_only.crashed), (1, 0));
    assert!(
        all.experiments
            .iter()
            .any(|e| e.change == "move vm1 to host esx01"),
        "{:?}",
        all.experiments
    );
    assert!(
        all.experiments
            .iter()
            .any(|e| e.change == "set vm1 to 1 vCPU")
    );

    // Kernels differ across the crashed guests: said against the kernel.
    let k = all
        .hypotheses
        .iter()
        .find(|h| h.category == "guest kernel")
        .unwrap();
    assert!(
        k.against
            .iter()
            .any(|s| s.contains("kernel differs across the crashed machines")),
        "{k:?}"
    );
    assert_eq!(all.hypotheses[0].rank, 1);
    assert!(all.hypotheses.windows(2).all(|w| w[0].p <= w[1].p));

    // One group per title, each analysed on its own.
    assert_eq!(a.groups.len(), 3);
    assert_eq!(a.analyses.len(), 4);
    assert!(
        a.analyses[1]
            .notes
            .iter()
            .any(|n| n.contains("only 1 crash"))
    );
}

#[test]
fn the_same_crash_in_a_log_and_in_crashes_csv_counts_once() {
    let dir = mini_case();
    write(
        dir.path(),
        "crashes.csv",
        "machine,time,title\nVM1,2009-09-08 22:20,kernel panic: Fatal exception\n",
    );
    let a = run(dir.path());
    assert_eq!(a.crashes.len(), 2);
    let vm1 = a.crashes.iter().find(|c| c.machine == "vm1").unwrap();
    assert_eq!(vm1.title, "BUG: corrupted list in mptscsih_io_done");
    assert_eq!(vm1.sources.len(), 2);
}

#[test]
fn machines_missing_from_the_inventory_are_listed() {
    let dir = mini_case();
    write(
        dir.path(),
        "logs/stray01/console.log",
        &example("centos4-app11/console.log"),
    );
    let a = run(dir.path());
    assert_eq!(a.unknown_machines, ["stray01"]);
}

#[test]
fn the_result_does_not_depend_on_the_number_of_threads() {
    // Groups are analysed in parallel; each seeds its own draws.
    let dir = mini_case();
    let many = serde_json::to_string(&run(dir.path())).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| serde_json::to_string(&run(dir.path())).unwrap());
    assert_eq!(many, one);
}
