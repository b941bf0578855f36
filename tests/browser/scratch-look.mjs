import { chromium, request } from "playwright-core";
const BASE="http://127.0.0.1:18717";
const login=process.argv[2]; const pages=process.argv.slice(3);
const api = await request.newContext();
const r = await api.post(`${BASE}/api/v1/session`, { data: { login_id: login, password: "sugang-demo" } });
const { csrf_token } = await r.json();
const secs = (await (await api.get(`${BASE}/api/v1/sections?per_page=30`)).json()).items;
for (const s of secs.slice(0,5)) await api.post(`${BASE}/api/v1/basket`, { data: { section_id: s.id }, headers: { "X-CSRF-Token": csrf_token } });
await api.post(`${BASE}/api/v1/enrollments`, { data: { section_id: secs[8].id }, headers: { "X-CSRF-Token": csrf_token } });
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
for (const [w,h,n] of [[390,844,"phone"],[1366,768,"desk"]]) {
  const ctx = await b.newContext({ locale: "ko-KR", viewport: { width: w, height: h }, isMobile: n==="phone" });
  const p = await ctx.newPage();
  await p.goto(`${BASE}/login`); await p.fill("#login_id", login); await p.fill("#password", "sugang-demo");
  await Promise.all([p.waitForNavigation(), p.click("button[type=submit]")]);
  for (const path of pages) { await p.goto(BASE+path); await p.screenshot({ path: `/tmp/shots/${path.replace(/\W/g,'_')}-${n}.png`, fullPage: true });
    console.log(n, path, await p.evaluate(() => document.documentElement.scrollWidth)); }
  await ctx.close();
}
await b.close();
