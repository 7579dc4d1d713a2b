/**
 * The HTML report in a real browser: headless Chromium (installed by scripts/test-infra.sh) takes a
 * screenshot, which is decoded and checked for drawn bars, and dumps the DOM, checked for the table.
 * MADENGINE_SCREENSHOT_OUT=<file.png> keeps a copy of the screenshot to look at.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { COLORS } from '../../../src/core/report/charts.ts';
import { renderHtmlReport } from '../../../src/core/report/html.ts';
import { decodePng, pixel, type Png } from '../../helpers/png.ts';
import { reportFixture } from '../../helpers/report-fixture.ts';

const run = promisify(execFile);
const CHROMIUM = process.env.MADENGINE_CHROMIUM || '/usr/bin/chromium';
const WIDTH = 1200;
const HEIGHT = 1600;

function chromiumOrSkip(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is not installed; install it with: bash scripts/test-infra.sh up`;
  if (process.env.MADENGINE_REQUIRE_INFRA === '1') throw new Error(`${message} [MADENGINE_REQUIRE_INFRA=1 forbids skipping]`);
  t.skip(message);
  return false;
}

async function chromium(profile: string, args: string[]): Promise<string> {
  const { stdout } = await run(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, ...args], {
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

const hex = (color: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number];

/** Rows (y) holding a horizontal run of at least `min` pixels of `color` (±12 per channel): bars, not text. */
function barRows(png: Png, color: string, min = 20): { y: number; x0: number; x1: number }[] {
  const [r, g, b] = hex(color);
  const found: { y: number; x0: number; x1: number }[] = [];
  for (let y = 0; y < png.height; y++) {
    let run = 0;
    for (let x = 0; x < png.width; x++) {
      const [pr, pg, pb] = pixel(png, x, y);
      run = Math.abs(pr - r) <= 12 && Math.abs(pg - g) <= 12 && Math.abs(pb - b) <= 12 ? run + 1 : 0;
      if (run === min) {
        found.push({ y, x0: x - min + 1, x1: x });
        break;
      }
    }
  }
  return found;
}

describe('HTML report in headless Chromium', () => {
  it('shows the chart (red and green bars, not blank) and the table', async (t) => {
    if (!chromiumOrSkip(t)) return;
    const dir = await mkdtemp(path.join(tmpdir(), 'madengine-html-'));
    try {
      const report = reportFixture({ perClass: 3 });
      const file = path.join(dir, 'report.html');
      await writeFile(file, renderHtmlReport(report));
      const url = pathToFileURL(file).href;

      const shot = path.join(dir, 'report.png');
      await chromium(path.join(dir, 'profile-shot'), [`--screenshot=${shot}`, `--window-size=${WIDTH},${HEIGHT}`, url]);
      const png = decodePng(await readFile(shot));
      if (process.env.MADENGINE_SCREENSHOT_OUT) await copyFile(shot, process.env.MADENGINE_SCREENSHOT_OUT);
      assert.deepEqual([png.width, png.height], [WIDTH, HEIGHT]);

      const red = barRows(png, COLORS.worse);
      const green = barRows(png, COLORS.better);
      // Three regressed and three improved bars, each 14 px tall.
      assert.ok(red.length >= 3 * 14, `${red.length} rows with a red bar`);
      assert.ok(green.length >= 3 * 14, `${green.length} rows with a green bar`);
      // The chart area (the box around the bars) is drawn, not blank.
      const bars = [...red, ...green];
      const top = Math.min(...bars.map((bar) => bar.y));
      const bottom = Math.max(...bars.map((bar) => bar.y));
      assert.ok(top > 100, 'the chart is below the header');
      let drawn = 0;
      let all = 0;
      for (let y = top; y <= bottom; y++) {
        for (let x = 0; x < WIDTH; x++) {
          all++;
          if (pixel(png, x, y).some((channel) => channel < 235)) drawn++;
        }
      }
      assert.ok(drawn / all > 0.05, `only ${((100 * drawn) / all).toFixed(1)} % of the chart area is drawn`);
      // Red bars grow left from the zero axis, green ones right (throughput), so some of each side exist.
      const zero = Math.max(...red.map((bar) => bar.x0));
      assert.ok(
        green.some((bar) => bar.x0 >= zero - 25),
        'a green bar right of the zero axis',
      );

      const dom = await chromium(path.join(dir, 'profile-dom'), ['--dump-dom', url]);
      const rows = [...dom.matchAll(/<tr class="c-(\w+)">([\s\S]*?)<\/tr>/g)];
      assert.equal(rows.length, report.comparison.entries.length);
      report.comparison.entries.forEach((entry, i) => {
        assert.equal(rows[i]![1], entry.class);
        assert.ok(rows[i]![2]!.includes(`<td>${entry.key.model}</td>`), `row ${i} names ${entry.key.model}`);
      });
      assert.match(dom, /<svg [^>]*class="bar-chart"/);
      assert.equal([...dom.matchAll(/<svg [^>]*class="trend"/g)].length, report.trends!.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
