// Story: test-run the demo workflow for a picked contact and a typed event; every node on the
// canvas shows its outcome, the switch its branch, and clicking a node shows its step. The
// run is listed among past test runs.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";
import { pickContact, pointDemoAt, replaceText, setCrmSecret } from "../lib/demo.js";
import { jsonOf, startReceiver } from "../lib/receiver.js";

story("test-run the demo workflow and see every node's outcome on the canvas", async (app) => {
  const receiver = await startReceiver();
  try {
    await app.shown("node-upsert");
    await pointDemoAt(app, receiver.url);
    await setCrmSecret(app, "crm-token-run");
    await app.click("view-designer");

    await app.click("test-run-open");
    await pickContact(app, "ada", "ada.lovelace@example.com");
    await app.click("event-mode-typed");
    await replaceText(app, "typed-event-alias", "signup");
    await replaceText(app, "typed-event-json", '{"email": "ada.lovelace@example.com", "signup_id": "S-77", "first_name": "Ada", "plan": "pro"}');
    await app.click("run-test");
    await app.gone("test-run-dialog");
    await app.waitForText("status-message", "Test run completed");

    const outcome = async (id) => (await app.text(`node-${id}-outcome`)).trim();
    assert.equal(await outcome("signup"), "ok");
    assert.equal(await outcome("upsert"), "ok → response");
    assert.equal(await outcome("route"), "ok → ok");
    assert.equal(await outcome("synced"), "ok");
    assert.equal(await outcome("missing"), "skipped");
    assert.equal(await outcome("failed"), "skipped");
    await app.screenshot("test-run-on-canvas");

    assert.equal(receiver.requests.length, 1);
    assert.deepEqual(jsonOf(receiver.requests[0]), { email: "ada.lovelace@example.com", first_name: "Ada", plan: "pro", signup: "S-77" });

    await app.click("node-synced");
    const step = await app.waitForText("run-step", "crm_id");
    assert.match(step, /crm-42/);
    await app.click("node-upsert");
    await app.waitForText("run-step", "201");

    await app.click("test-run-open");
    await app.waitForText("past-runs", "completed");
  } finally {
    await receiver.close();
  }
});
