//! The pieces of the `osc` command-line tool. Everything here is I/O-free except [`net`].

pub(crate) mod hex;
pub(crate) mod json;
pub(crate) mod net;
pub(crate) mod replay;
pub(crate) mod text;
pub(crate) mod typed;
pub(crate) mod url;
pub(crate) mod value;
