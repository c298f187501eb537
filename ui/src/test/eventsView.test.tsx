import { EditorView } from "@codemirror/view";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Args, type CommandName, setTransport, type Transport } from "../api";
import { createBrowserBackend } from "../api/browserBackend";
import { EventsView } from "../views/EventsView";
import { samplePayload } from "../views/people/NewEventForm";

beforeAll(() => {
  // jsdom has no matchMedia (the code editor's colour scheme hook reads it).
  window.matchMedia ??= ((query: string) => ({ matches: false, media: query, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia;
});

/** Replaces the text of the CodeMirror editor inside the element with this data-testid. */
async function setCode(testId: string, text: string) {
  // CodeMirror is loaded the first time a code field is shown (LazyCodeField).
  await waitFor(() => expect(screen.getByTestId(testId).querySelector(".cm-editor")).not.toBeNull());
  const view = EditorView.findFromDOM(screen.getByTestId(testId).querySelector(".cm-editor") as HTMLElement)!;
  act(() => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }));
}

describe("the events view", () => {
  beforeEach(() => setTransport(createBrowserBackend()));

  it("refuses an event typed with bad JSON, beside the payload, and stores a good one", async () => {
    render(<EventsView />);
    await screen.findByTestId("received-events-empty");
    fireEvent.click(screen.getByTestId("new-event"));
    const form = await screen.findByTestId("new-event-form");
    expect((within(form).getByTestId("new-event-alias") as HTMLInputElement).value).toBe("signup");

    await setCode("new-event-json", '{ "email": "ada@example.com", }');
    fireEvent.click(screen.getByTestId("create-event"));
    const error = await screen.findByTestId("new-event-json-error");
    expect(error.textContent).toMatch(/not valid JSON/);
    expect(error.parentElement!.contains(screen.getByTestId("new-event-json"))).toBe(true);

    await setCode("new-event-json", '{ "email": "ada@example.com", "plan": "pro" }');
    fireEvent.click(screen.getByTestId("create-event"));
    const payload = await screen.findByTestId("event-payload");
    expect(payload.textContent).toBe('{\n  "email": "ada@example.com",\n  "plan": "pro"\n}');
    const row = screen.getAllByTestId(/^event-browser-/)[0];
    expect(row.textContent).toContain("signup");
    expect(row.textContent).toContain("manual");
  });

  it("shows a rejected event's reason and raw body", async () => {
    const backend = createBrowserBackend() as unknown as (command: CommandName, args: unknown) => Promise<unknown>;
    const body = [...new TextEncoder().encode('{"email": 42}')];
    setTransport((async (command: CommandName, args: Args<CommandName>) => {
      if (command === "list_rejected_events") return [{ id: "x1", alias: "signup", source: "public_api", reason: "email: expected an email", raw_body: body, received_at: "2025-05-01T10:00:00Z" }];
      return backend(command, args);
    }) as Transport);
    render(<EventsView />);
    fireEvent.click(screen.getByTestId("events-tab-rejected"));
    fireEvent.click(await screen.findByTestId("rejected-x1"));
    expect(screen.getByTestId("rejected-reason").textContent).toBe("email: expected an email");
    expect(screen.getByTestId("rejected-body").textContent).toBe('{"email": 42}');
  });

  it("edits a definition: pointers only for webhooks, email field and key picked from the fields", async () => {
    render(<EventsView />);
    fireEvent.click(screen.getByTestId("events-tab-definitions"));
    fireEvent.click(screen.getByTestId("new-definition"));
    const form = await screen.findByTestId("definition-form");
    expect(within(form).queryByTestId("def-field-0-pointer")).toBeNull();
    fireEvent.change(within(form).getByTestId("def-context"), { target: { value: "webhook" } });
    fireEvent.change(within(form).getByTestId("def-field-0-pointer"), { target: { value: "/customer/email" } });
    fireEvent.change(within(form).getByTestId("def-alias"), { target: { value: "order_paid" } });
    // Renaming the key field keeps it the primary key.
    fireEvent.change(within(form).getByTestId("def-field-1-name"), { target: { value: "order" } });
    expect((within(form).getByTestId("def-primary-key") as HTMLSelectElement).value).toBe("order");
    fireEvent.click(within(form).getByTestId("def-field-0-remove"));
    fireEvent.click(within(form).getByTestId("save-definition"));
    expect((await screen.findByTestId("def-email-field-error")).textContent).toMatch(/email/);

    fireEvent.click(within(form).getByTestId("def-add-field"));
    fireEvent.change(within(form).getByTestId("def-field-1-name"), { target: { value: "mail" } });
    fireEvent.change(within(form).getByTestId("def-field-1-type"), { target: { value: "email" } });
    fireEvent.change(within(form).getByTestId("def-email-field"), { target: { value: "mail" } });
    fireEvent.click(within(form).getByTestId("save-definition"));
    await screen.findByTestId("definition-order_paid");
    await waitFor(() => expect(screen.queryByTestId("def-email-field-error")).toBeNull());
  });

  it("builds a sample payload at each field's pointer", () => {
    expect(
      samplePayload({
        alias: "a",
        context: "webhook",
        fields: [
          { name: "email", type: "email", required: true, pointer: "/customer/email" },
          { name: "id", type: "text", required: true },
        ],
        email_field: "email",
        primary_key: "id",
      }),
    ).toEqual({ customer: { email: "ada.lovelace@example.com" }, id: "order-1001" });
  });
});
