//! `journalctl -o json` lines: one JSON object per entry.
//!
//! Only the handful of fields a record needs are looked at; the others are
//! skipped without being built, and strings without escapes are borrowed
//! from the line.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The fields of one journal entry that make a record.
#[derive(Debug, Default)]
pub(crate) struct Entry<'a> {
    pub message: Option<Cow<'a, str>>,
    pub hostname: Option<Cow<'a, str>>,
    pub identifier: Option<Cow<'a, str>>,
    pub comm: Option<Cow<'a, str>>,
    pub kernel_transport: bool,
    /// `__REALTIME_TIMESTAMP`: microseconds since the Unix epoch.
    pub realtime: Option<u64>,
    /// `__MONOTONIC_TIMESTAMP`: microseconds since boot.
    pub monotonic: Option<u64>,
}

/// Parses a line as a journal entry; `None` unless it is a JSON object with
/// `MESSAGE` or `__REALTIME_TIMESTAMP`.
pub(crate) fn parse(line: &[u8]) -> Option<Entry<'_>> {
    let mut de = serde_json::Deserializer::from_slice(line);
    let entry = Entry::deserialize(&mut de).ok()?;
    de.end().ok()?;
    if entry.message.is_none() && entry.realtime.is_none() {
        return None;
    }
    Some(entry)
}

enum Key {
    Message,
    Hostname,
    Identifier,
    Comm,
    Transport,
    Realtime,
    Monotonic,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a journal field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "MESSAGE" => Key::Message,
                    "_HOSTNAME" => Key::Hostname,
                    "SYSLOG_IDENTIFIER" => Key::Identifier,
                    "_COMM" => Key::Comm,
                    "_TRANSPORT" => Key::Transport,
                    "__REALTIME_TIMESTAMP" => Key::Realtime,
                    "__MONOTONIC_TIMESTAMP" => Key::Monotonic,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de> Deserialize<'de> for Entry<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entry<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a journal entry object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry<'de>, A::Error> {
                let mut e = Entry::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Message => e.message = map.next_value::<Text<'de>>()?.0,
                        Key::Hostname => e.hostname = map.next_value::<Text<'de>>()?.0,
                        Key::Identifier => e.identifier = map.next_value::<Text<'de>>()?.0,
                        Key::Comm => e.comm = map.next_value::<Text<'de>>()?.0,
                        Key::Transport => {
                            let t = map.next_value::<Text<'de>>()?.0;
                            e.kernel_transport = t.as_deref() == Some("kernel");
                        }
                        Key::Realtime => e.realtime = map.next_value::<Number>()?.0,
                        Key::Monotonic => e.monotonic = map.next_value::<Number>()?.0,
                        Key::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(e)
            }
        }
        d.deserialize_map(V)
    }
}

/// A field value as text. journald writes a string; an array of byte
/// values when the value is not UTF-8; an array of those when the field
/// occurs more than once (the first is kept); `null` when it was too big.
struct Text<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, an array of bytes or null")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut bytes = Vec::new();
        let mut first: Option<Cow<'de, str>> = None;
        while let Some(item) = seq.next_element::<Item<'de>>()? {
            match item {
                Item::Byte(b) => bytes.push(b),
                Item::Text(t) => {
                    if first.is_none() {
                        first = t;
                    }
                }
            }
        }
        if first.is_none() && !bytes.is_empty() {
            first = Some(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()));
        }
        Ok(Text(first))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

/// One element of an array value: a byte of a binary value, or a whole
/// value of a repeated field.
enum Item<'a> {
    Byte(u8),
    Text(Option<Cow<'a, str>>),
}

impl<'de> Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte value or a field value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                // Out-of-range numbers are not bytes; keep them as a visible
                // replacement rather than failing the whole line.
                Ok(Item::Byte(u8::try_from(v).unwrap_or(b'?')))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Item::Byte(u8::try_from(v).unwrap_or(b'?')))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Item::Byte(b'?'))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                TextVisitor.visit_borrowed_str(v).map(|t| Item::Text(t.0))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                TextVisitor.visit_str(v).map(|t| Item::Text(t.0))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Item::Text(None))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                TextVisitor.visit_bool(v).map(|t| Item::Text(t.0))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                TextVisitor.visit_seq(seq).map(|t| Item::Text(t.0))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                TextVisitor.visit_map(map).map(|t| Item::Text(t.0))
            }
        }
        d.deserialize_any(V)
    }
}

/// A counter that journald writes as a decimal string (some tools write a
/// plain number); anything else reads as unknown.
struct Number(Option<u64>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'v> Visitor<'v> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal counter")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                Ok(Number(v.parse().ok()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(u64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_seq<A: SeqAccess<'v>>(self, mut seq: A) -> Result<Number, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
            fn visit_map<A: MapAccess<'v>>(self, mut map: A) -> Result<Number, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_when_unescaped() {
        let line =
            br#"{"MESSAGE":"hello","_HOSTNAME":"web01","__REALTIME_TIMESTAMP":"1700000000123456"}"#;
        let e = parse(line).unwrap();
        assert!(matches!(e.message, Some(Cow::Borrowed("hello"))));
        assert!(matches!(e.hostname, Some(Cow::Borrowed("web01"))));
        assert_eq!(e.realtime, Some(1_700_000_000_123_456));
    }

    #[test]
    fn repeated_field_keeps_first() {
        let e = parse(br#"{"MESSAGE":["one","two"]}"#).unwrap();
        assert_eq!(e.message.as_deref(), Some("one"));
    }

    #[test]
    fn not_an_entry() {
        assert!(parse(br#"{"foo":1}"#).is_none());
        assert!(parse(br#"{"MESSAGE":"x"} trailing"#).is_none());
        assert!(parse(br#"["MESSAGE"]"#).is_none());
        assert!(parse(b"{").is_none());
    }
}
