// The three browser engines behind one small interface, for tests/browsers:
//   Chromium: Debian's chromium, playwright-core (tests/support/chromium.mjs);
//   Firefox:  Debian's firefox-esr, puppeteer-core over WebDriver BiDi;
//   WebKit:   Debian's WebKitGTK MiniBrowser, through WebKitWebDriver (plain
//             WebDriver HTTP) under xvfb-run (WebKitGTK needs a display).
// None downloads a browser. `launch(name, options)` resolves to
// { name, newPage(), close() }; a page has goto(url), evaluate(expression)
// (a string, awaited in the page; its value comes back as JSON), waitFor
// (expression, ms), errors (uncaught page errors, where the driver reports
// them) and close().

import { execFileSync, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { launchChromium } from "../support/chromium.mjs";
import { freePort } from "../support/redis-server.mjs";

export const ENGINES = ["chromium", "firefox", "webkit"];

const which = (command) => {
  try {
    return execFileSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(`${command} is not installed: run \`bash scripts/setup.sh\``);
  }
};

/** Polls `expression` in `page` until it is truthy; fails after `ms` with its last value. */
async function waitFor(page, expression, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await page.evaluate(expression);
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${expression} (last: ${JSON.stringify(last)})`);
    await sleep(50);
  }
}

/** Launches `name` (one of ENGINES). `firefoxPrefs`: extra Firefox preferences. */
export async function launch(name, { firefoxPrefs = {} } = {}) {
  if (name === "chromium") return launchPlaywright(name, await launchChromium());
  if (name === "firefox") return launchFirefox(firefoxPrefs);
  if (name === "webkit") return launchWebKit();
  throw new Error(`unknown engine ${name}`);
}

function launchPlaywright(name, browser) {
  return {
    name,
    async newPage() {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      const self = {
        errors,
        goto: (url) => page.goto(url),
        evaluate: (expression) => page.evaluate(expression),
        waitFor: (expression, ms) => waitFor(self, expression, ms),
        close: () => context.close(),
      };
      return self;
    },
    close: () => browser.close(),
  };
}

async function launchFirefox(prefs) {
  const { default: puppeteer } = await import("puppeteer-core");
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: which("firefox-esr"),
    headless: true,
    extraPrefsFirefox: prefs,
  });
  return {
    name: "firefox",
    async newPage() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      const self = {
        errors,
        goto: (url) => page.goto(url),
        evaluate: (expression) => page.evaluate(expression),
        waitFor: (expression, ms) => waitFor(self, expression, ms),
        close: () => context.close(),
      };
      return self;
    },
    close: () => browser.close(),
  };
}

/**
 * WebKit: WebKitWebDriver on a free port, in its own process group with its
 * Xvfb (xvfb-run -a), so close() ends exactly those. One session, one page
 * (MiniBrowser allows one session per driver): newPage() resets it to
 * about:blank. Page errors are not reported over classic WebDriver.
 */
async function launchWebKit() {
  which("xvfb-run");
  which("WebKitWebDriver");
  const port = await freePort();
  const child = spawn("xvfb-run", ["-a", "WebKitWebDriver", `--port=${port}`], { stdio: "ignore", detached: true });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const response = await fetch(base + path, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  };
  const stop = () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  let session;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await call("GET", "/status")).ready) break;
      } catch (error) {
        if (i > 200) throw error;
      }
      await sleep(50);
    }
    const binary = execFileSync("sh", ["-c", "dpkg -L libwebkit2gtk-4.1-0 | grep '/MiniBrowser$'"], { encoding: "utf8" }).trim();
    session = await call("POST", "/session", {
      capabilities: {
        alwaysMatch: {
          browserName: "MiniBrowser",
          "webkitgtk:browserOptions": { binary, args: ["--automation"] },
        },
      },
    });
  } catch (error) {
    stop();
    throw error;
  }
  const id = session.sessionId;
  await call("POST", `/session/${id}/timeouts`, { script: 300_000, pageLoad: 60_000 });
  const self = {
    errors: [],
    goto: (url) => call("POST", `/session/${id}/url`, { url }),
    async evaluate(expression) {
      const result = await call("POST", `/session/${id}/execute/async`, {
        script:
          "const done = arguments[arguments.length - 1];" +
          `Promise.resolve().then(() => (${expression})).then(` +
          "(value) => done({ value: value === undefined ? null : value }), " +
          "(e) => done({ error: String((e && e.stack) || e) }));",
        args: [],
      });
      if (result?.error !== undefined) throw new Error(result.error);
      return result?.value;
    },
    waitFor: (expression, ms) => waitFor(self, expression, ms),
    close: () => self.goto("about:blank"),
  };
  return {
    name: "webkit",
    async newPage() {
      await self.goto("about:blank");
      return self;
    },
    async close() {
      await call("DELETE", `/session/${id}`).catch(() => {});
      stop();
    },
  };
}
