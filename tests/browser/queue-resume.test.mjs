// Journey: the waiting room keeps what the student clicked. A registrar turns the waiting room on;
// a student on a phone clicks 수강신청 on a section page, meets the queue, sees their place, the
// line and the remembered action on the queue page, and once admitted completes that action
// with one click. The student is imported just for this journey, and the waiting room's settings
// are put back at the end whatever happens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "playwright-core";
import { launch, signIn, BASE, SHOTS } from "./support.mjs";

const REGISTRAR = process.env.SUGANG_BROWSER_REGISTRAR ?? "registrar3";
const STAMP = Date.now().toString(36).toUpperCase();
const PASSWORD = "queue-journey-pass";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function json(res) {
  assert.ok(res.ok(), `${res.url()} answered ${res.status()}`);
  return res.json();
}

async function apiSignIn(login) {
  const api = await request.newContext();
  const { csrf_token: csrf } = await json(
    await api.post(`${BASE}/api/v1/session`, { data: { login_id: login, password: PASSWORD } }));
  return { api, csrf };
}

/// An open section a new year-2 CSE student may take: no prerequisites, no restriction that
/// keeps them out, seats to spare.
async function openSection(api) {
  for (let page = 1; ; page++) {
    const body = await json(await api.get(`${BASE}/api/v1/sections?per_page=100&page=${page}`));
    for (const c of body.items) {
      if (c.status !== "open" || c.seats_left < 3 || c.credits > 3) continue;
      const d = await json(await api.get(`${BASE}/api/v1/sections/${c.id}`));
      const dept = d.restrictions.department;
      if (d.prerequisites.length === 0 && (!dept || dept.code === "CSE") &&
        (d.restrictions.class_years.length === 0 || d.restrictions.class_years.includes(2))) {
        return c;
      }
    }
    if (page >= body.pages) return null;
  }
}

async function roomSettings(page) {
  await page.goto(`${BASE}/admin/controls`);
  return {
    enabled: await page.isChecked("#room-form input[name=enabled]"),
    rate: await page.inputValue("#rate"),
    concurrency: await page.inputValue("#concurrency"),
    pass: await page.inputValue("#pass_ttl_secs"),
    opensAt: await page.inputValue("#opens_at"),
  };
}

async function setRoom(page, s) {
  await page.goto(`${BASE}/admin/controls`);
  await page.setChecked("#room-form input[name=enabled]", s.enabled);
  await page.fill("#rate", s.rate);
  await page.fill("#concurrency", s.concurrency);
  await page.fill("#pass_ttl_secs", s.pass);
  await page.fill("#opens_at", s.opensAt);
  await Promise.all([page.waitForNavigation(), page.click("#room-form button[type=submit]")]);
  assert.equal(new URL(page.url()).pathname, "/admin/controls", "the settings were accepted");
}

test("an enroll that met the queue is offered again on admission and completes", async () => {
  const staffContext = await browser.newContext({ locale: "ko-KR" });
  const staff = await staffContext.newPage();
  await signIn(staff, REGISTRAR);

  // A student of this journey's own.
  const login = `E2EQ${STAMP}`.slice(0, 32);
  await staff.goto(`${BASE}/admin/import`);
  await staff.selectOption("#kind", "students");
  await staff.setInputFiles("#file", { name: "s.csv", mimeType: "text/csv",
    buffer: Buffer.from(`학번,이름,학과,학년\n${login},대기 시험,CSE,2\n`, "utf8") });
  await staff.fill("#initial_password", PASSWORD);
  await Promise.all([staff.waitForNavigation(), staff.click("#import-form button[type=submit]")]);
  assert.equal(await staff.getAttribute("#preview-summary", "data-ok"), "true");
  await Promise.all([staff.waitForNavigation(), staff.click("#apply-form button[type=submit]")]);

  const probe = await apiSignIn(login);
  const section = await openSection(probe.api);
  await probe.api.dispose();
  assert.ok(section, "an open section the new student may take");
  const code = `${section.course_code}-${String(section.section_no).padStart(2, "0")}`;

  const before = await roomSettings(staff);
  const student = await browser.newContext({
    locale: "ko-KR", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
  });
  try {
    await setRoom(staff, { ...before, enabled: true, rate: "1", opensAt: "" });

    const page = await student.newPage();
    await signIn(page, login, PASSWORD);
    await page.goto(`${BASE}/courses/${section.id}`);
    await Promise.all([page.waitForNavigation(), page.click("button[data-action=register]")]);

    // The queue page remembers the click: the action, the section, the place in line.
    const url = new URL(page.url());
    assert.equal(url.pathname, "/queue");
    assert.equal(url.searchParams.get("resume"), "/registration");
    assert.equal(url.searchParams.get("section_id"), String(section.id));
    assert.match(await page.textContent("#queue-resume"), new RegExp(code));
    assert.match(await page.textContent("#queue-lapse"), /5분/);
    if (await page.getAttribute("#queue-state", "data-state") === "waiting") {
      assert.equal(await page.locator("progress#queue-progress").count(), 1, "a progress bar");
      assert.ok(Number(await page.textContent("#queue-line")) >= 1, "the size of the line");
      assert.ok(await page.isDisabled("#queue-resume button[data-action=resume]"),
        "the action waits for admission");
    }
    await page.screenshot({ path: `${SHOTS}/queue-resume-phone.png`, fullPage: true });

    // Admitted (the page polls and reloads itself), the remembered action is one click away.
    await page.waitForSelector('#queue-state[data-state="admitted"]', { timeout: 30000 });
    const resume = page.locator("#queue-resume button[data-action=resume]");
    assert.ok(await resume.isEnabled(), "the action can be taken now");
    await Promise.all([page.waitForNavigation(), resume.click()]);
    const mine = await json(await page.context().request.get(`${BASE}/api/v1/enrollments`));
    assert.ok(mine.enrollments.some((e) => e.section.id === section.id),
      `enrolled in ${code} by the resumed action`);
    assert.match(await page.textContent("#flash"), new RegExp(code));
  } finally {
    await setRoom(staff, before);
    const s = await apiSignIn(login).catch(() => null);
    if (s) {
      await s.api.delete(`${BASE}/api/v1/enrollments/${section.id}`, { headers: { "X-CSRF-Token": s.csrf } });
      await s.api.dispose();
    }
    await student.close();
    await staffContext.close();
  }
});
