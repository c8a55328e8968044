//! placements.csv, events.csv and crashes.csv: their problems, where a
//! guest was when, and which machines an event's scope covers.

mod common;

use common::{load, problems};
use faultline_case::{Case, Machine, MachineKind, Scope};
use jiff::Timestamp;

const CONFIG: (&str, &str) = (
    "faultline.toml",
    "name = \"esx\"\ntime_zone = \"America/New_York\"\n",
);

const INVENTORY: (&str, &str) = (
    "inventory.csv",
    "name,kind,host,vcpus,datastore,os\n\
     esx01,host,,,,\n\
     esx02,host,,,,\n\
     esx03,host,,,,\n\
     web01,guest,esx01,2,nfs-gold,RHEL4\n\
     web02,guest,esx01,1,nfs-gold,RHEL4\n\
     db01,guest,esx02,2,fc-01,RHEL5\n\
     db02.example.com,guest,esx02,1,fc-01,RHEL5\n",
);

fn machine<'c>(case: &'c Case, name: &str) -> &'c Machine {
    case.resolve(name).unwrap()
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

const PLACEMENTS: &str = "\
machine,host,from,to
# web01 was evacuated to esx03 for the esx01 maintenance and came back
web01,esx01,2009-10-01,2009-11-10 22:00
web01,esx03,2009-11-10 22:00,2009-11-11 06:00
web01,esx01,2009-11-11 06:00,
web02,esx01,2009-10-01,
ghost01,esx01,2009-10-01,
esx02,esx01,2009-10-01,
db01,DB01,2009-10-01,
db01,db02,2009-10-01,
db01,,2009-10-01,
db01,esx02,2009-13-01,
db01,esx02,2009-11-02,2009-11-01
web02,esx02,2009-10-15,2009-10-16
db02,esx09.example.com,2009-11-01T00:00:00Z,
";

#[test]
fn placement_problems() {
    let case = load(&[
        CONFIG,
        INVENTORY,
        ("placements.csv", PLACEMENTS),
        common::NO_CRASHES,
    ]);
    assert_eq!(
        problems(&case),
        [
            "placements.csv:7: unknown machine ghost01 (not in the inventory); row skipped",
            "placements.csv:8: esx02 is a host; placements say where guests run; row skipped",
            "placements.csv:9: db01 cannot run on itself; row skipped",
            "placements.csv:10: host db02: db02.example.com is a guest (kind guest in inventory.csv:8), not a host; row skipped",
            "placements.csv:11: missing host; row skipped",
            "placements.csv:12: from: bad time \"2009-13-01\": there is no date 2009-13-01; row skipped",
            "placements.csv:13: to \"2009-11-01\" is before from \"2009-11-02\"; row skipped",
            "placements.csv:14: web02 is already placed on esx01 at that time (line 6); row skipped",
        ]
    );
    assert_eq!(case.placements.len(), 5);
    let last = case.placements.last().unwrap();
    assert_eq!(
        (
            last.machine.as_str(),
            last.host.as_str(),
            last.line,
            last.file.as_str()
        ),
        (
            "db02.example.com",
            "esx09.example.com",
            15,
            "placements.csv"
        )
    );
    let esx09 = machine(&case, "esx09");
    assert_eq!(
        (esx09.kind, esx09.source.as_str()),
        (MachineKind::Host, "implied")
    );
    let first = &case.placements[0];
    assert_eq!(
        first.from,
        at("2009-10-01T04:00:00Z"),
        "midnight in New York"
    );
    assert_eq!(first.to, Some(at("2009-11-11T03:00:00Z")));
    assert_eq!(case.placements[2].to, None);
}

#[test]
fn placement_file_without_from_is_skipped() {
    let case = load(&[
        INVENTORY,
        (
            "placements.csv",
            "machine,host,start\nweb01,esx02,2009-11-01\n",
        ),
        common::NO_CRASHES,
    ]);
    assert_eq!(
        problems(&case),
        ["placements.csv:1: missing column `from`; the file is skipped"]
    );
    assert!(case.placements.is_empty());
}

#[test]
fn host_at_follows_an_evacuation_and_return() {
    let case = load(&[
        CONFIG,
        INVENTORY,
        ("placements.csv", PLACEMENTS),
        common::NO_CRASHES,
    ]);
    let host = |m: &str, t: &str| case.host_at(m, at(t));
    // Before the maintenance.
    assert_eq!(host("web01", "2009-11-05T12:00:00Z"), Some("esx01"));
    // During it (22:00 to 06:00 New York time, 03:00 to 11:00 UTC).
    assert_eq!(
        host("web01", "2009-11-11T03:00:00Z"),
        Some("esx03"),
        "from is inclusive"
    );
    assert_eq!(host("web01", "2009-11-11T10:59:59Z"), Some("esx03"));
    // Back, for good.
    assert_eq!(
        host("web01", "2009-11-11T11:00:00Z"),
        Some("esx01"),
        "to is exclusive"
    );
    assert_eq!(
        host("WEB01.example.com", "2010-06-01T00:00:00Z"),
        Some("esx01")
    );
    // Before any placement: the inventory's host.
    assert_eq!(host("web01", "2009-01-01T00:00:00Z"), Some("esx01"));
    // No placements at all: the inventory's host.
    assert_eq!(host("db01", "2009-11-05T00:00:00Z"), Some("esx02"));
    assert_eq!(host("db02", "2009-10-05T00:00:00Z"), Some("esx02"));
    assert_eq!(
        host("db02", "2009-11-05T00:00:00Z"),
        Some("esx09.example.com")
    );
    // Hosts and unknown machines.
    assert_eq!(host("esx01", "2009-11-05T00:00:00Z"), None);
    assert_eq!(host("ghost01", "2009-11-05T00:00:00Z"), None);
}

const EVENTS: &str = "\
start,end,kind,scope
2009-11-20 22:00,2009-11-20 23:30,backup,datastore=nfs-gold
2009-11-21 02:00,,snapshot,web01.example.com
2009-11-10 22:00,2009-11-11 06:00,maintenance,host=esx01.example.com
2009-11-01,,patch,*
2009-11-01,,patch,vcpus=2.0
2009-11-01,,patch,OS=rhel4
2009-11-01,,patch,kind=host
2009-11-01,,backup,datastore=nfs-golf
2009-11-01,,backup,rack=B2
2009-11-01,,reboot,ghost01
2009-11-02,2009-11-01,backup,*
2009-11-01,,backup,
2009-11-01,,,*
2009-11-01,,backup,=nfs-gold
tomorrow,,backup,*
";

#[test]
fn events_and_their_problems() {
    let case = load(&[
        CONFIG,
        INVENTORY,
        ("events.csv", EVENTS),
        common::NO_CRASHES,
    ]);
    assert_eq!(
        problems(&case),
        [
            "events.csv:9: scope datastore=nfs-golf matches no machine (values of datastore: fc-01, nfs-gold); row skipped",
            "events.csv:10: scope rack=B2 names unknown attribute `rack` (known: datastore, host, kind, os, vcpus); row skipped",
            "events.csv:11: scope names unknown machine ghost01 (use *, a machine, or attribute=value); row skipped",
            "events.csv:12: end \"2009-11-01\" is before start \"2009-11-02\"; row skipped",
            "events.csv:13: missing scope (use * for every machine); row skipped",
            "events.csv:14: missing kind; row skipped",
            "events.csv:15: scope \"=nfs-gold\": expected attribute=value; row skipped",
            "events.csv:16: start: bad time \"tomorrow\": the year must be 4 digits; expected RFC 3339 (2009-11-20T22:14:03-05:00), or YYYY-MM-DD[ HH:MM[:SS]] in the case's time zone; row skipped",
        ]
    );
    let scopes: Vec<String> = case.events.iter().map(|e| e.scope.to_string()).collect();
    assert_eq!(
        scopes,
        [
            "datastore=nfs-gold",
            "web01",
            "host=esx01.example.com",
            "*",
            "vcpus=2.0",
            "os=rhel4",
            "kind=host"
        ]
    );
    let backup = &case.events[0];
    assert_eq!(backup.kind, "backup");
    assert_eq!(backup.start, at("2009-11-21T03:00:00Z"));
    assert_eq!(backup.end, Some(at("2009-11-21T04:30:00Z")));
    assert_eq!((backup.file.as_str(), backup.line), ("events.csv", 2));
    assert_eq!(case.events[1].scope, Scope::Machine("web01".to_string()));
    assert_eq!(case.events[1].end, None);
}

#[test]
fn scope_matching() {
    let case = load(&[
        CONFIG,
        INVENTORY,
        ("events.csv", EVENTS),
        common::NO_CRASHES,
    ]);
    let covered = |scope: &Scope| -> Vec<&str> {
        case.machines
            .iter()
            .filter(|m| case.in_scope(scope, m))
            .map(|m| m.name.as_str())
            .collect()
    };
    let attr = |name: &str, value: &str| Scope::Attribute {
        name: name.to_string(),
        value: value.to_string(),
    };
    assert_eq!(covered(&Scope::All).len(), 7);
    assert_eq!(
        covered(&attr("datastore", "NFS-Gold")),
        ["web01", "web02"],
        "text ignores case"
    );
    assert_eq!(covered(&attr("vcpus", "2")), ["web01", "db01"]);
    assert_eq!(
        covered(&attr("vcpus", "2.00")),
        ["web01", "db01"],
        "numbers by value"
    );
    assert_eq!(covered(&attr("vcpus", "two")), Vec::<&str>::new());
    assert_eq!(covered(&attr("OS", "rhel5")), ["db01", "db02.example.com"]);
    assert_eq!(
        covered(&attr("host", "esx01.example.com")),
        ["esx01", "web01", "web02"],
        "a host scope covers the host and its guests"
    );
    assert_eq!(covered(&attr("kind", "HOST")), ["esx01", "esx02", "esx03"]);
    assert_eq!(
        covered(&Scope::Machine("DB02".to_string())),
        ["db02.example.com"]
    );
    assert_eq!(covered(&Scope::Machine("web01".to_string())), ["web01"]);
    assert_eq!(covered(&attr("rack", "B2")), Vec::<&str>::new());

    // The loaded events cover what their scopes say.
    let backup = &case.events[0].scope;
    assert_eq!(covered(backup), ["web01", "web02"]);
}

#[test]
fn known_crashes() {
    let case = load(&[
        CONFIG,
        INVENTORY,
        (
            "crashes.csv",
            "Machine , Time , Title\n\
             web01.example.com,2009-11-20 22:14:03,BUG: soft lockup - CPU#1 stuck for 10s!\n\
             mail07,2009-11-21T03:14:03Z,Kernel panic - not syncing: Fatal exception\n\
             web01,2009-11-21T03:14:03Z,BUG: soft lockup - CPU#1 stuck for 10s!\n\
             ,2009-11-21,x\n\
             db01,,x\n\
             db01,2009-11-22,\n",
        ),
    ]);
    assert_eq!(
        problems(&case),
        [
            "crashes.csv:4: the same crash as line 2; row skipped",
            "crashes.csv:5: missing machine; row skipped",
            "crashes.csv:6: missing time; row skipped",
        ]
    );
    let crashes: Vec<(&str, String, &str, u64)> = case
        .known_crashes
        .iter()
        .map(|c| {
            (
                c.machine.as_str(),
                c.time.to_string(),
                c.title.as_str(),
                c.line,
            )
        })
        .collect();
    assert_eq!(
        crashes,
        [
            (
                "web01",
                "2009-11-21T03:14:03Z".to_string(),
                "BUG: soft lockup - CPU#1 stuck for 10s!",
                2
            ),
            (
                "mail07",
                "2009-11-21T03:14:03Z".to_string(),
                "Kernel panic - not syncing: Fatal exception",
                3
            ),
            ("db01", "2009-11-22T05:00:00Z".to_string(), "", 7),
        ],
        "known machines by canonical name, unknown ones as written"
    );
}

#[test]
fn crashes_without_a_time_column_are_skipped() {
    let case = load(&[("crashes.csv", "machine,title\nweb01,x\n")]);
    assert_eq!(
        problems(&case),
        ["crashes.csv:1: missing column `time`; the file is skipped"]
    );
}
