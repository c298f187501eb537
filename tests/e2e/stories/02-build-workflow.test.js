// Story: the designer starts a workflow, adds a node from the palette and connects it.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

story("build a workflow from the palette and connect two nodes", async (app) => {
  await app.shown("workflow-welcome");
  await app.click("new-workflow");
  // The new workflow opens with a Manual trigger and its name ready to edit.
  await app.shown("rename-input-untitled");
  await app.type("signup flow");
  await app.browser.keys("Enter");
  await app.shown("workflow-signup flow");
  await app.shown("node-trigger");

  await app.click("palette-http_request");
  await app.shown("node-http_request_1");
  // Move it off the trigger (the palette drops it in the middle of the view).
  await app.dragBy("node-http_request_1", 0, 220);
  assert.deepEqual((await app.nodeIds()).sort(), ["http_request_1", "trigger"]);

  await app.drag("port-trigger-next", "port-http_request_1-in");
  await app.waitForText("status-message", "Connected trigger · next → http_request_1");
  assert.equal(await app.edgeCount(), 1);
  await app.saved();
});
