// Story: save a segment in the Contacts view and filter the contacts by it. A condition
// without a value is refused with the error on its row; the saved segment (customers in
// Manchester) lists only Alan Turing, and deleting it lists everyone again.
import assert from "node:assert/strict";
import { story } from "../lib/harness.js";

story("segments: save a segment over a group and a field, filter the contacts by it", async (app) => {
  await app.shown("node-signup");
  await app.click("view-contacts");
  await app.shown("contact-ada.lovelace@example.com");
  await app.waitForText("contacts-count", "4 contacts");

  await app.click("new-segment");
  await app.shown("segment-form");
  await (await app.shown("segment-name")).setValue("Mancunian customers");
  await app.click("segment-group-customers");
  await app.click("segment-add-condition");
  await app.browser.$('[data-testid="segment-condition-0-field"]').selectByAttribute("value", "city");
  await app.browser.$('[data-testid="segment-condition-0-op"]').selectByAttribute("value", "equals");

  // No value yet: the store refuses and the error sits on the condition's row.
  await app.click("save-segment");
  const error = await app.text("segment-condition-0-error");
  assert.match(error, /needs a value/, `unexpected error: ${error}`);

  await (await app.shown("segment-condition-0-value")).setValue("MANCHESTER");
  await app.browser.pause(400); // let WebKit paint before the screenshot
  await app.screenshot("17-segment-editor");
  await app.click("save-segment");
  await app.gone("segment-form");
  await app.waitForText("contacts-count", "1 contact");
  await app.shown("contact-alan.turing@example.com");
  assert.equal(await app.textNow("contact-ada.lovelace@example.com"), null, "Ada is not in Manchester");
  await app.browser.pause(400); // let WebKit paint before the screenshot
  await app.screenshot("17-segment-filter");

  // Deleting the segment clears the filter.
  await app.click("edit-segment");
  await app.click("delete-segment");
  await app.click("confirm-delete-segment");
  await app.gone("segment-form");
  await app.waitForText("contacts-count", "4 contacts");
});
