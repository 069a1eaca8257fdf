// The README's picture: the attendee's key card on a phone beside the organiser's admin
// page, composed from the browser tests' screenshots (`make screenshots` runs this after
// them). Usage: node end2end/readme-picture.mjs <screenshots folder>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './tests/browser.mjs';

const folder = process.argv[2];
if (!folder) throw new Error('usage: node end2end/readme-picture.mjs <screenshots folder>');
const image = (name) => `data:image/png;base64,${readFileSync(join(folder, `${name}.png`)).toString('base64')}`;

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1400, height: 800 }, deviceScaleFactor: 1 });
await page.setContent(`<!doctype html><html><body style="margin:0;background:#eef0f6;font:15px system-ui,sans-serif;color:#1d1d2b">
  <main id="picture" style="display:flex;gap:28px;align-items:flex-start;padding:28px;width:max-content">
    <figure style="margin:0;text-align:center">
      <img alt="" src="${image('key-card-360')}" style="width:300px;border-radius:22px;border:10px solid #1d1d2b;background:#fff">
      <figcaption style="margin-top:10px">The attendee, on a phone</figcaption>
    </figure>
    <figure style="margin:0;text-align:center">
      <img alt="" src="${image('admin-1280')}" style="width:900px;border:1px solid #c9ccd8;border-radius:8px;background:#fff">
      <figcaption style="margin-top:10px">The organiser, at <code>/admin/&lt;slug&gt;</code></figcaption>
    </figure>
  </main></body></html>`);
await page.locator('#picture').screenshot({ path: join(folder, 'readme.png') });
await browser.close();
console.log(`wrote ${join(folder, 'readme.png')}`);
