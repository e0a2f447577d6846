//! A slab: entries addressed by small integer tokens, with freed slots reused
//! through a free list threaded through the vacant slots.
//!
//! Index-based rather than pointer-based, after quick_cache's
//! `src/linked_slab.rs`: no `unsafe`, no reference counting, and a token is a
//! plain `u32` that can cross the JavaScript boundary as a number.

use std::num::NonZeroU32;

/// The address of an entry in a [`Slab`]. `Option<Token>` is four bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(NonZeroU32);

impl Token {
    /// The zero-based slot index.
    ///
    /// ```
    /// use edgecache::policy::Token;
    /// assert_eq!(Token::from_index(7).unwrap().index(), 7);
    /// ```
    pub fn index(self) -> u32 {
        self.0.get() - 1
    }

    /// The token for a zero-based slot index; `None` for `u32::MAX`, which no
    /// slab hands out.
    pub fn from_index(index: u32) -> Option<Token> {
        index.checked_add(1).and_then(NonZeroU32::new).map(Token)
    }
}

#[derive(Debug)]
enum Slot<T> {
    Occupied(T),
    Vacant { next_free: Option<Token> },
}

/// Storage for entries addressed by [`Token`]s.
///
/// ```
/// use edgecache::policy::Slab;
/// let mut slab = Slab::new();
/// let a = slab.insert("a").unwrap();
/// assert_eq!(slab.remove(a), Some("a"));
/// let b = slab.insert("b").unwrap();
/// assert_eq!(a, b, "the freed slot is reused");
/// ```
#[derive(Debug)]
pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Option<Token>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Slab<T> {
    /// An empty slab.
    pub const fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: None,
            len: 0,
        }
    }

    /// Number of occupied slots.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no slot is occupied.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stores `value`, reusing a freed slot if there is one. `None` only when
    /// all `u32::MAX` tokens are in use.
    pub fn insert(&mut self, value: T) -> Option<Token> {
        if let Some(token) = self.free {
            let slot = self.slots.get_mut(token.index() as usize)?;
            if let Slot::Vacant { next_free } = *slot {
                self.free = next_free;
                *slot = Slot::Occupied(value);
                self.len += 1;
                return Some(token);
            }
            // A free-list head that is occupied would be a slab bug; fall
            // through and append rather than overwrite live data.
        }
        let token = Token::from_index(u32::try_from(self.slots.len()).ok()?)?;
        self.slots.push(Slot::Occupied(value));
        self.len += 1;
        Some(token)
    }

    /// Removes and returns the entry at `token`, if occupied.
    pub fn remove(&mut self, token: Token) -> Option<T> {
        let slot = self.slots.get_mut(token.index() as usize)?;
        if matches!(slot, Slot::Vacant { .. }) {
            return None;
        }
        let old = std::mem::replace(
            slot,
            Slot::Vacant {
                next_free: self.free,
            },
        );
        self.free = Some(token);
        self.len -= 1;
        match old {
            Slot::Occupied(value) => Some(value),
            Slot::Vacant { .. } => None,
        }
    }

    /// The entry at `token`, if occupied.
    pub fn get(&self, token: Token) -> Option<&T> {
        match self.slots.get(token.index() as usize)? {
            Slot::Occupied(value) => Some(value),
            Slot::Vacant { .. } => None,
        }
    }

    /// The entry at `token`, mutably, if occupied.
    pub fn get_mut(&mut self, token: Token) -> Option<&mut T> {
        match self.slots.get_mut(token.index() as usize)? {
            Slot::Occupied(value) => Some(value),
            Slot::Vacant { .. } => None,
        }
    }

    /// Every occupied entry with its token, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Token, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match slot {
                Slot::Occupied(value) => Some((Token::from_index(u32::try_from(i).ok()?)?, value)),
                Slot::Vacant { .. } => None,
            })
    }

    /// Removes every entry and releases the memory.
    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.free = None;
        self.len = 0;
    }

    /// Number of slots, occupied or free (the slab's memory footprint).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused_last_freed_first() {
        let mut slab = Slab::new();
        let t: Vec<_> = (0..4).map(|i| slab.insert(i).unwrap()).collect();
        assert_eq!(slab.remove(t[1]), Some(1));
        assert_eq!(slab.remove(t[2]), Some(2));
        assert_eq!(slab.insert(20), Some(t[2]));
        assert_eq!(slab.insert(10), Some(t[1]));
        assert_eq!(slab.capacity(), 4);
        assert_eq!(slab.len(), 4);
    }

    #[test]
    fn removing_twice_or_a_stranger_is_none() {
        let mut slab = Slab::new();
        let a = slab.insert('a').unwrap();
        assert_eq!(slab.remove(a), Some('a'));
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.remove(Token::from_index(99).unwrap()), None);
        assert!(slab.is_empty());
    }

    #[test]
    fn iter_lists_only_occupied_slots() {
        let mut slab = Slab::new();
        let a = slab.insert(1).unwrap();
        let b = slab.insert(2).unwrap();
        slab.remove(a);
        assert_eq!(slab.iter().collect::<Vec<_>>(), vec![(b, &2)]);
    }

    #[test]
    fn token_index_roundtrips_and_refuses_u32_max() {
        assert_eq!(Token::from_index(0).unwrap().index(), 0);
        assert!(Token::from_index(u32::MAX).is_none());
        assert_eq!(std::mem::size_of::<Option<Token>>(), 4);
    }
}
