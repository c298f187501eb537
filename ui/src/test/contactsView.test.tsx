import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { type Args, type CommandName, type Contact, setTransport, type Transport } from "../api";
import { createBrowserBackend } from "../api/browserBackend";
import { ContactsView } from "../views/ContactsView";

const contact = (id: string, email: string, first: string, last: string, groups: string[], extra: Partial<Contact> = {}): Contact => ({
  id,
  email,
  phone: null,
  first_name: first,
  last_name: last,
  city: null,
  birthday: null,
  custom: {},
  groups,
  ...extra,
});

const PEOPLE: Contact[] = [
  contact("c1", "ada.lovelace@example.com", "Ada", "Lovelace", ["customers", "newsletter"], { city: "London", custom: { tier: "gold", score: 42, tags: ["a", "b"] } }),
  contact("c2", "alan.turing@example.com", "Alan", "Turing", ["customers"], { phone: "+44 161 555 0100" }),
  contact("c3", "grace.hopper@example.com", "Grace", "Hopper", ["newsletter"]),
];

/** The browser backend with a few contacts, groups and one run; `overrides` answer other commands. */
function withContacts(overrides: Partial<Record<CommandName, (args: never) => unknown>> = {}): Transport {
  const backend = createBrowserBackend() as unknown as (command: CommandName, args: unknown) => Promise<unknown>;
  return (async (command: CommandName, args: Args<CommandName>) => {
    const override = overrides[command];
    if (override) return override(args as never);
    if (command === "search_contacts") {
      const { text, group, limit } = (args as Args<"search_contacts">).query;
      const t = (text ?? "").toLowerCase();
      return PEOPLE.filter((c) => !group || c.groups.includes(group))
        .filter((c) => !t || [c.email, c.phone, c.first_name, c.last_name].some((v) => v?.toLowerCase().includes(t)))
        .slice(0, limit);
    }
    if (command === "list_groups") return [{ name: "customers", members: 2 }, { name: "newsletter", members: 2 }];
    if (command === "contact_card") {
      const found = PEOPLE.find((c) => c.id === (args as Args<"contact_card">).id)!;
      const runs = found.id === "c1" ? [{ id: "r1", workflow: "welcome", status: "completed", contact_id: "c1", meta: { event_id: null, started_at: "2025-05-01T10:00:00Z", finished_at: "2025-05-01T10:00:01Z" }, steps: 4 }] : [];
      return { contact: found, runs };
    }
    return backend(command, args);
  }) as Transport;
}

const rows = () => screen.getAllByTestId(/^contact-[^-]+@/).map((r) => r.getAttribute("data-testid"));

describe("the contacts view", () => {
  it("searches as you type and filters by group", async () => {
    setTransport(withContacts());
    render(<ContactsView />);
    await screen.findByTestId("contact-ada.lovelace@example.com");
    expect(rows()).toHaveLength(3);
    expect(screen.getByTestId("contacts-count").textContent).toBe("3 contacts");

    fireEvent.change(screen.getByTestId("contacts-search"), { target: { value: "HOPP" } });
    await waitFor(() => expect(rows()).toEqual(["contact-grace.hopper@example.com"]));

    fireEvent.change(screen.getByTestId("contacts-search"), { target: { value: "555 0100" } });
    await waitFor(() => expect(rows()).toEqual(["contact-alan.turing@example.com"]));

    fireEvent.change(screen.getByTestId("contacts-search"), { target: { value: "" } });
    await screen.findByRole("option", { name: "newsletter (2)" });
    fireEvent.change(screen.getByTestId("contacts-group"), { target: { value: "newsletter" } });
    await waitFor(() => expect(rows()).toEqual(["contact-ada.lovelace@example.com", "contact-grace.hopper@example.com"]));

    fireEvent.change(screen.getByTestId("contacts-search"), { target: { value: "turing" } });
    const empty = await screen.findByTestId("contacts-empty");
    expect(empty.textContent).toContain("No contact matches “turing” in group newsletter");
  });

  it("opens a contact card with fields, custom JSON values, groups and runs", async () => {
    setTransport(withContacts());
    render(<ContactsView />);
    fireEvent.click(await screen.findByTestId("contact-ada.lovelace@example.com"));
    const card = await screen.findByTestId("contact-card");
    expect(within(card).getByTestId("contact-card-name").textContent).toBe("Ada Lovelace");
    expect(within(card).getByTestId("contact-field-city").textContent).toBe("London");
    expect(within(card).getByTestId("contact-custom-tier").textContent).toBe('"gold"');
    expect(within(card).getByTestId("contact-custom-score").textContent).toBe("42");
    expect(within(card).getByTestId("contact-custom-tags").textContent).toBe('["a","b"]');
    expect(within(card).getByTestId("contact-group-newsletter")).toBeTruthy();
    expect(within(card).getByTestId("contact-run-r1").textContent).toContain("welcome");
    expect(within(card).getByTestId("contact-run-r1").textContent).toContain("completed");
  });

  it("shows every bad row of an import and says nothing was imported", async () => {
    setTransport(
      withContacts({
        import_contacts: () => ({ file: "/tmp/people.csv", created: 0, updated: 0, errors: [{ line: 3, message: "invalid email: `not-an-email` is not an email address" }] }),
      }),
    );
    render(<ContactsView />);
    await screen.findByTestId("contact-ada.lovelace@example.com");
    fireEvent.click(screen.getByTestId("import-contacts"));
    const table = await screen.findByTestId("import-errors");
    expect(within(table).getByTestId("import-error-0").textContent).toBe("3invalid email: `not-an-email` is not an email address");
    expect(screen.getByTestId("import-result").textContent).toMatch(/Nothing was imported: 1 row has a problem/);
  });

  it("shows the progress bar while importing, then the counts", async () => {
    let finish: (v: unknown) => void = () => {};
    setTransport(
      withContacts({
        import_contacts: ((args: Args<"import_contacts">) => {
          args.onProgress.onmessage({ done: 1, total: 2 });
          return new Promise((ok) => (finish = ok));
        }) as never,
      }),
    );
    render(<ContactsView />);
    await screen.findByTestId("contact-ada.lovelace@example.com");
    fireEvent.click(screen.getByTestId("import-contacts"));
    const bar = await screen.findByTestId("import-progress");
    await waitFor(() => expect(bar.getAttribute("value")).toBe("1"));
    expect(bar.getAttribute("max")).toBe("2");
    finish({ file: "/tmp/people.csv", created: 2, updated: 0, errors: [] });
    await waitFor(() => expect(screen.getByTestId("import-result").textContent).toBe("2 created, 0 updated."));
  });

  it("says plainly when importing is not possible (browser preview)", async () => {
    setTransport(createBrowserBackend());
    render(<ContactsView />);
    await screen.findByTestId("contacts-empty");
    expect(screen.getByTestId("contacts-empty").textContent).toContain("No contacts yet");
    fireEvent.click(screen.getByTestId("import-contacts"));
    const error = await screen.findByTestId("contacts-import-error");
    expect(error.textContent).toMatch(/Could not import contacts: Importing a file needs the desktop app/);
  });
});
