// Builds {{name}}.wasm from plugin.js with componentize-js (npm), which
// bundles a JavaScript engine into the component. Every optional WASI feature
// is disabled: the component imports only what world {{world}} names.
import { componentize } from "@bytecodealliance/componentize-js";
import { writeFile } from "node:fs/promises";

const { component } = await componentize({
  sourcePath: "plugin.js",
  witPath: "wit",
  worldName: "{{world}}",
  disableFeatures: ["stdio", "random", "clocks", "http", "fetch-event"],
});
await writeFile("{{name}}.wasm", component);
console.log(`{{name}}.wasm: ${component.length} bytes`);
