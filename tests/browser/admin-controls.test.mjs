// Journeys of the registrar console: a CSV import refused for one bad line, fixed and applied;
// a registration freeze that a student sees on their pages and when trying to register; and,
// without JavaScript, a freeze that asks once on a page of its own, then the audit line of it
// with its short request id.
// Each journey makes its own data (unique course codes, a student imported just for it), so it
// depends on no other journey, and the freeze is always lifted at the end.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, signIn, BASE, SHOTS } from "./support.mjs";

const REGISTRAR = process.env.SUGANG_BROWSER_REGISTRAR ?? "registrar3";
const STAMP = Date.now().toString(36).toUpperCase();

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function registrarPage() {
  const context = await browser.newContext({ locale: "ko-KR" });
  const page = await context.newPage();
  await signIn(page, REGISTRAR);
  return { context, page };
}

async function previewCsv(page, kind, csv, password = "") {
  await page.goto(`${BASE}/admin/import`);
  await page.selectOption("#kind", kind);
  await page.setInputFiles("#file", { name: "import.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf8") });
  if (password) { await page.fill("#initial_password", password); }
  await Promise.all([page.waitForNavigation(), page.click("#import-form button[type=submit]")]);
}

test("a registrar's CSV import with a bad line is refused with the line, then fixed and applied", async () => {
  const { context, page } = await registrarPage();
  const a = `Z${STAMP}A`;
  const b = `Z${STAMP}B`;
  const bad = "\uFEFF과목코드,과목명,영문과목명,학점,학과,이수구분\n" +
    `${a},"브라우저 시험, 기초",Browser Testing,3,CSE,전공선택\n` +
    `${b},브라우저 시험 심화,Advanced Browser Testing,셋,CSE,전공선택\n`;
  await previewCsv(page, "courses", bad);
  assert.equal(await page.getAttribute("#preview-summary", "data-ok"), "false");
  const line3 = page.locator("#report tr[data-line='3']");
  assert.match(await line3.getAttribute("class"), /line-error/);
  assert.match(await line3.textContent(), /학점/);
  assert.equal(await page.locator("#apply-form").count(), 0, "no apply button for a bad file");
  await page.screenshot({ path: `${SHOTS}/admin-import-refused.png`, fullPage: true });

  await previewCsv(page, "courses", bad.replace(",셋,", ",3,"));
  assert.equal(await page.getAttribute("#preview-summary", "data-ok"), "true");
  await Promise.all([page.waitForNavigation(), page.click("#apply-form button[type=submit]")]);
  assert.equal(new URL(page.url()).pathname, "/admin/import");
  assert.match(await page.textContent("#flash"), /2건/);

  // Applied means really there: importing the same file again names the existing courses.
  await previewCsv(page, "courses", bad.replace(",셋,", ",3,"));
  assert.equal(await page.getAttribute("#preview-summary", "data-ok"), "false");
  assert.match(await page.locator("#report tr[data-line='2']").textContent(), new RegExp(a));
  await context.close();
});

test("a freeze shows its reason to a student on their pages and when registering, until lifted", async () => {
  const { context, page } = await registrarPage();
  // A student of this journey's own, so no other journey's student is touched.
  const login = `E2EF${STAMP}`.slice(0, 32);
  const password = "freeze-journey-pass";
  await previewCsv(page, "students", `학번,이름,학과,학년\n${login},동결 시험,CSE,2\n`, password);
  assert.equal(await page.getAttribute("#preview-summary", "data-ok"), "true");
  await Promise.all([page.waitForNavigation(), page.click("#apply-form button[type=submit]")]);

  const reason = `서버 점검 ${STAMP}`;
  const student = await browser.newContext({ locale: "ko-KR" });
  try {
    await page.goto(`${BASE}/admin/controls`);
    await page.fill("#reason", reason);
    // Freezing asks first, naming the effect.
    await page.click("#freeze-form button[type=submit]");
    assert.match(await page.textContent("dialog#confirm-dialog"), /모든 학생의 수강신청이 즉시 중지됩니다/);
    await Promise.all([page.waitForNavigation(), page.click("dialog#confirm-dialog button[data-action=confirm-yes]")]);
    assert.equal(await page.getAttribute("#freeze-state", "data-frozen"), "true");

    const s = await student.newPage();
    await signIn(s, login, password);
    assert.match(await s.textContent("#freeze-banner"), new RegExp(reason));
    await s.goto(`${BASE}/registration`);
    assert.match(await s.textContent("#freeze-banner"), new RegExp(reason));
    await s.fill("#quick-add textarea[name=codes]", "CSE2010-01");
    await Promise.all([s.waitForNavigation(), s.click("#quick-add button[type=submit]")]);
    assert.match(await s.textContent("#flash"), new RegExp(reason));
    await s.screenshot({ path: `${SHOTS}/admin-freeze-student.png`, fullPage: true });
  } finally {
    await page.goto(`${BASE}/admin/controls`);
    if (await page.locator("#unfreeze-form").count() > 0) {
      await Promise.all([page.waitForNavigation(), page.click("#unfreeze-form button[type=submit]")]);
    }
  }
  assert.equal(await page.getAttribute("#freeze-state", "data-frozen"), "false");
  const s = await student.newPage();
  await s.goto(`${BASE}/registration`);
  assert.equal(await s.locator("#freeze-banner").count(), 0);
  await student.close();
  await context.close();
});

test("without JavaScript a freeze asks once on its own page; the audit shows its short request id", async () => {
  const context = await browser.newContext({ locale: "ko-KR", javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page, REGISTRAR);
  const reason = `무스크립트 점검 ${STAMP}`;
  try {
    await page.goto(`${BASE}/admin/controls`);
    await page.fill("#reason", reason);
    await Promise.all([page.waitForNavigation(), page.click("#freeze-form button[type=submit]")]);
    assert.match(await page.textContent("#freeze-question"), /모든 학생의 수강신청이 즉시 중지됩니다/);
    assert.equal((await page.textContent("#freeze-reason")).trim(), reason);
    for (const sel of ["button[data-action=freeze-confirm]", "#freeze-keep"]) {
      const box = await page.locator(sel).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${sel} inside the phone's width`);
    }
    await page.screenshot({ path: `${SHOTS}/admin-freeze-confirm-phone.png`, fullPage: true });

    // Going back freezes nothing.
    await Promise.all([page.waitForNavigation(), page.click("#freeze-keep")]);
    assert.equal(new URL(page.url()).pathname, "/admin/controls");
    assert.equal(await page.getAttribute("#freeze-state", "data-frozen"), "false");

    await page.fill("#reason", reason);
    await Promise.all([page.waitForNavigation(), page.click("#freeze-form button[type=submit]")]);
    await Promise.all([page.waitForNavigation(), page.click("button[data-action=freeze-confirm]")]);
    assert.equal(await page.getAttribute("#freeze-state", "data-frozen"), "true");
  } finally {
    await page.goto(`${BASE}/admin/controls`);
    if (await page.locator("#unfreeze-form").count() > 0) {
      await Promise.all([page.waitForNavigation(), page.click("#unfreeze-form button[type=submit]")]);
    }
  }
  assert.equal(await page.getAttribute("#freeze-state", "data-frozen"), "false");

  // The freeze's line: eight characters of its request id, and the whole id finds it again.
  await page.goto(`${BASE}/admin/audit?action=control_freeze`);
  const row = page.locator("#audit tbody tr", { hasText: reason }).first();
  const cell = row.locator("td.request-id");
  const full = await cell.getAttribute("data-request-id");
  assert.equal(full.length, 32);
  assert.equal((await cell.locator("code").textContent()).trim(), full.slice(0, 8));
  assert.equal(await cell.locator("a").getAttribute("title"), full);
  await Promise.all([page.waitForNavigation(), cell.locator("a").click()]);
  assert.equal(await page.inputValue("input[name=request]"), full);
  assert.equal(await page.locator("#audit tbody tr").count(), 1);
  assert.match(await page.textContent("#audit tbody tr"), new RegExp(reason));
  await context.close();
});
