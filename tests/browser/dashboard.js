#!/usr/bin/env node
// Drives wabridge's dashboard page in headless Chromium (playwright-core with the system
// chromium) for test_dashboard.py: signs in (a wrong token first), reports "ready" once the event
// stream is live, then waits for what the call placed by the test must show: the live call, a
// transcript line, and the call in the recent list with its cause. Screenshots go to --out.
//
// Protocol: JSON lines on stdout, {"ready": true} then one {"check", "ok", "detail"} per check and
// {"done": true}. Reads nothing; the test places the call after "ready".
//
//   node dashboard.js --url http://127.0.0.1:PORT --token TOKEN --out DIR [--cause CAUSE]
'use strict';

const fs = require('fs');
const path = require('path');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('playwright-core is missing: run `npm ci` in tests/browser');
  process.exit(77);
}

const CHROMIUM = process.env.WAB_CHROMIUM || '/usr/bin/chromium';
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function parseArgs(argv) {
  const o = { url: null, token: null, out: '.', cause: 'caller_hung_up', timeout: 30000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') o.url = argv[++i];
    else if (a === '--token') o.token = argv[++i];
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--cause') o.cause = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.url || !o.token) throw new Error('usage: dashboard.js --url URL --token TOKEN --out DIR');
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(o.out, { recursive: true });
  const check = (name, ok, detail) => say({ check: name, ok: !!ok, detail: detail || '' });
  const shot = (page, name) => page.screenshot({ path: path.join(o.out, name), fullPage: true });
  // Waits for a condition in the page; false (not an exception) when it does not come in time.
  const waitFor = (page, fn, arg, timeout = o.timeout) =>
    page.waitForFunction(fn, arg, { timeout, polling: 100 }).then(() => true, () => false);

  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    // A phone: the page must be usable at 390 px.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 },
                                               deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith(o.url)) external.push(r.url()); });

    await page.goto(o.url + '/dashboard');
    check('the page shows the login form without a session',
          await waitFor(page, () => !document.getElementById('login').hidden, null, 10000));
    await page.fill('#token', o.token + '-wrong');
    await page.click('#login-btn');
    check('a wrong token is refused on the page',
          await waitFor(page, () => /Wrong token/.test(document.getElementById('login-error').textContent),
                        null, 10000) && await page.isHidden('#board'));
    await shot(page, '01-login-refused.png');

    await page.fill('#token', o.token);
    await page.click('#login-btn');
    const live = await waitFor(page, () => document.getElementById('conn').className === 'live',
                               null, 10000);
    check('the right token opens the board and its event stream', live);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'wab_dashboard');
    check('the session cookie is HttpOnly, SameSite=Strict and is not the token',
          session && session.httpOnly && session.sameSite === 'Strict' && !session.value.includes(o.token),
          JSON.stringify(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }))));
    check('the page keeps no token in its storage', await page.evaluate(
      (t) => !JSON.stringify({ ...localStorage }).includes(t) && !JSON.stringify({ ...sessionStorage }).includes(t),
      o.token));
    await shot(page, '02-idle.png');
    say({ ready: true });
    if (!live) return;

    const liveCall = await waitFor(page, () => !!document.querySelector('#live .call[data-call-id]'));
    check('the live call appears', liveCall);
    if (liveCall) {
      const callId = await page.getAttribute('#live .call', 'data-call-id');
      say({ call_id: callId });
      check('its timeline reaches accept', await waitFor(
        page, () => /accept/.test(document.querySelector('#live .call .timeline')?.textContent || '')));
      check('its packet rate to the caller is shown and above zero', await waitFor(
        page, () => parseFloat(document.querySelector('#live .call .fig[data-fig="to_caller"]')
          ?.lastChild.textContent) > 0));
      const line = await waitFor(page, () => !!document.querySelector('#live .call .transcript .line.agent'));
      check('a transcript line of the agent appears on the page', line);
      await shot(page, '03-live-call.png');
      check('no horizontal scrolling on a phone screen', await page.evaluate(
        () => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1));

      const ended = await waitFor(page, ([id, cause]) => {
        const row = document.querySelector(`#recent .recent-call[data-call-id="${CSS.escape(id)}"]`);
        return row && row.querySelector('.cause').textContent === cause &&
               !document.querySelector(`#live .call[data-call-id="${CSS.escape(id)}"]`);
      }, [callId, o.cause], 45000);
      check(`after the hang-up the call is in the recent list with cause ${o.cause}, not live`, ended);
      await shot(page, '04-recent.png');
      // A click on the ended call shows what was said during it.
      await page.evaluate((id) => document.querySelector(
        `#recent .recent-call[data-call-id="${CSS.escape(id)}"]`).click(), callId);
      check('a click on the recent call shows its transcript', await waitFor(page, (id) => {
        const d = document.querySelector(`#recent .recent-transcript[data-call-id="${CSS.escape(id)}"]`);
        return !!d && !d.hidden && !!d.querySelector('.line.agent');
      }, callId, 5000));
      await shot(page, '05-recent-transcript.png');

      // A reload keeps the session (cookie) and rebuilds the picture from the snapshot event.
      await page.reload();
      check('after a reload the recent call is still listed', await waitFor(
        page, (id) => !!document.querySelector(`#recent .recent-call[data-call-id="${CSS.escape(id)}"]`),
        callId, 10000));
    }
    await page.click('#logout');
    check('sign out returns to the login form', await waitFor(
      page, () => !document.getElementById('login').hidden, null, 10000));
    const after = await page.evaluate(() => fetch('/api/calls').then((r) => r.status));
    check('after sign out the API answers 401', after === 401, `status ${after}`);
    check('no script error on the page', errors.length === 0, errors.join(' | '));
    check('nothing is loaded from another origin', external.length === 0, external.join(' '));
  } finally {
    await browser.close();
    say({ done: true });
  }
}

main().catch((e) => {
  say({ check: 'the browser script ran', ok: false, detail: String(e && e.stack || e) });
  process.exit(1);
});
