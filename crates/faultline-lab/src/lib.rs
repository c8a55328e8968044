//! The reproduction lab: the guest image (`faultline lab image`) and the
//! agent that runs inside the guest (`faultline lab agent`).

pub mod accel;
pub mod agent;
pub mod bisect;
pub mod cmdline;
pub mod cpio;
pub mod error;
pub mod experiment;
pub mod factors;
pub mod host_stress;
pub mod image;
pub mod lvm;
pub mod manifest;
pub mod modules;
pub mod qmp;
pub mod report;
pub mod results;
pub mod runner;
pub mod watch;

pub use error::{LabError, Result};
