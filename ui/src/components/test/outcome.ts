// Words for what a test request did: error kinds as a person would say them, bodies
// pretty-printed by their content type.

import type { StepError } from "../../bindings/StepError";

const TITLES: Record<string, string> = {
  dns: "Could not find the server (DNS)",
  connection_refused: "Connection refused: nothing answers at that address and port",
  timeout: "No answer in time (timeout)",
  tls: "Secure connection failed (TLS certificate or protocol)",
  too_large: "The response is larger than the size limit",
  redirects: "Too many redirects",
  insecure_url: "Refused by the HTTPS rule",
  blocked_address: "Refused: the address is in a private network",
  network: "The connection failed",
  parse: "The response could not be parsed",
  template: "A template could not be filled in",
  secret: "A connector secret is missing",
  config: "The request is not set up correctly",
  cancelled: "Cancelled",
};

/** A headline for a step error, from its kind. */
export function errorTitle(error: Pick<StepError, "kind">): string {
  return TITLES[error.kind] ?? `Error (${error.kind})`;
}

/** The body pretty-printed when it is JSON or XML (by content type or by its first character). */
export function prettyBody(body: string, headers: readonly [string, string][]): string {
  const type = headers.find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "";
  const trimmed = body.trim();
  if (type.includes("json") || trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      return body;
    }
  }
  if (type.includes("xml") || trimmed.startsWith("<")) return prettyXml(trimmed);
  return body;
}

/** Indents XML one element per line (text content stays on its element's line). */
export function prettyXml(xml: string): string {
  const tokens = xml.replace(/>\s*</g, "><").split(/(?=<)|(?<=>)/g).filter((t) => t.length > 0);
  const lines: string[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.startsWith("</")) {
      depth = Math.max(0, depth - 1);
      lines.push("  ".repeat(depth) + t);
    } else if (t.startsWith("<?") || t.startsWith("<!") || t.endsWith("/>")) {
      lines.push("  ".repeat(depth) + t);
    } else if (t.startsWith("<")) {
      const text = tokens[i + 1];
      const close = tokens[i + 2];
      if (text !== undefined && !text.startsWith("<") && close?.startsWith("</")) {
        lines.push("  ".repeat(depth) + t + text + close);
        i += 2;
      } else {
        lines.push("  ".repeat(depth) + t);
        depth++;
      }
    } else {
      lines.push("  ".repeat(depth) + t);
    }
  }
  return lines.join("\n");
}
