// Request collapsing for ResponseCache: one origin fetch per cache key at a
// time in this isolate, as Varnish, Fastly and nginx's proxy_cache_lock do.
//
// The first request that must go to the origin for a key leads a Flight; a
// request for the same key that arrives while it is in the air follows it:
// it waits (at most `timeoutMs`) for the leader's stored record, then serves
// a Response of its own built from those bytes (workerd forbids sharing a
// stream or any I/O object between requests; bytes are neither). A flight
// ends in one of two ways:
//
// - `publish(record)`: the leader's response was stored (or is being
//   stored); followers get the encoded record and decide with the policy
//   whether it answers them (their Vary'd fields or Cache-Control may not).
//   The flight stays in the table until the write finishes, so a request
//   arriving between "fetched" and "written" reads it here (read-your-writes).
// - `release()`: nothing to share (not storable, too large, the origin
//   failed, the leader was cancelled); followers go to the origin themselves.
//
// A response that can never be shared leaves a hit-for-pass marker (Varnish's
// term; 120 s there too) so later requests for the key do not queue behind a
// leader whose answer cannot be reused.

/** How long a follower waits for the leader before fetching itself. */
export const COLLAPSE_TIMEOUT_MS = 5_000;
/** How long a key whose response cannot be shared skips collapsing. */
export const HIT_FOR_PASS_MS = 120_000;
/** The most keys in flight (and hit-for-pass markers) tracked at once. */
export const MAX_FLIGHTS = 10_000;

class Flight {
  #settled = false;
  #waiters = new Set(); // resolve functions of the followers still waiting
  #finish;

  /** Set once the leader's own client has its response (the rest is storing). */
  answered = false;

  constructor() {
    /** Resolves when the leader has ended the flight (for `waitUntil`). */
    this.ended = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  /**
   * The published record (a Uint8Array), or undefined once released or
   * after `timeoutMs`. Each follower waits on a promise of its own, dropped
   * from the flight when it times out: workerd cancels (and warns about) a
   * continuation resolved from another request after its own has finished.
   */
  wait(timeoutMs) {
    if (this.#settled) return Promise.resolve(this.record);
    return new Promise((resolve) => {
      const done = (record) => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(record);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** Hands `record` to every follower, now and until the flight ends. */
  publish(record) {
    if (this.#settled) return;
    this.#settled = true;
    /** The published record, once there is one. */
    this.record = record;
    for (const done of [...this.#waiters]) done(record);
  }

  /** Lets every follower go to the origin on its own. */
  release() {
    this.publish(undefined);
  }

  /** Releases anyone still waiting and resolves `ended`. */
  finish() {
    this.release();
    this.#finish();
  }
}

export class Flights {
  #flights = new Map(); // key → Flight
  #passUntil = new Map(); // key → time (ms) until which requests do not collapse
  #timeoutMs;

  constructor(timeoutMs = COLLAPSE_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs;
  }

  /** The number of keys with a leader in flight (for tests and stats). */
  get size() {
    return this.#flights.size;
  }

  /**
   * The flight of `key`, if one is in the air. Its `record` is set once
   * the leader's response is stored or being stored, and `answered` once
   * the leader's own client has its response.
   */
  get(key) {
    return this.#flights.get(key);
  }

  /**
   * Waits for `flight` (from `get`; it may have ended since): resolves to
   * its record, or undefined when it was released or took longer than the
   * timeout.
   */
  follow(flight) {
    return flight.wait(this.#timeoutMs);
  }

  /**
   * A new flight for `key` with the caller as its leader, or undefined when
   * the caller should fetch alone: a flight exists already, the key is
   * marked hit-for-pass, or the table is full. The leader must `end` it.
   */
  lead(key, now) {
    if (this.#flights.has(key) || this.#flights.size >= MAX_FLIGHTS) return undefined;
    const until = this.#passUntil.get(key);
    if (until !== undefined) {
      if (now < until) return undefined;
      this.#passUntil.delete(key);
    }
    const flight = new Flight();
    this.#flights.set(key, flight);
    return flight;
  }

  /** Removes `flight` from the table (releasing anyone still waiting). */
  end(key, flight) {
    flight.finish();
    if (this.#flights.get(key) === flight) this.#flights.delete(key);
  }

  /** Marks `key` hit-for-pass until `now + HIT_FOR_PASS_MS`. */
  pass(key, now) {
    this.#passUntil.delete(key);
    if (this.#passUntil.size >= MAX_FLIGHTS) {
      // The oldest marker goes first (a Map iterates in insertion order).
      this.#passUntil.delete(this.#passUntil.keys().next().value);
    }
    this.#passUntil.set(key, now + HIT_FOR_PASS_MS);
  }

  /** Forgets a hit-for-pass marker: the key's responses are storable again. */
  unpass(key) {
    this.#passUntil.delete(key);
  }
}
