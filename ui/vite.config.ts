/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The browser fallback backend reads the demo bundle from the repository's test fixtures.
const fixtures = fileURLToPath(new URL("../tests/fixtures", import.meta.url));

export default defineConfig({
  plugins: [react()],
  // Tauri serves ui/dist from its own origin; relative asset paths work there and in `vite preview`.
  base: "./",
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    fs: { allow: [".", fixtures] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
