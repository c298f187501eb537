import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { type Args, type CommandName, type Contact, type Segment, setTransport, type Transport } from "../api";
import { createBrowserBackend, inSegment } from "../api/browserBackend";
import { SubjectPicker } from "../components/test/SubjectPicker";
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
  contact("c1", "ada.lovelace@example.com", "Ada", "Lovelace", ["customers", "newsletter"], { city: "London", custom: { tier: "Gold", score: 42 } }),
  contact("c2", "alan.turing@example.com", "Alan", "Turing", ["customers"], { city: "Manchester", phone: "+44 161 555 0100" }),
  contact("c3", "grace.hopper@example.com", "Grace", "Hopper", ["newsletter"], { city: "london" }),
];

/**
 * The browser backend (segments kept and checked there) over a few contacts: searches filter
 * them by text, group and the saved segment. `queries` records every search's segment.
 */
function withPeople(queries: (string | null)[] = []): Transport {
  const backend = createBrowserBackend() as unknown as (command: CommandName, args: unknown) => Promise<unknown>;
  return (async (command: CommandName, args: Args<CommandName>) => {
    if (command === "search_contacts") {
      const { text, group, segment, limit } = (args as Args<"search_contacts">).query;
      queries.push(segment);
      const saved = segment ? ((await backend("list_segments", {})) as Segment[]).find((s) => s.name === segment) : undefined;
      if (segment && !saved) throw { code: "not_found", message: `no segment named \`${segment}\`` };
      const t = (text ?? "").toLowerCase();
      return PEOPLE.filter((c) => !group || c.groups.includes(group))
        .filter((c) => !saved || inSegment(c, saved))
        .filter((c) => !t || [c.email, c.phone, c.first_name, c.last_name].some((v) => v?.toLowerCase().includes(t)))
        .slice(0, limit);
    }
    if (command === "list_groups") return [{ name: "customers", members: 2 }, { name: "newsletter", members: 2 }];
    return backend(command, args);
  }) as Transport;
}

const rows = () => screen.queryAllByTestId(/^contact-[^-]+@/).map((r) => r.getAttribute("data-testid"));

/** Opens the editor, names the segment and fills condition 0 with `field op value`. */
async function draft(name: string, field: string, op: string, value: string | null) {
  fireEvent.click(await screen.findByTestId("new-segment"));
  const form = await screen.findByTestId("segment-form");
  fireEvent.change(within(form).getByTestId("segment-name"), { target: { value: name } });
  fireEvent.click(within(form).getByTestId("segment-add-condition"));
  fireEvent.change(within(form).getByTestId("segment-condition-0-field"), { target: { value: field } });
  fireEvent.change(within(form).getByTestId("segment-condition-0-op"), { target: { value: op } });
  if (value !== null) fireEvent.change(within(form).getByTestId("segment-condition-0-value"), { target: { value } });
  return form;
}

describe("segments", () => {
  it("match any of their groups and all of their conditions, ignoring case", () => {
    const seg: Segment = { name: "s", description: null, groups: ["customers"], conditions: [{ field: "city", op: "equals", value: "LONDON" }] };
    expect(PEOPLE.filter((c) => inSegment(c, seg)).map((c) => c.id)).toEqual(["c1"]);
    const custom: Segment = { name: "s", description: null, groups: [], conditions: [{ field: "custom.tier", op: "starts_with", value: "go" }, { field: "custom.score", op: "equals", value: "42" }] };
    expect(PEOPLE.filter((c) => inSegment(c, custom)).map((c) => c.id)).toEqual(["c1"]);
    const noPhone: Segment = { name: "s", description: null, groups: ["customers", "newsletter"], conditions: [{ field: "phone", op: "is_not_set", value: null }] };
    expect(PEOPLE.filter((c) => inSegment(c, noPhone)).map((c) => c.id)).toEqual(["c1", "c3"]);
  });

  it("are saved from the contacts view and filter its list", async () => {
    const queries: (string | null)[] = [];
    setTransport(withPeople(queries));
    render(<ContactsView />);
    await screen.findByTestId("contact-ada.lovelace@example.com");
    expect(rows()).toHaveLength(3);

    const form = await draft("Londoners", "city", "equals", "london");
    fireEvent.change(within(form).getByTestId("segment-description"), { target: { value: "people in London" } });
    fireEvent.click(within(form).getByTestId("save-segment"));

    await waitFor(() => expect(screen.queryByTestId("segment-form")).toBeNull());
    await waitFor(() => expect((screen.getByTestId("contacts-segment") as HTMLSelectElement).value).toBe("Londoners"));
    await waitFor(() => expect(rows()).toEqual(["contact-ada.lovelace@example.com", "contact-grace.hopper@example.com"]));
    expect(queries).toContain("Londoners");
    expect(screen.getByTestId("contacts-segment-description").textContent).toBe("people in London");

    // Narrowed to a group too, then edited to need the group.
    fireEvent.click(screen.getByTestId("edit-segment"));
    const edit = await screen.findByTestId("segment-form");
    expect((within(edit).getByTestId("segment-condition-0-value") as HTMLInputElement).value).toBe("london");
    fireEvent.click(within(edit).getByTestId("segment-group-customers"));
    fireEvent.click(within(edit).getByTestId("save-segment"));
    await waitFor(() => expect(rows()).toEqual(["contact-ada.lovelace@example.com"]));

    fireEvent.change(screen.getByTestId("contacts-search"), { target: { value: "hopper" } });
    const empty = await screen.findByTestId("contacts-empty");
    expect(empty.textContent).toContain("No contact matches “hopper” in segment Londoners");
  });

  it("show every error beside the field it concerns", async () => {
    setTransport(withPeople());
    render(<ContactsView />);
    await screen.findByTestId("contact-ada.lovelace@example.com");

    // A comparison without a value: the backend's `conditions[0].value` lands on row 0.
    const form = await draft("Empty value", "email", "contains", null);
    fireEvent.click(within(form).getByTestId("save-segment"));
    expect((await within(form).findByTestId("segment-condition-0-error")).textContent).toMatch(/needs a value/);

    // No name.
    fireEvent.change(within(form).getByTestId("segment-name"), { target: { value: "  " } });
    fireEvent.click(within(form).getByTestId("save-segment"));
    expect((await within(form).findByTestId("segment-name-error")).textContent).toMatch(/name/);
    expect(within(form).queryByTestId("segment-condition-0-error")).toBeNull();

    // A custom field without a name.
    fireEvent.change(within(form).getByTestId("segment-name"), { target: { value: "Gold" } });
    fireEvent.change(within(form).getByTestId("segment-condition-0-field"), { target: { value: "custom." } });
    fireEvent.change(within(form).getByTestId("segment-condition-0-value"), { target: { value: "gold" } });
    fireEvent.click(within(form).getByTestId("save-segment"));
    expect((await within(form).findByTestId("segment-condition-0-error")).textContent).toMatch(/custom field/);

    // Nothing to filter on.
    fireEvent.click(within(form).getByTestId("segment-condition-0-remove"));
    fireEvent.click(within(form).getByTestId("save-segment"));
    expect((await within(form).findByTestId("segment-conditions-error")).textContent).toMatch(/at least one group or one condition/);

    // Custom field conditions save; a second segment may not take its name.
    fireEvent.click(within(form).getByTestId("segment-add-condition"));
    fireEvent.change(within(form).getByTestId("segment-condition-0-field"), { target: { value: "custom." } });
    fireEvent.change(within(form).getByTestId("segment-condition-0-custom"), { target: { value: "tier" } });
    fireEvent.change(within(form).getByTestId("segment-condition-0-value"), { target: { value: "gold" } });
    fireEvent.click(within(form).getByTestId("save-segment"));
    await waitFor(() => expect(rows()).toEqual(["contact-ada.lovelace@example.com"]));

    fireEvent.change(screen.getByTestId("contacts-segment"), { target: { value: "" } });
    const again = await draft("Gold", "email", "is_set", null);
    fireEvent.click(within(again).getByTestId("save-segment"));
    expect((await within(again).findByTestId("segment-name-error")).textContent).toMatch(/already exists/);
  });

  it("can be deleted, which clears the filter", async () => {
    setTransport(withPeople());
    render(<ContactsView />);
    const form = await draft("No phone", "phone", "is_not_set", null);
    expect(within(form).queryByTestId("segment-condition-0-value")).toBeNull();
    fireEvent.click(within(form).getByTestId("save-segment"));
    await waitFor(() => expect(rows()).toEqual(["contact-ada.lovelace@example.com", "contact-grace.hopper@example.com"]));

    fireEvent.click(screen.getByTestId("edit-segment"));
    fireEvent.click(await screen.findByTestId("delete-segment"));
    fireEvent.click(screen.getByTestId("confirm-delete-segment"));
    await waitFor(() => expect((screen.getByTestId("contacts-segment") as HTMLSelectElement).value).toBe(""));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(screen.queryByRole("option", { name: "No phone" })).toBeNull();
  });

  it("filter the contacts of the Send test picker", async () => {
    const transport = withPeople();
    setTransport(transport);
    await transport("save_segment", { segment: { name: "Mancunians", description: null, groups: [], conditions: [{ field: "city", op: "equals", value: "manchester" }] }, previousName: null });
    render(<SubjectPicker subject={{}} onChange={() => {}} />);
    await screen.findByTestId("pick-contact-grace.hopper@example.com");
    fireEvent.change(await screen.findByTestId("contact-segment"), { target: { value: "Mancunians" } });
    await waitFor(() => expect(screen.queryByTestId("pick-contact-grace.hopper@example.com")).toBeNull());
    expect(screen.getByTestId("pick-contact-alan.turing@example.com")).toBeTruthy();
  });
});
