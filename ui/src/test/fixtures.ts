import demoJson from "../../../tests/fixtures/demo.bundle.json";
import catalogueJson from "../bindings/catalogue.json";
import type { Bundle } from "../bindings/Bundle";
import type { NodeTypeSpec } from "../bindings/NodeTypeSpec";
import { catalogueMap } from "../graph";

export const demo = demoJson as unknown as Bundle;
export const specs = catalogueJson as unknown as NodeTypeSpec[];
export const catalogue = catalogueMap(specs);
export const spec = (kind: string): NodeTypeSpec => {
  const found = catalogue.get(kind);
  if (!found) throw new Error(`no node type ${kind} in catalogue.json`);
  return found;
};
