//! Stub for `slip`: filled by its own commit.
