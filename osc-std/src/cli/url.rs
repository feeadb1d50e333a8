//! Endpoint URLs: `udp://HOST:PORT`, `udp://GROUP:PORT?interface=IF`, `tcp://HOST:PORT` and
//! `serial://PATH`.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};

/// A parsed endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Udp(SocketAddr),
    /// A UDP multicast group (IPv4 `224.0.0.0/4`, IPv6 `ff00::/8`): `osc dump` joins it, `osc send`
    /// sends to it and takes replies from any member.
    Multicast {
        group: SocketAddr,
        interface: Interface,
        /// How many routers a datagram sent to the group may cross (IPv4 TTL, IPv6 hop limit);
        /// `None`: the system's default, 1.
        ttl: Option<u32>,
    },
    Tcp(SocketAddr),
    /// A serial port by the system's name for it, and its rate in bits per second.
    Serial {
        path: String,
        baud: u32,
    },
}

/// The interface a multicast group is joined on and sent from: an IPv4 interface by its address,
/// an IPv6 one by its index ([`parse`] looks either up from a name). `0.0.0.0` and 0 (the
/// default) let the system choose by its routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interface {
    V4(Ipv4Addr),
    V6(u32),
}

impl Interface {
    fn is_default(self) -> bool {
        self == Self::V4(Ipv4Addr::UNSPECIFIED) || self == Self::V6(0)
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(a) => a.fmt(f),
            Self::V6(i) => i.fmt(f),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Udp(addr) => write!(f, "udp://{addr}"),
            Self::Multicast {
                group,
                interface,
                ttl,
            } => {
                write!(f, "udp://{group}")?;
                let mut sep = '?';
                if !interface.is_default() {
                    write!(f, "{sep}interface={interface}")?;
                    sep = '&';
                }
                if let Some(ttl) = ttl {
                    write!(f, "{sep}ttl={ttl}")?;
                }
                Ok(())
            }
            Self::Tcp(addr) => write!(f, "tcp://{addr}"),
            Self::Serial { path, baud } => write!(f, "serial://{path}?baud={baud}"),
        }
    }
}

pub(crate) const URL_HELP: &str =
    "udp://HOST:PORT, tcp://HOST:PORT or serial://PATH[?baud=N], e.g. \
udp://127.0.0.1:9000, tcp://[::1]:9000, udp://239.0.0.1:9000?interface=192.168.1.2&ttl=4 (a \
multicast group), serial:///dev/ttyACM0?baud=115200, serial://COM3 (liblo's osc.udp:// and osc.tcp:// are \
accepted too)";

/// The rate of a serial endpoint without `?baud=`.
pub(crate) const DEFAULT_BAUD: u32 = 115_200;

/// Parses an endpoint URL. An empty host means all interfaces (`0.0.0.0`), as in liblo; a bare port
/// number means `udp://0.0.0.0:PORT`. Host names are resolved; a name with both IPv4 and IPv6
/// addresses (like `localhost`) uses the first IPv4 one, since most OSC peers listen on IPv4 only.
/// A UDP multicast address is a [`Endpoint::Multicast`] group; `?interface=` chooses its
/// interface (for IPv4 the interface's address or name, for IPv6 its index or name) and `ttl=` how
/// far datagrams sent to it may go (`?interface=192.168.1.2&ttl=4`, `?interface=eth0`); both are
/// refused for anything else.
pub(crate) fn parse(text: &str) -> Result<Endpoint, String> {
    let bad = |why: &str| format!("invalid URL {text:?}: {why} (expected {URL_HELP})");
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = text.parse().map_err(|_| bad("port out of range"))?;
        return Ok(Endpoint::Udp(SocketAddr::from(([0, 0, 0, 0], port))));
    }
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| bad("missing scheme"))?;
    let tcp = match scheme {
        "udp" | "osc.udp" => false,
        "tcp" | "osc.tcp" => true,
        "serial" => return serial(rest).map_err(&bad),
        _ => return Err(bad("unknown scheme")),
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
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
    let (mut interface, mut ttl) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("interface", v)) => interface = Some(v),
            Some(("ttl", v)) => {
                let v: u8 = v
                    .parse()
                    .map_err(|_| bad("ttl= takes a number from 0 to 255"))?;
                ttl = Some(u32::from(v));
            }
            _ => {
                return Err(bad(
                    "the only queries are ?interface= and ttl= (for a multicast group)",
                ))
            }
        }
    }
    if tcp || !addr.ip().is_multicast() {
        if interface.is_some() || ttl.is_some() {
            return Err(bad(
                "?interface= and ttl= apply to UDP multicast groups only",
            ));
        }
        return Ok(if tcp {
            Endpoint::Tcp(addr)
        } else {
            Endpoint::Udp(addr)
        });
    }
    let interface = match (addr, interface) {
        (SocketAddr::V4(_), None) => Interface::V4(Ipv4Addr::UNSPECIFIED),
        (SocketAddr::V6(_), None) => Interface::V6(0),
        (SocketAddr::V4(_), Some(i)) => Interface::V4(
            i.parse()
                .ok()
                .or_else(|| interface_address_v4(i))
                .ok_or_else(|| {
                    bad(&format!(
                        "an IPv4 group's interface is the interface's IPv4 address or name (of \
                         an interface with an IPv4 address); {i:?} is neither"
                    ))
                })?,
        ),
        (SocketAddr::V6(_), Some(i)) => Interface::V6(interface_index(i).ok_or_else(|| {
            bad(&format!(
                "an IPv6 group's interface is the interface's index or name; {i:?} is neither"
            ))
        })?),
    };
    Ok(Endpoint::Multicast {
        group: addr,
        interface,
        ttl,
    })
}

/// An IPv6 interface by its index (`2`) or its name (`eth0`, `en0`).
///
/// On Linux and Android the names come from `/proc/net/if_inet6`, which lists every interface with
/// an IPv6 address, link-local ones included (the `ff02::` groups' usual case), by the network
/// namespace of the process (unlike `/sys/class/net`), with its index in hexadecimal. Elsewhere,
/// and for a name not found there, the system's interface list (`getifaddrs`) gives the index.
fn interface_index(interface: &str) -> Option<u32> {
    if let Ok(index) = interface.parse() {
        return Some(index);
    }
    let listed = std::fs::read_to_string("/proc/net/if_inet6").unwrap_or_default();
    let in_proc = listed.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, index, .., name] if *name == interface => u32::from_str_radix(index, 16).ok(),
            _ => None,
        }
    });
    in_proc.or_else(|| {
        if_addrs::get_if_addrs()
            .ok()?
            .into_iter()
            .find(|i| i.name == interface)
            .and_then(|i| i.index)
    })
}

/// The IPv4 address of the interface named `name` (its first, if it has several).
///
/// The interfaces come from the system (`getifaddrs`, or its Windows equivalent, through the
/// `if-addrs` crate), so they are those of the process's network namespace. (That list leaves
/// out IPv6 link-local addresses, which is why IPv6 names are looked up in `/proc` first.)
fn interface_address_v4(name: &str) -> Option<Ipv4Addr> {
    if_addrs::get_if_addrs()
        .ok()?
        .into_iter()
        .find_map(|i| match i.addr {
            if_addrs::IfAddr::V4(v4) if i.name == name => Some(v4.ip),
            _ => None,
        })
}

/// The part of a `serial://` URL after the scheme: a path (`/dev/ttyACM0`, so three slashes in all,
/// or `COM3`) and an optional `?baud=N`.
fn serial(rest: &str) -> Result<Endpoint, &'static str> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err("missing the port's path");
    }
    let baud = match query {
        "" => DEFAULT_BAUD,
        q => q
            .strip_prefix("baud=")
            .and_then(|b| b.parse().ok())
            .filter(|&b| b > 0)
            .ok_or("expected ?baud=N with N > 0")?,
    };
    Ok(Endpoint::Serial {
        path: path.to_owned(),
        baud,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(e: Endpoint) -> String {
        match e {
            Endpoint::Udp(a) | Endpoint::Tcp(a) => a.to_string(),
            Endpoint::Multicast { group, .. } => group.to_string(),
            Endpoint::Serial { .. } => panic!("not a socket: {e}"),
        }
    }

    #[test]
    fn forms() {
        let e = parse("udp://127.0.0.1:9000").unwrap();
        assert_eq!(e, Endpoint::Udp("127.0.0.1:9000".parse().unwrap()));
        let e = parse("tcp://[::1]:9001").unwrap();
        assert_eq!(e, Endpoint::Tcp("[::1]:9001".parse().unwrap()));
        assert_eq!(addr(parse("osc.udp://:7000/").unwrap()), "0.0.0.0:7000");
        assert_eq!(parse("9000").unwrap().to_string(), "udp://0.0.0.0:9000");
        assert_eq!(addr(parse("udp://localhost:1").unwrap()), "127.0.0.1:1");
        let serial = |path: &str, baud| Endpoint::Serial {
            path: path.into(),
            baud,
        };
        assert_eq!(
            parse("serial:///dev/ttyACM0").unwrap(),
            serial("/dev/ttyACM0", DEFAULT_BAUD)
        );
        assert_eq!(
            parse("serial://COM3?baud=9600").unwrap(),
            serial("COM3", 9600)
        );
        assert_eq!(
            parse("serial:///dev/ttyUSB1?baud=57600")
                .unwrap()
                .to_string(),
            "serial:///dev/ttyUSB1?baud=57600"
        );
        assert_eq!(
            parse("udp://239.1.2.3:9000").unwrap(),
            Endpoint::Multicast {
                group: "239.1.2.3:9000".parse().unwrap(),
                interface: Interface::V4(Ipv4Addr::UNSPECIFIED),
                ttl: None,
            }
        );
        let e = parse("osc.udp://224.0.1.9:7770?interface=192.168.1.2").unwrap();
        assert_eq!(
            e,
            Endpoint::Multicast {
                group: "224.0.1.9:7770".parse().unwrap(),
                interface: Interface::V4(Ipv4Addr::new(192, 168, 1, 2)),
                ttl: None,
            }
        );
        assert_eq!(e.to_string(), "udp://224.0.1.9:7770?interface=192.168.1.2");
        assert_eq!(
            parse("udp://239.1.2.3:9000?ttl=4&interface=10.0.0.1")
                .unwrap()
                .to_string(),
            "udp://239.1.2.3:9000?interface=10.0.0.1&ttl=4"
        );
        assert_eq!(
            parse("udp://239.1.2.3:9000?ttl=0").unwrap().to_string(),
            "udp://239.1.2.3:9000?ttl=0"
        );
        let e = parse("udp://[ff02::114]:9000?interface=3").unwrap();
        assert_eq!(e.to_string(), "udp://[ff02::114]:9000?interface=3");
        // By name (the loopback interface, where it has an IPv6 address): its index.
        if let Some(lo) = interface_index("lo") {
            let e = parse("udp://[ff02::114]:9000?interface=lo").unwrap();
            assert_eq!(
                e.to_string(),
                format!("udp://[ff02::114]:9000?interface={lo}")
            );
            assert_eq!(lo, 1);
        }
        assert_eq!(
            parse("udp://[ff02::114]:9000").unwrap().to_string(),
            "udp://[ff02::114]:9000"
        );
        // An IPv4 interface by name: its address.
        if cfg!(target_os = "linux") {
            assert_eq!(interface_address_v4("lo"), Some(Ipv4Addr::LOCALHOST));
            assert_eq!(
                parse("udp://239.1.2.3:9000?interface=lo")
                    .unwrap()
                    .to_string(),
                "udp://239.1.2.3:9000?interface=127.0.0.1"
            );
        }
        for bad in [
            "",
            "udp://127.0.0.1:9000?interface=127.0.0.1",
            "tcp://239.1.2.3:9000?interface=127.0.0.1",
            "udp://239.1.2.3:9000?interface=no-such-if0",
            "udp://239.1.2.3:9000?ttl=256",
            "udp://239.1.2.3:9000?hops=4",
            "udp://127.0.0.1:9000?ttl=4",
            "udp://[ff02::1]:9000?interface=::1",
            "udp://[ff02::1]:9000?interface=no-such-if0",
            "udp://1.2.3.4",
            "http://a:1",
            "udp://[::1:5",
            "udp://a:99999",
            "99999",
            "serial://",
            "serial:///dev/ttyS0?baud=0",
            "serial:///dev/ttyS0?speed=9600",
            "osc.serial:///dev/ttyS0",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
