"""{{name}}: a glint detector (world detect-plugin).

It runs models through wasi:nn by registry name
(wit_world.imports.graph.load_by_name) and reads a version's files through
wit_world.imports.models. This skeleton answers unsupported-model until you
write detect: `glint plugins check` refuses it at the canary (find the cat in
the bundled photo) until then.
"""
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import models
from wit_world.imports.types import Error, ErrorCode


class Detector(exports.Detector):
    def detect(self, req):
        models.manifest(req.model)  # the version's model.toml: its graphs and assets
        raise Err(Error(code=ErrorCode.UNSUPPORTED_MODEL, message=f"{{name}} cannot run {req.model} yet"))
