//! `trig run` through the built binary.

#[test]
fn placeholder() {}
