//! Outbound HTTP for components served with Spin's interfaces only: a
//! request leaves only when its scheme, host and port match an entry of the
//! component's `allowed_outbound_hosts`, read as Spin reads it
//! (`<scheme>://<host>[:<port>]`, `*` for any scheme, host or port,
//! `*.example.com` for subdomains, `a..b` for a port range, the scheme's
//! well-known port when none is given, and an entry whose `{{ variable }}`
//! template resolves to nothing skipped). Spin's `self` and CIDR forms are refused with
//! a message, not silently ignored. Anything else is answered to the guest
//! with `HTTP-request-denied` and logged with the address it wanted.

use std::sync::Arc;
use std::time::Duration;

use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// One `allowed_outbound_hosts` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
struct AllowedHost {
    /// `None` for `*://`.
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`, kept as `.example.com`.
    Subdomain(String),
    Exact(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PortPattern {
    Any,
    /// `start..end`, end excluded (a single port is `p..p+1`).
    Range(u16, u32),
}

/// A component's `allowed_outbound_hosts`, parsed; empty allows nothing.
#[derive(Clone, Debug, Default)]
pub struct AllowedHosts(Vec<AllowedHost>);

impl AllowedHosts {
    /// Parses `allowed_outbound_hosts` as written; `fill` resolves an entry's
    /// `{{ variable }}` templates. As in Spin, an entry that a template made
    /// empty (or just `http://` / `https://`) is skipped, while one written
    /// empty is an error.
    pub fn parse<S: AsRef<str>>(entries: &[S], fill: impl Fn(&str) -> Result<String, String>) -> Result<AllowedHosts, String> {
        let mut out = Vec::new();
        for written in entries {
            let written = written.as_ref();
            let entry = if written.contains("{{") {
                let resolved = fill(written).map_err(|e| format!("allowed_outbound_hosts {written:?}: {e}"))?;
                if matches!(resolved.trim(), "" | "http://" | "https://") {
                    continue;
                }
                resolved
            } else {
                written.to_string()
            };
            let entry = entry.trim();
            out.push(AllowedHost::parse(entry).map_err(|e| format!("allowed_outbound_hosts {entry:?}: {e}"))?);
        }
        Ok(AllowedHosts(out))
    }

    /// Whether a request to `uri` may leave.
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) else { return false };
        let scheme = scheme.to_ascii_lowercase();
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let Some(port) = uri.port_u16().or_else(|| well_known_port(&scheme)) else { return false };
        self.0.iter().any(|a| a.allows(&scheme, &host, port))
    }
}

impl AllowedHost {
    fn parse(entry: &str) -> Result<AllowedHost, String> {
        if entry.is_empty() {
            return Err("empty: write <scheme>://<host>[:<port>] (e.g. https://example.com, or *://*:* for any)".into());
        }
        let (scheme, rest) = entry.split_once("://").ok_or_else(|| {
            "no scheme: write <scheme>://<host>[:<port>] (e.g. https://example.com, or *://*:* for any)".to_string()
        })?;
        let scheme = match scheme {
            "*" => None,
            s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()) => Some(s.to_ascii_lowercase()),
            s => return Err(format!("scheme {s:?}: letters only, or *")),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            return Err("it has a path: write <scheme>://<host>[:<port>] (glint reads no CIDR ranges)".into());
        }
        let (host, port) = split_host_port(rest);
        let host = match host.to_ascii_lowercase() {
            h if h == "*" => HostPattern::Any,
            h if h == "self" || h == "self.alt" => return Err("`self` (service chaining) is Spin-only; glint does not serve it".into()),
            h if h.is_empty() => return Err("no host".into()),
            h => match h.strip_prefix("*.") {
                Some(domain) if !domain.is_empty() && !domain.contains('*') => HostPattern::Subdomain(format!(".{domain}")),
                Some(_) => return Err("wildcards are allowed only as a `*.` prefix".into()),
                None if h.contains('*') => return Err("wildcards are allowed only as a `*.` prefix".into()),
                None => HostPattern::Exact(h.trim_start_matches('[').trim_end_matches(']').to_string()),
            },
        };
        let port = match port {
            None => {
                let scheme = scheme.as_deref().unwrap_or("*");
                let p = well_known_port(scheme).ok_or_else(|| format!("no port, and {scheme}:// has no well-known one"))?;
                PortPattern::Range(p, u32::from(p) + 1)
            }
            Some("*") => PortPattern::Any,
            Some(p) => match p.split_once("..") {
                Some((a, b)) => {
                    let a: u16 = a.parse().map_err(|_| format!("port range {p:?}: not numbers"))?;
                    let b: u16 = b.parse().map_err(|_| format!("port range {p:?}: not numbers"))?;
                    PortPattern::Range(a, u32::from(b))
                }
                None => {
                    let p: u16 = p.parse().map_err(|_| format!("port {p:?} is not a number"))?;
                    PortPattern::Range(p, u32::from(p) + 1)
                }
            },
        };
        Ok(AllowedHost { scheme, host, port })
    }

    fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Subdomain(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Exact(h) => h == host,
        };
        let port_ok = match self.port {
            PortPattern::Any => true,
            PortPattern::Range(a, b) => port >= a && u32::from(port) < b,
        };
        scheme_ok && host_ok && port_ok
    }
}

/// `host:port`, `host`, `[v6]:port` or `[v6]`.
fn split_host_port(s: &str) -> (&str, Option<&str>) {
    if let Some(end) = s.find(']') {
        return (&s[..=end], s[end + 1..].strip_prefix(':'));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    }
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// The wasi:http hooks of one request: checks each outgoing request against
/// the component's allowed hosts and sends the allowed ones (http and https).
pub struct OutboundPolicy {
    pub component: Arc<str>,
    pub allowed: Arc<AllowedHosts>,
}

/// Unless the guest sets its own: how long to wait for a connection and for
/// the answer to start, so a stuck upstream does not hold a request forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(120);

type Io = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Io,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, Io), HttpError>> + Send> {
        if !self.allowed.allows(request.uri()) {
            let (scheme, authority) = (request.uri().scheme_str().unwrap_or("?"), request.uri().authority().map(|a| a.as_str()).unwrap_or("?"));
            tracing::warn!("component {}: outbound request to {scheme}://{authority} denied: not in its allowed_outbound_hosts", self.component);
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let mut options = options.unwrap_or_default();
        options.connect_timeout.get_or_insert(CONNECT_TIMEOUT);
        options.first_byte_timeout.get_or_insert(FIRST_BYTE_TIMEOUT);
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Io))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entries: &[&str], url: &str) -> bool {
        AllowedHosts::parse(entries, |_| unreachable!("no templates")).unwrap().allows(&url.parse().unwrap())
    }

    #[test]
    fn exact_hosts_ports_and_schemes() {
        let node = ["http://127.0.0.1:8080"];
        assert!(allows(&node, "http://127.0.0.1:8080/api/detect"));
        assert!(!allows(&node, "http://127.0.0.1:8081/"), "another port");
        assert!(!allows(&node, "https://127.0.0.1:8080/"), "another scheme");
        assert!(!allows(&node, "http://localhost:8080/"), "a name is not the address it resolves to");
        assert!(allows(&["https://example.com"], "https://EXAMPLE.com/x"), "443 by default, case-insensitive");
        assert!(!allows(&["https://example.com"], "https://example.com:8443/"));
        assert!(allows(&["http://[::1]:9000"], "http://[::1]:9000/"));
    }

    #[test]
    fn wildcards_and_ranges() {
        assert!(allows(&["*://*:*"], "http://anything:1/"));
        assert!(allows(&["https://*.example.com"], "https://api.example.com/"));
        assert!(!allows(&["https://*.example.com"], "https://example.com.evil.net/"));
        assert!(!allows(&["https://*.example.com"], "https://notexample.com/"));
        assert!(allows(&["http://localhost:8000..8010"], "http://localhost:8009/"));
        assert!(!allows(&["http://localhost:8000..8010"], "http://localhost:8010/"), "the end is excluded, as in Spin");
        assert!(allows(&["*://localhost:80"], "http://localhost/"));
    }

    #[test]
    fn nothing_allowed_by_default_and_empty_templates_skipped() {
        assert!(!allows(&[], "http://127.0.0.1/"));
        let fill = |t: &str| Ok(t.replace("{{ empty }}", "").replace("{{ node }}", "127.0.0.1:8080"));
        let hosts = AllowedHosts::parse(&["{{ empty }}", "http://{{ empty }}", "https://{{ empty }}"], fill).unwrap();
        assert!(hosts.0.is_empty(), "{hosts:?}");
        assert!(AllowedHosts::parse(&["http://{{ node }}"], fill).unwrap().allows(&"http://127.0.0.1:8080/x".parse().unwrap()));
        let e = AllowedHosts::parse(&["{{ missing }}"], |_| Err("{{ missing }} is not in [variables]".into())).unwrap_err();
        assert!(e.contains("missing"), "{e}");
        assert!(!allows(&["http://127.0.0.1:8080"], "/relative"));
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        for (entry, says) in [
            ("", "empty"),
            ("example.com", "no scheme"),
            ("http://example.com/api", "has a path"),
            ("h1!://x", "letters only"),
            ("http://ex*ample.com", "prefix"),
            ("http://*.*.com", "prefix"),
            ("ftp://example.com", "well-known"),
            ("http://x:eighty", "not a number"),
            ("http://x:1..b", "not numbers"),
            ("http://self", "service chaining"),
            ("http://10.0.0.0/8", "CIDR"),
        ] {
            let e = AllowedHosts::parse(&[entry], |_| unreachable!()).unwrap_err();
            assert!(e.contains(entry) && e.contains(says), "{entry}: {e}");
        }
    }
}
