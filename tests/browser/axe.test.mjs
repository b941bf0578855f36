// axe-core over every page, at a desktop (1366×768) and a phone (390×844) size, in Korean and
// English: a violation of impact serious or critical fails the journey, naming the rule and the
// elements. The pages' CSP allows only same-origin scripts, so the checking context bypasses it
// to inject axe; the pages themselves are served unchanged.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { request } from "playwright-core";
import { launch, signIn, BASE, PASSWORD, STUDENT } from "./support.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const REGISTRAR = process.env.SUGANG_BROWSER_AXE_REGISTRAR ?? "registrar2";
const SIZES = [
  { width: 1366, height: 768, name: "desktop" },
  { width: 390, height: 844, name: "phone" },
];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function firstIds() {
  const api = await request.newContext();
  const signed = await api.post(`${BASE}/api/v1/session`, { data: { login_id: STUDENT, password: PASSWORD } });
  assert.ok(signed.ok(), `${STUDENT} signs in: ${signed.status()}`);
  const body = await (await api.get(`${BASE}/api/v1/sections?per_page=1`)).json();
  await api.dispose();
  assert.ok(body.items.length > 0, "the catalog has a section");
  return { section: body.items[0].id };
}

async function violations(page) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    (await axe.run(document, { resultTypes: ["violations"] })).violations.map((v) => ({
      id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    })));
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}

async function sweep(login, paths) {
  const found = [];
  for (const size of SIZES) {
    for (const locale of ["ko-KR", "en-US"]) {
      const context = await browser.newContext({
        locale, bypassCSP: true, viewport: { width: size.width, height: size.height },
        isMobile: size.name === "phone", hasTouch: size.name === "phone",
      });
      const page = await context.newPage();
      if (login) await signIn(page, login);
      const lang = locale.startsWith("en") ? "en" : "ko";
      for (const path of paths) {
        await page.goto(`${BASE}${path}${path.includes("?") ? "&" : "?"}lang=${lang}`);
        for (const v of await violations(page)) {
          found.push(`${size.name} ${lang} ${path}: ${v.id} (${v.impact}) at ${v.nodes.join(", ")}`);
        }
      }
      await context.close();
    }
  }
  assert.deepEqual(found, [], `serious or critical axe-core violations:\n${found.join("\n")}`);
}

test("no serious or critical axe-core violation on the public and student pages", async () => {
  assert.ok(STUDENT, "SUGANG_BROWSER_STUDENT names a seeded student");
  const { section } = await firstIds();
  await sweep(null, ["/login", "/courses"]);
  await sweep(STUDENT, ["/", "/courses", "/courses?q=CSE", `/courses/${section}`, "/basket",
    "/registration", "/timetable", "/activity"]);
});

test("no serious or critical axe-core violation on the registrar's pages", async () => {
  await sweep(REGISTRAR, ["/admin", "/admin/controls", "/admin/terms", "/admin/departments",
    "/admin/courses", "/admin/sections", "/admin/sections/new", "/admin/students",
    "/admin/allocation", "/admin/import", "/admin/export", "/admin/audit"]);
});
