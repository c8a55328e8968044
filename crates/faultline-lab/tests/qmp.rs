//! The QMP client against a scripted fake server (handshake, events in
//! order, errors, malformed and oversized lines, a server that vanishes) and,
//! when `qemu-system-x86_64` is installed, against a real QEMU.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use faultline_lab::qmp::{GuestSignal, Qmp, QmpError, QmpEvent};
use serde_json::{Value, json};

const GREETING: &str = r#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "fake"}, "capabilities": ["oob"]}}"#;

fn event(name: &str, data: Value) -> String {
    json!({
        "timestamp": {"seconds": 1_700_000_000u64, "microseconds": 250_000},
        "event": name,
        "data": data,
    })
    .to_string()
}

/// The fake server's side of one connection.
struct Peer {
    r: BufReader<UnixStream>,
    w: UnixStream,
}

impl Peer {
    fn send(&mut self, line: &str) {
        self.w.write_all(line.as_bytes()).unwrap();
        self.w.write_all(b"\r\n").unwrap();
    }

    /// Reads one command; returns its name and id.
    fn command(&mut self) -> (String, Value) {
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).expect("client sent JSON");
        (
            v["execute"].as_str().unwrap_or("").to_string(),
            v["id"].clone(),
        )
    }

    fn reply(&mut self, id: &Value, ret: Value) {
        self.send(&json!({"return": ret, "id": id}).to_string());
    }

    /// Greeting and capabilities negotiation, with an event in between.
    fn handshake(&mut self) {
        self.send(GREETING);
        let (cmd, id) = self.command();
        assert_eq!(cmd, "qmp_capabilities");
        self.send(&event("STOP", json!({})));
        self.reply(&id, json!({}));
    }
}

/// A socket in a fresh folder and a thread serving one connection with `f`.
fn fake_server(
    f: impl FnOnce(Peer) + Send + 'static,
) -> (tempfile::TempDir, PathBuf, JoinHandle<()>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qmp.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let h = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let peer = Peer {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        };
        f(peer);
    });
    (dir, path, h)
}

fn connect(path: &Path) -> Qmp {
    Qmp::connect(path, Duration::from_secs(5)).expect("connect")
}

/// Every event until the connection ends.
fn drain(q: &mut Qmp) -> Vec<QmpEvent> {
    let mut out = Vec::new();
    loop {
        match q.next_event(Duration::from_secs(5)) {
            Ok(Some(e)) => out.push(e),
            Ok(None) => panic!("no event and no close within 5 s"),
            Err(QmpError::Closed) => return out,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn handshake_events_and_replies_in_order() {
    let (_dir, path, server) = fake_server(|mut p| {
        p.handshake();
        p.send(&event(
            "RESET",
            json!({"guest": true, "reason": "guest-reset"}),
        ));
        let (cmd, id) = p.command();
        assert_eq!(cmd, "query-status");
        p.send(&event(
            "BLOCK_IO_ERROR",
            json!({"device": "virtio0", "node-name": "n0", "operation": "write",
                   "action": "report", "nospace": false, "reason": "Input/output error"}),
        ));
        p.reply(&id, json!({"status": "running", "running": true}));
        let (cmd, id) = p.command();
        assert_eq!(cmd, "no-such-command");
        p.send(
            &json!({"error": {"class": "CommandNotFound", "desc": "The command no-such-command has not been found"}, "id": id})
                .to_string(),
        );
        let (cmd, id) = p.command();
        assert_eq!(cmd, "human-monitor-command");
        p.reply(&id, json!("ok\r\n"));
        p.send(&event(
            "GUEST_PANICKED",
            json!({"action": "pause", "info": {"type": "hyper-v", "arg1": 30, "arg2": 0, "arg3": 0, "arg4": 0, "arg5": 0}}),
        ));
        p.send(&event(
            "SHUTDOWN",
            json!({"guest": true, "reason": "guest-panic"}),
        ));
        // Dropping the peer closes the socket.
    });
    let mut q = connect(&path);
    assert_eq!(q.greeting()["version"]["qemu"]["major"], 10);
    assert_eq!(q.query_status().unwrap(), "running");
    match q.execute("no-such-command", None) {
        Err(QmpError::Command { class, .. }) => assert_eq!(class, "CommandNotFound"),
        other => panic!("{other:?}"),
    }
    let r = q
        .execute(
            "human-monitor-command",
            Some(json!({"command-line": "info version"})),
        )
        .unwrap();
    assert_eq!(r, json!("ok\r\n"));
    let events = drain(&mut q);
    server.join().unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "STOP",
            "RESET",
            "BLOCK_IO_ERROR",
            "GUEST_PANICKED",
            "SHUTDOWN"
        ]
    );
    assert!((events[0].timestamp_s - 1_700_000_000.25).abs() < 1e-6);
    assert_eq!(
        events[2].signal(),
        GuestSignal::IoError {
            device: "virtio0".into(),
            reason: "write error: Input/output error (action report)".into()
        }
    );
    match events[3].signal() {
        GuestSignal::Panicked { detail } => {
            assert!(detail.contains("action pause"), "{detail}");
            assert!(detail.contains("arg1=0x1e"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        events[4].signal(),
        GuestSignal::Shutdown {
            reason: "guest-panic".into()
        }
    );
    assert!(q.is_closed());
    assert!(q.poll_events().is_empty());
    assert!(q.take_errors().is_empty());
    assert!(matches!(
        q.query_status(),
        Err(QmpError::Closed | QmpError::Io(_))
    ));
}

#[test]
fn poll_events_returns_what_was_read_after_close() {
    let (_dir, path, server) = fake_server(|mut p| {
        p.handshake();
        p.send(&event("GUEST_PANICKED", json!({"action": "pause"})));
        p.send(&event("STOP", json!({})));
    });
    let mut q = connect(&path);
    server.join().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut got = Vec::new();
    while !q.is_closed() && Instant::now() < deadline {
        got.extend(q.poll_events());
        std::thread::sleep(Duration::from_millis(10));
    }
    got.extend(q.poll_events());
    let names: Vec<&str> = got.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["STOP", "GUEST_PANICKED", "STOP"]);
    assert!(q.is_closed());
    assert_eq!(
        got[1].signal(),
        GuestSignal::Panicked {
            detail: "guest panicked (action pause)".into()
        }
    );
}

#[test]
fn malformed_and_huge_lines_are_errors_not_panics() {
    let (_dir, path, server) = fake_server(|mut p| {
        p.handshake();
        let (_, _id) = p.command();
        // The reply to query-status is garbage.
        p.send("this is {not json");
        // Out-of-band garbage, then an oversized line, then a good event:
        // the reader survives both.
        p.send("[1, 2, 3]");
        let huge = "x".repeat(faultline_lab::qmp::MAX_LINE + 100);
        p.send(&format!("{{\"event\": \"{huge}\"}}"));
        p.send(&event("WATCHDOG", json!({"action": "reset"})));
    });
    let mut q = connect(&path);
    match q.query_status() {
        Err(QmpError::Protocol(m)) => assert!(m.contains("this is {not json"), "{m}"),
        other => panic!("{other:?}"),
    }
    let events = drain(&mut q);
    server.join().unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["STOP", "WATCHDOG"]);
    assert_eq!(
        events[1].signal(),
        GuestSignal::Watchdog {
            action: "reset".into()
        }
    );
    let errors: Vec<String> = q.take_errors().iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("[1, 2, 3]"), "{errors:?}");
    assert!(errors[1].contains("longer than"), "{errors:?}");
}

#[test]
fn server_closing_mid_command_fails_fast() {
    let (_dir, path, server) = fake_server(|mut p| {
        p.handshake();
        let (cmd, _) = p.command();
        assert_eq!(cmd, "query-status");
    });
    let mut q = connect(&path);
    let t = Instant::now();
    assert!(matches!(q.query_status(), Err(QmpError::Closed)));
    assert!(t.elapsed() < Duration::from_secs(5));
    server.join().unwrap();
    // quit on a closed connection is not an error: QEMU is gone either way.
    assert!(q.quit().is_ok());
}

#[test]
fn server_closing_during_greeting() {
    let (_dir, path, server) = fake_server(|mut p| {
        p.w.write_all(br#"{"QMP": {"vers"#).unwrap();
    });
    let r = Qmp::connect(&path, Duration::from_secs(5));
    server.join().unwrap();
    match r {
        Err(QmpError::Protocol(_) | QmpError::Closed) => {}
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn silent_server_times_out() {
    let (_dir, path, server) = fake_server(|mut p| {
        p.send(GREETING);
        let _ = p.command();
        std::thread::sleep(Duration::from_millis(1500));
    });
    let t = Instant::now();
    let r = Qmp::connect(&path, Duration::from_millis(500));
    assert!(matches!(r, Err(QmpError::Timeout { .. })));
    assert!(t.elapsed() < Duration::from_secs(2));
    server.join().unwrap();
}

#[test]
fn connect_waits_for_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.sock");
    let p2 = path.clone();
    let server = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let listener = UnixListener::bind(&p2).unwrap();
        let (s, _) = listener.accept().unwrap();
        let mut p = Peer {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        };
        p.handshake();
        let (cmd, id) = p.command();
        assert_eq!(cmd, "quit");
        p.reply(&id, json!({}));
    });
    let mut q = connect(&path);
    q.quit().unwrap();
    server.join().unwrap();

    // And gives up on a socket that never appears.
    let t = Instant::now();
    let r = Qmp::connect(&dir.path().join("never.sock"), Duration::from_millis(300));
    assert!(matches!(r, Err(QmpError::Connect { .. })));
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn classification_of_odd_events() {
    let ev = |name: &str, data: Value| QmpEvent {
        name: name.into(),
        data,
        timestamp_s: 0.0,
    };
    assert_eq!(
        ev("GUEST_CRASHLOADED", json!({"action": "run"})).signal(),
        GuestSignal::Panicked {
            detail: "guest panicked and loaded a crash kernel (action run)".into()
        }
    );
    assert_eq!(
        ev("SHUTDOWN", Value::Null).signal(),
        GuestSignal::Shutdown {
            reason: "unknown".into()
        }
    );
    assert_eq!(
        ev(
            "BLOCK_IO_ERROR",
            json!({"device": "", "node-name": "disk0"})
        )
        .signal(),
        GuestSignal::IoError {
            device: "disk0".into(),
            reason: "I/O error".into()
        }
    );
    assert_eq!(ev("STOP", json!({})).signal(), GuestSignal::Other);
    assert_eq!(ev("GUEST_PANICKED", json!(42)).signal(), {
        GuestSignal::Panicked {
            detail: "guest panicked".into(),
        }
    });
}

#[test]
fn real_qemu_query_status_and_quit() {
    if !faultline_lab::runner::on_path("qemu-system-x86_64") {
        eprintln!("skipped: qemu-system-x86_64 is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("qmp.sock");
    let mut child = Command::new("qemu-system-x86_64")
        .args(["-machine", "none", "-nodefaults", "-display", "none"])
        .arg("-qmp")
        .arg(format!("unix:{},server=on,wait=off", sock.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting qemu-system-x86_64");
    let result = (|| -> Result<(String, Vec<QmpEvent>), QmpError> {
        let mut q = Qmp::connect(&sock, Duration::from_secs(20))?;
        let status = q.query_status()?;
        q.quit()?;
        let mut events = Vec::new();
        loop {
            match q.next_event(Duration::from_secs(10)) {
                Ok(Some(e)) => events.push(e),
                Ok(None) => break,
                Err(QmpError::Closed) => break,
                Err(e) => return Err(e),
            }
        }
        Ok((status, events))
    })();
    let deadline = Instant::now() + Duration::from_secs(10);
    let exited = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (status, events) = result.expect("QMP with a real QEMU");
    eprintln!("real QEMU: status {status}, events {events:?}, exit {exited:?}");
    assert!(!status.is_empty());
    assert!(exited.is_some(), "QEMU did not exit after quit");
    assert!(events.iter().any(|e| e.signal()
        == GuestSignal::Shutdown {
            reason: "host-qmp-quit".into()
        }));
}
