// Story: import contacts from CSV in the Contacts view. A file with a bad row imports nothing
// and names the line; a good file shows its progress and counts, and the new contacts are
// found by search with their fields and groups on the card.
// The native file dialog is replaced by HOOKBOARD_DIALOG_PATH (set by the harness).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { story } from "../lib/harness.js";

const BAD = ["email,first_name,last_name,groups,plan", "lin.good@example.com,Lin,Good,vip,pro", "not-an-email,Bad,Row,vip,free", ""].join("\n");

const GOOD = [
  "email,first_name,last_name,phone,city,groups,plan",
  "marie.curie@example.com,Marie,Curie,+33 1 55 55 01 00,Paris,vip;scientists,pro",
  "rosalind.franklin@example.com,Rosalind,Franklin,+44 20 5555 0100,London,vip,free",
  "",
].join("\n");

story("import contacts: a bad row imports nothing, a good file is found by search", async (app) => {
  await app.shown("node-signup");
  await app.click("view-contacts");
  await app.shown("contact-ada.lovelace@example.com");
  await app.waitForText("contacts-count", "4 contacts");

  // A bad row on line 3: the report names it and nothing is imported.
  writeFileSync(app.dialogPath, BAD);
  await app.click("import-contacts");
  await app.shown("import-errors");
  const row = await app.text("import-error-0");
  assert.match(row, /^3/, `the first error is not on line 3: ${row}`);
  assert.match(row, /not-an-email/);
  assert.equal(await app.textNow("import-error-1"), null, "only one row is wrong");
  await app.waitForText("import-result", "Nothing was imported");
  await app.browser.pause(400); // let WebKit paint before the screenshot
  await app.screenshot("13-import-bad-row");
  await (await app.shown("contacts-search")).setValue("lin.good");
  await app.shown("contacts-empty");
  await app.browser.execute(() => {
    const input = document.querySelector('[data-testid="contacts-search"]');
    input.focus();
    input.select();
  });
  await app.browser.keys(["Backspace"]);
  await app.waitForText("contacts-count", "4 contacts");
  await app.click("close-import-report");
  await app.gone("import-errors");

  // A good file: progress, then the counts.
  writeFileSync(app.dialogPath, GOOD);
  await app.click("import-contacts");
  await app.waitForText("import-result", "2 created, 0 updated");
  const bar = await app.shown("import-progress");
  assert.equal(await bar.getAttribute("value"), "2");
  assert.equal(await bar.getAttribute("max"), "2");
  await app.waitForText("contacts-count", "6 contacts");
  await app.browser.pause(400); // let WebKit paint before the screenshot
  await app.screenshot("13-import-done");

  // Search finds a new contact; its card shows the imported fields and groups.
  await (await app.shown("contacts-search")).setValue("marie.curie");
  await app.waitForText("contacts-count", "1 contact");
  await app.click("open-contact-marie.curie@example.com");
  await app.shown("contact-card");
  assert.equal(await app.text("contact-card-name"), "Marie Curie");
  assert.equal(await app.text("contact-field-city"), "Paris");
  assert.equal(await app.text("contact-field-phone"), "+33 1 55 55 01 00");
  assert.equal(await app.text("contact-custom-plan"), '"pro"');
  await app.shown("contact-group-vip");
  await app.shown("contact-group-scientists");
  await app.shown("contact-runs-empty");

  // The group filter knows the new group.
  await app.browser.$('[data-testid="contacts-group"]').selectByAttribute("value", "scientists");
  await app.waitForText("contacts-count", "1 contact");
  await app.browser.pause(400); // let WebKit paint before the screenshot
  await app.screenshot("13-import-card");
});
