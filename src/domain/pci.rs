//! PCI bus ids as exporters and kernel logs write them, matched to GPUs.

/// Normalises a PCI address to `dddd:bb:dd` (lowercase): accepts `PCI:` in
/// front, an 8-hex-digit domain (`00000000:53:00.0`, as dcgm-exporter writes
/// it), a missing domain (`01:00`) and a `.function` suffix.
pub fn normalize_bus(s: &str) -> Option<String> {
    let mut t = s.trim();
    if t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("pci:")) {
        t = &t[4..];
    }
    let t = t.to_ascii_lowercase();
    let t = match t.rsplit_once('.') {
        Some((head, func)) if !func.is_empty() && func.len() <= 1 && is_hex(func) => {
            head.to_string()
        }
        Some(_) => return None,
        None => t,
    };
    let parts: Vec<&str> = t.split(':').collect();
    let (domain, bus, dev) = match parts.as_slice() {
        [d, b, v] => (*d, *b, *v),
        [b, v] => ("0", *b, *v),
        _ => return None,
    };
    let ok = |x: &str, max: usize| !x.is_empty() && x.len() <= max && is_hex(x);
    if !ok(domain, 8) || !ok(bus, 2) || !ok(dev, 2) {
        return None;
    }
    let domain = u32::from_str_radix(domain, 16).ok()?;
    let bus = u8::from_str_radix(bus, 16).ok()?;
    let dev = u8::from_str_radix(dev, 16).ok()?;
    Some(format!("{domain:04x}:{bus:02x}:{dev:02x}"))
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}
/// The GPU index whose exporter `pci_bus_id` label (e.g. `00000000:53:00.0`)
/// is the same device as a log bus id (e.g. `0000:53:00`); case-insensitive.
pub fn gpu_index_for_bus(bus: &str, gpus: &[(u32, String)]) -> Option<u32> {
    let want = normalize_bus(bus)?;
    gpus.iter()
        .find(|(_, label)| normalize_bus(label).as_deref() == Some(want.as_str()))
        .map(|(i, _)| *i)
}
