// The console as cadres use it, in Debian's headless Chromium driven by playwright-core:
// first sign-in with the forced password change (and TOTP enrolment for an administrator),
// accounts for two district cadres (created by the system administrator, approved by the
// security administrator, each holding one half of the initial password), a member found by
// pinyin initials, an import with errors fixed and imported again, a transfer accepted on the
// receiving side with the picker, an export of exactly the list on screen; a member found by
// full ID number and by mobile tail, a form with three mistakes, back after sign-out, reload
// after a reveal, a petition taken in by the city, dispatched to a district, answered there and
// called back, and the dashboard and lists at a phone's width.
//
// The server is the real binary on a fresh data folder (SQLite by default; the database named
// by GONGHUI_DATABASE_URL when set), seeded with the demo city. See ./run.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { inflateRawSync } from "node:zlib";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { chromium } from "playwright-core";

const BIN = process.env.BROWSER_TEST_BIN;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SHOTS = process.env.BROWSER_TEST_SCREENSHOTS || new URL("./out/screenshots", import.meta.url).pathname;
const NEW_PASSWORD = "Gonghui#Test2026";

let server, base, browser, dataDir;
const firstPasswords = {};
let serverLog = "";

// ---------- helpers ----------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** A valid 18-digit 身份证号 (GB 11643 check character). */
function idNumber(region, birth, seq) {
  const first17 = `${region}${birth}${String(seq).padStart(3, "0")}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return first17 + "10X98765432"[sum % 11];
}

/** The current RFC 6238 code for a base32 secret, as an authenticator app shows it. */
function totpCode(secretBase32) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secretBase32.replace(/[\s=]/g, "").toUpperCase()) {
    bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, "0");
}

async function shot(page, name, options = {}) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), ...options });
}

/** A fresh browser context (its own cookies), with confirmations accepted as a user would. */
async function newPage() {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: "zh-CN" });
  const page = await ctx.newPage();
  page.on("dialog", (d) => d.accept());
  return page;
}

async function signIn(page, username, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码", { exact: true }).fill(password);
  await page.getByRole("button", { name: "登录" }).click();
}

/** First sign-in with a one-time password: the console insists on a new password first. */
async function firstSignIn(page, username, oneTime) {
  await signIn(page, username, oneTime);
  await page.waitForURL(/\/login\/password/);
  await page.getByLabel("当前密码").fill(oneTime);
  await page.getByLabel("新密码", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("再次输入新密码").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "保存新密码" }).click();
}

async function download(page, clickable) {
  const [dl] = await Promise.all([page.waitForEvent("download"), clickable.click()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
}

/** The text of every XML part in an XLSX file (a ZIP container), read from its central directory. */
function xlsxText(bytes) {
  const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, "a ZIP container");
  let at = bytes.readUInt32LE(eocd + 16);
  const entries = bytes.readUInt16LE(eocd + 10);
  let text = "";
  for (let i = 0; i < entries; i++) {
    const method = bytes.readUInt16LE(at + 10);
    const size = bytes.readUInt32LE(at + 20);
    const nameLen = bytes.readUInt16LE(at + 28);
    const skip = nameLen + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const dataAt = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const raw = bytes.subarray(dataAt, dataAt + size);
    text += (method === 8 ? inflateRawSync(raw) : raw).toString("utf8");
    at += 46 + skip;
  }
  return text;
}

function isXlsx(bytes) {
  return bytes.length > 100 && bytes[0] === 0x50 && bytes[1] === 0x4b; // a ZIP container
}

// ---------- the server ----------

before(async () => {
  assert.ok(BIN, "BROWSER_TEST_BIN names the built gonghui binary");
  dataDir = mkdtempSync(join(tmpdir(), "gonghui-browser-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["serve"], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GONGHUI_DATA_DIR: join(dataDir, "data"),
      GONGHUI_BIND: `127.0.0.1:${port}`,
      GONGHUI_DEMO_MEMBERS: "3000",
      ...(process.env.GONGHUI_DATABASE_URL && { GONGHUI_DATABASE_URL: process.env.GONGHUI_DATABASE_URL }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${serverLog}`)), 120000);
    const onData = (chunk) => {
      serverLog += chunk.toString();
      for (const m of serverLog.matchAll(/^\s+(\S+)\s+\S+\s+一次性密码：(\S+)$/gm)) {
        firstPasswords[m[1]] = m[2];
      }
      if (serverLog.includes("智慧工会平台已启动")) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", onData);
    server.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}:\n${serverLog}`));
    });
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--lang=zh-CN"] });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// ---------- the flows, in order: later steps use what earlier ones made ----------

const cadres = {}; // username → password, created by the administrator
let member; // { id, name } enrolled by the city cadre

test("a cadre signs in for the first time, changes the password and sees the dashboard", async () => {
  const page = await newPage();
  await page.goto(`${base}/members`);
  await page.waitForURL(/\/login/);
  await shot(page, "01-login");
  // A wrong password gets a clear message and no session.
  await signIn(page, "cadre", "not-the-password");
  await assert.doesNotReject(page.getByRole("alert").filter({ hasText: "用户名或密码错误" }).waitFor());
  await firstSignIn(page, "cadre", firstPasswords.cadre);
  await page.waitForURL(/\/members|\/dashboard/);
  await page.goto(`${base}/dashboard`);
  await page.getByRole("heading", { name: "工作台" }).waitFor();
  assert.ok((await page.locator("svg").count()) >= 4, "four charts");
  await shot(page, "02-dashboard");
  // The members card leads to the list behind the figure.
  const cards = page.locator("a.figure, .cards a");
  assert.ok((await cards.count()) >= 5, "figure cards link to their lists");
  await page.context().close();
});

/** First sign-in of an administrator: new password, then enrolling the authenticator. */
async function firstAdminSignIn(page, username, shotName) {
  await firstSignIn(page, username, firstPasswords[username]);
  await page.waitForURL(/\/login\/totp-setup/);
  const secret = (await page.locator("code.secret").innerText()).trim();
  if (shotName) await shot(page, shotName);
  await page.getByLabel("应用显示的6位动态口令").fill(totpCode(secret));
  await page.getByRole("button", { name: "完成绑定" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
}

test("the administrator enrols TOTP and creates two district cadres", async () => {
  const page = await newPage();
  await firstAdminSignIn(page, "admin", "03-totp-setup");
  for (const [username, org] of [["d1cadre", "HS01"], ["d2cadre", "HS02"]]) {
    await page.goto(`${base}/accounts/new`);
    await page.getByLabel("用户名").fill(username);
    await page.getByLabel("姓名").fill(`${org}干部`);
    await page.getByLabel("角色").selectOption("cadre");
    await page.getByLabel("所属工会", { exact: true }).fill(org);
    await page.getByRole("button", { name: "创建" }).click();
    const half = (await page.locator(".warn code.secret").innerText()).trim();
    assert.equal(half.length, 8, "the first half of the initial password is shown");
    cadres[username] = half;
  }
  // Alone, the administrator's half signs nobody in: the accounts wait for the security administrator.
  await page.goto(`${base}/accounts`);
  await page.getByRole("cell", { name: "d2cadre" }).waitFor();
  assert.equal(await page.locator(".tag.warn", { hasText: "待核准" }).count(), 2);
  await page.context().close();
  const trying = await newPage();
  await signIn(trying, "d1cadre", cadres.d1cadre);
  await assert.doesNotReject(trying.getByRole("alert").filter({ hasText: "用户名或密码错误" }).waitFor());
  await trying.context().close();
});

test("the security administrator approves the two cadres and issues the second halves", async () => {
  const page = await newPage();
  await firstAdminSignIn(page, "security");
  for (const username of ["d1cadre", "d2cadre"]) {
    await page.goto(`${base}/accounts`);
    await page.getByRole("link", { name: username, exact: true }).click();
    if (username === "d2cadre") await shot(page, "04b-approve");
    await page.getByRole("button", { name: "核准并签发第二段口令" }).click();
    const half = (await page.locator(".warn code.secret").innerText()).trim();
    assert.equal(half.length, 8, "the second half is shown");
    cadres[username] += half;
  }
  await page.goto(`${base}/accounts`);
  assert.equal(await page.locator(".tag.warn", { hasText: "待核准" }).count(), 0);
  await shot(page, "04-accounts");
  await page.context().close();
});

test("a member enrolled by form is found by pinyin initials", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  await page.goto(`${base}/orgs`);
  await shot(page, "05-union-tree");
  await page.goto(`${base}/orgs/HS01-01-001`);
  await shot(page, "06-union");

  await page.goto(`${base}/members/new?org=HS01-01-001`);
  // Three mistakes (an ID number whose check digit is wrong, a short mobile, a join date in
  // the future): three messages at once, and everything typed kept, the ID number included.
  await page.getByLabel("姓名").fill("欧阳锦程");
  await page.getByLabel("身份证号").fill("340402199001010000");
  await page.getByLabel("手机号").fill("1390554");
  await page.getByLabel("入会日期").fill("2099-03-01");
  await page.getByRole("button", { name: /登记|保存/ }).click();
  await page.locator("#id_number-err").waitFor();
  assert.equal(await page.locator(".field-error").count(), 3, "three errors at once");
  await shot(page, "06b-form-errors");
  assert.equal(await page.getByLabel("姓名").inputValue(), "欧阳锦程");
  assert.equal(await page.getByLabel("身份证号").inputValue(), "340402199001010000", "the ID number is kept");
  await page.getByLabel("手机号").fill("");
  await page.getByLabel("入会日期").fill("2024-03-01");
  await page.getByLabel("身份证号").fill(idNumber("340402", "19900101", 31));
  await page.getByRole("button", { name: /登记|保存/ }).click();
  await page.waitForURL(/\/members\/\d+\?done=enrolled$/);
  await page.getByRole("status").filter({ hasText: "已登记入会" }).waitFor();
  member = { id: new URL(page.url()).pathname.split("/").pop(), name: "欧阳锦程" };

  await page.goto(`${base}/members`);
  const search = page.getByLabel("姓名、拼音、首字母、身份证号或手机号");
  await search.pressSequentially("oyjc", { delay: 40 });
  // The list refreshes while typing (our own script), without submitting the form.
  await page.locator("#results").getByRole("link", { name: "欧阳锦程" }).waitFor();
  assert.match(page.url(), /q=oyjc/);
  await shot(page, "07-members");
  // The full ID number finds the member too (through its blind index), and stays out of
  // the address bar: the form posts it and the list's URL carries a token.
  await search.fill(idNumber("340402", "19900101", 31));
  await page.getByRole("button", { name: "查询" }).click();
  await page.waitForURL(/qt=/);
  assert.ok(!page.url().includes("19900101"), `no ID number in ${page.url()}`);
  await page.locator("#results").getByRole("link", { name: "欧阳锦程" }).waitFor();
  assert.match(await page.locator("#results .total").innerText(), /共 1 人/);
  await page.locator("#results").getByRole("link", { name: "欧阳锦程" }).click();
  await page.getByText("会籍记录").waitFor();
  assert.ok(!(await page.content()).includes(idNumber("340402", "19900101", 31)), "the ID number is masked");
  await shot(page, "08-member");
  // A reveal shows the full number once; reloading shows it masked and records nothing more.
  await page.getByLabel("查看完整身份证号和手机号的事由").fill("核对困难帮扶申请人身份");
  await page.getByRole("button", { name: "查看完整信息" }).click();
  await page.getByText("已按您说明的事由显示完整信息").waitFor();
  assert.ok((await page.content()).includes(idNumber("340402", "19900101", 31)), "shown once");
  await page.reload();
  await page.getByText("会籍记录").waitFor();
  assert.ok(!(await page.content()).includes(idNumber("340402", "19900101", 31)), "reloaded: masked");
  // Sign out, then back: the browser asks the server again and gets the sign-in page.
  await page.getByRole("button", { name: "退出" }).click();
  await page.waitForURL(/\/login/);
  await page.goBack();
  await page.waitForLoadState();
  assert.match(page.url(), /\/login/, `back after sign-out shows the sign-in page, not ${page.url()}`);
  assert.ok(!(await page.content()).includes("欧阳锦程"), "no member page from the cache");
  await page.context().close();
});

test("an import with errors is reported, the report downloaded, the file fixed and imported", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  await page.goto(`${base}/imports`);
  const template = await download(page, page.getByRole("link", { name: "会员模板" }));
  assert.ok(isXlsx(template.bytes), `the template is a workbook (${template.name})`);

  const header = "姓名,身份证号,性别,手机号,所属工会代码,入会日期,农民工,新就业形态群体";
  const good1 = `司马光明,${idNumber("340402", "19880202", 51)},男,13905541234,HS01-01-001,2024-05-01,是,快递员`;
  const good2 = `上官婉清,${idNumber("340402", "19920303", 62)},女,,HS01-01-001,2024-05-02,否,`;
  const badId = "诸葛亮亮,340402199204041234,男,,HS01-01-001,2024-05-03,否,";
  const fixed = `诸葛亮亮,${idNumber("340402", "19920404", 71)},男,,HS01-01-001,2024-05-03,否,`;
  const upload = async (rows) => {
    await page.goto(`${base}/imports`);
    await page.getByLabel("会员").check();
    await page.locator("#file").setInputFiles({
      name: "会员名册.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("\ufeff" + [header, ...rows].join("\n") + "\n"),
    });
    await page.getByRole("button", { name: "上传并检查" }).click();
    await page.getByRole("heading", { name: /检查结果|导入结果/ }).waitFor({ timeout: 60000 });
  };

  await upload([good1, good2, badId]);
  await page.getByRole("cell", { name: "身份证号" }).first().waitFor();
  assert.match(await page.locator("main").innerText(), /有错误[\s\S]*1/);
  await shot(page, "09-import-check", { fullPage: true });
  const report = await download(page, page.getByRole("link", { name: "下载错误报告（Excel）" }));
  assert.ok(isXlsx(report.bytes), "the error report is a workbook");
  const reportText = xlsxText(report.bytes);
  assert.ok(reportText.includes("340402199204041234"), "the report carries the row as typed, to fix it");
  assert.ok(reportText.includes("身份证号"), "and names the column");
  const before = await memberCount(page);

  await upload([good1, good2, fixed]);
  assert.equal(await page.getByRole("button", { name: "确认导入" }).count(), 1);
  assert.equal(await page.getByText("跳过有错误的").count(), 0, "no errors left");
  await page.getByRole("button", { name: "确认导入" }).click();
  await page.getByRole("heading", { name: "导入结果" }).waitFor({ timeout: 60000 });
  await shot(page, "10-import-result");
  assert.equal(await memberCount(page), before + 3);
  await page.goto(`${base}/members?q=zgll`);
  await page.locator("#results").getByRole("link", { name: "诸葛亮亮" }).waitFor();
  // A mobile's last four digits find its member.
  await page.goto(`${base}/members?org=HS01-01-001&q=1234`);
  await page.locator("#results").getByRole("link", { name: "司马光明" }).waitFor();
  await page.goto(`${base}/imports/history`);
  await page.getByRole("cell", { name: "会员名册.csv" }).first().waitFor();
  await shot(page, "10b-import-history");
  await page.context().close();
});

/** Members of HS01-01-001 in the API's own list (the count is what the list shows). */
async function memberCount(page) {
  const r = await page.request.get(`${base}/api/v1/stats?org=HS01-01-001`);
  assert.equal(r.status(), 200);
  const s = await r.json();
  return s.members.at_end;
}

test("a transfer started in one district is accepted in the other", async () => {
  const sender = await newPage();
  await firstSignIn(sender, "d1cadre", cadres.d1cadre);
  await sender.waitForURL((u) => !u.pathname.startsWith("/login"));
  await sender.goto(`${base}/members/${member.id}/transfer`);
  // The picker suggests receiving unions anywhere as the code or name is typed.
  await sender.getByLabel("转入工会", { exact: true }).pressSequentially("HS02-01-00", { delay: 30 });
  await sender.getByRole("option").filter({ hasText: "HS02-01-001" }).first().click();
  assert.equal(await sender.getByLabel("转入工会", { exact: true }).inputValue(), "HS02-01-001");
  await sender.getByLabel("说明").fill("更换工作单位");
  await sender.getByRole("button", { name: "提交转会申请" }).click();
  await sender.getByText("等待").first().waitFor();

  const receiver = await newPage();
  await firstSignIn(receiver, "d2cadre", cadres.d2cadre);
  await receiver.waitForURL((u) => !u.pathname.startsWith("/login"));
  // The receiving cadre cannot open the member before accepting.
  const r = await receiver.goto(`${base}/members/${member.id}`);
  assert.equal(r.status(), 404);
  await receiver.goto(`${base}/transfers`);
  const row = receiver.getByRole("row").filter({ hasText: member.name });
  await row.waitFor();
  await shot(receiver, "11-transfers");
  await row.getByRole("button", { name: "接收" }).click();
  await receiver.getByText("已接收").first().waitFor();
  await receiver.goto(`${base}/members/${member.id}`);
  await receiver.locator('a[href="/orgs/HS02-01-001"]').first().waitFor();

  // The sending district no longer sees the member.
  const gone = await sender.goto(`${base}/members/${member.id}`);
  assert.equal(gone.status(), 404);
  await sender.context().close();
  await receiver.context().close();
});

test("a petition taken in by the city goes down to a district, is answered there and called back", async () => {
  const city = await newPage();
  await signIn(city, "cadre", NEW_PASSWORD);
  await city.goto(`${base}/casework/new`);
  await city.getByLabel("来源渠道").selectOption({ label: "12351电话" });
  await city.getByLabel("诉求类型").selectOption({ label: "求决" });
  await city.getByLabel("诉求事项").selectOption({ label: "拖欠工资" });
  await city.getByLabel("诉求人姓名").fill("韩来电");
  await city.getByLabel("诉求人手机号").fill("13700001234");
  await city.getByLabel("诉求内容").fill("外卖站点拖欠两个月工资，多次讨要未果");
  await city.getByRole("button", { name: "登记", exact: true }).click();
  await city.getByText("已登记").first().waitFor();
  assert.ok((await city.content()).includes("137****1234"), "the mobile is shown masked");
  await city.getByRole("button", { name: "受理", exact: true }).click();
  await city.getByText("已办理").first().waitFor();
  await city.getByLabel("交办给下级工会").fill("HS01");
  await city.getByRole("button", { name: "交办", exact: true }).click();
  await city.getByText("已交办").first().waitFor();

  // The district cadre finds it in the queue and answers.
  const district = await newPage();
  await signIn(district, "d1cadre", NEW_PASSWORD);
  await district.waitForURL((u) => !u.pathname.startsWith("/login"));
  await district.goto(`${base}/casework`);
  const row = district.getByRole("row").filter({ hasText: "韩来电" });
  await row.waitFor();
  await shot(district, "16-casework-queue");
  await row.getByRole("link").first().click();
  // The worker's pay slip, photographed, goes on the case; it comes back byte for byte.
  const slip = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("工资条照片")]);
  await district.getByLabel("上传附件").setInputFiles({ name: "工资条.png", mimeType: "image/png", buffer: slip });
  await district.getByRole("button", { name: "上传", exact: true }).click();
  await district.getByText("附件已上传").first().waitFor();
  const kept = await download(district, district.getByRole("link", { name: "工资条.png" }));
  assert.equal(kept.name, "工资条.png");
  assert.ok(kept.bytes.equals(slip), "the file comes back as it was sent");
  await district.getByLabel("答复内容").fill("已约谈站点负责人，工资于本周发放");
  await district.getByLabel("答复方式").selectOption("电话");
  await district.getByRole("button", { name: "答复", exact: true }).click();
  await district.getByText("已答复").first().waitFor();
  // Answering twice is not offered any more.
  assert.equal(await district.getByRole("button", { name: "答复", exact: true }).count(), 0);

  // The city calls the worker back: satisfied, closed; the timeline tells the whole story.
  await city.reload();
  await city.getByLabel("回访结果").selectOption("satisfied");
  await city.getByRole("button", { name: "记录回访" }).click();
  await city.getByText("已办结").first().waitFor();
  const timeline = await city.locator("ol.timeline").innerText();
  for (const step of ["登记", "受理", "交办", "答复", "回访满意并办结"]) {
    assert.ok(timeline.includes(step), `${step} in the timeline`);
  }
  await shot(city, "17-case-timeline", { fullPage: true });
  await district.context().close();
  await city.context().close();
});

test("a filtered member list is exported", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  // The scope switcher changes nothing until its button is pressed: an arrow key in the
  // closed drop-down only moves the choice.
  await page.goto(`${base}/dashboard`);
  const before = page.url();
  await page.locator("#scope-select").focus();
  await page.keyboard.press("ArrowDown");
  await page.waitForTimeout(400);
  assert.equal(page.url(), before, "no page change on an arrow key");
  await page.goto(`${base}/members?org=HS01-01-001`);
  const file = await download(page, page.getByRole("link", { name: /^导出这 .* 人（Excel）$/ }));
  assert.ok(isXlsx(file.bytes), `an Excel file (${file.name})`);
  assert.match(file.name, /\.xlsx$/);
  const exported = xlsxText(file.bytes);
  assert.ok(exported.includes("司马光明") && exported.includes("诸葛亮亮"), "the imported members are in the list");
  assert.ok(!exported.includes(idNumber("340402", "19880202", 51)), "with ID numbers masked");
  // The export is recorded in the audit trail, which the audit administrator reads.
  await page.context().close();

  const audit = await newPage();
  await firstAdminSignIn(audit, "auditadmin");
  await audit.goto(`${base}/audit`);
  await audit.getByRole("cell", { name: "导出会员名单" }).first().waitFor();
  await shot(audit, "12-audit");
  // The reveal and the reload after it: one record.
  await audit.goto(`${base}/audit?action=member.`);
  assert.equal(await audit.getByRole("cell", { name: "查看完整身份证号和手机号" }).count(), 1);
  // Every failed sign-in under 失败, the wrong password of the first test among them.
  await audit.goto(`${base}/audit?outcome=not_ok`);
  await audit.getByRole("cell", { name: "密码错误" }).first().waitFor();
  await audit.context().close();
});

test("the demo year's aid: a campaign's batches and applications, an application's review and timeline, a household's file", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  await page.goto(`${base}/aid`);
  const festival = page.getByRole("link", { name: /两节送温暖/ });
  await festival.waitFor();
  await shot(page, "18-aid-campaigns");
  await festival.click();
  await page.getByRole("heading", { name: "发放批次" }).waitFor();
  // One batch: every line paid but the one cancelled at the bank's answer.
  const batch = await page.locator("table").first().innerText();
  assert.ok(/已取消|1/.test(batch), "the batch shows its cancelled line");
  await shot(page, "19-aid-campaign", { fullPage: true });
  await page.getByRole("row").filter({ hasText: "现金" }).filter({ hasText: "已发放" }).first().getByRole("link").first().click();
  await page.getByRole("heading", { name: "审核" }).waitFor();
  const steps = await page.locator("ol.timeline").last().innerText();
  for (const step of ["提交申请", "审核通过", "公示期满", "纳入发放批次", "发放成功"]) {
    assert.ok(steps.includes(step), `${step} in the timeline`);
  }
  assert.ok(/\d{4}\*\*\*\*\d{4}/.test(await page.content()), "the bank account is masked");
  await shot(page, "20-aid-application", { fullPage: true });
  await page.getByRole("link", { name: "困难职工档案" }).first().click();
  await page.getByRole("heading", { name: /^家庭成员/ }).waitFor();
  assert.ok((await page.content()).includes("认定依据"), "the tier is explained");
  await shot(page, "21-hardship-file", { fullPage: true });
  await page.context().close();
});

test("the demo year's mutual aid and union funds: a plan and a paid claim, refunds approved, the auditor's books", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  await page.goto(`${base}/mutual`);
  await page.getByRole("heading", { name: "新建互助计划" }).waitFor();
  await page.locator("table a").first().click();
  await page.getByRole("heading", { name: "参保单位" }).waitFor();
  await shot(page, "22-mutual-plan", { fullPage: true });
  await page.getByRole("link", { name: "已赔付" }).click();
  await page.locator("table a").last().click();
  await page.getByRole("heading", { name: "办理经过" }).waitFor();
  assert.ok((await page.locator("ol.timeline").last().innerText()).includes("审核通过并赔付"), "the claim's payment in its timeline");
  // The hospital's invoice, scanned, goes on the claim and comes back byte for byte.
  const invoice = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.from("住院费用发票")]);
  await page.getByLabel("上传附件").setInputFiles({ name: "住院发票.pdf", mimeType: "application/pdf", buffer: invoice });
  await page.getByRole("button", { name: "上传", exact: true }).click();
  await page.getByText("附件已上传").first().waitFor();
  const kept = await download(page, page.getByRole("link", { name: "住院发票.pdf" }));
  assert.equal(kept.name, "住院发票.pdf");
  assert.ok(kept.bytes.equals(invoice), "the invoice comes back as it was sent");
  await shot(page, "23-mutual-claim", { fullPage: true });
  // The figure on the catalogue is the count of the claims listed behind it and exported.
  await page.goto(`${base}/figures`);
  await page.getByRole("heading", { name: "全部指标" }).waitFor();
  await page.getByRole("link", { name: "医疗互助理赔（人次）" }).click();
  const title = await page.getByRole("heading", { level: 1 }).innerText();
  const shown = Number(/：([\d,]+)/.exec(title)[1].replaceAll(",", ""));
  assert.ok(shown > 0, `the demo year has paid claims (${title})`);
  const listed = await page.locator("nav.pager .muted").innerText();
  assert.equal(Number(/共 ([\d,]+)/.exec(listed)[1].replaceAll(",", "")), shown, "the list behind the figure holds as many claims");
  await shot(page, "24-figure-records", { fullPage: true });
  const sheet = await download(page, page.getByRole("link", { name: "导出台账（Excel）" }));
  assert.ok(isXlsx(sheet.bytes), `an Excel file (${sheet.name})`);
  const rows = (xlsxText(sheet.bytes).match(/<row /g) || []).length;
  assert.equal(rows, shown + 1, "the register holds the heading and one row per claim");
  // Union funds: the year at a glance; refunds computed by the clerk are approved here.
  await page.goto(`${base}/funds`);
  await page.getByRole("heading", { name: "本年概况" }).waitFor();
  assert.ok((await page.content()).includes("家次"), "refunds counted in 家次");
  if (await page.getByRole("button", { name: "审批所选" }).count()) {
    await page.getByRole("button", { name: "审批所选" }).click();
    await page.getByText("已保存").first().waitFor();
  }
  await page.goto(`${base}/funds?status=paid`);
  await shot(page, "25-funds", { fullPage: true });
  // The 经审 view: a refund's posting opened to its document.
  await page.goto(`${base}/ledger`);
  await page.getByRole("heading", { name: "记账凭证" }).waitFor();
  await page.getByRole("row").filter({ hasText: "已返还小微企业经费" }).first().getByRole("link", { name: "查看" }).click();
  await page.getByRole("row").filter({ hasText: "支付小微企业经费返还" }).first().getByRole("link").first().click();
  await page.getByRole("heading", { name: /原始单据/ }).waitFor();
  assert.ok((await page.content()).includes("统一社会信用代码"), "the refund's firm on its document");
  await shot(page, "26-ledger-posting", { fullPage: true });
  await page.context().close();
});

test("collective bargaining: a campaign's offer accepted, a regional contract for two employers signed, filed, approved and counted", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  const today = new Date().toISOString().slice(0, 10);
  await page.goto(`${base}/contracts/campaigns`);
  await page.getByLabel("行动名称").fill("集中要约季（浏览器测试）");
  await page.getByLabel("开始日期").fill(today);
  await page.getByLabel("结束日期").fill(today);
  await page.getByRole("button", { name: "发起" }).click();
  await page.getByRole("heading", { name: "集中要约季（浏览器测试）" }).waitFor();
  await page.getByRole("button", { name: "向管辖范围内尚未发出的单位发出要约" }).click();
  await page.getByText("已保存").first().waitFor();
  // The first employer agrees to bargain; the second one's credit code joins the contract.
  const rows = page.locator("tbody tr");
  const second = (await rows.nth(1).locator(".mono").innerText()).trim();
  await rows.first().getByRole("button", { name: "同意协商" }).click();
  await page.getByText("已保存").first().waitFor();
  await shot(page, "27-bargaining-campaign", { fullPage: true });
  await page.getByRole("link", { name: "据此签订合同" }).first().click();
  const employers = page.getByLabel("覆盖单位（统一社会信用代码，每行一个）");
  assert.match(await employers.inputValue(), /^[0-9A-Z]{18}$/, "the offer's employer is filled in");
  await employers.fill(`${await employers.inputValue()}\n${second}`);
  await page.getByLabel("合同类别").selectOption({ label: "安全生产专项" });
  await page.locator("#c-reach").selectOption({ label: "区域性" });
  await page.getByLabel("职工方协商代表（首席代表在前）").fill("张建国、李红");
  await page.getByLabel("企业方协商代表（首席代表在前）").fill("王经理、赵主任");
  const end = new Date(Date.now() + 2 * 365 * 86400000).toISOString().slice(0, 10);
  await page.getByLabel("合同期限开始").fill(today);
  // A term over three years is refused with the rule; what was typed stays.
  await page.getByLabel("合同期限结束（1至3年）").fill(`${Number(today.slice(0, 4)) + 4}${today.slice(4)}`);
  await page.getByRole("button", { name: "保存草案" }).click();
  await page.getByRole("alert").filter({ hasText: "1至3年" }).waitFor();
  assert.ok((await employers.inputValue()).includes(second), "the employers typed are kept");
  await page.getByLabel("合同期限结束（1至3年）").fill(end);
  await page.getByRole("button", { name: "保存草案" }).click();
  await page.getByRole("heading", { name: "覆盖单位（2 家" }).waitFor();
  // The vote without a majority of all delegates is refused; then passed and signed.
  await page.getByLabel("应到代表（职工）人数").fill("60");
  await page.getByLabel("实到人数").fill("50");
  await page.getByLabel("赞成票").fill("30");
  await page.getByRole("button", { name: "表决通过并签订" }).click();
  await page.getByRole("alert").filter({ hasText: "未超过全体 60 名" }).waitFor();
  await page.getByLabel("应到代表（职工）人数").fill("60");
  await page.getByLabel("实到人数").fill("50");
  await page.getByLabel("赞成票").fill("45");
  await page.getByRole("button", { name: "表决通过并签订" }).click();
  await page.getByRole("button", { name: "报送审查" }).click();
  await page.getByRole("button", { name: "登记审查同意" }).click();
  await page.getByText(`${today} 至`).first().waitFor();
  const steps = await page.locator("ol.timeline").last().innerText();
  for (const step of ["起草合同", "表决通过并签订", "报送劳动行政部门审查", "审查同意"]) {
    assert.ok(steps.includes(step), `${step} in the timeline`);
  }
  await shot(page, "28-contract", { fullPage: true });
  // Both employers are counted as covered today, each once.
  const covered = await page.evaluate(async (day) => (await fetch(`/api/v1/contracts/covered?at=${day}&kind=safety`)).json(), today);
  assert.equal(covered.total, 2, "two employers covered by the safety contract");
  await page.getByRole("link", { name: "集体合同" }).first().click();
  await page.getByText("集体合同建制率").first().waitFor();
  await shot(page, "29-contracts", { fullPage: true });
  // The coverage figure opens the employers it counts, each once, with the contract's kind.
  await page.locator("a.card.stat", { hasText: "集体合同覆盖单位" }).click();
  await page.getByRole("heading", { name: "集体合同覆盖单位" }).waitFor();
  await page.getByLabel("合同类别").selectOption({ label: "安全生产专项" });
  await page.getByRole("button", { name: "筛选" }).click();
  await page.getByText("共 2 家").first().waitFor();
  assert.equal(await page.locator("tbody tr", { hasText: "安全生产专项" }).count(), 2, "both employers of the safety contract");
  await page.context().close();
});

test("a competition: a session's sign-in sheet, an event's entrants, scores and awards, spending within the budget, and the figures", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  const today = new Date().toISOString().slice(0, 10);
  const entrant = idNumber("340402", "19900101", 31); // 欧阳锦程, enrolled above
  // A second member, not entered in the event.
  const outsider = idNumber("340402", "19900101", 35);
  await page.goto(`${base}/members/new?org=HS01-01-001`);
  await page.getByLabel("姓名").fill("司马青云");
  await page.getByLabel("身份证号").fill(outsider);
  await page.getByLabel("入会日期").fill("2024-03-01");
  await page.getByRole("button", { name: /登记|保存/ }).click();
  await page.waitForURL(/\/members\/\d+\?done=enrolled$/);

  await page.goto(`${base}/activities`);
  await page.getByLabel("活动类别").selectOption({ label: "劳动竞赛" });
  await page.getByLabel("活动名称").fill("“安康杯”劳动竞赛（浏览器测试）");
  await page.getByLabel("开始日期").fill(today);
  await page.getByLabel("结束日期").fill(today);
  await page.getByLabel("活动预算（元）").fill("5000");
  await page.getByRole("button", { name: "登记活动" }).click();
  await page.getByRole("heading", { name: "“安康杯”劳动竞赛（浏览器测试）" }).waitFor();
  // A session today; the sign-in sheet names the member twice: counted once, said so.
  await page.getByLabel("到场群众人数（非会员或未签到，清点人数）").fill("3");
  await page.getByRole("button", { name: "登记场次" }).click();
  await page.getByLabel("签到人员身份证号（每行一个）").fill(`${entrant}\n${entrant}`);
  await page.getByRole("button", { name: "登记签到" }).click();
  await page.getByRole("status").filter({ hasText: "重复的只计一次" }).waitFor();
  // The event and its entrant.
  await page.getByLabel("工种或比赛项目").fill("焊工");
  await page.getByRole("button", { name: "登记比赛项目" }).click();
  await page.getByRole("heading", { name: "焊工" }).waitFor();
  await page.getByLabel("参赛会员身份证号（每行一个）").fill(entrant);
  await page.getByRole("button", { name: "登记参赛" }).click();
  await page.locator("tbody tr", { hasText: "欧阳锦程" }).waitFor();
  await page.locator("#s-lines").fill(`${entrant} 95.5`);
  await page.getByRole("button", { name: "保存成绩" }).click();
  await page.locator("tbody tr", { hasText: "95.50" }).waitFor();
  // An award to a member who did not enter is refused, with the reason; then the entrant's.
  await page.getByLabel("获奖者（身份证号，须在参赛名单中）").fill(outsider);
  await page.getByLabel("奖项", { exact: true }).fill("技术能手");
  await page.getByRole("button", { name: "授予" }).click();
  await page.getByRole("alert").filter({ hasText: "不在“焊工”的参赛名单中" }).waitFor();
  await page.getByLabel("获奖者（身份证号，须在参赛名单中）").fill(entrant);
  await page.getByLabel("奖项", { exact: true }).fill("技术能手");
  await page.getByRole("button", { name: "授予" }).click();
  await page.locator("tbody tr", { hasText: "技术能手" }).waitFor();
  assert.match(await page.locator("tbody tr").first().innerText(), /^\s*1\s/, "ranked first");
  await shot(page, "30-competition-event", { fullPage: true });
  // Spending: within the budget it is booked; above what is left it is refused.
  await page.getByRole("link", { name: "“安康杯”劳动竞赛（浏览器测试）" }).click();
  await page.getByLabel("金额（元）").fill("600");
  await page.getByLabel("用途").fill("奖品");
  await page.getByRole("button", { name: "登记支出" }).click();
  await page.getByText("剩余 4400.00 元").first().waitFor();
  await page.getByLabel("金额（元）").fill("4400.01");
  await page.getByLabel("用途").fill("场地");
  await page.getByRole("button", { name: "登记支出" }).click();
  await page.getByRole("alert").filter({ hasText: "超出活动预算" }).waitFor();
  assert.equal(await page.getByLabel("金额（元）").inputValue(), "4400.01", "what was typed is kept");
  await shot(page, "31-competition", { fullPage: true });
  // The figures: this year's awards card opens the award given.
  await page.goto(`${base}/activities`);
  await page.locator("a.card.stat", { hasText: "竞赛获奖" }).click();
  await page.getByRole("heading", { name: "竞赛获奖" }).waitFor();
  await page.locator("tbody tr", { hasText: "欧阳锦程" }).filter({ hasText: "技术能手" }).waitFor();
  await shot(page, "32-awards", { fullPage: true });
  await page.context().close();
});

test("an honour: a nomination refused at a level its grantor cannot give, reviewed up the chain, in its public notice with an objection settled; a title recorded from its document and an allowance paid", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  const today = new Date().toISOString().slice(0, 10);
  const person = idNumber("340402", "19900101", 31); // 欧阳锦程, enrolled above
  await page.goto(`${base}/honours`);
  await page.locator("#h-subject").selectOption("person");
  await page.getByLabel("个人：身份证号").fill(person);
  await page.locator("#h-kind").selectOption({ label: "劳动模范" });
  await page.locator("#h-level").selectOption({ label: "全国级" });
  await page.getByLabel("主要事迹").fill("带领班组攻克焊接难题，培养徒弟十余名");
  await page.getByLabel("授予单位（工会代码，受表彰者所在工会或其上级）").fill("HS");
  await page.getByRole("button", { name: "提交推荐" }).click();
  await page.getByRole("alert").filter({ hasText: "淮水市总工会最高只能授予市级荣誉" }).waitFor();
  assert.equal(await page.getByLabel("个人：身份证号").inputValue(), person, "what was typed is kept");
  await page.locator("#h-level").selectOption({ label: "市级" });
  await page.getByRole("button", { name: "提交推荐" }).click();
  await page.getByRole("heading", { name: /欧阳锦程 · 劳动模范/ }).waitFor();
  // Every level between reviews, lowest first; then the public notice.
  for (let level = 0; level < 4; level++) {
    if (!(await page.getByRole("button", { name: "同意", exact: true }).count())) break;
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "同意", exact: true }).click()]);
  }
  await page.getByText("公示至").waitFor();
  await page.getByLabel("登记异议").fill("来信反映事迹有出入");
  await page.getByRole("button", { name: "登记", exact: true }).click();
  await page.getByText("待处理").waitFor();
  await page.getByRole("button", { name: "公示期满，授予荣誉" }).waitFor();
  await page.getByLabel("授予文件文号").fill("区总发〔2026〕9号");
  await page.getByRole("button", { name: "公示期满，授予荣誉" }).click();
  await page.getByRole("alert").filter({ hasText: "公示结束后才能授予" }).waitFor();
  await page.getByLabel("核实情况").fill("经核实，事迹属实");
  await page.getByRole("button", { name: "异议不成立" }).click();
  await page.getByText("异议不成立：经核实，事迹属实").waitFor();
  const steps = await page.locator("ol.timeline").last().innerText();
  for (const step of ["推荐", "审核同意并公示", "登记异议", "异议不成立"]) {
    assert.ok(steps.includes(step), `${step} in the timeline`);
  }
  await shot(page, "33-honour-notice", { fullPage: true });
  // A national medal granted before, recorded from its document; an allowance paid to its holder.
  await page.goto(`${base}/honours`);
  await page.locator("#h-subject").selectOption("person");
  await page.getByLabel("个人：身份证号").fill(person);
  await page.locator("#h-kind").selectOption({ label: "五一劳动奖章" });
  await page.locator("#h-level").selectOption({ label: "全国级" });
  await page.getByLabel("主要事迹").fill("全国技术能手");
  await page.getByLabel("授予机关").fill("中华全国总工会");
  await page.getByLabel("授予日期").fill(today);
  await page.getByLabel("文号").fill("总工发〔2026〕3号");
  await page.getByRole("button", { name: "登记已授予的荣誉" }).click();
  await page.getByRole("heading", { name: /五一劳动奖章/ }).waitFor();
  await page.getByLabel("关爱类别").selectOption({ label: "补助津贴" });
  await page.getByLabel("补助金额（元，仅补助津贴填写，从劳模专项资金支付）").fill("800");
  await page.getByRole("button", { name: "登记关爱" }).click();
  await page.locator("tbody tr", { hasText: "800.00" }).waitFor();
  await shot(page, "34-honour-care", { fullPage: true });
  // The figures: this year's honoured persons open the list, each person once.
  await page.goto(`${base}/honours`);
  await page.locator("a.card.stat", { hasText: "受表彰个人" }).click();
  await page.locator("tbody tr", { hasText: "欧阳锦程" }).waitFor();
  assert.equal(await page.locator("tbody tr", { hasText: "欧阳锦程" }).count(), 1, "each person once");
  await shot(page, "35-honours", { fullPage: true });
  await page.context().close();
});

test("innovation: a studio refused a level its namer cannot give, named with a member; an achievement from it adopted and put into use; a 名师带徒 pair and its figure", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  const today = new Date().toISOString().slice(0, 10);
  const leader = idNumber("340402", "19900101", 31); // 欧阳锦程, enrolled above
  const worker = idNumber("340402", "19880202", 51); // 司马光明, imported above
  await page.goto(`${base}/innovation`);
  await page.getByLabel("工作室名称").fill("欧阳锦程焊接创新工作室");
  await page.getByLabel("专业领域").fill("焊接工艺");
  await page.getByLabel("领衔人身份证号").fill(leader);
  await page.locator("#s-level").selectOption({ label: "全国级" });
  await page.getByLabel("命名单位（本平台工会代码，领衔人所在工会或其上级）").fill("HS");
  await page.getByLabel("命名日期").fill(today);
  await page.getByRole("button", { name: "保存" }).click();
  await page.getByRole("alert").filter({ hasText: "淮水市总工会最高只能授予市级命名" }).waitFor();
  assert.equal(await page.getByLabel("领衔人身份证号").inputValue(), leader, "what was typed is kept");
  await page.locator("#s-level").selectOption({ label: "市级" });
  await page.getByRole("button", { name: "保存" }).click();
  await page.getByRole("heading", { name: /欧阳锦程焊接创新工作室/ }).waitFor();
  await page.getByLabel("新成员身份证号（每行一个）").fill(worker);
  await page.getByRole("button", { name: "添加成员" }).click();
  await page.locator("tbody tr", { hasText: "司马光明" }).waitFor();
  await shot(page, "36-innovation-studio", { fullPage: true });
  // An achievement of the studio: adopted, then put into use with its benefit.
  await page.goto(`${base}/innovation/achievements`);
  await page.locator("#a-kind").selectOption({ label: "“五小”创新" });
  await page.getByLabel("成果名称").fill("焊缝快速检测夹具");
  await page.getByLabel("内容简介").fill("检测时间由十分钟缩短到两分钟");
  await page.getByLabel("完成人身份证号（每行一个，第一完成人在前）").fill(`${worker}\n${leader}`);
  await page.getByLabel("所属创新工作室（可不选）").selectOption({ label: "欧阳锦程焊接创新工作室" });
  await page.getByRole("button", { name: "登记", exact: true }).click();
  const row = page.locator("tbody tr", { hasText: "焊缝快速检测夹具" });
  await row.locator("summary").click();
  await row.getByRole("button", { name: "采纳", exact: true }).click();
  await row.locator("summary").click();
  await row.getByRole("button", { name: "登记实施" }).waitFor();
  await row.getByLabel("经济效益（元）").fill("36000");
  await row.getByRole("button", { name: "登记实施" }).click();
  await page.locator("tbody tr", { hasText: "焊缝快速检测夹具" }).filter({ hasText: "36000.00" }).waitFor();
  await shot(page, "37-innovation-achievements", { fullPage: true });
  // A pair; the apprentices' figure opens the list, each apprentice once.
  await page.goto(`${base}/innovation/pairs`);
  await page.getByLabel("师傅身份证号").fill(leader);
  await page.getByLabel("徒弟身份证号").fill(worker);
  await page.getByLabel("工种或技能").fill("电焊工");
  await page.getByLabel("结对日期").fill(today);
  const end = new Date(Date.now() + 300 * 86400000).toISOString().slice(0, 10);
  await page.getByLabel("约定出师日期").fill(end);
  await page.getByRole("button", { name: "结对", exact: true }).click();
  await page.locator("tbody tr", { hasText: "电焊工" }).waitFor();
  await page.locator("a.card.stat", { hasText: "名师带徒徒弟" }).click();
  await page.getByText("每位徒弟只列一次").waitFor();
  assert.equal(await page.locator("tbody tr", { hasText: "司马光明" }).count(), 1, "each apprentice once");
  await page.context().close();
});

test("research: a task's visit outside its dates refused, a symposium and a questionnaire, problems in the ledger, one overdue and rectified", async () => {
  const page = await newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  const day = (back) => new Date(Date.now() - back * 86400000).toISOString().slice(0, 10);
  await page.goto(`${base}/research`);
  await page.getByLabel("调研题目").fill("外卖骑手劳动保障调研");
  await page.getByLabel("调研目的和内容").fill("了解骑手参保和休息情况");
  await page.getByLabel("开始日期").fill(day(10));
  await page.getByLabel("结束日期").fill(day(-20));
  await page.getByRole("button", { name: "新建", exact: true }).click();
  await page.getByRole("heading", { name: /外卖骑手劳动保障调研/ }).waitFor();
  // A day before the task began is refused with what was typed kept; a symposium is recorded.
  await page.locator("#v-kind").selectOption({ label: "座谈会" });
  await page.locator("#v-on").evaluate((el) => el.removeAttribute("min"));
  await page.locator("#v-on").fill(day(30));
  await page.getByLabel("参加人数").fill("15");
  await page.getByRole("button", { name: "登记", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "调研时间为" }).waitFor();
  assert.equal(await page.getByLabel("参加人数").inputValue(), "15", "what was typed is kept");
  await page.locator("#v-on").fill(day(2));
  await page.getByRole("button", { name: "登记", exact: true }).click();
  await page.locator("tbody tr", { hasText: "座谈会" }).waitFor();
  await page.getByLabel("问卷标题").fill("骑手权益问卷");
  await page.getByLabel("问题（每行一个：问题/选项一/选项二…）").fill("您是否参加了职业伤害保障？/是/否/不清楚");
  await page.locator("#q-open").fill(day(1));
  await page.locator("#q-close").fill(day(-10));
  await page.getByRole("button", { name: "发布问卷" }).click();
  await page.getByText("已回收 0 份").waitFor();
  // Two problems: one already past its due day.
  for (const [title, due] of [["站点缺少休息场所", day(1)], ["夜间交通安全培训不足", day(-30)]]) {
    await page.locator("#i-title").fill(title);
    await page.getByLabel("责任人或责任部门").fill("区总工会权益部");
    await page.locator("#i-raised").fill(day(5));
    await page.locator("#i-due").fill(due);
    await page.getByRole("button", { name: "列入问题台账" }).click();
    await page.locator("tbody tr", { hasText: title }).waitFor();
  }
  await page.locator("tbody tr", { hasText: "站点缺少休息场所" }).getByText("逾期").waitFor();
  await shot(page, "38-research-task", { fullPage: true });
  await page.getByRole("link", { name: "在问题台账中办理" }).click();
  const late = page.locator("tbody tr", { hasText: "站点缺少休息场所" });
  await late.locator("summary").click();
  await late.getByLabel("整改措施").fill("在三个站点设立爱心驿站");
  await late.getByRole("button", { name: "已整改" }).click();
  await page.locator("tbody tr", { hasText: "站点缺少休息场所" }).getByText("在三个站点设立爱心驿站").waitFor();
  // Rectified after its due day: still counted among the overdue ones, and listed there.
  await page.locator("a.card.stat", { hasText: "逾期整改问题" }).click();
  await page.locator("tbody tr", { hasText: "站点缺少休息场所" }).waitFor();
  await shot(page, "39-research-issues", { fullPage: true });
  await page.context().close();
});

test("the dashboard and the lists fit a phone's width", async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "zh-CN", isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await signIn(page, "cadre", NEW_PASSWORD);
  for (const [path, name] of [["/dashboard", "13-phone-dashboard"], ["/members?org=HS01-01-001", "14-phone-members"], ["/transfers", "15-phone-transfers"], ["/contracts", "15b-phone-contracts"]]) {
    await page.goto(`${base}${path}`);
    await page.locator("main").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px at 390px`);
    await shot(page, name);
    if (path.startsWith("/members")) {
      await page.locator("#results tbody tr").first().scrollIntoViewIfNeeded();
      await shot(page, "14b-phone-member-rows");
    }
  }
  // The period selector changes the figures' period.
  await page.goto(`${base}/dashboard`);
  await page.locator("#period").selectOption("last_year");
  await page.getByRole("button", { name: "查看" }).click();
  const lastYear = new Date().getFullYear() - 1;
  await page.getByText(`统计期 ${lastYear}-01-01 至 ${lastYear}-12-31`).first().waitFor();
  await ctx.close();
});
