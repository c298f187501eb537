// The end-to-end harness: each story gets a fresh data folder, its own tauri-driver (on free
// ports, with HOOKBOARD_DATA_DIR and HOOKBOARD_DIALOG_PATH in its environment, which the app
// inherits) and a WebDriver session on the built app; a screenshot is saved per story.
//
// Needs (run.sh provides them): DISPLAY (Xvfb), a D-Bus session with an unlocked keyring,
// `tauri-driver` and `WebKitWebDriver` on PATH, and the app built with `custom-protocol`.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "../../..");
export const artifacts = process.env.HOOKBOARD_E2E_ARTIFACTS ?? join(repo, "tests/e2e/artifacts");
export const application = process.env.HOOKBOARD_E2E_APP ?? join(repo, "target/debug/hookboard");

/** How long a story waits for something to appear before failing. */
export const TIMEOUT_MS = Number(process.env.HOOKBOARD_E2E_TIMEOUT_MS ?? 15000);

/** A free TCP port on the loopback interface. */
function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

function portOpen(port) {
  return new Promise((ok) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      ok(true);
    });
    socket.once("error", () => ok(false));
  });
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Starts tauri-driver with the app's environment; resolves once it accepts connections. */
export async function startDriver(env) {
  const port = await freePort();
  const nativePort = await freePort();
  const log = [];
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined));
  const child = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: merged,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => log.push(String(d)));
  child.stderr.on("data", (d) => log.push(String(d)));
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(`tauri-driver exited (${JSON.stringify(exited)}):\n${log.join("")}`);
    if (await portOpen(port)) return { child, port, log };
    await sleep(100);
  }
  child.kill();
  throw new Error(`tauri-driver did not listen on port ${port}:\n${log.join("")}`);
}

/** Stops tauri-driver (and with it WebKitWebDriver) and waits until it has exited. */
export async function stopDriver(driver) {
  const { child } = driver;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once("exit", ok));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** A WebDriver session on the app: starting one launches the app, ending it closes the app. */
async function launch(driver) {
  const browser = await remote({
    hostname: "127.0.0.1",
    port: driver.port,
    logLevel: "error",
    waitforTimeout: TIMEOUT_MS,
    connectionRetryTimeout: 60000,
    connectionRetryCount: 1,
    capabilities: {
      // WebKitWebDriver speaks classic WebDriver only (no BiDi session).
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application },
    },
  });
  return browser;
}

/** `[data-testid="id"]`. */
export const tid = (id) => `[data-testid="${id}"]`;

/**
 * The story's view of the app: the WebDriver `browser`, helpers keyed by data-testid, and
 * `restart()` to close and reopen the app on the same data folder.
 */
class App {
  constructor(driver, browser, dataDir, dialogPath) {
    this.driver = driver;
    this.browser = browser;
    this.dataDir = dataDir;
    this.dialogPath = dialogPath;
  }

  /** The element with this data-testid (not waited for). */
  $(id) {
    return this.browser.$(tid(id));
  }

  /** Waits until the element with this data-testid is displayed, and returns it. */
  async shown(id, timeout = TIMEOUT_MS) {
    const el = this.$(id);
    await el.waitForDisplayed({ timeout, timeoutMsg: `[data-testid="${id}"] was not displayed within ${timeout} ms` });
    return el;
  }

  /** Waits until no element with this data-testid exists. */
  async gone(id, timeout = TIMEOUT_MS) {
    await this.$(id).waitForExist({ reverse: true, timeout, timeoutMsg: `[data-testid="${id}"] still exists after ${timeout} ms` });
  }

  async click(id) {
    const el = await this.shown(id);
    await el.waitForClickable({ timeout: TIMEOUT_MS, timeoutMsg: `[data-testid="${id}"] is not clickable` });
    await el.click();
    return el;
  }

  /**
   * The element's text content. (WebDriver's "rendered text" is empty while an element
   * fades in, so stories read textContent.)
   */
  async text(id) {
    return (await this.shown(id)).getProperty("textContent");
  }

  /** The textContent of the element with this data-testid, or null when there is none. */
  async textNow(id) {
    return this.browser.execute((sel) => document.querySelector(sel)?.textContent ?? null, tid(id));
  }

  /** Waits until the text of the element satisfies `predicate` (or contains the string). */
  async waitForText(id, predicate, timeout = TIMEOUT_MS) {
    const check = typeof predicate === "string" ? (t) => t.includes(predicate) : predicate;
    let last = null;
    await this.browser.waitUntil(
      async () => {
        last = await this.textNow(id);
        return last !== null && check(last);
      },
      { timeout, timeoutMsg: `[data-testid="${id}"] text stayed ${JSON.stringify(last)}` },
    );
    return last;
  }

  /** The node ids on the canvas, in DOM order. */
  async nodeIds() {
    return this.browser.execute(() =>
      [...document.querySelectorAll('.react-flow__node [data-testid^="node-"]')]
        .map((el) => el.getAttribute("data-testid"))
        .filter((id) => !/-(errors|warnings)$/.test(id))
        .map((id) => id.slice("node-".length)),
    );
  }

  /** The edges on the canvas as `from:port->to`, sorted. */
  async edges() {
    return this.browser.execute(() =>
      [...document.querySelectorAll(".react-flow__edge")]
        .map((el) => {
          const id = el.getAttribute("data-id") ?? "";
          const label = el.getAttribute("aria-label") ?? "";
          return { id, label };
        })
        .map((e) => e.label || e.id)
        .sort(),
    );
  }

  /** How many edges the canvas shows. */
  async edgeCount() {
    return this.browser.execute(() => document.querySelectorAll(".react-flow__edge").length);
  }

  /**
   * Presses the mouse on one element's centre, moves in steps (as a hand does) to another's
   * centre and releases.
   */
  async drag(fromId, toId) {
    const from = await this.shown(fromId);
    const to = await this.shown(toId);
    await this.browser
      .action("pointer", { parameters: { pointerType: "mouse" } })
      .move({ duration: 0, origin: from, x: 0, y: 0 })
      .down({ button: 0 })
      .pause(50)
      .move({ duration: 100, origin: "pointer", x: 5, y: 5 })
      .move({ duration: 200, origin: to, x: 0, y: 0 })
      .pause(50)
      .up({ button: 0 })
      .perform();
  }

  /** Drags the element with this data-testid by (dx, dy) pixels, in steps. */
  async dragBy(id, dx, dy) {
    const el = await this.shown(id);
    await this.browser
      .action("pointer", { parameters: { pointerType: "mouse" } })
      .move({ duration: 0, origin: el, x: 0, y: 0 })
      .down({ button: 0 })
      .pause(50)
      .move({ duration: 100, origin: "pointer", x: Math.sign(dx) * 5, y: Math.sign(dy) * 5 })
      .move({ duration: 200, origin: "pointer", x: dx - Math.sign(dx) * 5, y: dy - Math.sign(dy) * 5 })
      .pause(50)
      .up({ button: 0 })
      .perform();
  }

  /** Waits until the header says every change is saved (autosave has run). */
  async saved() {
    await this.waitForText("save-state", (t) => /saved/i.test(t) && !/unsaved|not saved/i.test(t));
  }

  /**
   * Replaces the text of the focused, fully selected input by typing, as a person does.
   * (WebDriver's element clear blurs the input, which commits an inline rename.)
   */
  async type(text) {
    await this.browser.keys([...text]);
  }

  /** Closes the app (ends the session) and starts it again on the same data folder. */
  async restart() {
    await this.browser.deleteSession();
    this.browser = await launch(this.driver);
  }

  async screenshot(name) {
    mkdirSync(artifacts, { recursive: true });
    // WebKit may not have painted the last change yet.
    await this.browser.pause(300);
    const path = join(artifacts, `${name}.png`);
    await this.browser.saveScreenshot(path);
    return path;
  }
}

/**
 * Declares one user story: a fresh data folder, the app started on it, `body(app)` run, and a
 * screenshot saved to tests/e2e/artifacts/<name>.png whether the story passed or not.
 * `env` adds to (or, with `undefined` values, removes from) the app's environment.
 *
 * When WebKit reports the page crashed or hung (the WebDriver session is gone; seen about once
 * in three full runs, never in a story run alone) and the app's output shows no failure of its
 * own (a panic, a crash), the story says so loudly, with that output, and runs once more from
 * the start on a fresh app and data folder. Any other failure, a failed assertion included,
 * fails the story at once.
 */
export function story(name, body, { env = {} } = {}) {
  test(name, { timeout: 360000 }, async () => {
    try {
      await attempt(name, body, env);
    } catch (err) {
      if (!pageLost(err)) throw err;
      console.error(
        `#### e2e: "${name}": WebKit lost the page (${String(err?.message ?? err).split("\n")[0]}); ` +
          `running the story once more on a fresh app. The app's and drivers' output:\n${err.driverLog} ####`,
      );
      await attempt(name, body, env);
    }
  });
}

/**
 * Whether `err` says the app's web page crashed or hung, ending the WebDriver session, with no
 * sign in the app's own output (`err.driverLog`) that the app itself failed.
 */
function pageLost(err) {
  const lost = /page crash or hang|invalid session id/.test(String(err?.message ?? err));
  const appFailed = /panicked|Segmentation fault|SIGSEGV|SIGABRT|Aborted|core dumped/.test(err?.driverLog ?? "");
  return lost && !appFailed;
}

/** One run of a story: see [`story`]. */
async function attempt(name, body, env) {
  const dataDir = mkdtempSync(join(tmpdir(), "hookboard-e2e-"));
  const dialogPath = join(dataDir, "dialog.bundle.json");
  const driver = await startDriver({ ...env, HOOKBOARD_DATA_DIR: dataDir, HOOKBOARD_DIALOG_PATH: dialogPath });
  let app = null;
  try {
    const browser = await launch(driver);
    app = new App(driver, browser, dataDir, dialogPath);
    await body(app);
  } catch (err) {
    // What the app and the drivers printed, to tell a lost page from the app failing.
    if (err && typeof err === "object") err.driverLog = driver.log.join("").split("\n").slice(-40).join("\n");
    throw err;
  } finally {
    if (app) {
      try {
        await app.screenshot(slug(name));
      } catch (err) {
        console.error(`screenshot of "${name}" failed: ${err}`);
      }
      try {
        await app.browser.deleteSession();
      } catch {
        // The session may already be gone (e.g. the app crashed).
      }
    }
    await stopDriver(driver);
    // HOOKBOARD_E2E_KEEP=1 keeps the story's data folder (database, exported bundle).
    if (process.env.HOOKBOARD_E2E_KEEP) console.log(`data folder of "${name}": ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

function slug(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** Opens the app's demo workflow `welcome` and waits for its trigger node. */
export async function openWelcome(app) {
  await app.click("workflow-welcome");
  await app.shown("node-signup");
}
