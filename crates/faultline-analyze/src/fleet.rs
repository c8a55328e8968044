//! The inventory as the analyses need it, built once per run: machines by
//! index, attribute values interned, how many machines of each kind have
//! each value, and which machines have it. Every analysis of every crash
//! group then works from counts instead of walking the inventory again.

use std::collections::HashMap;

use faultline_case::{AttrValue, Case, MachineKind, Scope};

/// An attribute and one of its values, as interned ids.
pub type AttrVal = (u32, u32);

pub struct Fleet {
    pub names: Vec<String>,
    index: HashMap<String, usize>,
    pub kinds: Vec<MachineKind>,
    pub attrs: Vec<String>,
    /// Per attribute, its values as text.
    pub values: Vec<Vec<String>>,
    /// Per machine, its attribute values, sorted by attribute.
    pub machine_values: Vec<Vec<AttrVal>>,
    /// Per value, the machines that have it (ascending).
    pub holders: HashMap<AttrVal, Vec<usize>>,
    /// Machines of each kind (guests, hosts).
    pub kind_size: [u64; 2],
}

pub fn kind_slot(k: MachineKind) -> usize {
    match k {
        MachineKind::Guest => 0,
        MachineKind::Host => 1,
    }
}

/// How a value is written: whole numbers without a decimal point.
pub fn value_text(v: &AttrValue) -> String {
    match v {
        AttrValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        AttrValue::Number(n) => format!("{n}"),
        AttrValue::Text(t) => t.clone(),
    }
}

impl Fleet {
    pub fn new(case: &Case) -> Fleet {
        let mut attr_ids: HashMap<String, u32> = HashMap::new();
        let mut attrs: Vec<String> = Vec::new();
        let mut value_ids: Vec<HashMap<String, u32>> = Vec::new();
        let mut values: Vec<Vec<String>> = Vec::new();
        let mut intern = |attr: &str, value: String| -> AttrVal {
            let a = *attr_ids.entry(attr.to_string()).or_insert_with(|| {
                attrs.push(attr.to_string());
                value_ids.push(HashMap::new());
                values.push(Vec::new());
                (attrs.len() - 1) as u32
            });
            let ids = &mut value_ids[a as usize];
            let v = match ids.get(&value) {
                Some(v) => *v,
                None => {
                    values[a as usize].push(value.clone());
                    let v = (values[a as usize].len() - 1) as u32;
                    ids.insert(value, v);
                    v
                }
            };
            (a, v)
        };
        let mut names = Vec::with_capacity(case.machines.len());
        let mut kinds = Vec::with_capacity(case.machines.len());
        let mut machine_values = Vec::with_capacity(case.machines.len());
        let mut kind_size = [0u64; 2];
        for m in &case.machines {
            let mut mv: Vec<AttrVal> = m
                .attributes
                .iter()
                .map(|(k, v)| (k, value_text(v)))
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| intern(k, v))
                .collect();
            if let Some(h) = &m.host {
                mv.push(intern("host", h.clone()));
            }
            mv.sort_unstable();
            mv.dedup_by_key(|x| x.0);
            names.push(m.name.clone());
            kinds.push(m.kind);
            kind_size[kind_slot(m.kind)] += 1;
            machine_values.push(mv);
        }
        let mut holders: HashMap<AttrVal, Vec<usize>> = HashMap::new();
        for (i, mv) in machine_values.iter().enumerate() {
            for av in mv {
                holders.entry(*av).or_default().push(i);
            }
        }
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Fleet {
            names,
            index,
            kinds,
            attrs,
            values,
            machine_values,
            holders,
            kind_size,
        }
    }

    /// The index of a machine by its inventory name.
    pub fn id(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn value_of(&self, machine: usize, attr: u32) -> Option<u32> {
        let mv = &self.machine_values[machine];
        mv.binary_search_by_key(&attr, |x| x.0)
            .ok()
            .map(|i| mv[i].1)
    }

    pub fn attr_id(&self, name: &str) -> Option<u32> {
        self.attrs.iter().position(|a| a == name).map(|i| i as u32)
    }

    pub fn label(&self, av: AttrVal) -> (&str, &str) {
        (
            &self.attrs[av.0 as usize],
            &self.values[av.0 as usize][av.1 as usize],
        )
    }

    /// Machines of one kind that have a value.
    pub fn holders_of_kind(&self, av: AttrVal, kind: MachineKind) -> u64 {
        self.holders.get(&av).map_or(0, |v| {
            v.iter().filter(|m| self.kinds[**m] == kind).count() as u64
        })
    }

    /// The machines an event's scope covers, by the case's own rule.
    pub fn scope_members(&self, case: &Case, scope: &Scope) -> Vec<usize> {
        match scope {
            Scope::All => (0..self.names.len()).collect(),
            Scope::Machine(name) => case
                .resolve(name)
                .and_then(|m| self.id(&m.name))
                .into_iter()
                .collect(),
            Scope::Attribute { name, value } => {
                let same = |text: &str| {
                    text.eq_ignore_ascii_case(value)
                        || matches!((text.parse::<f64>(), value.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
                };
                let mut out: Vec<usize> = Vec::new();
                if name == "kind" {
                    out.extend((0..self.names.len()).filter(|&i| same(self.kinds[i].as_str())));
                } else if let Some(a) = self.attr_id(name) {
                    for (v, text) in self.values[a as usize].iter().enumerate() {
                        if same(text)
                            && let Some(h) = self.holders.get(&(a, v as u32))
                        {
                            out.extend(h);
                        }
                    }
                }
                // `host=X` covers the host itself as well as its guests.
                if name == "host"
                    && let Some(id) = case.resolve(value).and_then(|m| self.id(&m.name))
                {
                    out.push(id);
                }
                out.sort_unstable();
                out.dedup();
                out
            }
        }
    }
}
