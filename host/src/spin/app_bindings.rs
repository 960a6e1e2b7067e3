//! Host bindings of world `glint:plugins/app` (what app components import).
//! `platform.detect` is an async host function: the guest waits on a fiber
//! while the detection runs on a blocking thread, so the server's executor
//! stays free. Types shared with the plugin bindings come from there.

wasmtime::component::bindgen!({
    path: "../wit/glint.wit",
    world: "app",
    imports: { "glint:plugins/platform.detect": async },
    with: { "glint:plugins/types": crate::plugins::bindings::glint::plugins::types },
});
