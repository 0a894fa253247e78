//! Integration tests: customer.
