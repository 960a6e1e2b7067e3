//! Host bindings generated from glint's own WIT (`wit/glint.wit`). The
//! wasi:nn imports of plugins are linked from `wasmtime-wasi-nn` instead, so
//! the host needs no third-party WIT at build time.

wasmtime::component::bindgen!({
    path: "../../wit/glint.wit",
    world: "detector-host",
});

/// World `auditor-host`; its `types` and `models` are the ones above.
pub mod auditor {
    wasmtime::component::bindgen!({
        path: "../../wit/glint.wit",
        world: "auditor-host",
        with: {
            "glint:plugins/types": super::glint::plugins::types,
            "glint:plugins/models": super::glint::plugins::models,
        },
    });
}

/// World `ab-plugin` (it imports nothing).
pub mod allocator {
    wasmtime::component::bindgen!({
        path: "../../wit/glint.wit",
        world: "ab-plugin",
    });
}

/// World `export-plugin` (it imports nothing); its `types` are the ones above.
pub mod exporter {
    wasmtime::component::bindgen!({
        path: "../../wit/glint.wit",
        world: "export-plugin",
        with: {
            "glint:plugins/types": super::glint::plugins::types,
        },
    });
}
