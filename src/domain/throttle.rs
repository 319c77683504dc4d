//! Clock event (throttle) reason bits, as DCGM and NVML define them.

/// (bit, short word shown to operators). Order is the display order.
pub const REASONS: &[(u64, &str)] = &[
    (0x40, "HW thermal"),
    (0x80, "power brake"),
    (0x8, "HW slowdown"),
    (0x20, "SW thermal"),
    (0x4, "SW power cap"),
    (0x10, "sync boost"),
    (0x2, "app clocks"),
    (0x100, "display clocks"),
    (0x1, "idle"),
];

/// Bits that mean the GPU is being held back for a reason an operator cares
/// about (idle and application clock settings are not problems).
pub const PROBLEM_MASK: u64 = 0x4 | 0x8 | 0x20 | 0x40 | 0x80;

/// Decodes a reason mask to words, most serious first.
pub fn decode(mask: u64) -> Vec<&'static str> {
    REASONS
        .iter()
        .filter(|(bit, _)| mask & bit != 0)
        .map(|(_, w)| *w)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bits_most_serious_first() {
        assert_eq!(
            decode(0x1 | 0x40 | 0x4),
            vec!["HW thermal", "SW power cap", "idle"]
        );
        assert!(decode(0).is_empty());
    }
}
