// {{name}}: a glint detector (world detect-plugin). It runs models through
// wasi:nn by registry name (import from "wasi:nn/graph@…": loadByName) and
// reads a version's files through "glint:plugins/models@{{version}}".
//
// This skeleton answers unsupported-model until you write detect: `glint
// plugins check` refuses it at the canary (find the cat in the bundled photo)
// until then.
import { manifest } from "glint:plugins/models@{{version}}";

export const detector = {
  detect(req) {
    manifest(req.model); // the version's model.toml: its graphs and assets
    throw { code: "unsupported-model", message: `{{name}} cannot run ${req.model} yet` };
  },
};
