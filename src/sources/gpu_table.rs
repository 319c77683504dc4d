//! The per-GPU and MIG builder every dialect shares: samples arrive in any
//! order (a page's order, or a Prometheus answer's), each is filed under
//! its GPU's key, and the GPUs come out ordered by index with their MIG
//! instances attached.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::domain::{GpuSample, MigInstance};

/// A MIG instance being built; free memory is kept apart so that the total
/// does not depend on which of used and free came first.
#[derive(Debug, Default)]
pub struct MigPartial {
    pub instance: MigInstance,
    pub mem_free_mib: Option<f64>,
}

/// GPUs keyed by `K` (an index, a UUID…), each a dialect-specific partial
/// `P`, in the order first seen.
pub struct GpuTable<K, P> {
    positions: HashMap<K, usize>,
    parts: Vec<P>,
    /// (position of the parent GPU, instance key) → instance.
    migs: BTreeMap<(usize, String), MigPartial>,
}

impl<K: Eq + Hash, P> Default for GpuTable<K, P> {
    fn default() -> Self {
        Self {
            positions: HashMap::new(),
            parts: Vec::new(),
            migs: BTreeMap::new(),
        }
    }
}

impl<K: Eq + Hash, P> GpuTable<K, P> {
    fn position(&mut self, key: K, init: impl FnOnce(usize) -> P) -> usize {
        let next = self.parts.len();
        let pos = *self.positions.entry(key).or_insert(next);
        if pos == next {
            self.parts.push(init(next));
        }
        pos
    }

    /// The GPU under `key`, made by `init(order first seen)` when new.
    pub fn entry_with(&mut self, key: K, init: impl FnOnce(usize) -> P) -> &mut P {
        let pos = self.position(key, init);
        &mut self.parts[pos]
    }

    /// The MIG instance `instance` of the GPU under `parent` (made by
    /// `init`), with its parent GPU (made by `init_gpu` when new).
    pub fn mig(
        &mut self,
        parent: K,
        init_gpu: impl FnOnce(usize) -> P,
        instance: String,
        init: impl FnOnce() -> MigInstance,
    ) -> (&mut P, &mut MigPartial) {
        let pos = self.position(parent, init_gpu);
        let m = self
            .migs
            .entry((pos, instance))
            .or_insert_with(|| MigPartial {
                instance: init(),
                mem_free_mib: None,
            });
        (&mut self.parts[pos], m)
    }

    /// The GPUs, each finished by `build(partial, order first seen)`,
    /// ordered by index (then by first seen), MIG instances attached in
    /// instance-key order.
    pub fn finish(self, mut build: impl FnMut(P, usize) -> GpuSample) -> Vec<GpuSample> {
        let mut gpus: Vec<(usize, GpuSample)> = self
            .parts
            .into_iter()
            .enumerate()
            .map(|(seen, p)| (seen, build(p, seen)))
            .collect();
        for ((pos, _), m) in self.migs {
            let mut inst = m.instance;
            if inst.mem_total_mib.is_none()
                && let Some(free) = m.mem_free_mib
            {
                inst.mem_total_mib = Some(inst.mem_used_mib.unwrap_or(0.0) + free);
            }
            gpus[pos].1.mig.push(inst);
        }
        gpus.sort_by_key(|(seen, g)| (g.index, *seen));
        gpus.into_iter().map(|(_, g)| g).collect()
    }
}

impl<K: Eq + Hash, P: Default> GpuTable<K, P> {
    /// The GPU under `key`, made empty when new.
    pub fn entry(&mut self, key: K) -> &mut P {
        self.entry_with(key, |_| P::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_by_index_then_first_seen_with_migs_attached() {
        let mut t: GpuTable<&str, GpuSample> = GpuTable::default();
        t.entry("b").index = 1;
        t.entry("a").index = 0;
        t.entry("c").index = 1;
        let (_, m) = t.mig(
            "b",
            |_| GpuSample::default(),
            "2".into(),
            || MigInstance {
                instance_id: "2".into(),
                ..Default::default()
            },
        );
        m.mem_free_mib = Some(10.0);
        m.instance.mem_used_mib = Some(5.0);
        t.mig(
            "b",
            |_| GpuSample::default(),
            "1".into(),
            MigInstance::default,
        );
        let gpus = t.finish(|g, _| g);
        assert_eq!(gpus.iter().map(|g| g.index).collect::<Vec<_>>(), [0, 1, 1]);
        assert_eq!(gpus[1].mig.len(), 2, "b's instances, not c's");
        assert!(gpus[2].mig.is_empty());
        assert_eq!(gpus[1].mig[1].instance_id, "2");
        assert_eq!(gpus[1].mig[1].mem_total_mib, Some(15.0));
    }
}
