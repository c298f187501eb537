// Story: after closing and reopening the app, the work is still there.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

story("restart the app and find everything saved", async (app) => {
  await app.shown("workflow-welcome");
  await app.click("new-workflow");
  await app.shown("rename-input-untitled");
  await app.type("kept");
  await app.browser.keys("Enter");
  await app.shown("workflow-kept");
  await app.click("palette-condition");
  await app.shown("node-condition_1");
  await app.dragBy("node-condition_1", 0, 220);
  await app.drag("port-trigger-next", "port-condition_1-in");
  await app.waitForText("status-message", "Connected");
  await app.saved();

  await app.restart();

  await app.shown("workflow-welcome");
  await app.click("workflow-kept");
  await app.shown("node-condition_1");
  assert.deepEqual((await app.nodeIds()).sort(), ["condition_1", "trigger"]);
  assert.equal(await app.edgeCount(), 1);
});
