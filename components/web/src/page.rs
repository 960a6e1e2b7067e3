//! The page itself: the HTML with the site's title filled in, its script, and
//! the content security policy it is served with. Shared, as source, by the
//! web component and the edge build (`components/web-edge`, which includes
//! this file with `#[path]`), so the two serve the same page under the same
//! policy.

/// The UI's script, served at `/app.js`.
pub const APP_JS: &str = include_str!("../assets/app.js");

/// No inline script, no framing, nothing from elsewhere (inline `style`
/// attributes are allowed: they cannot run code).
pub const CSP: &str = "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; \
                       object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("../assets/index.html");

/// The page, named `site_title` (spin.toml's variable; empty: the default name).
pub fn index(site_title: &str) -> String {
    INDEX_HTML.replace("__SITE_TITLE__", &html_escape(site_title))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
