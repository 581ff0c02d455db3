// SPDX-License-Identifier: MIT
// Headless Chromium (Debian's) driven by playwright-core, for
// tests/web/ui.sh (mode "test") and bench/ui.sh (mode "bench").
// usage: node tests/web/driver.mjs test|bench URL ARTIFACTS_DIR
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'build/npm/package.json'));
const { chromium } = require('playwright-core');

const [mode, url, artifacts] = process.argv.slice(2);
const base = new URL(url);
const token = base.searchParams.get('token');
let failed = 0;
const ok = (what) => console.log(`ok ${what}`);
const fail = (what) => { failed++; console.log(`FAIL ${what}`); };
const check = (what, cond, detail) => (cond ? ok(what) : fail(detail ? `${what}: ${detail}` : what));

async function until(fn, ms, step = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, step));
  }
}

// The terminal's text, lines joined.
const termText = (page) => page.evaluate(() => {
  const b = window.hv.term && window.hv.term.buffer.active;
  if (!b) return '';
  const out = [];
  for (let i = 0; i < b.length; i++) out.push(b.getLine(i).translateToString(true));
  return out.join('\n');
});

const rowState = (page, vm) => page.evaluate((n) => {
  const r = document.querySelector(`tr[data-vm="${n}"]`);
  return r ? r.dataset.state : null;
}, vm);

async function openConsole(page, vm) {
  await page.click(`tr[data-vm="${vm}"] button[data-action="console"]`);
  await until(async () => (await page.textContent('#viewer-state')) === 'connected', 10000);
}

async function test(page) {
  const shot = (n) => page.screenshot({ path: path.join(artifacts, `${n}.png`) });
  await page.goto(url);
  check('the VM list shows t1 stopped', await until(async () => (await rowState(page, 't1')) === 'stopped', 10000));
  check('the VM list shows g1 stopped', (await rowState(page, 'g1')) === 'stopped');
  check('the token left the address bar', !page.url().includes('token='), page.url());
  await shot('1-list');
  // the create form
  await page.fill('#create input[name="name"]', 'f1');
  await page.fill('#create input[name="memory"]', '200M');
  await page.selectOption('#create select[name="nic"]', 'none');
  await page.click('#create button[type="submit"]');
  check('the create form makes a VM', await until(async () => (await rowState(page, 'f1')) === 'stopped', 10000));
  page.once('dialog', (d) => d.accept());
  await page.click('tr[data-vm="f1"] button[data-action="delete"]');
  check('Delete (confirmed) removes it', await until(async () => (await rowState(page, 'f1')) === null, 10000));

  // a console WebSocket to a stopped VM closes with a reason
  const closed = await page.evaluate((u) => new Promise((res) => {
    const ws = new WebSocket(u);
    ws.onclose = (e) => res({ code: e.code, reason: e.reason });
  }), `ws://${base.host}/ws/console/t1?token=${token}`);
  check('a console to a stopped VM closes with its reason', closed.code === 4000 && /not running/.test(closed.reason),
    JSON.stringify(closed));
  const noTok = await page.evaluate((u) => new Promise((res) => {
    const ws = new WebSocket(u);
    ws.onopen = () => res('open');
    ws.onclose = (e) => res(`closed ${e.code}`);
  }), `ws://${base.host}/ws/console/t1`);
  check('a WebSocket without the token is refused', noTok !== 'open', noTok);

  // a click starts a VM
  await page.click('tr[data-vm="t1"] button[data-action="start"]');
  check('a click on Start starts t1', await until(async () => (await rowState(page, 't1')) === 'running', 60000));
  await openConsole(page, 't1');
  const prompt = await until(async () => /t1:~#/.test(await termText(page)), 90000);
  check('the serial console shows the guest prompt', prompt, (await termText(page)).slice(-300));
  // a second viewer of the same console, opened from the page
  await page.evaluate((u) => {
    window.second = { text: '' };
    const ws = new WebSocket(u);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (e) => { window.second.text += new TextDecoder().decode(e.data); };
    window.second.ws = ws;
  }, `ws://${base.host}/ws/console/t1?token=${token}`);
  await until(() => page.evaluate(() => window.second.ws.readyState === 1), 5000);
  await page.click('#terminal');
  await page.keyboard.type('echo hv-$((6*7))-ui\n');
  const echoed = await until(async () => /hv-42-ui/.test(await termText(page)), 20000);
  check("a typed command's output shows in the console", echoed, (await termText(page)).slice(-300));
  check('a second viewer of the console sees it too',
    await until(() => page.evaluate(() => /hv-42-ui/.test(window.second.text)), 5000));
  // a viewer that leaves while the console streams leaves the VM alone
  await page.keyboard.type('seq 1 30000\n');
  await until(() => page.evaluate(() => window.second.text.length > 20000), 20000);
  await page.evaluate(() => window.second.ws.close());
  await shot('2-console');
  await page.keyboard.type('echo still-$((7*6))\n');
  check('after a viewer left mid-stream the console still answers',
    await until(async () => /still-42/.test(await termText(page)), 60000));
  check('and t1 is still running', (await rowState(page, 't1')) === 'running');
  // graphs: from /api/stats when src/stats is built in, hidden otherwise
  const st = await page.evaluate((t) => fetch('/api/stats', { headers: { 'X-HV-Token': t } }).then((r) => r.status), token);
  if (st === 200) {
    check('the CPU history of t1 fills from /api/stats',
      await until(() => page.evaluate(() => (window.hv.history.t1 || { cpu: [] }).cpu.length >= 2), 10000));
    check('and its graphs show', await until(() => page.evaluate(() => !document.getElementById('graphs').hidden), 5000));
  } else {
    check('without src/stats, /api/stats is 501 and the graphs are hidden',
      st === 501 && await page.evaluate(() => document.getElementById('graphs').hidden), String(st));
  }

  // the display of a --graphics vnc VM
  await page.click('tr[data-vm="g1"] button[data-action="start"]');
  check('a click on Start starts g1', await until(async () => (await rowState(page, 'g1')) === 'running', 60000));
  await page.click('tr[data-vm="g1"] button[data-action="display"]');
  const nonBlank = await until(() => page.evaluate(() => {
    const c = document.querySelector('#screen canvas');
    if (!c || !c.width || !c.height) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) lit++;
    return lit > 100;
  }), 60000, 500);
  check('the VNC display renders non-blank in the canvas', nonBlank);
  await shot('3-display');
  const cad = await page.evaluate((t) => fetch('/api/vms/g1/ctrl-alt-del', { method: 'POST', headers: { 'X-HV-Token': t } })
    .then((r) => r.status), token);
  check('Ctrl+Alt+Del is sent (QMP send-key)', cad === 200, String(cad));
  await page.click('#close-viewer');
}

async function bench(page) {
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('tr[data-vm="t1"]');
  const load = Date.now() - t0;
  await openConsole(page, 't1');
  await until(async () => /t1:~#/.test(await termText(page)), 90000);
  await page.click('#terminal');
  const lat = [];
  for (let i = 0; i < 30; i++) {
    const ch = 'abcdefghij'[i % 10];
    const before = await page.evaluate(() => window.hv.term.buffer.active.cursorX);
    const t = performance.now();
    await page.keyboard.type(ch);
    await until(() => page.evaluate((b) => window.hv.term.buffer.active.cursorX !== b, before), 5000, 1);
    lat.push(performance.now() - t);
  }
  await page.keyboard.press('Control+U');
  lat.sort((a, b) => a - b);
  console.log(`page load: ${load} ms (list shown)`);
  console.log(`keystroke to echo: median ${lat[15].toFixed(1)} ms, p90 ${lat[27].toFixed(1)} ms (30 keys)`);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => fail(`no error in the page: ${e.message}`));
  await (mode === 'bench' ? bench(page) : test(page));
} catch (e) {
  fail(`the browser session: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
