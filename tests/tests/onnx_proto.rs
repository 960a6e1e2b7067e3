//! glint's reader of ONNX models' external initializers against the `onnx`
//! package's own: a model the `onnx` package saved with its weights in a
//! file of their own reads the same in both.

use glint::nn::onnx_proto::{ExternalInitializer, read_graph};
use glint_tests::home;

/// `onnx` (from .glint/venv) saves `model` into `dir` with every initializer
/// of 1 KiB or more in `weights.bin`, then prints, as JSON, what it reads back
/// without loading that file: the external initializers and the graph's
/// inputs and outputs.
const SCRIPT: &str = r#"
import json, sys, onnx
src, out = sys.argv[1:]
model = onnx.load(src)
onnx.save_model(model, out, save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin", size_threshold=1024)
g = onnx.load(out, load_external_data=False).graph
external = []
for t in g.initializer:
    if t.data_location == onnx.TensorProto.EXTERNAL:
        kv = {e.key: e.value for e in t.external_data}
        external.append([t.name, t.data_type, list(t.dims), kv["location"], int(kv.get("offset", 0)), int(kv["length"]) if "length" in kv else None])
print(json.dumps({"external": external, "inputs": [i.name for i in g.input], "outputs": [o.name for o in g.output]}))
"#;

#[test]
fn reads_the_external_initializers_the_onnx_package_wrote() {
    let dir = std::env::temp_dir().join(format!("glint-onnx-proto-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let saved = dir.join("model.onnx");
    let output = std::process::Command::new(home().join(".glint/venv/bin/python"))
        .args(["-c", SCRIPT])
        .arg(home().join("models/coco-grounded-v1/ssd.onnx"))
        .arg(&saved)
        .output()
        .expect(".glint/venv/bin/python runs (scripts/setup.sh makes it)");
    assert!(output.status.success(), "onnx could not save the model: {}", String::from_utf8_lossy(&output.stderr));
    let theirs: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ours = read_graph(&std::fs::read(&saved).unwrap()).unwrap();
    let names = |v: &serde_json::Value| v.as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(ours.inputs, names(&theirs["inputs"]));
    assert_eq!(ours.outputs, names(&theirs["outputs"]));
    let expected: Vec<ExternalInitializer> = theirs["external"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| ExternalInitializer {
            name: t[0].as_str().unwrap().into(),
            data_type: t[1].as_i64().unwrap() as i32,
            dims: t[2].as_array().unwrap().iter().map(|d| d.as_i64().unwrap()).collect(),
            location: t[3].as_str().unwrap().into(),
            offset: t[4].as_u64().unwrap(),
            length: t[5].as_u64(),
        })
        .collect();
    assert!(expected.len() > 50, "the SSD has many large initializers: {}", expected.len());
    assert_eq!(ours.external, expected);
    let weights = std::fs::metadata(dir.join("weights.bin")).unwrap().len();
    let last = ours.external.iter().map(|i| i.offset + i.length.unwrap_or(0)).max().unwrap();
    assert_eq!(last, weights, "the last initializer ends where the weights file does");
    std::fs::remove_dir_all(&dir).unwrap();
}
