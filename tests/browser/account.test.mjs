// Journey: a registrar imports a student without a password and issues a one-time password from
// the student's console page; the student signs in with it, is sent to /account/password from
// every page until the change, then reaches their home page. Makes its own student.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, signIn, BASE, SHOTS } from "./support.mjs";

const REGISTRAR = process.env.SUGANG_BROWSER_REGISTRAR ?? "registrar";
const LOGIN = `2099${(Date.now() % 10000).toString().padStart(4, "0")}`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a student signed in with a one-time password must change it before anything else", async () => {
  const staff = await browser.newContext({ locale: "en-US" });
  const admin = await staff.newPage();
  await signIn(admin, REGISTRAR);
  await admin.goto(`${BASE}/admin/import`);
  await admin.selectOption("#kind", "students");
  await admin.setInputFiles("#file", {
    name: "students.csv", mimeType: "text/csv",
    buffer: Buffer.from(`login_id,name,department,class_year\n${LOGIN},One Time,CSE,1\n`, "utf8"),
  });
  await Promise.all([admin.waitForNavigation(), admin.click("#import-form button[type=submit]")]);
  await Promise.all([admin.waitForNavigation(), admin.click("#apply-form button[type=submit]")]);

  await admin.goto(`${BASE}/admin/students?q=${LOGIN}`);
  await Promise.all([admin.waitForNavigation(), admin.click(`a:has-text("${LOGIN}")`)]);
  await Promise.all([admin.waitForNavigation(), admin.click("#one-time-password-form button")]);
  const otp = (await admin.textContent("#one-time-password")).trim();
  assert.match(otp, /^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);
  await admin.screenshot({ path: `${SHOTS}/one-time-password.png` });
  await staff.close();

  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await signIn(page, LOGIN, otp);
  assert.equal(new URL(page.url()).pathname, "/account/password");
  for (const path of ["/", "/courses", "/timetable"]) {
    await page.goto(`${BASE}${path}`);
    assert.equal(new URL(page.url()).pathname, "/account/password", `${path} is closed`);
  }
  // A mismatch is shown beside its field and changes nothing.
  await page.fill("#current_password", otp);
  await page.fill("#new_password", "lantern-river-quietly-47");
  await page.fill("#new_password_confirm", "lantern-river-quietly-48");
  await Promise.all([page.waitForNavigation(), page.click("#password-form button[type=submit]")]);
  assert.match(await page.textContent("#new_password_confirm-error"), /differ/);
  await page.screenshot({ path: `${SHOTS}/password-change-refused.png` });

  await page.fill("#current_password", otp);
  await page.fill("#new_password", "lantern-river-quietly-47");
  await page.fill("#new_password_confirm", "lantern-river-quietly-47");
  await Promise.all([page.waitForNavigation(), page.click("#password-form button[type=submit]")]);
  assert.equal(new URL(page.url()).pathname, "/");
  await page.goto(`${BASE}/courses`);
  assert.equal(new URL(page.url()).pathname, "/courses", "everything is open after the change");
  await context.close();
});
