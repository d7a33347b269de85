// The plan viewer that `pdagc FILE --emit html` writes: three linked tabs (Graph, Timeline, Memory)
// over the plan's data embedded in the page. Marks `pdagc:interactive` (performance.mark) once the
// first view is drawn and answers input.
import css from './style.css';
import { load, esc } from './data.js';
import { GraphView } from './graph.js';
import { TimelineView } from './timeline.js';
import { MemoryView } from './memory.js';

function main() {
  const style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);
  const d = load();
  const app = document.getElementById('app');
  app.innerHTML = `<header><h1>${esc(d.title)}</h1>
    <div class="facts">${esc(d.source)} &middot; ${d.gpuCount} GPUs, ${d.roles.length} role${d.roles.length === 1 ? '' : 's'}, ${d.nodeCount} nodes &middot;
    ${esc(d.stepLabel)} <b id="step-figure">${esc(d.stepText)}</b></div>
    <nav><button data-tab="graph" class="active">Graph</button><button data-tab="timeline">Timeline</button><button data-tab="memory">Memory</button></nav></header>
    <main><section id="tab-graph" class="tab active"></section><section id="tab-timeline" class="tab"></section><section id="tab-memory" class="tab"></section>
    <aside id="details"><p class="hint">Click a node or a bar for its details.</p></aside></main>`;
  const panel = document.getElementById('details');
  const tabs = {};
  const drawn = new Set();
  const show = (name) => {
    for (const b of app.querySelectorAll('nav button')) b.classList.toggle('active', b.dataset.tab === name);
    for (const s of app.querySelectorAll('.tab')) s.classList.toggle('active', s.id === 'tab-' + name);
    if (!drawn.has(name) && tabs[name].draw) {
      drawn.add(name);
      tabs[name].draw();
    }
    document.body.dataset.tab = name;
  };
  const events = {
    selected: (sel, from) => {
      if (from !== 'timeline') tabs.timeline.highlight(sel);
    },
    reveal: async (role, i) => {
      show('graph');
      await tabs.graph.reveal(role, i);
    },
  };
  tabs.graph = new GraphView(d, document.getElementById('tab-graph'), panel, events);
  tabs.timeline = new TimelineView(d, document.getElementById('tab-timeline'), panel, events);
  tabs.memory = new MemoryView(d, document.getElementById('tab-memory'));
  for (const b of app.querySelectorAll('nav button')) b.addEventListener('click', () => show(b.dataset.tab));
  window.pdagcViewer = { data: d, tabs, show };
  drawn.add('graph');
  tabs.graph.relayout().then(() => {
    performance.mark('pdagc:interactive');
    document.body.dataset.ready = 'true';
  }).catch((e) => {
    console.error('pdagc viewer: layout failed', e);
  });
}

main();
