// SPDX-License-Identifier: MIT
// hv ui in the browser: the VM list (polled), actions (POST with the
// token in a header), the serial console (xterm.js) and the display
// (noVNC) over WebSockets, sparklines from /api/stats.
// xterm.js and noVNC load when a console or display first opens, so
// the VM list does not wait for them.
let xtermLoad, novncLoad;
const loadXterm = () => (xtermLoad ||= Promise.all([import('./lib/xterm/xterm.mjs'), import('./lib/xterm/addon-fit.mjs')]));
const loadNoVNC = () => (novncLoad ||= import('./lib/novnc/core/rfb.js'));

const POLL_MS = 2000;
const HISTORY = 150; // samples kept per VM: 5 minutes at POLL_MS

// The token comes once in the URL (as Jupyter's); it then lives in this
// tab's sessionStorage and leaves the address bar.
const params = new URLSearchParams(location.search);
if (params.get('token')) {
  sessionStorage.setItem('hv-token', params.get('token'));
  history.replaceState(null, '', '/');
}
const token = sessionStorage.getItem('hv-token') || '';
const $ = (id) => document.getElementById(id);
const hv = { term: null, rfb: null, ws: null, vm: null, stats: true, history: {} };
window.hv = hv; // for the browser tests

function status(msg) {
  $('status').textContent = msg || '';
}

async function api(method, path, body) {
  const headers = { 'X-HV-Token': token };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const reply = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(reply.error || r.statusText);
  return reply;
}

function wsURL(kind, name) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/${kind}/${encodeURIComponent(name)}?token=${encodeURIComponent(token)}`;
}

function button(label, onclick, action) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (action) b.dataset.action = action;
  b.addEventListener('click', onclick);
  return b;
}

async function act(name, action, body) {
  status(`${action} ${name}...`);
  try {
    await api('POST', `/api/vms/${encodeURIComponent(name)}/${action}`, body);
    status('');
  } catch (e) {
    status(`${action} ${name}: ${e.message}`);
  }
  refresh();
}

function sparkline(values, max) {
  const c = document.createElement('canvas');
  c.width = 80;
  c.height = 20;
  draw(c, values, max);
  return c;
}

function draw(canvas, values, max) {
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (!values || values.length < 2) return;
  const top = max || Math.max(...values, 1);
  g.strokeStyle = '#2a6fdb';
  g.beginPath();
  values.forEach((v, i) => {
    const x = (i / (HISTORY - 1)) * canvas.width;
    const y = canvas.height - (v / top) * (canvas.height - 2) - 1;
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
}

function row(vm) {
  const tr = document.createElement('tr');
  tr.dataset.vm = vm.name;
  tr.dataset.state = vm.state;
  const cell = (text, cls) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  };
  cell(vm.name, 'name');
  cell(vm.state, `state state-${vm.state}`).title = vm.reason || '';
  cell(String(vm.cpus));
  cell(`${vm.memory_mib} MiB`);
  cell(vm.ips.join(', '));
  const h = hv.history[vm.name] || newHistory();
  cell('').appendChild(sparkline(h.cpu, 100 * vm.cpus));
  cell('').appendChild(sparkline(h.rss, vm.memory_mib * 1048576 * 1.2));
  const td = cell('');
  const active = vm.state === 'running' || vm.state === 'paused';
  if (!active) td.appendChild(button('Start', () => act(vm.name, 'start'), 'start'));
  if (vm.state === 'running') td.appendChild(button('Pause', () => act(vm.name, 'pause'), 'pause'));
  if (vm.state === 'paused') td.appendChild(button('Resume', () => act(vm.name, 'resume'), 'resume'));
  if (active) {
    td.appendChild(button('Stop', () => act(vm.name, 'stop'), 'stop'));
    td.appendChild(button('Kill', () => {
      if (confirm(`Cut the power of ${vm.name}?`)) act(vm.name, 'kill');
    }, 'kill'));
    td.appendChild(button('Console', () => openConsole(vm.name), 'console'));
    if (vm.vnc) td.appendChild(button('Display', () => openDisplay(vm.name), 'display'));
  }
  td.appendChild(button('Snapshot', () => {
    const n = prompt(`Name of the new snapshot of ${vm.name}:`);
    if (n) act(vm.name, 'snapshot', { name: n });
  }, 'snapshot'));
  td.appendChild(button('Revert', async () => {
    const snaps = await api('GET', `/api/vms/${encodeURIComponent(vm.name)}/snapshots`).catch(() => []);
    const n = prompt(`Revert ${vm.name} to which snapshot? (${snaps.map((x) => x.name).join(', ') || 'none yet'})`);
    if (n) act(vm.name, 'revert', { name: n });
  }, 'revert'));
  if (!active) {
    td.appendChild(button('Clone', () => {
      const n = prompt(`Name of the clone of ${vm.name}:`);
      if (n) act(vm.name, 'clone', { name: n, linked: confirm('A linked clone (shares the base disk)?') });
    }, 'clone'));
    td.appendChild(button('Delete', () => {
      if (confirm(`Delete ${vm.name} and its disks?`)) act(vm.name, 'delete', { confirm: vm.name });
    }, 'delete'));
  }
  return tr;
}

const newHistory = () => ({ cpu: [], rss: [], disk: [], net: [] });
const sum = (arr, keys) => (arr || []).reduce((t, x) => t + keys.reduce((u, k) => u + (x[k] || 0), 0), 0);

function ctrRow(e) {
  const tr = document.createElement('tr');
  tr.dataset.ctr = e.name;
  for (const v of [e.name, e.state, (e.cpu_percent || 0).toFixed(1), `${Math.round((e.rss_bytes || 0) / 1048576)} MiB`]) {
    const td = document.createElement('td');
    td.textContent = v;
    tr.appendChild(td);
  }
  return tr;
}

async function pollStats() {
  if (!hv.stats) return;
  try {
    const entries = await api('GET', '/api/stats');
    const ctrs = [];
    for (const e of entries) {
      if (e.kind === 'container') { ctrs.push(e); continue; }
      const h = (hv.history[e.name] ||= newHistory());
      h.cpu.push(e.cpu_percent || 0);
      h.rss.push(e.guest_used_bytes ?? e.rss_bytes ?? 0); // the guest's own figure once it reports
      h.disk.push(sum(e.disks, ['read_bytes_per_s', 'write_bytes_per_s']));
      h.net.push(sum(e.nics, ['rx_bytes_per_s', 'tx_bytes_per_s']));
      for (const k of Object.keys(h)) if (h[k].length > HISTORY) h[k].shift();
    }
    $('ctrs').querySelector('tbody').replaceChildren(...ctrs.map(ctrRow));
    $('ctr-section').hidden = ctrs.length === 0;
  } catch (e) {
    hv.stats = false; // built without src/stats: no graphs
  }
}

async function refresh() {
  try {
    const vms = await api('GET', '/api/vms');
    const tbody = document.querySelector('#vms tbody');
    tbody.replaceChildren(...vms.map(row));
    $('empty').hidden = vms.length > 0;
    $('graphs').hidden = !hv.stats || !hv.vm;
    if (hv.vm && hv.stats) {
      const h = hv.history[hv.vm] || newHistory();
      draw($('g-cpu'), h.cpu);
      draw($('g-rss'), h.rss);
      draw($('g-disk'), h.disk);
      draw($('g-net'), h.net);
    }
  } catch (e) {
    status(e.message);
  }
}

function closeViewer() {
  if (hv.ws) hv.ws.close();
  if (hv.term) hv.term.dispose();
  if (hv.rfb) hv.rfb.disconnect();
  hv.ws = hv.term = hv.rfb = hv.vm = null;
  $('terminal').replaceChildren();
  $('screen').replaceChildren();
  $('viewer').hidden = true;
}

function openViewer(name, what) {
  closeViewer();
  hv.vm = name;
  $('viewer').hidden = false;
  $('viewer-title').textContent = `${name}: ${what}`;
  $('viewer-state').textContent = 'connecting...';
  $('terminal').hidden = what !== 'console';
  $('screen').hidden = what !== 'display';
  $('vnc-tools').hidden = what !== 'display';
}

async function openConsole(name) {
  openViewer(name, 'console');
  const [{ Terminal }, { FitAddon }] = await loadXterm();
  const term = new Terminal({ convertEol: false, scrollback: 5000, fontSize: 14 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open($('terminal'));
  fit.fit();
  hv.term = term;
  const ws = new WebSocket(wsURL('console', name));
  ws.binaryType = 'arraybuffer';
  hv.ws = ws;
  ws.onopen = () => { $('viewer-state').textContent = 'connected'; };
  ws.onmessage = (ev) => term.write(new Uint8Array(ev.data));
  ws.onclose = (ev) => {
    const why = ev.reason || `closed (${ev.code})`;
    $('viewer-state').textContent = why;
    term.write(`\r\n[${why}]\r\n`);
  };
  term.onData((d) => { if (ws.readyState === WebSocket.OPEN) ws.send(d); });
  term.focus();
}

// X keysyms for typing text into the display (Latin-1 maps to itself).
function keysym(ch) {
  if (ch === '\n') return 0xff0d;
  if (ch === '\t') return 0xff09;
  const c = ch.codePointAt(0);
  return c < 0x100 ? c : 0x01000000 + c;
}

async function openDisplay(name) {
  openViewer(name, 'display');
  const { default: RFB } = await loadNoVNC();
  const rfb = new RFB($('screen'), wsURL('vnc', name), { wsProtocols: ['binary'] });
  rfb.scaleViewport = true;
  hv.rfb = rfb;
  rfb.addEventListener('connect', () => { $('viewer-state').textContent = 'connected'; });
  rfb.addEventListener('disconnect', (e) => {
    $('viewer-state').textContent = e.detail.clean ? 'disconnected' : 'the display closed';
  });
}

$('close-viewer').addEventListener('click', closeViewer);
$('cad').addEventListener('click', () => hv.vm && act(hv.vm, 'ctrl-alt-del'));
$('paste').addEventListener('click', () => {
  if (!hv.rfb) return;
  for (const ch of $('paste-text').value) hv.rfb.sendKey(keysym(ch));
  $('paste-text').value = '';
});

$('create').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = {
    name: f.get('name'), cpus: Number(f.get('cpus')) || 1, memory: f.get('memory'), nic: f.get('nic'),
    graphics: f.get('graphics') === 'on',
  };
  for (const k of ['disk', 'image', 'ssh_key']) if (f.get(k)) body[k] = f.get(k);
  status(`creating ${body.name}...`);
  try {
    await api('POST', '/api/vms', body);
    status('');
    ev.target.reset();
  } catch (e) {
    status(`create ${body.name}: ${e.message}`);
  }
  refresh();
});

async function loadChoices() {
  const imgs = await api('GET', '/api/images').catch(() => []);
  const sel = document.querySelector('#create select[name="image"]');
  for (const i of imgs) sel.appendChild(new Option(`${i.name} (${i.os || 'image'})`, i.name));
  const nets = await api('GET', '/api/networks').catch(() => []);
  const nic = document.querySelector('#create select[name="nic"]');
  for (const n of nets) nic.appendChild(new Option(`network ${n.name} (${n.mode || ''})`, `network=${n.name}`));
}

if (!token) status('No token: open the URL hv ui printed.');
loadChoices();
pollStats();
refresh();
setInterval(async () => { await pollStats(); refresh(); }, POLL_MS);
