//! The reproduction lab: the guest image (`faultline lab image`) and the
//! agent that runs inside the guest (`faultline lab agent`).

pub mod agent;
pub mod cmdline;
pub mod cpio;
pub mod experiment;
pub mod image;
pub mod manifest;
pub mod modules;
pub mod report;
pub mod results;
pub mod runner;
pub mod watch;
