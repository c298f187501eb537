// Story: create a Bearer connector in the Connectors view. Its secret goes to the real OS keyring
// (secret-tool finds it) and into no file of the app's data folder (database, WAL, anything);
// the connector then shows its secret masked, never in clear, also after a restart.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { story } from "../lib/harness.js";

const SECRET = "e2e-token-4242";

/** Every file under `dir`, recursively. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return entry.isFile() ? [path] : [];
  });
}

story("create a Bearer connector: the secret is in the keyring, in no file, and shown masked", async (app) => {
  await app.shown("node-signup");
  await app.click("view-connectors");
  // The stories share one keyring session, so the demo connector may already have a secret.
  await app.waitForText("connector-secret-crm", (t) => t.length > 0);

  await app.click("new-connector");
  await (await app.shown("connector-name")).setValue("billing");
  await app.click("connector-type-bearer");
  const secret = await app.shown("connector-secret");
  assert.equal(await secret.getAttribute("type"), "password");
  await secret.setValue(SECRET);
  await app.click("save-connector");
  await app.waitForText("connector-secret-billing", "secret in keyring");
  await app.waitForText("status-message", "Saved connector billing");
  await app.browser.pause(400); // let WebKit paint before the screenshot
  await app.screenshot("12-connector-saved");

  // The secret is in the real keyring (service `hookboard`, username = connector name).
  const search = spawnSync("secret-tool", ["search", "--all", "service", "hookboard"], { encoding: "utf8" });
  assert.ifError(search.error);
  const found = `${search.stdout}\n${search.stderr}`;
  assert.match(found, /attribute\.username = billing/, `secret-tool search found no billing item:\n${found}`);
  assert.ok(found.includes(`secret = ${SECRET}`), `secret-tool search did not show the secret:\n${found}`);
  const lookup = spawnSync("secret-tool", ["lookup", "service", "hookboard", "username", "billing"], { encoding: "utf8" });
  assert.equal(lookup.stdout.trim(), SECRET);

  // ... and in no file of the data folder (the SQLite database and its -wal included).
  const all = files(app.dataDir);
  assert.ok(all.some((f) => /\.(db|sqlite3?)$/.test(f)), `no database file under ${app.dataDir}: ${all.join(", ")}`);
  for (const file of all) {
    if (!statSync(file).isFile()) continue;
    assert.ok(!readFileSync(file).includes(SECRET), `${file} contains the secret`);
  }

  // Reopened, the connector shows the secret masked, with Replace; the page never holds it.
  await app.click("open-connector-billing");
  await app.waitForText("connector-secret-masked", "•••");
  await app.gone("connector-secret");
  assert.ok(!(await app.browser.getPageSource()).includes(SECRET), "the page shows the secret");
  await app.click("connector-secret-replace");
  assert.equal(await (await app.shown("connector-secret")).getValue(), "");
  await app.click("connector-secret-keep");
  await app.browser.pause(400); // let WebKit paint before the screenshot
  await app.screenshot("12-connector-masked");

  // After a restart the keyring still has it.
  await app.restart();
  await app.click("view-connectors");
  await app.waitForText("connector-secret-billing", "secret in keyring");
  await app.click("open-connector-billing");
  await app.waitForText("connector-secret-masked", "•••");
});

story(
  "without a keyring, a new connector is not saved and the form says why beside the secret",
  async (app) => {
    await app.shown("node-signup");
    await app.click("view-connectors");
    await app.waitForText("connector-secret-crm", "keyring unreachable");
    await app.shown("keyring-unreachable");
    await app.click("new-connector");
    await (await app.shown("connector-name")).setValue("billing");
    await (await app.shown("connector-secret")).setValue(SECRET);
    await app.click("save-connector");
    const error = await app.waitForText("connector-secret-error", "keyring");
    assert.match(error, /cannot be saved/);
    assert.match(error, /Nothing was saved/);
    // The form keeps the input; the list has no new connector.
    assert.equal(await (await app.shown("connector-secret")).getValue(), SECRET);
    assert.equal(await app.textNow("connector-billing"), null);
    await app.browser.pause(400); // let WebKit paint before the screenshot
  },
  // No D-Bus session bus, so no Secret Service (as in story 09).
  { env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/hookboard-e2e-bus" } },
);
