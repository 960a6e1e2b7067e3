//! The smallest zip archive that every unzip reads: stored (uncompressed)
//! entries, a fixed time stamp (1980-01-01 00:00), CRC-32, a central
//! directory. Deterministic: the same files give the same bytes.

/// A zip archive of `files` (path, bytes), in the order given.
pub fn write(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (path, bytes) in files {
        let offset = out.len() as u32;
        let crc = crc32(bytes);
        let header = |signature: u32, central_entry: bool| {
            let mut h = Vec::new();
            h.extend(signature.to_le_bytes());
            if central_entry {
                h.extend(20u16.to_le_bytes()); // made by: version 2.0
            }
            h.extend(20u16.to_le_bytes()); // needed to extract: 2.0
            h.extend(0x0800u16.to_le_bytes()); // flags: UTF-8 names
            h.extend(0u16.to_le_bytes()); // method: stored
            h.extend(0u16.to_le_bytes()); // time 00:00
            h.extend(0x0021u16.to_le_bytes()); // date 1980-01-01
            h.extend(crc.to_le_bytes());
            h.extend((bytes.len() as u32).to_le_bytes());
            h.extend((bytes.len() as u32).to_le_bytes());
            h.extend((path.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central_entry {
                h.extend(0u16.to_le_bytes()); // comment
                h.extend(0u16.to_le_bytes()); // disk
                h.extend(0u16.to_le_bytes()); // internal attributes
                h.extend(0o100644u32.wrapping_shl(16).to_le_bytes()); // external: a regular file, rw-r--r--
                h.extend(offset.to_le_bytes());
            }
            h.extend(path.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(bytes);
        central.extend(header(0x0201_4b50, true));
    }
    let (start, size) = (out.len() as u32, central.len() as u32);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disk numbers
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend(0u16.to_le_bytes()); // comment
    out
}

/// CRC-32 (IEEE 802.3), as zip and PNG use it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_known_text() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn archives_are_deterministic_and_well_formed() {
        let files = vec![("a.txt".to_string(), b"hello".to_vec()), ("dir/b.txt".to_string(), b"".to_vec())];
        let z = write(&files);
        assert_eq!(z, write(&files));
        assert!(z.starts_with(b"PK\x03\x04") && z[z.len() - 22..].starts_with(b"PK\x05\x06"));
    }
}
