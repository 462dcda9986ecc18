// The backprop playground's page. It computes nothing about the network: every number it
// shows comes from the server (bp.Network, net.fit, bp.explain) over one WebSocket. This
// script sends what the user does, and draws what comes back.
//
// Messages (see backprop/playground/session.py): the page sends {type: "config", config},
// "epoch", "step", "reset", "rewind", "explain", "apply_step", "set_weight", "state"; the
// server answers "hello" (once), "state" (settings, data, network shape and a frame),
// "frame" (weights, grids, history), "trace" (an explained step) or "error".
"use strict";

const COLORS = { negative: [245, 147, 34], positive: [8, 119, 189], white: [255, 255, 255] };
// Class colours beyond two (the first two are the negative and positive colours).
const CLASS_COLORS = [
  [245, 147, 34], [8, 119, 189], [34, 160, 90], [180, 60, 180], [200, 60, 60], [100, 100, 100],
];

// Everything the page knows. Tests read it as window.playground.
const app = {
  socket: null,
  token: null,
  options: null,
  limits: null,
  config: null,        // the settings, as the server last confirmed them
  data: null,          // the points: {train: {x, y}, test: {x, y}, box, task, classes, axes}
  network: null,       // the shape: sizes, activations, names
  frame: null,         // the latest frame
  history: { epochs: [], metrics: {} },   // the server's History, kept in step with it
  playing: false,
  waiting: 0,          // requests sent and not yet answered
  nextId: 1,
  trace: null,
  replies: 0,          // replies received (tests wait on it)
  lastError: null,
  curveLegend: "",     // the text under the curves when none is hovered
};
window.playground = app;

const $ = (id) => document.getElementById(id);

// -- the connection ---------------------------------------------------------------------------

function connect() {
  app.socket = new WebSocket(`ws://${location.host}/ws`);
  app.socket.onmessage = (event) => receive(JSON.parse(event.data));
  app.socket.onclose = () => {
    app.playing = false;
    showMessage("The connection to the server closed: reload the page to start again.");
  };
}

function send(message) {
  message.id = app.nextId++;
  app.waiting += 1;
  app.socket.send(JSON.stringify(message));
}

function receive(reply) {
  // Only the answers to the page's requests carry their id (not the first hello and state).
  if (reply.id !== undefined) app.waiting = Math.max(0, app.waiting - 1);
  app.replies += 1;
  switch (reply.type) {
    case "hello": return hello(reply);
    case "state": return applyState(reply);
    case "frame": return applyFrame(reply);
    case "trace": return showTrace(reply);
    case "error": return showError(reply);
  }
}

function hello(reply) {
  app.token = reply.token;
  app.options = reply.options;
  app.limits = reply.limits;
  buildControls();
  $("download-model").href = `/download/${app.token}/model.npz`;
  $("download-script").href = `/download/${app.token}/train_playground.py`;
  // A link with settings in its hash restores them (the data of an upload excepted).
  const saved = settingsFromHash();
  if (saved) send({ type: "config", config: saved });
}

function showError(reply) {
  app.lastError = reply.message;
  app.playing = false;
  updatePlayButton();
  showMessage(reply.message);
  if (app.config) showSettings(app.config);   // undo the control the server refused
}

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(showMessage.timer);
  showMessage.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

// -- the URL's hash: a link that restores the settings ----------------------------------------

function settingsFromHash() {
  if (location.hash.length < 2) return null;
  try {
    const settings = JSON.parse(decodeURIComponent(location.hash.slice(1)));
    if (settings.dataset === "csv") { delete settings.dataset; delete settings.columns; }
    return settings;
  } catch (error) {
    showMessage("The link's settings could not be read; starting from the defaults.");
    return null;
  }
}

function saveSettingsInHash(config) {
  const hash = "#" + encodeURIComponent(JSON.stringify(config));
  history.replaceState(null, "", hash);
  $("link").value = location.href;
}

// -- controls ---------------------------------------------------------------------------------

// Sends a change of settings; the server answers with the new state (or an error).
function configure(changes) {
  send({ type: "config", config: changes });
}

function buildControls() {
  fillSelect($("optimizer"), app.options.optimizers);
  fillSelect($("loss"), app.options.losses);
  fillSelect($("init"), app.options.inits);
  const datasets = $("datasets");
  datasets.replaceChildren();
  for (const name of app.options.datasets.filter((d) => d !== "csv")) {
    const button = document.createElement("button");
    button.textContent = name;
    button.dataset.dataset = name;
    button.onclick = () => configure({ dataset: name });
    datasets.append(button);
  }
  const features = $("features");
  features.replaceChildren();
  for (const name of app.options.features) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.feature = name;
    box.onchange = () => {
      const chosen = [...features.querySelectorAll("input:checked")].map((b) => b.dataset.feature);
      configure({ features: chosen });
    };
    label.append(box, " " + name.replace("^2", "²").replace("*", "·"));
    features.append(label);
  }
  // Number fields and selects send their setting when changed.
  for (const id of ["lr", "batch_size", "l2", "seed", "grid"]) {
    $(id).onchange = () => configure({ [id]: Number($(id).value) });
  }
  for (const id of ["optimizer", "loss", "init"]) {
    $(id).onchange = () => configure({ [id]: $(id).value });
  }
  for (const [id, out] of [["noise", "noise-value"], ["test_ratio", "test-ratio-value"]]) {
    $(id).oninput = () => { $(out).textContent = $(id).value; };
    $(id).onchange = () => configure({ [id]: Number($(id).value) });
  }
  for (const id of ["col-x1", "col-x2", "col-target"]) {
    $(id).onchange = () => configure({
      columns: [$("col-x1").value, $("col-x2").value, $("col-target").value],
    });
  }
  $("regenerate").onclick = () => configure({ data_seed: app.config.data_seed + 1 });
  $("add-layer").onclick = () => {
    if (app.config.hidden.length < app.limits.max_hidden_layers) {
      configure({ hidden: [...app.config.hidden, 4] });
    }
  };
  $("remove-layer").onclick = () => configure({ hidden: app.config.hidden.slice(0, -1) });
  $("play").onclick = () => { app.playing = !app.playing; updatePlayButton(); playOn(); };
  $("epoch-button").onclick = () => { stop(); send({ type: "epoch" }); };
  $("step-button").onclick = () => { stop(); send({ type: "step" }); };
  $("reset").onclick = () => { stop(); send({ type: "reset" }); };
  $("rewind").onclick = () => { stop(); send({ type: "rewind" }); };
  $("apply-step").onclick = () => { stop(); send({ type: "apply_step" }); };
  $("close-trace").onclick = () => { $("trace-panel").hidden = true; };
  $("show-test").onchange = () => drawPlane();
  $("upload").onchange = upload;
  $("copy-link").onclick = copyLink;
  $("plane").onclick = clickPlane;
  $("plane").onmousemove = hoverPlane;
  $("plane").onmouseleave = hideTip;
  app.curveLegend = $("curve-tip").textContent;
  for (const id of ["curves", "score-curves"]) {
    $(id).onmousemove = hoverCurves;
    $(id).onmouseleave = showCurveLegend;
  }
  $("editor-value").onkeydown = editorKey;
}

function fillSelect(select, names) {
  select.replaceChildren(...names.map((name) => new Option(name, name)));
}

function stop() {
  app.playing = false;
  updatePlayButton();
}

function updatePlayButton() {
  $("play").textContent = app.playing ? "⏸ Pause" : "▶ Play";
}

// While playing, one epoch is asked for at a time: the next as soon as a frame arrives, so the
// server trains it while the page draws this one. The server is never asked faster than the
// page draws, and pausing takes effect at once.
function playOn() {
  if (app.playing && app.waiting === 0) send({ type: "epoch" });
}

// Shows the settings the server confirmed in the controls.
function showSettings(config) {
  for (const id of ["lr", "batch_size", "l2", "seed", "grid", "optimizer", "loss", "init"]) {
    $(id).value = config[id];
  }
  $("noise").value = config.noise;
  $("noise-value").textContent = config.noise;
  $("test_ratio").value = config.test_ratio;
  $("test-ratio-value").textContent = config.test_ratio;
  for (const button of $("datasets").children) {
    button.classList.toggle("chosen", button.dataset.dataset === config.dataset);
  }
  for (const box of $("features").querySelectorAll("input")) {
    box.checked = config.features.includes(box.dataset.feature);
    box.parentElement.classList.toggle("chosen", box.checked);
  }
  const csv = config.dataset === "csv";
  $("csv-columns").hidden = !csv;
  $("noise").disabled = csv;
  if (csv && config.columns) {
    for (const [id, value] of [["col-x1", config.columns[0]], ["col-x2", config.columns[1]],
                               ["col-target", config.columns[2]]]) {
      fillSelect($(id), app.csvColumns || []);
      $(id).value = value;
    }
  }
}

// -- state and frames -------------------------------------------------------------------------

function applyState(reply) {
  app.config = reply.config;
  app.data = reply.data;
  app.network = reply.network;
  app.csvColumns = reply.csv_columns;
  app.history = { epochs: [], metrics: {} };
  showCurveLegend();  // the numbers of an epoch hovered before are another history's
  showSettings(app.config);
  saveSettingsInHash(app.config);
  $("score-name").textContent = app.data.task === "regression" ? "R²" : "accuracy";
  $("trace-panel").hidden = true;
  app.trace = null;
  app.frame = reply.frame;
  buildNetwork();
  applyFrame(reply.frame);
}

function applyFrame(frame) {
  app.frame = frame;
  playOn();
  // The History's new epochs, appended where the server says they start.
  const h = frame.history;
  app.history.epochs.length = h.start;
  app.history.epochs.push(...h.epochs);
  for (const [key, values] of Object.entries(h.metrics)) {
    const kept = (app.history.metrics[key] || []).slice(0, h.start);
    app.history.metrics[key] = kept.concat(values);
  }
  $("epoch").textContent = frame.epoch;
  $("steps").textContent = frame.steps;
  drawPlane();
  updateNetwork();
  drawCurves();
  showMetrics();
}

// The numbers beside the curves: the History's last epoch (the curves' last point), or the
// loss now when single steps or edits came after it.
function showMetrics() {
  const m = app.history.metrics;
  const last = (key) => (m[key] && m[key].length ? m[key][m[key].length - 1] : null);
  const regression = app.data.task === "regression";
  const score = regression ? "r2" : "accuracy";
  const fresh = app.frame.steps === 0 && !app.frame.edited && app.history.epochs.length > 0;
  const cells = fresh
    ? [last("loss"), last("val_loss"), last(score), last("val_" + score)]
    : [app.frame.now.train.loss, app.frame.now.test.loss,
       app.frame.now.train[score], app.frame.now.test[score]];
  const ids = ["train-loss", "test-loss", "train-score", "test-score"];
  ids.forEach((id, k) => {
    const value = cells[k];
    $(id).textContent = value === null || value === undefined ? "–" : value.toFixed(4);
    $(id).dataset.value = value === null || value === undefined ? "" : String(value);
  });
}

// -- colours ------------------------------------------------------------------------------------

// t in [-1, 1]: orange through white to blue.
function diverging(t) {
  const s = Math.max(-1, Math.min(1, t));
  const end = s < 0 ? COLORS.negative : COLORS.positive;
  const a = Math.abs(s);
  return end.map((c, k) => Math.round(COLORS.white[k] + (c - COLORS.white[k]) * a));
}

// The same colours in a table of 256 steps, for painting thousands of pixels a frame.
const DIVERGING = new Uint8Array(256 * 3);
for (let k = 0; k < 256; k++) DIVERGING.set(diverging(k / 127.5 - 1), k * 3);

// Writes the diverging colour of t into an image's pixel at byte offset o.
function putDiverging(data, o, t) {
  const k = Math.max(0, Math.min(255, Math.round((t + 1) * 127.5))) * 3;
  data[o] = DIVERGING[k];
  data[o + 1] = DIVERGING[k + 1];
  data[o + 2] = DIVERGING[k + 2];
}

// The arrays the server sends as base64 text: its bytes, and float64 numbers (little-endian,
// as every browser's typed arrays are on the machines that run them).
function decodeBytes(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
  return bytes;
}

function decodeFloats(base64) {
  return new Float64Array(decodeBytes(base64).buffer);
}

// Writes the colour of grid point p, from the network's k outputs there, at byte offset o.
function putOutputColor(data, o, outputs, p, k) {
  if (app.data.task === "regression") {
    const [low, high] = targetRange();
    return putDiverging(data, o, ((outputs[p] - low) / (high - low || 1)) * 2 - 1);
  }
  if (k === 1) return putDiverging(data, o, outputs[p] * 2 - 1);   // one sigmoid: p of class 1
  let best = 0;
  for (let c = 1; c < k; c++) if (outputs[p * k + c] > outputs[p * k + best]) best = c;
  // The likeliest class's colour, paler the less sure the network is.
  const confidence = Math.max(0, (outputs[p * k + best] - 1 / k) / (1 - 1 / k)) * 0.8;
  const color = CLASS_COLORS[best % CLASS_COLORS.length];
  for (let c = 0; c < 3; c++) data[o + c] = Math.round(255 + (color[c] - 255) * confidence);
}

// The range of the regression targets, which the colours of values span.
function targetRange() {
  if (!app.data.range) {
    let low = Infinity, high = -Infinity;
    for (const v of app.data.train.y) { low = Math.min(low, v); high = Math.max(high, v); }
    app.data.range = [low, high];
  }
  return app.data.range;
}

// A regression value's colour: the training targets' range spans orange to blue.
function valueColor(y) {
  const [low, high] = targetRange();
  return diverging(((y - low) / (high - low || 1)) * 2 - 1);
}

function pointColor(y) {
  if (app.data.task === "regression") return valueColor(y);
  return CLASS_COLORS[y % CLASS_COLORS.length];
}

// An n x n picture drawn into a canvas, smoothed as it is scaled up; put(data, o, p) writes
// the colour of point p at byte offset o of the picture's pixels.
const smallCanvases = {};

function paintGrid(canvas, n, put) {
  if (!smallCanvases[n]) {
    smallCanvases[n] = document.createElement("canvas");
    smallCanvases[n].width = smallCanvases[n].height = n;
  }
  const small = smallCanvases[n];
  const context = small.getContext("2d");
  const image = context.createImageData(n, n);
  for (let p = 0; p < n * n; p++) {
    put(image.data, p * 4, p);
    image.data[p * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  const target = canvas.getContext("2d");
  target.imageSmoothingEnabled = true;
  target.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// -- the plane: boundary (or surface) and points -------------------------------------------------

function toPixel(point, canvas) {
  const [x0, x1, y0, y1] = app.data.box;
  return [((point[0] - x0) / (x1 - x0)) * canvas.width, ((y1 - point[1]) / (y1 - y0)) * canvas.height];
}

function drawPlane() {
  if (!app.frame) return;
  const canvas = $("plane");
  const grid = app.frame.grid;
  const outputs = decodeFloats(grid.outputs);
  paintGrid(canvas, grid.n, (data, o, p) => putOutputColor(data, o, outputs, p, grid.k));
  const context = canvas.getContext("2d");
  const parts = [["train", "#ffffff"]];
  if ($("show-test").checked) parts.push(["test", "#111827"]);
  for (const [part, stroke] of parts) {
    const { x, y } = app.data[part];
    for (let i = 0; i < x.length; i++) {
      const [px, py] = toPixel(x[i], canvas);
      context.beginPath();
      context.arc(px, py, 3.2, 0, 2 * Math.PI);
      context.fillStyle = `rgb(${pointColor(y[i]).join(",")})`;
      context.fill();
      context.strokeStyle = stroke;
      context.lineWidth = 1;
      context.stroke();
    }
  }
  if (app.trace) {   // ring the explained point
    const [px, py] = toPixel(app.data[app.trace.part].x[app.trace.index], canvas);
    context.beginPath();
    context.arc(px, py, 7, 0, 2 * Math.PI);
    context.strokeStyle = "#111827";
    context.lineWidth = 2;
    context.stroke();
  }
}

// The point drawn nearest the mouse (within 10 pixels), or null; and where the mouse is.
function pointAt(event) {
  const canvas = $("plane");
  const rect = canvas.getBoundingClientRect();
  const cx = ((event.clientX - rect.left) / rect.width) * canvas.width;
  const cy = ((event.clientY - rect.top) / rect.height) * canvas.height;
  let best = null;
  const parts = $("show-test").checked ? ["train", "test"] : ["train"];
  for (const part of parts) {
    app.data[part].x.forEach((point, index) => {
      const [px, py] = toPixel(point, canvas);
      const d = Math.hypot(px - cx, py - cy);
      if (d < 10 && (!best || d < best.d)) best = { part, index, d };
    });
  }
  return { best, cx: cx / canvas.width, cy: cy / canvas.height };
}

// A click on a point asks for the trace of a step on it.
function clickPlane(event) {
  const { best } = pointAt(event);
  if (best) {
    stop();
    send({ type: "explain", part: best.part, index: best.index });
  }
}

// Hovering the plane shows the point under the mouse, or the network's output there.
function hoverPlane(event) {
  const { best, cx, cy } = pointAt(event);
  const [x0, x1, y0, y1] = app.data.box;
  const [a, b] = app.data.axes;
  if (best) {
    const point = app.data[best.part].x[best.index];
    const y = app.data[best.part].y[best.index];
    const label = app.data.classes ? `class ${app.data.classes[y]}` : `target ${y}`;
    showTip(event, `${best.part} point ${best.index}: ${a} = ${point[0]}, ${b} = ${point[1]}, ` +
      `${label} (click to explain a step on it)`);
    return;
  }
  const grid = app.frame.grid;
  const column = Math.min(grid.n - 1, Math.max(0, Math.round(cx * (grid.n - 1))));
  const row = Math.min(grid.n - 1, Math.max(0, Math.round(cy * (grid.n - 1))));
  const outputs = decodeFloats(grid.outputs).slice((row * grid.n + column) * grid.k,
                                                     (row * grid.n + column + 1) * grid.k);
  const where = `${a} = ${(x0 + (column / (grid.n - 1)) * (x1 - x0)).toPrecision(4)}, ` +
    `${b} = ${(y1 - (row / (grid.n - 1)) * (y1 - y0)).toPrecision(4)}`;
  showTip(event, `${where}: output ${[...outputs].map((v) => v.toPrecision(4)).join(", ")}`);
}

// -- the network: neurons with heat maps, edges with weights -------------------------------------

// dx: the widest spacing of the columns (layers), narrowed to fit the panel (columnSpacing).
const LAYOUT = { dx: 110, top: 58, left: 70 };
let spacing = LAYOUT.dx;  // the columns' spacing of the network drawn now

function neuronSize(sizes) {
  const tallest = Math.max(...sizes);
  return Math.max(14, Math.min(40, Math.floor(420 / tallest) - 6));
}

function neuronPosition(layer, j, size) {
  return [LAYOUT.left + layer * spacing, LAYOUT.top + j * (size + 6)];
}

// As wide as the panel allows, up to LAYOUT.dx, but never narrower than a layer's head
// (its buttons and activation, size + 48 pixels): a deep network scrolls only when it must.
function columnSpacing(columns, size, available) {
  const fit = Math.floor((available - LAYOUT.left - size - 30) / Math.max(1, columns - 1));
  return Math.max(size + 52, Math.min(LAYOUT.dx, fit));
}

// The network's elements, built when its shape changes (a state) and updated by each frame.
function buildNetwork() {
  const box = $("network");
  const { sizes } = app.network;
  const size = neuronSize(sizes);
  spacing = columnSpacing(sizes.length, size, box.clientWidth);
  const width = LAYOUT.left + (sizes.length - 1) * spacing + size + 30;
  const height = LAYOUT.top + Math.max(...sizes) * (size + 6) + 20;
  box.replaceChildren();
  box.style.height = `${height}px`;
  const weightCount = app.frame.weights.flat(2).length;
  $("network-summary").textContent = `${sizes.join("-")} · ${app.network.loss} · ${weightCount} weights`;
  buildEdges(box, size, width, height);  // first, beneath the neurons
  buildInputs(box, size);
  buildNeurons(box, size);
  buildLayerHeads(box, size);
}

// The edges: each weight a curve, with a wider transparent twin that takes the mouse.
function buildEdges(box, size, width, height) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  app.edges = app.frame.weights.map((W, layer) => W.map((row, i) => row.map((_, j) => {
    const [x1, y1] = neuronPosition(layer, i, size);
    const [x2, y2] = neuronPosition(layer + 1, j, size);
    const bend = Math.min(40, spacing - size - 30);  // how far each end runs level (>= 22)
    const d = `M${x1 + size},${y1 + size / 2} C${x1 + size + bend},${y1 + size / 2} ` +
      `${x2 - bend},${y2 + size / 2} ${x2},${y2 + size / 2}`;
    const edge = document.createElementNS(svg.namespaceURI, "path");
    edge.setAttribute("d", d);
    edge.setAttribute("class", "edge");
    edge.setAttribute("stroke-opacity", "0.8");
    const hit = document.createElementNS(svg.namespaceURI, "path");
    hit.setAttribute("d", d);
    hit.setAttribute("class", "edge-hit");
    const name = app.network.weight_names[layer][i][j];
    Object.assign(hit.dataset, { layer, i, j, name });
    const value = () => app.frame.weights[layer][i][j];   // the weight now, not when built
    hit.onmousemove = (e) => showTip(e, `${name} = ${value()}  (layer ${layer}, ${i} → ${j})`);
    hit.onmouseleave = hideTip;
    hit.onclick = (e) => openEditor(e, { layer, i, j }, name, value());
    svg.append(edge, hit);
    return edge;
  })));
  box.append(svg);
}

// The inputs: each feature over the plane, named beside it.
function buildInputs(box, size) {
  app.inputs = app.network.inputs.map((name, i) => {
    const [x, y] = neuronPosition(0, i, size);
    const label = document.createElement("div");
    label.className = "input-name";
    label.style.left = `${x - 66}px`;
    label.style.top = `${y + size / 2 - 8}px`;
    label.style.width = "60px";
    label.textContent = name.replace("^2", "²").replace("*", "·");
    const div = document.createElement("div");
    div.className = "neuron input";
    div.style.left = `${x}px`;
    div.style.top = `${y}px`;
    div.style.width = div.style.height = `${size}px`;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 40;
    div.append(canvas);
    box.append(label, div);
    return canvas;
  });
}

// Hidden and output neurons: each a heat map of its output over the plane, and a bias.
function buildNeurons(box, size) {
  const { sizes } = app.network;
  app.neurons = [];
  for (let layer = 1; layer < sizes.length; layer++) {
    const column = [];
    for (let j = 0; j < sizes[layer]; j++) {
      const [x, y] = neuronPosition(layer, j, size);
      const div = document.createElement("div");
      div.className = "neuron";
      div.style.left = `${x}px`;
      div.style.top = `${y}px`;
      div.style.width = div.style.height = `${size}px`;
      div.dataset.neuron = app.network.neurons[layer][j];
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 40;
      div.append(canvas);
      let marker = null;
      if (app.frame.biases[layer - 1]) {
        marker = document.createElement("div");
        marker.className = "bias";
        const side = Math.min(10, Math.round(size / 3));  // a corner of the neuron, not all of it
        marker.style.width = marker.style.height = `${side}px`;
        marker.style.left = marker.style.bottom = `${-Math.round(side * 0.7)}px`;
        const name = app.network.bias_names[layer - 1][j];
        const value = () => app.frame.biases[layer - 1][j];
        marker.dataset.name = name;
        marker.onmousemove = (e) => showTip(e, `${name} = ${value()}`);
        marker.onmouseleave = hideTip;
        marker.onclick = (e) => openEditor(e, { layer: layer - 1, i: null, j }, name, value());
        div.append(marker);
      }
      box.append(div);
      column.push({ div, canvas, marker });
    }
    app.neurons.push(column);
  }
}

// Above each hidden layer: its activation, and buttons to add or remove a neuron.
function buildLayerHeads(box, size) {
  app.config.hidden.forEach((n, h) => {
    const [x] = neuronPosition(h + 1, 0, size);
    const head = document.createElement("div");
    head.className = "layer-head";
    head.style.left = `${x - 24}px`;
    head.style.top = "0px";
    head.style.width = `${size + 48}px`;
    const resized = (change) => app.config.hidden.map((m, k) => (k === h ? m + change : m));
    const minus = document.createElement("button");
    minus.textContent = "−";
    minus.title = "Remove a neuron";
    minus.onclick = () => n > 1 && configure({ hidden: resized(-1) });
    const plus = document.createElement("button");
    plus.textContent = "+";
    plus.title = "Add a neuron";
    plus.onclick = () => n < app.limits.max_neurons && configure({ hidden: resized(1) });
    const select = document.createElement("select");
    fillSelect(select, app.options.activations);
    select.value = app.config.activations[h];
    select.onchange = () => configure({
      activations: app.config.activations.map((a, k) => (k === h ? select.value : a)),
    });
    head.append(minus, ` ${n} `, plus, document.createElement("br"), select);
    box.append(head);
  });
}

// Each frame: the edges' colours and widths, the heat maps, the biases, the flags.
function updateNetwork() {
  const weights = app.frame.weights;
  let largest = 1e-9;
  for (const W of weights) for (const row of W) for (const w of row) largest = Math.max(largest, Math.abs(w));
  weights.forEach((W, layer) => W.forEach((row, i) => row.forEach((w, j) => {
    const edge = app.edges[layer][i][j];
    edge.setAttribute("stroke", `rgb(${(w < 0 ? COLORS.negative : COLORS.positive).join(",")})`);
    edge.setAttribute("stroke-width", (0.5 + 5 * Math.abs(w) / largest).toFixed(2));
  })));
  const maps = app.frame.grid.maps;   // the inputs' first, then the hidden neurons'
  app.inputs.forEach((canvas, i) => paintHeatMap(canvas, maps[i], "input"));
  const outputs = decodeFloats(app.frame.grid.outputs);
  const k = app.frame.grid.k;
  const flags = flaggedNeurons();
  let mapIndex = app.inputs.length;
  app.neurons.forEach((column, l) => column.forEach(({ div, canvas, marker }, j) => {
    const layer = l + 1;
    if (layer < app.network.sizes.length - 1) {
      paintHeatMap(canvas, maps[mapIndex++], app.network.activations[l]);
    } else {
      paintGrid(canvas, app.frame.grid.n, (data, o, p) => (k === 1
        ? putOutputColor(data, o, outputs, p, 1) : putDiverging(data, o, outputs[p * k + j] * 2 - 1)));
    }
    if (marker) marker.style.background = `rgb(${diverging(app.frame.biases[l][j]).join(",")})`;
    const flag = flags[`${l},${j}`];
    div.classList.toggle("dead", Boolean(flag && flag.flag === "dead"));
    div.classList.toggle("saturated", Boolean(flag && flag.flag === "saturated"));
    div.title = flag ? flag.text : "";
  }));
}

// A heat map of a neuron's output (or an input feature) over the plane, scaled to [-1, 1]
// for colouring: a sigmoid's [0, 1] stretched, an input by its largest size, the other
// activations' values as they are, clipped.
function paintHeatMap(canvas, map, activation) {
  const bytes = decodeBytes(map.bytes);
  const n = Math.round(Math.sqrt(bytes.length));
  const sigmoid = activation === "sigmoid";
  const scale = activation === "input" ? Math.max(Math.abs(map.low), Math.abs(map.high)) || 1 : 1;
  paintGrid(canvas, n, (data, o, p) => {
    const value = map.low + (bytes[p] / 255) * (map.high - map.low);
    putDiverging(data, o, sigmoid ? value * 2 - 1 : value / scale);
  });
}

// The flags of the last trace, by "layer,j".
function flaggedNeurons() {
  const flags = {};
  if (app.trace) for (const flag of app.trace.flags) flags[`${flag.layer},${flag.j}`] = flag;
  return flags;
}

// -- hover and edit ---------------------------------------------------------------------------

function showTip(event, text) {
  const tip = $("tooltip");
  tip.textContent = text;
  tip.style.left = `${event.clientX + 12}px`;
  tip.style.top = `${event.clientY + 12}px`;
  tip.hidden = false;
}

function hideTip() { $("tooltip").hidden = true; }

function openEditor(event, where, name, value) {
  stop();
  const editor = $("editor");
  editor.style.left = `${event.clientX}px`;
  editor.style.top = `${event.clientY}px`;
  editor.hidden = false;
  editor.where = where;
  $("editor-label").textContent = `${name} =`;
  $("editor-value").value = value;
  $("editor-value").focus();
  $("editor-value").select();
}

function editorKey(event) {
  if (event.key === "Escape") $("editor").hidden = true;
  if (event.key !== "Enter") return;
  const editor = $("editor");
  editor.hidden = true;
  send({ type: "set_weight", ...editor.where, value: Number($("editor-value").value) });
}

// -- loss curves ------------------------------------------------------------------------------

function drawCurves() {
  const m = app.history.metrics;
  const score = app.data.task === "regression" ? "r2" : "accuracy";
  drawLines($("curves"), m.loss || [], m.val_loss || [], null);
  drawLines($("score-curves"), m[score] || [], m["val_" + score] || [], 1);
}

// Training (black) and test (grey) values per epoch, from 0 (or the least value, when
// negative) up to ``top`` (or the greatest value).
function drawLines(canvas, train, test, top) {
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!train.length) return;
  const values = train.concat(test).filter(Number.isFinite);
  const high = top === null ? Math.max(...values) || 1 : top;
  const low = Math.min(0, ...values);
  const pad = 5;
  const x = (e) => pad + (e / Math.max(1, train.length - 1)) * (canvas.width - 2 * pad);
  const y = (v) => canvas.height - pad - ((v - low) / (high - low || 1)) * (canvas.height - 2 * pad);
  for (const [series, color] of [[test, "#9ca3af"], [train, "#111827"]]) {
    context.beginPath();
    series.forEach((v, e) => (e ? context.lineTo(x(e), y(v)) : context.moveTo(x(e), y(v))));
    context.strokeStyle = color;
    context.lineWidth = 1.5;
    context.stroke();
  }
}

// Hovering the curves shows the exact numbers of the nearest epoch.
function hoverCurves(event) {
  const m = app.history.metrics;
  if (!m.loss || !m.loss.length) return;
  const rect = event.currentTarget.getBoundingClientRect();
  const e = Math.round(((event.clientX - rect.left) / rect.width) * (m.loss.length - 1));
  const index = Math.max(0, Math.min(m.loss.length - 1, e));
  const parts = [`epoch ${app.history.epochs[index] + 1}`, `training loss ${m.loss[index]}`];
  if (m.val_loss) parts.push(`test loss ${m.val_loss[index]}`);
  for (const key of ["accuracy", "val_accuracy", "r2", "val_r2"]) {
    if (m[key]) parts.push(`${key} ${m[key][index]}`);
  }
  $("curve-tip").textContent = parts.join(" · ");
}

// The legend under the curves, where the hovered epoch's numbers are not shown.
function showCurveLegend() {
  $("curve-tip").textContent = app.curveLegend;
}

// -- explain a step ---------------------------------------------------------------------------

function showTrace(reply) {
  app.trace = reply;
  const panel = $("trace-panel");
  panel.hidden = false;
  $("trace-summary").textContent =
    `One gradient-descent step on ${reply.part} point ${reply.index}: ${reply.describe}. ` +
    `E ${reply.loss} → ${reply.loss_after}. The inputs i1, i2, … are the network's: the ` +
    "features of the standardised point. Beside each gradient, its finite-difference " +
    "estimate: nudge the weight, watch the loss. " + reply.caveat;
  const flags = $("trace-flags");
  flags.replaceChildren(...reply.flags.map((flag) => {
    const item = document.createElement("li");
    item.className = flag.flag;
    item.textContent = flag.text;
    return item;
  }));
  const tables = $("trace-tables");
  tables.replaceChildren();
  reply.sections.forEach((section, number) => {
    const title = document.createElement("h3");
    title.textContent = `${number + 1}. ${section.title}`;
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = section.note;
    const gradients = section.rows.some((row) => "estimate" in row);
    const table = document.createElement("table");
    table.dataset.stage = section.stage;
    const head = ["name", "index", "formula", "with numbers", "value"];
    if (gradients) head.push("finite difference");
    table.append(tableRow("th", head));
    for (const row of section.rows) {
      const cells = [row.symbol, row.where, row.formula, row.numbers, row.text];
      if (gradients) cells.push("estimate" in row ? row.estimate_text + (row.smooth ? "" : " (kink)") : "");
      const tr = tableRow("td", cells);
      tr.dataset.symbol = row.symbol;
      tr.dataset.value = String(row.value);
      tr.children[2].className = tr.children[3].className = "code";
      tr.children[4].className = "value";
      if (gradients && "estimate" in row) {
        tr.children[5].className = "estimate";
        tr.dataset.estimate = String(row.estimate);
      }
      table.append(tr);
    }
    tables.append(title, note, table);
  });
  drawPlane();
  updateNetwork();
  panel.scrollIntoView({ behavior: "instant", block: "nearest" });
}

function tableRow(tag, cells) {
  const tr = document.createElement("tr");
  for (const text of cells) {
    const cell = document.createElement(tag);
    cell.textContent = text;
    tr.append(cell);
  }
  return tr;
}

// -- upload and link --------------------------------------------------------------------------

async function upload() {
  const file = $("upload").files[0];
  if (!file) return;
  stop();
  if (file.size > app.limits.max_upload_bytes) {
    showMessage(`${file.name} has ${file.size} bytes: the playground takes CSV files of at ` +
      `most ${app.limits.max_upload_bytes} bytes (20 MB).`);
    return;
  }
  const response = await fetch(`/upload/${app.token}`, { method: "POST", body: file });
  const reply = await response.json();
  if (reply.type === "error") { showError(reply); return; }
  applyState(reply);
}

async function copyLink() {
  $("link").hidden = false;
  $("link").value = location.href;
  $("link").select();
  try { await navigator.clipboard.writeText(location.href); } catch (error) { /* shown instead */ }
}

connect();
