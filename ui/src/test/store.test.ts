import { beforeEach, describe, expect, it } from "vitest";
import { useEditor } from "../store";
import { demo, specs } from "./fixtures";

const s = () => useEditor.getState();
const welcome = demo.workflows[0];

beforeEach(() => {
  s().setReference({ specs });
  s().load(structuredClone(welcome));
});

describe("editor history and clipboard", () => {
  it("undoes and redoes a node addition, a connection and a parameter edit", () => {
    const id = s().addNode("wait", { x: 10, y: 20 })!;
    s().connect({ from: "synced", port: "next", to: id });
    s().setParam(id, "duration", "5m");
    expect(s().snapshot()!.nodes.at(-1)!.params).toEqual({ duration: "5m" });
    s().undo();
    expect(s().snapshot()!.nodes.at(-1)!.params).toEqual({ duration: "1h" });
    s().undo();
    expect(s().snapshot()!.edges).toEqual(welcome.edges);
    s().undo();
    expect(s().snapshot()).toStrictEqual(welcome);
    s().redo();
    s().redo();
    s().redo();
    expect(s().snapshot()!.nodes.at(-1)!.params).toEqual({ duration: "5m" });
  });

  it("merges quick edits of one field into one undo step", () => {
    s().setParam("synced", "mappings", [{ field: "city", value: "a" }]);
    s().setParam("synced", "mappings", [{ field: "city", value: "ab" }]);
    expect(s().past.length).toBe(1);
    s().undo();
    expect(s().snapshot()).toStrictEqual(welcome);
  });

  it("copies and pastes the selection with fresh ids and the edges between them", () => {
    s().onNodesChange(["upsert", "route"].map((id) => ({ id, type: "select", selected: true })));
    expect(s().copySelection()).toBe(2);
    expect(s().paste()).toBe(2);
    const w = s().snapshot()!;
    expect(w.nodes.length).toBe(welcome.nodes.length + 2);
    const added = w.nodes.slice(-2);
    expect(added.map((n) => n.kind)).toEqual(["http_request", "response_switch"]);
    expect(added[0].position).toEqual({ x: 300, y: 40 });
    expect(w.edges.at(-1)).toEqual({ from: added[0].id, port: "response", to: added[1].id });
    s().undo();
    expect(s().snapshot()).toStrictEqual(welcome);
  });

  it("renames a switch path's edges with it", () => {
    s().setParam("route", "paths", [
      { name: "success", when: "200-299" },
      { name: "not_found", when: "404" },
    ]);
    expect(s().snapshot()!.edges.find((e) => e.to === "synced")).toEqual({ from: "route", port: "success", to: "synced" });
  });

  it("deletes the selected nodes with their edges", () => {
    s().onNodesChange([{ id: "route", type: "select", selected: true }]);
    s().deleteSelection();
    const w = s().snapshot()!;
    expect(w.nodes.some((n) => n.id === "route")).toBe(false);
    expect(w.edges.some((e) => e.from === "route" || e.to === "route")).toBe(false);
  });
});
