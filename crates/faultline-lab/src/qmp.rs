//! A small QMP (QEMU Machine Protocol) client over a Unix socket: the
//! connection handshake, commands with replies matched by id, and the
//! asynchronous events (`GUEST_PANICKED`, `SHUTDOWN`, `BLOCK_IO_ERROR`, ...)
//! that tell the lab runner what happened to a guest while it ran.
//!
//! QEMU is started with `-qmp unix:PATH,server=on,wait=off`. A background
//! thread reads the socket (one JSON object per line) and hands every message
//! to the [`Qmp`] through a channel; events are queued until
//! [`Qmp::poll_events`] or [`Qmp::next_event`] takes them, replies go to the
//! [`Qmp::execute`] waiting for them.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Longest message accepted; QEMU's are a few KiB at most, so anything
/// longer is a broken peer, not something worth buffering.
pub const MAX_LINE: usize = 1 << 20;

/// How long [`Qmp::execute`] waits for a reply unless told otherwise.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum QmpError {
    #[error("cannot connect to the QMP socket {}: {source}", path.display())]
    Connect {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("QMP socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("QMP protocol error: {0}")]
    Protocol(String),
    #[error("QMP command {command} failed: {class}: {desc}")]
    Command {
        command: String,
        class: String,
        desc: String,
    },
    #[error("QMP: no {what} within {:.1}s", timeout.as_secs_f64())]
    Timeout { what: String, timeout: Duration },
    #[error("QMP connection closed")]
    Closed,
}

/// One asynchronous event.
#[derive(Debug, Clone, PartialEq)]
pub struct QmpEvent {
    pub name: String,
    /// The event's `data` (`Value::Null` when it has none).
    pub data: Value,
    /// QEMU's host-clock timestamp, seconds since the epoch.
    pub timestamp_s: f64,
}

/// What an event means to the lab.
#[derive(Debug, Clone, PartialEq)]
pub enum GuestSignal {
    /// `GUEST_PANICKED` (pvpanic, Hyper-V crash MSRs, s390) or
    /// `GUEST_CRASHLOADED` (the guest panicked and loaded a crash kernel).
    Panicked {
        detail: String,
    },
    /// `SHUTDOWN`; the reason is QEMU's (`guest-shutdown`, `guest-panic`,
    /// `host-qmp-quit`, `host-signal`, ...).
    Shutdown {
        reason: String,
    },
    /// `BLOCK_IO_ERROR`; the reason names the operation, the error and the
    /// action QEMU took.
    IoError {
        device: String,
        reason: String,
    },
    /// `WATCHDOG`: the emulated watchdog fired (the guest stopped feeding it).
    Watchdog {
        action: String,
    },
    Other,
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

impl QmpEvent {
    /// Classifies the event; never fails, unknown shapes give what is there.
    pub fn signal(&self) -> GuestSignal {
        let d = &self.data;
        match self.name.as_str() {
            "GUEST_PANICKED" | "GUEST_CRASHLOADED" => {
                let mut detail = if self.name == "GUEST_PANICKED" {
                    "guest panicked".to_string()
                } else {
                    "guest panicked and loaded a crash kernel".to_string()
                };
                if let Some(a) = str_field(d, "action") {
                    detail.push_str(&format!(" (action {a})"));
                }
                if let Some(info) = d.get("info").and_then(Value::as_object) {
                    // pvpanic sends no info; Hyper-V gives arg1..arg5 (the
                    // bugcheck code first), s390 core/reason/psw.
                    let mut parts = Vec::new();
                    for (k, v) in info {
                        match v {
                            Value::String(s) => parts.push(format!("{k}={s}")),
                            Value::Number(n) if k.starts_with("arg") || k.starts_with("psw") => {
                                match n.as_u64() {
                                    Some(u) => parts.push(format!("{k}={u:#x}")),
                                    None => parts.push(format!("{k}={n}")),
                                }
                            }
                            other => parts.push(format!("{k}={other}")),
                        }
                    }
                    if !parts.is_empty() {
                        detail.push_str(": ");
                        detail.push_str(&parts.join(" "));
                    }
                }
                GuestSignal::Panicked { detail }
            }
            "SHUTDOWN" => GuestSignal::Shutdown {
                reason: str_field(d, "reason").unwrap_or("unknown").to_string(),
            },
            "BLOCK_IO_ERROR" => {
                // `device` is empty for devices known only by node name.
                let device = str_field(d, "device")
                    .filter(|s| !s.is_empty())
                    .or_else(|| str_field(d, "node-name"))
                    .unwrap_or("?")
                    .to_string();
                let mut reason = format!("{} error", str_field(d, "operation").unwrap_or("I/O"));
                if let Some(r) = str_field(d, "reason") {
                    reason.push_str(&format!(": {r}"));
                }
                if d.get("nospace").and_then(Value::as_bool) == Some(true) {
                    reason.push_str(" (no space)");
                }
                if let Some(a) = str_field(d, "action") {
                    reason.push_str(&format!(" (action {a})"));
                }
                GuestSignal::IoError { device, reason }
            }
            "WATCHDOG" => GuestSignal::Watchdog {
                action: str_field(d, "action").unwrap_or("unknown").to_string(),
            },
            _ => GuestSignal::Other,
        }
    }
}

/// What the reader thread hands over, one per line.
#[derive(Debug)]
enum Incoming {
    Greeting(Value),
    Event(QmpEvent),
    Reply {
        id: Option<u64>,
        result: Result<Value, (String, String)>,
    },
    Malformed(String),
}

/// A line cut for an error message: the reader must not echo a megabyte.
fn excerpt(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push_str("...");
    }
    out
}

/// Turns one line into a message; anything unexpected is `Malformed`.
fn parse_line(line: &[u8]) -> Incoming {
    let v: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return Incoming::Malformed(format!("{e} in line {:?}", excerpt(line))),
    };
    let Some(obj) = v.as_object() else {
        return Incoming::Malformed(format!("not a JSON object: {:?}", excerpt(line)));
    };
    if let Some(g) = obj.get("QMP") {
        return Incoming::Greeting(g.clone());
    }
    if let Some(name) = obj.get("event").and_then(Value::as_str) {
        let ts = obj.get("timestamp");
        let secs = ts
            .and_then(|t| t.get("seconds"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let micros = ts
            .and_then(|t| t.get("microseconds"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        return Incoming::Event(QmpEvent {
            name: name.to_string(),
            data: obj.get("data").cloned().unwrap_or(Value::Null),
            timestamp_s: secs + micros / 1e6,
        });
    }
    let id = obj.get("id").and_then(Value::as_u64);
    if let Some(r) = obj.get("return") {
        return Incoming::Reply {
            id,
            result: Ok(r.clone()),
        };
    }
    if let Some(e) = obj.get("error") {
        let class = str_field(e, "class").unwrap_or("UnknownError").to_string();
        let desc = str_field(e, "desc").unwrap_or("").to_string();
        return Incoming::Reply {
            id,
            result: Err((class, desc)),
        };
    }
    Incoming::Malformed(format!(
        "neither event, reply nor greeting: {:?}",
        excerpt(line)
    ))
}

enum LineRead {
    Line,
    TooLong,
    Eof,
}

/// Reads up to and without the next `\n` into `buf`, keeping at most `max`
/// bytes; a longer line is consumed to its end and reported as `TooLong`.
fn read_bounded_line<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<LineRead> {
    buf.clear();
    let mut too_long = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            // A last line without its newline still counts.
            return Ok(if too_long {
                LineRead::TooLong
            } else if buf.is_empty() {
                LineRead::Eof
            } else {
                LineRead::Line
            });
        }
        let (part, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if !too_long {
            if buf.len() + part.len() > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = found.unwrap_or(chunk.len());
        r.consume(used);
        if found.is_some() {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Line
            });
        }
    }
}

/// The reader thread: ends at end of file, on a read error, or when the
/// [`Qmp`] is dropped (the channel is gone), which disconnects the channel.
fn reader_loop(stream: UnixStream, tx: Sender<Incoming>) {
    let mut r = BufReader::with_capacity(64 * 1024, stream);
    let mut buf = Vec::new();
    loop {
        let msg = match read_bounded_line(&mut r, &mut buf, MAX_LINE) {
            Ok(LineRead::Eof) | Err(_) => return,
            Ok(LineRead::TooLong) => {
                Incoming::Malformed(format!("a line longer than {MAX_LINE} bytes"))
            }
            Ok(LineRead::Line) => {
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                parse_line(&buf)
            }
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
}

/// A connection to one QEMU's QMP socket.
pub struct Qmp {
    writer: UnixStream,
    rx: Receiver<Incoming>,
    events: VecDeque<QmpEvent>,
    errors: Vec<QmpError>,
    next_id: u64,
    closed: bool,
    greeting: Value,
    timeout: Duration,
}

impl Qmp {
    /// Connects (retrying while QEMU has not created the socket yet or does
    /// not accept yet), reads the greeting and leaves capabilities
    /// negotiation, all within `timeout`.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Qmp, QmpError> {
        let deadline = Instant::now() + timeout;
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) => {
                    if Instant::now() >= deadline {
                        return Err(QmpError::Connect {
                            path: path.to_path_buf(),
                            source: e,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        };
        // A peer that stops reading must not block a command forever.
        stream.set_write_timeout(Some(DEFAULT_COMMAND_TIMEOUT))?;
        let read_half = stream.try_clone()?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("qmp-reader".into())
            .spawn(move || reader_loop(read_half, tx))?;
        let mut qmp = Qmp {
            writer: stream,
            rx,
            events: VecDeque::new(),
            errors: Vec::new(),
            next_id: 1,
            closed: false,
            greeting: Value::Null,
            timeout,
        };
        let greeting_wait = deadline.saturating_duration_since(Instant::now());
        match qmp.recv_until(deadline)? {
            Some(Incoming::Greeting(g)) => qmp.greeting = g,
            Some(Incoming::Malformed(m)) => return Err(QmpError::Protocol(m)),
            Some(other) => {
                return Err(QmpError::Protocol(format!(
                    "expected the QMP greeting, got {other:?}"
                )));
            }
            None => {
                return Err(QmpError::Timeout {
                    what: "QMP greeting".into(),
                    timeout: greeting_wait,
                });
            }
        }
        // The handshake shares the connect deadline; later commands get the
        // default timeout.
        qmp.timeout = deadline.saturating_duration_since(Instant::now());
        qmp.execute("qmp_capabilities", None)?;
        qmp.timeout = DEFAULT_COMMAND_TIMEOUT;
        Ok(qmp)
    }

    /// The greeting's contents (`{"version": ..., "capabilities": [...]}`).
    pub fn greeting(&self) -> &Value {
        &self.greeting
    }

    /// Sets how long [`Qmp::execute`] waits for a reply.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The next message, or `None` at the deadline; queues nothing.
    fn recv_until(&mut self, deadline: Instant) -> Result<Option<Incoming>, QmpError> {
        if self.closed {
            return Err(QmpError::Closed);
        }
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(wait) {
            Ok(m) => Ok(Some(m)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => {
                self.closed = true;
                Err(QmpError::Closed)
            }
        }
    }

    /// Queues an event or a stray message; replies to commands given up on
    /// (timed out) are dropped.
    fn stash(&mut self, m: Incoming) {
        match m {
            Incoming::Event(e) => self.events.push_back(e),
            Incoming::Malformed(m) => self.errors.push(QmpError::Protocol(m)),
            Incoming::Greeting(_) => self
                .errors
                .push(QmpError::Protocol("a second greeting".into())),
            Incoming::Reply { .. } => {}
        }
    }

    /// Runs a command and returns its `return` value. Events arriving
    /// meanwhile are queued; a malformed line fails the command (it may have
    /// been the reply).
    pub fn execute(&mut self, command: &str, args: Option<Value>) -> Result<Value, QmpError> {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({ "execute": command, "id": id });
        if let Some(a) = args {
            msg["arguments"] = a;
        }
        let mut line = msg.to_string();
        line.push('\n');
        if let Err(e) = self.writer.write_all(line.as_bytes()) {
            // A peer gone before the write is a closed connection, not an
            // I/O mystery.
            return Err(match e.kind() {
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset => {
                    self.closed = true;
                    QmpError::Closed
                }
                _ => QmpError::Io(e),
            });
        }
        let timeout = self.timeout;
        let deadline = Instant::now() + timeout;
        loop {
            match self.recv_until(deadline)? {
                None => {
                    return Err(QmpError::Timeout {
                        what: format!("reply to {command}"),
                        timeout,
                    });
                }
                Some(Incoming::Reply { id: got, result }) if got == Some(id) || got.is_none() => {
                    return result.map_err(|(class, desc)| QmpError::Command {
                        command: command.to_string(),
                        class,
                        desc,
                    });
                }
                Some(Incoming::Malformed(m)) => return Err(QmpError::Protocol(m)),
                Some(other) => self.stash(other),
            }
        }
    }

    /// `query-status`: `running`, `paused`, `guest-panicked`, `shutdown`,
    /// `internal-error`, `io-error`, `watchdog`, ...
    pub fn query_status(&mut self) -> Result<String, QmpError> {
        let v = self.execute("query-status", None)?;
        str_field(&v, "status")
            .map(str::to_string)
            .ok_or_else(|| QmpError::Protocol(format!("query-status returned {v}")))
    }

    /// `quit`: QEMU exits. It may close the socket before its reply arrives,
    /// which is success too.
    pub fn quit(&mut self) -> Result<(), QmpError> {
        match self.execute("quit", None) {
            Ok(_) | Err(QmpError::Closed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Takes every event received so far, without waiting. Malformed lines
    /// seen meanwhile are kept for [`Qmp::take_errors`].
    pub fn poll_events(&mut self) -> Vec<QmpEvent> {
        loop {
            match self.rx.try_recv() {
                Ok(m) => self.stash(m),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.closed = true;
                    break;
                }
            }
        }
        self.events.drain(..).collect()
    }

    /// Waits up to `timeout` for the next event. `Ok(None)` on timeout,
    /// `Err(Closed)` once the connection has ended and every event was taken.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<QmpEvent>, QmpError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.events.pop_front() {
                return Ok(Some(e));
            }
            match self.recv_until(deadline)? {
                None => return Ok(None),
                Some(m) => self.stash(m),
            }
        }
    }

    /// Protocol errors seen outside a command (malformed or oversized lines).
    pub fn take_errors(&mut self) -> Vec<QmpError> {
        std::mem::take(&mut self.errors)
    }

    /// Whether the connection has ended (QEMU exited or closed the socket).
    /// Known only once the reader's messages have all been taken.
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

impl Drop for Qmp {
    fn drop(&mut self) {
        // Wakes the reader thread out of its read so it exits.
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<Result<String, &'static str>> {
        let mut r = BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_bounded_line(&mut r, &mut buf, max).unwrap() {
                LineRead::Eof => return out,
                LineRead::TooLong => out.push(Err("too long")),
                LineRead::Line => out.push(Ok(String::from_utf8(buf.clone()).unwrap())),
            }
        }
    }

    proptest::proptest! {
        /// Whatever QEMU (or something else on the socket) sends: no panic,
        /// lines never longer than the bound, and every newline ends one.
        #[test]
        fn any_bytes_on_the_socket(
            input in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b'\n'),
                    proptest::strategy::Just(b'{'),
                    proptest::num::u8::ANY,
                ],
                0..400,
            ),
            max in 1usize..40,
        ) {
            let mut r = BufReader::with_capacity(7, &input[..]);
            let mut buf = Vec::new();
            let mut count = 0;
            loop {
                match read_bounded_line(&mut r, &mut buf, max).unwrap() {
                    LineRead::Eof => break,
                    LineRead::TooLong => count += 1,
                    LineRead::Line => {
                        count += 1;
                        proptest::prop_assert!(buf.len() <= max && !buf.contains(&b'\n'));
                    }
                }
            }
            let newlines = input.iter().filter(|&&b| b == b'\n').count();
            let tail = usize::from(input.last().is_some_and(|&b| b != b'\n'));
            proptest::prop_assert_eq!(count, newlines + tail);
            for line in input.split(|&b| b == b'\n') {
                let _ = parse_line(line);
            }
        }

        #[test]
        fn any_json_object_is_read_or_called_malformed(
            key in "(QMP|event|return|error|id|timestamp|data|x)",
            value in "(null|1|-1|1e400|\"s\"|\\{\\}|\\[\\]|\\{\"seconds\":\"x\"\\})",
        ) {
            let line = format!("{{\"{key}\": {value}, \"event\": {value}}}");
            if let Incoming::Event(ev) = parse_line(line.as_bytes()) {
                let _ = ev.signal();
                proptest::prop_assert!(ev.timestamp_s.is_finite() || value == "1e400");
            }
        }
    }

    #[test]
    fn bounded_lines() {
        assert_eq!(
            lines(b"ab\r\n0123456789abc\nxy", 8),
            vec![Ok("ab\r".into()), Err("too long"), Ok("xy".into())]
        );
        assert_eq!(lines(b"", 8), vec![]);
        assert_eq!(lines(b"12345678\n", 8), vec![Ok("12345678".into())]);
    }

    #[test]
    fn parse_messages() {
        assert!(matches!(
            parse_line(br#"{"return": {}, "id": 3}"#),
            Incoming::Reply {
                id: Some(3),
                result: Ok(_)
            }
        ));
        assert!(matches!(
            parse_line(br#"{"error": {"class": "GenericError", "desc": "no"}}"#),
            Incoming::Reply {
                id: None,
                result: Err(_)
            }
        ));
        assert!(matches!(parse_line(b"[1]"), Incoming::Malformed(_)));
        assert!(matches!(parse_line(b"{\"x\":1}"), Incoming::Malformed(_)));
        match parse_line(
            br#"{"timestamp": {"seconds": 10, "microseconds": 500000}, "event": "STOP"}"#,
        ) {
            Incoming::Event(e) => {
                assert_eq!(e.name, "STOP");
                assert_eq!(e.data, Value::Null);
                assert!((e.timestamp_s - 10.5).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
    }
}
