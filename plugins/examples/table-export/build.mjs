// Builds table-export.wasm from plugin.js with componentize-js, against the
// WIT in wit/ (build.sh writes it with `glint plugins wit`). Every optional
// WASI feature is disabled: the component imports only glint:plugins/types.
import { componentize } from "@bytecodealliance/componentize-js";
import { writeFile } from "node:fs/promises";

const { component } = await componentize({
  sourcePath: "plugin.js",
  witPath: "wit",
  worldName: "export-plugin",
  disableFeatures: ["stdio", "random", "clocks", "http", "fetch-event"],
});
await writeFile("table-export.wasm", component);
console.log(`table-export.wasm: ${component.length} bytes`);
