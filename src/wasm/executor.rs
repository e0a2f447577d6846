//! A small executor for the calls whose latency is the product: a network
//! backend's gets. `wasm_bindgen_futures` polls a task in a microtask after
//! every wake-up and hands its result over through a Promise, which costs a
//! get two or three queue hops, a Promise and a pair of closures per socket
//! read. Here a task is polled at once when it is spawned (so its request is
//! written before `spawn` returns), again from inside the socket's `deliver`
//! call as soon as the bytes it waits for arrive (`crate::wasm::socket`), and
//! hands its result to a callback. Only a wake-up from elsewhere (a Promise
//! the task awaits settling, another executor's task waking it) waits for a
//! microtask, as it would under `wasm_bindgen_futures`.
//!
//! Written by hand because no crate does this for wasm32: general executors
//! (`futures-executor`'s `LocalPool`, `async-executor`) poll only when asked
//! and would need a microtask of their own per wake-up anyway, and
//! `wasm_bindgen_futures` has no synchronous entry point.
//!
//! Single-threaded like every JavaScript realm: the tasks live in a
//! per-thread table; wakers carry only a task id, so they are `Send + Sync`
//! as the `Waker` contract requires.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::wasm::registry::IdMap;

/// A task and the waker it is polled with (made once).
type Task = (Pin<Box<dyn Future<Output = ()>>>, Waker);

thread_local! {
    /// Tasks not finished, by id (a task being polled is out of the table).
    static TASKS: RefCell<IdMap<Task>> = RefCell::new(IdMap::default());
    /// Ids of woken tasks, in wake-up order (an id may appear twice; a
    /// finished task's id is skipped).
    static READY: RefCell<VecDeque<u64>> = const { RefCell::new(VecDeque::new()) };
    /// The next task id.
    static NEXT: Cell<u64> = const { Cell::new(0) };
    /// True while `run` polls (a nested `run` returns at once: the outer
    /// loop polls whatever the nested call would have).
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    /// True while a microtask to `run` is queued.
    static SCHEDULED: Cell<bool> = const { Cell::new(false) };
    /// The function queued as that microtask (made once).
    static RUN_LATER: Function = Closure::<dyn FnMut()>::new(|| {
        SCHEDULED.with(|s| s.set(false));
        run();
    })
    .into_js_value()
    .unchecked_into();
}

#[wasm_bindgen]
extern "C" {
    /// The global `queueMicrotask(callback)` (every runtime we support has it).
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &Function);
}

/// Wakes the task with this id.
struct TaskWaker(u64);

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // During thread shutdown the tables are gone: nothing to wake.
        let _ = READY.try_with(|ready| ready.borrow_mut().push_back(self.0));
        // Polled by the running loop, or by a microtask if none is running
        // (one microtask however many tasks wake before it runs).
        if RUNNING.try_with(Cell::get).unwrap_or(true) {
            return;
        }
        if !SCHEDULED.try_with(|s| s.replace(true)).unwrap_or(true) {
            let _ = RUN_LATER.try_with(queue_microtask);
        }
    }
}

/// Starts `task` and polls it at once (unless called from inside a task:
/// then the running loop polls it before returning to JavaScript).
pub(crate) fn spawn(task: impl Future<Output = ()> + 'static) {
    let id = NEXT.with(|next| {
        let id = next.get();
        next.set(id.wrapping_add(1));
        id
    });
    let waker = Waker::from(Arc::new(TaskWaker(id)));
    TASKS.with(|tasks| tasks.borrow_mut().insert(id, (Box::pin(task), waker)));
    READY.with(|ready| ready.borrow_mut().push_back(id));
    run();
}

/// Polls every woken task until none is left. Called by [`spawn`] and by
/// the queued microtask.
pub(crate) fn run() {
    run_after(|| {});
}

/// Calls `wake`, which may wake tasks, then polls every woken task until
/// none is left: the tasks `wake` wakes are polled here, with no microtask
/// queued for them. Called by `crate::wasm::socket` when bytes arrive.
pub(crate) fn run_after(wake: impl FnOnce()) {
    if RUNNING.with(|r| r.replace(true)) {
        // Nested: the running loop polls what `wake` wakes.
        wake();
        return;
    }
    wake();
    while let Some(id) = READY.with(|ready| ready.borrow_mut().pop_front()) {
        // Out of the table while it runs, so it may spawn or wake others.
        let Some((mut task, waker)) = TASKS.with(|tasks| tasks.borrow_mut().remove(&id)) else {
            continue; // finished already
        };
        if task
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
        {
            TASKS.with(|tasks| tasks.borrow_mut().insert(id, (task, waker)));
        }
    }
    RUNNING.with(|r| r.set(false));
}
