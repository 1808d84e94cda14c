//! Stable identifiers, documented in docs/runtime.md so other systems can
//! recompute them: the action id and the holdout assignment. Both are
//! SHA-256 over length-prefixed fields, so no two field lists hash the same
//! input and the result does not depend on platform or Rust version.

use sha2::{Digest, Sha256};

/// Feeds one field: its length as 8 bytes little-endian, then its bytes.
fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// How the completing event is identified in an action id.
pub enum EventIdentity<'a> {
    /// The event's own `id`.
    Id(&'a str),
    /// No id: customer, name, timestamp (ms) and position among that
    /// customer's events with the same timestamp (0-based, arrival order).
    Position {
        customer: &'a str,
        name: &'a str,
        time: i64,
        position: u32,
    },
}

/// `SHA-256("trig.action.v1", rule, key, event…)`, the first 16 bytes in
/// lowercase hex. `key` is the rendered key with a type tag (see
/// `runtime::state::KeyValue`), empty for the default per-customer key.
pub fn action_id(rule: &str, key: &str, event: &EventIdentity) -> String {
    let mut h = Sha256::new();
    field(&mut h, b"trig.action.v1");
    field(&mut h, rule.as_bytes());
    field(&mut h, key.as_bytes());
    match event {
        EventIdentity::Id(id) => {
            field(&mut h, b"id");
            field(&mut h, id.as_bytes());
        }
        EventIdentity::Position {
            customer,
            name,
            time,
            position,
        } => {
            field(&mut h, b"position");
            field(&mut h, customer.as_bytes());
            field(&mut h, name.as_bytes());
            field(&mut h, time.to_string().as_bytes());
            field(&mut h, position.to_string().as_bytes());
        }
    }
    hex16(&h.finalize())
}

/// Whether `customer` is in the holdout share of `rule`: the first 8 bytes
/// of `SHA-256("trig.holdout.v1", rule, customer)` as a big-endian integer,
/// modulo 10,000, below the share in basis points (10% = 1,000). Sticky:
/// the same customer is always in or out for the same rule name.
pub fn in_holdout(rule: &str, customer: &str, basis_points: u32) -> bool {
    let mut h = Sha256::new();
    field(&mut h, b"trig.holdout.v1");
    field(&mut h, rule.as_bytes());
    field(&mut h, customer.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % 10_000) < u64::from(basis_points)
}

fn hex16(bytes: &[u8]) -> String {
    bytes[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned values: a change here breaks every stored action id.
    #[test]
    fn ids_are_pinned() {
        assert_eq!(
            action_id("r", "", &EventIdentity::Id("e1")),
            action_id("r", "", &EventIdentity::Id("e1"))
        );
        let by_id = action_id("cart_reminder", "s:c1", &EventIdentity::Id("evt-1"));
        assert_eq!(by_id.len(), 32);
        let by_pos = action_id(
            "cart_reminder",
            "",
            &EventIdentity::Position {
                customer: "42",
                name: "cart.abandoned",
                time: 1_700_000_000_000,
                position: 0,
            },
        );
        assert_ne!(by_id, by_pos);
        insta::assert_snapshot!(format!("{by_id}\n{by_pos}"));
    }

    #[test]
    fn holdout_share_is_close_to_requested() {
        let held = (0..10_000)
            .filter(|c| in_holdout("winback", &c.to_string(), 1_000))
            .count();
        assert!((800..1200).contains(&held), "{held}");
    }
}
