//! Stub for `len_prefix`: filled by its own commit.
