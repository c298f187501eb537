// Steps several stories share on the demo workspace: point the "local" environment at a
// loopback receiver and make it active, and give the demo `crm` connector a secret.

import { tid } from "./harness.js";

/** Sets the demo environment `local`'s base_url to `url` and makes `local` active. */
export async function pointDemoAt(app, url) {
  await app.click("view-designer");
  await app.click("environment-local");
  const value = await app.shown("env-var-0-value");
  await value.clearValue();
  await value.setValue(url);
  await app.click("save-environment");
  await app.waitForText("status-message", "Saved environment local");
  await (await app.shown("active-environment")).selectByAttribute("value", "local");
  await app.waitForText("status-message", "Using local");
}

/** Stores `secret` as the demo `crm` connector's Bearer token (in the real keyring). */
export async function setCrmSecret(app, secret) {
  await app.click("view-connectors");
  // The row is a table row; WebKitWebDriver clicks its first cell.
  const row = app.browser.$(`${tid("connector-crm")} td`);
  await row.waitForClickable();
  await row.click();
  const replace = app.browser.$(tid("connector-secret-replace"));
  if (await replace.isExisting()) await replace.click();
  await (await app.shown("connector-secret")).setValue(secret);
  await app.click("save-connector");
  await app.waitForText("connector-secret-crm", (t) => /keyring/i.test(t) && !/no secret|unreachable/i.test(t));
}

/** Picks a contact in the open subject picker by searching for `text`. */
export async function pickContact(app, text, email) {
  await (await app.shown("contact-search")).setValue(text);
  await app.click(`pick-contact-${email}`);
  await app.shown("picked-contact");
}

/**
 * Replaces the whole text of an input or textarea by selecting it and typing, as a person
 * does (WebDriver's clear does not reach React's state for every controlled field).
 */
export async function replaceText(app, id, text) {
  const el = await app.shown(id);
  await el.click();
  await app.browser.keys(["Control", "a"]);
  await app.browser.keys(["Control"]);
  await el.addValue(text);
}
