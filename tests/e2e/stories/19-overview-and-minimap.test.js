// Story: zoomed far out, the canvas draws the workflow as boxes on one canvas (no DOM nodes), a
// click on a box still selects its node, and a click on the minimap moves the view there.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

/** The canvas viewport's CSS transform, e.g. `translate(10px, 20px) scale(0.8)`. */
const transform = (app) =>
  app.browser.execute(() => document.querySelector(".react-flow__viewport")?.style.transform ?? "");
const zoomOf = (text) => Number(/scale\(([\d.]+)\)/.exec(text)?.[1] ?? Number.NaN);

/** The pane's top-left corner on screen and the view's translation and zoom. */
async function view(app) {
  const pane = await app.browser.execute(() => {
    const { left, top } = document.querySelector(".react-flow__pane").getBoundingClientRect();
    return { left, top };
  });
  const [, tx, ty, zoom] = /translate\(([-\d.]+)px, ([-\d.]+)px\) scale\(([\d.]+)\)/.exec(await transform(app)).map(Number);
  return { ...pane, tx, ty, zoom };
}

story("zoomed out, the canvas shows boxes and the minimap moves the view", async (app) => {
  const node = await app.shown("node-signup");
  // Where the node is in flow coordinates, from where it is drawn at the zoom the app opens at.
  const opened = await view(app);
  const box = await app.browser.execute(() => {
    const { left, top, width, height } = document.querySelector('[data-testid="node-signup"]').getBoundingClientRect();
    return { left, top, width, height };
  });
  const at = {
    x: (box.left + box.width / 2 - opened.left - opened.tx) / opened.zoom,
    y: (box.top + box.height / 2 - opened.top - opened.ty) / opened.zoom,
  };
  assert.ok(await node.isDisplayed());
  const zoomOut = await app.browser.$(".react-flow__controls-zoomout");
  for (let i = 0; i < 20 && !(zoomOf(await transform(app)) < 0.25); i++) {
    await zoomOut.click();
    await app.browser.pause(100);
  }
  assert.ok(zoomOf(await transform(app)) < 0.25, `still at ${await transform(app)}`);
  const overview = await app.shown("canvas-overview");
  await app.browser.waitUntil(async () => Number(await overview.getAttribute("data-drawn")) >= 4, {
    timeout: 5000,
    timeoutMsg: "the overview canvas did not draw the demo workflow's nodes",
  });
  const domNodes = await app.browser.execute(() => document.querySelectorAll(".react-flow__node").length);
  assert.equal(domNodes, 0, "zoomed out, the nodes are drawn on the overview canvas, not as DOM nodes");

  // A click where the node is drawn selects it.
  await app.waitForText("inspector", "Select a node");
  const zoomed = await view(app);
  const point = { x: Math.round(zoomed.left + zoomed.tx + at.x * zoomed.zoom), y: Math.round(zoomed.top + zoomed.ty + at.y * zoomed.zoom) };
  await app.browser
    .action("pointer", { parameters: { pointerType: "mouse" } })
    .move({ duration: 0, origin: "viewport", x: point.x, y: point.y })
    .down({ button: 0 })
    .pause(50)
    .up({ button: 0 })
    .perform();
  await app.waitForText("inspector", (t) => t.includes("signup") && !t.includes("Select a node"));
  await app.screenshot("19-overview");

  const before = await transform(app);
  const map = await app.shown("minimap");
  await app.browser
    .action("pointer", { parameters: { pointerType: "mouse" } })
    .move({ duration: 0, origin: map, x: 60, y: 40 })
    .down({ button: 0 })
    .pause(50)
    .up({ button: 0 })
    .perform();
  await app.browser.waitUntil(async () => (await transform(app)) !== before, {
    timeout: 5000,
    timeoutMsg: `a click on the minimap did not move the view from ${before}`,
  });
  assert.ok(Math.abs(zoomOf(await transform(app)) - zoomOf(before)) < 1e-6, "the minimap moves, it does not zoom");
  await app.screenshot("19-minimap-moved");
});
