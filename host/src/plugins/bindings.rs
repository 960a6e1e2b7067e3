//! Host bindings generated from glint's own WIT (`wit/glint.wit`). The
//! wasi:nn imports of plugins are linked from `wasmtime-wasi-nn` instead, so
//! the host needs no third-party WIT at build time.

wasmtime::component::bindgen!({
    path: "../wit/glint.wit",
    world: "detector-host",
});
