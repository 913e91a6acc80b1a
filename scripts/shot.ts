/**
 * Dev helper: opens a URL in Debian's Chromium (the browser tests' launch), clicks the named texts
 * in turn, waits, and saves a full-page screenshot; prints the page's console and a summary of the
 * app state.
 * Usage: node --import ./bin/register.mjs scripts/shot.ts URL out.png [waitMs] [clickText…]
 * WIDTHxHEIGHT in the environment as SHOT_SIZE sets the window (default 1400x900).
 */
import { launch } from '../e2e/browser';

const [url, out, wait = '8000', ...clicks] = process.argv.slice(2);
if (!url || !out) throw new Error('usage: shot.ts URL out.png [waitMs] [clickText…]');
const [width, height] = (process.env.SHOT_SIZE ?? '1400x900').split('x').map(Number);
const ctx = await launch({ viewport: { width: width!, height: height! } });
const page = await ctx.newPage();
page.on('console', (m) => console.log(`[${m.type()}] ${m.text()}`));
page.on('pageerror', (e) => console.log(`[pageerror] ${String(e)}`));
await page.goto(url);
for (const c of clicks) {
  await page.waitForTimeout(1000);
  await page.getByText(c, { exact: true }).first().click();
}
await page.waitForTimeout(Number(wait));
await page.screenshot({ path: out, fullPage: true });
const state = await page.evaluate(() => {
  type Run = { psnr: unknown[] } & Record<string, unknown>;
  const s = (
    window as unknown as {
      __weightscope?: { getState(): { run: Run; backend: unknown; models: unknown[] } };
    }
  ).__weightscope?.getState();
  return (
    s && {
      run: { ...s.run, predictions: null, target: null, psnr: s.run.psnr.at(-1) },
      backend: s.backend,
      models: s.models.length,
    }
  );
});
console.log(JSON.stringify(state, null, 1));
await ctx.close();
