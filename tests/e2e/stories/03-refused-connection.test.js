// Story: a connection the rules refuse is not drawn, and the status line says why.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

story("a refused connection shows its reason", async (app) => {
  await app.shown("node-signup");
  assert.equal(await app.edgeCount(), 6);
  // Nothing can lead into a trigger.
  await app.drag("port-route-fallback", "node-signup");
  const message = await app.waitForText("status-message", "Not connected");
  assert.match(message, /signup.*trigger/);
  assert.equal(await app.edgeCount(), 6);
});
