// Story: export the workspace, delete the workflow, import the file and find it identical;
// the import asks for the connector's secret, which goes to the keyring.
// Native dialogs are replaced by HOOKBOARD_DIALOG_PATH (set by the harness).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { story } from "../lib/harness.js";

story("export, delete, import, and find the workflow identical", async (app) => {
  await app.shown("node-signup");
  const before = (await app.nodeIds()).sort();

  await app.click("export-bundle");
  await app.waitForText("status-message", "Exported the workspace to");
  const exported = JSON.parse(readFileSync(app.dialogPath, "utf8"));
  assert.equal(exported.format, "hookboard.bundle/v1");
  const welcome = exported.workflows.find((w) => w.name === "welcome");
  assert.ok(welcome, "the export holds the welcome workflow");

  await app.click("delete-workflow-welcome");
  await app.click("confirm-delete-welcome");
  await app.gone("workflow-welcome");

  await app.click("import-bundle");
  await app.waitForText("import-summary", "welcome");
  await app.shown("workflow-welcome");

  // The demo connector has no secret yet: the dialog asks for it and stores it in the keyring.
  const secret = await app.shown("secret-crm");
  await secret.setValue("e2e-token");
  await app.click("save-secret-crm");
  await app.waitForText("save-secret-crm", "Saved");
  try {
    const stored = execFileSync("secret-tool", ["lookup", "service", "hookboard", "username", "crm"], { encoding: "utf8" });
    assert.equal(stored.trim(), "e2e-token");
  } catch (err) {
    if (err.code !== "ENOENT") throw err; // secret-tool is not installed: the UI check stands
  }
  await app.click("dialog-done");
  await app.gone("bundle-dialog");

  // The imported workflow is back on the canvas, as it was.
  await app.click("workflow-welcome");
  await app.shown("node-signup");
  assert.deepEqual((await app.nodeIds()).sort(), before);
  assert.equal(await app.edgeCount(), 6);

  // Export again: the workflow is exactly what was exported before.
  await app.click("export-bundle");
  await app.waitForText("status-message", "Exported the workspace to");
  const again = JSON.parse(readFileSync(app.dialogPath, "utf8"));
  assert.deepEqual(again.workflows.find((w) => w.name === "welcome"), welcome);
  assert.deepEqual(again, exported);
});
