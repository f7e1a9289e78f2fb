// Drives Debian's Chromium (playwright-core, no browser download) through a
// plan of steps that crates/vestibule/tests/e2e/browser.rs writes, with an
// application served on another origin. The Rust test decides what to do and
// checks the outcome; this script only does what a person at the browser
// would, and reports what the browser saw.
//
//   BROWSER_PLAN='{"app_port":4000,"app_pages":{"/":"<a id=login href=...>"},
//                  "steps":[{"goto":"http://localhost:4000/"},{"click":"#login"},
//                           {"fill":"#password","value":"..."},{"wait_url":"http://localhost:4000/callback"},
//                           {"wait_text":"Email verified"}]}' node browser.mjs
//
// Prints one line `RESULT {json}`: the final URL, the page's text, the
// requests the application received (with POST bodies), and every console
// message (CSP violations show up there). Exits 1 when a step fails.
// BROWSER_SHOTS=dir saves a screenshot after each step (for a person to look at).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';

const plan = JSON.parse(process.env.BROWSER_PLAN || '{}');
const timeout = plan.timeout_ms || 15000;
const received = [];

// The application: its pages, and a landing for anything else (the callback).
function serveApp(req, res) {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const url = new URL(req.url, `http://localhost:${plan.app_port}`);
    if (url.pathname === '/favicon.ico') { res.writeHead(404); res.end(); return; }
    const page = req.method === 'GET' && (plan.app_pages || {})[url.pathname];
    if (page) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    received.push({ method: req.method, url: url.href, body });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>App</title><h1>Application reached</h1>');
  });
}

// Chromium may try either loopback address for `localhost`.
const servers = [];
for (const host of ['127.0.0.1', '::1']) {
  const server = http.createServer(serveApp);
  const listening = await new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(plan.app_port, host, () => resolve(true));
  });
  if (listening) servers.push(server);
}
if (servers.length === 0) throw new Error(`cannot listen on port ${plan.app_port}`);

const profile = mkdtempSync(join(tmpdir(), 'vestibule-browser-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 900, height: 700 },
});
const page = context.pages()[0] || await context.newPage();
const consoleMessages = [];
page.on('console', (message) => consoleMessages.push(`${message.type()}: ${message.text()}`));

let failure = null;
let index = 0;
try {
  for (const step of plan.steps || []) {
    index += 1;
    if (step.goto) {
      await page.goto(step.goto, { timeout });
    } else if (step.click) {
      await page.locator(step.click).first().click({ timeout });
    } else if (step.fill) {
      await page.locator(step.fill).first().fill(step.value, { timeout });
    } else if (step.wait_url) {
      await page.waitForURL((url) => url.href.startsWith(step.wait_url), { timeout, waitUntil: 'load' });
    } else if (step.wait_text) {
      await page.getByText(step.wait_text).first().waitFor({ timeout });
    } else if (step.wait_image) {
      // An image the page really shows: loaded, not refused by its CSP.
      const image = page.locator(step.wait_image).first();
      await image.waitFor({ timeout });
      await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await image.elementHandle(), { timeout });
    } else if (step.wait_request) {
      const deadline = Date.now() + timeout;
      while (!received.some((r) => r.url.startsWith(step.wait_request))) {
        if (Date.now() > deadline) throw new Error(`the application never received ${step.wait_request}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } else {
      throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
    // BROWSER_SHOTS=dir keeps a screenshot after every step, to look at.
    if (process.env.BROWSER_SHOTS) {
      const name = `${Date.now()}-${String(index).padStart(2, '0')}.png`;
      await page.screenshot({ path: join(process.env.BROWSER_SHOTS, name) }).catch(() => {});
    }
  }
} catch (error) {
  failure = `step ${index} ${JSON.stringify(plan.steps[index - 1])}: ${error.message.split('\n')[0]}`;
  if (plan.screenshot) await page.screenshot({ path: plan.screenshot }).catch(() => {});
}

let text = '';
try { text = (await page.locator('body').innerText({ timeout: 2000 })).slice(0, 2000); } catch { /* no body */ }
const result = { ok: failure === null, failure, url: page.url(), text, received, console: consoleMessages };
await context.close();
for (const server of servers) server.close();
rmSync(profile, { recursive: true, force: true });
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(failure === null ? 0 : 1);
