// Story: on first start the designer finds the demo workflow open on the canvas.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

story("first start shows the demo workflow on the canvas", async (app) => {
  // The sidebar lists the demo workflow and the app opens it.
  await app.shown("workflow-welcome");
  for (const id of ["signup", "upsert", "route", "synced", "missing", "failed"]) {
    await app.shown(`node-${id}`);
  }
  assert.deepEqual((await app.nodeIds()).sort(), ["failed", "missing", "route", "signup", "synced", "upsert"]);
  assert.equal(await app.edgeCount(), 6);
  // The demo is valid: the problems panel says so.
  await app.shown("problems-empty");
  // Its ports are there to connect from.
  await app.shown("port-upsert-error");
  await app.shown("port-route-fallback");
});
