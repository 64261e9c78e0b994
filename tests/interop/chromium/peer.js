#!/usr/bin/env node
// Headless Chromium peer for the interop harness (docs/INTEROP.md). Speaks the JSON-lines
// protocol on stdin/stdout and drives a page (page.js) through playwright-core, using the
// system chromium (no browser download).
//
//   node peer.js --role offer|answer [--data] [--name NAME] [--loopback]
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.WAB_CHROMIUM || '/usr/bin/chromium';
const PAGE_URL = 'http://localhost/wab-peer.html';

function parseArgs(argv) {
  const options = { role: null, data: false, name: 'chromium', loopback: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--role') options.role = argv[++i];
    else if (arg === '--data') options.data = true;
    else if (arg === '--name') options.name = argv[++i];
    else if (arg === '--loopback') options.loopback = true;
    else if (arg === '--verbose') options.verbose = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (options.role !== 'offer' && options.role !== 'answer') {
    throw new Error('usage: peer.js --role offer|answer [--data] [--name NAME] [--loopback]');
  }
  return options;
}

function emit(message) {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function log(text) {
  process.stderr.write(`[chromium-peer] ${text}\n`);
}

// Lines from stdin as a queue of JSON objects; next(type) resolves with the next one of `type`.
class StdinLines {
  constructor() {
    this.queue = [];
    this.waiters = [];
    this.closed = false;
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      let message;
      try {
        message = JSON.parse(line);
      } catch (e) {
        return;
      }
      if (message && typeof message === 'object') this.push(message);
    });
    rl.on('close', () => {
      this.closed = true;
      this.push(null);
    });
  }
  push(message) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(message);
    else this.queue.push(message);
  }
  async next(type) {
    for (;;) {
      const message = this.queue.length
        ? this.queue.shift()
        : await new Promise((resolve) => this.waiters.push(resolve));
      if (message === null) throw new Error(`stdin closed while waiting for ${type}`);
      if (message.type === type) return message;
      if (message.type === 'close') throw new Error(`close received while waiting for ${type}`);
    }
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const lines = new StdinLines();
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
  ];
  if (options.loopback) args.push('--allow-loopback-in-peer-connection');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  let exitCode = 0;
  try {
    const page = await browser.newPage();
    page.on('console', (m) => options.verbose && log(`console: ${m.text()}`));
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.exposeFunction('wabEmit', (message) => emit(message));
    const script = fs.readFileSync(path.join(__dirname, 'page.js'), 'utf8');
    const html = `<!doctype html><html><head><script>${script}</script></head><body></body></html>`;
    // A localhost URL is a secure context (getUserMedia needs one); the route answers it, so no
    // server is needed.
    await page.route(PAGE_URL, (route) => route.fulfill({ body: html, contentType: 'text/html' }));
    await page.goto(PAGE_URL);

    const pageOptions = { name: options.name, data: options.data };
    if (options.role === 'offer') {
      const sdp = await page.evaluate((o) => window.wab.offer(o), pageOptions);
      emit({ type: 'offer', sdp });
      const answer = await lines.next('answer');
      await page.evaluate((s) => window.wab.acceptAnswer(s), answer.sdp);
    } else {
      const offer = await lines.next('offer');
      const sdp = await page.evaluate(([o, s]) => window.wab.answer(o, s), [pageOptions, offer.sdp]);
      emit({ type: 'answer', sdp });
    }
    await lines.next('close');
    emit(await page.evaluate(() => window.wab.report()));
  } catch (error) {
    log(String(error && error.stack ? error.stack : error));
    emit({ type: 'event', event: 'failed', reason: String(error && error.message) });
    exitCode = 1;
  }
  await Promise.race([browser.close(), new Promise((resolve) => setTimeout(resolve, 3000))]);
  process.exit(exitCode);
}

main().catch((error) => {
  log(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
