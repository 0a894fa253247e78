//! Integration tests: predict.
