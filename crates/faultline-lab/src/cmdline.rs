//! The guest's settings, read from the kernel command line (`faultline.*`
//! words; everything else is the kernel's and ignored).
//!
//! | word | meaning |
//! |---|---|
//! | `faultline.heartbeat=SECONDS` | heartbeat period (default 1; fractions allowed) |
//! | `faultline.swap=on\|off` | `on`: `mkswap` + `swapon` the device of `faultline.swapdev` (default `/dev/vdb`) |
//! | `faultline.scheduler=NAME` | I/O scheduler of every virtio disk (`none`, `mq-deadline`, ...; `noop` means `none`) |
//! | `faultline.sysctl=K=V,K=V` | sysctls (`vm.swappiness=10`), written to `/proc/sys` |
//! | `faultline.inject=panic:MEAN` or `freeze:MEAN` | inject a failure after an exponential time of mean MEAN seconds |
//! | `faultline.seed=N` | seed of that draw (default 0) |
//! | `faultline.stress=K=V,FLAG,...` | run `faultline stress --K=V --FLAG ... --filename=/dev/vda --force` in the guest |
//! | `faultline.disk=PATH` | the stress target (default `/dev/vda`) |
//! | `faultline.lvm=guest\|host` | `guest`: make an LVM volume on the stress disk first and stress it (see [`crate::lvm`]); `host`: the disk already is a host LV (only reported) |

use crate::error::{OrInvalid as _, Result, bail};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InjectKind {
    Panic,
    Freeze,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inject {
    pub kind: InjectKind,
    pub mean_seconds: f64,
}

/// Which side made the stress disk's LVM volume (`faultline.lvm=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LvmSide {
    /// The agent makes it on the stress disk.
    Guest,
    /// The host did; the guest sees a plain disk.
    Host,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub heartbeat_seconds: f64,
    pub swap: Option<bool>,
    pub swap_device: String,
    pub scheduler: Option<String>,
    pub sysctls: Vec<(String, String)>,
    pub inject: Option<Inject>,
    pub seed: u64,
    pub stress: Option<Vec<(String, String)>>,
    pub disk: String,
    pub lvm: Option<LvmSide>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            heartbeat_seconds: 1.0,
            swap: None,
            swap_device: "/dev/vdb".into(),
            scheduler: None,
            sysctls: Vec::new(),
            inject: None,
            seed: 0,
            stress: None,
            disk: "/dev/vda".into(),
            lvm: None,
        }
    }
}

fn pairs(v: &str, what: &str) -> Result<Vec<(String, String)>> {
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .or_invalid(|| format!("{what}: {kv:?} is not KEY=VALUE"))?;
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}

/// Parses a kernel command line (`/proc/cmdline`). Unknown `faultline.*`
/// words are errors; the kernel's own words are ignored.
pub fn parse(cmdline: &str) -> Result<Settings> {
    let mut s = Settings::default();
    for word in cmdline.split_whitespace() {
        let Some(rest) = word.strip_prefix("faultline.") else {
            continue;
        };
        let (key, value) = rest.split_once('=').unwrap_or((rest, ""));
        match key {
            "heartbeat" => {
                let h: f64 = value
                    .parse()
                    .or_invalid(|| format!("faultline.heartbeat={value}: not a number"))?;
                if !(h.is_finite() && h > 0.0) {
                    bail!("faultline.heartbeat={value}: must be positive");
                }
                s.heartbeat_seconds = h;
            }
            "swap" => {
                s.swap = Some(match value {
                    "on" | "1" | "yes" => true,
                    "off" | "0" | "no" => false,
                    _ => bail!("faultline.swap={value}: on or off"),
                })
            }
            "swapdev" => s.swap_device = value.to_string(),
            "scheduler" => {
                if value.is_empty() {
                    bail!("faultline.scheduler: give a name");
                }
                let name = if value == "noop" { "none" } else { value };
                s.scheduler = Some(name.to_string());
            }
            "sysctl" => s.sysctls.extend(pairs(value, "faultline.sysctl")?),
            "inject" => {
                let (kind, mean) = value.split_once(':').or_invalid(|| {
                    format!("faultline.inject={value}: give panic:SECONDS or freeze:SECONDS")
                })?;
                let kind = match kind {
                    "panic" => InjectKind::Panic,
                    "freeze" => InjectKind::Freeze,
                    _ => bail!("faultline.inject={value}: panic or freeze"),
                };
                let mean: f64 = mean
                    .parse()
                    .or_invalid(|| format!("faultline.inject={value}: {mean:?} is not seconds"))?;
                if !(mean.is_finite() && mean > 0.0) {
                    bail!("faultline.inject={value}: the mean must be positive");
                }
                s.inject = Some(Inject {
                    kind,
                    mean_seconds: mean,
                });
            }
            "seed" => {
                s.seed = value
                    .parse()
                    .or_invalid(|| format!("faultline.seed={value}: not a number"))?
            }
            "stress" => {
                // `time_based` alone is a flag: value "".
                s.stress = Some(
                    value
                        .split(',')
                        .filter(|w| !w.is_empty())
                        .map(|w| {
                            let (k, v) = w.split_once('=').unwrap_or((w, ""));
                            (k.to_string(), v.to_string())
                        })
                        .collect(),
                )
            }
            "disk" => s.disk = value.to_string(),
            "lvm" => {
                s.lvm = Some(match value {
                    "guest" => LvmSide::Guest,
                    "host" => LvmSide::Host,
                    _ => bail!("faultline.lvm={value}: guest or host"),
                })
            }
            _ => bail!("unknown setting faultline.{key}"),
        }
    }
    Ok(s)
}

/// The path under `/proc/sys` of a sysctl name (`vm.swappiness` ->
/// `vm/swappiness`).
pub fn sysctl_path(name: &str) -> String {
    format!("/proc/sys/{}", name.replace('.', "/"))
}

/// splitmix64: a small seeded generator, enough for drawing a failure time.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The failure time, in seconds, for a seed: exponential with the mean given.
pub fn draw_exponential(mean: f64, seed: u64) -> f64 {
    let u = SplitMix64(seed).next_f64();
    -mean * (1.0 - u).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lvm_word() {
        assert_eq!(parse("console=ttyS0").unwrap().lvm, None);
        let s = parse("console=ttyS0 faultline.lvm=guest faultline.heartbeat=1").unwrap();
        assert_eq!(s.lvm, Some(LvmSide::Guest));
        // The stress target stays the raw disk until the volume exists.
        assert_eq!(s.disk, "/dev/vda");
        assert_eq!(
            parse("faultline.lvm=host").unwrap().lvm,
            Some(LvmSide::Host)
        );
        for bad in ["faultline.lvm=", "faultline.lvm", "faultline.lvm=GUEST"] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(
                e.contains("faultline.lvm=") && e.contains("guest or host"),
                "{e}"
            );
        }
        // The settings line the agent prints names it.
        let json = serde_json::to_string(&parse("faultline.lvm=guest").unwrap()).unwrap();
        assert!(json.contains(r#""lvm":"guest""#), "{json}");
    }

    #[test]
    fn lvm_words_from_placement() {
        use crate::lvm::{HostLvm, lvm_placement};
        let p = lvm_placement(&HostLvm::Unavailable("x".into()));
        assert_eq!(parse(p.kernel_word()).unwrap().lvm, Some(LvmSide::Guest));
        let p = lvm_placement(&HostLvm::Available);
        assert_eq!(parse(p.kernel_word()).unwrap().lvm, Some(LvmSide::Host));
    }
}
