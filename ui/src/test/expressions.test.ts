import { describe, expect, it } from "vitest";
import { applyCompletion, completionAt, matchVariables, variablesFor } from "../expressions";
import { catalogue, demo } from "./fixtures";

const ctx = { workflow: demo.workflows[0], catalogue, eventDefinitions: demo.event_definitions, environments: demo.environments };
const names = (nodeId: string | null) => variablesFor(nodeId, ctx).map((v) => v.name);

describe("expression variables", () => {
  it("offers the trigger's event fields, contact fields incl. custom ones, and env variables", () => {
    const all = names("synced");
    for (const v of ["event.email", "event.signup_id", "event.plan", "contact.email", "contact.city", "contact.custom.crm_id", "contact.custom.crm_status", "env.base_url"]) {
      expect(all).toContain(v);
    }
  });

  it("offers data.<webhook> only after the HTTP request that sends it", () => {
    expect(names("synced")).toContain("data.crm_upsert");
    expect(names("upsert")).not.toContain("data.crm_upsert");
    expect(names("signup")).not.toContain("data.crm_upsert");
  });
});

describe("completion in a template", () => {
  it("finds the unfinished ${ before the caret", () => {
    expect(completionAt("Hi ${contact.fi", 15)).toEqual({ from: 5, prefix: "contact.fi" });
    expect(completionAt("Hi ${contact.first_name} x", 26)).toBeNull();
    expect(completionAt("no expression", 5)).toBeNull();
  });

  it("ranks prefix matches first and closes the brace once", () => {
    const vars = [
      { name: "contact.email", detail: "" },
      { name: "event.email", detail: "" },
    ];
    expect(matchVariables(vars, "ev").map((v) => v.name)).toEqual(["event.email"]);
    expect(matchVariables(vars, "email").map((v) => v.name)).toEqual(["contact.email", "event.email"]);
    expect(applyCompletion("x ${ev", 4, 6, "event.email")).toEqual({ text: "x ${event.email}", caret: 16 });
    expect(applyCompletion("x ${ev} y", 4, 6, "event.email").text).toBe("x ${event.email} y");
  });
});
