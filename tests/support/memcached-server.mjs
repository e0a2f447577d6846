// A real memcached for the tests (Debian's package; scripts/setup.sh
// installs it): started on a free loopback port, stopped by `stop()` (and
// killed with this process). Also a raw meta-protocol client for looking at
// what the cache stored, independent of the code under test.

import { spawnSync } from "node:child_process";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnServer } from "./server-process.mjs";
import { freePort } from "./redis-server.mjs";

export { freePort };

/**
 * Starts `memcached` with `args` (e.g. ["-I", "2m"]) on a free port.
 * Resolves to `{ port, stop(), restart() }` once it accepts connections.
 * Fails, never skips, when memcached is missing.
 */
export async function startMemcached(args = [], { port } = {}) {
  if (spawnSync("memcached", ["-V"]).error) {
    throw new Error("memcached is not installed: run `bash scripts/setup.sh` (Debian package memcached)");
  }
  port ??= await freePort();
  let child;
  const launch = async () => {
    // -u: memcached refuses to run as root without naming a user.
    child = spawnServer("memcached", ["-u", "root", "-l", "127.0.0.1", "-U", "0", "-m", "64", "-p", String(port), ...args]);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`memcached exited with ${child.exitCode} (args: ${args.join(" ")})`);
      const up = await new Promise((resolve) => {
        const s = net.connect({ host: "127.0.0.1", port }, () => {
          s.destroy();
          resolve(true);
        });
        s.once("error", () => resolve(false));
      });
      if (up) return { exited };
      await sleep(25);
    }
    child.kill("SIGKILL");
    throw new Error(`memcached did not start on port ${port}`);
  };
  let { exited } = await launch();
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  };
  return {
    port,
    stop,
    /** Stops the server and starts a fresh one (empty) on the same port. */
    async restart() {
      await stop();
      ({ exited } = await launch());
    },
  };
}

/**
 * A raw meta-protocol client: `request(text)` sends `text` + "mn\r\n" and
 * resolves to the raw reply bytes before "MN\r\n"; `get(key, { binary })`
 * resolves to `{ value, ttl }` or undefined. Close with `close()`.
 */
export async function rawClient(port) {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let buffer = Buffer.alloc(0);
  let waiting = null;
  socket.on("data", (d) => {
    buffer = Buffer.concat([buffer, d]);
    waiting?.();
  });
  const request = async (text) => {
    socket.write(text + "mn\r\n");
    for (;;) {
      const end = buffer.indexOf("MN\r\n");
      if (end >= 0 && (end === 0 || buffer.subarray(end - 2, end).toString() === "\r\n")) {
        const out = buffer.subarray(0, end);
        buffer = buffer.subarray(end + 4);
        return out;
      }
      await new Promise((resolve) => (waiting = resolve));
    }
  };
  return {
    request,
    async get(key, { binary = false } = {}) {
      const wire = binary ? Buffer.from(key).toString("base64") : key;
      const reply = await request(`mg ${wire}${binary ? " b" : ""} v t\r\n`);
      const header = reply.subarray(0, reply.indexOf("\r\n")).toString();
      if (header.startsWith("EN")) return undefined;
      const [, size, ...flags] = header.split(" ");
      const start = reply.indexOf("\r\n") + 2;
      const ttl = Number(flags.find((f) => f.startsWith("t")).slice(1));
      return { value: reply.subarray(start, start + Number(size)), ttl };
    },
    close() {
      socket.destroy();
    },
  };
}
