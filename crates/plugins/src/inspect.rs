//! What a component says about itself before anything compiles it: its
//! top-level imports and exports, read with wasmparser. A live install checks
//! these first, so a component for another world or version, or one that
//! wants an interface glint does not grant, is refused in milliseconds.

use wasmtime::wasmparser::{Encoding, Parser, Payload};

use super::{WIT_PACKAGE, WIT_VERSION};

/// The top-level import and export names of a component.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Interfaces {
    pub imports: Vec<String>,
    pub exports: Vec<String>,
}

/// Reads `wasm`'s interfaces; `Err` says why it is not a component.
pub fn interfaces(wasm: &[u8]) -> Result<Interfaces, String> {
    if !wasm.starts_with(b"\0asm") {
        return Err("it is not a WebAssembly component (it does not start with the \\0asm header)".into());
    }
    let mut out = Interfaces::default();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("it is not a valid WebAssembly component ({})", e.message()))?;
        match payload {
            Payload::Version { encoding, .. } => {
                if depth == 0 && encoding != Encoding::Component {
                    return Err("it is a core WebAssembly module, not a component: wrap it with `wasm-tools component new`".into());
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    out.imports.push(import.map_err(|e| format!("its imports cannot be read ({e})"))?.name.name.to_string());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    out.exports.push(export.map_err(|e| format!("its exports cannot be read ({e})"))?.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    if depth != 0 || (out.imports.is_empty() && out.exports.is_empty() && wasm.len() < 8) {
        return Err("it is not a complete WebAssembly component".into());
    }
    Ok(out)
}

/// Interfaces a plugin may import: glint's own `types` and `models`,
/// wasi:nn, and WASI p2 (linked deny-all: no files, network, clock or
/// randomness reach it).
const GRANTED: &[&str] = &["wasi:nn/", "wasi:cli/", "wasi:io/", "wasi:clocks/", "wasi:random/", "wasi:filesystem/", "wasi:sockets/"];

/// The first import glint does not grant, with why.
pub fn ungranted(imports: &[String]) -> Option<String> {
    for import in imports {
        if let Some(rest) = import.strip_prefix(WIT_PACKAGE).and_then(|r| r.strip_prefix('/')) {
            let (iface, version) = rest.split_once('@').unwrap_or((rest, ""));
            if !matches!(iface, "types" | "models") {
                return Some(format!("it imports {import}, which glint grants to no plugin (plugins may import {WIT_PACKAGE}/types and /models)"));
            }
            if version != WIT_VERSION {
                return Some(format!("it imports {import}, built for {WIT_PACKAGE}@{version}; this glint implements {WIT_PACKAGE}@{WIT_VERSION}"));
            }
        } else if !GRANTED.iter().any(|g| import.starts_with(g)) {
            return Some(format!(
                "it imports {import}, which glint does not grant (plugins may import {WIT_PACKAGE}/types and /models, wasi:nn and WASI p2)"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_component() {
        assert!(interfaces(b"not wasm at all").unwrap_err().contains("not a WebAssembly component"));
        assert!(interfaces(b"\0asm\x0d\0\x01\0\x07").unwrap_err().contains("not a valid"));
        assert!(interfaces(b"\0asm\x01\0\0\0").unwrap_err().contains("core WebAssembly module"));
        assert!(interfaces(b"").is_err());
    }

    #[test]
    fn grants() {
        let ok = [format!("{WIT_PACKAGE}/models@{WIT_VERSION}"), "wasi:nn/graph@0.2.0-rc-2024-10-28".to_string()];
        assert_eq!(ungranted(&ok), None);
        let e = ungranted(&[format!("{WIT_PACKAGE}/platform@{WIT_VERSION}")]).unwrap();
        assert!(e.contains("platform") && e.contains("grants to no plugin"), "{e}");
        let e = ungranted(&[format!("{WIT_PACKAGE}/models@0.1.0")]).unwrap();
        assert!(e.contains("0.1.0") && e.contains(WIT_VERSION), "{e}");
        let e = ungranted(&["evil:net/socket".to_string()]).unwrap();
        assert!(e.contains("evil:net/socket"), "{e}");
    }
}
