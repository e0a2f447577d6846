//! A set-once value any number of futures can wait for: how a write batch
//! tells every caller that its transaction finished, and how an opening
//! connection tells every caller waiting for it.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// The sending side; clones share the value.
pub(super) struct Signal<T>(Rc<RefCell<Slot<T>>>);

struct Slot<T> {
    value: Option<T>,
    wakers: Vec<Waker>,
}

impl<T> Clone for Signal<T> {
    fn clone(&self) -> Self {
        Self(Rc::clone(&self.0))
    }
}

impl<T: Clone> Signal<T> {
    pub(super) fn new() -> Self {
        Self(Rc::new(RefCell::new(Slot {
            value: None,
            wakers: Vec::new(),
        })))
    }

    /// Sets the value and wakes the waiters; a second `set` is ignored.
    pub(super) fn set(&self, value: T) {
        let wakers = {
            let mut slot = self.0.borrow_mut();
            if slot.value.is_some() {
                return;
            }
            slot.value = Some(value);
            std::mem::take(&mut slot.wakers)
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// True if both are the same signal.
    pub(super) fn same(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Resolves to (a clone of) the value once it is set.
    pub(super) fn wait(&self) -> Wait<T> {
        Wait(Rc::clone(&self.0))
    }
}

/// The future [`Signal::wait`] returns.
pub(super) struct Wait<T>(Rc<RefCell<Slot<T>>>);

impl<T: Clone> Future for Wait<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.0.borrow_mut();
        if let Some(value) = &slot.value {
            return Poll::Ready(value.clone());
        }
        if !slot.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            slot.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
