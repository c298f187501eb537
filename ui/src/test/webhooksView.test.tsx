import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { setTransport } from "../api";
import { createBrowserBackend } from "../api/browserBackend";
import { errorTitle, prettyBody, prettyXml } from "../components/test/outcome";
import { useEditor } from "../store";
import { WebhooksView } from "../views/WebhooksView";
import { loadReference } from "../workspace";

beforeEach(async () => {
  setTransport(createBrowserBackend());
  await loadReference();
});

describe("the webhooks view", () => {
  it("moves a deleted webhook to the deleted list and restores it", async () => {
    render(<WebhooksView />);
    fireEvent.click(await screen.findByTestId("webhook-crm_upsert"));
    expect((screen.getByTestId("wh-name") as HTMLInputElement).value).toBe("crm_upsert");
    fireEvent.click(screen.getByTestId("delete-webhook"));
    fireEvent.click(screen.getByTestId("confirm-delete-webhook"));
    await waitFor(() => expect(screen.queryByTestId("webhook-crm_upsert")).toBeNull());
    expect(useEditor.getState().webhooks).toHaveLength(0);

    fireEvent.click(screen.getByTestId("show-deleted"));
    const deleted = await screen.findByTestId("deleted-webhooks");
    fireEvent.click(within(deleted).getByTestId("restore-crm_upsert"));
    await screen.findByTestId("webhook-crm_upsert");
    expect(useEditor.getState().webhooks.map((w) => w.name)).toEqual(["crm_upsert"]);
  });

  it("shows a refused save beside the field it names and keeps the edit", async () => {
    setTransport(async (command, args) => {
      if (command === "save_webhook") throw { code: "invalid", message: "`http://` is refused: use https", path: "url" };
      return createBrowserBackend()(command, args);
    });
    render(<WebhooksView />);
    fireEvent.click(await screen.findByTestId("new-webhook"));
    fireEvent.change(screen.getByTestId("wh-name"), { target: { value: "plain" } });
    fireEvent.click(screen.getByTestId("save-webhook"));
    const error = await screen.findByTestId("wh-error-url");
    expect(error.textContent).toContain("https");
    expect((screen.getByTestId("wh-name") as HTMLInputElement).value).toBe("plain");
  });
});

describe("test outcomes", () => {
  it("pretty-print JSON and XML bodies and leave other text alone", () => {
    expect(prettyBody('{"a":1}', [["content-type", "application/json"]])).toBe('{\n  "a": 1\n}');
    expect(prettyXml("<a><b x='1'>t</b><c/></a>")).toBe("<a>\n  <b x='1'>t</b>\n  <c/>\n</a>");
    expect(prettyBody("plain words", [["content-type", "text/plain"]])).toBe("plain words");
    expect(prettyBody("{not json", [])).toBe("{not json");
  });

  it("name error kinds in words", () => {
    expect(errorTitle({ kind: "connection_refused" })).toMatch(/refused/);
    expect(errorTitle({ kind: "timeout" })).toMatch(/timeout/);
    expect(errorTitle({ kind: "something_new" })).toBe("Error (something_new)");
  });
});
