// A loopback HTTP server that stands in for the external system in the stories: it records
// every request it receives (method, path with query, headers, body) and answers as the
// story's `respond(request)` says (status, JSON body, delay). Tests talk to loopback only.

import { createServer } from "node:http";

/**
 * Starts the receiver on a free loopback port. `respond({method, url, headers, body})`
 * returns `{status, json?, text?, delayMs?}`; the default answers 201 with a CRM-like body.
 */
export async function startReceiver(respond = () => ({ status: 201, json: { id: "crm-42", status: "active" } })) {
  const requests = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const request = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(request);
      const answer = respond(request);
      const send = () => {
        if (res.destroyed) return;
        const body = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.text ?? "");
        res.writeHead(answer.status, { "content-type": answer.json !== undefined ? "application/json" : "text/plain" });
        res.end(body);
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

/** The JSON body of a recorded request. */
export const jsonOf = (request) => JSON.parse(request.body);
