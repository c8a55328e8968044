//! Notable events: precursors and symptoms that are not crashes by
//! themselves but explain them (I/O errors, NFS trouble, OOM kills, ...).
//! TEMPORARY STUB (lead engineer): replaced by the real table.

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    IoError,
    FsError,
    Nfs,
    Storage,
    Oom,
    MemorySqueeze,
    DmaError,
    Mce,
    Clock,
    Watchdog,
    Other,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        "other"
    }
}

pub struct EventMatch {
    pub kind: EventKind,
    pub rule: &'static str,
    pub template: String,
}

#[derive(Default)]
pub struct EventTable;

impl EventTable {
    pub fn new() -> Self {
        EventTable
    }
    pub fn markers(&self) -> Vec<&'static str> {
        vec!["Memory squeeze"]
    }
    pub fn find(&self, text: &str) -> Option<EventMatch> {
        text.contains("Memory squeeze").then(|| EventMatch {
            kind: EventKind::MemorySqueeze,
            rule: "stub",
            template: text.to_string(),
        })
    }
}
