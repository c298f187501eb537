import { Text } from "@codemirror/state";
import { describe, expect, it } from "vitest";
import { xmlDiagnostics } from "../components/form/CodeField";

describe("XML syntax lint", () => {
  it("accepts well-formed XML and empty text", () => {
    expect(xmlDiagnostics(Text.of(["<a><b>${contact.email}</b></a>"]))).toEqual([]);
    expect(xmlDiagnostics(Text.of([""]))).toEqual([]);
  });
  it("reports malformed XML as an error inside the document", () => {
    const doc = Text.of(["<a>", "  <b></a>"]);
    const [d] = xmlDiagnostics(doc);
    expect(d.severity).toBe("error");
    expect(d.from).toBeGreaterThanOrEqual(0);
    expect(d.to).toBeLessThanOrEqual(doc.length);
    expect(d.message.length).toBeGreaterThan(0);
  });
});
