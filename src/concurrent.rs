//! Bounded concurrency for backends whose store has no batch call (KV's
//! `get`, R2's `get`): a few calls in flight at once, results in order.
//! Pure, so it builds and tests natively; the futures it runs may be
//! JavaScript calls.

use std::future::Future;

use crate::Result;

/// Runs `start` on every item, `in_flight` calls at a time: each batch's
/// calls go out together (`start` issues its call before returning the
/// future that awaits it), and the batch settles completely before the next
/// begins. Results in order, or the first error (after its batch has settled,
/// so nothing is left in flight).
pub(crate) async fn batched<I, T, F, Fut>(items: &[I], in_flight: usize, start: F) -> Result<Vec<T>>
where
    F: Fn(&I) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(in_flight.max(1)) {
        let pending: Vec<Fut> = chunk.iter().map(&start).collect();
        let mut first_error = None;
        for call in pending {
            match call.await {
                Ok(value) => out.push(value),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use std::cell::Cell;

    #[test]
    fn batched_bounds_calls_in_flight_and_reports_the_first_error() {
        let started = Cell::new(0usize);
        let settled = Cell::new(0usize);
        let max_gap = Cell::new(0usize);
        let items: Vec<usize> = (0..10).collect();
        let out = pollster::block_on(batched(&items, 4, |i| {
            started.set(started.get() + 1);
            max_gap.set(max_gap.get().max(started.get() - settled.get()));
            let i = *i;
            let settled = &settled;
            async move {
                settled.set(settled.get() + 1);
                if i == 5 || i == 6 {
                    Err(Error::Backend(format!("fail {i}")))
                } else {
                    Ok(i)
                }
            }
        }));
        assert_eq!(out.unwrap_err(), Error::Backend("fail 5".into()));
        assert_eq!(max_gap.get(), 4);
        // The failing batch (4..8) settled entirely; the next never started.
        assert_eq!((started.get(), settled.get()), (8, 8));
        let empty: Vec<usize> = Vec::new();
        assert!(pollster::block_on(batched(&empty, 4, |_| async { Ok(()) }))
            .unwrap()
            .is_empty());
    }
}
