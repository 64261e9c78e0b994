#!/usr/bin/env node
// Drives wabridge's softphone page in headless Chromium (playwright-core with the system
// chromium, a fake microphone) for test_softphone.py: the API refuses a call without a session,
// the page signs in, presses Call, and must then show the call connected, receive the agent's
// audio (inbound RTP packets growing), show an agent transcript line, and end on Hang up.
// Screenshots go to --out.
//
// Protocol: JSON lines on stdout, {"call_id"} once known, one {"check", "ok", "detail"} per check
// and {"done": true}.
//
//   node softphone.js --url http://127.0.0.1:PORT --token TOKEN --out DIR [--number ID] [--audio WAV]
// --number: the business number (phone_number_id) whose agent profile the call uses.
// --audio: what the fake microphone captures (Chromium's default is a beep, which the agent
// simulator hears as speech and answers with a barge-in).
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
  const o = { url: null, token: null, out: '.', audio: null, number: '', timeout: 30000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') o.url = argv[++i];
    else if (a === '--token') o.token = argv[++i];
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--audio') o.audio = argv[++i];
    else if (a === '--number') o.number = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.url || !o.token) throw new Error('usage: softphone.js --url URL --token TOKEN --out DIR');
  return o;
}

// The page's inbound audio statistics: packets and bytes received so far.
const inbound = (page) => page.evaluate(async () => {
  const pc = window.softphonePeer;
  if (!pc) return { packets: 0, bytes: 0 };
  let packets = 0, bytes = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') { packets += s.packetsReceived; bytes += s.bytesReceived; }
  });
  return { packets, bytes };
});

async function main() {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(o.out, { recursive: true });
  const check = (name, ok, detail) => say({ check: name, ok: !!ok, detail: detail || '' });
  const shot = (page, name) => page.screenshot({ path: path.join(o.out, name), fullPage: true });
  const waitFor = (page, fn, arg, timeout = o.timeout) =>
    page.waitForFunction(fn, arg, { timeout, polling: 100 }).then(() => true, () => false);

  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run',
           '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
           // wabridge listens on loopback in the test; Chromium leaves loopback out by default.
           '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
           '--autoplay-policy=no-user-gesture-required',
           ...(o.audio ? [`--use-file-for-fake-audio-capture=${o.audio}`] : [])] });
  try {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 },
                                               deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith(o.url)) external.push(r.url()); });

    await page.goto(o.url + '/softphone');
    check('the page shows the login form without a session',
          await waitFor(page, () => !document.getElementById('login').hidden, null, 10000));
    const refused = await page.evaluate(() => fetch('/softphone/call', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sdp: 'v=0' }) }).then((r) => r.status));
    check('POST /softphone/call without a session: 401', refused === 401, `status ${refused}`);
    await page.fill('#token', o.token + '-wrong');
    await page.click('#login-btn');
    check('a wrong token is refused on the page', await waitFor(
      page, () => /Wrong token/.test(document.getElementById('login-error').textContent), null, 10000));
    await shot(page, '01-login-refused.png');

    await page.fill('#token', o.token);
    await page.click('#login-btn');
    const signedIn = await waitFor(page, () => !document.getElementById('phone').hidden &&
                                               document.body.dataset.state === 'idle', null, 10000);
    check('the right token shows the phone', signedIn);
    await shot(page, '02-idle.png');
    if (!signedIn) return;

    await page.fill('#number', o.number);
    await page.click('#call');
    const connected = await waitFor(page, () => document.body.dataset.state === 'connected');
    const callId = await page.evaluate(() => document.body.dataset.callId || '');
    say({ call_id: callId });
    check('the call connects', connected,
          await page.evaluate(() => document.getElementById('error').textContent));
    if (connected) {
      const first = await waitFor(page, async () => {
        let n = 0;
        (await window.softphonePeer.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'audio') n += s.packetsReceived;
        });
        return n > 0;
      }, null, 15000);
      const a = await inbound(page);
      await page.waitForTimeout(1500); // a sampling interval, not a synchronisation
      const b = await inbound(page);
      check('the agent\'s audio arrives: inbound packets grow and bytes > 0',
            first && b.packets > a.packets && b.bytes > 0, JSON.stringify({ a, b }));
      check('an agent transcript line appears on the page', await waitFor(
        page, () => !!document.querySelector('#transcript .line.agent')));
      await shot(page, '03-in-call.png');
      check('no horizontal scrolling on a phone screen', await page.evaluate(
        () => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1));

      await page.click('#hangup');
      check('Hang up ends the call on the page and wabridge reports its end', await waitFor(
        page, () => document.body.dataset.state === 'ended' &&
                    /softphone_hung_up/.test(document.getElementById('state').textContent), null, 15000),
        await page.evaluate(() => document.getElementById('state').textContent));
      check('the Call button is usable again', await page.isEnabled('#call'));
      await shot(page, '04-ended.png');
    }
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
