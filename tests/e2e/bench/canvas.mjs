// Canvas bench (a measurement, not a test): see tests/e2e/bench/run.sh, which provides
// DISPLAY, the D-Bus session and HOOKBOARD_E2E_APP. Prints three figures against the goals
// and exits 0 whatever they are (1 only when it could not measure at all).
//
// 1. memory: a fresh data folder, first start (the demo workspace opens), 10 s idle, then the
//    sum of the PSS (proportional set size: each page shared between processes, like the
//    WebKit libraries, divided among them) of the app process and every process below it
//    (WebKitWebProcess, WebKitNetworkProcess, ...), found by walking the parent pids in
//    /proc/*/stat; the sum of their RSS, which counts a shared page once per process, is
//    printed too;
// 2. render: the 1,000-node bundle (make-bundle.mjs) is imported through the Import button
//    (HOOKBOARD_DIALOG_PATH), then, in the page, the workflow's sidebar entry is clicked and
//    every requestAnimationFrame counts the workflow's nodes React Flow shows (rendered and
//    measured, i.e. not `visibility: hidden`), or, zoomed out, the nodes the app's overview
//    canvas drew; the time is from the click to the first frame
//    where that count reached its final value (unchanged for 30 frames after);
// 3. panning: in the page, a mouse drag on the React Flow pane (synthetic mousedown, one
//    mousemove per frame, mouseup: what d3-zoom pans on) swings the view left and right for
//    3 s while requestAnimationFrame callbacks are counted; once at the zoom the app opens the
//    workflow with (fit to all) and once at 100 %.
// The same render and pan measures run first on a 6-node workflow of the same bundle: the
// baseline, what this machine (Xvfb, software rendering, other load) costs by itself.
// HOOKBOARD_BENCH_COLUMNS=N measures a smaller graph of the same shape (1 + 27 * N nodes).
// The app runs as on a machine without a GPU (HOOKBOARD_GPU=0: WebKit paints on the CPU, see
// src-tauri/src/webview.rs), which WebDriver alone would not give it; HOOKBOARD_GPU=1 measures
// WebKit's default (compositing on Mesa's software OpenGL under Xvfb). Without compositing
// WebKitGTK answers no WebDriver screenshot, so the screenshot is then taken of the X display
// with ImageMagick's `import`.
// Each measure runs in the page and leaves its result there; WebDriver polls for it, so no
// request stays open while the page is busy (a busy page answers nothing).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { remote } from "webdriverio";
import { application, repo, sleep, startDriver, stopDriver, tid } from "../lib/harness.js";
import { benchBundle, COLUMNS as DEFAULT_COLUMNS } from "./make-bundle.mjs";

const IDLE_MS = 10_000;
// A smaller graph of the same shape, to see how the figures grow (1 + 27 * columns nodes).
const COLUMNS = Number(process.env.HOOKBOARD_BENCH_COLUMNS ?? DEFAULT_COLUMNS);
const PAN_MS = 3_000;
const GOALS = { renderMs: 1000, fps: 50, memoryMb: 250 };
const GPU = process.env.HOOKBOARD_GPU ?? "0";

// ---- memory: /proc ------------------------------------------------------------------------

/** Every process: pid -> { ppid, comm, rssKb, pssKb }. */
function processes() {
  const all = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split at the last ')'.
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      const ppid = Number(fields[1]);
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      let pssKb = null;
      try {
        pssKb = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/smaps_rollup`, "utf8"))?.[1] ?? NaN);
      } catch {
        // smaps_rollup is not readable (another user's process, old kernel).
      }
      all.set(Number(name), { pid: Number(name), ppid, comm, rssKb, pssKb });
    } catch {
      // The process ended while we read it.
    }
  }
  return all;
}

/** `root` and every process below it. */
function tree(all, root) {
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    const p = all.get(pid);
    if (!p) continue;
    out.push(p);
    for (const q of all.values()) if (q.ppid === pid) queue.push(q.pid);
  }
  return out;
}

/** The app's process (below tauri-driver / WebKitWebDriver) and its children. */
function appMemory(driverPid) {
  const all = processes();
  const base = application.split("/").pop().slice(0, 15); // comm is cut at 15 characters
  const app = tree(all, driverPid).find((p) => p.comm === base);
  if (!app) throw new Error(`no "${base}" process below tauri-driver (pid ${driverPid})`);
  const procs = tree(all, app.pid);
  const rssKb = procs.reduce((s, p) => s + p.rssKb, 0);
  const pssKb = procs.every((p) => p.pssKb !== null) ? procs.reduce((s, p) => s + p.pssKb, 0) : null;
  return { procs, rssKb, pssKb };
}

// ---- in the page --------------------------------------------------------------------------

/**
 * Clicks the workflow's sidebar entry and counts, every frame, its nodes React Flow shows.
 * Runs in the page; the result lands in window.__hookboardBench.render (see `measure`).
 */
function renderInPage(workflow, prefix) {
  const state = (window.__hookboardBench = { render: { done: false, count: 0 } });
  const done = (result) => Object.assign(state.render, result, { done: true });
  const button = document.querySelector(`[data-testid="workflow-${workflow}"]`);
  if (!button) return done({ error: `no sidebar entry for ${workflow}` });
  const shown = () => {
    // Zoomed out, the app draws the workflow on one canvas instead of React Flow's nodes
    // (ui/src/components/canvas/CanvasOverview.tsx), which says how many nodes it drew.
    const overview = document.querySelector('[data-testid="canvas-overview"]');
    if (overview) return Number(overview.dataset.drawn ?? 0);
    let n = 0;
    for (const el of document.querySelectorAll(`.react-flow__node[data-id^="${prefix}"]`)) {
      if (el.style.visibility !== "hidden") n++;
    }
    return n;
  };
  const t0 = performance.now();
  button.click();
  let first = null;
  let count = 0;
  let changedAt = null;
  let sameFrames = 0;
  let frames = 0;
  const changes = [];
  const tick = () => {
    const now = performance.now();
    frames++;
    const n = shown();
    if (n > 0 && first === null) first = now - t0;
    state.render.count = n;
    state.render.frames = frames;
    if (n !== count) {
      changes.push(`${Math.round(now - t0)} ms: ${n}`);
      count = n;
      changedAt = now - t0;
      sameFrames = 0;
    } else if (n > 0) {
      sameFrames++;
    }
    if (n > 0 && sameFrames >= 30) {
      return done({
        firstMs: first,
        settledMs: changedAt,
        nodesShown: n,
        changes: changes.join(", "),
        nodesInDom: document.querySelectorAll(".react-flow__node").length,
        edgesInDom: document.querySelectorAll(".react-flow__edge").length,
        frames,
        transform: document.querySelector(".react-flow__viewport")?.style.transform ?? null,
      });
    }
    if (now - t0 > 600000) return done({ error: `after 600 s, ${n} nodes shown`, firstMs: first });
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return "started";
}

/** Counts frames for `ms` without touching anything (the frame rate's ceiling). */
function idleFramesInPage(ms) {
  const state = (window.__hookboardBench = { idle: { done: false } });
  const done = (result) => Object.assign(state.idle, result, { done: true });
  let frames = 0;
  const t0 = performance.now();
  const tick = (now) => {
    frames++;
    if (now - t0 < ms) requestAnimationFrame(tick);
    else done({ frames, ms: performance.now() - t0 });
  };
  requestAnimationFrame(tick);
  return "started";
}

/**
 * Drags the pane left and right (amplitude `amp` px, one swing per 1.5 s) for `ms`, one
 * mousemove per frame, and counts the frames and their intervals.
 */
function panInPage(ms, amp) {
  const state = (window.__hookboardBench = { pan: { done: false } });
  const done = (result) => Object.assign(state.pan, result, { done: true });
  const pane = document.querySelector(".react-flow__pane");
  const viewport = document.querySelector(".react-flow__viewport");
  if (!pane || !viewport) return done({ error: "no React Flow pane" });
  const r = pane.getBoundingClientRect();
  const cx = r.left + r.width / 2;
  const cy = r.top + r.height / 2;
  const fire = (target, type, x, y) =>
    target.dispatchEvent(
      new MouseEvent(type, {
        bubbles: true,
        cancelable: true,
        view: window,
        clientX: x,
        clientY: y,
        screenX: x,
        screenY: y,
        button: 0,
        buttons: type === "mouseup" ? 0 : 1,
      }),
    );
  const before = viewport.style.transform;
  const transforms = new Set();
  const intervals = [];
  let frames = 0;
  let last = null;
  let t0 = null;
  fire(pane, "mousedown", cx, cy);
  const tick = (now) => {
    if (t0 === null) t0 = now;
    if (last !== null) intervals.push(now - last);
    last = now;
    frames++;
    transforms.add(viewport.style.transform);
    const t = now - t0;
    if (t >= ms) {
      fire(window, "mouseup", cx, cy);
      intervals.sort((a, b) => a - b);
      const elapsed = performance.now() - t0;
      return done({
        frames,
        ms: elapsed,
        fps: ((frames - 1) * 1000) / (last - t0 || 1),
        p50: intervals[Math.floor(intervals.length * 0.5)] ?? null,
        p95: intervals[Math.floor(intervals.length * 0.95)] ?? null,
        max: intervals[intervals.length - 1] ?? null,
        longFrames: intervals.filter((i) => i > 1000 / 30).length,
        distinctTransforms: transforms.size,
        before,
        after: viewport.style.transform,
        nodesInDom: document.querySelectorAll(".react-flow__node").length,
      });
    }
    // Pointer moves a few pixels first (d3-zoom starts panning on the first move), then swings.
    const dx = amp * Math.sin((2 * Math.PI * t) / 1500);
    fire(window, "mousemove", cx + dx, cy + 0.3 * dx);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return "started";
}

/** Zooms (a wheel event on the pane, as a trackpad or mouse wheel does) to `target` zoom. */
function zoomToInPage(target) {
  const viewport = document.querySelector(".react-flow__viewport");
  const pane = document.querySelector(".react-flow__pane");
  const k = Number(/scale\(([^)]+)\)/.exec(viewport.style.transform)?.[1] ?? 1);
  const r = pane.getBoundingClientRect();
  // d3-zoom: k' = k * 2^(-deltaY * 0.002) for pixel deltas.
  const deltaY = -Math.log2(target / k) / 0.002;
  pane.dispatchEvent(
    new WheelEvent("wheel", {
      bubbles: true,
      cancelable: true,
      view: window,
      clientX: r.left + r.width / 2,
      clientY: r.top + r.height / 2,
      deltaY,
      deltaMode: 0,
    }),
  );
  return { from: k, deltaY };
}

/**
 * Starts an in-page measurement (it returns at once and leaves its result in
 * window.__hookboardBench[key]) and polls for the result, so no WebDriver request stays open
 * while the page is busy.
 */
async function measure(browser, key, fn, args, { firstPollMs = 200, timeoutMs = 600000 } = {}) {
  await browser.execute(fn, ...args);
  await sleep(firstPollMs);
  const t0 = Date.now();
  let last = null;
  for (;;) {
    last = await browser.execute((k) => window.__hookboardBench?.[k] ?? null, key);
    if (last?.done) return last;
    if (Date.now() - t0 > timeoutMs) return { ...last, error: `no result after ${timeoutMs} ms` };
    if (process.env.HOOKBOARD_BENCH_DEBUG) console.error(`bench: ${key}: ${JSON.stringify(last)}`);
    await sleep(250);
  }
}

// ---- the run ------------------------------------------------------------------------------

const results = { memory: null, render: null, pan: null, panZoom1: null, idle: null, notes: [] };

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "hookboard-bench-"));
  const bundlePath = join(dataDir, "bench.bundle.json");
  const bundle = benchBundle("bench", COLUMNS);
  results.size = { nodes: bundle.workflows[1].nodes.length, edges: bundle.workflows[1].edges.length };
  writeFileSync(bundlePath, JSON.stringify(bundle));
  const driver = await startDriver({ HOOKBOARD_DATA_DIR: dataDir, HOOKBOARD_DIALOG_PATH: bundlePath, HOOKBOARD_GPU: GPU });
  let browser = null;
  try {
    browser = await remote({
      hostname: "127.0.0.1",
      port: driver.port,
      logLevel: "error",
      waitforTimeout: 30000,
      connectionRetryTimeout: Number(process.env.HOOKBOARD_BENCH_TIMEOUT_MS ?? 600000),
      connectionRetryCount: 1,
      capabilities: { "wdio:enforceWebDriverClassic": true, "tauri:options": { application } },
    });
    await browser.setTimeout({ script: 60000 });
    const shown = async (id) => {
      const el = browser.$(tid(id));
      await el.waitForDisplayed({ timeout: 30000, timeoutMsg: `${tid(id)} not shown` });
      return el;
    };

    // 1. Memory: first start on a fresh data folder, the demo workflow open, 10 s idle.
    await shown("node-signup");
    console.error(`bench: demo workspace shown; idling ${IDLE_MS / 1000} s`);
    await sleep(IDLE_MS);
    results.memory = appMemory(driver.child.pid);

    // 2. Import the big bundle through the UI.
    await (await shown("import-bundle")).click();
    await browser.waitUntil(
      async () => (await browser.execute((s) => document.querySelector(s)?.textContent ?? "", tid("import-summary"))).includes("bench"),
      { timeout: 60000, timeoutMsg: "the import summary does not name the bench workflow" },
    );
    await (await shown("dialog-done")).click();
    await browser.$(tid("bundle-dialog")).waitForExist({ reverse: true, timeout: 30000 });
    await shown("workflow-bench");
    await shown("node-signup"); // the welcome workflow is open again
    await sleep(1000);
    // Baseline: the same measures on the 6-node workflow (what the machine itself costs).
    console.error("bench: bundle imported; opening the 6-node baseline");
    results.baseRender = await measure(browser, "render", renderInPage, ["bench-small", "t"]);
    await sleep(1000);
    results.basePan = await measure(browser, "pan", panInPage, [PAN_MS, 300], { firstPollMs: PAN_MS + 200 });
    await sleep(1000);
    console.error(`bench: opening the ${results.size.nodes}-node workflow`);

    // 3. Time from the click on the workflow to its nodes on the canvas.
    results.render = await measure(browser, "render", renderInPage, ["bench", "n0"]);
    if (results.render.error) throw new Error(`render: ${results.render.error}`);
    await sleep(1000);
    const screenshotPath = process.env.HOOKBOARD_BENCH_SCREENSHOT ?? join(repo, `tests/e2e/artifacts/bench-${results.size.nodes}.png`);
    mkdirSync(dirname(screenshotPath), { recursive: true });
    if (GPU === "0") {
      try {
        execFileSync("import", ["-window", "root", screenshotPath], { stdio: "ignore" });
        results.notes.push(`screenshot of the display: ${screenshotPath}`);
      } catch (err) {
        results.notes.push(`no screenshot: ImageMagick's import failed (${err.message})`);
      }
    } else {
      await browser.saveScreenshot(screenshotPath);
      results.notes.push(`screenshot of the workflow: ${screenshotPath}`);
    }
    const problems = await browser.execute(
      (a, b) => ({ empty: !!document.querySelector(a), text: document.querySelector(b)?.textContent ?? null }),
      tid("problems-empty"),
      ".problems, [data-testid^='problems']",
    );
    results.notes.push(`problems panel after opening: ${problems.empty ? "no problems" : JSON.stringify(problems.text)}`);

    // 4. Frames while panning: the view the workflow opens with, then at 100 %.
    results.idle = await measure(browser, "idle", idleFramesInPage, [1000], { firstPollMs: 1100 });
    results.pan = await measure(browser, "pan", panInPage, [PAN_MS, 300], { firstPollMs: PAN_MS + 200 });
    await sleep(500);
    results.zoom = await browser.execute(zoomToInPage, 1);
    await sleep(1000);
    results.panZoom1 = await measure(browser, "pan", panInPage, [PAN_MS, 300], { firstPollMs: PAN_MS + 200 });
    results.panZoom1.transformAfterZoom = results.panZoom1.before;
  } finally {
    if (browser) {
      try {
        await browser.deleteSession();
      } catch {
        // the app may be gone
      }
    }
    await stopDriver(driver);
    if (process.env.HOOKBOARD_E2E_KEEP) console.error(`bench: data folder kept: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

function report() {
  const fmt = (v, unit, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? "n/a" : `${v.toFixed(digits)} ${unit}`);
  const verdict = (v, ok) => (v === null || v === undefined || Number.isNaN(v) ? "not measured" : ok ? "met" : "MISSED");
  const r = results.render;
  const m = results.memory;
  const p = results.pan;
  const p1 = results.panZoom1;
  // The processes share the WebKit and GTK libraries: the sum of their PSS (each shared page
  // divided among the processes mapping it) is what they hold together; the sum of their RSS
  // counts each shared page once per process (printed below too).
  const memMb = m?.pssKb ? m.pssKb / 1024 : null;
  const rows = [
    [`render ${results.size?.nodes ?? "?"} nodes (click -> nodes shown)`, fmt(r?.settledMs, "ms"), `< ${GOALS.renderMs} ms`, verdict(r?.settledMs, r?.settledMs < GOALS.renderMs)],
    ["panning, fitted view (rAF callbacks / s, 3 s)", fmt(p?.fps, "fps", 1), `>= ${GOALS.fps} fps`, verdict(p?.fps, p?.fps >= GOALS.fps)],
    ["panning, zoom 100 % (rAF callbacks / s, 3 s)", fmt(p1?.fps, "fps", 1), `>= ${GOALS.fps} fps`, verdict(p1?.fps, p1?.fps >= GOALS.fps)],
    ["memory after 10 s idle, demo (sum PSS)", fmt(memMb, "MB", 1), `< ${GOALS.memoryMb} MB`, verdict(memMb, memMb < GOALS.memoryMb)],
  ];
  const head = ["measure", "value", "goal", "verdict"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log("");
  console.log(line(head));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
  console.log("");
  console.log(`app run with HOOKBOARD_GPU=${GPU} (${GPU === "0" ? "WebKit painting on the CPU" : "WebKit's default compositing"})`);
  if (r) {
    console.log(
      `render: first node shown after ${fmt(r.firstMs, "ms")}, all ${r.nodesShown} in view shown after ${fmt(r.settledMs, "ms")} ` +
        `(${r.nodesInDom} nodes and ${r.edgesInDom} edges in the DOM; viewport ${r.transform}); nodes shown by time: ${r.changes}`,
    );
  }
  const b = results.baseRender;
  if (b) console.log(`baseline, 6-node workflow: shown after ${fmt(b.settledMs, "ms")}` + (b.error ? ` (${b.error})` : ""));
  if (results.idle) console.log(`frame-rate ceiling, idle: ${((results.idle.frames * 1000) / results.idle.ms).toFixed(1)} fps`);
  for (const [label, q] of [["baseline pan, 6-node workflow", results.basePan], ["pan, fitted view", p], ["pan, zoom 100 %", results.panZoom1]]) {
    if (!q) continue;
    console.log(
      `${label}: ${q.fps?.toFixed(1)} fps over ${q.ms?.toFixed(0)} ms (${q.frames} frames; interval p50 ${q.p50?.toFixed(1)} ms, ` +
        `p95 ${q.p95?.toFixed(1)} ms, max ${q.max?.toFixed(1)} ms, ${q.longFrames} over 33 ms; ${q.distinctTransforms} distinct ` +
        `viewport transforms; ${q.nodesInDom} nodes in the DOM; ${q.before} -> ${q.after})`,
    );
  }
  if (m) {
    const list = m.procs.map((q) => `${q.comm}[${q.pid}] ${(q.rssKb / 1024).toFixed(1)} MB`).join(", ");
    console.log(`memory: ${list}; sum RSS ${(m.rssKb / 1024).toFixed(1)} MB` + (m.pssKb !== null ? `, sum PSS ${(m.pssKb / 1024).toFixed(1)} MB` : ""));
  }
  for (const note of results.notes) console.log(note);
}

let failed = null;
try {
  await main();
} catch (err) {
  failed = err;
  console.error(`bench: stopped early: ${err?.stack ?? err}`);
}
report();
const measured = results.memory || results.render || results.pan;
const status = measured ? 0 : 1;
if (process.env.HOOKBOARD_BENCH_STATUS) writeFileSync(process.env.HOOKBOARD_BENCH_STATUS, `${status}\n`);
process.exit(status);
