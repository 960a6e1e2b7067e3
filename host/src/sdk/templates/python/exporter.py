"""{{name}}: a glint exporter (world export-plugin).

Its formats appear in the web app's export menu and at
/api/export?format=NAME.
"""
from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.exporter import Document, Format
from wit_world.imports.types import Error, ErrorCode

FORMAT = "{{name}}-txt"


class Exporter(exports.Exporter):
    def formats(self):
        return [Format(name=FORMAT, mime="text/plain", extension="txt",
                       description="One line per detection", multiple=True, needs_rendering=False)]

    def export(self, format, report):
        if format != FORMAT:
            raise Err(Error(code=ErrorCode.INTERNAL, message=f"{{name}} does not write {format}"))
        lines = []
        for r in report.results:
            for d in r.detections:
                b = d.box
                lines.append(f"{r.id}\t{d.phrase}\t{d.label}\t{d.score:.3f}\t{b.x0:.0f} {b.y0:.0f} {b.x1:.0f} {b.y1:.0f}\n")
        return Document(mime="text/plain", bytes="".join(lines).encode())
