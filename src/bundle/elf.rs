//! A binary's platform from its ELF header, for the manifest.

/// `(os, arch)`: `("linux", "x86_64")` for an x86-64 ELF file, `("any",
/// "any")` for a script or anything that is not ELF.
pub fn platform(bytes: &[u8]) -> (String, String) {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return ("any".into(), "any".into());
    }
    // e_machine at offset 18, in the file's byte order (EI_DATA at 5).
    let pair = [bytes[18], bytes[19]];
    let machine = if bytes[5] == 2 {
        u16::from_be_bytes(pair)
    } else {
        u16::from_le_bytes(pair)
    };
    let arch = match machine {
        0x03 => "i386",
        0x28 => "arm",
        0x3E => "x86_64",
        0xB7 => "aarch64",
        0x15 => "ppc64",
        0xF3 => "riscv64",
        0x16 => "s390x",
        other => return ("linux".into(), format!("elf-machine-{other}")),
    };
    ("linux".into(), arch.into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn elf_and_scripts() {
        let mut x86 = b"\x7fELF\x02\x01\x01".to_vec();
        x86.resize(20, 0);
        x86[18] = 0x3E;
        assert_eq!(super::platform(&x86), ("linux".into(), "x86_64".into()));
        assert_eq!(
            super::platform(b"#!/bin/sh\nexit 1\n"),
            ("any".into(), "any".into())
        );
    }
}
