//! What the wildcard parts of a pattern matched in an address: [`captures`].

use super::{is_pattern, matches};

/// The parts of `address` that the wildcard parts of `pattern` matched, in order; `None` if
/// `pattern` does not match `address`.
///
/// A pattern part with a wildcard (`*`, `?`, `[...]` or `{...}`) matches exactly one address part,
/// and gives that whole part: `/ch/*/mix` and `/ch/0[0-9]/mix` both give `"07"` for `/ch/07/mix`,
/// and `/fx{1,2}` gives `"fx2"` for `/fx2`. Literal parts give nothing. A `//` gives the parts it
/// stepped over, joined by `/` as in the address, as few as the rest of the pattern allows (an
/// empty string when none): `/a//b` gives `"x/y"` for `/a/x/y/b`.
///
/// This is what a handler registered under a pattern wants from the address that reached it (a
/// channel number, a name); [`Request::captures`](crate::Request::captures) gives it for the route
/// that matched. No allocation; each `//` costs one match of the rest of the pattern per part it
/// may skip.
///
/// ```
/// use osc_core::pattern::captures;
///
/// let parts: Vec<&str> = captures("/ch/*/mix/{fader,pan}", "/ch/07/mix/pan").unwrap().collect();
/// assert_eq!(parts, ["07", "pan"]);
/// assert_eq!(captures("//spherical", "/source/3/spherical").unwrap().next(), Some("source/3"));
/// assert_eq!(captures("/synth/1/freq", "/synth/1/freq").unwrap().count(), 0);
/// assert!(captures("/ch/*", "/bus/1").is_none());
/// ```
pub fn captures<'p, 'a>(pattern: &'p str, address: &'a str) -> Option<Captures<'p, 'a>> {
    if !matches(pattern, address) {
        return None;
    }
    Some(Captures { pattern, address })
}

/// What a handler registered under `route` gets from the incoming `address`: its [`captures`]
/// when `address` is a literal address that `route` matches, and nothing otherwise (for a literal
/// route, an address it does not match, or an incoming pattern, whose wildcards are the sender's).
/// [`Request::captures`](crate::Request::captures) is this for the route that matched.
///
/// ```
/// use osc_core::pattern::route_captures;
///
/// assert_eq!(route_captures("/ch/*/mix", "/ch/07/mix").collect::<Vec<_>>(), ["07"]);
/// assert_eq!(route_captures("/ch/*/mix", "/ch/0?/mix").count(), 0);
/// ```
pub fn route_captures<'p, 'a>(route: &'p str, address: &'a str) -> Captures<'p, 'a> {
    if is_pattern(address) {
        return Captures::default();
    }
    captures(route, address).unwrap_or_default()
}

/// The iterator of [`captures`] and [`Request::captures`](crate::Request::captures): one `&str`,
/// borrowed from the address, per wildcard part of the pattern.
///
/// Its [`Default`] value yields nothing.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Captures<'p, 'a> {
    /// What is left of the pattern: empty, or starting with `/`.
    pattern: &'p str,
    /// What is left of the address, which the rest of the pattern matches.
    address: &'a str,
}

impl<'a> Iterator for Captures<'_, 'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let rest = self.pattern.strip_prefix('/')?;
            if rest.starts_with('/') {
                return Some(self.skip_parts(rest));
            }
            let (part, pattern) = split_part(rest);
            let (matched, address) = split_part(self.address.strip_prefix('/')?);
            self.pattern = pattern;
            self.address = address;
            if is_pattern(part) {
                return Some(matched);
            }
        }
    }
}

impl<'p, 'a> Captures<'p, 'a> {
    /// At a `//` (`after` is the pattern after its first `/`): steps over as few address parts as
    /// the rest of the pattern allows, and returns them.
    fn skip_parts(&mut self, after: &'p str) -> &'a str {
        let address = self.address;
        // Each part starts at a `/`: the rest from there, with the parts before it stepped over.
        for (at, _) in address.match_indices('/') {
            let rest = address.get(at..).unwrap_or_default();
            if matches(after, rest) {
                self.pattern = after;
                self.address = rest;
                return address.get(1..at).unwrap_or_default();
            }
        }
        // Not reached: the whole pattern matched, so one of those rests matches.
        self.pattern = "";
        ""
    }
}

/// `s` (after a `/`) cut at its next `/`: the part, and the rest starting with that `/` (or empty).
fn split_part(s: &str) -> (&str, &str) {
    match s.find('/') {
        Some(end) => s.split_at(end),
        None => (s, ""),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn all<'a>(pattern: &str, address: &'a str) -> Option<heapless::Vec<&'a str, 8>> {
        captures(pattern, address).map(|c| c.collect())
    }

    #[test]
    fn each_wildcard_part_gives_its_whole_address_part() {
        assert_eq!(all("/ch/*/mix/fader", "/ch/07/mix/fader").unwrap(), ["07"]);
        assert_eq!(all("/ch/0[0-9]/mix", "/ch/07/mix").unwrap(), ["07"]);
        assert_eq!(all("/fx{1,2}/on", "/fx2/on").unwrap(), ["fx2"]);
        assert_eq!(all("/?/*/c", "/a/bb/c").unwrap(), ["a", "bb"]);
        assert_eq!(all("/*", "/").map(|v| v.len()), None);
        assert_eq!(all("/", "/").unwrap().len(), 0);
        assert_eq!(all("/a/b", "/a/b").unwrap().len(), 0);
        assert_eq!(all("/a/*", "/a/b/c"), None);
        assert_eq!(
            all("/a/[", "/a/["),
            None,
            "a malformed pattern matches nothing"
        );
    }

    #[test]
    fn a_double_slash_gives_the_parts_it_steps_over() {
        assert_eq!(all("//spherical", "/spherical").unwrap(), [""]);
        assert_eq!(all("//spherical", "/a/b/spherical").unwrap(), ["a/b"]);
        assert_eq!(all("/a//b", "/a/x/y/b").unwrap(), ["x/y"]);
        assert_eq!(all("/a//*/z", "/a/x/y/z").unwrap(), ["x", "y"]);
        assert_eq!(all("//b//d", "/a/b/c/d").unwrap(), ["a", "c"]);
        // As few parts as the rest allows: the first `b` that leaves a match.
        assert_eq!(all("//b/*", "/b/b/c").unwrap(), ["b", "c"]);
        assert_eq!(all("//b", "/b/b").unwrap(), ["b"]);
        assert_eq!(all("//é/*", "/ü/é/x").unwrap(), ["ü", "x"]);
    }

    #[test]
    fn the_default_yields_nothing() {
        assert_eq!(Captures::default().next(), None);
    }
}
