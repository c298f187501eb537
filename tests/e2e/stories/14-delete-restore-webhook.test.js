// Story: delete a webhook (it moves to the deleted list) and restore it.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

story("delete a webhook and restore it", async (app) => {
  await app.click("view-webhooks");
  await app.click("webhook-crm_upsert");
  await app.click("delete-webhook");
  await app.click("confirm-delete-webhook");
  await app.waitForText("status-message", "Moved webhook crm_upsert to the deleted list");
  await app.gone("webhook-crm_upsert");

  await app.click("show-deleted");
  await app.waitForText("deleted-webhooks", "crm_upsert");
  await app.screenshot("webhook-in-deleted-list");
  await app.click("restore-crm_upsert");
  await app.waitForText("status-message", "Restored webhook crm_upsert");
  await app.shown("webhook-crm_upsert");
  assert.equal(await (await app.shown("wh-name")).getValue(), "crm_upsert");
  assert.match(await app.text("show-deleted"), /\(0\)/);

  // The restored webhook survives a restart.
  await app.restart();
  await app.click("view-webhooks");
  await app.shown("webhook-crm_upsert");
});
