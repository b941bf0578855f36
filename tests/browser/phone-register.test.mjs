// Journeys of registration day on a phone (390×844) and a desktop (1366×768): quick add of three
// codes as the site shows them, the timetable of the week fitting the width on a to-scale time
// axis, the drop that asks once (a dialog with JavaScript, a page without), registering from the
// basket and from search with every box inside the viewport, and the opening countdown enabling
// the register button without a reload.
//
// Students: year 2 with sequence 02 in departments 10-19 and 40-63 (no other journey signs them
// in), and year 1 with sequence 02 for the countdown (their window opens ten minutes after the
// seed). Everything a journey enrolls or puts in a basket is taken back at its end.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "playwright-core";
import { launch, signIn, BASE, PASSWORD, STUDENT, SHOTS } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const SIZES = [
  { width: 390, height: 844, name: "phone" },
  { width: 1366, height: 768, name: "desktop" },
];
const overlaps = (a, b) =>
  a.weekday === b.weekday && a.starts_at_min < b.ends_at_min && b.starts_at_min < a.ends_at_min;
const code = (s) => `${s.course_code}-${String(s.section_no).padStart(2, "0")}`;

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

function logins(year, depts, seq) {
  const yearTwo = Number(STUDENT.slice(0, 4));
  const admitted = yearTwo - (year - 2);
  return depts.map((d) => `${admitted}${d}${String(seq).padStart(2, "0")}`);
}
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

async function apiSignIn(login) {
  const api = await request.newContext();
  const res = await api.post(`${BASE}/api/v1/session`, { data: { login_id: login, password: PASSWORD } });
  if (!res.ok()) { await api.dispose(); return null; }
  const { csrf_token: csrf } = await res.json();
  const me = await json(await api.get(`${BASE}/api/v1/me`));
  return { api, csrf, me, login };
}

async function eligible(api, me, id) {
  const d = await json(await api.get(`${BASE}/api/v1/sections/${id}`));
  const dept = d.restrictions.department;
  const ok = d.status === "open" && d.prerequisites.length === 0 &&
    (!dept || dept.code === me.department?.code) &&
    (d.restrictions.class_years.length === 0 || d.restrictions.class_years.includes(me.class_year));
  return ok ? d : null;
}

/// `n` eligible sections of different courses, none meeting at the same time as another or as
/// the student's enrollments, each with seats to spare.
async function pick(s, n) {
  const mine = await json(await s.api.get(`${BASE}/api/v1/enrollments`));
  const taken = mine.enrollments.flatMap((e) => e.meetings);
  const courses = new Set(mine.enrollments.map((e) => e.section.course_code));
  const out = [];
  for (const c of await catalog(s.api)) {
    if (out.length === n) break;
    if (c.status !== "open" || c.credits > 3 || c.seats_left < 3 || c.meetings.length === 0) continue;
    if (courses.has(c.course_code) || out.some((o) => o.course_code === c.course_code)) continue;
    const busy = [...taken, ...out.flatMap((o) => o.meetings)];
    if (c.meetings.some((m) => busy.some((t) => overlaps(m, t)))) continue;
    if (await eligible(s.api, s.me, c.id)) out.push(c);
  }
  return out.length === n ? out : null;
}

/// A year-2 student of `depts` free to register `n` more sections of 3 credits (each journey its
/// own departments, so one student's rate limit never meets another journey).
async function registeringStudent(n, depts) {
  for (const login of logins(2, depts, 2)) {
    const s = await apiSignIn(login);
    if (!s) continue;
    const me = s.me;
    const open = me.status === "enrolled" && me.holds.length === 0 &&
      me.windows.some((w) => (w.phase === "register" || w.phase === "add_drop") && w.state === "open");
    if (open && me.credit_limit - me.credits_enrolled >= 3 * n) {
      const sections = await pick(s, n);
      if (sections) return { ...s, sections };
    }
    await s.api.dispose();
  }
  return null;
}

async function cleanUp(s) {
  await fresh(s);
  const h = { headers: { "X-CSRF-Token": s.csrf } };
  for (const x of s.sections) {
    await s.api.delete(`${BASE}/api/v1/enrollments/${x.id}`, h);
    await s.api.delete(`${BASE}/api/v1/basket/${x.id}`, h);
  }
}

/// Every visible box of `selector` lies inside the viewport's width.
async function insideWidth(page, selector) {
  const width = page.viewportSize().width;
  const els = await page.$$(selector);
  assert.ok(els.length > 0, `${selector} matches something`);
  for (const el of els) {
    if (!(await el.isVisible())) continue;
    const box = await el.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= width + 0.5,
      `${selector} at x=${box.x} w=${box.width} overflows ${width}px`);
  }
}

async function newPage(size, options = {}) {
  const context = await browser.newContext({
    locale: "ko-KR", viewport: { width: size.width, height: size.height },
    isMobile: size.name === "phone", hasTouch: size.name === "phone", ...options,
  });
  return { context, page: await context.newPage() };
}

// One session per student: a browser sign-in ends the API's, so reads go through the page's own
// session and the API signs in again when it needs to act.
const enrolledIds = async (page) =>
  (await json(await page.context().request.get(`${BASE}/api/v1/enrollments`))).enrollments
    .map((e) => e.section.id);

async function fresh(s) {
  await s.api.dispose();
  const again = await apiSignIn(s.login);
  assert.ok(again, `${s.login} signs in again`);
  Object.assign(s, { api: again.api, csrf: again.csrf });
}

test("quick add of three codes, the week on a phone, and a drop that asks once", async () => {
  assert.ok(STUDENT, "SUGANG_BROWSER_STUDENT names a seeded student");
  const s = await registeringStudent(3, range(10, 19));
  assert.ok(s, "a year-2 student with room for three sections that do not clash");
  try {
    for (const size of SIZES) {
      const { context, page } = await newPage(size);
      await signIn(page, s.login);
      await page.goto(`${BASE}/registration`);
      assert.equal(await page.getAttribute('nav a[href="/registration"]', "aria-current"), "page");
      await page.fill("#quick-codes", s.sections.map(code).join("\n"));
      await Promise.all([page.waitForNavigation(), page.click("#quick-add button[type=submit]")]);
      const lines = page.locator("#quick-results li");
      assert.equal(await lines.count(), 3);
      assert.equal(await page.locator('#quick-results li[data-ok="true"]').count(), 3,
        await page.textContent("#quick-results"));
      for (const x of s.sections) {
        assert.match(await page.textContent("#quick-results"), new RegExp(code(x)));
        assert.equal(await page.locator(`#my-enrollments tr[data-section="${x.id}"]`).count(), 1);
      }
      await insideWidth(page, "#quick-add textarea, #quick-add button, #quick-results li");
      await page.screenshot({ path: `${SHOTS}/quick-add-${size.name}.png`, fullPage: true });

      // The week: no sideways scrolling, each block as tall as its length.
      await page.goto(`${BASE}/timetable`);
      await insideWidth(page, "#timetable");
      const blocks = await page.$$eval("#timetable td.block", (tds) => tds.map((td) => ({
        h: td.getBoundingClientRect().height, rows: td.rowSpan,
        colour: [...td.classList].find((c) => /^c\d$/.test(c)), id: td.dataset.sectionId,
      })));
      assert.ok(blocks.length >= 3, "the three sections are on the grid");
      const perRow = blocks.map((b) => b.h / b.rows);
      const [lo, hi] = [Math.min(...perRow), Math.max(...perRow)];
      assert.ok(hi / lo < 1.2, `row heights per block agree (to scale): ${perRow.join(", ")}`);
      const colourOf = new Map(blocks.map((b) => [b.id, b.colour]));
      const mine = s.sections.map((x) => colourOf.get(String(x.id)));
      assert.equal(new Set(mine).size, 3, `a colour per course: ${mine}`);
      await page.screenshot({ path: `${SHOTS}/timetable-${size.name}.png`, fullPage: true });

      // Drop with JavaScript: a dialog naming the course; going back changes nothing.
      await page.goto(`${BASE}/registration`);
      const [first, second] = s.sections;
      const dropButton = (x) => `#my-enrollments tr[data-section="${x.id}"] button[data-action=drop]`;
      assert.equal((await page.textContent(dropButton(first))).trim(), "수강취소");
      await page.click(dropButton(first));
      const dialog = page.locator("dialog#confirm-dialog");
      await dialog.waitFor();
      assert.match(await dialog.textContent(), new RegExp(code(first)));
      assert.match(await dialog.textContent(), /대기자/);
      await page.screenshot({ path: `${SHOTS}/drop-dialog-${size.name}.png` });
      await page.click("dialog#confirm-dialog button[data-action=confirm-no]");
      await dialog.waitFor({ state: "detached" });
      assert.ok((await enrolledIds(page)).includes(first.id), "going back keeps the section");
      await page.click(dropButton(first));
      await Promise.all([page.waitForNavigation(),
        page.click("dialog#confirm-dialog button[data-action=confirm-yes]")]);
      assert.match(await page.textContent("#flash"), /수강을 취소했습니다/);
      assert.ok(!(await enrolledIds(page)).includes(first.id));
      await context.close();

      // Without JavaScript: a page of its own asks the same question.
      const plain = await newPage(size, { javaScriptEnabled: false });
      await signIn(plain.page, s.login);
      await plain.page.goto(`${BASE}/registration`);
      await Promise.all([plain.page.waitForNavigation(), plain.page.click(dropButton(second))]);
      assert.match(await plain.page.textContent("#drop-question"), new RegExp(code(second)));
      assert.match(await plain.page.textContent("#drop-warning"), /대기자/);
      assert.ok((await enrolledIds(plain.page)).includes(second.id), "asking drops nothing");
      await insideWidth(plain.page, "#drop-confirm button, #drop-keep");
      await plain.page.screenshot({ path: `${SHOTS}/drop-confirm-${size.name}.png` });
      await Promise.all([plain.page.waitForNavigation(), plain.page.click("button[data-action=drop-confirm]")]);
      assert.match(await plain.page.textContent("#flash"), /수강을 취소했습니다/);
      assert.ok(!(await enrolledIds(plain.page)).includes(second.id));
      await plain.context.close();
      await cleanUp(s);
    }
  } finally {
    await cleanUp(s);
    await s.api.dispose();
  }
});

test("a phone registers from the basket and from search without sideways scrolling", async () => {
  const s = await registeringStudent(3, range(40, 63));
  assert.ok(s, "a year-2 student with room for three sections that do not clash");
  const [a, b, c] = s.sections;
  try {
    for (const size of SIZES) {
      await fresh(s);
      for (const x of [a, b]) {
        const res = await s.api.post(`${BASE}/api/v1/basket`, { data: { section_id: x.id }, headers: { "X-CSRF-Token": s.csrf } });
        assert.ok(res.ok(), `basket ${x.id}: ${res.status()}`);
      }
      const { context, page } = await newPage(size);
      await signIn(page, s.login);
      await page.goto(`${BASE}/basket`);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), size.width,
        "the basket page does not scroll sideways");
      const row = `#basket-items tr[data-section="${a.id}"]`;
      await insideWidth(page, `${row} a, ${row} td.seats, ${row} button`);
      await page.screenshot({ path: `${SHOTS}/basket-${size.name}.png`, fullPage: true });
      await Promise.all([page.waitForNavigation(), page.click(`${row} button[data-action=register]`)]);
      assert.match(await page.textContent("#flash"), /수강신청이 완료되었습니다/);
      assert.ok((await enrolledIds(page)).includes(a.id));

      // The registration page lists what is left in the basket, a button per row.
      await page.goto(`${BASE}/registration`);
      const left = `#basket-to-register li[data-section="${b.id}"]`;
      assert.equal(await page.locator(`#basket-to-register li[data-section="${a.id}"]`).count(), 0);
      await insideWidth(page, `${left} button`);
      await Promise.all([page.waitForNavigation(), page.click(`${left} button[data-action=register]`)]);
      assert.ok((await enrolledIds(page)).includes(b.id));

      // Search: the row's own button, on screen.
      await page.goto(`${BASE}/courses?q=${encodeURIComponent(c.course_code)}`);
      const cRow = `#results tr[data-section-id="${c.id}"]`;
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), size.width);
      await insideWidth(page, `${cRow} td, ${cRow} button`);
      // 담기 from the row, then the row says it is in the basket and still offers 수강신청.
      await Promise.all([page.waitForNavigation(), page.click(`${cRow} button[data-action=basket_add]`)]);
      assert.equal(await page.locator(`${cRow} [data-marker=in-basket]`).count(), 1);
      assert.equal(await page.locator(`${cRow} button[data-action=basket_add]`).count(), 0);
      await page.locator(cRow).screenshot({ path: `${SHOTS}/search-row-${size.name}.png` });
      await Promise.all([page.waitForNavigation(), page.click(`${cRow} button[data-action=register]`)]);
      assert.ok((await enrolledIds(page)).includes(c.id));
      await context.close();
      await cleanUp(s);
    }
  } finally {
    await cleanUp(s);
    await s.api.dispose();
  }
});

test("the register button enables itself when the countdown reaches zero", async (t) => {
  // A year-1 student: their window opens ten minutes after the seed.
  let s = null;
  let target = null;
  for (const login of logins(1, range(10, 63), 2)) {
    s = await apiSignIn(login);
    if (!s) continue;
    const w = s.me.windows.find((x) => x.phase === "register" && x.state !== "open" &&
      Date.parse(x.opens_at) > Date.now());
    if (s.me.status === "enrolled" && s.me.holds.length === 0 && w) {
      for (const c of await catalog(s.api)) {
        if (c.status === "open" && c.seats_left > 0 && await eligible(s.api, s.me, c.id)) { target = c; break; }
      }
      if (target) break;
    }
    await s.api.dispose();
    s = null;
  }
  if (!s) { t.skip("no year-1 student waits for a window (the seed's ten minutes have passed)"); return; }
  try {
    for (const size of SIZES) {
      const { context, page } = await newPage(size);
      await signIn(page, s.login);
      await page.goto(`${BASE}/courses/${target.id}`);
      const button = "#actions button[data-action=register]";
      assert.ok(await page.isDisabled(button), "before the opening the button is disabled");
      const at = await page.getAttribute(button, "data-enable-at");
      assert.ok(at, "the button knows when it opens");
      assert.ok(await page.locator("#actions [data-clock-mirror] time").count() === 1,
        "the server clock stands beside the button");
      // The server's clock says the opening has passed: the page, not reloaded, enables it.
      await page.route("**/api/v1/time", (route) => route.fulfill({
        contentType: "application/json",
        body: JSON.stringify({ epoch_ms: Date.parse(at) + 1000 }),
      }));
      let navigations = 0;
      page.on("framenavigated", (f) => { if (f === page.mainFrame()) navigations++; });
      await page.evaluate(() => window.dispatchEvent(new Event("focus")));
      await page.waitForFunction((sel) => !document.querySelector(sel).disabled, button, { timeout: 70000 });
      assert.equal(navigations, 0, "no reload");
      assert.equal(await page.getAttribute(button, "data-enabled-by"), "countdown");
      await page.locator("#actions").screenshot({ path: `${SHOTS}/countdown-enabled-${size.name}.png` });
      await context.close();
    }
  } finally {
    await s.api.dispose();
  }
});
