//! Event decoders (being written).
