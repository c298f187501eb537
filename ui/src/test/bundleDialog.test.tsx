import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { type Args, type CommandName, setTransport, type Transport } from "../api";
import { createBrowserBackend } from "../api/browserBackend";
import { BundleDialog } from "../components/BundleDialog";
import { importBundle } from "../workspace";

describe("the bundle dialog", () => {
  it("lists every problem of a refused import with its path", async () => {
    setTransport((async (command: CommandName) => {
      if (command === "import_bundle") {
        throw {
          code: "invalid_bundle",
          message: "the bundle has 2 problems",
          issues: [
            { severity: "error", path: "workflows[0].nodes[3].params.url", code: "missing_value", message: "the URL is empty", node: "n3" },
            { severity: "warning", path: "webhooks[1].connector", code: "unknown_connector", message: "no connector named `x`", node: null },
          ],
        };
      }
      return null;
    }) as Transport);
    const outcome = await importBundle();
    expect(outcome?.kind).toBe("refused");
    render(<BundleDialog outcome={outcome!} onClose={() => {}} />);
    expect(screen.getByText("Nothing was imported")).toBeTruthy();
    expect(screen.getByTestId("bundle-issue-0").textContent).toBe("workflows[0].nodes[3].params.url: the URL is empty");
    expect(screen.getByTestId("bundle-issue-1").textContent).toContain("webhooks[1].connector");
  });

  it("after an import, asks for the secrets of the connectors that need one", async () => {
    const backend = createBrowserBackend();
    const spy = vi.fn(backend);
    setTransport(((command: CommandName, args: Args<CommandName>) => spy(command, args)) as Transport);
    const outcome = await importBundle();
    expect(outcome).toMatchObject({ kind: "imported", report: { workflows: ["welcome"], connectors_needing_secret: ["crm"] } });
    render(<BundleDialog outcome={outcome!} onClose={() => {}} />);
    fireEvent.change(screen.getByTestId("secret-crm"), { target: { value: "s3cret" } });
    fireEvent.click(screen.getByTestId("save-secret-crm"));
    await waitFor(() => expect(spy).toHaveBeenCalledWith("set_connector_secret", { name: "crm", secret: "s3cret" }));
    await screen.findByText("Saved ✓");
  });
});
