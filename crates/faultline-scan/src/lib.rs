//! Scanning: reads log files and finds the crash reports and notable
//! events in them.
