// table-export: a glint exporter written in JavaScript (world export-plugin).
//
// Two formats:
// - csv: one row per detection of every result, RFC 4180 (CRLF, quoted
//   fields), for spreadsheets and pandas;
// - svg: the boxes of one result as an SVG overlay the size of the image
//   (transparent, one labelled rectangle per detection), to lay over the
//   photo in a page or an editor.

const COLUMNS = ["result_id", "time_ms", "user", "prompt", "model_version", "plugin_sha256", "experiment",
  "image", "width", "height", "phrase", "label", "score", "x0", "y0", "x1", "y1"];

function csvField(value) {
  const s = String(value ?? "");
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(report) {
  const rows = [COLUMNS];
  for (const r of report.results) {
    for (const d of r.detections) {
      const b = d.box;
      rows.push([r.id, r.timeMs, r.user, r.prompt, r.modelVersion, r.pluginSha256, r.experiment ?? "",
        r.fileName, r.width, r.height, d.phrase, d.label, d.score.toFixed(4),
        b.x0.toFixed(1), b.y0.toFixed(1), b.x1.toFixed(1), b.y1.toFixed(1)]);
    }
  }
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

function xml(value) {
  return String(value).replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]);
}

// One colour per phrase, in order of first appearance.
const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];

function svg(report) {
  if (report.results.length !== 1) {
    throw { code: "internal", message: `svg holds one result, not ${report.results.length}` };
  }
  const r = report.results[0];
  const colours = new Map();
  const shapes = r.detections.map((d) => {
    if (!colours.has(d.phrase)) colours.set(d.phrase, PALETTE[colours.size % PALETTE.length]);
    const c = colours.get(d.phrase);
    const b = d.box;
    const label = `${d.phrase} ${(d.score * 100).toFixed(0)}%`;
    return `  <g class="detection" data-label="${xml(d.label)}" data-score="${d.score.toFixed(4)}">\n` +
      `    <rect x="${b.x0.toFixed(1)}" y="${b.y0.toFixed(1)}" width="${(b.x1 - b.x0).toFixed(1)}" height="${(b.y1 - b.y0).toFixed(1)}" fill="none" stroke="${c}" stroke-width="3"/>\n` +
      `    <text x="${b.x0.toFixed(1)}" y="${Math.max(b.y0 - 4, 12).toFixed(1)}" fill="${c}" font-family="sans-serif" font-size="14">${xml(label)}</text>\n` +
      `  </g>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r.width}" height="${r.height}" viewBox="0 0 ${r.width} ${r.height}">\n` +
    `  <title>${xml(r.prompt)} (${xml(r.modelVersion)})</title>\n` +
    shapes.join("\n") + (shapes.length ? "\n" : "") + `</svg>\n`;
}

export const exporter = {
  formats() {
    return [
      { name: "csv", mime: "text/csv", extension: "csv", description: "One row per detection (RFC 4180)", multiple: true, needsRendering: false },
      { name: "svg", mime: "image/svg+xml", extension: "svg", description: "The boxes as an SVG overlay the size of the image", multiple: false, needsRendering: false },
    ];
  },
  export(format, report) {
    const text = format === "csv" ? csv(report)
      : format === "svg" ? svg(report)
      : (() => { throw { code: "internal", message: `table-export writes csv and svg, not ${format}` }; })();
    return { mime: format === "csv" ? "text/csv" : "image/svg+xml", bytes: new TextEncoder().encode(text) };
  },
};
