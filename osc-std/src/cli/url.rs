//! Endpoint URLs: `udp://HOST:PORT` and `tcp://HOST:PORT`.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

/// The transport of an endpoint.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Udp,
    Tcp,
}

/// A parsed endpoint.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) transport: Transport,
    pub(crate) addr: SocketAddr,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.transport {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        };
        write!(f, "{scheme}://{}", self.addr)
    }
}

pub(crate) const URL_HELP: &str = "udp://HOST:PORT or tcp://HOST:PORT, e.g. udp://127.0.0.1:9000, \
tcp://[::1]:9000 (liblo's osc.udp:// and osc.tcp:// are accepted too)";

/// Parses an endpoint URL. An empty host means all interfaces (`0.0.0.0`), as in liblo; a bare port
/// number means `udp://0.0.0.0:PORT`. Host names are resolved; a name with both IPv4 and IPv6
/// addresses (like `localhost`) uses the first IPv4 one, since most OSC peers listen on IPv4 only.
pub(crate) fn parse(text: &str) -> Result<Endpoint, String> {
    let bad = |why: &str| format!("invalid URL {text:?}: {why} (expected {URL_HELP})");
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = text.parse().map_err(|_| bad("port out of range"))?;
        return Ok(Endpoint {
            transport: Transport::Udp,
            addr: SocketAddr::from(([0, 0, 0, 0], port)),
        });
    }
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| bad("missing scheme"))?;
    let transport = match scheme.strip_prefix("osc.").unwrap_or(scheme) {
        "udp" => Transport::Udp,
        "tcp" => Transport::Tcp,
        _ => return Err(bad("unknown scheme")),
    };
    let hostport = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, p) = v6
            .split_once("]:")
            .ok_or_else(|| bad("an IPv6 address needs the form [ADDR]:PORT"))?;
        (h, p)
    } else {
        hostport
            .rsplit_once(':')
            .ok_or_else(|| bad("missing :PORT"))?
    };
    let port: u16 = port.parse().map_err(|_| bad("invalid port"))?;
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| bad(&format!("cannot resolve host {host:?}: {e}")))?
        .collect();
    let addr = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| bad(&format!("host {host:?} has no address")))?;
    Ok(Endpoint { transport, addr })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let e = parse("udp://127.0.0.1:9000").unwrap();
        assert_eq!(
            (e.transport, e.addr.to_string()),
            (Transport::Udp, "127.0.0.1:9000".into())
        );
        let e = parse("tcp://[::1]:9001").unwrap();
        assert_eq!(
            (e.transport, e.addr.to_string()),
            (Transport::Tcp, "[::1]:9001".into())
        );
        let e = parse("osc.udp://:7000/").unwrap();
        assert_eq!(e.addr.to_string(), "0.0.0.0:7000");
        assert_eq!(parse("9000").unwrap().to_string(), "udp://0.0.0.0:9000");
        assert_eq!(
            parse("udp://localhost:1").unwrap().addr.to_string(),
            "127.0.0.1:1"
        );
        for bad in [
            "",
            "udp://1.2.3.4",
            "http://a:1",
            "udp://[::1:5",
            "udp://a:99999",
            "99999",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
