#!/usr/bin/env python3
"""Check the esx-nfs-cluster case for consistency and print its numbers.

    python3 examples/esx-nfs-cluster/tools/check.py [--faultline PATH]

Checks: every CSV row parses; every guest has placements that cover the
window without gaps or overlaps and end on its inventory host; every event
scope names a machine or an attribute value of the inventory; no local time
falls in the hour that happens twice when DST ends; every log folder is a
machine; each crash was on esx03, dual vCPU, on nfs-gold, in the 22:00 hour,
after that night's nfs-gold backup. With --faultline it also runs
`faultline scan --json` on logs/ and compares what it finds with the crashes
this case is meant to hold. Prints the exposure table used in README.md.
Standard library only; exits 1 on the first inconsistency.
"""

import csv
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CASE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENT_KINDS = {"backup", "snapshot", "maintenance", "migration", "patch", "config"}
# (machine, local time of the first report line, title) for logs; crashes.csv adds the rest
EXPECTED_REPORTS = [
    ("db04", "2009-09-09 22:08:31", "BUG: hard lockup in mptscsih_io_done"),
    ("db06", "2009-10-06 22:31:14", "BUG: corrupted list in mptscsih_io_done"),
    ("mail01", "2009-10-29 22:04:07", "BUG: hard lockup in mptscsih_io_done"),
    ("web03", "2009-11-17 22:22:08", "BUG: corrupted list in mptscsih_io_done"),
]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def read_csv(name):
    with open(os.path.join(CASE, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main():
    faultline = None
    if len(sys.argv) == 3 and sys.argv[1] == "--faultline":
        faultline = sys.argv[2]
    elif len(sys.argv) != 1:
        fail("usage: check.py [--faultline PATH]")

    with open(os.path.join(CASE, "faultline.toml"), "rb") as f:
        conf = tomllib.load(f)
    tz = ZoneInfo(conf["time_zone"])

    def parse(s, what):
        try:
            d = datetime.strptime(s, "%Y-%m-%d %H:%M:%S" if s.count(":") == 2 else "%Y-%m-%d %H:%M")
        except ValueError:
            fail(f"{what}: bad time {s!r}")
        if d.month == 11 and d.day == 1 and d.hour == 1:
            fail(f"{what}: {s} is ambiguous (DST ends that night)")
        return d.replace(tzinfo=tz).astimezone(timezone.utc)

    w0 = parse(conf["window"]["start"], "window")
    w1 = parse(conf["window"]["end"], "window")

    inv = read_csv("inventory.csv")
    names = [r["name"] for r in inv]
    if len(set(names)) != len(names):
        fail("duplicate names in inventory")
    machines = {r["name"]: r for r in inv}
    hosts = {n for n, r in machines.items() if r["kind"] == "host"}
    guests = {n for n, r in machines.items() if r["kind"] == "guest"}
    if hosts | guests != set(names):
        fail("kind must be host or guest")
    for g in guests:
        if machines[g]["host"] not in hosts:
            fail(f"{g}: host {machines[g]['host']!r} is not a host")
    values = defaultdict(set)
    for r in inv:
        for k, v in r.items():
            if k not in ("name", "kind") and v != "":
                values[k].add(v)

    # placements
    pl = defaultdict(list)
    for i, r in enumerate(read_csv("placements.csv"), start=2):
        if r["machine"] not in guests:
            fail(f"placements.csv:{i}: {r['machine']} is not a guest")
        if r["host"] not in hosts:
            fail(f"placements.csv:{i}: {r['host']} is not a host")
        a = parse(r["from"], f"placements.csv:{i}")
        b = parse(r["to"], f"placements.csv:{i}") if r["to"] else None
        if b is not None and b <= a:
            fail(f"placements.csv:{i}: to before from")
        pl[r["machine"]].append((a, b, r["host"]))
    for g in guests:
        rows = sorted(pl.get(g, []), key=lambda x: x[0])
        if not rows:
            fail(f"{g}: no placements")
        if rows[0][0] != w0:
            fail(f"{g}: placements start at {rows[0][0]}, not at the window start")
        for (a, b, _), (c, _d, _h) in zip(rows, rows[1:]):
            if b != c:
                fail(f"{g}: gap or overlap at {b} / {c}")
        if rows[-1][1] is not None:
            fail(f"{g}: last placement must be open")
        if rows[-1][2] != machines[g]["host"]:
            fail(f"{g}: ends on {rows[-1][2]}, inventory says {machines[g]['host']}")
        pl[g] = rows

    def host_at(g, t):
        for a, b, h in pl[g]:
            if a <= t and (b is None or t < b):
                return h
        fail(f"{g}: no host at {t}")

    # events
    events = []
    for i, r in enumerate(read_csv("events.csv"), start=2):
        a = parse(r["start"], f"events.csv:{i}")
        b = parse(r["end"], f"events.csv:{i}")
        if b < a:
            fail(f"events.csv:{i}: end before start")
        if r["kind"] not in EVENT_KINDS:
            fail(f"events.csv:{i}: unknown kind {r['kind']}")
        s = r["scope"]
        if s != "*" and s not in machines:
            k, eq, v = s.partition("=")
            if not eq or v not in values.get(k, ()):
                fail(f"events.csv:{i}: scope {s!r} matches nothing in the inventory")
        events.append((a, b, r["kind"], s))

    # crashes known without a log, and the ones the logs hold
    crashes = []
    for i, r in enumerate(read_csv("crashes.csv"), start=2):
        if r["machine"] not in guests:
            fail(f"crashes.csv:{i}: unknown machine")
        crashes.append((r["machine"], parse(r["time"], f"crashes.csv:{i}"), r["title"], "crashes.csv"))
    for m, t, title in EXPECTED_REPORTS:
        crashes.append((m, parse(t, "expected"), title, "log"))
    crashes.sort(key=lambda c: c[1])

    for d in sorted(os.listdir(os.path.join(CASE, "logs"))):
        if d not in machines:
            fail(f"logs/{d}: not a machine of the inventory")

    backups = sorted((a, b) for a, b, k, s in events if k == "backup" and s == "datastore=nfs-gold")
    print("Crashes")
    for m, t, title, src in crashes:
        r = machines[m]
        lt = t.astimezone(tz)
        last = max(b for a, b in backups if b <= t)
        h = host_at(m, t)
        ok = h == "esx03" and r["vcpus"] == "2" and r["datastore"] == "nfs-gold" and lt.hour == 22
        print(f"  {lt:%Y-%m-%d %H:%M:%S %Z}  {m:7} {h}  {r['os']:10} {r['kernel']:20} vcpus={r['vcpus']} "
              f"mem={r['memory_mb']:>4} {r['created']:3}  {(t - last).total_seconds() / 60:3.0f} min after "
              f"backup end  {title}  [{src}]")
        if not ok or (t - last) > timedelta(hours=1):
            fail(f"{m}: crash does not fit the story")

    # exposure by stratum, in guest-days
    exp = Counter()
    host_days = Counter()
    for g in guests:
        r = machines[g]
        for a, b, h in pl[g]:
            days = ((b or w1) - a).total_seconds() / 86400
            host_days[h] += days
            exp[(r["vcpus"], r["datastore"], "esx03" if h == "esx03" else "other")] += days
    crash_strata = Counter((machines[m]["vcpus"], machines[m]["datastore"],
                            "esx03" if host_at(m, t) == "esx03" else "other") for m, t, *_ in crashes)
    total = sum(host_days.values())
    print("\nGuest-days by host (share of all guest exposure)")
    for h in sorted(host_days):
        print(f"  {h}: {host_days[h]:7.1f}  ({host_days[h] / total:.3f})")
    print("\nGuest-days by vcpus x datastore x host (crashes)")
    for key in sorted(exp):
        print(f"  vcpus={key[0]} {key[1]:9} {key[2]:6} {exp[key]:7.1f}  crashes={crash_strata[key]}")
    per_vm = Counter()
    for m, t, *_ in crashes:
        per_vm[m] += 1
    print("\nShare of each crashed guest's time spent on esx03")
    for m in per_vm:
        on = sum(((b or w1) - a).total_seconds() for a, b, h in pl[m] if h == "esx03")
        print(f"  {m}: {on / (w1 - w0).total_seconds():.4f}")

    moves = [r for r in read_csv("placements.csv") if r["from"] != conf["window"]["start"]]
    print(f"\nplacement rows: {sum(len(v) for v in pl.values())} ({len(moves)} moves)")
    print("events by kind:", dict(sorted(Counter(k for _a, _b, k, _s in events).items())))
    print("events by scope (non-migration):",
          dict(sorted(Counter(s for _a, _b, k, s in events if k != "migration").items())))

    if faultline:
        out = subprocess.run([faultline, "scan", "--json", "--year", "2009", "--tz", conf["time_zone"],
                              os.path.join(CASE, "logs")], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            fail(f"faultline exited {out.returncode}: {out.stderr}")
        doc = json.loads(out.stdout)
        got = sorted((r["machine"], r["time"], r["title"]) for r in doc["reports"])
        want = sorted((m, parse(t, "x").strftime("%Y-%m-%dT%H:%M:%SZ"), title) for m, t, title in EXPECTED_REPORTS)
        if got != want:
            fail(f"scan found {got}, expected {want}")
        nfs = Counter(e["machine"] for e in doc["events"] if e["kind"] == "nfs")
        print(f"\nfaultline scan: {len(got)} reports as expected; nfs events by machine {dict(nfs)}; "
              f"events by kind {dict(Counter(e['kind'] for e in doc['events']))}")
    print("\nOK")


if __name__ == "__main__":
    main()
