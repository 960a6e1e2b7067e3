// {{name}}: a glint exporter (world export-plugin). Its formats appear in the
// web app's export menu and at /api/export?format=NAME.

const FORMAT = "{{name}}-txt";

export const exporter = {
  formats() {
    return [{ name: FORMAT, mime: "text/plain", extension: "txt", description: "One line per detection", multiple: true, needsRendering: false }];
  },
  export(format, report) {
    if (format !== FORMAT) throw { code: "internal", message: `{{name}} does not write ${format}` };
    let text = "";
    for (const r of report.results) {
      for (const d of r.detections) {
        const b = d.box;
        text += `${r.id}\t${d.phrase}\t${d.label}\t${d.score.toFixed(3)}\t${[b.x0, b.y0, b.x1, b.y1].map((v) => v.toFixed(0)).join(" ")}\n`;
      }
    }
    return { mime: "text/plain", bytes: new TextEncoder().encode(text) };
  },
};
