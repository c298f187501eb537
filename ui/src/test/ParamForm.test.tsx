import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import type { ParamKind } from "../bindings/ParamKind";
import type { ParamSpec } from "../bindings/ParamSpec";
import { type FieldOptions, ParamForm } from "../components/form/ParamForm";
import { demo, specs } from "./fixtures";

const options: FieldOptions = {
  eventDefinitions: demo.event_definitions,
  webhooks: demo.webhooks,
  connectors: demo.connectors,
  variables: [
    { name: "event.email", detail: "signup" },
    { name: "contact.city", detail: "contact" },
  ],
};

/** The first declaration of each ParamKind type in catalogue.json. */
const byKind = new Map<ParamKind["type"], ParamSpec>();
for (const s of specs) for (const p of s.params) if (!byKind.has(p.kind.type)) byKind.set(p.kind.type, p);

function renderOne(spec: ParamSpec, value?: unknown) {
  const onChange = vi.fn();
  const values = value === undefined ? {} : { [spec.name]: value };
  render(<ParamForm params={[spec]} values={values} onChange={onChange} options={options} />);
  return onChange;
}

/** A form that keeps its values, as the inspector does, reporting each change to `spy`. */
function Stateful({ spec, spy }: { spec: ParamSpec; spy: (name: string, value: unknown) => void }) {
  const [values, setValues] = useState<Record<string, unknown>>({});
  return (
    <ParamForm
      params={[spec]}
      values={values}
      onChange={(name, value) => {
        spy(name, value);
        setValues((v) => ({ ...v, [name]: value }));
      }}
      options={options}
    />
  );
}

const field = (name: string) => screen.getByTestId(`param-${name}`);

describe("the generic parameter form", () => {
  it("covers every ParamKind in catalogue.json", () => {
    // If the catalogue gains a kind, this test and the form must learn it.
    expect([...byKind.keys()].sort()).toEqual(
      ["boolean", "code", "condition", "duration", "event_alias", "expression", "field_mappings", "inline_webhook", "number", "select", "switch_paths", "text", "webhook_ref"].filter((k) =>
        byKind.has(k as ParamKind["type"]),
      ),
    );
    expect(byKind.size).toBeGreaterThanOrEqual(10);
  });

  it("renders every parameter of every node type with a labelled field of id param-<name>", () => {
    for (const s of specs) {
      const { unmount, container } = render(<ParamForm params={s.params} values={{}} onChange={() => {}} options={options} />);
      for (const p of s.params) {
        const el = container.querySelector(`#param-${p.name}`);
        expect(el, `${s.kind}.${p.name}`).not.toBeNull();
        expect(screen.getByText(p.label)).toBeTruthy();
        if (p.help) expect(screen.getByText(p.help)).toBeTruthy();
      }
      unmount();
    }
  });

  it("text: reports the typed value", () => {
    const spec = byKind.get("text")!;
    const onChange = renderOne(spec);
    fireEvent.change(field(spec.name), { target: { value: "vip" } });
    expect(onChange).toHaveBeenCalledWith(spec.name, "vip");
  });

  it("expression: reports the value and completes ${…} variables", () => {
    const spec = byKind.get("expression")!;
    const onChange = vi.fn();
    render(<Stateful spec={spec} spy={onChange} />);
    const input = field(spec.name) as HTMLInputElement;
    fireEvent.change(input, { target: { value: "${ev", selectionStart: 4 } });
    expect(onChange).toHaveBeenLastCalledWith(spec.name, "${ev");
    const option = screen.getByRole("option", { name: /event\.email/ });
    fireEvent.mouseDown(option);
    // The component is controlled: the completion reports the completed text.
    expect(onChange).toHaveBeenLastCalledWith(spec.name, "${event.email}");
  });

  it("expression: an emptied optional value is removed rather than stored as ''", () => {
    const spec = { ...byKind.get("expression")!, required: false };
    const onChange = renderOne(spec, "${contact.email}");
    fireEvent.change(field(spec.name), { target: { value: "" } });
    expect(onChange).toHaveBeenCalledWith(spec.name, undefined);
  });

  it("condition: reports the typed condition", () => {
    const spec = byKind.get("condition")!;
    const onChange = renderOne(spec);
    fireEvent.change(field(spec.name), { target: { value: '${contact.city} == "Paris"' } });
    expect(onChange).toHaveBeenCalledWith(spec.name, '${contact.city} == "Paris"');
  });

  it("select: offers the declared options and reports the choice", () => {
    const spec = byKind.get("select")!;
    const kind = spec.kind as Extract<ParamKind, { type: "select" }>;
    const onChange = renderOne(spec, spec.default);
    const select = field(spec.name) as HTMLSelectElement;
    const offered = [...select.options].map((o) => o.value).filter(Boolean);
    expect(offered).toEqual(kind.options);
    fireEvent.change(select, { target: { value: kind.options.at(-1) } });
    expect(onChange).toHaveBeenCalledWith(spec.name, kind.options.at(-1));
  });

  it("duration: reports the typed duration", () => {
    const spec = byKind.get("duration")!;
    const onChange = renderOne(spec, spec.default);
    expect((field(spec.name) as HTMLInputElement).value).toBe(spec.default);
    fireEvent.change(field(spec.name), { target: { value: "15m" } });
    expect(onChange).toHaveBeenCalledWith(spec.name, "15m");
  });

  it("event_alias: picks from the event definitions", () => {
    const spec = byKind.get("event_alias")!;
    const onChange = renderOne(spec);
    const select = field(spec.name) as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toContain("signup");
    fireEvent.change(select, { target: { value: "signup" } });
    expect(onChange).toHaveBeenCalledWith(spec.name, "signup");
  });

  it("webhook_ref: picks from the webhooks, and None clears it", () => {
    const spec = byKind.get("webhook_ref")!;
    const onChange = renderOne(spec, "crm_upsert");
    const select = field(spec.name) as HTMLSelectElement;
    expect(select.value).toBe("crm_upsert");
    fireEvent.change(select, { target: { value: "" } });
    expect(onChange).toHaveBeenCalledWith(spec.name, undefined);
  });

  it("inline_webhook: defines a request, then edits its URL in the sub-form", () => {
    const spec = byKind.get("inline_webhook")!;
    const onChange = renderOne(spec);
    fireEvent.click(screen.getByTestId(`param-${spec.name}-define`));
    const defined = onChange.mock.lastCall![1] as Record<string, unknown>;
    expect(defined).toMatchObject({ method: "POST", url: "" });
    onChange.mockClear();
    const { unmount } = render(<ParamForm params={[spec]} values={{ [spec.name]: defined }} onChange={onChange} options={options} />);
    fireEvent.change(screen.getAllByTestId(`param-${spec.name}-url`).at(-1)!, { target: { value: "https://api.test/x" } });
    expect(onChange).toHaveBeenCalledWith(spec.name, { ...defined, url: "https://api.test/x" });
    fireEvent.change(screen.getAllByTestId(`param-${spec.name}-method`).at(-1)!, { target: { value: "GET" } });
    expect(onChange).toHaveBeenLastCalledWith(spec.name, { ...defined, method: "GET" });
    unmount();
  });

  it("switch_paths: edits, adds and removes paths", () => {
    const spec = byKind.get("switch_paths")!;
    const paths = [
      { name: "ok", when: "200-299" },
      { name: "missing", when: "404" },
    ];
    const onChange = renderOne(spec, paths);
    fireEvent.change(screen.getByTestId(`param-${spec.name}-0-name`), { target: { value: "success" } });
    expect(onChange).toHaveBeenLastCalledWith(spec.name, [{ name: "success", when: "200-299" }, paths[1]]);
    fireEvent.change(screen.getByTestId(`param-${spec.name}-1-when`), { target: { value: "4xx" } });
    expect(onChange).toHaveBeenLastCalledWith(spec.name, [paths[0], { name: "missing", when: "4xx" }]);
    fireEvent.click(screen.getByTestId(`param-${spec.name}-add`));
    expect(onChange).toHaveBeenLastCalledWith(spec.name, [...paths, { name: "", when: "" }]);
    fireEvent.click(screen.getByTestId(`param-${spec.name}-0-remove`));
    expect(onChange).toHaveBeenLastCalledWith(spec.name, [paths[1]]);
    fireEvent.click(screen.getByRole("button", { name: "Move row 2 up" }));
    expect(onChange).toHaveBeenLastCalledWith(spec.name, [paths[1], paths[0]]);
  });

  it("field_mappings: edits the field and the value of a mapping", () => {
    const spec = byKind.get("field_mappings")!;
    const onChange = renderOne(spec, [{ field: "city", value: "" }]);
    fireEvent.change(screen.getByTestId(`param-${spec.name}-0-field`), { target: { value: "custom.plan" } });
    expect(onChange).toHaveBeenLastCalledWith(spec.name, [{ field: "custom.plan", value: "" }]);
    fireEvent.change(screen.getByTestId(`param-${spec.name}-0-value`), { target: { value: "${event.plan}" } });
    expect(onChange).toHaveBeenLastCalledWith(spec.name, [{ field: "city", value: "${event.plan}" }]);
  });

  it("number and boolean (declared here; the catalogue may not use them yet)", () => {
    const number: ParamSpec = { name: "limit", label: "Limit", kind: { type: "number" }, required: false, default: null, help: "" };
    const flag: ParamSpec = { name: "strict", label: "Strict", kind: { type: "boolean" }, required: false, default: false, help: "" };
    const onChange = vi.fn();
    render(<ParamForm params={[number, flag]} values={{ limit: 3, strict: false }} onChange={onChange} options={options} />);
    fireEvent.change(field("limit"), { target: { value: "42" } });
    expect(onChange).toHaveBeenCalledWith("limit", 42);
    fireEvent.click(field("strict"));
    expect(onChange).toHaveBeenCalledWith("strict", true);
  });

  it("code: renders a CodeMirror editor for JSON and XML declarations", async () => {
    const jsonSpec: ParamSpec = { name: "body", label: "Body", kind: { type: "code", language: "json" }, required: true, default: "{}", help: "" };
    const xmlSpec: ParamSpec = { name: "xml", label: "XML", kind: { type: "code", language: "xml" }, required: true, default: "<a/>", help: "" };
    const { container } = render(
      <ParamForm params={[jsonSpec, xmlSpec]} values={{ body: '{"a": 1}', xml: "<a>1</a>" }} onChange={() => {}} options={options} />,
    );
    // CodeMirror is loaded the first time a code field is shown (LazyCodeField).
    await waitFor(() => expect(field("body").querySelector(".cm-editor")).not.toBeNull());
    expect(field("xml").querySelector(".cm-editor")).not.toBeNull();
    expect(container.textContent).toContain('{"a": 1}');
  });

  it("shows validation issues beside the field they concern", () => {
    const spec = byKind.get("condition")!;
    render(
      <ParamForm
        params={[spec]}
        values={{}}
        onChange={() => {}}
        options={options}
        issues={{ [spec.name]: [{ severity: "error", path: `nodes[3].params.${spec.name}`, code: "missing_param", message: "Condition is required", node: "c" }] }}
      />,
    );
    expect(screen.getByRole("alert").textContent).toContain("Condition is required");
    expect(field(spec.name).className).toContain("invalid");
  });
});
