// The Memory tab: per role, the memory the report gives (weights, KV cache, peak activations,
// collective workspace; gradients and optimizer states for training) as a stacked bar, against the
// GPU's capacity; and live memory over the step: the resident parts plus the activations live at
// each node of the role's schedule (the compiler's liveness profile, whose peak is the report's
// activation figure), drawn over the simulated step's time.
import { bytes, esc, seconds } from './data.js';

const NS = 'http://www.w3.org/2000/svg';
const PARTS = ['weights', 'kv', 'activations', 'workspace', 'gradients', 'optimizer'];
const COLORS = { weights: '#6fa8dc', kv: '#f6b26b', activations: '#93c47d', workspace: '#e06666', gradients: '#8e7cc3', optimizer: '#c27ba0' };
const LABEL = 200;

export class MemoryView {
  constructor(d, root) {
    this.d = d;
    this.root = root;
  }

  draw() {
    const d = this.d;
    this.root.innerHTML = '';
    const width = Math.max(600, this.root.clientWidth - 20);
    const plotW = width - LABEL - 40;
    const most = Math.max(...d.roles.map((r) => r.memory.total.bytes), 1);
    const h = d.roles.length * 76 + 60;
    const svg = el('svg', { width, height: h, id: 'memory-svg', class: 'memory' });
    this.root.appendChild(svg);
    const title = el('text', { x: 6, y: 16, class: 'section' });
    title.textContent = 'Memory per GPU, by role (each part the largest over the role\'s GPUs; the bar spans the largest role\'s total)';
    svg.appendChild(title);
    let y = 34;
    for (const role of d.roles) {
      const m = role.memory;
      const g = el('g', { class: 'mem-role', 'data-role': role.id, 'data-total': m.total.bytes });
      svg.appendChild(g);
      const lt = el('text', { x: 6, y: y + 14, class: 'lane-label' });
      lt.textContent = `role ${role.id} (GPUs ${role.gpusText})`;
      g.appendChild(lt);
      let x = LABEL;
      for (const p of PARTS) {
        if (!m[p]) continue;
        const w = (m[p].bytes / most) * plotW;
        const r = el('rect', { x, y, width: Math.max(0, w), height: 20, fill: COLORS[p], class: 'seg', 'data-part': p, 'data-bytes': m[p].bytes, 'data-text': m[p].text });
        const t = el('title', {});
        t.textContent = `${m[p].label}: ${m[p].text}`;
        r.appendChild(t);
        g.appendChild(r);
        x += w;
      }
      const total = el('text', { x: LABEL, y: y + 36, class: 'mem-total', 'data-text': m.total.text });
      total.textContent = `memory total ${m.total.text}, ${m.ofCapacity} of ${m.capacityText}`;
      g.appendChild(total);
      const parts = el('text', { x: LABEL, y: y + 50, class: 'tick' });
      parts.textContent = '= ' + PARTS.filter((p) => m[p]).map((p) => `${m[p].label} ${m[p].text}`).join(' + ');
      g.appendChild(parts);
      // The capacity gauge: the whole width is the GPU's memory.
      const gaugeY = y + 56;
      g.appendChild(el('rect', { x: LABEL, y: gaugeY, width: plotW, height: 6, fill: '#eee', class: 'capacity', 'data-bytes': m.capacity }));
      g.appendChild(el('rect', { x: LABEL, y: gaugeY, width: Math.max(1, (m.total.bytes / m.capacity) * plotW), height: 6, fill: m.total.bytes > m.capacity ? '#cc0000' : '#666' }));
      y += 76;
    }
    let lx = LABEL;
    for (const p of PARTS) {
      if (!d.roles.some((r) => r.memory[p])) continue;
      svg.appendChild(el('rect', { x: lx, y: y - 4, width: 12, height: 12, fill: COLORS[p] }));
      const t = el('text', { x: lx + 16, y: y + 6 });
      t.textContent = d.roles[0].memory[p]?.label ?? p;
      svg.appendChild(t);
      lx += 30 + 6.5 * t.textContent.length;
    }
    this.live(width, plotW);
  }

  // Live memory over the step: one line per role.
  live(width, plotW) {
    const d = this.d;
    const h = 240;
    const svg = el('svg', { width, height: h + 60, id: 'live-svg', class: 'memory' });
    this.root.appendChild(svg);
    const title = el('text', { x: 6, y: 16, class: 'section' });
    title.textContent = 'Live memory over the simulated step: resident parts + activations live at each node (dashed: the report\'s total)';
    svg.appendChild(title);
    const T = d.scheduleSeconds;
    const series = d.roles.map((role) => {
      const m = role.memory;
      const resident = m.weights.bytes + m.kv.bytes + (m.gradients?.bytes ?? 0) + (m.optimizer?.bytes ?? 0);
      // The activations live at each node of the schedule, from its start until the next node starts. Where a
      // second stream overlaps the first (a training step's gradient reduction), schedule order is not time
      // order: the nodes that start before one earlier in the schedule are left out of the curve.
      const pts = [];
      let last = -Infinity;
      const kept = [];
      for (let i = 0; i < role.size; i++) {
        if (role.nodes.start[i] < last) continue;
        last = role.nodes.start[i];
        kept.push(i);
      }
      kept.forEach((i, k) => {
        const v = resident + role.nodes.live[i];
        const end = k + 1 < kept.length ? role.nodes.start[kept[k + 1]] : role.nodes.finish[i];
        pts.push([role.nodes.start[i], v]);
        pts.push([end, v]);
      });
      return { role, pts, total: m.total.bytes };
    });
    const top = Math.max(...series.map((s) => s.total), 1) * 1.05;
    const y0 = 30;
    const sy = (v) => y0 + h - (v / top) * h;
    const sx = (t) => LABEL + (t / T) * plotW;
    svg.appendChild(el('line', { x1: LABEL, x2: LABEL + plotW, y1: y0 + h, y2: y0 + h, stroke: '#999' }));
    svg.appendChild(el('line', { x1: LABEL, x2: LABEL, y1: y0, y2: y0 + h, stroke: '#999' }));
    for (const f of [0, 0.5, 1]) {
      const t = el('text', { x: LABEL - 6, y: sy(top * f) + 4, 'text-anchor': 'end', class: 'tick' });
      t.textContent = bytes(top * f);
      svg.appendChild(t);
    }
    const end = el('text', { x: LABEL + plotW, y: y0 + h + 14, 'text-anchor': 'end', class: 'tick' });
    end.textContent = seconds(T);
    svg.appendChild(end);
    const zero = el('text', { x: LABEL, y: y0 + h + 14, class: 'tick' });
    zero.textContent = '0';
    svg.appendChild(zero);
    const palette = ['#3d85c6', '#cc4125', '#6aa84f', '#e69138', '#674ea7', '#a64d79', '#45818e', '#999999'];
    series.forEach((s, k) => {
      const c = palette[k % palette.length];
      const path = s.pts.map(([t, v], j) => (j ? 'L' : 'M') + sx(t).toFixed(1) + ',' + sy(v).toFixed(1)).join('');
      svg.appendChild(el('path', { d: path, stroke: c, fill: 'none', 'stroke-width': 1.2, class: 'live', 'data-role': s.role.id }));
      svg.appendChild(el('line', { x1: LABEL, x2: LABEL + plotW, y1: sy(s.total), y2: sy(s.total), stroke: c, 'stroke-dasharray': '4 3' }));
      const t = el('text', { x: 6, y: y0 + 14 * (k + 1) });
      t.setAttribute('fill', c);
      t.textContent = `role ${s.role.id}: total ${s.role.memory.total.text}`;
      if (k < 12) svg.appendChild(t);
    });
  }
}

function el(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export { esc };
