// Journey: a registrar opens a new section of a seeded course on Saturday evening (when the seed
// schedules nothing), and a year-4 student whom no other journey uses finds it in the course
// search and registers for it. The registrar picks the student in the console: active, no
// hold, not already taking the course, with a credit to spare.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, signIn, BASE, SHOTS } from "./support.mjs";

const REGISTRAR = process.env.SUGANG_BROWSER_REGISTRAR ?? "registrar";
const COURSE_TITLE = "배드민턴";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The year of the term being registered for, as the seed computes it (Seoul calendar). */
function termYear(now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Seoul", year: "numeric", month: "numeric" })
    .formatToParts(now);
  const year = Number(parts.find((p) => p.type === "year").value);
  const month = Number(parts.find((p) => p.type === "month").value);
  return month >= 9 ? year + 1 : year;
}

async function newPage() {
  const context = await browser.newContext({ locale: "ko-KR" });
  return { context, page: await context.newPage() };
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** Year-4 students listed by the console's search, last first (the demo ones come first). */
async function yearFourStudents(page) {
  const year = termYear();
  const found = [];
  for (const prefix of [year - 3, year - 4]) {
    await page.goto(`${BASE}/admin/students?q=${prefix}`);
    for (const row of await page.locator("#students tbody tr").all()) {
      const cells = (await row.locator("td").allTextContents()).map((t) => t.trim());
      if (cells[2] === "4" && cells[3] === "재학") {
        found.push({ login: cells[0], href: await row.locator("a").getAttribute("href") });
      }
    }
  }
  return found.reverse();
}

async function pickStudent(page, courseCode) {
  for (const candidate of await yearFourStudents(page)) {
    await page.goto(`${BASE}${candidate.href}`);
    const holds = (await page.textContent("#active-holds")).trim();
    const [credits, limit] = (await page.textContent("#credits")).split("/").map((t) => Number(t.trim()));
    const enrolled = (await page.locator("#enrollments").count()) > 0
      ? await page.textContent("#enrollments") : "";
    if (holds === "0" && credits + 1 <= limit && !enrolled.includes(courseCode)) return candidate.login;
  }
  assert.fail("no year-4 student without a hold and with a credit to spare");
}

test("registrar opens a section and a student finds it and registers", async () => {
  const staff = await newPage();
  await signIn(staff.page, REGISTRAR);
  await staff.page.goto(`${BASE}/admin/courses?q=${encodeURIComponent(COURSE_TITLE)}`);
  const courseCode = (await staff.page.locator("#courses tbody tr td a").first().textContent()).trim();
  assert.match(courseCode, /^[A-Z0-9]{2,16}$/);
  const student = await pickStudent(staff.page, courseCode);

  // The new section: Saturday 20:00-21:15, a number the seed never uses (retried if a rerun took it).
  let sectionId;
  for (let attempt = 0; attempt < 5 && !sectionId; attempt++) {
    await staff.page.goto(`${BASE}/admin/sections/new`);
    const form = staff.page.locator("#section-form");
    await form.locator("input[name=course_code]").fill(courseCode);
    await form.locator("input[name=section_no]").fill(String(900 + Math.floor(Math.random() * 100)));
    await form.locator("input[name=instructor]").fill("김코치");
    await form.locator("input[name=capacity]").fill("20");
    await form.locator("input[name=waitlist_capacity]").fill("0");
    await form.locator("select[name=m1_day]").selectOption("6");
    await form.locator("input[name=m1_start]").fill("20:00");
    await form.locator("input[name=m1_end]").fill("21:15");
    await form.locator("input[name=m1_room]").fill("체육관 2");
    await submit(staff.page, "#section-form button[type=submit]");
    const m = new URL(staff.page.url()).pathname.match(/^\/admin\/sections\/(\d+)$/);
    if (m) sectionId = m[1];
    else assert.ok(await staff.page.locator("[data-field=section_no]").count() > 0, "only a taken number may refuse");
  }
  assert.ok(sectionId, "the section was created");
  assert.match(await staff.page.textContent("#flash"), /개설/);
  assert.equal((await staff.page.textContent("#capacity")).trim(), "20");
  await staff.page.screenshot({ path: `${SHOTS}/admin-section.png`, fullPage: true });

  // The student finds it in the course search at once and registers from its page.
  const learner = await newPage();
  await signIn(learner.page, student);
  await learner.page.goto(`${BASE}/courses?q=${courseCode}`);
  const row = learner.page.locator(`#results tr[data-section-id="${sectionId}"]`);
  assert.equal(await row.count(), 1, "the new section is in the search results");
  assert.match(await row.textContent(), /토 20:00/);
  await submit(learner.page, `#results tr[data-section-id="${sectionId}"] a.title`);
  await submit(learner.page, "button[data-action=register]");
  assert.match(await learner.page.textContent("#flash"), /수강신청이 완료/);
  await learner.page.goto(`${BASE}/registration`);
  assert.equal(await learner.page.locator(`#my-enrollments tr[data-section="${sectionId}"]`).count(), 1);
  await learner.page.screenshot({ path: `${SHOTS}/admin-section-registered.png`, fullPage: true });
  await learner.context.close();

  // The registrar sees the student on the roster.
  await staff.page.goto(`${BASE}/admin/sections/${sectionId}`);
  assert.ok((await staff.page.textContent("#roster")).includes(student));
  assert.equal((await staff.page.textContent("#enrolled")).trim(), "1");
  await staff.context.close();
});
