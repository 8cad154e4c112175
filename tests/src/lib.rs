//! End-to-end tests of hookmap live in `tests/`.
