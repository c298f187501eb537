// Writes a hookboard.bundle/v1 with one big workflow for the canvas bench, valid by
// construction (no errors, no warnings):
//
//   node tests/e2e/bench/make-bundle.mjs OUT.json [NAME] [COLUMNS]
//
// 1,000 nodes and 1,200 edges: a Manual trigger on the left fans out to the first of 37
// columns of 27 nodes; each node leads to the node on its row in the next column (set_field
// `next`, condition `true`), and 201 conditions also lead, through `false`, to the next row
// of the next column. The last column is End nodes. Edges only go to the next column, so
// there is no loop, and every node is reachable from the trigger. A second workflow,
// NAME-small (6 nodes in a row), is the baseline. Fewer COLUMNS make a
// smaller graph of the same shape (1 + 27 * COLUMNS nodes, 1.2 edges per node).
import { writeFileSync } from "node:fs";

export const COLUMNS = 37;
export const ROWS = 27;
const DX = 300;
const DY = 170;

export function benchBundle(name = "bench", columns = COLUMNS) {
  const COLUMNS = columns;
  // Conditions, each with a second (`false`) edge: 1.2 edges per node (201 for 1,000 nodes).
  const EXTRA = Math.min(Math.round(1.2 + 0.2 * COLUMNS * ROWS), (COLUMNS - 1) * ROWS);
  const id = (col, row) => `n${String(1 + (col - 1) * ROWS + row).padStart(4, "0")}`;
  const nodes = [
    { id: "n0000", kind: "trigger_manual", title: "Start", position: { x: 0, y: ((ROWS - 1) * DY) / 2 }, params: {} },
  ];
  const edges = [];
  // Which of the 36 * 27 inner nodes are conditions: EXTRA of them, spread evenly.
  const inner = (COLUMNS - 1) * ROWS;
  const isCondition = new Set();
  for (let k = 0; k < EXTRA; k++) isCondition.add(Math.floor((k * inner) / EXTRA));

  for (let col = 1; col <= COLUMNS; col++) {
    for (let row = 0; row < ROWS; row++) {
      const here = id(col, row);
      const position = { x: col * DX, y: row * DY };
      const k = (col - 1) * ROWS + row;
      if (col === COLUMNS) {
        nodes.push({ id: here, kind: "end", position, params: {} });
      } else if (isCondition.has(k)) {
        nodes.push({ id: here, kind: "condition", position, params: { expression: "1 == 1" } });
        edges.push({ from: here, port: "true", to: id(col + 1, row) });
        edges.push({ from: here, port: "false", to: id(col + 1, (row + 1) % ROWS) });
      } else {
        nodes.push({ id: here, kind: "set_field", position, params: { mappings: [{ field: "city", value: "x" }] } });
        edges.push({ from: here, port: "next", to: id(col + 1, row) });
      }
      if (col === 1) edges.push({ from: "n0000", port: "next", to: here });
    }
  }
  // A small workflow of the same kinds, to compare with (the environment's own cost).
  const small = {
    name: `${name}-small`,
    description: "Canvas bench baseline: 6 nodes (tests/e2e/bench).",
    nodes: [{ id: "t0", kind: "trigger_manual", title: "Start", position: { x: 0, y: 0 }, params: {} }],
    edges: [],
  };
  for (let i = 1; i <= 5; i++) {
    const kind = i === 5 ? "end" : "set_field";
    const params = kind === "set_field" ? { mappings: [{ field: "city", value: "x" }] } : {};
    small.nodes.push({ id: `t${i}`, kind, position: { x: i * DX, y: 0 }, params });
    small.edges.push({ from: `t${i - 1}`, port: "next", to: `t${i}` });
  }
  return {
    format: "hookboard.bundle/v1",
    workflows: [
      small,
      {
        name,
        description: `Canvas bench: ${nodes.length} nodes, ${edges.length} edges (tests/e2e/bench).`,
        nodes,
        edges,
      },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, name, columns] = process.argv.slice(2);
  if (!out) {
    console.error("usage: node make-bundle.mjs OUT.json [NAME]");
    process.exit(2);
  }
  const bundle = benchBundle(name, columns ? Number(columns) : undefined);
  writeFileSync(out, JSON.stringify(bundle, null, 1));
  const w = bundle.workflows[1];
  console.error(`bench: wrote ${out}: workflow "${w.name}", ${w.nodes.length} nodes, ${w.edges.length} edges`);
}
