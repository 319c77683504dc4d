//! Fixed-size ring buffers for per-GPU percentage history (sparklines).
//!
//! A sparkline cell shows one of eight heights, so a percentage is kept in
//! one byte, in half-percent steps: 15 minutes at 2 s for 8,192 GPUs is
//! 3.5 MiB (14 MiB as f32, 28 MiB as f64), which matters when the whole
//! cockpit is meant to fit in 64 MiB at 1,024 nodes.

use std::collections::VecDeque;

/// The byte that marks a missing reading, so the time axis stays honest.
const MISSING: u8 = u8::MAX;

/// A ring of the last `capacity` percentages (0–100, half-percent steps);
/// pushing past capacity drops the oldest. Values outside 0–100 are clamped;
/// NaN is kept as a missing reading.
#[derive(Debug, Clone, PartialEq)]
pub struct PercentRing {
    values: VecDeque<u8>,
    capacity: usize,
}

impl PercentRing {
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
        self.values.push_back(encode(v));
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
        self.values.back().map(|b| decode(*b))
    }

    /// Oldest first; a missing reading is NaN.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.values.iter().map(|b| decode(*b))
    }
}

fn encode(v: f64) -> u8 {
    if v.is_nan() {
        return MISSING;
    }
    // 0..=200 after clamping, so the cast cannot truncate.
    (v.clamp(0.0, 100.0) * 2.0).round() as u8
}

fn decode(b: u8) -> f64 {
    if b == MISSING {
        f64::NAN
    } else {
        f64::from(b) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_oldest_past_capacity() {
        let mut r = PercentRing::new(3);
        for v in 1..=5 {
            r.push(v as f64);
        }
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![3.0, 4.0, 5.0]);
        assert_eq!(r.last(), Some(5.0));
    }

    #[test]
    fn keeps_nan_half_percent_steps_and_clamps() {
        let mut r = PercentRing::new(5);
        r.push(f64::NAN);
        r.push(61.25);
        r.push(99.74);
        r.push(130.0);
        r.push(-4.0);
        let v: Vec<f64> = r.iter().collect();
        assert!(v[0].is_nan());
        assert_eq!(&v[1..], &[61.5, 99.5, 100.0, 0.0]);
    }
}
