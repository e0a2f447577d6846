//! An intrusive doubly linked FIFO queue threaded through slab entries.
//!
//! S3-FIFO needs push-at-head, pop-at-tail and removal from the middle (for
//! `delete` and expiry), all O(1). The links live inside the entries
//! ([`Links`]), so a queue is three words and moving an entry between queues
//! allocates nothing.

use super::slab::{Slab, Token};

/// The previous/next pointers an entry carries for the queue it is in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// Towards the head (newer entries).
    pub prev: Option<Token>,
    /// Towards the tail (older entries).
    pub next: Option<Token>,
}

/// An entry that can sit in a [`Fifo`].
pub trait Linked {
    /// The entry's links.
    fn links(&self) -> &Links;
    /// The entry's links, mutably.
    fn links_mut(&mut self) -> &mut Links;
}

/// A FIFO queue of slab tokens: new entries enter at the head, the oldest
/// leaves from the tail.
///
/// ```
/// use edgecache::policy::{Fifo, Links, Linked, Slab};
/// struct E(Links);
/// impl Linked for E {
///     fn links(&self) -> &Links { &self.0 }
///     fn links_mut(&mut self) -> &mut Links { &mut self.0 }
/// }
/// let mut slab = Slab::new();
/// let mut q = Fifo::default();
/// let a = slab.insert(E(Links::default())).unwrap();
/// let b = slab.insert(E(Links::default())).unwrap();
/// q.push_head(&mut slab, a);
/// q.push_head(&mut slab, b);
/// assert_eq!(q.tail(), Some(a));
/// ```
#[derive(Debug, Default)]
pub struct Fifo {
    head: Option<Token>,
    tail: Option<Token>,
    len: usize,
}

impl Fifo {
    /// Number of entries in the queue.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The oldest entry.
    pub fn tail(&self) -> Option<Token> {
        self.tail
    }

    /// Links `token` (which must be in no queue) in at the head.
    pub fn push_head<T: Linked>(&mut self, slab: &mut Slab<T>, token: Token) {
        let old_head = self.head;
        let Some(entry) = slab.get_mut(token) else {
            return;
        };
        *entry.links_mut() = Links {
            prev: None,
            next: old_head,
        };
        match old_head.and_then(|h| slab.get_mut(h)) {
            Some(head) => head.links_mut().prev = Some(token),
            None => self.tail = Some(token),
        }
        self.head = Some(token);
        self.len += 1;
    }

    /// Unlinks `token`, which must be in this queue.
    pub fn unlink<T: Linked>(&mut self, slab: &mut Slab<T>, token: Token) {
        let Some(entry) = slab.get_mut(token) else {
            return;
        };
        let Links { prev, next } = std::mem::take(entry.links_mut());
        match prev.and_then(|p| slab.get_mut(p)) {
            Some(p) => p.links_mut().next = next,
            None => self.head = next,
        }
        match next.and_then(|n| slab.get_mut(n)) {
            Some(n) => n.links_mut().prev = prev,
            None => self.tail = prev,
        }
        self.len -= 1;
    }

    /// Tokens from head (newest) to tail (oldest). Stops early, rather than
    /// looping, if the links are broken (which `validate` reports).
    pub fn iter<'a, T: Linked>(&self, slab: &'a Slab<T>) -> impl Iterator<Item = Token> + 'a {
        let mut next = self.head;
        let mut budget = slab.capacity();
        std::iter::from_fn(move || {
            let token = next?;
            budget = budget.checked_sub(1)?;
            next = slab.get(token)?.links().next;
            Some(token)
        })
    }

    /// Forgets every entry (the caller clears the slab).
    pub fn clear(&mut self) {
        *self = Fifo::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct E(Links);
    impl Linked for E {
        fn links(&self) -> &Links {
            &self.0
        }
        fn links_mut(&mut self) -> &mut Links {
            &mut self.0
        }
    }

    fn queue_of(n: usize) -> (Slab<E>, Fifo, Vec<Token>) {
        let mut slab = Slab::new();
        let mut q = Fifo::default();
        let tokens: Vec<_> = (0..n).map(|_| slab.insert(E::default()).unwrap()).collect();
        for &t in &tokens {
            q.push_head(&mut slab, t);
        }
        (slab, q, tokens)
    }

    #[test]
    fn oldest_is_at_the_tail() {
        let (slab, q, t) = queue_of(3);
        assert_eq!(q.tail(), Some(t[0]));
        assert_eq!(q.iter(&slab).collect::<Vec<_>>(), vec![t[2], t[1], t[0]]);
    }

    #[test]
    fn unlink_from_middle_head_and_tail() {
        let (mut slab, mut q, t) = queue_of(4);
        q.unlink(&mut slab, t[1]);
        assert_eq!(q.iter(&slab).collect::<Vec<_>>(), vec![t[3], t[2], t[0]]);
        q.unlink(&mut slab, t[3]);
        q.unlink(&mut slab, t[0]);
        assert_eq!(q.iter(&slab).collect::<Vec<_>>(), vec![t[2]]);
        assert_eq!(q.tail(), Some(t[2]));
        q.unlink(&mut slab, t[2]);
        assert!(q.is_empty());
        assert_eq!(q.tail(), None);
    }

    #[test]
    fn reinserting_at_head_moves_an_entry_to_the_back_of_the_line() {
        let (mut slab, mut q, t) = queue_of(3);
        q.unlink(&mut slab, t[0]);
        q.push_head(&mut slab, t[0]);
        assert_eq!(q.tail(), Some(t[1]));
        assert_eq!(q.len(), 3);
    }
}
