//! Host bindings of world `glint:plugins/app` (what app components import).
//! `platform.detect` is an async host function: the guest waits on a fiber
//! while the detection runs on a blocking thread, so the server's executor
//! stays free. The accounts and feedback calls are async too: they wait on
//! the database. Types shared with the plugin bindings come from there.

wasmtime::component::bindgen!({
    path: "../../wit/glint.wit",
    world: "app",
    imports: {
        "glint:plugins/platform.detect": async,
        "glint:plugins/accounts.whoami": async,
        "glint:plugins/accounts.login": async,
        "glint:plugins/accounts.logout": async,
        "glint:plugins/accounts.list-users": async,
        "glint:plugins/accounts.add-user": async,
        "glint:plugins/accounts.change-user": async,
        "glint:plugins/feedback.history": async,
        "glint:plugins/feedback.submit": async,
        "glint:plugins/feedback.browse": async,
    },
    with: { "glint:plugins/types": glint_plugins::bindings::glint::plugins::types },
});
