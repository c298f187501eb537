import { type ReactFlowState, useStore } from "@xyflow/react";
import { useColorScheme } from "../../useColorScheme";
import { cssColors } from "./colors";

/** Distance between two dots and their diameter, in flow pixels (scaled with the zoom). */
const GAP = 18;
const DOT = 1.2;
/** Dots per side of the tile image: bigger tiles, fewer of them to paint per frame. */
const PER_TILE = 4;

const transformSelector = (s: ReactFlowState) => s.transform;

/** An SVG image of PER_TILE × PER_TILE dots in `color`, as a CSS url(). */
function tile(color: string): string {
  const size = GAP * PER_TILE;
  let dots = "";
  for (let i = 0; i < PER_TILE; i++) {
    for (let j = 0; j < PER_TILE; j++) dots += `<circle cx="${i * GAP + DOT / 2}" cy="${j * GAP + DOT / 2}" r="${DOT / 2}"/>`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" fill="${color}">${dots}</svg>`;
  return `url("data:image/svg+xml,${encodeURIComponent(svg)}")`;
}

const tiles = new Map<string, string>();

/** The tile for a colour scheme, in that scheme's dot colour (a design token). */
function tileFor(scheme: string): string {
  let image = tiles.get(scheme);
  if (image === undefined) {
    image = tile(cssColors(document.documentElement)("--canvas-dots") || "gray");
    tiles.set(scheme, image);
  }
  return image;
}

/**
 * The canvas's dotted background: an image of a few dots, tiled and shifted with the view.
 * React Flow's <Background> is an SVG pattern that WebKit draws again, dot by dot, on every
 * frame of a pan; painting on the CPU, that alone held panning at 100 % zoom near 46 fps. An
 * image is rasterized once per zoom and then only copied.
 */
export function CanvasDots() {
  const [x, y, zoom] = useStore(transformSelector);
  const scheme = useColorScheme();
  const image = tileFor(scheme);
  const size = GAP * PER_TILE * zoom;
  return (
    <div
      className="canvas-dots"
      data-testid="canvas-dots"
      aria-hidden="true"
      style={{ backgroundImage: image, backgroundSize: `${size}px ${size}px`, backgroundPosition: `${x}px ${y}px` }}
    />
  );
}
