// Journey: a registrar creates another registrar account in the console; the new registrar signs
// in with the one-time password shown once, is sent to /account/password until the change, then
// reaches the console; the first registrar disables the account and the new registrar's next page
// is the sign-in page saying the account was disabled; signing in again is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, signIn, BASE, SHOTS } from "./support.mjs";

const REGISTRAR = process.env.SUGANG_BROWSER_REGISTRAR ?? "registrar";
const LOGIN = `reg-${(Date.now() % 100000).toString().padStart(5, "0")}`;
const NEW_PASSWORD = "lantern-river-quietly-47";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a registrar created in the console changes the one-time password, then is disabled", async () => {
  const staff = await browser.newContext({ locale: "en-US" });
  const admin = await staff.newPage();
  await signIn(admin, REGISTRAR);
  await admin.goto(`${BASE}/admin/registrars`);
  await admin.fill("#registrar-form input[name=login_id]", LOGIN);
  await admin.fill("#registrar-form input[name=name]", "New Registrar");
  await Promise.all([admin.waitForNavigation(), admin.click("#registrar-form button[type=submit]")]);
  const otp = (await admin.textContent("#one-time-password")).trim();
  assert.match(otp, /^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);
  await admin.screenshot({ path: `${SHOTS}/registrar-created.png` });

  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await signIn(page, LOGIN, otp);
  assert.equal(new URL(page.url()).pathname, "/account/password");
  await page.goto(`${BASE}/admin`);
  assert.equal(new URL(page.url()).pathname, "/account/password", "the console is closed");
  await page.fill("#current_password", otp);
  await page.fill("#new_password", NEW_PASSWORD);
  await page.fill("#new_password_confirm", NEW_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("#password-form button[type=submit]")]);
  await page.goto(`${BASE}/admin/registrars`);
  assert.equal(new URL(page.url()).pathname, "/admin/registrars", "open after the change");

  await admin.goto(`${BASE}/admin/registrars`);
  const row = `tr[data-registrar="${LOGIN}"]`;
  await Promise.all([admin.waitForNavigation(), admin.click(`${row} form[action$="/disable"] button`)]);
  assert.equal(await admin.getAttribute(row, "data-status"), "disabled");
  await admin.screenshot({ path: `${SHOTS}/registrar-disabled.png` });

  await page.goto(`${BASE}/admin/registrars`);
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.equal(await page.getAttribute("[data-notice]", "data-notice"), "login.notice.disabled");
  await signIn(page, LOGIN, NEW_PASSWORD);
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.match(await page.textContent("#login-error"), /disabled/);
  await page.screenshot({ path: `${SHOTS}/registrar-sign-in-disabled.png` });
  await context.close();
  await staff.close();
});
