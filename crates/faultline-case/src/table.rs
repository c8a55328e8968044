//! Reading one CSV file of a case into a header and trimmed rows that
//! carry their line numbers, and deciding which columns are numeric.
//!
//! This module owns the tolerance every CSV of a case gets: a byte order
//! mark, files that are not UTF-8 (read as Latin-1, which is what a Windows
//! tool such as RVTools writes in most western locales), UTF-16 with a
//! byte order mark (Excel's "Unicode text"), a `;` or tab delimiter (a CSV
//! saved by a spreadsheet in a locale where the comma is the decimal mark),
//! header names matched case-insensitively after trimming, and blank rows.
//! What it does not tolerate it reports: a row whose field count differs
//! from the header's is a [`Problem`] and is skipped.

use std::collections::BTreeMap;
use std::path::Path;

use crate::AttrValue;
use crate::error::Problem;

/// One row: its 1-based line in the file and its trimmed fields, as many
/// as the header has.
pub(crate) struct Row {
    pub line: u64,
    pub fields: Vec<String>,
}

impl Row {
    /// The field of a column found by [`Table::column`], empty when absent.
    pub fn get(&self, column: Option<usize>) -> &str {
        column
            .and_then(|c| self.fields.get(c))
            .map_or("", String::as_str)
    }
}

/// A CSV file read whole.
pub(crate) struct Table {
    /// The file's path relative to the case folder, for problems.
    pub file: String,
    /// Header names, trimmed and lowercased; a duplicate or unnamed column
    /// is blanked out so that no lookup finds it.
    pub columns: Vec<String>,
    /// The line of the header (1 unless blank lines or comments precede it).
    pub header_line: u64,
    pub rows: Vec<Row>,
}

impl Table {
    /// The index of the first of `names` (lowercase) that the header has.
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|name| self.columns.iter().position(|c| c == name))
    }

    /// The index of a column that must be there; when it is not, the
    /// problem is reported on the header's line and the caller skips the
    /// file.
    pub fn required(&self, name: &str, problems: &mut Vec<Problem>) -> Option<usize> {
        let found = self.column(&[name]);
        if found.is_none() {
            problems.push(Problem::at(
                &self.file,
                self.header_line,
                format!("missing column `{name}`; the file is skipped"),
            ));
        }
        found
    }
}

/// Decodes a file's bytes to text, tolerating what Windows tools write.
pub(crate) fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return decode(rest);
    }
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|pair| from([pair[0], pair[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return utf16(rest, u16::from_be_bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        // Latin-1 maps every byte to the code point of the same number, so
        // nothing is lost and no row is dropped for its encoding alone.
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The delimiter of the first line that is not blank: `,` unless `;` or a
/// tab is clearly what separates its fields.
fn sniff_delimiter(text: &str, comments: bool) -> u8 {
    let header = text
        .lines()
        .find(|l| {
            let comment = comments && l.starts_with('#');
            !l.trim().is_empty() && !comment
        })
        .unwrap_or("");
    let count = |c: char| header.matches(c).count();
    let (commas, semis, tabs) = (count(','), count(';'), count('\t'));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

/// Reads a CSV file of the case. `comments` lets lines starting with `#`
/// be comments (for the hand-written files; RVTools headers such as
/// `# CPU` never start a line). Returns `None` only when the file cannot
/// be read at all, after reporting why.
pub(crate) fn read(
    root: &Path,
    file: &str,
    comments: bool,
    problems: &mut Vec<Problem>,
) -> Option<Table> {
    let bytes = match std::fs::read(root.join(file)) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.push(Problem::in_file(file, format!("cannot read: {e}")));
            return None;
        }
    };
    Some(parse(file, &decode(&bytes), comments, problems))
}

/// Parses CSV text; see [`read`].
pub(crate) fn parse(file: &str, text: &str, comments: bool, problems: &mut Vec<Problem>) -> Table {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text, comments))
        .comment(comments.then_some(b'#'))
        .from_reader(text.as_bytes());
    let mut table = Table {
        file: file.to_string(),
        columns: Vec::new(),
        header_line: 1,
        rows: Vec::new(),
    };
    let mut have_header = false;
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                // The text is valid UTF-8 and the reader is flexible, so
                // this is unexpected; it is reported all the same.
                let line = e.position().map_or(1, |p| p.line());
                problems.push(Problem::at(
                    file,
                    line,
                    format!("CSV error: {e}; row skipped"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(1, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if !have_header {
            have_header = true;
            table.header_line = line;
            table.columns = header(file, line, &record, problems);
            continue;
        }
        if record.len() != table.columns.len() {
            problems.push(Problem::at(
                file,
                line,
                format!(
                    "row has {} field{} but the header has {}; row skipped",
                    record.len(),
                    if record.len() == 1 { "" } else { "s" },
                    table.columns.len()
                ),
            ));
            continue;
        }
        table.rows.push(Row {
            line,
            fields: record.iter().map(|f| f.trim().to_string()).collect(),
        });
    }
    table
}

/// Normalises header names and blanks out the ones that cannot be used.
fn header(
    file: &str,
    line: u64,
    record: &csv::StringRecord,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let mut columns: Vec<String> = Vec::with_capacity(record.len());
    for (i, name) in record.iter().enumerate() {
        let name = name.trim().to_lowercase();
        if name.is_empty() {
            problems.push(Problem::at(
                file,
                line,
                format!("column {} has no name; its values are ignored", i + 1),
            ));
        } else if let Some(first) = columns.iter().position(|c| *c == name) {
            problems.push(Problem::at(
                file,
                line,
                format!(
                    "column `{name}` appears twice (columns {} and {}); the second is ignored",
                    first + 1,
                    i + 1
                ),
            ));
            columns.push(String::new());
            continue;
        }
        columns.push(name);
    }
    columns
}

/// A number as a case writes it: what Rust reads as a finite `f64`
/// (`NaN` and `inf` are words here, not numbers).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let first = text.bytes().next()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Types the attributes of one source: a column is numeric when every
/// value it has parses as a number, else every value of it is text. The
/// decision is per column so that one machine's `vcpus` is never a number
/// while its neighbour's is a word.
pub(crate) fn type_columns(
    rows: Vec<BTreeMap<String, String>>,
) -> Vec<BTreeMap<String, AttrValue>> {
    let mut numeric: BTreeMap<&str, bool> = BTreeMap::new();
    for row in &rows {
        for (name, value) in row {
            let entry = numeric.entry(name.as_str()).or_insert(true);
            *entry = *entry && parse_number(value).is_some();
        }
    }
    let numeric: BTreeMap<String, bool> = numeric
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|(name, value)| {
                    let typed = match (numeric[&name], parse_number(&value)) {
                        (true, Some(n)) => AttrValue::Number(n),
                        _ => AttrValue::Text(value),
                    };
                    (name, typed)
                })
                .collect()
        })
        .collect()
}
