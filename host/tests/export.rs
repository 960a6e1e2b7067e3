//! Reports and exports through the real exporter plugins, read back with
//! other people's tools: the PDF with poppler (pdftotext, pdftoppm) and
//! qpdf, COCO JSON with pycocotools, YOLO and Pascal VOC with Python's own
//! zipfile and XML parser. Who may export what, clear errors for unknown
//! formats and misbehaving exporters, and `glint detect --export`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::live::temp_home;
use common::*;

const ALICE: (&str, &str) = ("alice", "alice-pass-1");
const ADMIN: (&str, &str) = ("root", "admin-pass-1");

fn venv_python() -> PathBuf {
    let p = home().join(".glint/venv/bin/python");
    assert!(p.exists(), "{} is missing: run scripts/setup.sh", p.display());
    p
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| panic!("{name} (apt: poppler-utils, qpdf; scripts/setup.sh installs them): {e}"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs Python code with the setup venv (pycocotools); its stdout.
fn python(code: &str, args: &[&str]) -> String {
    let out = Command::new(venv_python()).arg("-c").arg(code).args(args).output().unwrap();
    assert!(out.status.success(), "python: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A signed-in user's detection, rated: its result id and the JSON answer.
fn rated_result(c: &Client, prompt: &str, stars: u8, comment: &str) -> (String, serde_json::Value) {
    let r = c.send("POST", &format!("/api/detect?prompt={}", form_urlencoded::byte_serialize(prompt.as_bytes()).collect::<String>()), &chelsea());
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    let id = answer["result_id"].as_str().unwrap().to_string();
    let body = serde_json::json!({ "result_id": id, "rating": stars, "comment": comment }).to_string();
    let r = c.send("POST", "/api/feedback", body.as_bytes());
    assert_eq!(r.status, 201, "{}", r.text());
    (id, answer)
}

#[test]
fn reports_and_exports_read_back_with_real_tools() {
    let s = start(&[]);
    add_user(&s, ALICE.0, "user", ALICE.1);
    add_user(&s, "bob", "user", "bob-pass-12");
    add_user(&s, ADMIN.0, "admin", ADMIN.1);
    let alice = Client::login(&s.addr, ALICE.0, ALICE.1);
    let dir = temp_dir("exports");

    // The formats on offer come from the loaded exporter plugins, and are in the OpenAPI document.
    let offered = request(&s.addr, "GET", "/api/exports", b"").json();
    let names: Vec<&str> = offered["formats"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["coco", "yolo", "voc", "pdf"], "{offered}");
    let doc = request(&s.addr, "GET", "/api/openapi.json", b"").json();
    let param = &doc["paths"]["/api/results/{id}/export"]["get"]["parameters"];
    assert!(param.to_string().contains("\"enum\":[\"coco\",\"yolo\",\"voc\",\"pdf\"]"), "{param}");

    let (id, answer) = rated_result(&alice, "a cat . a remote control", 4, "nice tabby");
    let export = |c: &Client, id: &str, format: &str| c.send("GET", &format!("/api/results/{id}/export?format={format}"), b"");

    // The PDF report, read back with poppler and qpdf.
    let r = export(&alice, &id, "pdf");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type").as_deref(), Some("application/pdf"));
    assert!(r.header("content-disposition").unwrap().contains(&format!("glint-{id}.pdf")));
    assert!(r.body.len() < 1_000_000, "the PDF is {} bytes, over 1 MB", r.body.len());
    let pdf = save(&dir, "report.pdf", &r.body);
    tool("qpdf", &["--check", pdf.to_str().unwrap()]);
    let text = tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    let sha = answer["plugin_sha256"].as_str().unwrap();
    for want in ["a cat . a remote control", "cat", "coco-grounded-v1", "alice", "4 of 5 stars", "nice tabby", sha, "input.text", "allow"] {
        assert!(text.contains(want), "pdftotext does not find {want:?} in:\n{text}");
    }
    for d in answer["detections"].as_array().unwrap() {
        assert!(text.contains(d["label"].as_str().unwrap()), "label {d}");
    }
    // The embedded image is drawn: the page's upper half is far from blank.
    tool("pdftoppm", &["-png", "-r", "50", "-f", "1", "-l", "1", pdf.to_str().unwrap(), dir.join("page").to_str().unwrap()]);
    let page = image::open(dir.join("page-1.png")).unwrap().to_luma8();
    let band: Vec<f64> = page.rows().skip(page.height() as usize / 4).take(page.height() as usize / 4).flatten().map(|p| f64::from(p.0[0])).collect();
    let mean = band.iter().sum::<f64>() / band.len() as f64;
    let sd = (band.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / band.len() as f64).sqrt();
    assert!(sd > 30.0 && mean < 230.0, "the image region looks blank (mean {mean:.0}, sd {sd:.0})");

    // Chinese prompts render (the CJK font subset is embedded).
    let (zh, _) = rated_result(&alice, "猫 . 遥控器", 5, "很好");
    let zh_pdf = save(&dir, "zh.pdf", &export(&alice, &zh, "pdf").body);
    let zh_text = tool("pdftotext", &[zh_pdf.to_str().unwrap(), "-"]);
    assert!(zh_text.contains("猫 . 遥控器") && zh_text.contains("很好"), "{zh_text}");

    // COCO with pycocotools; YOLO and VOC with Python's zipfile and XML parser.
    let coco = save(&dir, "coco.json", &export(&alice, &id, "coco").body);
    let boxes: Vec<Vec<f64>> = answer["detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let b = &d["box"];
            let (x0, y0, x1, y1) = (b["x0"].as_f64().unwrap(), b["y0"].as_f64().unwrap(), b["x1"].as_f64().unwrap(), b["y1"].as_f64().unwrap());
            vec![x0, y0, x1 - x0, y1 - y0]
        })
        .collect();
    let said = python(
        "import sys, json\nfrom pycocotools.coco import COCO\nc = COCO(sys.argv[1])\nanns = c.loadAnns(c.getAnnIds())\n\
         want = json.loads(sys.argv[2])\nassert len(anns) == len(want), (len(anns), len(want))\n\
         for a, b in zip(anns, want):\n    assert all(abs(x - y) < 0.01 for x, y in zip(a['bbox'], b)), (a['bbox'], b)\n\
         img = c.loadImgs(c.getImgIds())[0]\nassert (img['width'], img['height']) == (451, 300), img\n\
         print('coco', len(anns), [c.loadCats(a['category_id'])[0]['name'] for a in anns])",
        &[coco.to_str().unwrap(), &serde_json::to_string(&boxes).unwrap()],
    );
    // pycocotools says "loading annotations…" first: the last line is the script's.
    assert!(said.trim().lines().last().unwrap_or("").starts_with(&format!("coco {}", boxes.len())), "{said}");
    let yolo = save(&dir, "yolo.zip", &export(&alice, &id, "yolo").body);
    let voc = save(&dir, "voc.zip", &export(&alice, &id, "voc").body);
    let said = python(
        "import sys, json, zipfile, xml.etree.ElementTree as ET\nwant = json.loads(sys.argv[3])\n\
         y = zipfile.ZipFile(sys.argv[1]); assert y.testzip() is None\n\
         classes = y.read('classes.txt').decode().split()\nlabel = [n for n in y.namelist() if n.startswith('labels/')][0]\n\
         lines = [l.split() for l in y.read(label).decode().splitlines()]\nassert len(lines) == len(want)\n\
         for l, (x, yy, w, h) in zip(lines, want):\n    cx, cy, nw, nh = map(float, l[1:])\n\
             assert abs(cx - (x + w / 2) / 451) < 1e-4 and abs(cy - (yy + h / 2) / 300) < 1e-4 and abs(nw - w / 451) < 1e-4 and abs(nh - h / 300) < 1e-4, (l, x, yy, w, h)\n\
         v = zipfile.ZipFile(sys.argv[2]); assert v.testzip() is None\n\
         root = ET.fromstring(v.read(v.namelist()[0]))\nassert root.find('size/width').text == '451'\n\
         objs = root.findall('object'); assert len(objs) == len(want)\n\
         for o, (x, yy, w, h) in zip(objs, want):\n    b = o.find('bndbox')\n\
             assert abs(int(b.find('xmin').text) - x) <= 0.5 and abs(int(b.find('xmax').text) - (x + w)) <= 0.5, (ET.tostring(b), x, w)\n\
             assert o.find('name').text in classes\n\
         print('yolo+voc ok', classes)",
        &[yolo.to_str().unwrap(), voc.to_str().unwrap(), &serde_json::to_string(&boxes).unwrap()],
    );
    assert!(said.starts_with("yolo+voc ok"), "{said}");

    // Who may export what: a guest never, another user not alice's, an admin anyone's.
    assert_eq!(request(&s.addr, "GET", &format!("/api/results/{id}/export?format=pdf"), b"").status, 401);
    let bob = Client::login(&s.addr, "bob", "bob-pass-12");
    assert_eq!(export(&bob, &id, "pdf").status, 404, "bob must not see alice's result");
    let admin = Client::login(&s.addr, ADMIN.0, ADMIN.1);
    assert_eq!(export(&admin, &id, "coco").status, 200);
    // Bad requests name what is possible.
    let r = export(&alice, &id, "docx");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("coco, yolo, voc, pdf"), "{}", r.text());
    assert_eq!(alice.send("GET", &format!("/api/results/{id}/export"), b"").status, 400);
    assert_eq!(export(&alice, "nope", "pdf").status, 404);

    // The admin exports the feedback browser's filtered set as one COCO file.
    let r = admin.send("GET", "/api/feedback/export?format=coco&user=alice&min_rating=4", b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let all = save(&dir, "feedback-coco.json", &r.body);
    let said = python("import sys\nfrom pycocotools.coco import COCO\nc = COCO(sys.argv[1])\nprint(len(c.getImgIds()))", &[all.to_str().unwrap()]);
    assert_eq!(said.trim().lines().last(), Some("2"), "both rated results: {said}");
    assert_eq!(alice.send("GET", "/api/feedback/export?format=coco", b"").status, 403);
    assert_eq!(admin.send("GET", "/api/feedback/export?format=coco&colour=red", b"").status, 400);
}

#[test]
fn the_same_report_gives_the_same_pdf() {
    let glint = glint::Glint::open({
        let mut c = glint::Config::new(&home());
        c.models.backend = Some(glint::nn::BackendKind::Onnx);
        c
    })
    .unwrap();
    let input = glint::DetectInput { image: chelsea(), prompt: "a cat".into(), threshold: 0.3, model: None };
    let (_, ran) = glint.detect_run(&input).unwrap();
    let source = || glint::export::from_run(&ran, "a cat", chelsea());
    let mut report = glint::export::report(&glint, "", vec![source()], true).unwrap();
    report.generated_ms = 1_796_316_198_913;
    report.results[0].time_ms = 1_796_316_000_000;
    let (format, plugin) = glint::export::find(&glint, "pdf").unwrap();
    let a = glint.plugins.export_on(&plugin, &format.name, &report).unwrap();
    let b = glint.plugins.export_on(&plugin, &format.name, &report).unwrap();
    assert!(a.bytes == b.bytes, "the same report and clock must give byte-identical PDFs");
    // The PDF's creation date has a resolution of a second.
    report.generated_ms += 60_000;
    assert!(glint.plugins.export_on(&plugin, &format.name, &report).unwrap().bytes != a.bytes, "another time, another PDF");
}

#[test]
fn glint_detect_writes_a_report_or_coco() {
    let dir = temp_dir("cli-export");
    for (file, format, check) in [("r.pdf", "pdf", "a kitty"), ("r.json", "coco", "\"categories\"")] {
        let out = dir.join(file);
        let status = Command::new(env!("CARGO_BIN_EXE_glint"))
            .current_dir(home())
            .args(["--backend", "onnx", "detect", "--image", "samples/chelsea.png", "--prompt", "a kitty", "--export"])
            .arg(&out)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{format}");
        let text = if format == "pdf" { tool("pdftotext", &[out.to_str().unwrap(), "-"]) } else { std::fs::read_to_string(&out).unwrap() };
        assert!(text.contains(check), "{format}: {text}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_glint"))
        .current_dir(home())
        .args(["detect", "--image", "samples/chelsea.png", "--prompt", "a cat", "--export"])
        .arg(dir.join("r.docx"))
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("give --format"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_misbehaving_exporter_gives_clear_errors_and_the_host_stays_up() {
    let home = temp_home("export-faults");
    std::fs::copy(common::home().join("tests/plugins/misbehave-export.wasm"), home.join("plugins/misbehave-export.wasm")).unwrap();
    std::fs::copy(common::home().join("plugins/export-formats.wasm"), home.join("plugins/export-formats.wasm")).unwrap();
    let (_d, m) = manifest_with("export-faults", |t| t.replace("per_minute = 120", "per_minute = 0"));
    let (home_s, m_s) = (home.display().to_string(), m.display().to_string());
    const TOKEN: &str = "export-test-admin-token-0123456789";
    let s = start_with(&["--backend", "onnx", "--manifest", &m_s], Stdio::inherit(), &[("GLINT_HOME", &home_s), ("GLINT_ADMIN_TOKEN", TOKEN)]);
    add_user(&s, ALICE.0, "user", ALICE.1);
    let alice = Client::login(&s.addr, ALICE.0, ALICE.1);
    let (id, _) = rated_result(&alice, "a cat", 3, "");
    let export = |format: &str| alice.send("GET", &format!("/api/results/{id}/export?format={format}"), b"");
    for (format, words) in [("trap", "crashed"), ("spin", "deadline"), ("oom", "memory limit"), ("wrong-mime", "declared as text/plain"), ("empty", "empty")] {
        let r = export(format);
        assert_eq!(r.status, 503, "{format}: {}", r.text());
        let m = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(m.contains("misbehave-export") && m.contains(words), "{format}: {m}");
        assert_eq!(request(&s.addr, "GET", "/api/models", b"").status, 200, "the host serves after {format}");
    }
    let r = export("ok");
    assert_eq!((r.status, r.text()), (200, "a cat\n".to_string()));

    // Installed live, an exporter passes its canary first: one that traps never serves…
    let admin = |method: &str, path: &str, body: &[u8]| request_with(&s.addr, method, path, &[("Authorization", &format!("Bearer {TOKEN}"))], body);
    let misbehaving = std::fs::read(home.join("plugins/misbehave-export.wasm")).unwrap();
    let r = admin("PUT", "/api/admin/plugins/bad-export", &misbehaving);
    assert_eq!(r.status, 422, "{}", r.text());
    let e = &r.json()["error"];
    assert_eq!(e["step"], "canary", "{e}");
    assert!(e["message"].as_str().unwrap().contains("crashed"), "{e}");
    let plugins = admin("GET", "/api/admin/plugins", b"").json();
    assert!(!plugins.to_string().contains("bad-export"), "{plugins}");
    // …and another build of a good one takes over its formats.
    let variant = home.join("export-formats-b.wasm");
    let wasm_tools = common::home().join(".glint/venv/bin/wasm-tools");
    let made = Command::new(wasm_tools)
        .args(["metadata", "add", "--name", "glint-export-formats-b"])
        .arg(home.join("plugins/export-formats.wasm"))
        .arg("-o")
        .arg(&variant)
        .status()
        .unwrap();
    assert!(made.success());
    let r = admin("PUT", "/api/admin/plugins/export-formats", &std::fs::read(&variant).unwrap());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["event"]["outcome"], "swapped");
    let r = export("coco");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["annotations"].is_array());
}
