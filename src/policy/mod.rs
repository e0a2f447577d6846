//! Pure eviction and expiry: no I/O, no clock, no JavaScript.
//!
//! | file | concept |
//! |---|---|
//! | [`slab`](self::Slab) | entries addressed by `u32` tokens, free list for reuse |
//! | [`fifo`](self::Fifo) | intrusive FIFO queue threaded through slab entries |
//! | [`ghost`](self::Ghost) | bounded set of recently evicted key hashes |
//! | [`expiry`](self::ExpiryIndex) | entries ordered by absolute expiry |
//! | [`s3fifo`](self::Engine) | the S3-FIFO engine tying them together under two bounds |
//!
//! Front ends (the Rust [`MemoryBackend`](crate::MemoryBackend) and the
//! JavaScript `EdgeCache.memory`) own the key index and hand the engine
//! hashes, weights and expiry times.

mod expiry;
mod fifo;
mod ghost;
mod s3fifo;
mod slab;

pub use expiry::ExpiryIndex;
pub use fifo::{Fifo, Linked, Links};
pub use ghost::Ghost;
pub use s3fifo::{Cause, Engine, Limits, Lookup, Meta, Removed, Stats, ENTRY_OVERHEAD_BYTES};
pub use slab::{Slab, Token};
