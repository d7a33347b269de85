// The plan's data as `pdagc --emit html` embeds it (one JSON object, columns per role), with the
// accessors the tabs share. Nothing here computes a figure: every number comes from the compiler.

export function load() {
  const el = document.getElementById('pdagc-plan');
  const d = JSON.parse(el.textContent);
  d.kindNames = d.collectiveKinds;
  for (const r of d.roles) {
    r.size = r.nodes.name.length;
    r.layers = new Map(); // layer -> [local index]
    for (let i = 0; i < r.size; i++) {
      const l = r.nodes.layer[i];
      if (l < 0) continue;
      if (!r.layers.has(l)) r.layers.set(l, []);
      r.layers.get(l).push(i);
    }
    // Edges as pairs of local indices.
    r.pairs = [];
    for (let k = 0; k + 1 < r.edges.length; k += 2) r.pairs.push([r.edges[k], r.edges[k + 1]]);
    r.byKey = new Map();
    for (let i = 0; i < r.size; i++) r.byKey.set(d.strings[r.nodes.name[i]] + '#' + r.nodes.mb[i], i);
  }
  d.roleOfGpu = new Map();
  for (const r of d.roles) for (const g of r.gpus) d.roleOfGpu.set(g, r.id);
  return d;
}

/** One node of a role as an object, for panels and tooltips. */
export function node(d, role, i) {
  const n = role.nodes;
  const style = d.styles[n.style[i]];
  return {
    role: role.id,
    i,
    name: d.strings[n.name[i]],
    op: d.strings[n.op[i]],
    layer: n.layer[i],
    mb: n.mb[i],
    shape: style[0],
    fill: style[1],
    dashed: style[2].includes('dashed'),
    inputs: d.strings[n.in[i]],
    output: d.strings[n.out[i]],
    coll: n.coll[i] < 0 ? null : d.kindNames[n.coll[i]],
    group: n.group[i] < 0 ? null : d.groups[n.group[i]],
    phase: n.phase[i] < 0 ? null : ['forward', 'backward', 'optimizer'][n.phase[i]],
    critical: n.critical[i] === 1,
    flops: n.flops[i],
    bytes: n.bytes[i],
    start: n.start[i],
    finish: n.finish[i],
  };
}

export function seconds(s) {
  if (s >= 1) return s.toFixed(3) + ' s';
  if (s >= 1e-3) return (s * 1e3).toFixed(3) + ' ms';
  return (s * 1e6).toFixed(3) + ' us';
}

export function bytes(b) {
  if (b >= 1e12) return (b / 1e12).toFixed(2) + ' TB';
  if (b >= 1e9) return (b / 1e9).toFixed(2) + ' GB';
  if (b >= 1e6) return (b / 1e6).toFixed(2) + ' MB';
  if (b >= 1e3) return (b / 1e3).toFixed(2) + ' KB';
  return b.toFixed(0) + ' bytes';
}

export function flops(f) {
  if (f >= 1e12) return (f / 1e12).toFixed(2) + ' TFLOP';
  if (f >= 1e9) return (f / 1e9).toFixed(2) + ' GFLOP';
  if (f >= 1e6) return (f / 1e6).toFixed(2) + ' MFLOP';
  if (f >= 1e3) return (f / 1e3).toFixed(2) + ' KFLOP';
  return f + ' FLOP';
}

/** GPU ids as ranges: 0-3,8. */
export function ranges(ids) {
  const out = [];
  for (let k = 0; k < ids.length; ) {
    let e = k;
    while (e + 1 < ids.length && ids[e + 1] === ids[e] + 1) e++;
    out.push(e > k ? ids[k] + '-' + ids[e] : String(ids[k]));
    k = e + 1;
  }
  return out.join(',');
}

/** The colour of a bar: computation, or its collective kind's. */
export function barFill(d, role, i) {
  const c = role.nodes.coll[i];
  if (c < 0) return d.colors.computation;
  const k = d.kindNames[c];
  if (k === 'send' || k === 'recv') return d.colors['send/recv'];
  return d.colors[k];
}

export function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

/** The details panel's text of a node. */
export function details(d, role, i, gpu) {
  const n = node(d, role, i);
  const rows = [
    ['node', n.name],
    ['op', n.op + (n.coll ? ' (collective)' : '')],
    ['GPU', gpu != null ? String(gpu) + ' (role ' + role.id + ')' : 'role ' + role.id + ': GPUs ' + role.gpusText],
    ['layer', n.layer < 0 ? '-' : String(n.layer)],
  ];
  if (d.training) rows.push(['phase', (n.phase ?? '-') + ', micro-batch ' + n.mb]);
  rows.push(['local shapes', n.inputs + ' -> ' + n.output]);
  if (n.coll) {
    rows.push(['bytes sent', bytes(n.bytes)]);
    if (n.group) rows.push(['members', n.group.length + ': GPUs ' + ranges(n.group)]);
  } else {
    rows.push(['FLOPs', flops(n.flops)]);
    rows.push(['HBM bytes', bytes(n.bytes)]);
  }
  rows.push(['time', seconds(n.finish - n.start) + ' (' + seconds(n.start) + ' to ' + seconds(n.finish) + ')']);
  if (n.critical) rows.push(['critical path', 'yes']);
  return rows;
}
