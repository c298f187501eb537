// Story: paste a cURL command to create a webhook (its Basic credentials become a keyring
// connector), pick a contact by search, preview with the secret masked, send the test, and
// check both what the window shows and what the loopback server received. Then copy the
// webhook as cURL: the secret is not in it.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";
import { pickContact } from "../lib/demo.js";
import { jsonOf, startReceiver } from "../lib/receiver.js";

story("paste a cURL command, then send it as a test for a picked contact", async (app) => {
  const receiver = await startReceiver();
  try {
    await app.click("view-webhooks");
    await app.click("paste-curl");
    const command = `curl -X POST '${receiver.url}/contacts?source=e2e' -H 'Content-Type: application/json' -H 'X-Trace: e2e' -u 'api:s3cret-e2e' -d '{"email": "\${contact.email}", "city": "\${contact.city}"}'`;
    await (await app.shown("curl-input")).setValue(command);
    await app.click("curl-parse");
    await app.waitForText("curl-parsed", `${receiver.url}/contacts`);
    const connector = await app.shown("curl-connector");
    await connector.clearValue();
    await connector.setValue("e2e_basic");
    await app.click("curl-accept");
    await app.waitForText("status-message", "Saved connector e2e_basic");

    // The new webhook's form is filled from the command; name it and save.
    const name = await app.shown("wh-name");
    await name.setValue("curl_contact");
    assert.equal(await (await app.shown("wh-connector")).getValue(), "e2e_basic");
    await app.click("save-webhook");
    await app.waitForText("status-message", "Saved webhook curl_contact");
    await app.shown("webhook-curl_contact");

    await app.click("test-webhook");
    await pickContact(app, "ada", "ada.lovelace@example.com");
    const preview = await app.waitForText("request-preview", "ada.lovelace@example.com");
    assert.match(preview, /Basic •••/);
    assert.doesNotMatch(preview, /s3cret-e2e/);
    await app.screenshot("paste-curl-preview");

    await app.click("send-test");
    await app.waitForText("test-status", "201");
    assert.match(await app.text("parsed-values"), /crm-42/);
    assert.doesNotMatch(await app.text("test-outcome"), /s3cret-e2e/);

    assert.equal(receiver.requests.length, 1);
    const [got] = receiver.requests;
    assert.equal(got.method, "POST");
    assert.equal(got.url, "/contacts?source=e2e");
    assert.equal(got.headers.authorization, `Basic ${Buffer.from("api:s3cret-e2e").toString("base64")}`);
    assert.equal(got.headers["x-trace"], "e2e");
    assert.deepEqual(jsonOf(got), { email: "ada.lovelace@example.com", city: "London" });

    await app.click("copy-curl");
    const copied = await app.waitForText("curl-output", "curl");
    assert.match(copied, /-u 'api:•••'|api:•••/);
    assert.doesNotMatch(copied, /s3cret-e2e/);
    assert.match(copied, /\$\{contact\.email\}/);
  } finally {
    await receiver.close();
  }
});
