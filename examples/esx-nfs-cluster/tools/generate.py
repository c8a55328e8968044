#!/usr/bin/env python3
"""Write the esx-nfs-cluster example case (story 1 of DESIGN.md).

Everything in the case folder except README.md and this tools/ folder is
written by this script: faultline.toml, inventory.csv, placements.csv,
events.csv, crashes.csv and logs/. It uses the Python standard library only
and a fixed random seed, so running it twice gives the same bytes:

    python3 examples/esx-nfs-cluster/tools/generate.py

The facts of the case (hosts, guests, moves, backups, crashes, host
reboots, NFS warnings) are the tables at the top; the log writers below
only dress them in the formats of 2009 (ESX 3.5 service-console syslog,
CentOS 4/5 syslog, serial consoles captured by a console server that puts
`[YYYY-MM-DD HH:MM:SS] ` in front of every line, in local time).
"""

import csv
import io
import os
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CASE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TZ = ZoneInfo("America/New_York")
WINDOW_START = "2009-08-01 00:00"
WINDOW_END = "2009-11-21 00:00"
RNG = random.Random(20091120)

FILER = "10.1.30.5"  # NetApp filer (ONTAP 7.2.x), export /vol/vm_gold = nfs-gold
BACKUP_HOST = "10.1.20.40"  # backup01, runs the nightly snapshot script
CACTI = "10.1.20.31"  # cacti01 polls every guest over SNMP
NTP = "10.1.20.2"


def local(s):
    """'YYYY-MM-DD HH:MM[:SS[.fff]]' in the case zone -> aware datetime."""
    fmt = "%Y-%m-%d %H:%M"
    if s.count(":") == 2:
        fmt += ":%S.%f" if "." in s else ":%S"
    return datetime.strptime(s, fmt).replace(tzinfo=TZ)


def minute(dt):
    return dt.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def ambiguous(dt):
    """Local times that happen twice (the night DST ends) are never logged."""
    d = dt.astimezone(TZ)
    return d.month == 11 and d.day == 1 and d.hour == 1


# --------------------------------------------------------------------------
# The fleet
# --------------------------------------------------------------------------

HOSTS = {
    # name: service console IP, VMotion IP, vmkernel load times (local)
    "esx01": ("10.1.20.11", "10.1.21.11", ["2009-07-11 10:14:22.318", "2009-09-26 12:21:47.902"]),
    "esx02": ("10.1.20.12", "10.1.21.12", ["2009-07-11 11:02:51.447", "2009-09-26 10:41:09.136"]),
    "esx03": (
        "10.1.20.13",
        "10.1.21.13",
        ["2009-07-11 09:12:37.604", "2009-09-19 08:03:41.250", "2009-10-08 15:46:11.275"],
    ),
    "esx04": ("10.1.20.14", "10.1.21.14", ["2009-07-11 12:31:08.771", "2009-09-26 08:58:33.519"]),
}
# When each reboot above was preceded by a shutdown (local).
SHUTDOWNS = {
    ("esx01", 1): "2009-09-26 12:15:40",
    ("esx02", 1): "2009-09-26 10:35:12",
    ("esx03", 1): "2009-09-19 07:57:26",
    ("esx03", 2): "2009-10-08 13:47:55",
    ("esx04", 1): "2009-09-26 08:52:19",
}
COS_MEMORY = {"esx01": 272, "esx02": 272, "esx03": 800, "esx04": 272}

K5 = "2.6.18-128.7.1.el5"
K5_OLD = "2.6.18-128.4.1.el5"
K5_PINNED = "2.6.18-128.1.10.el5"
K4_SMP = "2.6.9-89.0.9.ELsmp"
K4_UP = "2.6.9-89.0.9.EL"
K4_OLD = "2.6.9-78.0.22.EL"

# name, home host, os, arch, kernel, vcpus, memory_mb, datastore, vmswap, created, role
GUESTS = [
    # esx03
    ("app07", "esx03", "CentOS 5.2", "x86_64", K5_PINNED, 2, 2048, "nfs-gold", "nfs-gold", "new", "app"),
    ("db04", "esx03", "CentOS 4.8", "i386", K4_SMP, 2, 1024, "nfs-gold", "nfs-gold", "new", "db"),
    ("db06", "esx03", "CentOS 5.3", "x86_64", K5, 2, 3072, "nfs-gold", "nfs-gold", "new", "db"),
    ("mail01", "esx03", "CentOS 4.8", "i386", K4_SMP, 2, 512, "nfs-gold", "iscsi-01", "p2v", "mail"),
    ("web03", "esx03", "CentOS 5.3", "x86_64", K5, 2, 1536, "nfs-gold", "nfs-gold", "new", "web"),
    ("db01", "esx03", "RHEL 5.3", "x86_64", K5, 2, 4096, "fc-lun01", "fc-lun01", "new", "db"),
    ("jira01", "esx03", "CentOS 5.3", "x86_64", K5, 2, 2048, "nfs-gold", "nfs-gold", "new", "app"),
    ("web04", "esx03", "CentOS 5.3", "x86_64", K5, 1, 1024, "nfs-gold", "nfs-gold", "new", "web"),
    ("dns02", "esx03", "CentOS 4.8", "i386", K4_UP, 1, 512, "nfs-gold", "nfs-gold", "new", "dns"),
    ("cvs01", "esx03", "CentOS 4.7", "i386", K4_OLD, 1, 768, "nfs-gold", "nfs-gold", "p2v", "scm"),
    ("ftp01", "esx03", "Debian 5.0", "i386", "2.6.26-2-686", 1, 512, "iscsi-01", "iscsi-01", "new", "ftp"),
    # esx01
    ("app12", "esx01", "CentOS 5.3", "x86_64", K5, 2, 2048, "nfs-gold", "nfs-gold", "new", "app"),
    ("web01", "esx01", "CentOS 5.3", "x86_64", K5, 1, 1024, "nfs-gold", "nfs-gold", "new", "web"),
    ("web02", "esx01", "CentOS 5.3", "x86_64", K5, 1, 1024, "nfs-gold", "nfs-gold", "new", "web"),
    ("dns01", "esx01", "CentOS 4.8", "i386", K4_UP, 1, 512, "nfs-gold", "nfs-gold", "new", "dns"),
    ("mon01", "esx01", "CentOS 5.3", "x86_64", K5, 1, 1024, "nfs-gold", "nfs-gold", "new", "monitoring"),
    ("log01", "esx01", "CentOS 5.3", "x86_64", K5_OLD, 1, 1024, "fc-lun01", "fc-lun01", "new", "syslog"),
    ("intranet01", "esx01", "CentOS 4.7", "i386", K4_OLD, 1, 768, "nfs-gold", "nfs-gold", "p2v", "web"),
    ("smtp01", "esx01", "CentOS 4.8", "i386", K4_UP, 1, 512, "nfs-gold", "nfs-gold", "new", "mail"),
    ("devel01", "esx01", "Debian 5.0", "x86_64", "2.6.26-2-amd64", 1, 2048, "nfs-gold", "nfs-gold", "new", "dev"),
    # esx02
    ("web05", "esx02", "CentOS 5.3", "x86_64", K5, 1, 1024, "nfs-gold", "nfs-gold", "new", "web"),
    ("web06", "esx02", "CentOS 5.3", "x86_64", K5, 1, 1024, "nfs-gold", "nfs-gold", "new", "web"),
    ("app03", "esx02", "CentOS 5.3", "x86_64", K5_OLD, 1, 2048, "nfs-gold", "nfs-gold", "new", "app"),
    ("app04", "esx02", "CentOS 4.8", "i386", K4_UP, 1, 1024, "nfs-gold", "nfs-gold", "new", "app"),
    ("db02", "esx02", "RHEL 5.3", "x86_64", K5, 1, 4096, "fc-lun01", "fc-lun01", "new", "db"),
    ("db03", "esx02", "CentOS 4.8", "i386", K4_UP, 1, 2048, "fc-lun01", "fc-lun01", "new", "db"),
    ("mail02", "esx02", "CentOS 4.7", "i386", K4_OLD, 1, 1024, "nfs-gold", "nfs-gold", "p2v", "mail"),
    ("print01", "esx02", "CentOS 4.8", "i386", K4_UP, 1, 512, "nfs-gold", "nfs-gold", "p2v", "print"),
    ("wiki01", "esx02", "CentOS 5.3", "x86_64", K5, 1, 1024, "iscsi-01", "iscsi-01", "new", "wiki"),
    # esx04
    ("web07", "esx04", "CentOS 5.3", "x86_64", K5, 1, 1024, "nfs-gold", "nfs-gold", "new", "web"),
    ("app05", "esx04", "CentOS 5.3", "x86_64", K5, 1, 2048, "fc-lun01", "fc-lun01", "new", "app"),
    ("app06", "esx04", "CentOS 5.3", "x86_64", K5_OLD, 1, 1536, "nfs-gold", "nfs-gold", "new", "app"),
    ("ldap01", "esx04", "CentOS 5.3", "x86_64", K5, 1, 512, "nfs-gold", "nfs-gold", "new", "ldap"),
    ("backup01", "esx04", "RHEL 5.3", "x86_64", K5, 1, 2048, "fc-lun01", "fc-lun01", "new", "backup"),
    ("db05", "esx04", "CentOS 4.8", "i386", K4_UP, 1, 2048, "fc-lun01", "fc-lun01", "new", "db"),
    ("cacti01", "esx04", "Debian 4.0", "i386", "2.6.18-6-686", 1, 512, "fc-lun01", "fc-lun01", "new", "monitoring"),
]
G = {g[0]: g for g in GUESTS}

# --------------------------------------------------------------------------
# Where the guests ran: maintenance evacuations and DRS moves
# --------------------------------------------------------------------------

# (host, enter, exit, [(guest, destination)], reason)
MAINTENANCE = [
    (
        "esx03",
        "2009-09-19 07:02",
        "2009-09-20 09:10",
        [
            ("app07", "esx01"), ("db04", "esx02"), ("db06", "esx01"), ("mail01", "esx02"),
            ("web03", "esx01"), ("db01", "esx02"), ("jira01", "esx01"), ("web04", "esx02"),
            ("dns02", "esx01"), ("cvs01", "esx02"), ("ftp01", "esx01"),
        ],
        "patch",
    ),
    (
        "esx04",
        "2009-09-26 08:00",
        "2009-09-26 09:25",
        [
            ("web06", "esx02"), ("web07", "esx01"), ("app05", "esx02"), ("app06", "esx01"),
            ("ldap01", "esx03"), ("backup01", "esx02"), ("db05", "esx01"), ("cacti01", "esx02"),
        ],
        "patch",
    ),
    (
        "esx02",
        "2009-09-26 09:45",
        "2009-09-26 11:05",
        [
            ("web05", "esx01"), ("app03", "esx04"), ("app04", "esx01"), ("db02", "esx04"),
            ("db03", "esx04"), ("mail02", "esx01"), ("print01", "esx03"), ("wiki01", "esx04"),
        ],
        "patch",
    ),
    (
        "esx01",
        "2009-09-26 11:25",
        "2009-09-26 12:50",
        [
            ("app12", "esx04"), ("web01", "esx02"), ("web02", "esx04"), ("dns01", "esx02"),
            ("mon01", "esx04"), ("log01", "esx02"), ("intranet01", "esx02"), ("smtp01", "esx04"),
            ("devel01", "esx02"),
        ],
        "patch",
    ),
    (
        "esx03",
        "2009-10-08 13:20",
        "2009-10-08 16:35",
        [
            ("app07", "esx04"), ("db04", "esx01"), ("db06", "esx02"), ("mail01", "esx04"),
            ("web03", "esx01"), ("db01", "esx02"), ("web04", "esx04"), ("dns02", "esx01"),
            ("cvs01", "esx02"), ("ftp01", "esx04"),
        ],
        "diagnostics",
    ),
]
DRS_MOVES = [  # (local time, guest, destination)
    ("2009-08-27 14:03", "web06", "esx04"),
    ("2009-09-26 16:12", "jira01", "esx04"),
    ("2009-11-10 10:47", "app04", "esx01"),
]
# ESX patch installs (host, start, end) inside the maintenance windows, and the
# one configuration change: esx03's service console memory 272 -> 800 MB,
# set before the patch reboot of Sep 19 so that the reboot applied it.
HOST_PATCHES = [
    ("esx03", "2009-09-19 07:31", "2009-09-19 08:06"),
    ("esx04", "2009-09-26 08:18", "2009-09-26 09:01"),
    ("esx02", "2009-09-26 10:02", "2009-09-26 10:44"),
    ("esx01", "2009-09-26 11:44", "2009-09-26 12:24"),
]
CONFIG_CHANGES = [("esx03", "2009-09-19 07:52", "2009-09-19 07:52")]
# Guest kernel updates (yum update + reboot), scoped by the kernel they installed.
GUEST_PATCHES = [
    ("2009-08-29 06:00", "2009-08-29 07:30", "kernel=" + K5),
    ("2009-08-29 06:00", "2009-08-29 07:30", "kernel=" + K4_SMP),
    ("2009-08-29 06:00", "2009-08-29 07:30", "kernel=" + K4_UP),
]
GUEST_BOOTS_AUG29 = {  # console capture starts with this boot
    "web03": "2009-08-29 06:09:12",
    "db06": "2009-08-29 06:14:37",
    "db04": "2009-08-29 06:21:50",
    "mail01": "2009-08-29 06:33:05",
}


def build_moves():
    """Every migration: (time, guest, from, to, reason)."""
    moves = []
    for host, enter, leave, evac, _ in MAINTENANCE:
        t0, t1 = local(enter), local(leave)
        for i, (guest, dest) in enumerate(evac):
            moves.append((t0 + timedelta(minutes=1 + 2 * i), guest, host, dest, "maintenance"))
            moves.append((t1 + timedelta(minutes=2 + 2 * i), guest, dest, host, "return"))
    for t, guest, dest in DRS_MOVES:
        moves.append((local(t), guest, None, dest, "drs"))
    moves.sort(key=lambda m: m[0])
    where = {g[0]: g[1] for g in GUESTS}
    out = []
    for t, guest, src, dest, why in moves:
        if src is not None and where[guest] != src:
            raise SystemExit(f"{guest} is on {where[guest]}, not {src}, at {t}")
        src = where[guest]
        where[guest] = dest
        out.append((t, guest, src, dest, why))
    return out, where


MOVES, FINAL_HOST = build_moves()


# --------------------------------------------------------------------------
# Nights: backups, crashes, NFS warnings
# --------------------------------------------------------------------------

CRASHES = [
    # guest, oops first line (local), signature family, how it is known
    ("app07", "2009-08-18 22:17", "c5", "monitoring"),
    ("db04", "2009-09-09 22:08:31", "c4", "console"),
    ("db06", "2009-10-06 22:31:14", "c5", "console+syslog"),
    ("mail01", "2009-10-29 22:04:07", "c4", "console+syslog"),
    ("web03", "2009-11-17 22:22:08", "c5", "console+syslog"),
]
# nfs-gold backup end on the crash nights (the rest are drawn at random)
BACKUP_END = {
    "2009-08-18": "21:41",
    "2009-09-09": "21:38",
    "2009-10-06": "21:47",
    "2009-10-29": "21:36",
    "2009-11-17": "21:44",
}
# vmkernel "Can't find call with serial number" warnings (host, local times).
NFS_WARNINGS = [
    ("esx03", ["2009-08-18 21:52:14", "2009-08-18 21:52:15", "2009-08-18 22:09:40"]),
    ("esx03", ["2009-08-25 21:58:03"]),
    ("esx03", ["2009-09-02 22:11:27", "2009-09-02 22:11:28"]),
    ("esx03", ["2009-09-23 21:47:50"]),
    ("esx01", ["2009-09-30 21:56:22"]),
    ("esx03", ["2009-10-04 21:51:58"]),
    ("esx03", ["2009-10-06 22:12:03", "2009-10-06 22:26:51", "2009-10-06 22:26:52"]),
    ("esx03", ["2009-10-15 22:03:36"]),
    ("esx03", ["2009-10-21 21:55:09", "2009-10-21 21:55:10"]),
    ("esx03", ["2009-10-29 21:49:30", "2009-10-29 22:01:12"]),
    ("esx03", ["2009-11-04 22:08:44"]),
    ("esx03", ["2009-11-12 21:51:17"]),
    ("esx03", ["2009-11-17 22:06:44", "2009-11-17 22:19:02", "2009-11-17 22:19:03"]),
    ("esx03", ["2009-11-20 22:14:03.000", "2009-11-20 22:14:05.176"]),
]


def nights():
    d = local(WINDOW_START)
    end = local(WINDOW_END)
    while d < end:
        yield d
        d = d + timedelta(days=1)  # wall-clock arithmetic: always local midnight


def backup_schedule():
    """[(date, start, snapshot_start, snapshot_end, end)] for nfs-gold, local."""
    out = []
    for d in nights():
        key = d.strftime("%Y-%m-%d")
        start = d.replace(hour=20, minute=30)
        if key in BACKUP_END:
            hh, mm = map(int, BACKUP_END[key].split(":"))
            end = d.replace(hour=hh, minute=mm)
        else:
            end = start + timedelta(minutes=RNG.randint(48, 82))
        out.append((key, start, start + timedelta(minutes=1), end - timedelta(minutes=2), end))
    return out


BACKUPS = backup_schedule()

# --------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------


def write(path, text):
    full = os.path.join(CASE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def csv_text(header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_toml():
    write(
        "faultline.toml",
        "# Story 1 of DESIGN.md: five dual-vCPU CentOS guests crash weeks apart on one\n"
        "# host of a four-host ESX 3.5 cluster. Written by tools/generate.py.\n"
        'name = "esx-nfs-cluster"\n'
        'time_zone = "America/New_York"\n'
        "\n"
        "[window]\n"
        f'start = "{WINDOW_START}"\n'
        f'end = "{WINDOW_END}"\n',
    )


def write_inventory():
    header = [
        "name", "kind", "host", "model", "esx_version", "cos_memory_mb", "cluster",
        "os", "arch", "kernel", "vcpus", "memory_mb", "datastore", "vmswap_datastore",
        "created", "role",
    ]
    rows = []
    for h in HOSTS:
        rows.append([h, "host", "", "PowerEdge 1950", "3.5.0 Update 4", COS_MEMORY[h], "prod-cl01"]
                    + [""] * 9)
    for name, _home, os_, arch, kernel, vcpus, mem, ds, swap, created, role in GUESTS:
        rows.append([name, "guest", FINAL_HOST[name], "", "", "", "", os_, arch, kernel, vcpus, mem,
                     ds, swap, created, role])
    write("inventory.csv", csv_text(header, rows))


def write_placements():
    rows = []
    for g in GUESTS:
        name = g[0]
        host, since = g[1], WINDOW_START
        for t, guest, _src, dest, _ in MOVES:
            if guest != name:
                continue
            rows.append([name, host, since, minute(t)])
            host, since = dest, minute(t)
        rows.append([name, host, since, ""])
    write("placements.csv", csv_text(["machine", "host", "from", "to"], rows))


def write_events():
    rows = []
    for key, start, snap0, snap1, end in BACKUPS:
        rows.append([minute(start), minute(end), "backup", "datastore=nfs-gold"])
        rows.append([minute(snap0), minute(snap1), "snapshot", "datastore=nfs-gold"])
        # Fibre Channel and iSCSI guests: agent backup to tape before midnight,
        # iSCSI weekly on Sunday morning.
        d = local(key + " 23:30")
        rows.append([minute(d), minute(d + timedelta(minutes=RNG.randint(55, 85))), "backup",
                     "datastore=fc-lun01"])
        if d.weekday() == 6:
            s = local(key + " 03:30")
            rows.append([minute(s), minute(s + timedelta(minutes=RNG.randint(35, 50))), "backup",
                         "datastore=iscsi-01"])
    for host, enter, leave, _evac, _why in MAINTENANCE:
        rows.append([enter, leave, "maintenance", host])
    for host, s, e in HOST_PATCHES:
        rows.append([s, e, "patch", host])
    for host, s, e in CONFIG_CHANGES:
        rows.append([s, e, "config", host])
    for s, e, scope in GUEST_PATCHES:
        rows.append([s, e, "patch", scope])
    for t, guest, _src, _dest, _why in MOVES:
        rows.append([minute(t), minute(t + timedelta(minutes=1)), "migration", guest])
    rows.sort(key=lambda r: (r[0], r[2], r[3]))
    write("events.csv", csv_text(["start", "end", "kind", "scope"], rows))


def write_crashes():
    rows = [[g, t, "kernel panic: Fatal exception"] for g, t, _f, how in CRASHES if how == "monitoring"]
    write("crashes.csv", csv_text(["machine", "time", "title"], rows))


# --------------------------------------------------------------------------
# Log helpers
# --------------------------------------------------------------------------


def syslog_stamp(dt):
    d = dt.astimezone(TZ)
    return f"{d:%b} {d.day:2d} {d:%H:%M:%S}"


def console_stamp(dt):
    return f"[{dt.astimezone(TZ):%Y-%m-%d %H:%M:%S}] "


def write_lines(path, entries):
    """entries: [(datetime, line)] -> file, in time order (stable)."""
    entries = sorted(entries, key=lambda e: e[0])
    write(path, "".join(line + "\n" for _, line in entries))


class Syslog:
    def __init__(self, host):
        self.host = host
        self.entries = []

    def add(self, dt, prog, text):
        if ambiguous(dt):
            return
        self.entries.append((dt, f"{syslog_stamp(dt)} {self.host} {prog}: {text}"))


# --------------------------------------------------------------------------
# ESX 3.5 hosts: /var/log/messages of the service console
# --------------------------------------------------------------------------


def uptime(boot, dt):
    # aware datetimes in one zone subtract as wall clocks: go through UTC
    ms = int(round((dt.astimezone(timezone.utc) - boot.astimezone(timezone.utc)).total_seconds() * 1000))
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    d, h = divmod(h, 24)
    return f"{d}:{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


class EsxHost(Syslog):
    def __init__(self, host):
        super().__init__(host)
        self.ip, self.vmk_ip, boots = HOSTS[host]
        self.boots = [local(b) for b in boots]
        self.world = {b: 1100 + RNG.randint(0, 60) for b in self.boots}
        self.down = []  # (shutdown, boot - 45s): nothing is logged
        for i, b in enumerate(self.boots[1:], start=1):
            self.down.append((local(SHUTDOWNS[(host, i)]) + timedelta(seconds=15), b - timedelta(seconds=45)))
        self.pid = 2400 + RNG.randint(0, 300)
        # service-console daemons keep their pid until the next reboot
        self.daemons = {b: {"hostd": 1900 + RNG.randint(0, 99), "whostd": 1880 + RNG.randint(0, 15),
                            "wvpxa": 2200 + RNG.randint(0, 99)} for b in self.boots}
        self.vm_world = {}  # guest -> (boot, world id) of the VM's world on this host
        u = RNG.getrandbits(128)
        self.root_uuid = f"{u >> 96:08x}-{(u >> 80) & 0xffff:04x}-{(u >> 64) & 0xffff:04x}-" \
                         f"{(u >> 48) & 0xffff:04x}-{u & 0xffffffffffff:012x}"

    def boot_of(self, dt):
        return max(b for b in self.boots if b <= dt)

    def daemon(self, dt, name):
        return self.daemons[self.boot_of(dt)][name]

    def world_of(self, guest, dt):
        """World id of a VM running here: the one it got on arrival, else a
        stable one from before the window."""
        b = self.boot_of(dt)
        if guest not in self.vm_world or self.vm_world[guest][0] != b:
            self.vm_world[guest] = (b, RNG.randint(1100, 3900))
        return self.vm_world[guest][1]

    def is_down(self, dt):
        return any(a <= dt < b for a, b in self.down)

    def next_pid(self):
        self.pid += RNG.randint(3, 400)
        if self.pid > 32000:
            self.pid = 3000 + RNG.randint(0, 500)
        return self.pid

    def next_world(self, dt, n=1):
        b = self.boot_of(dt)
        w = self.world[b] + RNG.randint(2, 40)
        self.world[b] = w + n
        return w

    def add(self, dt, prog, text):
        if self.is_down(dt):
            return
        super().add(dt, prog, text)

    def vmk(self, dt, text, cpu=None, world=None):
        cpu = RNG.randint(0, 3) if cpu is None else cpu
        world = world if world is not None else RNG.randint(1024, 1100)
        self.add(dt, "vmkernel", f"{uptime(self.boot_of(dt), dt)} cpu{cpu}:{world}){text}")


def esx_boot(h, boot, cos_mb):
    t = boot - timedelta(seconds=44)
    h.entries.append((t, f"{syslog_stamp(t)} {h.host} syslogd 1.4.1: restart."))
    kb = cos_mb * 1024
    lines = [
        ("syslog", "syslogd startup succeeded"),
        ("kernel", "klogd 1.4.1, log source = /proc/kmsg started."),
        ("kernel", "Linux version 2.4.21-57.ELvmnix (mts@esx-rel-build-05) (gcc version 3.2.3 "
                   "20030502 (Red Hat Linux 3.2.3-56)) #1 Tue Jan 27 17:04:02 PST 2009"),
        ("kernel", f"{cos_mb}MB LOWMEM available."),
        ("kernel", f"Kernel command line: ro root=UUID={h.root_uuid} mem={cos_mb}M quiet"),
        ("kernel", f"Memory: {kb - 7000 - RNG.randint(0, 900)}k/{kb}k available (1510k kernel "
                   "code, 6500k reserved, 1023k data, 200k init, 0k highmem)"),
        ("syslog", "klogd startup succeeded"),
    ]
    for i, (prog, text) in enumerate(lines):
        h.add(t + timedelta(milliseconds=10 * i), prog, text)
    w = 1036
    h.vmk(boot + timedelta(seconds=52.118), f"NFS: 149: Command: (mount) Server: ({FILER}) IP: ({FILER}) "
          "Path: (/vol/vm_gold) Label: (nfs-gold) Options: (None)", cpu=2, world=w)
    h.vmk(boot + timedelta(seconds=52.402), f"NFS: 218: NFS mount {FILER}:/vol/vm_gold status: Success",
          cpu=2, world=w)
    h.vmk(boot + timedelta(seconds=55.913), 'Config: 414: "HostLocalSwapDirEnabled" = 0, Old Value: 0, '
          "(Status: 0x0)", cpu=0, world=1024)
    t2 = boot + timedelta(seconds=71)
    h.add(t2, "watchdog-hostd", "Begin '/usr/sbin/vmware-hostd -u', min-uptime = 60, max-quick-failures "
          "= 1, max-total-failures = 1000000")
    h.add(t2 + timedelta(seconds=12), "watchdog-vpxa", "Begin '/opt/vmware/vpxa/vpx/vpxa', min-uptime = "
          "60, max-quick-failures = 1, max-total-failures = 1000000")
    h.add(t2 + timedelta(seconds=40), f"vmware-hostd[{h.daemon(boot, 'hostd')}]",
          "Accepted password for user vpxuser from 127.0.0.1")


def esx_shutdown(h, t):
    h.add(t, "shutdown", "shutting down for system reboot")
    h.add(t + timedelta(seconds=1), "init", "Switching to runlevel: 6")
    h.add(t + timedelta(seconds=3), "watchdog-vpxa", f"Terminating watchdog with PID {h.daemon(t, 'wvpxa')}")
    h.add(t + timedelta(seconds=4), "watchdog-hostd", f"Terminating watchdog with PID {h.daemon(t, 'whostd')}")
    h.add(t + timedelta(seconds=9), "kernel", "Kernel logging (proc) stopped.")
    h.add(t + timedelta(seconds=9), "kernel", "Kernel log daemon terminating.")


def esx_logs():
    hosts = {name: EsxHost(name) for name in HOSTS}
    start, end = local(WINDOW_START), local(WINDOW_END)
    # reboots inside the window
    for name, h in hosts.items():
        for i, b in enumerate(h.boots):
            if start <= b < end:
                cos = COS_MEMORY[name] if not (name == "esx03" and b < local("2009-09-19 07:52")) else 272
                esx_shutdown(h, local(SHUTDOWNS[(name, i)]))
                esx_boot(h, b, cos)
    # daily routine
    for d in nights():
        for name, h in hosts.items():
            t = d.replace(hour=4, minute=2, second=1)
            if d.weekday() == 6:
                h.add(t + timedelta(seconds=1), "syslogd 1.4.1", "restart.")
            pid = h.next_pid()
            h.add(t, f"crond(pam_unix)[{pid}]", "session opened for user root by (uid=0)")
            h.add(t + timedelta(seconds=RNG.randint(2, 9)), f"crond(pam_unix)[{pid}]", "session closed for user root")
            # VirtualCenter agent logging back in to hostd
            for _ in range(RNG.randint(0, 2)):
                tt = d + timedelta(seconds=RNG.randint(7 * 3600, 18 * 3600))
                h.add(tt, f"vmware-hostd[{h.daemon(tt, 'hostd')}]", "Accepted password for user vpxuser from 127.0.0.1")
            if RNG.random() < 0.35:
                tt = d + timedelta(seconds=RNG.randint(8 * 3600, 17 * 3600))
                h.vmk(tt, 'Config: 414: "HostLocalSwapDirEnabled" = 0, Old Value: 0, (Status: 0x0)', cpu=RNG.randint(0, 3), world=1024 + RNG.randint(0, 15))
            # the nightly snapshot script drives every host through vmware-authd
            key = d.strftime("%Y-%m-%d")
            b = next(x for x in BACKUPS if x[0] == key)
            s = b[1] + timedelta(seconds=RNG.randint(1, 20))
            pid = h.next_pid()
            xin = {"esx01": 1893, "esx02": 1891, "esx03": 1893, "esx04": 1895}[name]
            h.add(s, f"xinetd[{xin}]", f"START: vmware-authd pid={pid} from={BACKUP_HOST}")
            e = b[3] + timedelta(seconds=RNG.randint(5, 50))
            h.add(e, f"xinetd[{xin}]", f"EXIT: vmware-authd status=0 pid={pid} duration={int((e - s).total_seconds())}(sec)")
    # migrations: source and destination sides
    for t, guest, src, dest, _why in MOVES:
        t = t + timedelta(seconds=RNG.randint(2, 40), milliseconds=RNG.randint(0, 999))
        ts = int(t.timestamp() * 1_000_000) + RNG.randint(0, 999)
        s_ip, d_ip = HOSTS[src][1], HOSTS[dest][1]
        vcpus, mem = G[guest][5], G[guest][6]
        sh, dh = hosts[src], hosts[dest]
        dw = dh.next_world(t, n=vcpus)
        for v in range(vcpus):
            dh.vmk(t, f"World: vm {dw + v}: 895: Starting world vmm{v}:{guest} with flags 8", cpu=RNG.randint(0, 3), world=dw + v)
        sw = sh.world_of(guest, t)
        sh.vm_world.pop(guest, None)
        dh.vm_world[guest] = (dh.boot_of(t), dw)
        sh.vmk(t + timedelta(milliseconds=40), f"Migrate: vm {sw}: 7332: Setting migration info ts = {ts}, "
               f"src ip = <{s_ip}> dest ip = <{d_ip}> Dest wid = {dw} using SHARED swap", world=sw)
        dh.vmk(t + timedelta(milliseconds=95), f"Migrate: vm {dw}: 7332: Setting migration info ts = {ts}, "
               f"src ip = <{s_ip}> dest ip = <{d_ip}> Dest wid = 0 using SHARED swap", world=dw)
        dh.vmk(t + timedelta(milliseconds=180), f"Swap: vm {dw}: 2263: extending swap to {mem * 1024} KB", world=dw)
        secs = mem / 1024 * RNG.uniform(9, 14)
        bw = RNG.uniform(780, 905)
        sh.vmk(t + timedelta(seconds=secs), f"VMotionSend: 2328: {ts} S: Sent all modified pages to destination "
               f"(network bandwidth ~{bw:.3f} Mbps)", world=sw + 2)
        dh.vmk(t + timedelta(seconds=secs + 0.4), f"VMotionRecv: 1231: {ts} D: Estimated network bandwidth "
               f"{bw - RNG.uniform(1, 9):.3f} Mbps during pre-copy", world=dw + vcpus + 1)
    # NFS warnings
    # The serial number is modelled as a counter that starts at -2^31 when
    # the vmkernel loads and grows at the rate that puts the field report's
    # line (Nov 20 22:14:03, uptime 43:07:27:51.725) at -2146566055.
    rate = (2147483648 - 2146566055) / 3742071.725
    last = None
    for name, times in NFS_WARNINGS:
        h = hosts[name]
        for i, s in enumerate(times):
            dt = local(s)
            up = (dt.astimezone(timezone.utc) - h.boot_of(dt).astimezone(timezone.utc)).total_seconds()
            serial = -2147483648 + int(up * rate)
            if i:
                serial = max(serial, last + 1)
            cpu, world = RNG.randint(0, 3), RNG.randint(1030, 2300)
            if s == "2009-11-20 22:14:03.000":
                cpu, world = 2, 2185  # the line quoted in the field report
            h.vmk(dt, f"WARNING: NFS: 4590: Can't find call with serial number {serial}", cpu=cpu, world=world)
            last = serial
    for name, h in hosts.items():
        write_lines(f"logs/{name}/messages", h.entries)


# --------------------------------------------------------------------------
# Guests
# --------------------------------------------------------------------------

OK = "\x1b[60G[\x1b[0;32m  OK  \x1b[0;39m]"


def e820(mem_mb, wide):
    top = mem_mb << 20
    fmt = (lambda v: f"{v:016x}") if wide else (lambda v: f"{v:016x}")
    rows = [
        (0x0, 0x9F800, "usable"), (0x9F800, 0xA0000, "reserved"), (0xCA000, 0xCC000, "reserved"),
        (0xDC000, 0xE4000, "reserved"), (0xE8000, 0x100000, "reserved"),
        (0x100000, top - 0x110000, "usable"), (top - 0x110000, top - 0x101000, "ACPI data"),
        (top - 0x101000, top - 0x100000, "ACPI NVS"), (top - 0x100000, top, "usable"),
        (0xFEC00000, 0xFEC10000, "reserved"), (0xFEE00000, 0xFEE01000, "reserved"),
        (0xFFFE0000, 0x100000000, "reserved"),
    ]
    return [f" BIOS-e820: {fmt(a)} - {fmt(b)} ({k})" for a, b, k in rows]


def disk_lines_c5(disks):
    out = []
    for i, (target, gb) in enumerate(disks):
        dev = "sd" + "abcd"[i]
        out += [
            "  Vendor: VMware    Model: Virtual disk      Rev: 1.0 ",
            "  Type:   Direct-Access                      ANSI SCSI revision: 02",
            f" target0:0:{target}: Beginning Domain Validation",
            f" target0:0:{target}: Domain Validation skipping write tests",
            f" target0:0:{target}: Ending Domain Validation",
            f" target0:0:{target}: FAST-40 WIDE SCSI 80.0 MB/s ST (25 ns, offset 127)",
            f"SCSI device {dev}: {gb * 2097152} 512-byte hdwr sectors ({gb * 1074} MB)",
            f"{dev}: Write Protect is off",
            f"SCSI device {dev}: drive cache: write through",
            f" {dev}: {dev}1 {dev}2" if i == 0 else f" {dev}: {dev}1",
            f"sd 0:0:{target}:0: Attached scsi disk {dev}",
        ]
    return out


def console_boot_c5(name, t, mem, disks, services):
    kb = mem * 1024 - 64
    top = mem << 20
    lines = [
        f"Linux version {K5} (mockbuild@builder10.centos.org) (gcc version 4.1.2 20080704 (Red Hat "
        "4.1.2-44)) #1 SMP Mon Aug 24 08:21:56 EDT 2009",
        "Command line: ro root=/dev/VolGroup00/LogVol00 console=tty0 console=ttyS0,9600n8",
        "BIOS-provided physical RAM map:",
        *e820(mem, True),
        "DMI present.",
        "Using APIC driver default",
        "ACPI: PM-Timer IO Port: 0x1008",
        "ACPI: LAPIC (acpi_id[0x00] lapic_id[0x00] enabled)",
        "ACPI: LAPIC (acpi_id[0x01] lapic_id[0x01] enabled)",
        "Processors: 2",
        f"Allocating PCI resources starting at {top + 0x8000000:x} (gap: {top:x}:{0xFEC00000 - top:x})",
        "SMP: Allowing 2 CPUs, 0 hotplug CPUs",
        "Built 1 zonelists.  Total pages: " + str(mem * 256 - 1790),
        "Kernel command line: ro root=/dev/VolGroup00/LogVol00 console=tty0 console=ttyS0,9600n8",
        "Initializing CPU#0",
        "PID hash table entries: 4096 (order: 12, 32768 bytes)",
        "Console: colour VGA+ 80x25",
        f"Memory: {kb - 23 * mem - 1000}k/{kb}k available (2559k kernel code, {23 * mem + 1000}k reserved, "
        "1298k data, 196k init)",
        f"Calibrating delay using timer specific routine.. {5320 + RNG.uniform(-1.5, 1.5):.2f} BogoMIPS "
        f"(lpj={2660100 + RNG.randint(0, 400)})",
        "Brought up 2 CPUs",
        "Fusion MPT base driver 3.04.07rh",
        "Copyright (c) 1999-2008 LSI Corporation",
        "Fusion MPT SPI Host driver 3.04.07rh",
        "mptbase: ioc0: Initiating bringup",
        "ioc0: LSI53C1030 B0: Capabilities={Initiator}",
        "scsi0 : ioc0: LSI53C1030 B0, FwRev=01032920h, Ports=1, MaxQ=128, IRQ=169",
        *disk_lines_c5(disks),
        "kjournald starting.  Commit interval 5 seconds",
        "EXT3-fs: mounted filesystem with ordered data mode.",
        "INIT: version 2.86 booting",
        "                Welcome to  CentOS release 5.3 (Final)",
        "                Press 'I' to enter interactive startup.",
        f"Setting clock  (localtime): {{CLOCK}} {OK}",
        f"Starting udev: {OK}",
        f"Setting hostname {name}.corp.example.net:  {OK}",
        "Setting up Logical Volume Management:   2 logical volume(s) in volume group \"VolGroup00\" now active",
        OK,
        "Checking filesystems",
        f"Mounting local filesystems:  {OK}",
        f"Enabling /etc/fstab swaps:  {OK}",
        "INIT: Entering runlevel: 3",
        "Entering non-interactive startup",
        f"Bringing up loopback interface:  {OK}",
        f"Bringing up interface eth0:  {OK}",
        "e1000: eth0: e1000_watchdog_task: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None",
        f"Starting system logger: {OK}",
        f"Starting kernel logger: {OK}",
        f"Starting irqbalance: {OK}",
        f"Starting portmap: {OK}",
        f"Starting sshd: {OK}",
        f"Starting ntpd: {OK}",
        *[f"Starting {s}: {OK}" for s in services],
        f"Starting snmpd: {OK}",
        f"Starting crond: {OK}",
        f"Starting atd: {OK}",
    ]
    return spread(t, lines)


def console_boot_c4(name, t, mem, disk_gb, services):
    high = max(0, mem - 896)
    low = mem - high - (1 if high == 0 else 0)
    kb = mem * 1024 - 64
    lines = [
        f"Linux version {K4_SMP} (mockbuild@builder16.centos.org) (gcc version 3.4.6 20060404 (Red Hat "
        "3.4.6-11)) #1 SMP Mon Aug 24 08:11:10 EDT 2009",
        "BIOS-provided physical RAM map:",
        *e820(mem, False),
        f"{high}MB HIGHMEM available.",
        f"{low}MB LOWMEM available.",
        "Using x86 segment limits to approximate NX protection",
        "DMI present.",
        "Using APIC driver default",
        "ACPI: PM-Timer IO Port: 0x1008",
        "Enabling APIC mode:  Flat.  Using 1 I/O APICs",
        "Built 1 zonelists",
        "Kernel command line: ro root=LABEL=/ console=tty0 console=ttyS0,9600",
        "Initializing CPU#0",
        "CPU 0 irqstacks, hard=c03f4000 soft=c03f2000",
        "PID hash table entries: 2048 (order: 11, 32768 bytes)",
        f"Detected {2659.99 + RNG.uniform(0, 0.02):.3f} MHz processor.",
        "Using tsc for high-res timesource",
        "Console: colour VGA+ 80x25",
        f"Memory: {kb - 10332}k/{kb}k available (2125k kernel code, 10332k reserved, 664k data, 188k init, "
        f"{high * 1024}k highmem)",
        f"Calibrating delay using timer specific routine.. {5320 + RNG.uniform(-1.5, 1.5):.2f} BogoMIPS "
        f"(lpj={2660100 + RNG.randint(0, 400)})",
        "CPU1: Intel(R) Xeon(R) CPU           E5430  @ 2.66GHz stepping 06",
        "Total of 2 processors activated (10641.08 BogoMIPS).",
        "Brought up 2 CPUs",
        "Fusion MPT base driver 3.12.29.00rh",
        "Copyright (c) 1999-2008 LSI Corporation",
        "mptbase: Initiating ioc0 bringup",
        "ioc0: 53C1030: Capabilities={Initiator}",
        "Fusion MPT SCSI Host driver 3.12.29.00rh",
        "scsi0 : ioc0: LSI53C1030, FwRev=01032920h, Ports=1, MaxQ=128, IRQ=169",
        "  Vendor: VMware    Model: Virtual disk      Rev: 1.0 ",
        "  Type:   Direct-Access                      ANSI SCSI revision: 02",
        f"SCSI device sda: {disk_gb * 2097152} 512-byte hdwr sectors ({disk_gb * 1074} MB)",
        "SCSI device sda: drive cache: write through",
        " sda: sda1 sda2 sda3",
        "Attached scsi disk sda at scsi0, channel 0, id 0, lun 0",
        "EXT3-fs: mounted filesystem with ordered data mode.",
        "INIT: version 2.85 booting",
        "                Welcome to CentOS release 4.8 (Final)",
        "                Press 'I' to enter interactive startup.",
        f"Starting udev:  {OK}",
        f"Setting hostname {name}.corp.example.net:  {OK}",
        f"Checking root filesystem",
        f"/: clean, {RNG.randint(90000, 160000)}/{RNG.randint(900000, 1100000)} files, "
        f"{RNG.randint(400000, 900000)}/{RNG.randint(1900000, 2000000)} blocks",
        OK,
        f"Mounting local filesystems:  {OK}",
        f"Enabling swap space:  {OK}",
        "INIT: Entering runlevel: 3",
        "Entering non-interactive startup",
        f"Bringing up loopback interface:  {OK}",
        f"Bringing up interface eth0:  {OK}",
        f"Starting syslog:  {OK}",
        f"Starting irqbalance:  {OK}",
        f"Starting portmap:  {OK}",
        f"Starting sshd:  {OK}",
        f"Starting ntpd:  {OK}",
        *[f"Starting {s}:  {OK}" for s in services],
        f"Starting crond:  {OK}",
        f"Starting atd:  {OK}",
    ]
    return spread(t, lines)


def spread(t, lines):
    """Stamp boot lines: the kernel's as fast as 9600 baud carries them
    (about 960 characters a second), init's with the scripts' own pauses."""
    out, clock, init = [], t, False
    for line in lines:
        init = init or line.startswith("INIT: version")
        if "{CLOCK}" in line:
            line = line.replace("{CLOCK}", f"{clock.astimezone(TZ):%a %b %d %H:%M:%S %Z %Y}")
        out.append((clock, line))
        clock += timedelta(seconds=(len(line) + 2) / 960 + (RNG.uniform(0.05, 1.4) if init else 0))
    return out


def oops_c5(t, cpu, entry, was, mods, last_sysfs, regs, module_base, idle_tail):
    """RHEL 5 (2.6.18 x86_64) list_del BUG in mptscsih_io_done's interrupt."""
    mptscsih = 0xFFFFFFFF88000000 + module_base[0]
    mptbase = 0xFFFFFFFF88000000 + module_base[1]
    if cpu == 0:
        pid_line = "Pid: 0, comm: swapper Not tainted " + K5 + " #1"
        proc = "Process swapper (pid: 0, threadinfo ffffffff803e6000, task ffffffff802f4ae0)"
        gs = "ffffffff803ac000"
        rsp = "ffffffff80425d00"
    else:
        pid_line = "Pid: 0, comm: swapper Not tainted " + K5 + " #1"
        proc = "Process swapper (pid: 0, threadinfo ffff81003fe82000, task ffff81003fe620c0)"
        gs = "ffff81003fe0e8c0"
        rsp = "ffff81003fe93f20"
    lines = [
        f"list_del corruption. next->prev should be {entry}, but was {was}",
        "----------- [cut here ] --------- [please bite here ] ---------",
        "Kernel BUG at lib/list_debug.c:70",
        "invalid opcode: 0000 [1] SMP ",
        f"last sysfs file: {last_sysfs}",
        f"CPU {cpu} ",
        f"Modules linked in: {mods}",
        pid_line,
        "RIP: 0010:[<ffffffff8014c562>]  [<ffffffff8014c562>] list_del+0x48/0x71",
        f"RSP: 0018:{rsp}  EFLAGS: 00010082",
        f"RAX: 0000000000000058 RBX: {entry} RCX: ffffffff802f7aa8",
        f"RDX: ffffffff802f7aa8 RSI: 0000000000000000 RDI: ffffffff802f7aa0",
        f"RBP: {was} R08: ffffffff802f7aa8 R09: 0000000000000046",
        f"R10: {regs[0]} R11: 0000000000000280 R12: {regs[1]}",
        f"R13: 0000000000000286 R14: {regs[1]} R15: 0000000000000000",
        f"FS:  0000000000000000(0000) GS:{gs}(0000) knlGS:0000000000000000",
        "CS:  0010 DS: 0018 ES: 0018 CR0: 000000008005003b",
        f"CR2: {regs[2]} CR3: {regs[3]} CR4: 00000000000006e0",
        proc,
        f"Stack:  {entry[:-2]}00 {mptscsih + 0xA7E:016x} {regs[1]} 0000000000000000",
        f" {regs[4]} 0000000000000000 {regs[1]} {entry[:-2]}00",
        f" 0000000000000002 {mptbase + 0xE8C:016x} 0000000000000000 0000000000000000",
        "Call Trace:",
        f" <IRQ>  [<{mptscsih + 0xA7E:016x}>] :mptscsih:mptscsih_io_done+0x5ee/0x608",
        f" [<{mptbase + 0xE8C:016x}>] :mptbase:mpt_interrupt+0x522/0x5a4",
        " [<ffffffff80010ad7>] handle_IRQ_event+0x51/0xa6",
        " [<ffffffff800bb2a5>] __do_IRQ+0xa4/0x103",
        " [<ffffffff8006c9e1>] do_IRQ+0xe7/0xf5",
        " [<ffffffff8005d615>] ret_from_intr+0x0/0xa",
        " <EOI>  [<ffffffff8006b6e1>] default_idle+0x29/0x50",
        " [<ffffffff80048f62>] cpu_idle+0x95/0xb8",
        *idle_tail,
        "",
        "",
        "Code: 0f 0b 68 fd 8a 2b 80 c2 46 00 48 8b 03 48 8b 50 08 48 39 da ",
        "RIP  [<ffffffff8014c562>] list_del+0x48/0x71",
        f" RSP <{rsp}>",
        " <0>Kernel panic - not syncing: Fatal exception",
    ]
    # ~960 characters a second at 9600 baud
    out, clock = [], t
    for line in lines:
        out.append((clock, line))
        clock += timedelta(seconds=(len(line) + 2) / 960)
    return out


C5_MODS = (
    "ipv6 xfrm_nalgo crypto_api autofs4 sunrpc dm_mirror dm_multipath scsi_dh video backlight sbs "
    "power_meter hwmon i2c_ec i2c_core button battery asus_acpi acpi_memhotplug ac parport_pc lp parport "
    "floppy pcspkr e1000 dm_raid45 dm_message dm_region_hash dm_log dm_mod dm_mem_cache ata_piix libata "
    "mptspi mptscsih mptbase scsi_transport_spi sd_mod scsi_mod ext3 jbd uhci_hcd ohci_hcd ehci_hcd"
)


def oops_c4(t, cpu, proc, regs, stack, tail):
    """RHEL 4 (2.6.9 i386) NMI watchdog lockup in .text.lock.scsi_error."""
    lines = [
        f"NMI Watchdog detected LOCKUP on CPU{cpu}, eip f883b299, registers:",
        "Modules linked in: md5 ipv6 autofs4 sunrpc dm_mirror dm_mod button battery ac pcnet32 mii floppy "
        "ext3 jbd mptscsi mptbase sd_mod scsi_mod",
        f"CPU:    {cpu}",
        "EIP:    0060:[<f883b299>]    Not tainted VLI",
        f"EFLAGS: 00000086   ({K4_SMP}) ",
        "EIP is at .text.lock.scsi_error+0x19/0x34 [scsi_mod]",
        f"eax: {regs[0]}   ebx: {regs[1]}   ecx: 00000000   edx: {regs[2]}",
        f"esi: {regs[0]}   edi: {regs[0]}   ebp: 00000000   esp: {regs[3]}",
        "ds: 007b   es: 007b   ss: 0068",
        proc,
        f"Stack: {regs[1]} 00000000 f88c19ce {regs[1]} {regs[0]} 00000000 00000001 {stack[0]} ",
        f"       f886b0c9 {stack[0]} 00000000 00000246 00000000 c01074b2 {stack[1]} 000000a9 ",
        "Call Trace:",
        " [<f88c19ce>] mptscsih_io_done+0x5ee/0x608 [mptscsi]",
        " [<f886b0c9>] mpt_interrupt+0x6d6/0x7c3 [mptbase]",
        " [<c01074b2>] handle_IRQ_event+0x25/0x4f",
        " [<c0107a13>] do_IRQ+0x11c/0x1ae",
        " =======================",
        " [<c02de564>] common_interrupt+0x18/0x20",
        *tail,
        "Code: 00 e9 4a fc ff ff f3 90 80 bb 24 01 00 00 00 7e f5 e9 80 fc ff ff f3 90 80 bb 24 01 00 00 00 7e f5 "
        "e9 1b fd ff ff ",
        "console shuts up ...",
        " <0>Kernel panic - not syncing: nmi watchdog",
    ]
    out, clock = [], t
    for line in lines:
        out.append((clock, line))
        clock += timedelta(seconds=(len(line) + 2) / 960)
    return out


def c5_abort(sc, target, lba):
    b = lba.to_bytes(4, "big")
    return [
        f"mptscsih: ioc0: attempting task abort! (sc={sc})",
        f"sd 0:0:{target}:0: ",
        f"        command: Write(10): 2a 00 {b[0]:02x} {b[1]:02x} {b[2]:02x} {b[3]:02x} 00 00 08 00",
        f"mptscsih: ioc0: task abort: SUCCESS (sc={sc})",
    ]


def c4_abort(sc, lba):
    b = lba.to_bytes(4, "big")
    return [
        f"mptscsih: ioc0: attempting task abort! (sc={sc})",
        "scsi0 : destination target 0, lun 0",
        f"        command = Write (10) 00 {b[0]:02x} {b[1]:02x} {b[2]:02x} {b[3]:02x} 00 00 08 00 ",
        f"mptscsih: ioc0: task abort: SUCCESS (sc={sc})",
    ]


def at(s, lines, step=0.0):
    t = local(s)
    return [(t + timedelta(seconds=step * i), line) for i, line in enumerate(lines)]


def write_console(guest, entries):
    entries = sorted(entries, key=lambda e: e[0])
    write(f"logs/{guest}/console.log", "".join(console_stamp(t) + line + "\n" for t, line in entries))


def consoles():
    # db04: CentOS 4.8, 2 vCPU, 1 GB, crash Sep 9
    e = console_boot_c4("db04", local(GUEST_BOOTS_AUG29["db04"]), 1024, 16, ["mysqld", "sendmail", "snmpd"])
    e += at("2009-08-29 06:22:58", ["Losing some ticks... checking if CPU frequency changed."])
    e += at("2009-09-02 22:11:49", c4_abort("f6b2c840", 0x004A1C27), step=0.02)
    e += at("2009-09-09 22:06:55", c4_abort("f6b2c2c0", 0x005F0B17), step=0.02)
    e += oops_c4(
        local("2009-09-09 22:08:31"), 1,
        "Process mysqld (pid: 3127, threadinfo=f5d3a000 task=f6c5c0b0)",
        ["f7d6a000", "f6b2c2c0", "f7d6a1c4", "f5d3bf48"], ["f7c4e400", "f5d3bfa4"],
        [" [<c02ddb54>] system_call+0x0/0x30"],
    )
    write_console("db04", e)

    # db06: CentOS 5.3, 2 vCPU, 3 GB, crash Oct 6
    e = console_boot_c5("db06", local(GUEST_BOOTS_AUG29["db06"]), 3072, [(0, 16), (1, 120)], ["mysqld", "sendmail"])
    e += at("2009-08-29 06:16:02", [
        "warning: many lost ticks.",
        "Your time source seems to be instable or some driver is hogging interupts",
        "rip __do_softirq+0x51/0x133",
    ])
    e += at("2009-10-04 21:52:37", c5_abort("ffff81007c3e6080", 1, 0x013C8B3F), step=0.02)
    e += at("2009-10-06 22:28:47", c5_abort("ffff81006f2d4c80", 1, 0x01A2D0C7), step=0.02)
    e += oops_c5(
        local("2009-10-06 22:31:14"), 0, "ffff81006f2d4c28", "ffff8100b1c04c28", C5_MODS,
        "/devices/pci0000:00/0000:00:10.0/host0/target0:0:1/0:0:1:0/timeout",
        ["ffffffff80425a00", "ffff8100bd2f0000", "00002aaab2f1d000", "00000000bd5f2000", "ffff8100bc91a4c0"],
        (0xA2000, 0x7A000),
        [" [<ffffffff803ef80f>] start_kernel+0x220/0x225", " [<ffffffff803ef22f>] _sinittext+0x22f/0x236"],
    )
    write_console("db06", e)

    # mail01: CentOS 4.8, 2 vCPU, 512 MB, P2V, vmswap on iSCSI, crash Oct 29
    e = console_boot_c4("mail01", local(GUEST_BOOTS_AUG29["mail01"]), 512, 8, ["sendmail", "spamassassin", "dovecot"])
    e += at("2009-08-29 06:34:12", ["Losing some ticks... checking if CPU frequency changed."])
    e += at("2009-10-21 21:55:44", c4_abort("f6a3e4c0", 0x00712A9F), step=0.02)
    e += at("2009-10-29 22:01:41", c4_abort("f6a3e0c0", 0x0071E3A7), step=0.02)
    e += at("2009-10-29 22:03:40", c4_abort("f6a3e6c0", 0x0038C10F), step=0.02)
    e += oops_c4(
        local("2009-10-29 22:04:07"), 0,
        "Process swapper (pid: 0, threadinfo=c03ed000 task=c0330be0)",
        ["f7d4a000", "f6a3e6c0", "f7d4a1c4", "c03edf48"], ["f7c1c400", "c03edfa4"],
        [" [<c01040e4>] default_idle+0x23/0x26", " [<c0104138>] cpu_idle+0x1f/0x34",
         " [<c03b06a5>] start_kernel+0x214/0x216"],
    )
    write_console("mail01", e)

    # web03: CentOS 5.3, 2 vCPU, 1.5 GB, crash Nov 17 (EST)
    e = console_boot_c5("web03", local(GUEST_BOOTS_AUG29["web03"]), 1536, [(0, 16)], ["httpd"])
    e += at("2009-11-17 22:19:41", c5_abort("ffff81004d2a3b80", 0, 0x00D3AACF), step=0.02)
    e += at("2009-11-17 22:19:41.200", [
        "sd 0:0:0:0: timing out command, waited 180s",
        "sd 0:0:0:0: SCSI error: return code = 0x06000000",
        "end_request: I/O error, dev sda, sector 13871823",
        "Buffer I/O error on device dm-0, logical block 1601230",
        "lost page write due to I/O error on dm-0",
    ], step=0.02)
    e += oops_c5(
        local("2009-11-17 22:22:08"), 1, "ffff81004d2a3b28", "ffff810052e17b28", C5_MODS,
        "/devices/pci0000:00/0000:00:10.0/host0/target0:0:0/0:0:0:0/timeout",
        ["ffff81003fe93c20", "ffff81005d3c8000", "00002b4f1c6e2000", "000000004e8f3000", "ffff81005c2b97c0"],
        (0xA6000, 0x7E000),
        [" [<ffffffff80077991>] start_secondary+0x498/0x4a7"],
    )
    write_console("web03", e)


# --- guest syslog (/var/log/messages), RFC 3164 ------------------------------


def c5_boot_syslog(sl, t, kernel, mem, after_crash, ntp_pid, serial_console=True):
    kb = mem * 1024 - 64
    build = {K5: "Mon Aug 24 08:21:56 EDT 2009", K5_PINNED: "Wed Apr 22 16:29:03 EDT 2009"}[kernel]
    lines = [
        ("syslogd 1.4.1", "restart."),
        ("kernel", "klogd 1.4.1, log source = /proc/kmsg started."),
        ("kernel", f"Linux version {kernel} (mockbuild@builder10.centos.org) (gcc version 4.1.2 20080704 "
                   f"(Red Hat 4.1.2-44)) #1 SMP {build}"),
        ("kernel", "Command line: ro root=/dev/VolGroup00/LogVol00 "
                   + ("console=tty0 console=ttyS0,9600n8" if serial_console else "rhgb quiet")),
        ("kernel", "BIOS-provided physical RAM map:"),
        *[("kernel", x) for x in e820(mem, True)],
        ("kernel", "DMI present."),
        ("kernel", "SMP: Allowing 2 CPUs, 0 hotplug CPUs"),
        ("kernel", f"Memory: {kb - 23 * mem - 1000}k/{kb}k available (2559k kernel code, {23 * mem + 1000}k "
                   "reserved, 1298k data, 196k init)"),
        ("kernel", "Brought up 2 CPUs"),
        ("kernel", "Fusion MPT base driver 3.04.07rh"),
        ("kernel", "mptbase: ioc0: Initiating bringup"),
        ("kernel", "scsi0 : ioc0: LSI53C1030 B0, FwRev=01032920h, Ports=1, MaxQ=128, IRQ=169"),
        ("kernel", "sd 0:0:0:0: Attached scsi disk sda"),
    ]
    if after_crash:
        lines += [
            ("kernel", "kjournald starting.  Commit interval 5 seconds"),
            ("kernel", "EXT3-fs: dm-0: 1 orphan inode deleted"),
            ("kernel", "EXT3-fs: recovery complete."),
        ]
    lines += [
        ("kernel", "EXT3-fs: mounted filesystem with ordered data mode."),
        ("kernel", "e1000: eth0: e1000_watchdog_task: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None"),
    ]
    for i, (prog, text) in enumerate(lines):
        sl.add(t + timedelta(seconds=i // 12), prog, text)
    n = t + timedelta(seconds=9)
    sl.add(n, f"ntpd[{ntp_pid}]", "ntpd 4.2.2p1@1.1570-o Thu Jan 22 14:38:43 UTC 2009 (1)")
    sl.add(n + timedelta(minutes=4, seconds=RNG.randint(0, 59)), f"ntpd[{ntp_pid}]",
           f"synchronized to {NTP}, stratum 2")


def c4_boot_syslog(sl, t, mem, after_crash, ntp_pid):
    high = max(0, mem - 896)
    low = mem - high - (1 if high == 0 else 0)
    lines = [
        ("syslogd 1.4.1", "restart."),
        ("syslog", "syslogd startup succeeded"),
        ("kernel", "klogd 1.4.1, log source = /proc/kmsg started."),
        ("kernel", f"Linux version {K4_SMP} (mockbuild@builder16.centos.org) (gcc version 3.4.6 20060404 "
                   "(Red Hat 3.4.6-11)) #1 SMP Mon Aug 24 08:11:10 EDT 2009"),
        ("kernel", f"{high}MB HIGHMEM available."),
        ("kernel", f"{low}MB LOWMEM available."),
        ("kernel", "Kernel command line: ro root=LABEL=/ console=tty0 console=ttyS0,9600"),
        ("kernel", "Total of 2 processors activated (10641.08 BogoMIPS)."),
        ("kernel", "Fusion MPT base driver 3.12.29.00rh"),
        ("kernel", "scsi0 : ioc0: LSI53C1030, FwRev=01032920h, Ports=1, MaxQ=128, IRQ=169"),
        ("kernel", "Attached scsi disk sda at scsi0, channel 0, id 0, lun 0"),
    ]
    if after_crash:
        lines += [
            ("kernel", "EXT3-fs: INFO: recovery required on readonly filesystem."),
            ("kernel", "EXT3-fs: write access will be enabled during recovery."),
            ("kernel", "kjournald starting.  Commit interval 5 seconds"),
            ("kernel", "EXT3-fs: recovery complete."),
        ]
    lines += [
        ("kernel", "EXT3-fs: mounted filesystem with ordered data mode."),
        ("syslog", "klogd startup succeeded"),
        ("kernel", "pcnet32: eth0: link up, 100Mbps, full-duplex, lpa 0x45E1"),
        ("kernel", "Losing some ticks... checking if CPU frequency changed."),
    ]
    for i, (prog, text) in enumerate(lines):
        sl.add(t + timedelta(seconds=i // 12), prog, text)
    sl.add(t + timedelta(seconds=14), f"ntpd[{ntp_pid}]", f"synchronized to {NTP}, stratum 2")


def routine(sl, start, end, snmp="5.3", ntp_pid=2263, snmp_pid=2472):
    """Ordinary lines between start and end (local datetimes): cacti's SNMP
    polls every five minutes (net-snmp 5.3 on CentOS 5, 5.1 on CentOS 4)
    and ntpd stepping the clock of a VM now and then."""
    t = start
    while t < end:
        if snmp == "5.3":
            text = f"Connection from UDP: [{CACTI}]:{RNG.randint(32768, 61000)}"
        else:
            text = f"Connection from {CACTI}"
        sl.add(t + timedelta(seconds=RNG.randint(0, 2)), f"snmpd[{snmp_pid}]", text)
        t += timedelta(minutes=5)
    t = start
    while t < end:
        t += timedelta(hours=RNG.randint(9, 30), minutes=RNG.randint(0, 59), seconds=RNG.randint(0, 59))
        if t < end:
            sl.add(t, f"ntpd[{ntp_pid}]", f"time reset {RNG.choice(['+', '-'])}{RNG.uniform(0.13, 0.62):.6f} s")
            sl.add(t + timedelta(minutes=RNG.randint(5, 12), seconds=RNG.randint(0, 59)), f"ntpd[{ntp_pid}]",
                   f"synchronized to {NTP}, stratum 2")


def guest_syslogs():
    # app07: CentOS 5.2 on the pinned 128.1.10 kernel; crash Aug 18 known only
    # from monitoring (no serial console yet). Syslog stops, then the reset.
    sl = Syslog("app07")
    start = local("2009-08-16 04:02:04")
    sl.add(start, "syslogd 1.4.1", "restart.")
    crash = local("2009-08-18 22:17")
    boot = local("2009-08-18 22:58:31")
    routine(sl, start + timedelta(seconds=56), crash - timedelta(minutes=1), snmp_pid=2388, ntp_pid=2190)
    sl.add(local("2009-08-17 09:44:12"), "yum", "Installed: sysstat-7.0.2-3.el5.x86_64")
    for i, line in enumerate(c5_abort("ffff810069d1a0c0", 0, 0x00A51E07)):
        sl.add(local("2009-08-18 22:10:12") + timedelta(milliseconds=20 * i), "kernel", line)
    c5_boot_syslog(sl, boot, K5_PINNED, 2048, True, 2193, serial_console=False)
    routine(sl, boot + timedelta(seconds=40), local("2009-08-19 07:00"), snmp_pid=2391, ntp_pid=2193)
    write_lines("logs/app07/messages", sl.entries)

    # db06: CentOS 5.3, crash Oct 6 22:31 (console has the oops)
    sl = Syslog("db06")
    start = local("2009-10-04 04:02:03")
    sl.add(start, "syslogd 1.4.1", "restart.")
    crash = local("2009-10-06 22:31:14")
    boot = local("2009-10-06 22:48:09")
    routine(sl, start + timedelta(seconds=57), crash - timedelta(seconds=70), snmp_pid=2472, ntp_pid=2263)
    for i, line in enumerate(c5_abort("ffff81007c3e6080", 1, 0x013C8B3F)):
        sl.add(local("2009-10-04 21:52:37") + timedelta(milliseconds=20 * i), "kernel", line)
    for i, line in enumerate(c5_abort("ffff81006f2d4c80", 1, 0x01A2D0C7)):
        sl.add(local("2009-10-06 22:28:47") + timedelta(milliseconds=20 * i), "kernel", line)
    c5_boot_syslog(sl, boot, K5, 3072, True, 2258)
    routine(sl, boot + timedelta(seconds=40), local("2009-10-07 08:00"), snmp_pid=2469, ntp_pid=2258)
    write_lines("logs/db06/messages", sl.entries)

    # mail01: CentOS 4.8 (P2V), crash Oct 29 22:04; no snmpd logging on 4.x
    sl = Syslog("mail01")
    start = local("2009-10-25 04:02:02")
    sl.add(start, "syslogd 1.4.1", "restart.")
    crash = local("2009-10-29 22:04:07")
    boot = local("2009-10-29 22:26:40")
    routine(sl, start + timedelta(seconds=58), crash - timedelta(seconds=40), snmp="5.1", ntp_pid=2871,
            snmp_pid=2655)
    for when, sc, lba in [("2009-10-29 22:01:41", "f6a3e0c0", 0x0071E3A7),
                          ("2009-10-29 22:03:40", "f6a3e6c0", 0x0038C10F)]:
        for i, line in enumerate(c4_abort(sc, lba)):
            sl.add(local(when) + timedelta(milliseconds=20 * i), "kernel", line)
    c4_boot_syslog(sl, boot, 512, True, 2874)
    routine(sl, boot + timedelta(seconds=40), local("2009-10-30 08:00"), snmp="5.1", ntp_pid=2874, snmp_pid=2651)
    write_lines("logs/mail01/messages", sl.entries)

    # web03: CentOS 5.3, crash Nov 17 22:22 (EST)
    sl = Syslog("web03")
    start = local("2009-11-15 04:02:02")
    sl.add(start, "syslogd 1.4.1", "restart.")
    crash = local("2009-11-17 22:22:08")
    boot = local("2009-11-17 22:39:52")
    routine(sl, start + timedelta(seconds=58), crash - timedelta(seconds=50), snmp_pid=2501, ntp_pid=2288)
    lines = c5_abort("ffff81004d2a3b80", 0, 0x00D3AACF) + [
        "sd 0:0:0:0: timing out command, waited 180s",
        "sd 0:0:0:0: SCSI error: return code = 0x06000000",
        "end_request: I/O error, dev sda, sector 13871823",
        "Buffer I/O error on device dm-0, logical block 1601230",
        "lost page write due to I/O error on dm-0",
    ]
    for i, line in enumerate(lines):
        sl.add(local("2009-11-17 22:19:41") + timedelta(milliseconds=20 * i), "kernel", line)
    c5_boot_syslog(sl, boot, K5, 1536, True, 2284)
    routine(sl, boot + timedelta(seconds=40), local("2009-11-18 08:00"), snmp_pid=2497, ntp_pid=2284)
    write_lines("logs/web03/messages", sl.entries)


# NFS advanced settings as the admin found them on every host (the field
# report's update of 2009-11-20): defaults but for HeartbeatFrequency and
# HeartbeatMaxFailures, set per the filer vendor's guide.
NFS_SETTINGS = [
    ("IndirectSend", 0), ("DiskFileLockUpdate", 10), ("LockUpdateTimeout", 5),
    ("LockRenewMaxFailureNumber", 3), ("LockDisable", 0), ("HeartbeatFrequency", 12),
    ("HeartbeatTimeout", 5), ("HeartbeatDelta", 5), ("HeartbeatMaxFailures", 10),
    ("MaxVolumes", 8), ("SendBufferSize", 264), ("ReceiveBufferSize", 128),
    ("VolumeRemountFrequency", 30), ("UDPRetransmitDelay", 700),
]


def esx_outputs():
    """Saved service-console sessions, one per host, for `faultline collect
    --esx` (ESX 3.5 has no esxcli: esxcfg-advcfg -g, one option at a time)."""
    builds = {"esx01": "207095", "esx02": "207095", "esx03": "207095", "esx04": "207095"}
    for h in sorted(HOSTS):
        lines = [f"[root@{h} ~]# hostname", f"{h}.example.com",
                 f"[root@{h} ~]# vmware -v", f"VMware ESX Server 3.5.0 build-{builds[h]}"]
        for name, value in NFS_SETTINGS:
            lines.append(f"[root@{h} ~]# esxcfg-advcfg -g /NFS/{name}")
            lines.append(f"Value of {name} is {value}")
        for name, value in (("TcpipHeapSize", 30), ("TcpipHeapMax", 120)):
            lines.append(f"[root@{h} ~]# esxcfg-advcfg -g /Net/{name}")
            lines.append(f"Value of {name} is {value}")
        lines.append(f"[root@{h} ~]# exit")
        write(f"esx-outputs/{h}.txt", "\n".join(lines) + "\n")


def main():
    write_toml()
    write_inventory()
    write_placements()
    write_events()
    write_crashes()
    esx_logs()
    consoles()
    guest_syslogs()
    esx_outputs()


if __name__ == "__main__":
    main()
