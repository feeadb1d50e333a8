//! Stub for `pattern`: filled by its own commit.
