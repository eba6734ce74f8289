// Renders a result's HTML report to a PNG with headless Chromium, for the README screenshot:
//   npx tsx bench/screenshot.ts <result.json> <out.png> [height]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RESULT_SCHEMA_VERSION, type RunResult } from '../core/index.js';
import { htmlReport } from '../reports/html.js';
import { writeFileAtomic } from '../reports/json.js';

/** Where Chromium is: $CHROMIUM_PATH, else the Debian binaries; undefined when there is none. */
export function findChromium(): string | undefined {
  return [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path): path is string => Boolean(path) && existsSync(path!));
}

/** Flags for a quiet, offline, reproducible headless run: no sandbox (containers), no GPU, no network chatter. */
const HEADLESS_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Opens an HTML file in headless Chromium with a fresh profile and the given action flags; returns its stdout. */
export function runChromium(chromium: string, htmlPath: string, action: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), 'ctxbench-chromium-'));
  try {
    return execFileSync(chromium, [...HEADLESS_FLAGS, `--user-data-dir=${profile}`, ...action, pathToFileURL(resolve(htmlPath)).href], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Screenshots an HTML file into a PNG of the given window size. @default width 1280, height 2000 */
export function screenshotHtml(chromium: string, htmlPath: string, pngPath: string, size = { width: 1280, height: 2000 }): void {
  runChromium(chromium, htmlPath, [`--screenshot=${resolve(pngPath)}`, `--window-size=${size.width},${size.height}`]);
}

/** The DOM after Chromium has loaded (and run) the page. */
export function dumpDom(chromium: string, htmlPath: string): string {
  return runChromium(chromium, htmlPath, ['--dump-dom']);
}

function readResult(path: string): RunResult {
  const result = JSON.parse(readFileSync(path, 'utf8')) as RunResult;
  if (result.schemaVersion !== RESULT_SCHEMA_VERSION) {
    throw new Error(`${path}: schemaVersion ${String(result.schemaVersion)} is not ${RESULT_SCHEMA_VERSION}; re-run the benchmark with this ctxbench`);
  }
  return result;
}

function main(args: string[]): void {
  const [resultPath, pngPath, height = '2000'] = args;
  if (!resultPath || !pngPath || !/^\d+$/.test(height)) throw new Error('usage: npx tsx bench/screenshot.ts <result.json> <out.png> [height, default 2000]');
  const chromium = findChromium();
  if (!chromium) throw new Error('no Chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH');
  const htmlPath = join(mkdtempSync(join(tmpdir(), 'ctxbench-report-')), 'report.html');
  writeFileAtomic(htmlPath, htmlReport(readResult(resultPath)));
  screenshotHtml(chromium, htmlPath, pngPath, { width: 1280, height: Number(height) });
  console.log(`wrote ${pngPath}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`screenshot: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
