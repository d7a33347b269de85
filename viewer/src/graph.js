// The Graph tab: the plan's DAG, laid out by ELK (elkjs) in a web worker so that a large layout never
// freezes the page, drawn as SVG with d3-zoom for zoom and pan. It starts from the roles view (each
// role's program once, its layers collapsed); a layer, a role's GPUs, and back again expand and
// collapse on click. Drawing conventions are the compiler's (shapes and fills per node come with the
// data).
import ELK from 'elkjs/lib/elk-api.js';
import elkWorkerSource from 'elk-worker-source';
import { select } from 'd3-selection';
import { zoom, zoomIdentity } from 'd3-zoom';
import { node, esc, details } from './data.js';

const NS = 'http://www.w3.org/2000/svg';
const NODE_H = 34;
const LAYER_W = 170;
// ELK's layered algorithm top to bottom, as the compiler's drawings; set on every box laid out on its own.
const LAYERED = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'POLYLINE',
  'elk.layered.spacing.nodeNodeBetweenLayers': '22',
  'elk.spacing.nodeNode': '14',
  'elk.layered.thoroughness': '3',
};

export class GraphView {
  constructor(d, root, panel, events) {
    this.d = d;
    this.root = root;
    this.panel = panel;
    this.events = events;
    this.expandedLayers = new Set(); // `${role}:${layer}`
    this.gpuRoles = new Set(); // roles drawn as their GPUs
    this.collapsedRoles = new Set(); // roles drawn as one box
    this.showCritical = false;
    this.query = '';
    this.selected = null; // {role, i, gpu}
    this.layoutCount = 0;
    this.elk = workerUrl().then((url) => new ELK({ workerUrl: url, algorithms: ['layered'] }));
    this.build();
  }

  build() {
    this.root.innerHTML = '';
    const bar = document.createElement('div');
    bar.className = 'toolbar';
    bar.innerHTML = `<input id="search" type="search" placeholder="search nodes by name" size="28">
      <span id="search-count"></span>
      <label><input id="critical" type="checkbox"> critical path</label>
      <button id="roles-view">roles view</button>
      <button id="collapse-all">collapse all</button>
      <button id="fit">fit</button>
      <span id="graph-status" class="status"></span>`;
    this.root.appendChild(bar);
    this.svg = document.createElementNS(NS, 'svg');
    this.svg.setAttribute('id', 'graph-svg');
    this.svg.classList.add('graph');
    this.root.appendChild(this.svg);
    this.g = document.createElementNS(NS, 'g');
    this.svg.appendChild(this.g);
    this.zoom = zoom().scaleExtent([0.02, 8]).on('zoom', (e) => this.g.setAttribute('transform', e.transform.toString()));
    select(this.svg).call(this.zoom).on('dblclick.zoom', null);
    bar.querySelector('#search').addEventListener('input', (e) => {
      this.query = e.target.value.trim().toLowerCase();
      this.decorate();
    });
    bar.querySelector('#critical').addEventListener('change', (e) => {
      this.showCritical = e.target.checked;
      this.decorate();
    });
    bar.querySelector('#roles-view').addEventListener('click', () => {
      this.expandedLayers.clear();
      this.gpuRoles.clear();
      this.collapsedRoles.clear();
      this.relayout();
    });
    bar.querySelector('#collapse-all').addEventListener('click', () => {
      this.expandedLayers.clear();
      this.gpuRoles.clear();
      for (const r of this.d.roles) this.collapsedRoles.add(r.id);
      this.relayout();
    });
    bar.querySelector('#fit').addEventListener('click', () => this.fit());
    this.status = bar.querySelector('#graph-status');
    this.count = bar.querySelector('#search-count');
  }

  // The ELK graph of the current state. Ids: r<role> for a role, r<role>g<gpu> for a GPU of an
  // expanded role, <prefix>L<layer> for a layer, <prefix>n<i> for a node.
  elkGraph() {
    const d = this.d;
    const root = {
      id: 'root',
      layoutOptions: { ...LAYERED, 'elk.hierarchyHandling': 'INCLUDE_CHILDREN' },
      children: [],
      edges: [],
    };
    this.items = new Map(); // elk id -> {type, role, i?, layer?, gpu?}
    this.parent = new Map(); // elk id -> its container's elk node
    this.parent.set('root', null);
    const seen = new Set();
    let count = 0;
    // An edge lives in the lowest box that holds both its ends (ELK's containment).
    const addEdge = (a, b) => {
      if (a === b) return;
      const k = a + '>' + b;
      if (seen.has(k)) return;
      seen.add(k);
      const up = new Set();
      for (let n = this.parent.get(a); n; n = this.parent.get(n.id)) up.add(n);
      let c = this.parent.get(b);
      while (c && !up.has(c)) c = this.parent.get(c.id);
      c = c ?? root;
      (c.edges ??= []).push({ id: 'e' + count++, sources: [a], targets: [b] });
    };
    this.addChild = (into, child) => {
      into.children.push(child);
      this.parent.set(child.id, into);
    };
    const drawn = new Map(); // role -> item of its local nodes, in the copy that other roles' edges reach
    for (const role of d.roles) {
      if (this.collapsedRoles.has(role.id)) {
        const id = 'r' + role.id;
        this.addChild(root, { id, width: 300, height: NODE_H + 8 });
        this.items.set(id, { type: 'role', role: role.id, collapsed: true });
        drawn.set(role.id, () => id);
        continue;
      }
      const gpus = this.gpuRoles.has(role.id);
      const box = { id: 'r' + role.id, children: [], layoutOptions: { 'elk.padding': '[top=30,left=12,bottom=12,right=12]' } };
      if (gpus) {
        // Its GPUs are laid out on their own and packed into rows: they share no edge.
        Object.assign(box.layoutOptions, LAYERED, { 'elk.hierarchyHandling': 'SEPARATE_CHILDREN', 'elk.aspectRatio': '2.0' });
      }
      this.items.set(box.id, { type: 'role', role: role.id });
      this.addChild(root, box);
      const copies = gpus ? role.gpus.map((g) => ({ prefix: 'r' + role.id + 'g' + g, gpu: g })) : [{ prefix: 'r' + role.id, gpu: null }];
      for (const c of copies) {
        let into = box;
        if (c.gpu != null) {
          into = { id: c.prefix, children: [], layoutOptions: { ...LAYERED, 'elk.padding': '[top=26,left=8,bottom=8,right=8]', 'elk.hierarchyHandling': 'INCLUDE_CHILDREN' } };
          this.items.set(into.id, { type: 'gpu', role: role.id, gpu: c.gpu });
          this.addChild(box, into);
        }
        const itemOf = this.content(role, c.prefix, c.gpu, into);
        for (const [a, b] of role.pairs) addEdge(itemOf(a), itemOf(b));
      }
      // Edges from other roles reach a role drawn as its GPUs at its box (its GPUs are laid out apart).
      drawn.set(role.id, gpus ? () => box.id : this.lastItemOf);
    }
    for (const role of d.roles) {
      const here = drawn.get(role.id);
      for (const [fromRole, from, to] of role.crossEdges) {
        const there = drawn.get(fromRole);
        if (there) addEdge(there(from), here(to));
      }
    }
    this.edgeCount = count;
    return root;
  }

  // Adds a role's program (one copy) into `box`; returns the map from local node index to its drawn item.
  content(role, prefix, gpu, box) {
    const d = this.d;
    const item = new Array(role.size);
    const layerBoxes = new Map();
    for (let i = 0; i < role.size; i++) {
      const l = role.nodes.layer[i];
      if (l >= 0 && !this.expandedLayers.has(role.id + ':' + l)) {
        const id = prefix + 'L' + l;
        if (!layerBoxes.has(l)) {
          const n = role.layers.get(l).length;
          this.addChild(box, { id, width: LAYER_W, height: NODE_H + 4, labels: [{ text: `layer ${l} (${n} ops)` }] });
          this.items.set(id, { type: 'layer', role: role.id, layer: l, gpu, collapsed: true });
          layerBoxes.set(l, id);
        }
        item[i] = id;
        continue;
      }
      let into = box;
      if (l >= 0) {
        const id = prefix + 'L' + l;
        if (!layerBoxes.has(l)) {
          const lb = { id, children: [], layoutOptions: { 'elk.padding': '[top=24,left=8,bottom=8,right=8]' } };
          this.addChild(box, lb);
          this.items.set(id, { type: 'layer', role: role.id, layer: l, gpu, collapsed: false, box: lb });
          layerBoxes.set(l, id);
        }
        into = this.items.get(id).box;
      }
      const name = d.strings[role.nodes.name[i]];
      const label = shortName(name) + (d.training && role.nodes.mb[i] > 0 ? ' mb' + role.nodes.mb[i] : '');
      const op = d.strings[role.nodes.op[i]];
      const width = Math.max(70, 6.2 * Math.max(label.length, op.length) + 22);
      const id = prefix + 'n' + i;
      this.addChild(into, { id, width, height: NODE_H });
      this.items.set(id, { type: 'node', role: role.id, i, gpu, label, op });
      item[i] = id;
    }
    this.lastItemOf = (i) => item[i];
    return this.lastItemOf;
  }

  async relayout() {
    const graph = this.elkGraph();
    const nodes = this.items.size;
    this.status.textContent = `laying out ${nodes} boxes...`;
    this.svg.classList.add('busy');
    const t0 = performance.now();
    const laid = await (await this.elk).layout(graph);
    this.layoutCount++;
    this.status.textContent = `${nodes} boxes, ${this.edgeCount} edges; layout ${Math.round(performance.now() - t0)} ms`;
    this.svg.classList.remove('busy');
    this.draw(laid);
    this.decorate();
    if (this.layoutCount === 1) this.fit();
    this.svg.setAttribute('data-layouts', String(this.layoutCount));
  }

  draw(laid) {
    const g = this.g;
    while (g.firstChild) g.removeChild(g.firstChild);
    const edgesG = el('g', { class: 'edges' });
    const nodesG = el('g', { class: 'nodes' });
    g.appendChild(nodesG);
    g.appendChild(edgesG);
    this.abs = new Map();
    this.elements = new Map(); // elk id -> element
    const walk = (n, ox, oy) => {
      for (const c of n.children ?? []) {
        const x = ox + c.x;
        const y = oy + c.y;
        this.abs.set(c.id, { x, y });
        this.drawItem(nodesG, c, x, y);
        walk(c, x, y);
      }
    };
    this.abs.set('root', { x: 0, y: 0 });
    walk(laid, 0, 0);
    const edgesOf = (n) => {
      for (const e of n.edges ?? []) {
        const off = this.abs.get(e.container ?? n.id) ?? { x: 0, y: 0 };
        for (const s of e.sections ?? []) {
          const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => `${(p.x + off.x).toFixed(1)},${(p.y + off.y).toFixed(1)}`);
          edgesG.appendChild(el('polyline', { points: pts.join(' '), class: 'edge', 'marker-end': 'url(#arrow)' }));
        }
      }
      for (const c of n.children ?? []) edgesOf(c);
    };
    edgesOf(laid);
    const defs = el('defs', {});
    defs.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#666"/></marker>';
    g.appendChild(defs);
    this.bounds = { w: laid.width, h: laid.height };
  }

  drawItem(parent, c, x, y) {
    const it = this.items.get(c.id);
    const d = this.d;
    const g = el('g', { class: 'item ' + it.type, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`, 'data-id': c.id, 'data-role': it.role });
    if (it.gpu != null) g.setAttribute('data-gpu', it.gpu);
    parent.appendChild(g);
    this.elements.set(c.id, g);
    if (it.type === 'role' && it.collapsed) {
      const role = d.roles[it.role];
      g.appendChild(el('rect', { width: c.width, height: c.height, rx: 6, class: 'layer-collapsed role-collapsed' }));
      const t = el('text', { x: c.width / 2, y: c.height / 2 + 4, 'text-anchor': 'middle' });
      t.textContent = `role ${role.id}: GPUs ${role.gpusText} (${role.size} ops)`;
      g.appendChild(t);
      g.addEventListener('click', (e) => {
        e.stopPropagation();
        this.collapsedRoles.delete(role.id);
        this.relayout();
      });
      return;
    }
    if (it.type === 'role' || it.type === 'gpu' || (it.type === 'layer' && !it.collapsed)) {
      g.appendChild(el('rect', { width: c.width, height: c.height, rx: 4, class: 'box ' + it.type + '-box' }));
      const role = d.roles[it.role];
      let title;
      if (it.type === 'role') {
        title = `role ${role.id}: GPUs ${role.gpusText} (${role.gpus.length})` + (role.gpus.length > 1 ? (this.gpuRoles.has(role.id) ? '  [collapse GPUs]' : '  [expand to GPUs]') : '');
      } else if (it.type === 'gpu') {
        title = `GPU ${it.gpu}`;
      } else {
        title = `layer ${it.layer}  [collapse]`;
        g.setAttribute('data-layer', it.layer);
      }
      const t = el('text', { x: 8, y: it.type === 'role' ? 19 : 16, class: 'box-title' });
      t.textContent = title;
      g.appendChild(t);
      t.addEventListener('click', (e) => {
        e.stopPropagation();
        if (it.type === 'role' && role.gpus.length > 1) this.toggleGpus(role.id);
        else if (it.type === 'layer') this.toggleLayer(role.id, it.layer);
      });
      if (it.type === 'role') {
        const x = el('text', { x: c.width - 22, y: 19, class: 'box-title collapse-role' });
        x.textContent = '[\u2212]';
        x.addEventListener('click', (e) => {
          e.stopPropagation();
          this.collapsedRoles.add(role.id);
          this.relayout();
        });
        g.appendChild(x);
      }
      return;
    }
    if (it.type === 'layer') {
      g.setAttribute('data-layer', it.layer);
      g.appendChild(el('rect', { width: c.width, height: c.height, rx: 6, class: 'layer-collapsed' }));
      const t = el('text', { x: c.width / 2, y: c.height / 2 + 4, 'text-anchor': 'middle' });
      t.textContent = c.labels?.[0]?.text ?? `layer ${it.layer}`;
      g.appendChild(t);
      g.addEventListener('click', (e) => {
        e.stopPropagation();
        this.toggleLayer(it.role, it.layer);
      });
      return;
    }
    const role = d.roles[it.role];
    const n = node(d, role, it.i);
    g.setAttribute('data-i', it.i);
    if (n.coll) g.setAttribute('data-coll', n.coll);
    g.appendChild(shape(n.shape, c.width, c.height, n.fill, n.dashed));
    const t1 = el('text', { x: c.width / 2, y: 14, 'text-anchor': 'middle' });
    t1.textContent = it.label;
    const t2 = el('text', { x: c.width / 2, y: 27, 'text-anchor': 'middle', class: 'op' });
    t2.textContent = it.op;
    g.appendChild(t1);
    g.appendChild(t2);
    g.addEventListener('click', (e) => {
      e.stopPropagation();
      this.select({ role: it.role, i: it.i, gpu: it.gpu });
    });
  }

  toggleLayer(role, layer) {
    const k = role + ':' + layer;
    if (this.expandedLayers.has(k)) this.expandedLayers.delete(k);
    else this.expandedLayers.add(k);
    return this.relayout();
  }

  toggleGpus(role) {
    if (this.gpuRoles.has(role)) this.gpuRoles.delete(role);
    else this.gpuRoles.add(role);
    return this.relayout();
  }

  /** Selects a node: its details in the panel; a collective's members highlighted on every GPU drawn. */
  select(sel, from) {
    this.selected = sel;
    const role = this.d.roles[sel.role];
    const rows = details(this.d, role, sel.i, sel.gpu);
    this.panel.innerHTML = '<table>' + rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('') + '</table>';
    this.decorate();
    this.events.selected?.(sel, from ?? 'graph');
  }

  /** Reveals a node (from the timeline): expands its layer, lays out, selects it. */
  async reveal(role, i) {
    const l = this.d.roles[role].nodes.layer[i];
    if (l >= 0 && !this.expandedLayers.has(role + ':' + l)) {
      this.expandedLayers.add(role + ':' + l);
      await this.relayout();
    }
    this.collapsedRoles.delete(role);
    this.select({ role, i, gpu: null }, 'timeline');
    this.center('r' + role + 'n' + i);
  }

  /** Centres the view on a drawn item at scale 1. */
  center(id) {
    const at = this.abs?.get(id);
    if (!at) return;
    const r = this.svg.getBoundingClientRect();
    select(this.svg).call(this.zoom.transform, zoomIdentity.translate(r.width / 2 - at.x, r.height / 2 - at.y));
  }

  // Highlights: selection, a collective's members, search matches, the critical path.
  decorate() {
    if (!this.elements) return;
    const d = this.d;
    const q = this.query;
    let matches = 0;
    let hidden = 0;
    const sel = this.selected;
    let members = null;
    let key = null;
    if (sel) {
      const role = d.roles[sel.role];
      const gi = role.nodes.group[sel.i];
      if (role.nodes.coll[sel.i] >= 0 && gi >= 0) {
        members = new Set(d.groups[gi]);
        key = d.strings[role.nodes.name[sel.i]] + '#' + role.nodes.mb[sel.i];
      }
    }
    for (const [id, g] of this.elements) {
      const it = this.items.get(id);
      const role = d.roles[it.role];
      let match = false;
      let crit = false;
      let isSel = false;
      let member = false;
      if (it.type === 'node') {
        const name = d.strings[role.nodes.name[it.i]].toLowerCase();
        match = q !== '' && name.includes(q);
        crit = role.nodes.critical[it.i] === 1;
        isSel = sel != null && sel.role === it.role && sel.i === it.i && (sel.gpu == null || sel.gpu === it.gpu);
        if (members && it.gpu != null && members.has(it.gpu)) {
          member = d.strings[role.nodes.name[it.i]] + '#' + role.nodes.mb[it.i] === key;
        } else if (members && it.gpu == null && sel.role === it.role && sel.i === it.i) {
          member = true;
        }
        if (match) matches++;
      } else if (it.collapsed) {
        const idx = it.type === 'layer' ? role.layers.get(it.layer) : [...Array(role.size).keys()];
        for (const i of idx) {
          if (q !== '' && d.strings[role.nodes.name[i]].toLowerCase().includes(q)) {
            match = true;
            hidden++;
          }
          if (role.nodes.critical[i] === 1) crit = true;
        }
      }
      g.classList.toggle('match', match);
      g.classList.toggle('crit', this.showCritical && crit);
      g.classList.toggle('selected', isSel);
      g.classList.toggle('member', member);
    }
    this.count.textContent = q === '' ? '' : `${matches} shown` + (hidden ? `, ${hidden} in collapsed layers` : '');
    const shown = this.root.querySelectorAll('.item.member').length;
    this.svg.setAttribute('data-members', String(shown));
  }

  fit() {
    if (!this.bounds) return;
    const r = this.svg.getBoundingClientRect();
    const k = Math.min(2, 0.95 * Math.min(r.width / Math.max(1, this.bounds.w), r.height / Math.max(1, this.bounds.h)));
    const t = zoomIdentity.translate((r.width - this.bounds.w * k) / 2, 10).scale(k);
    select(this.svg).call(this.zoom.transform, t);
  }
}

/** ELK's worker: its source, embedded gzipped in base64, inflated into a Blob URL. */
async function workerUrl() {
  const bytes = Uint8Array.from(atob(elkWorkerSource), (c) => c.charCodeAt(0));
  const source = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
  return URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
}

function el(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** `layers.0.moe.all_to_all` -> `moe.all_to_all`: the name within its layer. */
function shortName(name) {
  const parts = name.split('.');
  if (parts[0] === 'layers' && parts.length > 2) return parts.slice(2).join('.');
  return parts.length > 2 ? parts.slice(-2).join('.') : name;
}

/** The seed's shapes: ellipse (communication), box, parallelogram (routing), diamond (norm), octagon (optimizer). */
function shape(kind, w, h, fill, dashed) {
  let e;
  const cls = 'shape' + (dashed ? ' dashed' : '');
  if (kind === 'ellipse') e = el('ellipse', { cx: w / 2, cy: h / 2, rx: w / 2, ry: h / 2 });
  else if (kind === 'parallelogram') e = el('polygon', { points: `8,0 ${w},0 ${w - 8},${h} 0,${h}` });
  else if (kind === 'diamond') e = el('polygon', { points: `${w / 2},0 ${w},${h / 2} ${w / 2},${h} 0,${h / 2}` });
  else if (kind === 'octagon') e = el('polygon', { points: `8,0 ${w - 8},0 ${w},8 ${w},${h - 8} ${w - 8},${h} 8,${h} 0,${h - 8} 0,8` });
  else e = el('rect', { width: w, height: h, rx: kind === 'box' ? 2 : 8 });
  e.setAttribute('fill', fill);
  e.setAttribute('class', cls);
  return e;
}
