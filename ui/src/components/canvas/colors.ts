// Colours for what the canvas draws itself on <canvas> elements (minimap, zoomed-out
// overview): the design tokens' CSS variables, read from the element drawn on.

/** The CSS variable of a node category's colour; `--error` for a type the catalogue lacks. */
export function categoryVariable(category: string | undefined): string {
  switch (category) {
    case "trigger":
      return "--cat-trigger";
    case "action":
      return "--cat-action";
    case "flow":
      return "--cat-flow";
    default:
      return "--error";
  }
}

/** Reads CSS variables as `element` sees them (light or dark), each once per reader. */
export function cssColors(element: Element): (variable: string) => string {
  const style = getComputedStyle(element);
  const read = new Map<string, string>();
  return (variable) => {
    let value = read.get(variable);
    if (value === undefined) {
      value = style.getPropertyValue(variable).trim();
      read.set(variable, value);
    }
    return value;
  };
}
