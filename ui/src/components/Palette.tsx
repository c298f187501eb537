import { useReactFlow } from "@xyflow/react";
import type { KeyboardEvent } from "react";
import type { NodeCategory } from "../bindings/NodeCategory";
import { useEditor } from "../store";

export const DRAG_TYPE = "application/x-hookboard-kind";

const GROUPS: { category: NodeCategory; title: string }[] = [
  { category: "trigger", title: "Triggers" },
  { category: "action", title: "Actions" },
  { category: "flow", title: "Flow" },
];

/** The screen centre of the canvas, in flow coordinates, nudged so the node's centre lands there. */
function useViewportCentre() {
  const rf = useReactFlow();
  return () => {
    const pane = document.querySelector(".canvas .react-flow")?.getBoundingClientRect();
    const point = pane ? { x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 } : { x: 400, y: 300 };
    const at = rf.screenToFlowPosition(point);
    return { x: at.x - 100, y: at.y - 40 };
  };
}

/** Node types grouped by category: drag onto the canvas, or focus one and press Enter. */
export function Palette() {
  const specs = useEditor((s) => s.specs);
  const open = useEditor((s) => s.meta !== null);
  const addNode = useEditor((s) => s.addNode);
  const say = useEditor((s) => s.say);
  const centre = useViewportCentre();

  const add = (kind: string, title: string) => {
    const id = addNode(kind, centre());
    if (id) say(`Added ${title} (${id}).`);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const items = [...e.currentTarget.querySelectorAll<HTMLButtonElement>(".palette-item")];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const next = items[(at + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length];
    next?.focus();
    e.preventDefault();
  };

  return (
    <nav className="palette" aria-label="Node palette" onKeyDown={onKeyDown} data-testid="palette">
      {GROUPS.map((g) => {
        const items = specs.filter((s) => s.category === g.category);
        if (items.length === 0) return null;
        return (
          <section key={g.category} className="palette-group">
            <h3 className="section-title">{g.title}</h3>
            {items.map((spec) => (
              <button
                key={spec.kind}
                type="button"
                className={`palette-item cat-${spec.category}`}
                data-testid={`palette-${spec.kind}`}
                title={`${spec.description} Drag onto the canvas, or press Enter to add it in the middle.`}
                draggable={open}
                disabled={!open}
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_TYPE, spec.kind);
                  e.dataTransfer.effectAllowed = "move";
                }}
                onClick={() => add(spec.kind, spec.title)}
              >
                <span className="palette-dot" aria-hidden />
                {spec.title}
              </button>
            ))}
          </section>
        );
      })}
    </nav>
  );
}
