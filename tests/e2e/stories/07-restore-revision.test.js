// Story: an earlier revision can be brought back.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

story("restore an earlier revision", async (app) => {
  await app.shown("node-signup");
  await app.click("palette-end");
  await app.shown("node-end_1");
  await app.saved();
  await app.waitForText("workflow-welcome", "rev 2");

  await app.click("revisions");
  await app.shown("revisions-panel");
  await app.shown("revision-2");
  await app.click("restore-revision-1");

  await app.gone("node-end_1");
  assert.equal((await app.nodeIds()).length, 6);
  // Restoring keeps the history: the restored content is revision 3.
  await app.waitForText("workflow-welcome", "rev 3");
});
