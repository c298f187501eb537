// Story: from the demo workflow's HTTP request node, send tests for contacts picked by
// search: a 201 takes the switch's `ok` path, a 404 its `not_found` path, a timeout is shown
// as such, and a slow request can be cancelled. The loopback server checks the request.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";
import { pickContact, pointDemoAt, replaceText, setCrmSecret } from "../lib/demo.js";
import { jsonOf, startReceiver } from "../lib/receiver.js";

const answers = {
  "ada.lovelace@example.com": { status: 201, json: { id: "crm-42", status: "active" } },
  "alan.turing@example.com": { status: 404, json: { error: "no such list" } },
  "grace.hopper@example.com": { status: 200, json: { id: "late" }, delayMs: 4000 },
  "katherine.johnson@example.com": { status: 200, json: { id: "late" }, delayMs: 8000 },
};

story("send a test from an HTTP request node: status, parsed value, branch, 404, timeout and cancel", async (app) => {
  const receiver = await startReceiver((req) => answers[jsonOf(req).email] ?? { status: 500, text: "unexpected" });
  try {
    await app.shown("node-upsert");
    await pointDemoAt(app, receiver.url);
    await setCrmSecret(app, "crm-token-e2e");

    // Shorter timeout and a single attempt, so that the timeout shows quickly.
    await app.click("view-webhooks");
    await app.click("webhook-crm_upsert");
    const timeout = await app.shown("wh-timeout");
    await timeout.clearValue();
    await timeout.setValue("1500");
    const attempts = app.browser.$("#wh-attempts");
    await attempts.clearValue();
    await attempts.setValue("1");
    await app.click("save-webhook");
    await app.waitForText("status-message", "Saved webhook crm_upsert");

    await app.click("view-designer");
    await app.click("node-upsert");
    await app.click("send-test-open");
    await pickContact(app, "lovelace", "ada.lovelace@example.com");
    // The demo body reads ${event.signup_id}: without an event the preview names it.
    await app.waitForText("preview-error", "event.signup_id");
    await app.click("event-mode-typed");
    await replaceText(app, "typed-event-json", '{"signup_id": "S-1", "plan": "pro"}');
    await app.waitForText("request-preview", "Bearer •••");
    await app.click("send-test");
    await app.waitForText("test-status", "201");
    assert.match(await app.text("test-branch"), /route.*→\s*ok/);
    assert.match(await app.text("parsed-values"), /"id": "crm-42"/);
    await app.screenshot("send-test-from-node-201");
    const first = receiver.requests.at(-1);
    assert.equal(first.headers.authorization, "Bearer crm-token-e2e");
    assert.equal(first.url, "/contacts?source=hookboard");
    assert.equal(jsonOf(first).email, "ada.lovelace@example.com");

    await pickContact(app, "turing", "alan.turing@example.com");
    await app.click("send-test");
    await app.waitForText("test-status", "404");
    assert.match(await app.text("test-branch"), /→\s*not_found/);

    await pickContact(app, "hopper", "grace.hopper@example.com");
    await app.click("send-test");
    await app.waitForText("test-error", "No answer in time (timeout)");
    await app.screenshot("send-test-from-node-timeout");

    await app.click("close-node-test");
    await app.click("view-webhooks");
    await app.click("webhook-crm_upsert");
    const slow = await app.shown("wh-timeout");
    await slow.clearValue();
    await slow.setValue("30000");
    await app.click("save-webhook");
    await app.waitForText("status-message", "Saved webhook crm_upsert");
    await app.click("test-webhook");
    await pickContact(app, "johnson", "katherine.johnson@example.com");
    await app.click("event-mode-typed");
    await replaceText(app, "typed-event-json", '{"signup_id": "S-2"}');
    await app.waitForText("request-preview", "katherine");
    await app.click("send-test");
    await app.shown("test-sending");
    await app.click("cancel-test");
    await app.waitForText("test-error", "Cancelled");
  } finally {
    await receiver.close();
  }
});
