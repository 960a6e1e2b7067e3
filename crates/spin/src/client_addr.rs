//! Who a request came from. Behind a proxy glint trusts (an edge, a load
//! balancer: `[application.tool.glint] trusted_proxies`), the peer is the
//! proxy, so the client is read from `X-Forwarded-For`: walking it from the
//! right, the first address that is not a trusted proxy. Only the entries the
//! trusted proxies appended are believed; anything a client wrote further left
//! is skipped. With no trusted proxies (the default) the header is ignored.

use std::net::IpAddr;

/// The client's address for rate limits, sign-in throttling and logs.
pub fn client_ip(peer: IpAddr, headers: &http::HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let mut client = peer;
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        match parse_hop(hop.trim()) {
            Some(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // A malformed entry: nothing left of it can be believed.
            None => break,
        }
    }
    client
}

/// `1.2.3.4`, `::1`, `1.2.3.4:5678` or `[::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(peer: &str, xff: &[&str], trusted: &[&str]) -> String {
        let mut headers = http::HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        let trusted: Vec<IpAddr> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        client_ip(peer.parse().unwrap(), &headers, &trusted).to_string()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        assert_eq!(client("10.0.0.9", &["203.0.113.7"], &[]), "10.0.0.9", "no trusted proxies: ignored");
        assert_eq!(client("10.0.0.9", &["203.0.113.7"], &["127.0.0.1"]), "10.0.0.9", "an untrusted peer: ignored");
        assert_eq!(client("127.0.0.1", &["203.0.113.7"], &["127.0.0.1"]), "203.0.113.7");
        assert_eq!(client("127.0.0.1", &[], &["127.0.0.1"]), "127.0.0.1", "no header: the peer");
    }

    #[test]
    fn what_a_client_wrote_further_left_is_not_believed() {
        // The client sent "1.1.1.1"; the edge appended the address it saw.
        assert_eq!(client("127.0.0.1", &["1.1.1.1, 203.0.113.7"], &["127.0.0.1"]), "203.0.113.7");
        // Two trusted hops: the edge behind a load balancer.
        assert_eq!(client("127.0.0.1", &["1.1.1.1, 203.0.113.7, 10.0.0.2"], &["127.0.0.1", "10.0.0.2"]), "203.0.113.7");
        assert_eq!(client("127.0.0.1", &["1.1.1.1", "203.0.113.7"], &["127.0.0.1"]), "203.0.113.7", "repeated headers in order");
        assert_eq!(client("127.0.0.1", &["nonsense, 203.0.113.7:4000"], &["127.0.0.1"]), "203.0.113.7", "with a port");
        assert_eq!(client("127.0.0.1", &["[2001:db8::1]:443"], &["127.0.0.1"]), "2001:db8::1");
        assert_eq!(client("127.0.0.1", &["203.0.113.7, junk"], &["127.0.0.1"]), "127.0.0.1", "a malformed last hop stops the walk");
    }
}
