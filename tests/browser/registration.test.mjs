// Journey: a student puts a section in their basket, a registrar runs the basket allocation, the
// student registers another section, sees it on the timetable, swaps it for another section of
// the same course, drops the allocated one, and joins the waitlist of a full section.
//
// The seeded catalog changes with the seed, so the sections are chosen at run time through the
// JSON API (eligible, no time conflicts, room within the credit limit). The student is a year-4
// student of a later department (not a demo account other journeys use); students who fill the
// waitlisted section are year-3 students of later departments.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "playwright-core";
import { launch, signIn, BASE, PASSWORD, STUDENT, SHOTS } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const overlaps = (a, b) =>
  a.weekday === b.weekday && a.starts_at_min < b.ends_at_min && b.starts_at_min < a.ends_at_min;
const clashFree = (section, taken) =>
  section.meetings.every((m) => taken.every((t) => !overlaps(m, t)));

async function json(res) {
  assert.ok(res.ok(), `${res.url()} answered ${res.status()}`);
  return res.json();
}

/// Every section of the current term (the API pages at 100).
async function catalog(api) {
  const out = [];
  for (let page = 1; ; page++) {
    const body = await json(await api.get(`${BASE}/api/v1/sections?per_page=100&page=${page}`));
    out.push(...body.items);
    if (page >= body.pages) return out;
  }
}

/// Login ids of the seeded students of a class year in departments `from`.., sequence `seq`.
function logins(year, from, seq) {
  const yearTwo = Number(STUDENT.slice(0, 4));
  const admitted = yearTwo - (year - 2);
  return Array.from({ length: 20 }, (_, i) => `${admitted}${from + i}${String(seq).padStart(2, "0")}`);
}

/// An API client signed in as `login`, or null when that account cannot register now.
async function apiSignIn(login) {
  const api = await request.newContext();
  const res = await api.post(`${BASE}/api/v1/session`, { data: { login_id: login, password: PASSWORD } });
  if (!res.ok()) { await api.dispose(); return null; }
  const { csrf_token: csrf } = await res.json();
  const me = await json(await api.get(`${BASE}/api/v1/me`));
  const canRegister = me.status === "enrolled" && me.holds.length === 0 &&
    me.windows.some((w) => w.phase === "register" && w.state === "open");
  if (!canRegister) { await api.dispose(); return null; }
  return { api, csrf, me };
}

/// Details of a section that the student `me` may take (open, no restriction against them, no
/// prerequisite), or null.
async function eligible(api, me, id) {
  const d = await json(await api.get(`${BASE}/api/v1/sections/${id}`));
  const dept = d.restrictions.department;
  const ok = d.status === "open" && d.prerequisites.length === 0 &&
    (!dept || dept.code === me.department?.code) &&
    (d.restrictions.class_years.length === 0 || d.restrictions.class_years.includes(me.class_year));
  return ok ? d : null;
}

async function flash(page) {
  return (await page.textContent("#flash")) ?? "";
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

test("basket, allocation, register, timetable, swap, drop and waitlist", async () => {
  assert.ok(STUDENT, "SUGANG_BROWSER_STUDENT names a seeded student");

  // The student: a year-4 student with room for two more sections.
  let who = null;
  for (const login of logins(4, 40, 2)) {
    const s = await apiSignIn(login);
    if (s && s.me.credit_limit - s.me.credits_enrolled >= 6) { who = { login, ...s }; break; }
    await s?.api.dispose();
  }
  assert.ok(who, "a year-4 student with room in their credit limit");
  const { api, me } = who;
  const mine = await json(await api.get(`${BASE}/api/v1/enrollments`));
  const taken = mine.enrollments.flatMap((e) => e.meetings);
  const myCourses = new Set(mine.enrollments.map((e) => e.section.course_code));

  // Sections: S1 for the basket (its demand fits), S2 and S3 two sections of one course.
  const all = (await catalog(api)).reverse();
  const usable = all.filter((s) => s.status === "open" && s.credits <= 3 && s.seats_left >= 5 &&
    !myCourses.has(s.course_code) && s.meetings.length > 0 && clashFree(s, taken));
  let s1 = null;
  for (const s of usable) {
    const d = await eligible(api, me, s.id);
    if (d && d.basket_count + 1 <= d.seats_left) { s1 = d; break; }
  }
  assert.ok(s1, "a section for the basket");
  const withS1 = [...taken, ...s1.meetings];
  let s2 = null;
  let s3 = null;
  for (const s of usable) {
    if (s.course_code === s1.course_code || !clashFree(s, withS1)) continue;
    const sibling = usable.find((o) => o.course_code === s.course_code && o.id !== s.id && clashFree(o, withS1));
    if (!sibling) continue;
    const [a, b] = [await eligible(api, me, s.id), await eligible(api, me, sibling.id)];
    if (a && b) { s2 = a; s3 = b; break; }
  }
  assert.ok(s2 && s3, "two sections of one course for the swap");

  // Signing in through the page ends the API session (one session per account): from here on
  // the page's own context makes the student's API calls.
  await api.dispose();
  const context = await browser.newContext({ locale: "ko-KR" });
  const page = await context.newPage();
  await signIn(page, who.login);
  const own = context.request;

  // 1. The basket: add S1 from its section page, then see it with its demand on /basket.
  await page.goto(`${BASE}/courses/${s1.id}`);
  await submit(page, "button[data-action=basket_add]");
  assert.match(await flash(page), /장바구니에 담았습니다/);
  await page.goto(`${BASE}/basket`);
  const row = page.locator(`#basket-items tr[data-section="${s1.id}"]`);
  assert.equal(await row.count(), 1, "the section is in the basket");
  assert.ok(Number(await row.locator(".basket-count").textContent()) >= 1, "its demand is shown");
  assert.ok(await page.locator("#basket-timetable td.block.preview").count() > 0, "previewed in the week");
  await page.screenshot({ path: `${SHOTS}/basket.png`, fullPage: true });

  // 2. A registrar runs the allocation; S1's demand fits, so the student is enrolled in it.
  const staffContext = await browser.newContext({ locale: "ko-KR" });
  const staff = await staffContext.newPage();
  await signIn(staff, "registrar");
  await staff.goto(`${BASE}/admin/allocation`);
  assert.equal(await staff.locator(`#allocation-preview tr[data-section="${s1.id}"].fits`).count(), 1);
  await submit(staff, "#run-allocation button[type=submit]");
  assert.match(await staff.textContent("#flash"), /장바구니 배정 완료/);
  assert.ok(await staff.locator("#allocation-report li").count() > 0, "the report lists sections");
  await staff.screenshot({ path: `${SHOTS}/allocation.png`, fullPage: true });
  await staffContext.close();

  await page.goto(`${BASE}/registration`);
  assert.equal(await page.locator(`#my-enrollments tr[data-section="${s1.id}"]`).count(), 1,
    "allocated from the basket");

  // 3. Register S2 by its code as the site shows it.
  await page.fill("#quick-add textarea[name=codes]", `${s2.course_code}-${String(s2.section_no).padStart(2, "0")}`);
  await submit(page, "#quick-add button[type=submit]");
  assert.match(await page.textContent("#quick-results"), /수강신청이 완료되었습니다/);

  // 4. The timetable shows it.
  await page.goto(`${BASE}/timetable`);
  assert.ok(await page.locator(`#timetable td.block[data-section-id="${s2.id}"]`).count() > 0);
  await page.screenshot({ path: `${SHOTS}/registration-timetable.png`, fullPage: true });

  // 5. Swap S2 for S3 (another section of the same course).
  await page.goto(`${BASE}/registration`);
  await page.selectOption("#swap select[name=drop_section_id]", String(s2.id));
  await page.fill("#swap input[name=add_course_code]", s3.course_code);
  await page.fill("#swap input[name=add_section_no]", String(s3.section_no));
  await submit(page, "#swap button[type=submit]");
  assert.match(await flash(page), /교체했습니다/);
  assert.equal(await page.locator(`#my-enrollments tr[data-section="${s3.id}"]`).count(), 1);
  assert.equal(await page.locator(`#my-enrollments tr[data-section="${s2.id}"]`).count(), 0);

  // 6. Drop S1: the dialog asks once, naming it.
  await page.click(`#my-enrollments tr[data-section="${s1.id}"] button[data-action=drop]`);
  assert.match(await page.textContent("dialog#confirm-dialog"), new RegExp(s1.course_code));
  await submit(page, "dialog#confirm-dialog button[data-action=confirm-yes]");
  assert.match(await flash(page), /수강을 취소했습니다/);
  assert.equal(await page.locator(`#my-enrollments tr[data-section="${s1.id}"]`).count(), 0);

  // 7. A full section with a waitlist: the smallest one the student could otherwise take is
  // filled by other students first; then the student joins its line and sees the position.
  const now = await json(await own.get(`${BASE}/api/v1/enrollments`));
  const takenNow = now.enrollments.flatMap((e) => e.meetings);
  const coursesNow = new Set(now.enrollments.map((e) => e.section.course_code));
  const room = now.credit_limit - now.credits_total;
  const lines = (await catalog(own))
    .filter((s) => s.status === "open" && s.credits <= room && !coursesNow.has(s.course_code) &&
      clashFree(s, takenNow))
    .sort((a, b) => a.seats_left - b.seats_left);
  let full = null;
  for (const s of lines) {
    const d = await eligible(own, me, s.id);
    if (d && d.waitlist_capacity > d.waitlist_length && d.seats_left <= 12) { full = d; break; }
  }
  assert.ok(full, "a small section with a waitlist");
  for (const login of [...logins(3, 40, 2), ...logins(3, 30, 2)]) {
    const d = await json(await own.get(`${BASE}/api/v1/sections/${full.id}`));
    if (d.seats_left === 0) break;
    const filler = await apiSignIn(login);
    if (!filler) continue;
    await filler.api.post(`${BASE}/api/v1/enrollments`, {
      data: { section_id: full.id }, headers: { "X-CSRF-Token": filler.csrf },
    });
    await filler.api.dispose();
  }
  const filled = await json(await own.get(`${BASE}/api/v1/sections/${full.id}`));
  assert.equal(filled.seats_left, 0, `section ${full.id} is full`);

  await page.goto(`${BASE}/courses/${full.id}`);
  await submit(page, "button[data-action=waitlist_join]");
  assert.match(await flash(page), /대기 \d+번으로 등록되었습니다/);
  await page.goto(`${BASE}/registration`);
  const position = await page.locator("#my-waitlist tbody tr").filter({ hasText: full.course_code }).locator("td").nth(1).textContent();
  assert.ok(Number(position) >= 1, `waitlist position shown (${position})`);
  await page.screenshot({ path: `${SHOTS}/registration-waitlist.png`, fullPage: true });

  // The full section can be watched: a notice comes when a seat opens outside the waitlist.
  await page.goto(`${BASE}/courses/${full.id}`);
  await submit(page, "button[data-action=watch]");
  assert.match(await flash(page), /빈자리가 생기면 알림으로 알려 드립니다/);
  await page.goto(`${BASE}/courses/${full.id}`);
  await submit(page, "button[data-action=watch_remove]");
  assert.match(await flash(page), /빈자리 알림을 취소했습니다/);
  await page.goto(`${BASE}/courses/${full.id}`);
  assert.equal(await page.locator("button[data-action=watch]").count(), 1, "watchable again");

  await context.close();
});
