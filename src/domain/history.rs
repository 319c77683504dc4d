//! Fixed-size ring buffers for per-metric history (sparklines, rules).
//!
//! Values are kept as f32: a sparkline cell shows one of eight heights, and
//! 15 minutes at 2 s for 8,192 GPUs is 14 MiB in f32 (twice that in f64).

use std::collections::VecDeque;

/// A ring of the last `capacity` values; pushing past capacity drops the oldest.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    values: VecDeque<f32>,
    capacity: usize,
}

impl Ring {
    pub fn new(capacity: usize) -> Self {
        Self {
            values: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, v: f64) {
        if self.values.len() == self.capacity {
            self.values.pop_front();
        }
        self.values.push_back(v as f32);
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn last(&self) -> Option<f64> {
        self.values.back().map(|v| f64::from(*v))
    }

    /// Oldest first.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.values.iter().map(|v| f64::from(*v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_oldest_past_capacity() {
        let mut r = Ring::new(3);
        for v in 1..=5 {
            r.push(v as f64);
        }
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![3.0, 4.0, 5.0]);
        assert_eq!(r.last(), Some(5.0));
    }

    #[test]
    fn keeps_nan_and_f32_precision() {
        let mut r = Ring::new(2);
        r.push(f64::NAN);
        r.push(61.25);
        let v: Vec<f64> = r.iter().collect();
        assert!(v[0].is_nan());
        assert_eq!(v[1], 61.25);
    }
}
