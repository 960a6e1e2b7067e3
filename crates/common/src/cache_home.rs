//! Where glint keeps what it can rebuild (compiled components, compiled
//! graphs): `$GLINT_CACHE`, else `$XDG_CACHE_HOME/glint`, else `~/.cache/glint`.

use std::path::PathBuf;

/// The cache folder, or `None` when neither variable nor a home is set.
pub fn cache_home() -> Option<PathBuf> {
    let set = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    set("GLINT_CACHE").or_else(|| {
        set("XDG_CACHE_HOME").or_else(|| set("HOME").map(|h| h.join(".cache"))).map(|c| c.join("glint"))
    })
}
