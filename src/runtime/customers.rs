//! The engine's customers: a slab of slots indexed by a hash table of slot
//! numbers. Timers and the engine's work lists hold a 8-byte handle
//! (`Cix`), not a copy of the id: firing a timer indexes the slab instead
//! of hashing a string, and a million customers cost 5 bytes each in the
//! index (a `u32` and a control byte) instead of a whole entry at the
//! table's load factor.
//!
//! A slot freed (its customer became idle) and taken again by another
//! customer gets a new generation, so a handle to the old customer (a
//! stale timer) finds nothing, as a lookup of a dropped id would.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::state::Customer;

/// A handle to a customer: its slot and the slot's generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Cix {
    slot: u32,
    gen: u32,
}

#[derive(Debug, Default)]
struct Slot {
    /// `None` when the slot is free.
    id: Option<Arc<str>>,
    gen: u32,
    customer: Customer,
}

#[derive(Debug, Default)]
pub(crate) struct Customers {
    index: HashTable<u32>,
    slots: Vec<Slot>,
    free: Vec<u32>,
}

fn hash(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

impl Customers {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The handle of a customer who has state.
    pub fn find(&self, id: &str) -> Option<Cix> {
        let slots = &self.slots;
        let &slot = self
            .index
            .find(hash(id), |&s| slots[s as usize].id.as_deref() == Some(id))?;
        Some(self.handle(slot))
    }

    /// The handle of a customer, added (with empty state) if new.
    pub fn find_or_insert(&mut self, id: &Arc<str>) -> Cix {
        if let Some(h) = self.find(id) {
            return h;
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot::default());
                // More than 4 G customers in one engine cannot be held in
                // memory anyway.
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.slots[slot as usize].id = Some(id.clone());
        let slots = &self.slots;
        self.index.insert_unique(hash(id), slot, |&s| {
            hash(slots[s as usize].id.as_deref().unwrap_or(""))
        });
        self.handle(slot)
    }

    fn handle(&self, slot: u32) -> Cix {
        Cix {
            slot,
            gen: self.slots[slot as usize].gen,
        }
    }

    fn live(&self, h: Cix) -> Option<&Slot> {
        self.slots
            .get(h.slot as usize)
            .filter(|s| s.gen == h.gen && s.id.is_some())
    }

    pub fn is_live(&self, h: Cix) -> bool {
        self.live(h).is_some()
    }

    pub fn get(&self, h: Cix) -> Option<&Customer> {
        self.live(h).map(|s| &s.customer)
    }

    /// The state of a customer whose handle was just found or made (the
    /// handle is live: no generation check).
    pub fn at_mut(&mut self, h: Cix) -> &mut Customer {
        &mut self.slots[h.slot as usize].customer
    }

    pub fn get_mut(&mut self, h: Cix) -> Option<&mut Customer> {
        self.slots
            .get_mut(h.slot as usize)
            .filter(|s| s.gen == h.gen && s.id.is_some())
            .map(|s| &mut s.customer)
    }

    /// The customer's id: the one `Arc` every event and action of theirs
    /// shares while they have state.
    pub fn id(&self, h: Cix) -> Option<&Arc<str>> {
        self.live(h).and_then(|s| s.id.as_ref())
    }

    pub fn get_by_id(&self, id: &str) -> Option<&Customer> {
        self.find(id).and_then(|h| self.get(h))
    }

    /// Drops a customer; its handles go stale.
    pub fn remove(&mut self, h: Cix) {
        let Some(id) = self.live(h).and_then(|s| s.id.clone()) else {
            return;
        };
        if let Ok(entry) = self.index.find_entry(hash(&id), |&s| s == h.slot) {
            entry.remove();
        }
        let slot = &mut self.slots[h.slot as usize];
        slot.id = None;
        slot.customer = Customer::default();
        slot.gen = slot.gen.wrapping_add(1);
        self.free.push(h.slot);
    }

    /// Adds a customer with the given state (restoring a snapshot).
    pub fn insert(&mut self, id: Arc<str>, customer: Customer) {
        let h = self.find_or_insert(&id);
        if let Some(c) = self.get_mut(h) {
            *c = customer;
        }
    }

    /// Every customer with state, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Customer)> {
        self.slots
            .iter()
            .filter_map(|s| s.id.as_ref().map(|id| (id, &s.customer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_slot_is_reused_and_old_handles_go_stale() {
        let mut cs = Customers::default();
        let a: Arc<str> = Arc::from("a");
        let b: Arc<str> = Arc::from("b");
        let ha = cs.find_or_insert(&a);
        assert_eq!(cs.find_or_insert(&a), ha);
        cs.remove(ha);
        assert!(cs.find("a").is_none());
        assert!(cs.get(ha).is_none());
        let hb = cs.find_or_insert(&b);
        assert_ne!(hb, ha, "same slot, new generation");
        assert!(cs.get(ha).is_none());
        assert_eq!(cs.id(hb).map(|s| &**s), Some("b"));
        assert_eq!(cs.len(), 1);
    }

    #[test]
    fn many_customers_survive_growth() {
        let mut cs = Customers::default();
        let ids: Vec<Arc<str>> = (0..10_000).map(|i| Arc::from(format!("c{i}"))).collect();
        let hs: Vec<Cix> = ids.iter().map(|id| cs.find_or_insert(id)).collect();
        for (i, id) in ids.iter().enumerate().step_by(3) {
            assert_eq!(cs.find(id), Some(hs[i]));
            cs.remove(hs[i]);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(cs.find(id).is_some(), i % 3 != 0, "{id}");
        }
        assert_eq!(cs.iter().count(), cs.len());
    }
}
