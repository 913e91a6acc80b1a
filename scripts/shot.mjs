// Dev helper: open a URL in Debian's Chromium, wait, screenshot. Usage: node scripts/shot.mjs URL out.png [waitMs] [clickTestId…]
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const [url, out, wait = '8000', ...clicks] = process.argv.slice(2);
const ctx = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'shot-')), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: [
    '--enable-unsafe-webgpu',
    '--enable-unsafe-swiftshader',
    '--use-angle=swiftshader',
    '--ignore-gpu-blocklist',
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
});
const page = await ctx.newPage();
page.on('console', (m) => console.log(`[${m.type()}] ${m.text()}`));
page.on('pageerror', (e) => console.log(`[pageerror] ${e}`));
await page.goto(url);
for (const c of clicks) {
  await page.waitForTimeout(1000);
  await page.getByText(c, { exact: true }).first().click();
}
await page.waitForTimeout(Number(wait));
await page.screenshot({ path: out, fullPage: true });
const state = await page.evaluate(() => {
  const s = window.__weightscope?.getState();
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
