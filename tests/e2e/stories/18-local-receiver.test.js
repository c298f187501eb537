// Story: start the local receiver from the Events view and send it events from outside the
// app, as curl or Postman would. A port already in use is refused beside the port field;
// on a free port the panel shows the URL of the demo `signup` event; a valid event posted
// there appears in the received list without a reload, a bad one in the rejected list with
// its problems, and stopping the receiver frees its port.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { story } from "../lib/harness.js";
import { replaceText } from "../lib/demo.js";

/** Listens on a free loopback port (so that the port is in use); returns it and a closer. */
async function occupyPort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { port: server.address().port, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** Whether something accepts connections on the loopback port. */
async function portFree(port) {
  const server = createServer();
  return new Promise((ok) => {
    server.once("error", () => ok(false));
    server.listen(port, "127.0.0.1", () => server.close(() => ok(true)));
  });
}

async function post(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: response.status, json: await response.json() };
}

story("local receiver: events sent from outside appear in the received and rejected lists as they arrive", async (app) => {
  await app.shown("node-signup");
  await app.click("view-events");
  await app.shown("received-events-empty");
  await app.waitForText("receiver-state", "Stopped");

  // A port in use: the error sits beside the port field.
  const busy = await occupyPort();
  try {
    await replaceText(app, "receiver-port", String(busy.port));
    await app.click("receiver-start");
    const error = await app.waitForText("receiver-port-error", "already in use");
    assert.match(error, new RegExp(String(busy.port)));
    await app.screenshot("18-local-receiver-port-in-use");
  } finally {
    await busy.close();
  }

  // On the port just freed it starts.
  await app.click("receiver-start");
  await app.waitForText("receiver-state", "Listening");
  await app.gone("receiver-port-error");
  const base = await app.text("receiver-url");
  assert.equal(base, `http://127.0.0.1:${busy.port}`);
  const url = await app.text("receiver-event-url");
  assert.equal(url, `${base}/api/v1/custom-events/alias/signup?createContact=true`);
  assert.match(await app.text("receiver-curl"), /curl -i -X POST/);

  // A valid event, sent from outside the app: 202, and it shows up without Refresh.
  const sent = await post(url, JSON.stringify({ email: "grace.hopper@example.com", signup_id: "e2e-18", first_name: "Grace" }));
  assert.equal(sent.status, 202, JSON.stringify(sent.json));
  const eventId = sent.json.event_id;
  await app.shown(`event-${eventId}`);
  await app.waitForText(`event-${eventId}`, "public_api");
  await app.waitForText(`event-${eventId}`, "grace.hopper@example.com");
  await app.waitForText("receiver-last", "signup (public_api): stored");
  await app.click(`open-event-${eventId}`);
  await app.waitForText("event-payload", "e2e-18");
  await app.screenshot("18-local-receiver-received");

  // A bad one: 422 with every problem, kept in the rejected list with the reason.
  const bad = await post(url, JSON.stringify({ email: "not an email", extra: true }));
  assert.equal(bad.status, 422, JSON.stringify(bad.json));
  assert.equal(bad.json.problems.length, 3, JSON.stringify(bad.json));
  await app.waitForText("events-tab-rejected", "(1)");
  await app.click("events-tab-rejected");
  await app.click(`open-rejected-${bad.json.rejected_id}`);
  await app.waitForText("rejected-reason", "unknown field `extra`");
  assert.equal(await app.text("rejected-body"), JSON.stringify({ email: "not an email", extra: true }));
  // Malformed JSON: 400 naming the line and column, kept too.
  const malformed = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: '{\n  "email": oops\n}' });
  assert.equal(malformed.status, 400);
  await app.waitForText("events-tab-rejected", "(2)");
  await app.waitForText("receiver-last", "rejected with 400");
  await app.screenshot("18-local-receiver-rejected");

  // Stopping frees the port.
  await app.click("receiver-stop");
  await app.waitForText("receiver-state", "Stopped");
  assert.equal(await portFree(busy.port), true, "the port is free after Stop");
});
