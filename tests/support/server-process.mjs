// The server processes the tests start (redis-server, memcached). Each is
// killed with the test process however that ends: on exit, and on the
// SIGTERM or SIGINT that stops it (`node --test` sends SIGTERM to a file that
// outran --test-timeout). Their stderr is forwarded through a pipe of this
// process rather than inherited, so a server that outlives a killed test
// process (SIGKILL leaves no chance to stop it) does not hold the test
// runner's output open and keep the run waiting.

import { spawn } from "node:child_process";

const running = new Set();

function killAll() {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

process.once("exit", killAll);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    killAll();
    // The listener is gone: raised again, the signal does what it would have.
    process.kill(process.pid, signal);
  });
}

/** Spawns a server process owned by this test process (see above). */
export function spawnServer(command, args) {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr.pipe(process.stderr, { end: false });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}
