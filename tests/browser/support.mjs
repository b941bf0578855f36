// Shared set-up for browser journeys: Debian's Chromium, never a downloaded browser.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

export const BASE = process.env.SUGANG_BASE_URL ?? "http://127.0.0.1:8080";
export const PASSWORD = process.env.SUGANG_DEMO_PASSWORD ?? "sugang-demo";
export const STUDENT = process.env.SUGANG_BROWSER_STUDENT;
export const SHOTS = process.env.SUGANG_SCREENSHOTS ?? "../../target/browser";

export async function launch() {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

export async function signIn(page, loginId, password = PASSWORD) {
  await page.goto(`${BASE}/login`);
  await page.fill("#login_id", loginId);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}
