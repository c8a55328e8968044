//! A known issue and how it matches reports, events and facts.

use std::fmt;
use std::str::FromStr;

use regex::Regex;

use crate::facts::{FactTest, Facts, Observed};

/// How bad a known issue is, in increasing order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("{s:?} is not a severity (info, low, medium, high, critical)"))
    }
}

/// How the log side and the config side of an issue combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    /// Either side matches on its own.
    #[default]
    Any,
    /// Only both together, on one machine.
    All,
}

/// A crash report as the knowledge base sees it.
#[derive(Debug, Clone, Copy)]
pub struct ReportView<'a> {
    pub title: &'a str,
    /// The report kind's stable name (`list_corruption`, `soft_lockup`, ...).
    pub kind: &'a str,
    pub frames: &'a [String],
    /// The report's text (its lines, joined with newlines).
    pub text: &'a str,
}

/// A notable event as the knowledge base sees it.
#[derive(Debug, Clone, Copy)]
pub struct EventView<'a> {
    /// The event rule's id (`netback-memory-squeeze`).
    pub rule: &'a str,
    pub template: &'a str,
    pub message: &'a str,
}

/// One way the log side of an issue can match. Every field given must hold.
#[derive(Debug, Clone, Default)]
pub struct LogMatcher {
    pub title: Option<Regex>,
    pub frame: Option<Regex>,
    pub kind: Vec<String>,
    pub event: Vec<String>,
    pub template: Option<Regex>,
    pub line: Option<Regex>,
}

impl LogMatcher {
    /// Whether the matcher is about crash reports (title, frame, kind).
    pub fn about_reports(&self) -> bool {
        self.title.is_some() || self.frame.is_some() || !self.kind.is_empty()
    }

    /// Whether the matcher is about notable events (event, template).
    pub fn about_events(&self) -> bool {
        !self.event.is_empty() || self.template.is_some()
    }

    pub fn matches_report(&self, r: &ReportView<'_>) -> bool {
        if self.about_events() {
            return false;
        }
        self.title.as_ref().is_none_or(|re| re.is_match(r.title))
            && self
                .frame
                .as_ref()
                .is_none_or(|re| r.frames.iter().any(|f| re.is_match(f)))
            && (self.kind.is_empty() || self.kind.iter().any(|k| k == r.kind))
            && self
                .line
                .as_ref()
                .is_none_or(|re| r.text.lines().any(|l| re.is_match(l)))
    }

    pub fn matches_event(&self, e: &EventView<'_>) -> bool {
        if self.about_reports() {
            return false;
        }
        (self.event.is_empty() || self.event.iter().any(|id| id == e.rule))
            && self
                .template
                .as_ref()
                .is_none_or(|re| re.is_match(e.template))
            && self.line.as_ref().is_none_or(|re| re.is_match(e.message))
    }

    /// The matcher in words, for listings.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(re) = &self.title {
            parts.push(format!("crash title /{}/", re.as_str()));
        }
        if let Some(re) = &self.frame {
            parts.push(format!("frame /{}/", re.as_str()));
        }
        if !self.kind.is_empty() {
            parts.push(format!("crash kind {}", self.kind.join("|")));
        }
        if !self.event.is_empty() {
            parts.push(format!("event {}", self.event.join("|")));
        }
        if let Some(re) = &self.template {
            parts.push(format!("event template /{}/", re.as_str()));
        }
        if let Some(re) = &self.line {
            parts.push(format!("log line /{}/", re.as_str()));
        }
        parts.join(" and ")
    }
}

/// One condition on the facts of a snapshot.
#[derive(Debug, Clone)]
pub struct FactCondition {
    /// The fact's name; `*` matches any run of characters.
    pub fact: String,
    pub test: FactTest,
    /// The value to set instead, as an administrator would write it.
    pub recommended: Option<String>,
}

impl FactCondition {
    pub fn describe(&self) -> String {
        format!("{} {}", self.fact, self.test.describe())
    }
}

/// A known failure mode: what it looks like, why it happens, how to fix it.
#[derive(Debug, Clone)]
pub struct KnownIssue {
    /// Stable id: lowercase letters, digits and dashes.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub explanation: String,
    /// What to look for to confirm it.
    pub evidence: Vec<String>,
    /// Concrete steps, with the exact command or file line.
    pub remediation: Vec<String>,
    /// Bug numbers, vendor articles.
    pub references: Vec<String>,
    pub logs: Vec<LogMatcher>,
    pub config: Vec<FactCondition>,
    pub combine: Combine,
    /// Where the entry came from (`built-in kb/xen.toml`, a file path).
    pub origin: String,
}

/// A known issue whose config side holds on a snapshot.
#[derive(Debug, Clone)]
pub struct ConfigMatch<'a> {
    pub issue: &'a KnownIssue,
    /// Per condition, in order: what was seen.
    pub observed: Vec<(&'a FactCondition, Vec<Observed>)>,
}

impl KnownIssue {
    /// Whether only the audit, seeing logs and snapshot together, can
    /// confirm this issue.
    pub fn needs_both(&self) -> bool {
        self.combine == Combine::All && !self.logs.is_empty() && !self.config.is_empty()
    }

    pub fn has_logs(&self) -> bool {
        !self.logs.is_empty()
    }

    pub fn has_config(&self) -> bool {
        !self.config.is_empty()
    }

    /// The config side on one snapshot: `None` unless every condition holds.
    pub fn match_facts(&self, facts: &Facts) -> Option<ConfigMatch<'_>> {
        if self.config.is_empty() {
            return None;
        }
        let mut observed = Vec::with_capacity(self.config.len());
        for c in &self.config {
            let (ok, seen) = c.test.check(&c.fact, facts);
            if !ok {
                return None;
            }
            observed.push((c, seen));
        }
        Some(ConfigMatch {
            issue: self,
            observed,
        })
    }
}
