//! Tests of the guard over queries.
