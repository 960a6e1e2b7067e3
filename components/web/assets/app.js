// The demo UI's code, served as /app.js: the page's Content-Security-Policy
// allows no inline script. (The page's __SITE_TITLE__ placeholder is filled
// in by the component; this file is served as it is.)
const $ = (id) => document.getElementById(id);
const colors = ["#e6194b", "#3cb44b", "#0082c8", "#f58231", "#911eb4", "#46f0f0"];
const T = {
  en: {
    title: "glint · find things in a photo", signIn: "Sign in", signOut: "Sign out", image: "Image",
    drop: "Drop a JPEG, PNG or WebP here, or choose a file", examples: "Or try an example",
    prompt: "What to find: phrases separated by \" . \", or a caption", threshold: "Score threshold", model: "Model version",
    detect: "Detect", phrase: "phrase", label: "label", score: "score", box: "box", download: "Download JSON",
    rate: "How good is this result?", comment: "Comment (optional)", sendFeedback: "Send feedback",
    history: "This session's history", time: "time", found: "found", users: "Accounts", name: "Name",
    password: "Password", role: "Role", addUser: "Add account", state: "state", feedbackBrowser: "Feedback",
    minRating: "Min ★", text: "Text", filter: "Filter", exportCsv: "Export CSV", exportJson: "Export JSON", cancel: "Cancel",
    guest: "guest", enabled: "enabled", disabled: "disabled", disable: "Disable", enable: "Enable",
    notImage: "this file is not an image the browser can show", running: "running…",
    queued: (p) => `queued: position ${p}`, jobFailed: "the job failed",
    done: (n, ms, v, b, d) => `${n} found in ${ms} ms by ${v} on ${b} (${d})`, fromCache: " · from the cache",
    notUnderstood: (list) => ` · not understood: ${list}`, requestFailed: "request failed: ",
    thanks: "Thank you: your feedback is saved.", signInToRate: "Sign in to rate results.", added: (n) => `added ${n}`,
    cannotListModels: "cannot list models: ", promptCol: "prompt", modelCol: "model", userCol: "user",
    auditLog: "Audit log", check: "Check", verdict: "Verdict", outcome: "Outcome", routeCol: "route", reasons: "reasons", policy: "policy",
    plugins: "Plugins & models", component: "Component (.wasm)", pluginName: "Plugin name", install: "Install",
    reloadModels: "Reload models", world: "world", since: "serving since", builds: "kept builds", rollback: "Roll back",
    family: "family", build: "build", loadedOn: "loaded on", events: "Live changes", who: "who", action: "action",
    target: "target", step: "step", pickComponent: "choose a .wasm component first",
    installed: (e) => `${e.target}: ${e.outcome} (${e.new_sha256.slice(0, 12)})`,
    downloadPdf: "Download PDF", exportAs: "Export", exportGo: "Download", exportCoco: "Export the rated results as COCO",
    automatic: "automatic (the server's choice)", inExperiment: (e) => ` · experiment ${e.name} v${e.version}, arm ${e.arm}`,
    experiments: "Experiments", arms: "arms", split: "split check", arm: "arm", weight: "weight", subjects: "subjects",
    requestsCol: "requests", errorRate: "errors", ratingsCol: "ratings", meanRating: "mean ★ (95%)", vsControl: "vs control (anytime-valid)",
    saveWeights: "Save weights", pause: "Pause", resume: "Resume", stop: "Stop", winner: "Winner", declare: "Declare the winner",
    srmFlag: (p) => `Sample ratio mismatch: the split does not match the weights (p = ${p}). Do not trust these results until the cause is found.`,
    srmOk: "split ok", srmUnknown: "too few subjects to check",
    expState: (s) => `${s.status}${s.winner ? `, winner ${s.winner}` : ""} · changed by ${s.actor}${s.reason ? `: ${s.reason}` : ""}`,
    chartNote: "cumulative difference of the mean rating against control, with its anytime-valid band",
  },
  zh: {
    title: "glint · 在照片中查找物体", signIn: "登录", signOut: "退出", image: "图片",
    drop: "把 JPEG、PNG 或 WebP 图片拖到这里，或点击选择文件", examples: "或者试试示例图片",
    prompt: "要查找的内容：短语之间用 \" . \" 分隔，或一句描述", threshold: "分数阈值", model: "模型版本",
    detect: "检测", phrase: "短语", label: "类别", score: "分数", box: "框", download: "下载 JSON",
    rate: "这个结果怎么样？", comment: "评论（可选）", sendFeedback: "提交反馈",
    history: "本次会话的历史", time: "时间", found: "找到", users: "账户", name: "名称",
    password: "密码", role: "角色", addUser: "添加账户", state: "状态", feedbackBrowser: "反馈",
    minRating: "最低 ★", text: "文本", filter: "筛选", exportCsv: "导出 CSV", exportJson: "导出 JSON", cancel: "取消",
    guest: "访客", enabled: "启用", disabled: "已停用", disable: "停用", enable: "启用",
    notImage: "这个文件不是浏览器能显示的图片", running: "运行中…",
    queued: (p) => `排队中：第 ${p} 位`, jobFailed: "任务失败",
    done: (n, ms, v, b, d) => `找到 ${n} 个，用时 ${ms} 毫秒，模型 ${v}，后端 ${b}（${d}）`, fromCache: " · 来自缓存",
    notUnderstood: (list) => ` · 无法理解：${list}`, requestFailed: "请求失败：",
    thanks: "谢谢！反馈已保存。", signInToRate: "登录后可以评分。", added: (n) => `已添加 ${n}`,
    cannotListModels: "无法列出模型：", promptCol: "提示词", modelCol: "模型", userCol: "用户",
    auditLog: "审核日志", check: "检查", verdict: "结论", outcome: "结果", routeCol: "路由", reasons: "原因", policy: "策略",
    automatic: "自动（由服务器选择）", inExperiment: (e) => ` · 实验 ${e.name} v${e.version}，分组 ${e.arm}`,
    experiments: "实验", arms: "分组", split: "分流检查", arm: "分组", weight: "权重", subjects: "对象",
    requestsCol: "请求", errorRate: "错误", ratingsCol: "评分数", meanRating: "平均 ★（95%）", vsControl: "与对照组相比（随时有效）",
    saveWeights: "保存权重", pause: "暂停", resume: "继续", stop: "停止", winner: "胜出组", declare: "宣布胜出",
    srmFlag: (p) => `样本比例不匹配：分流与权重不符（p = ${p}）。找到原因前请勿相信这些结果。`,
    plugins: "插件与模型", component: "组件（.wasm）", pluginName: "插件名", install: "安装",
    reloadModels: "重新加载模型", world: "世界", since: "服务起始", builds: "保留的版本", rollback: "回滚",
    family: "系列", build: "版本", loadedOn: "加载于", events: "在线变更", who: "操作者", action: "操作",
    target: "对象", step: "步骤", pickComponent: "请先选择一个 .wasm 组件",
    installed: (e) => `${e.target}：${e.outcome}（${e.new_sha256.slice(0, 12)}）`,
    downloadPdf: "下载 PDF", exportAs: "导出", exportGo: "下载", exportCoco: "导出已评分结果（COCO）",
  },
};
let lang = localStorage.getItem("glint-lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
const t = (key, ...args) => { const v = T[lang][key] ?? T.en[key]; return typeof v === "function" ? v(...args) : v; };
function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  $("lang").value = lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  const site = document.querySelector('meta[name="glint-site-title"]').content;
  if (site && site !== "__SITE_TITLE__") { document.querySelector("h1").textContent = site; document.title = site; }
  showWho();
}

let image = null, bitmap = null, me = { role: "guest", user: null, csrf: null }, lastResult = null, rating = 0;

/// fetch with the session's CSRF token on state-changing requests.
function api(url, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.method && options.method !== "GET" && me.csrf) headers["x-csrf-token"] = me.csrf;
  return fetch(url, { ...options, headers, credentials: "same-origin" });
}
async function errorText(r) {
  try { const j = await r.json(); return j.error ? j.error.message : `HTTP ${r.status}`; } catch { return `HTTP ${r.status}`; }
}
function say(id, text, error) { $(id).textContent = text; $(id).classList.toggle("error", !!error); }
const status = (text, error) => say("status", text, error);

function showWho() {
  $("who").textContent = me.user ? `${me.user} (${me.role})` : t("guest");
  $("login-open").hidden = !!me.user; $("logout").hidden = !me.user;
  $("history-panel").hidden = !me.user; $("admin").hidden = me.role !== "admin";
  $("feedback").hidden = !lastResult;
  $("send-feedback").disabled = !me.user || !lastResult || !lastResult.result_id || rating === 0;
}

async function session() {
  me = await (await fetch("/api/session")).json();
  showWho();
  if (me.user) { loadHistory(); loadPreferences(); }
  if (me.role === "admin") { loadUsers(); loadFeedback(); loadAudit(); loadPlugins(); loadExperiments(); }
}

/// A signed-in account's preferences follow it (spin:key-value on the server).
async function loadPreferences() {
  const r = await api("/api/preferences");
  if (!r.ok) return;
  const p = await r.json();
  if (p.lang && p.lang !== lang) { lang = p.lang; localStorage.setItem("glint-lang", lang); applyLang(); }
  if (typeof p.prompt === "string") $("prompt").value = p.prompt;
  if (typeof p.threshold === "number") { $("threshold").value = p.threshold; $("tval").textContent = p.threshold.toFixed(2); }
}
function savePreferences(changes) {
  if (!me.user) return;
  api("/api/preferences", { method: "PUT", body: JSON.stringify(changes), headers: { "content-type": "application/json" } }).catch(() => {});
}

async function loadModels() {
  try {
    const models = await (await fetch("/api/models")).json();
    const auto = document.createElement("option");
    auto.value = ""; auto.textContent = t("automatic"); $("model").replaceChildren(auto);
    for (const m of models) {
      const o = document.createElement("option");
      o.value = m.version; o.textContent = `${m.version} (${m.family}, ${m.backend})${m.installed ? "" : " — not installed"}`;
      o.disabled = !m.installed; $("model").appendChild(o);
    }
  } catch (e) { status(t("cannotListModels") + e, true); }
}

async function loadExamples() {
  const list = await (await fetch("/examples")).json().catch(() => []);
  for (const ex of list) {
    const img = document.createElement("img");
    img.src = ex.url; img.alt = ex.name; img.title = ex.name; img.dataset.name = ex.name;
    img.addEventListener("click", async () => {
      const blob = await (await fetch(ex.url)).blob();
      pick(new File([blob], ex.name, { type: blob.type }));
    });
    $("gallery").appendChild(img);
  }
  $("examples").hidden = list.length === 0;
}

async function pick(file) {
  if (!file) return;
  image = file;
  lastResult = null; $("grounded").hidden = true;
  bitmap = await createImageBitmap(file).catch(() => null);
  if (!bitmap) { status(t("notImage"), true); image = null; $("run").disabled = true; return; }
  draw([]);
  $("run").disabled = false;
  status(`${file.name}: ${bitmap.width}×${bitmap.height}`);
}

// Phrases are coloured by their place in the answer's phrases table, so a
// box, its table row and the words it grounds in the prompt share a colour.
function phraseColor(result, d) {
  const i = result ? result.phrases.findIndex((p) => p.phrase === d.phrase && String(p.span) === String(d.span)) : -1;
  return colors[Math.max(0, i) % colors.length];
}

function draw(detections, result = null, active = -1) {
  const c = $("canvas"), g = c.getContext("2d");
  c.width = bitmap.width; c.height = bitmap.height;
  g.drawImage(bitmap, 0, 0);
  const base = Math.max(2, Math.round(Math.min(c.width, c.height) / 200));
  g.font = `${Math.max(12, Math.round(c.height / 28))}px system-ui, sans-serif`;
  g.textBaseline = "top";
  detections.forEach((d, i) => {
    const color = phraseColor(result, d);
    const b = d.box, text = `${d.phrase} · ${d.score.toFixed(2)}`;
    g.lineWidth = i === active ? base * 2 : base;
    g.strokeStyle = color; g.strokeRect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
    const h = parseInt(g.font) + 6, w = g.measureText(text).width + 8;
    const top = b.y0 - h >= 0 ? b.y0 - h : b.y0;
    g.fillStyle = color; g.fillRect(b.x0, top, w, h);
    g.fillStyle = "#fff"; g.fillText(text, b.x0 + 4, top + 3);
  });
}

// The prompt as it was sent, each grounded phrase marked in its colour.
// Spans count characters (code points), as Array.from does.
function grounded(result, prompt) {
  const view = $("grounded"), chars = Array.from(prompt);
  view.innerHTML = "";
  const spans = result.phrases.map((p, i) => ({ i, s: p.span[0], e: p.span[1] }))
    .filter((p) => p.e > p.s && p.e <= chars.length).sort((a, b) => a.s - b.s);
  let at = 0;
  for (const p of spans) {
    if (p.s < at) continue;
    view.append(chars.slice(at, p.s).join(""));
    const m = document.createElement("mark");
    m.textContent = chars.slice(p.s, p.e).join("");
    m.dataset.phrase = String(p.i);
    m.style.setProperty("--c", colors[p.i % colors.length]);
    m.title = `${result.phrases[p.i].method}${result.phrases[p.i].label ? " → " + result.phrases[p.i].label : ""}`;
    m.addEventListener("mouseenter", () => highlight(result, result.detections.findIndex((d) => d.phrase === result.phrases[p.i].phrase && String(d.span) === String(result.phrases[p.i].span))));
    m.addEventListener("mouseleave", () => highlight(result, -1));
    view.append(m);
    at = p.e;
  }
  view.append(chars.slice(at).join(""));
  view.hidden = spans.length === 0;
}

// Detection `i` (or none, -1) emphasised on the canvas, in the table and in the prompt.
function highlight(result, i) {
  draw(result.detections, result, i);
  const d = result.detections[i];
  const phrase = d ? result.phrases.findIndex((p) => p.phrase === d.phrase && String(p.span) === String(d.span)) : -1;
  for (const m of $("grounded").querySelectorAll("mark")) m.classList.toggle("active", Number(m.dataset.phrase) === phrase);
  [...$("results").querySelectorAll("tbody tr")].forEach((tr, k) => tr.classList.toggle("active", k === i));
}

function boxAt(result, event) {
  const c = $("canvas"), r = c.getBoundingClientRect();
  const x = (event.clientX - r.left) * c.width / r.width, y = (event.clientY - r.top) * c.height / r.height;
  let best = -1, area = Infinity;
  result.detections.forEach((d, i) => {
    const b = d.box, a = (b.x1 - b.x0) * (b.y1 - b.y0);
    if (x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1 && a < area) { best = i; area = a; }
  });
  return best;
}

function cells(tr, values) {
  for (const v of values) { const td = document.createElement("td"); td.textContent = v; tr.appendChild(td); }
  return tr;
}

function table(result) {
  const body = $("results").querySelector("tbody");
  body.innerHTML = "";
  result.detections.forEach((d, i) => {
    const b = d.box;
    const tr = cells(document.createElement("tr"),
      [d.phrase, d.label, d.score.toFixed(3), `${b.x0.toFixed(0)},${b.y0.toFixed(0)} – ${b.x1.toFixed(0)},${b.y1.toFixed(0)}`]);
    tr.firstChild.style.borderLeft = `4px solid ${phraseColor(result, d)}`;
    tr.addEventListener("mouseenter", () => highlight(result, i));
    tr.addEventListener("mouseleave", () => highlight(result, -1));
    body.appendChild(tr);
  });
  $("results").hidden = false;
  const url = URL.createObjectURL(new Blob([JSON.stringify(result, null, 2)], { type: "application/json" }));
  $("download").href = url; $("download").hidden = false;
}

async function run() {
  if (!image) return;
  $("run").disabled = true;
  status(t("running"));
  const prompt = $("prompt").value;
  const q = new URLSearchParams({ prompt, threshold: $("threshold").value });
  if ($("model").value) q.set("model", $("model").value);
  savePreferences({ prompt: $("prompt").value, threshold: Number($("threshold").value) });
  try {
    const r = await api("/api/jobs?" + q, { method: "POST", body: image, headers: { "content-type": image.type || "application/octet-stream" } });
    if (!r.ok) { status(await errorText(r), true); return; }
    const job = await r.json();
    let s;
    for (;;) {
      s = await (await api(job.status_url)).json();
      if (s.state === "queued") status(t("queued", s.position));
      else if (s.state === "running") status(t("running"));
      else break;
      await new Promise((done) => setTimeout(done, 250));
    }
    if (s.state === "failed" || s.error) { status(s.error ? s.error.message : t("jobFailed"), true); return; }
    const result = s.result;
    lastResult = result; rating = 0; stars(); $("comment").value = ""; say("feedback-status", me.user ? "" : t("signInToRate"));
    draw(result.detections, result); table(result); grounded(result, prompt);
    const unmatched = result.phrases.filter((p) => !p.label).map((p) => `"${p.phrase}"`);
    status(t("done", result.detections.length, result.elapsed_ms.toFixed(0), result.model.version, result.model.backend, result.model.device)
      + (result.cached ? t("fromCache") : "") + (unmatched.length ? t("notUnderstood", unmatched.join(", ")) : "")
      + (result.experiment ? t("inExperiment", result.experiment) : ""));
    showExports(result);
    showWho();
    if (me.user) loadHistory();
  } catch (e) { status(t("requestFailed") + e, true); }
  finally { $("run").disabled = false; }
}

let exportFormats = [];
async function loadExportFormats() {
  const r = await api("/api/exports");
  if (!r.ok) return;
  exportFormats = (await r.json()).formats;
  $("export-format").innerHTML = "";
  for (const f of exportFormats.filter((f) => f.name !== "pdf")) {
    const o = document.createElement("option"); o.value = f.name; o.textContent = `${f.name} (.${f.extension})`; $("export-format").appendChild(o);
  }
}

/** Links to documents of a recorded result (signed-in users: results have an id). */
function showExports(result) {
  const id = result && result.result_id;
  $("exports").hidden = !id || exportFormats.length === 0;
  if (!id) return;
  const base = `/api/results/${encodeURIComponent(id)}/export?format=`;
  $("export-pdf").href = base + "pdf";
  $("export-pdf").hidden = !exportFormats.some((f) => f.name === "pdf");
  const setGo = () => { $("export-go").href = base + encodeURIComponent($("export-format").value); };
  $("export-format").onchange = setGo; setGo();
}

function stars() {
  $("stars").innerHTML = "";
  for (let i = 1; i <= 5; i++) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = "★"; b.className = i <= rating ? "on" : ""; b.dataset.stars = i;
    b.setAttribute("aria-label", `${i} ★`);
    b.addEventListener("click", () => { rating = i; stars(); showWho(); });
    $("stars").appendChild(b);
  }
}

async function sendFeedback() {
  const body = JSON.stringify({ result_id: lastResult.result_id, rating, comment: $("comment").value });
  const r = await api("/api/feedback", { method: "POST", body, headers: { "content-type": "application/json" } });
  if (r.ok) { say("feedback-status", t("thanks")); $("send-feedback").disabled = true; if (me.role === "admin") loadFeedback(); }
  else say("feedback-status", await errorText(r), true);
}

async function loadHistory() {
  const r = await api("/api/history?limit=20");
  if (!r.ok) return;
  const body = $("history").querySelector("tbody"); body.innerHTML = "";
  for (const h of await r.json()) {
    body.appendChild(cells(document.createElement("tr"),
      [new Date(h.time_ms).toLocaleString(), h.prompt, String((h.detections || []).length), h.model_version]));
  }
}

async function loadUsers() {
  const r = await api("/api/users");
  if (!r.ok) { say("users-status", await errorText(r), true); return; }
  const body = $("users").querySelector("tbody"); body.innerHTML = "";
  for (const u of await r.json()) {
    const tr = cells(document.createElement("tr"), [u.name, u.role, u.disabled ? t("disabled") : t("enabled")]);
    const td = document.createElement("td"), b = document.createElement("button");
    b.className = "small"; b.textContent = u.disabled ? t("enable") : t("disable");
    b.addEventListener("click", async () => {
      const r = await api(`/api/users/${encodeURIComponent(u.name)}`, { method: "PATCH", body: JSON.stringify({ disabled: !u.disabled }), headers: { "content-type": "application/json" } });
      say("users-status", r.ok ? "" : await errorText(r), !r.ok); loadUsers();
    });
    td.appendChild(b); tr.appendChild(td); body.appendChild(tr);
  }
}

async function addUser() {
  const body = JSON.stringify({ name: $("new-name").value.trim(), password: $("new-password").value, role: $("new-role").value });
  const r = await api("/api/users", { method: "POST", body, headers: { "content-type": "application/json" } });
  if (r.ok) { say("users-status", t("added", $("new-name").value.trim())); $("new-name").value = ""; $("new-password").value = ""; loadUsers(); }
  else say("users-status", await errorText(r), true);
}

function feedbackQuery() {
  const q = new URLSearchParams();
  for (const [id, key] of [["f-user", "user"], ["f-model", "model"], ["f-min", "min_rating"], ["f-q", "q"]]) {
    if ($(id).value.trim()) q.set(key, $(id).value.trim());
  }
  return q;
}

async function loadFeedback() {
  const q = feedbackQuery();
  $("export-csv").href = "/api/feedback?" + new URLSearchParams([...q, ["format", "csv"]]);
  $("export-json").href = "/api/feedback?" + new URLSearchParams([...q, ["format", "json"]]);
  $("export-coco").href = "/api/feedback/export?" + new URLSearchParams([...q, ["format", "coco"]]);
  const r = await api("/api/feedback?" + q);
  const body = $("feedback-rows").querySelector("tbody"); body.innerHTML = "";
  if (!r.ok) return;
  for (const f of await r.json()) {
    body.appendChild(cells(document.createElement("tr"),
      [new Date(f.time_ms).toLocaleString(), f.user, f.prompt, f.model_version, "★".repeat(f.rating), f.comment]));
  }
}

function auditQuery() {
  const q = new URLSearchParams();
  for (const [id, key] of [["a-user", "user"], ["a-check", "check"], ["a-verdict", "verdict"], ["a-outcome", "outcome"]]) {
    if ($(id).value.trim()) q.set(key, $(id).value.trim());
  }
  return q;
}

async function loadAudit() {
  const q = auditQuery();
  $("audit-csv").href = "/api/audit?" + new URLSearchParams([...q, ["format", "csv"]]);
  const r = await api("/api/audit?" + q);
  const body = $("audit-rows").querySelector("tbody"); body.innerHTML = "";
  if (!r.ok) return;
  for (const a of (await r.json()).rows) {
    const row = cells(document.createElement("tr"), [new Date(a.time_ms).toLocaleString(), a.user || t("guest"), a.route,
      a.check, a.verdict, a.outcome, [...a.reasons, a.error].filter(Boolean).join(" "), a.policy_version, a.latency_ms.toFixed(1)]);
    row.className = "verdict-" + a.verdict;
    body.appendChild(row);
  }
}

async function loadPlugins() {
  const [r, ev] = await Promise.all([api("/api/admin/plugins"), api("/api/admin/events?limit=20")]);
  const plugins = $("plugins").querySelector("tbody"), models = $("models-live").querySelector("tbody");
  const events = $("live-events").querySelector("tbody");
  if (!r.ok || !ev.ok) {
    plugins.innerHTML = ""; models.innerHTML = ""; events.innerHTML = "";
    say("plugins-status", await errorText(r.ok ? ev : r), true);
    return;
  }
  const [status, log] = [await r.json(), await ev.json()];
  // Build every row first and swap them in at once: the tables never show
  // a half-updated state (a new build beside an old event list).
  const pluginRows = status.plugins.map((p) => {
    const row = cells(document.createElement("tr"), [p.name, p.world, p.sha256.slice(0, 12), new Date(p.loaded_ms).toLocaleString(),
      p.builds.map((b) => b.sha256.slice(0, 12)).join(" ← ")]);
    const cell = document.createElement("td");
    if (p.builds.length > 1) {
      const b = document.createElement("button");
      b.className = "small"; b.textContent = t("rollback"); b.dataset.rollback = p.name;
      b.addEventListener("click", () => change(`/api/admin/plugins/${encodeURIComponent(p.name)}/rollback`, { method: "POST" }));
      cell.appendChild(b);
    }
    row.appendChild(cell);
    return row;
  });
  const modelRows = status.models.map((m) =>
    cells(document.createElement("tr"), [m.version, m.family, m.build, m.loaded ? `${m.loaded.backend} · ${m.loaded.device}` : "–"]));
  const eventRows = log.events.map((e) => {
    const row = cells(document.createElement("tr"), [new Date(e.time_ms).toLocaleString(), e.actor, e.action, e.target, e.outcome, e.step, e.reason, e.duration_ms]);
    row.className = "outcome-" + e.outcome;
    return row;
  });
  plugins.replaceChildren(...pluginRows); models.replaceChildren(...modelRows); events.replaceChildren(...eventRows);
}

/** A live change through the admin API; shows the new state, then says what happened. */
async function change(url, options) {
  say("plugins-status", t("running"));
  const r = await api(url, options);
  const message = r.ok ? await r.json().then((body) => (body.event ? t("installed", body.event) : `${body.events.length} ✓`)) : await errorText(r);
  await loadPlugins();
  say("plugins-status", message, !r.ok);
  loadModels();
}

async function installPlugin() {
  const file = $("p-file").files[0];
  if (!file) { say("plugins-status", t("pickComponent"), true); return; }
  const name = $("p-name").value.trim() || file.name.replace(/\.wasm$/, "");
  await change(`/api/admin/plugins/${encodeURIComponent(name)}`, { method: "PUT", body: file });
}

let experimentShown = null;

async function loadExperiments() {
  const r = await api("/api/experiments");
  const body = $("experiments").querySelector("tbody");
  if (!r.ok) { body.innerHTML = ""; return; }
  const list = (await r.json()).experiments;
  body.replaceChildren(...list.map((e) => {
    const arms = e.arms.map((a) => `${a.name} (${a.model}, ${a.weight}): ${a.subjects}`).join(" · ");
    const row = cells(document.createElement("tr"), [e.name, e.state.status, arms, e.srm_flagged ? "⚠ SRM" : "ok"]);
    const link = document.createElement("a");
    link.href = "#experiment"; link.textContent = e.name; link.dataset.experiment = e.name;
    link.addEventListener("click", (ev) => { ev.preventDefault(); showExperiment(e.name); });
    row.firstChild.replaceChildren(link);
    if (e.srm_flagged) row.className = "verdict-block";
    return row;
  }));
  if (!experimentShown && list.length) showExperiment(list[0].name);
}

const fmt = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(digits));
const pValue = (p) => (p === null || p === undefined ? "–" : p < 0.001 ? "<0.001" : Number(p).toFixed(3));

async function showExperiment(name) {
  experimentShown = name;
  const r = await api(`/api/experiments/${encodeURIComponent(name)}`);
  if (!r.ok) { say("exp-status", await errorText(r), true); return; }
  const rep = await r.json();
  $("experiment").hidden = false;
  $("exp-title").textContent = `${rep.definition.name} v${rep.definition.version}${rep.definition.description ? " · " + rep.definition.description : ""}`;
  $("exp-state").textContent = t("expState", rep.state);
  const srm = rep.srm;
  $("srm").hidden = !(srm && srm.flagged);
  if (srm && srm.flagged) $("srm").textContent = t("srmFlag", srm.p.toExponential(2));
  $("exp-arms").querySelector("tbody").replaceChildren(...rep.arms.map((a) => {
    const c = a.vs_control;
    const vs = c && c.difference !== null ? `${fmt(c.difference)} [${fmt(c.confidence_sequence[0])}, ${fmt(c.confidence_sequence[1])}] · p ${pValue(c.msprt_p)} · t-test p ${c.t_test ? pValue(c.t_test.p) : "–"}` : "–";
    const ci = a.ratings.ci95 ? ` [${fmt(a.ratings.ci95[0])}, ${fmt(a.ratings.ci95[1])}]` : "";
    const row = cells(document.createElement("tr"), [a.name, a.plugin ? `${a.model} · ${a.plugin}` : a.model, a.weight, a.subjects, a.requests,
      a.error_rate === null ? "–" : `${a.errors} (${fmt(a.error_rate * 100, 1)}%)`, `${fmt(a.latency_p50_ms, 1)} / ${fmt(a.latency_p95_ms, 1)}`,
      a.ratings.count, a.ratings.mean === null ? "–" : fmt(a.ratings.mean) + ci, a.ratings.good_share === null ? "–" : `${fmt(a.ratings.good_share * 100, 0)}%`,
      vs, c ? c.verdict : "control"]);
    row.dataset.arm = a.name;
    return row;
  }));
  chart(rep);
  $("exp-weights").replaceChildren(...rep.arms.map((a) => {
    const d = document.createElement("div");
    const label = document.createElement("label"); label.textContent = `${t("weight")} ${a.name}`; label.htmlFor = `w-${a.name}`;
    const input = document.createElement("input"); input.type = "number"; input.min = "0"; input.id = `w-${a.name}`; input.value = a.weight; input.dataset.arm = a.name;
    d.append(label, input); return d;
  }));
  $("exp-winner").replaceChildren(...rep.arms.map((a) => { const o = document.createElement("option"); o.textContent = a.name; return o; }));
}

/** The cumulative difference (mean rating minus control's) of each arm with its band, as SVG. */
function chart(rep) {
  const svg = $("exp-chart"), ns = "http://www.w3.org/2000/svg";
  const W = 640, H = 220, pad = 34;
  const series = rep.arms.slice(1).map((a, i) => ({ arm: a.name, color: colors[(i + 1) % colors.length], points: (a.vs_control && a.vs_control.series) || [] }));
  const all = series.flatMap((s) => s.points);
  const el = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text) e.textContent = text; return e; };
  const children = [el("title", {}, t("chartNote"))];
  if (all.length) {
    const t0 = Math.min(...all.map((p) => p.time_ms)), t1 = Math.max(...all.map((p) => p.time_ms), t0 + 1);
    const lo = Math.min(0, ...all.map((p) => Math.max(p.low, -3))), hi = Math.max(0, ...all.map((p) => Math.min(p.high, 3)));
    const x = (tm) => pad + ((tm - t0) / (t1 - t0)) * (W - 2 * pad), y = (v) => H - pad - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo || 1)) * (H - 2 * pad);
    children.push(el("line", { x1: pad, x2: W - pad, y1: y(0), y2: y(0), stroke: "#888", "stroke-dasharray": "4 3" }));
    children.push(el("text", { x: 2, y: y(hi) + 4, "font-size": 10 }, fmt(hi)), el("text", { x: 2, y: y(lo), "font-size": 10 }, fmt(lo)), el("text", { x: 2, y: y(0) + 4, "font-size": 10 }, "0"));
    for (const s of series) {
      if (!s.points.length) continue;
      const band = s.points.map((p) => `${x(p.time_ms)},${y(p.high)}`).concat(s.points.slice().reverse().map((p) => `${x(p.time_ms)},${y(p.low)}`));
      children.push(el("polygon", { points: band.join(" "), fill: s.color, "fill-opacity": 0.15, class: "band" }));
      children.push(el("polyline", { points: s.points.map((p) => `${x(p.time_ms)},${y(p.difference)}`).join(" "), fill: "none", stroke: s.color, "stroke-width": 2, class: "difference" }));
      children.push(el("text", { x: W - pad - 80, y: pad - 8, fill: s.color, "font-size": 11 }, `${s.arm} − ${rep.arms[0].name}`));
    }
  } else {
    children.push(el("text", { x: pad, y: H / 2, "font-size": 12, fill: "#555" }, "no ratings yet"));
  }
  svg.replaceChildren(...children);
}

async function changeExperiment(body) {
  if (!experimentShown) return;
  say("exp-status", t("running"));
  const r = await api(`/api/experiments/${encodeURIComponent(experimentShown)}`, { method: "PATCH", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  const message = r.ok ? "✓" : await errorText(r);
  await loadExperiments(); await showExperiment(experimentShown);
  say("exp-status", message, !r.ok);
}

async function login(e) {
  e.preventDefault();
  const body = JSON.stringify({ user: $("login-user").value.trim(), password: $("login-password").value });
  const r = await fetch("/api/session", { method: "POST", body, headers: { "content-type": "application/json" } });
  if (!r.ok) { say("login-status", await errorText(r), true); return; }
  $("login-password").value = ""; say("login-status", ""); $("login").close();
  await session();
}

async function logout() {
  await api("/api/session", { method: "DELETE" });
  lastResult = null;
  await session();
}

$("drop").addEventListener("click", () => $("file").click());
$("file").addEventListener("change", (e) => pick(e.target.files[0]));
$("drop").addEventListener("dragover", (e) => { e.preventDefault(); $("drop").classList.add("over"); });
$("drop").addEventListener("dragleave", () => $("drop").classList.remove("over"));
$("drop").addEventListener("drop", (e) => { e.preventDefault(); $("drop").classList.remove("over"); pick(e.dataTransfer.files[0]); });
$("threshold").addEventListener("input", (e) => { $("tval").textContent = Number(e.target.value).toFixed(2); });
$("run").addEventListener("click", run);
$("canvas").addEventListener("mousemove", (e) => { if (lastResult && bitmap) highlight(lastResult, boxAt(lastResult, e)); });
$("canvas").addEventListener("mouseleave", () => { if (lastResult && bitmap) highlight(lastResult, -1); });
$("send-feedback").addEventListener("click", sendFeedback);
$("login-open").addEventListener("click", () => $("login").showModal());
$("login-cancel").addEventListener("click", () => $("login").close());
$("login-form").addEventListener("submit", login);
$("logout").addEventListener("click", logout);
$("add-user").addEventListener("click", addUser);
$("f-apply").addEventListener("click", loadFeedback);
$("a-apply").addEventListener("click", loadAudit);
$("p-install").addEventListener("click", installPlugin);
$("m-reload").addEventListener("click", () => change("/api/admin/models/reload", { method: "POST" }));
$("exp-save-weights").addEventListener("click", () => changeExperiment({
  weights: Object.fromEntries([...$("exp-weights").querySelectorAll("input")].map((i) => [i.dataset.arm, Number(i.value)])),
}));
$("exp-pause").addEventListener("click", () => changeExperiment({ status: "paused" }));
$("exp-resume").addEventListener("click", () => changeExperiment({ status: "running" }));
$("exp-stop").addEventListener("click", () => changeExperiment({ status: "stopped" }));
$("exp-declare").addEventListener("click", () => changeExperiment({ winner: $("exp-winner").value }));
$("lang").addEventListener("change", (e) => {
  lang = e.target.value; localStorage.setItem("glint-lang", lang); applyLang(); savePreferences({ lang });
});
applyLang(); stars(); loadModels(); loadExamples(); loadExportFormats(); session();
