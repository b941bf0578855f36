// Journey: a student signs in, sees their term and windows; signing in from a second browser
// sends the first one back to the sign-in page with the "signed in elsewhere" notice.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, signIn, BASE, STUDENT, SHOTS } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("student signs in and sees the current term, windows and credit limit", async () => {
  assert.ok(STUDENT, "SUGANG_BROWSER_STUDENT names a seeded student");
  const context = await browser.newContext({ locale: "ko-KR" });
  const page = await context.newPage();
  await signIn(page, STUDENT);
  assert.equal(new URL(page.url()).pathname, "/");
  await page.waitForSelector("#term-name");
  assert.match(await page.textContent("#term-name"), /학기/);
  assert.match(await page.textContent("#credit-limit"), /학점/);
  assert.ok(await page.locator("#windows tbody tr").count() > 0, "windows listed");
  // The clock script replaces the server-rendered time with a ticking one.
  await page.waitForFunction(() => document.getElementById("server-clock")?.textContent.includes("KST"));
  await page.screenshot({ path: `${SHOTS}/home.png`, fullPage: true });
  await context.close();
});

test("a second sign-in sends the first browser to the sign-in page with the notice", async () => {
  const first = await browser.newContext({ locale: "ko-KR" });
  const second = await browser.newContext({ locale: "ko-KR" });
  const a = await first.newPage();
  const b = await second.newPage();
  await signIn(a, STUDENT);
  assert.equal(new URL(a.url()).pathname, "/");
  await signIn(b, STUDENT);
  assert.equal(new URL(b.url()).pathname, "/");

  await a.reload();
  assert.equal(new URL(a.url()).pathname, "/login");
  const notice = await a.textContent("[data-notice]");
  assert.match(notice, /다른 곳에서 로그인/);
  await a.screenshot({ path: `${SHOTS}/replaced.png` });

  // The newer browser is still signed in.
  await b.reload();
  assert.equal(new URL(b.url()).pathname, "/");
  await first.close();
  await second.close();
});

test("wrong password shows an error and English is one click away", async () => {
  const context = await browser.newContext({ locale: "ko-KR" });
  const page = await context.newPage();
  await signIn(page, STUDENT, "definitely-wrong");
  assert.match(await page.textContent("#login-error"), /올바르지 않습니다/);
  await page.click("a[lang=en]");
  assert.match(await page.textContent("h1"), /Sign in/);
  const res = await page.goto(`${BASE}/no-such-page`);
  assert.equal(res.status(), 404);
  assert.match(await page.textContent(".message"), /not found/);
  await context.close();
});

test("five minutes before the session ends a warning counts down, and Extend keeps the student signed in", async () => {
  const context = await browser.newContext({ locale: "ko-KR" });
  // The page's clock runs on a fake clock, so the 25 idle minutes pass at once.
  await context.clock.install();
  const page = await context.newPage();
  await signIn(page, STUDENT);
  const left = Number(await page.getAttribute("#session-ends", "data-left"));
  assert.ok(left > 300, `the session has more than five minutes left (${left} s)`);
  assert.ok(await page.locator("#session-warning").isHidden(), "no warning at first");
  // Without JavaScript the footer names the end and links back to the page (a reload extends).
  assert.equal(await page.getAttribute("#session-extend-link", "href"), "/");

  await page.clock.fastForward((left - 290) * 1000);
  await page.waitForSelector("#session-warning", { state: "visible" });
  assert.match(await page.textContent("#session-warning"), /로그인이 끝납니다/);
  assert.match(await page.textContent("#session-countdown"), /00:0[0-4]:\d\d/);
  await page.screenshot({ path: `${SHOTS}/session-warning.png` });

  const extended = page.waitForResponse((r) => r.url().endsWith("/api/v1/me"));
  await page.click("#session-extend");
  const res = await extended;
  assert.equal(res.status(), 200);
  assert.ok(Number(res.headers()["x-session-idle-remaining"]) > 300, "the server restarted the idle clock");
  await page.waitForSelector("#session-warning", { state: "hidden" });
  // Still signed in.
  await page.reload();
  assert.equal(new URL(page.url()).pathname, "/");
  await context.close();
});
