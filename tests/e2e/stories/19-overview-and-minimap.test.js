// Story: zoomed far out, the canvas draws the nodes as boxes that can still be selected, and a
// click on the minimap moves the view there.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

/** The canvas viewport's CSS transform, e.g. `translate(10px, 20px) scale(0.8)`. */
const transform = (app) =>
  app.browser.execute(() => document.querySelector(".react-flow__viewport")?.style.transform ?? "");
const zoomOf = (text) => Number(/scale\(([\d.]+)\)/.exec(text)?.[1] ?? Number.NaN);

story("zoomed out, the canvas shows boxes and the minimap moves the view", async (app) => {
  await app.shown("node-signup");
  const zoomOut = await app.browser.$(".react-flow__controls-zoomout");
  for (let i = 0; i < 20 && !(zoomOf(await transform(app)) < 0.25); i++) {
    await zoomOut.click();
    await app.browser.pause(100);
  }
  assert.ok(zoomOf(await transform(app)) < 0.25, `still at ${await transform(app)}`);
  await app.browser.waitUntil(
    () => app.browser.execute(() => document.querySelector(".react-flow.overview") !== null),
    { timeout: 5000, timeoutMsg: "the canvas did not switch to the overview below 25 % zoom" },
  );
  const textShown = await app.browser.execute(
    () => getComputedStyle(document.querySelector('[data-testid="node-signup"] > *')).visibility,
  );
  assert.equal(textShown, "hidden", "a node's text is not drawn in the overview");

  await app.click("node-signup");
  await app.browser.waitUntil(
    () => app.browser.execute(() => document.querySelector('[data-testid="node-signup"]').classList.contains("selected")),
    { timeout: 5000, timeoutMsg: "a click did not select the node in the overview" },
  );
  await app.waitForText("inspector", "signup");
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
