// The Timeline tab: the simulated step as a Gantt chart, one lane per role (a role expands to one
// lane per GPU), time from 0 to the schedule's length. Bars: computation, collectives in their
// kind's colour; the lane's grey background is idle time, hatched where a pipeline fills and drains;
// the critical path underlined; for training a strip with the forward, backward and optimizer
// phases, micro-batches a shade apart. Zoom and pan along time with the wheel and drag (d3-zoom).
import { select } from 'd3-selection';
import { zoom } from 'd3-zoom';
import { barFill, details, esc, seconds } from './data.js';

const NS = 'http://www.w3.org/2000/svg';
const LABEL = 200;
const LANE = 24;
const GAP = 8;
const TOP = 34;
const PHASES = ['forward', 'backward', 'optimizer'];

export class TimelineView {
  constructor(d, root, panel, events) {
    this.d = d;
    this.root = root;
    this.panel = panel;
    this.events = events;
    this.expanded = new Set();
    this.k = 1;
    this.x = 0;
  }

  draw() {
    const d = this.d;
    this.root.innerHTML = '';
    const head = document.createElement('div');
    head.className = 'toolbar';
    const note = d.steady ? ` (one step on its own; the report's ${d.stepLabel}, ${d.stepText}, is the steady-state cycle)` : '';
    head.innerHTML = `<span id="timeline-length" data-seconds="${d.scheduleSeconds}">simulated step: ${esc(d.scheduleText)}${esc(note)}</span>
      <span class="hint">wheel: zoom, drag: pan, click a bar: details</span>`;
    this.root.appendChild(head);
    const width = Math.max(600, this.root.clientWidth - 20);
    this.plotW = width - LABEL - 20;
    const lanes = [];
    for (const role of d.roles) {
      lanes.push({ role, gpu: null });
      if (this.expanded.has(role.id)) for (const g of role.gpus) lanes.push({ role, gpu: g });
    }
    const height = TOP + lanes.length * (LANE + GAP) + 60;
    const svg = el('svg', { width, height, id: 'timeline-svg', 'data-seconds': d.scheduleSeconds, class: 'timeline' });
    this.svg = svg;
    this.root.appendChild(svg);
    const defs = el('defs', {});
    defs.innerHTML = `<pattern id="tl-bubble" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${d.colors.idle}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="3"/></pattern>
      <clipPath id="tl-clip"><rect x="${LABEL}" y="0" width="${this.plotW}" height="${height}"/></clipPath>`;
    svg.appendChild(defs);
    this.axisG = el('g', { class: 'axis' });
    svg.appendChild(this.axisG);
    const clip = el('g', { 'clip-path': 'url(#tl-clip)' });
    svg.appendChild(clip);
    this.plot = el('g', {});
    clip.appendChild(this.plot);
    const labels = el('g', {});
    svg.appendChild(labels);
    const T = d.scheduleSeconds;
    const sx = this.plotW / T;
    let y = TOP;
    for (const lane of lanes) {
      const role = lane.role;
      const n = role.nodes;
      const lg = el('g', { class: lane.gpu == null ? 'lane' : 'lane gpu-lane', 'data-role': role.id });
      if (lane.gpu != null) lg.setAttribute('data-gpu', lane.gpu);
      this.plot.appendChild(lg);
      lg.appendChild(el('rect', { x: LABEL, y, width: this.plotW, height: LANE, fill: d.colors.idle, class: 'idle' }));
      if (d.stages > 1 && role.size > 0) {
        let first = Infinity;
        let last = 0;
        for (let i = 0; i < role.size; i++) {
          first = Math.min(first, n.start[i]);
          last = Math.max(last, n.finish[i]);
        }
        if (first > 0) lg.appendChild(el('rect', { x: LABEL, y, width: first * sx, height: LANE, fill: 'url(#tl-bubble)', class: 'bubble' }));
        if (last < T) lg.appendChild(el('rect', { x: LABEL + last * sx, y, width: (T - last) * sx, height: LANE, fill: 'url(#tl-bubble)', class: 'bubble' }));
      }
      const strip = d.training ? 5 : 0;
      for (let i = 0; i < role.size; i++) {
        const x = LABEL + n.start[i] * sx;
        const w = Math.max(0.3, (n.finish[i] - n.start[i]) * sx);
        const r = el('rect', { x, y: y + strip, width: w, height: LANE - strip, fill: barFill(d, role, i), class: 'bar', 'data-i': i });
        lg.appendChild(r);
        if (strip && n.phase[i] >= 0) {
          const shade = n.mb[i] % 2 === 1 ? 1 : 0;
          lg.appendChild(el('rect', { x, y, width: w, height: strip, fill: d.phaseColors[n.phase[i]][shade], class: 'phase' }));
        }
        if (n.critical[i] === 1) lg.appendChild(el('rect', { x, y: y + LANE, width: w, height: 3, fill: d.colors.critical, class: 'crit-mark' }));
      }
      const label = el('text', { x: lane.gpu == null ? 6 : 22, y: y + LANE / 2 + 4, class: 'lane-label' });
      label.textContent = lane.gpu == null ? `role ${role.id} (GPUs ${role.gpusText})` : `GPU ${lane.gpu}`;
      labels.appendChild(label);
      if (lane.gpu == null && role.gpus.length > 1) {
        const t = el('text', { x: LABEL - 14, y: y + LANE / 2 + 4, class: 'expander', 'data-role': role.id });
        t.textContent = this.expanded.has(role.id) ? '\u25be' : '\u25b8';
        t.addEventListener('click', () => {
          if (this.expanded.has(role.id)) this.expanded.delete(role.id);
          else this.expanded.add(role.id);
          this.draw();
        });
        labels.appendChild(t);
      }
      lg.addEventListener('mousemove', (e) => this.hover(e, role, lane.gpu));
      lg.addEventListener('mouseleave', () => this.tip && (this.tip.style.display = 'none'));
      lg.addEventListener('click', (e) => {
        const i = e.target.getAttribute('data-i');
        if (i == null) return;
        this.highlight({ role: role.id, i: Number(i), gpu: lane.gpu });
        this.events.selected?.({ role: role.id, i: Number(i), gpu: lane.gpu }, 'timeline');
        this.panel.innerHTML = '<table>' + details(d, role, Number(i), lane.gpu).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')
          + `</table><button id="show-in-graph">show in graph</button>`;
        this.panel.querySelector('#show-in-graph').addEventListener('click', () => this.events.reveal?.(role.id, Number(i)));
      });
      y += LANE + GAP;
    }
    this.bottom = y;
    this.mark();
    this.axis();
    this.legend(svg, y + 14);
    this.tip = document.createElement('div');
    this.tip.className = 'tooltip';
    this.root.appendChild(this.tip);
    const z = zoom().scaleExtent([1, 5000]).translateExtent([[LABEL, 0], [LABEL + this.plotW, height]]).extent([[LABEL, 0], [LABEL + this.plotW, height]])
      .on('zoom', (e) => {
        this.k = e.transform.k;
        this.x = e.transform.x;
        this.plot.setAttribute('transform', `translate(${e.transform.x},0) scale(${e.transform.k},1)`);
        this.axis();
      });
    select(svg).call(z);
  }

  /** Outlines a node's bars (a node selected in the graph). */
  highlight(sel) {
    this.highlighted = sel;
    this.mark();
  }

  mark() {
    if (!this.svg) return;
    for (const b of this.svg.querySelectorAll('rect.bar.hl')) b.classList.remove('hl');
    const s = this.highlighted;
    if (!s) return;
    for (const lane of this.svg.querySelectorAll(`g.lane[data-role="${s.role}"]`)) {
      const g = lane.getAttribute('data-gpu');
      if (s.gpu != null && g != null && Number(g) !== s.gpu) continue;
      lane.querySelector(`rect.bar[data-i="${s.i}"]`)?.classList.add('hl');
    }
  }

  hover(e, role, gpu) {
    const i = e.target.getAttribute('data-i');
    if (i == null) {
      this.tip.style.display = 'none';
      return;
    }
    const rows = details(this.d, role, Number(i), gpu);
    this.tip.innerHTML = rows.slice(0, 2).concat(rows.filter((r) => r[0] === 'time' || r[0] === 'local shapes'))
      .map(([k, v]) => `<b>${esc(k)}</b> ${esc(v)}`).join('<br>');
    const box = this.root.getBoundingClientRect();
    this.tip.style.display = 'block';
    this.tip.style.left = e.clientX - box.left + 14 + 'px';
    this.tip.style.top = e.clientY - box.top + 14 + 'px';
  }

  // Ticks at 1, 2 or 5 times a power of ten over the visible time.
  axis() {
    const g = this.axisG;
    while (g.firstChild) g.removeChild(g.firstChild);
    const T = this.d.scheduleSeconds;
    const sx = this.plotW / T;
    // A time's screen x is x + k (LABEL + t sx), with the zoom's translation x and scale k.
    const at = (t) => this.x + this.k * (LABEL + t * sx);
    const t0 = Math.max(0, (LABEL - this.x - this.k * LABEL) / (this.k * sx));
    const t1 = Math.min(T, (LABEL + this.plotW - this.x - this.k * LABEL) / (this.k * sx));
    const raw = (t1 - t0) / 8;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
    for (let t = Math.ceil(t0 / step) * step; t <= t1 * (1 + 1e-9); t += step) {
      const x = at(t);
      g.appendChild(el('line', { x1: x, x2: x, y1: TOP - 6, y2: this.bottom, stroke: '#ccc', 'stroke-width': 0.5 }));
      const tx = el('text', { x: x + 2, y: TOP - 8, class: 'tick' });
      tx.textContent = t === 0 ? '0' : seconds(t);
      g.appendChild(tx);
    }
  }

  legend(svg, y) {
    let x = LABEL;
    const entries = Object.entries(this.d.colors).filter(([k]) => k !== 'critical');
    if (this.d.stages > 1) entries.push(['pipeline fill/drain', 'url(#tl-bubble)']);
    entries.push(['critical path', this.d.colors.critical]);
    const right = Number(svg.getAttribute('width')) - 10;
    for (const [k, c] of entries) {
      const w = 26 + 6.5 * k.length;
      if (x + w > right && x > LABEL) {
        x = LABEL;
        y += 18;
      }
      svg.appendChild(el('rect', { x, y: y - 9, width: 12, height: 12, fill: c }));
      const t = el('text', { x: x + 16, y: y + 1 });
      t.textContent = k;
      svg.appendChild(t);
      x += w;
    }
  }
}


function el(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export { PHASES };
