import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Args, type CommandName, notifyReceived, type StoredEvent, setTransport, type Transport } from "../api";
import { createBrowserBackend } from "../api/browserBackend";
import type { EventDefinition } from "../bindings/EventDefinition";
import { EventsView } from "../views/EventsView";
import { curlExample, eventUrl, noticeText, parsePort, shellQuote } from "../views/LocalReceiverPanel";

beforeAll(() => {
  window.matchMedia ??= ((query: string) => ({ matches: false, media: query, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia;
});

const order: EventDefinition = {
  alias: "order",
  context: "webhook",
  fields: [
    { name: "email", type: "email", required: true, pointer: "/customer/email" },
    { name: "order_id", type: "text", required: true },
  ],
  email_field: "email",
  primary_key: "order_id",
};

describe("the local receiver's pieces", () => {
  it("reads the port: empty for any free port, 1 to 65535, nothing else", () => {
    expect(parsePort("")).toEqual({ port: null });
    expect(parsePort(" 8788 ")).toEqual({ port: 8788 });
    for (const bad of ["0", "65536", "80a", "-1", "1.5"]) expect(parsePort(bad)).toHaveProperty("error");
  });

  it("gives each context its URL and a curl command with the sample body at its pointers", () => {
    const base = "http://127.0.0.1:8788";
    expect(eventUrl(base, order)).toBe("http://127.0.0.1:8788/hooks/order");
    expect(eventUrl(base, { ...order, alias: "sign up", context: "public_api" })).toBe("http://127.0.0.1:8788/api/v1/custom-events/alias/sign%20up?createContact=true");
    const curl = curlExample(base, order);
    expect(curl).toBe(
      "curl -i -X POST 'http://127.0.0.1:8788/hooks/order' \\\n" +
        "  -H 'Content-Type: application/json' \\\n" +
        `  -d '{"customer":{"email":"ada.lovelace@example.com"},"order_id":"order-1001"}'`,
    );
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it("says what happened to an event", () => {
    expect(noticeText({ kind: "accepted", event_id: "e1", alias: "order", source: "webhook", duplicate: false })).toBe("order (webhook): stored");
    expect(noticeText({ kind: "rejected", rejected_id: "r1", alias: "order", source: "webhook", status: 422, reason: "the event is not valid: missing email" })).toContain("rejected with 422");
  });
});

describe("the local receiver panel", () => {
  let received: StoredEvent[];
  let started: number | null;

  beforeEach(() => {
    received = [];
    started = null;
    const backend = createBrowserBackend() as unknown as (command: CommandName, args: unknown) => Promise<unknown>;
    setTransport((async (command: CommandName, args: Args<CommandName>) => {
      switch (command) {
        case "list_event_definitions":
          return [order];
        case "list_received_events":
          return structuredClone(received);
        case "local_receiver_status":
          return { port: started, url: started ? `http://127.0.0.1:${started}` : null };
        case "start_local_receiver": {
          const { port } = args as Args<"start_local_receiver">;
          if (port === 8787) throw { code: "port_in_use", message: "port 8787 is already in use on 127.0.0.1", path: "port" };
          started = port ?? 40123;
          return { port: started, url: `http://127.0.0.1:${started}` };
        }
        case "stop_local_receiver":
          started = null;
          return { port: null, url: null };
        default:
          return backend(command, args);
      }
    }) as Transport);
  });

  it("shows a port in use beside the port, then starts, shows the URLs and follows events as they arrive", async () => {
    render(<EventsView />);
    await screen.findByTestId("received-events-empty");
    const port = screen.getByTestId("receiver-port") as HTMLInputElement;

    fireEvent.change(port, { target: { value: "99999" } });
    fireEvent.click(screen.getByTestId("receiver-start"));
    expect((await screen.findByTestId("receiver-port-error")).textContent).toMatch(/1 to 65535/);

    fireEvent.change(port, { target: { value: "8787" } });
    fireEvent.click(screen.getByTestId("receiver-start"));
    await waitFor(() => expect(screen.getByTestId("receiver-port-error").textContent).toMatch(/already in use/));
    expect(port.closest("[data-testid=local-receiver]")!.contains(screen.getByTestId("receiver-port-error"))).toBe(true);

    fireEvent.change(port, { target: { value: "" } });
    fireEvent.click(screen.getByTestId("receiver-start"));
    expect((await screen.findByTestId("receiver-url")).textContent).toBe("http://127.0.0.1:40123");
    expect(screen.queryByTestId("receiver-port-error")).toBeNull();
    expect(port.value).toBe("40123");
    expect(port.disabled).toBe(true);
    expect(screen.getByTestId("receiver-event-url").textContent).toBe("http://127.0.0.1:40123/hooks/order");
    expect(screen.getByTestId("receiver-curl").textContent).toContain("curl -i -X POST 'http://127.0.0.1:40123/hooks/order'");
    expect(screen.getByTestId("receiver-note").textContent).toMatch(/do not run workflows/);

    // An event arrives: the received list follows without Refresh.
    received = [{ id: "e1", event: { alias: "order", source: "webhook", payload: { email: "ada@example.com", order_id: "o-1" } }, contact_id: "c1", primary_key: "o-1", received_at: "2025-05-01T10:00:00Z" }];
    act(() => notifyReceived({ kind: "accepted", event_id: "e1", alias: "order", source: "webhook", duplicate: false }));
    await screen.findByTestId("event-e1");
    expect(screen.getByTestId("receiver-last").textContent).toBe("Last: order (webhook): stored");

    fireEvent.click(screen.getByTestId("receiver-stop"));
    expect((await screen.findByTestId("receiver-state")).textContent).toBe("Stopped");
    await waitFor(() => expect(screen.queryByTestId("receiver-url")).toBeNull());
    expect(port.disabled).toBe(false);
  });
});
