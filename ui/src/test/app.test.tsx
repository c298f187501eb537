import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { ReactFlowProvider } from "@xyflow/react";
import { beforeAll, describe, expect, it } from "vitest";
import { App } from "../App";
import { useEditor } from "../store";
import { parseIssuePath } from "../store";

beforeAll(() => {
  // jsdom has no matchMedia (the colour scheme hook reads it).
  window.matchMedia ??= ((query: string) => ({
    matches: false,
    media: query,
    addEventListener() {},
    removeEventListener() {},
  })) as unknown as typeof window.matchMedia;
});

describe("issue paths", () => {
  it("find the node, the parameter and the sub-field", () => {
    expect(parseIssuePath("nodes[3].params.url")).toEqual({ node: 3, param: "url", sub: null });
    expect(parseIssuePath("nodes[1].params.inline.body.template")).toEqual({ node: 1, param: "inline", sub: "body" });
    expect(parseIssuePath("workflows[0].nodes[2]")).toEqual({ node: 2, param: null, sub: null });
    expect(parseIssuePath("edges[0].to")).toEqual({ node: null, param: null, sub: null });
  });
});

describe("the designer against the browser demo backend", () => {
  it("opens the demo workflow, adds a node from the palette with Enter, and jumps from a problem to its field", async () => {
    render(
      <ReactFlowProvider>
        <App />
      </ReactFlowProvider>,
    );
    await screen.findByTestId("workflow-welcome");
    await waitFor(() => expect(useEditor.getState().meta?.name).toBe("welcome"));
    expect(screen.getByTestId("palette-http_request")).toBeTruthy();

    const condition = screen.getByTestId("palette-condition");
    condition.focus();
    fireEvent.click(condition); // Enter on a focused button clicks it
    expect(useEditor.getState().nodes.some((n) => n.id === "condition_1")).toBe(true);
    expect(screen.getByTestId("status-message").textContent).toContain("condition_1");

    // Validation runs after the change; the missing condition becomes a problem.
    const problem = await screen.findByText("Condition is required", { selector: ".problem-message" }, { timeout: 3000 });
    act(() => useEditor.getState().selectNode(null));
    fireEvent.click(problem.closest("button")!);
    await waitFor(() => expect(document.activeElement?.id).toBe("param-expression"));

    // Undo takes the node away again.
    fireEvent.click(screen.getByTestId("undo"));
    expect(useEditor.getState().nodes.some((n) => n.id === "condition_1")).toBe(false);
  });
});
