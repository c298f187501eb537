// Story: without a reachable OS keyring, saving a connector secret fails and says so plainly
// (SPEC 8: the app never pretends to have saved a secret).
import assert from "node:assert/strict";
import { story, tid } from "../lib/harness.js";

story(
  "without a keyring, saving a connector secret says so",
  async (app) => {
    await app.shown("node-signup");
    // Export the demo and import it again: the import asks for the crm connector's secret.
    await app.click("export-bundle");
    await app.waitForText("status-message", "Exported the workspace to");
    await app.click("import-bundle");
    await app.waitForText("import-summary", "welcome");
    const secret = await app.shown("secret-crm");
    await secret.setValue("not-saved");
    await app.click("save-secret-crm");
    const error = app.browser.$(`${tid("bundle-dialog")} .field-issue.error`);
    await error.waitForExist({ timeoutMsg: "no error was shown for the secret" });
    const message = await error.getProperty("textContent");
    assert.match(message, /keyring/i);
    assert.match(message, /cannot be saved/);
    assert.doesNotMatch(await app.text("save-secret-crm"), /Saved/);
  },
  // No D-Bus session bus, so no Secret Service.
  { env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/hookboard-e2e-bus" } },
);
