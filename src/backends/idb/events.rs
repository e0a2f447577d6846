//! Waiting for IndexedDB events without a Promise per wait.
//!
//! A `JsFuture` over a fresh Promise costs the Promise, its executor, two
//! closures and a reaction job for every wait; a lone `get` or `set` waits
//! once, so that was a measurable share of its cost. Instead, one pair of
//! handlers per thread (made once) is installed on whatever is awaited: the
//! request's `onsuccess`/`onerror`, or the transaction's
//! `oncomplete`/`onabort`. A handler finds the waits on the event's target,
//! records the outcome and wakes their tasks.
//!
//! Waits are few at any moment — one per running transaction: a batch waits
//! only for its last request — so finding them is a short scan. (A wait per
//! request would cost more than the scan: every request with a listener
//! costs an event dispatched into JavaScript.)
//!
//! The wake runs the task in a microtask of the event's dispatch, while its
//! transaction is still active, so the task can issue more requests.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::sys::{Event, Request, Tx};

/// One pending wait.
struct Waiting {
    target: JsValue,
    waker: Option<Waker>,
    /// `Some(true)` once the target succeeded or completed, `Some(false)`
    /// once it failed or aborted.
    outcome: Option<bool>,
}

struct Hub {
    /// Pending waits, by slot; a free slot is `None`.
    waits: RefCell<Vec<Option<Waiting>>>,
    /// `onsuccess` / `oncomplete`.
    on_ok: Closure<dyn FnMut(Event)>,
    /// `onerror` / `onabort`.
    on_fail: Closure<dyn FnMut(Event)>,
    /// `"done"`, a request's `readyState` once answered.
    done: JsValue,
}

thread_local! {
    static HUB: Hub = Hub {
        waits: RefCell::new(Vec::new()),
        on_ok: Closure::new(|event: Event| settle(&event.target(), true)),
        on_fail: Closure::new(|event: Event| settle(&event.target(), false)),
        done: JsValue::from_str("done"),
    };
}

/// Records `outcome` for every wait on `target`, and wakes them.
fn settle(target: &JsValue, outcome: bool) {
    let woken: Vec<Waker> = HUB
        .try_with(|hub| {
            let mut waits = hub.waits.borrow_mut();
            waits
                .iter_mut()
                .flatten()
                .filter(|w| w.outcome.is_none() && w.target == *target)
                .filter_map(|w| {
                    w.outcome = Some(outcome);
                    w.waker.take()
                })
                .collect()
        })
        .unwrap_or_default();
    for waker in woken {
        waker.wake();
    }
}

fn function(closure: &Closure<dyn FnMut(Event)>) -> &Function {
    closure.as_ref().unchecked_ref()
}

/// Resolves when `request` is done: `Ok` if it succeeded, `Err` if it
/// failed (its `error` says why). Must be polled before the request can
/// finish, that is, before control returns to the event loop after it was
/// issued.
pub(super) fn request(request: &Request) -> Settled<'_> {
    Settled {
        target: Target::Request(request),
        slot: None,
    }
}

/// Resolves when `tx` fires `complete` (`Ok`) or `abort` (`Err`; its
/// `error` says why). Must be polled before the transaction can finish,
/// that is, before control returns to the event loop after `commit`.
pub(super) fn transaction(tx: &Tx) -> Settled<'_> {
    Settled {
        target: Target::Transaction(tx),
        slot: None,
    }
}

enum Target<'a> {
    Request(&'a Request),
    Transaction(&'a Tx),
}

/// The future [`request`] and [`transaction`] return.
pub(super) struct Settled<'a> {
    target: Target<'a>,
    /// The wait's slot in the hub, once the handlers are installed.
    slot: Option<usize>,
}

impl Future for Settled<'_> {
    type Output = Result<(), ()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let polled = HUB.try_with(|hub| {
            let mut waits = hub.waits.borrow_mut();
            if let Some(slot) = this.slot {
                let wait = waits.get_mut(slot).and_then(Option::as_mut);
                return match wait {
                    Some(Waiting {
                        outcome: Some(ok), ..
                    }) => Poll::Ready(if *ok { Ok(()) } else { Err(()) }),
                    Some(wait) => {
                        wait.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                    None => Poll::Ready(Err(())),
                };
            }
            let target: &JsValue = match this.target {
                Target::Request(request) => {
                    // Done already (it should not be: waits start right
                    // after the request is issued): its error tells.
                    if request.ready_state() == hub.done {
                        let failed = request
                            .request_error()
                            .map_or(true, |e| !e.is_null() && !e.is_undefined());
                        return Poll::Ready(if failed { Err(()) } else { Ok(()) });
                    }
                    request.set_onsuccess(Some(function(&hub.on_ok)));
                    request.set_onerror(Some(function(&hub.on_fail)));
                    request
                }
                Target::Transaction(tx) => {
                    tx.set_oncomplete(Some(function(&hub.on_ok)));
                    tx.set_onabort(Some(function(&hub.on_fail)));
                    tx
                }
            };
            let wait = Waiting {
                target: target.clone(),
                waker: Some(cx.waker().clone()),
                outcome: None,
            };
            let slot = match waits.iter().position(Option::is_none) {
                Some(free) => {
                    if let Some(entry) = waits.get_mut(free) {
                        *entry = Some(wait);
                    }
                    free
                }
                None => {
                    waits.push(Some(wait));
                    waits.len() - 1
                }
            };
            this.slot = Some(slot);
            Poll::Pending
        });
        // The thread is shutting down.
        polled.unwrap_or(Poll::Ready(Err(())))
    }
}

impl Drop for Settled<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            let _ = HUB.try_with(|hub| {
                if let Some(entry) = hub.waits.borrow_mut().get_mut(slot) {
                    *entry = None;
                }
            });
        }
    }
}
