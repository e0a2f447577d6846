// A real redis-server for the tests (Debian's package; scripts/setup.sh
// installs it): started on a free loopback port with no persistence, stopped
// by `stop()` (and killed with this process). Also a raw RESP client for
// looking at what the cache stored, independent of the code under test.

import { spawnSync } from "node:child_process";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnServer } from "./server-process.mjs";

/** A free TCP port on 127.0.0.1 (the OS picks it; closed before returning). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `redis-server` with `args` (e.g. ["--requirepass", "s3cret"]) on a
 * free port. Resolves to `{ port, stop(), restart() }` once it answers PING.
 * Fails, never skips, when redis-server is missing.
 */
export async function startRedis(args = [], { port } = {}) {
  if (spawnSync("redis-server", ["--version"]).error) {
    throw new Error("redis-server is not installed: run `bash scripts/setup.sh` (Debian package redis-server)");
  }
  port ??= await freePort();
  let child;
  const launch = async () => {
    child = spawnServer("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "no",
      ...args,
    ]);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (args: ${args.join(" ")})`);
      const up = await new Promise((resolve) => {
        const s = net.connect({ host: "127.0.0.1", port }, () => {
          s.destroy();
          resolve(true);
        });
        s.once("error", () => resolve(false));
      });
      // Wrapped: an async function returning a promise would wait for it.
      if (up) return { exited };
      await sleep(25);
    }
    child.kill("SIGKILL");
    throw new Error(`redis-server did not start on port ${port}`);
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

/** Encodes one command as a RESP array of bulk strings. */
function encode(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg) : Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

// Parses one RESP2 reply at `at`; returns [value, next] or undefined if
// incomplete. Bulk strings come back as Buffers, errors as Error objects.
function parse(buf, at) {
  const end = buf.indexOf("\r\n", at);
  if (end < 0) return undefined;
  const kind = String.fromCharCode(buf[at]);
  const line = buf.toString("latin1", at + 1, end);
  const next = end + 2;
  switch (kind) {
    case "+":
      return [line, next];
    case "-":
      return [new Error(line), next];
    case ":":
      return [Number(line), next];
    case "$": {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return undefined;
      return [buf.subarray(next, next + len), next + len + 2];
    }
    case "*": {
      const len = Number(line);
      if (len < 0) return [null, next];
      const out = [];
      let pos = next;
      for (let i = 0; i < len; i++) {
        const r = parse(buf, pos);
        if (r === undefined) return undefined;
        out.push(r[0]);
        pos = r[1];
      }
      return [out, pos];
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(kind)}`);
  }
}

/**
 * A minimal independent client: `await redis.command("GET", key)`. Resolves
 * to the reply (Buffers for bulk strings; a server error rejects).
 */
export async function rawClient(port, { password, username } = {}) {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let buffer = Buffer.alloc(0);
  const waiting = [];
  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (waiting.length === 0) return;
      const r = parse(buffer, 0);
      if (r === undefined) return;
      buffer = buffer.subarray(r[1]);
      const { resolve, reject } = waiting.shift();
      r[0] instanceof Error ? reject(r[0]) : resolve(r[0]);
    }
  });
  const command = (...args) =>
    new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      socket.write(encode(args));
    });
  if (password !== undefined) await command("AUTH", ...(username === undefined ? [] : [username]), password);
  return { command, close: () => socket.destroy() };
}

/**
 * A redis-server that speaks TLS only (`--tls-port`, no plain port), with a
 * self-signed certificate for 127.0.0.1 and localhost made here with the
 * openssl CLI. Resolves to `{ port, cert, stop() }`; `cert` is the PEM text
 * a client must trust.
 */
export async function startTlsRedis() {
  const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "edgecache-tls-"));
  const key = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  const made = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certFile, "-days", "2",
      "-subj", "/CN=edgecache test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    { encoding: "utf8" },
  );
  if (made.error || made.status !== 0) {
    throw new Error(`openssl could not make a test certificate: ${made.error ?? made.stderr}`);
  }
  const port = await freePort();
  const server = await startRedis(
    ["--port", "0", "--tls-port", String(port), "--tls-cert-file", certFile, "--tls-key-file", key,
      "--tls-ca-cert-file", certFile, "--tls-auth-clients", "no"],
    { port },
  );
  return {
    port,
    cert: readFileSync(certFile, "utf8"),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
