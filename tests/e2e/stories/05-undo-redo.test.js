// Story: an added node can be undone and redone.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

story("undo and redo an edit", async (app) => {
  await app.shown("node-signup");
  await app.click("palette-wait");
  await app.shown("node-wait_1");
  assert.equal((await app.nodeIds()).length, 7);

  await app.click("undo");
  await app.gone("node-wait_1");
  assert.equal((await app.nodeIds()).length, 6);

  await app.click("redo");
  await app.shown("node-wait_1");
  assert.equal((await app.nodeIds()).length, 7);
});
