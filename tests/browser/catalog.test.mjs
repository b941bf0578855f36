// Journeys: a student searches the catalog and filters it, opens a section, sees their week
// with the seeded enrollments and downloads it as a calendar file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { launch, signIn, BASE, STUDENT, SHOTS } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function studentPage(options = {}) {
  assert.ok(STUDENT, "SUGANG_BROWSER_STUDENT names a seeded student");
  const context = await browser.newContext({ locale: "ko-KR", acceptDownloads: true, ...options });
  const page = await context.newPage();
  await signIn(page, STUDENT);
  return { context, page };
}

function count(summary) {
  const m = summary.match(/(\d+)건/);
  assert.ok(m, `summary "${summary}" names a count`);
  return Number(m[1]);
}

test("student searches by keyword, narrows with filters and opens a section", async () => {
  const { context, page } = await studentPage();
  await page.click("nav >> text=강의 검색");
  assert.equal(new URL(page.url()).pathname, "/courses");
  const everything = count(await page.textContent("#result-summary"));
  assert.ok(everything > 100, "the seeded catalog is listed");

  await page.fill("#q", "자료구조");
  await Promise.all([page.waitForNavigation(), page.click("#search-form button[type=submit]")]);
  const keyword = count(await page.textContent("#result-summary"));
  assert.ok(keyword > 0 && keyword < everything, `keyword narrows (${keyword} of ${everything})`);
  const titles = await page.locator("#results a.title").allTextContents();
  assert.ok(titles.length > 0 && titles.every((t) => t.includes("자료구조")), titles.join(", "));

  // A filter on top of the keyword: seats left only, then a weekday.
  await page.check("#open_only");
  await page.selectOption("#sort", "seats_left");
  await Promise.all([page.waitForNavigation(), page.click("#search-form button[type=submit]")]);
  const open = count(await page.textContent("#result-summary"));
  assert.ok(open <= keyword);
  assert.ok(page.url().includes("open_only=1"));
  const seats = (await page.locator("#results .seats-left").allTextContents()).map(Number);
  assert.ok(seats.every((n) => n > 0), `only sections with seats: ${seats}`);
  assert.deepEqual(seats, [...seats].sort((a, b) => b - a), "most seats first");
  await page.screenshot({ path: `${SHOTS}/courses.png`, fullPage: true });

  await page.fill("#q", "");
  await page.uncheck("#open_only");
  await page.selectOption("#day", "2");
  await page.selectOption("#time", "morning");
  await Promise.all([page.waitForNavigation(), page.click("#search-form button[type=submit]")]);
  const tuesday = count(await page.textContent("#result-summary"));
  assert.ok(tuesday > 0 && tuesday < everything);
  const meetings = await page.locator("#results tbody tr").first().textContent();
  assert.match(meetings, /화 (0\d|1[01]):/);

  // Open the first result.
  const first = page.locator("#results tbody tr").first();
  const label = (await first.locator("td a").first().textContent()).trim();
  await Promise.all([page.waitForNavigation(), first.locator("td a").first().click()]);
  assert.match(new URL(page.url()).pathname, /^\/courses\/\d+$/);
  assert.ok((await page.textContent("#section-title")).includes(label));
  assert.ok(await page.locator("#meetings tbody tr").count() > 0, "meetings listed");
  assert.match(await page.textContent("#seats-left"), /^\d+$/);
  assert.match(await page.textContent("#basket-count"), /^\d+$/);
  assert.ok((await page.textContent("#section-state")).trim().length > 0, "standing shown");
  await page.screenshot({ path: `${SHOTS}/section.png`, fullPage: true });

  // English is one click away and keeps the page.
  await page.click("a[lang=en]");
  assert.match(await page.textContent("#section-facts"), /Seats left/);
  await context.close();
});

test("student sees the week with their seeded enrollments, on a phone too", async () => {
  const { context, page } = await studentPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await page.goto(`${BASE}/timetable`);
  const sections = await page.locator("#timetable-sections tbody tr").count();
  assert.ok(sections > 0, "seeded enrollments are listed");
  assert.ok(await page.locator("#timetable td.block").count() >= sections, "every section has a block");
  assert.match(await page.textContent("#total-credits"), /총 \d+학점/);
  assert.ok(await page.locator("#timetable-list li").count() >= sections, "day-by-day list");
  // Server time is in the page itself, not only from the script.
  assert.match(await page.getAttribute("#server-clock", "datetime"), /^\d{4}-\d\d-\d\dT/);
  await page.screenshot({ path: `${SHOTS}/timetable-phone.png`, fullPage: true });
  await context.close();
});

test("student downloads the timetable as an iCalendar file", async () => {
  const { context, page } = await studentPage();
  await page.goto(`${BASE}/timetable`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#ics-link")]);
  assert.equal(download.suggestedFilename(), "timetable.ics");
  const text = await readFile(await download.path(), "utf8");
  assert.ok(text.startsWith("BEGIN:VCALENDAR\r\n"), text.slice(0, 40));
  assert.ok(text.includes("BEGIN:VEVENT"), "one event per meeting");
  assert.ok(text.includes("DTSTART;TZID=Asia/Seoul:"));
  await context.close();
});
