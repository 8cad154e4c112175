//! The seed examples.
