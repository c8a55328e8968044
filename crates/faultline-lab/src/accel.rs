//! Interim: replaced by the acceleration probe.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    pub fn name(&self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
    pub fn qemu_args(&self) -> Vec<&'static str> {
        match self {
            Accel::Kvm => vec!["-accel", "kvm", "-cpu", "host"],
            Accel::Tcg => vec!["-accel", "tcg"],
        }
    }
}
