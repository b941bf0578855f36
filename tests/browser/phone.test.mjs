// Journey: honest status before the click, on a phone (390×844) and a desktop (1366×768).
// A student enrolled in section A opens a section B that meets at the same time: the section
// page, the search results and the basket name the clash where the 수강신청 button would be, and
// no enabled register button is offered. A section without a clash still offers it. The
// student's enrollment is dropped at the end, so other journeys see the seed as it was.
//
// The student is a year-2 student of a later department with sequence 02 (no other journey uses
// those accounts); the sections are chosen at run time through the JSON API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "playwright-core";
import { launch, signIn, BASE, PASSWORD, STUDENT, SHOTS } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const overlaps = (a, b) =>
  a.weekday === b.weekday && a.starts_at_min < b.ends_at_min && b.starts_at_min < a.ends_at_min;

async function json(res) {
  assert.ok(res.ok(), `${res.url()} answered ${res.status()}`);
  return res.json();
}

async function catalog(api) {
  const out = [];
  for (let page = 1; ; page++) {
    const body = await json(await api.get(`${BASE}/api/v1/sections?per_page=100&page=${page}`));
    out.push(...body.items);
    if (page >= body.pages) return out;
  }
}

function logins(year, from, seq) {
  const yearTwo = Number(STUDENT.slice(0, 4));
  const admitted = yearTwo - (year - 2);
  return Array.from({ length: 20 }, (_, i) => `${admitted}${from + i}${String(seq).padStart(2, "0")}`);
}

async function apiSignIn(login) {
  const api = await request.newContext();
  const res = await api.post(`${BASE}/api/v1/session`, { data: { login_id: login, password: PASSWORD } });
  if (!res.ok()) { await api.dispose(); return null; }
  const { csrf_token: csrf } = await res.json();
  const me = await json(await api.get(`${BASE}/api/v1/me`));
  const canRegister = me.status === "enrolled" && me.holds.length === 0 &&
    me.windows.some((w) => (w.phase === "register" || w.phase === "add_drop") && w.state === "open");
  if (!canRegister) { await api.dispose(); return null; }
  return { api, csrf, me };
}

/// A section `me` may take (open, no restriction against them, no prerequisite), or null.
async function eligible(api, me, id) {
  const d = await json(await api.get(`${BASE}/api/v1/sections/${id}`));
  const dept = d.restrictions.department;
  const ok = d.status === "open" && d.prerequisites.length === 0 &&
    (!dept || dept.code === me.department?.code) &&
    (d.restrictions.class_years.length === 0 || d.restrictions.class_years.includes(me.class_year));
  return ok ? d : null;
}

/// Every box of `selector` lies inside the viewport's width.
async function insideWidth(page, selector) {
  const width = page.viewportSize().width;
  for (const el of await page.$$(selector)) {
    if (!(await el.isVisible())) continue;
    const box = await el.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= width + 0.5,
      `${selector} at x=${box.x} w=${box.width} overflows ${width}px`);
  }
}

test("a clash is shown before the click, on a phone and on a desktop", async () => {
  assert.ok(STUDENT, "SUGANG_BROWSER_STUDENT names a seeded student");
  let who = null;
  for (const login of logins(2, 20, 2)) {
    const s = await apiSignIn(login);
    if (s && s.me.credit_limit - s.me.credits_enrolled >= 6) { who = { login, ...s }; break; }
    await s?.api.dispose();
  }
  assert.ok(who, "a year-2 student with room in their credit limit");
  const { api, me, csrf } = who;
  const mine = await json(await api.get(`${BASE}/api/v1/enrollments`));
  const taken = mine.enrollments.flatMap((e) => e.meetings);
  const myCourses = new Set(mine.enrollments.map((e) => e.section.course_code));

  // A: a free section to enroll in; B: another course meeting at the same time; C: no clash.
  const all = await catalog(api);
  const usable = all.filter((s) => s.status === "open" && s.credits <= 3 && s.seats_left >= 3 &&
    !myCourses.has(s.course_code) && s.meetings.length > 0 &&
    s.meetings.every((m) => taken.every((t) => !overlaps(m, t))));
  let a = null;
  let b = null;
  for (const s of usable) {
    const partner = usable.find((o) => o.course_code !== s.course_code &&
      o.meetings.some((m) => s.meetings.some((n) => overlaps(m, n))));
    if (!partner) continue;
    const [da, db] = [await eligible(api, me, s.id), await eligible(api, me, partner.id)];
    if (da && db) { a = da; b = db; break; }
  }
  assert.ok(a && b, "two eligible sections of different courses meeting at the same time");
  let c = null;
  for (const s of usable) {
    if (s.course_code === a.course_code || s.course_code === b.course_code) continue;
    if (s.meetings.some((m) => a.meetings.some((n) => overlaps(m, n)))) continue;
    if (await eligible(api, me, s.id)) { c = s; break; }
  }
  assert.ok(c, "an eligible section without a clash");

  const enrolled = await api.post(`${BASE}/api/v1/enrollments`, {
    data: { section_id: a.id }, headers: { "X-CSRF-Token": csrf },
  });
  assert.ok(enrolled.ok(), `enrolling in ${a.course_code}: ${enrolled.status()}`);
  // The JSON view of B says why registering is refused, with the rule's code.
  const bJson = await json(await api.get(`${BASE}/api/v1/sections/${b.id}`));
  const register = bJson.standing.actions.find((x) => x.code === "register");
  assert.equal(register?.enabled, false);
  assert.equal(register?.reason, "time_conflict");
  await api.dispose();

  try {
    for (const size of [{ width: 390, height: 844, name: "phone" }, { width: 1366, height: 768, name: "desktop" }]) {
      const context = await browser.newContext({
        locale: "ko-KR", viewport: { width: size.width, height: size.height },
        isMobile: size.name === "phone", hasTouch: size.name === "phone",
      });
      const page = await context.newPage();
      await signIn(page, who.login);

      // The section page: the refusal, not "신청 가능한 분반입니다", and a disabled button.
      await page.goto(`${BASE}/courses/${b.id}`);
      assert.equal(await page.getAttribute("#section-state", "data-refusal"), "time_conflict");
      const state = await page.textContent("#section-state");
      assert.ok(state.includes(a.course_code), `the state names the clashing section: ${state}`);
      assert.ok(!state.includes("신청 가능한 분반입니다"));
      assert.ok(await page.isDisabled("button[data-action=register]"));
      assert.equal(await page.getAttribute("#reason-register", "data-reason"), "time_conflict");
      await insideWidth(page, "#actions button, #section-state");
      await page.locator("#actions").screenshot({ path: `${SHOTS}/before-click-section-${size.name}.png` });

      // A section without a clash still offers an enabled button.
      await page.goto(`${BASE}/courses/${c.id}`);
      assert.equal(await page.getAttribute("#section-state", "data-refusal"), null);
      assert.ok(await page.isEnabled("button[data-action=register]"));

      // Search results: B's row carries the refusal, A's row says enrolled.
      await page.goto(`${BASE}/courses?q=${encodeURIComponent(b.course_code)}`);
      const bRow = `#results tr[data-section-id="${b.id}"] td.row-action`;
      assert.equal(await page.getAttribute(bRow, "data-refusal"), "time_conflict");
      assert.equal(await page.$(`${bRow} button[data-action=register]`), null);
      // On a phone the row is a card: every cell, the refusal included, fits the width.
      await insideWidth(page, `#results tr[data-section-id="${b.id}"] td`);
      await page.locator(`#results tr[data-section-id="${b.id}"]`).screenshot({
        path: `${SHOTS}/before-click-search-${size.name}.png` });
      await page.goto(`${BASE}/courses?q=${encodeURIComponent(a.course_code)}`);
      assert.equal(
        await page.getAttribute(`#results tr[data-section-id="${a.id}"] td.row-action`, "data-verdict"),
        "enrolled");
      await context.close();
    }
  } finally {
    const again = await apiSignIn(who.login);
    if (again) {
      await again.api.delete(`${BASE}/api/v1/enrollments/${a.id}`, { headers: { "X-CSRF-Token": again.csrf } });
      await again.api.dispose();
    }
  }
});
