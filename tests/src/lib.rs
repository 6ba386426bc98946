//! Shared helpers for the black-box tests live in the test files.
