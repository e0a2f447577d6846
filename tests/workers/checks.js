// Shared by the test workers in tests/workers/: collects failed expectations
// instead of throwing, so one request reports every failure of its case.

/** JSON with Uint8Arrays as arrays and undefined kept visible. */
export function show(value) {
  return JSON.stringify(value, (_, v) =>
    v === undefined ? "<undefined>" : v instanceof Uint8Array ? `<Uint8Array ${Array.from(v.slice(0, 16))}${v.length > 16 ? "…" : ""} (${v.length} bytes)>` : v,
  );
}

/** Collects failed expectations instead of throwing, so a case reports all of them. */
export class Checks {
  failures = [];
  notes = {};

  equal(actual, expected, what) {
    if (show(actual) !== show(expected)) this.failures.push({ what, actual: show(actual), expected: show(expected) });
  }

  ok(condition, what, detail) {
    if (!condition) this.failures.push({ what, detail: detail === undefined ? undefined : show(detail) });
  }

  /**
   * Awaits `promise` (or calls a function, for calls that throw
   * synchronously), which must reject or throw an EdgeCacheError of `code`;
   * returns the error.
   */
  async rejects(promise, code, what) {
    try {
      const value = await (typeof promise === "function" ? promise() : promise);
      this.failures.push({ what, expected: `a rejection with ${code}`, actual: `resolved to ${show(value)}` });
      return undefined;
    } catch (error) {
      const coded = error instanceof Error && error.name === "EdgeCacheError" && error.code === code;
      if (!coded) {
        this.failures.push({ what, expected: `an EdgeCacheError with code ${code}`, actual: `${error?.name} ${error?.code}: ${error?.message ?? error}` });
      }
      return error;
    }
  }

  note(name, value) {
    this.notes[name] = value;
  }
}

/**
 * A worker's `fetch` for a table of cases: `GET /cases` lists the names,
 * `GET /case/<name>` runs `cases[name](env, checks, ctx)` inside workerd and
 * answers `{ ok, details: { failures, notes } }`.
 */
export function serveCases(cases) {
  return async (request, env, ctx) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/cases") return Response.json(Object.keys(cases));
    const name = decodeURIComponent(pathname.replace(/^\/case\//, ""));
    const run = Object.hasOwn(cases, name) ? cases[name] : undefined;
    if (!run) return Response.json({ ok: false, details: { error: `no case ${name}` } }, { status: 404 });
    const t = new Checks();
    try {
      await run(env, t, ctx);
    } catch (error) {
      t.failures.push({ what: "the case threw", error: `${error?.name} ${error?.code ?? ""}: ${error?.message ?? error}`, stack: error?.stack });
    }
    return Response.json({ ok: t.failures.length === 0, details: { failures: t.failures, notes: t.notes } });
  };
}
