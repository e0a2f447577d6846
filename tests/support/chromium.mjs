// Headless Chromium for the package tests: Debian's `chromium` driven by
// playwright-core (never a downloaded browser).
import { execFileSync } from "node:child_process";

export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** The system's Chromium (`command -v chromium`), for playwright-core's executablePath. */
export function chromiumPath() {
  return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
}

/** Launches the system's Chromium; resolves to a playwright-core Browser. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}
