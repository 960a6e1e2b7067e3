//! An exporter that misbehaves on purpose, one way per format: `trap`
//! panics, `spin` never returns, `oom` allocates without bound, `wrong-mime`
//! writes application/json where it declared text/plain, `empty` writes
//! nothing, and `ok` writes one line per result. Built only for tests
//! (tests/plugins/misbehave-export.wasm).

wit_bindgen::generate!({
    world: "export-plugin",
    path: "../../wit",
    generate_all,
});

use exports::glint::plugins::exporter::{Document, Format, Guest, Report};
use glint::plugins::types::Error;

struct Component;

impl Guest for Component {
    fn formats() -> Vec<Format> {
        ["trap", "spin", "oom", "wrong-mime", "empty", "ok"]
            .into_iter()
            .map(|name| Format {
                name: name.into(),
                mime: "text/plain".into(),
                extension: "txt".into(),
                description: format!("misbehaves: {name}"),
                multiple: true,
                needs_rendering: false,
            })
            .collect()
    }

    fn export(format: String, report: Report) -> Result<Document, Error> {
        let text = |bytes: Vec<u8>| Ok(Document { mime: "text/plain".into(), bytes });
        match format.as_str() {
            "trap" => panic!("misbehave-export: asked to trap"),
            "spin" => {
                let mut x: u64 = 1;
                loop {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 16 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "wrong-mime" => Ok(Document { mime: "application/json".into(), bytes: b"{}".to_vec() }),
            "empty" => text(Vec::new()),
            _ => text(report.results.iter().map(|r| format!("{}\n", r.prompt)).collect::<String>().into_bytes()),
        }
    }
}

export!(Component);
