// Drives a page that `pdagc --emit html` wrote in headless Chromium (the system's browser, through
// puppeteer-core: nothing is downloaded) and prints what it saw as one JSON object on stdout, for
// the compiler's test (ViewerBrowserTest) to hold against the report's figures. It clicks what a
// person would: expands a layer, expands the role to its GPUs and clicks an all-to-all, opens the
// timeline and the memory tabs; it writes a screenshot of each step to OUTDIR.
//
// Usage: node test/browser.mjs PAGE.html OUTDIR    (CHROMIUM names the browser; default: chromium on the PATH)
import puppeteer from 'puppeteer-core';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';

const [page_, outdir] = process.argv.slice(2);
if (!page_ || !outdir) {
  console.error('usage: node test/browser.mjs PAGE.html OUTDIR');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });

function chromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  throw new Error('no Chromium found: install Debian\'s chromium package or set CHROMIUM');
}

const browser = await puppeteer.launch({
  executablePath: chromium(),
  headless: true,
  // As root (CI) Chromium needs --no-sandbox; containers often have a small /dev/shm.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  defaultViewport: { width: 1400, height: 900 },
});
const out = { errors: [] };
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') out.errors.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => out.errors.push('page error: ' + e.message));
  page.on('requestfailed', (r) => out.errors.push('request failed: ' + r.url()));
  const network = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) network.push(r.url());
  });
  await page.goto(pathToFileURL(resolve(page_)).href, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  out.interactiveMs = await page.evaluate(() => performance.getEntriesByName('pdagc:interactive')[0].startTime);
  out.network = network;
  const shot = (name) => page.screenshot({ path: resolve(outdir, name) });

  // The roles view: one box per role, its layers collapsed.
  out.roles = await page.evaluate(() => window.pdagcViewer.data.roles.length);
  out.roleBoxes = await page.$$eval('#graph-svg .item.role', (e) => e.length);
  out.layerBoxes = await page.$$eval('#graph-svg .item.layer', (e) => e.length);
  out.nodesBefore = await page.$$eval('#graph-svg .item.node', (e) => e.length);
  await shot('viewer-1-roles.png');

  const layouts = () => page.$eval('#graph-svg', (s) => Number(s.getAttribute('data-layouts')));
  const relaid = async (before) => page.waitForFunction((n) => Number(document.querySelector('#graph-svg').getAttribute('data-layouts')) > n, { timeout: 60000 }, before);

  // Expanding layer 0 adds its nodes.
  out.layerOps = await page.evaluate(() => window.pdagcViewer.data.roles[0].layers.get(0).length);
  let n = await layouts();
  await page.click('#graph-svg .item.layer[data-layer="0"]');
  await relaid(n);
  out.nodesAfter = await page.$$eval('#graph-svg .item.node', (e) => e.length);
  await page.click('#fit');
  await shot('viewer-2-layer0.png');

  // The role expanded to its GPUs; a click on GPU 0's first all-to-all highlights its members.
  n = await layouts();
  const t0 = Date.now();
  await page.click('#graph-svg .item.role[data-role="0"] > text.box-title');
  await relaid(n);
  out.gpuLayoutMs = Date.now() - t0;
  out.gpuBoxes = await page.$$eval('#graph-svg .item.gpu', (e) => e.length);
  const a2a = await page.$('#graph-svg .item.node[data-gpu="0"][data-coll="all_to_all"]');
  out.allToAllFound = a2a != null;
  if (a2a) {
    await page.evaluate((e) => e.dispatchEvent(new MouseEvent('click', { bubbles: true })), a2a);
    out.members = await page.$eval('#graph-svg', (s) => Number(s.getAttribute('data-members')));
    out.memberGpus = await page.$$eval('#graph-svg .item.node.member', (e) => e.map((x) => Number(x.getAttribute('data-gpu'))).sort((a, b) => a - b));
    out.details = await page.$eval('#details', (e) => e.innerText);
  }
  await page.click('#fit');
  await shot('viewer-3-gpus-all-to-all.png');

  // The search and the critical path.
  await page.type('#search', 'all_to_all');
  out.searchMatches = await page.$$eval('#graph-svg .item.match', (e) => e.length);
  await page.click('#critical');
  out.criticalShown = await page.$$eval('#graph-svg .item.crit', (e) => e.length);

  // The timeline: one lane per role, as long as the step.
  await page.click('nav button[data-tab="timeline"]');
  await page.waitForSelector('#timeline-svg');
  out.lanes = await page.$$eval('#timeline-svg g.lane:not(.gpu-lane)', (e) => e.map((x) => Number(x.getAttribute('data-role'))));
  out.timelineSeconds = await page.$eval('#timeline-svg', (s) => Number(s.getAttribute('data-seconds')));
  out.timelineText = await page.$eval('#timeline-length', (e) => e.textContent);
  out.bars = await page.$$eval('#timeline-svg g.lane:not(.gpu-lane) rect.bar', (e) => e.length);
  out.barsEnd = await page.$$eval('#timeline-svg g.lane:not(.gpu-lane)', (lanes) => {
    const d = window.pdagcViewer.data;
    return Math.max(...d.roles.map((r) => Math.max(...r.nodes.finish)));
  });
  // Hovering a bar shows its node: the longest bar of role 0's lane.
  out.hovered = await page.evaluate(() => {
    const n = window.pdagcViewer.data.roles[0].nodes;
    let best = 0;
    for (let i = 1; i < n.start.length; i++) if (n.finish[i] - n.start[i] > n.finish[best] - n.start[best]) best = i;
    return { i: best, name: window.pdagcViewer.data.strings[n.name[best]] };
  });
  const box = await page.$eval(`#timeline-svg g.lane:not(.gpu-lane) rect.bar[data-i="${out.hovered.i}"]`, (r) => {
    const b = r.getBoundingClientRect();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  });
  await page.mouse.move(box.x, box.y);
  out.hover = await page.$eval('#tab-timeline .tooltip', (t) => (t.style.display === 'block' ? t.innerText : ''));
  await shot('viewer-4-timeline.png');
  const expander = await page.$('#timeline-svg .expander');
  if (expander) {
    await expander.click();
    out.gpuLanes = await page.$$eval('#timeline-svg g.gpu-lane', (e) => e.length);
  }

  // Linked: a bar of layer 5 found in the graph (its layer expanded, the node selected).
  const bar = await page.evaluate(() => {
    const r = window.pdagcViewer.data.roles[0];
    return r.layers.get(5)?.[0] ?? 0;
  });
  await page.evaluate((i) => document.querySelector(`#timeline-svg g.lane[data-role="0"]:not(.gpu-lane) rect.bar[data-i="${i}"]`)
    .dispatchEvent(new MouseEvent('click', { bubbles: true })), bar);
  n = await layouts();
  await page.click('#show-in-graph');
  await relaid(n);
  out.revealed = { asked: bar, selected: await page.$$eval('#graph-svg .item.node.selected', (e) => e.map((x) => Number(x.getAttribute('data-i')))) };
  await shot('viewer-6-revealed.png');
  await page.click('nav button[data-tab="timeline"]');
  out.timelineMarked = await page.$$eval('#timeline-svg rect.bar.hl', (e) => e.length);

  // Memory: the bars' parts.
  await page.click('nav button[data-tab="memory"]');
  await page.waitForSelector('#memory-svg');
  out.memory = await page.$$eval('#memory-svg g.mem-role', (roles) => roles.map((g) => ({
    role: Number(g.getAttribute('data-role')),
    parts: Object.fromEntries([...g.querySelectorAll('rect.seg')].map((r) => [r.getAttribute('data-part'), { bytes: Number(r.getAttribute('data-bytes')), text: r.getAttribute('data-text') }])),
    total: g.querySelector('.mem-total').getAttribute('data-text'),
  })));
  out.liveLines = await page.$$eval('#live-svg path.live', (e) => e.length);
  await shot('viewer-5-memory.png');
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
