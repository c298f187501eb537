// Story: a node with a missing setting shows a problem; setting it clears the problem.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

story("edit a parameter and see a validation problem clear", async (app) => {
  await app.shown("workflow-welcome");
  await app.click("new-workflow");
  await app.shown("rename-input-untitled");
  await app.browser.keys("Enter");
  await app.shown("node-trigger");
  await app.click("palette-http_request");
  await app.shown("node-http_request_1");
  await app.dragBy("node-http_request_1", 0, 220);
  await app.drag("port-trigger-next", "port-http_request_1-in");
  await app.waitForText("status-message", "Connected");

  // An HTTP request without a webhook is an error, on the node and in the problems list.
  await app.shown("node-http_request_1-errors");
  const problem = await app.text("problem-0");
  assert.match(problem, /http_request_1/);

  // Pick the webhook in the inspector: the error goes away.
  await app.click("node-http_request_1");
  const webhook = await app.shown("param-webhook");
  await webhook.selectByAttribute("value", "crm_upsert");
  await app.gone("node-http_request_1-errors");
  const remaining = await app.browser.execute(() =>
    [...document.querySelectorAll('[data-testid^="problem-"].error')].map((el) => el.textContent),
  );
  assert.deepEqual(remaining, []);
  await app.saved();
});
