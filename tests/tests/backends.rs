//! glint's own wasi-nn backends, called directly: every wrong tensor is an
//! error with a message, never a panic; all the tensor types glint needs pass.

use glint::nn::libs::{RuntimeLibs, init_onnxruntime, init_openvino};
use glint::nn::mapped_pages::resident_bytes;
use glint::nn::onnx::{self, OnnxOptions};
use glint::nn::graph_cache::{CacheUse, GraphCache, GraphCacheOutcome};
use glint::nn::{openvino, take_last_error};
use glint_tests::home;
use wasmtime_wasi_nn::backend::NamedTensor;
use wasmtime_wasi_nn::wit::TensorType;
use wasmtime_wasi_nn::{Graph, Tensor};

fn tensor(name: &str, dims: &[u32], ty: TensorType, data: Vec<u8>) -> NamedTensor {
    NamedTensor { name: name.into(), tensor: Tensor::new(dims.to_vec(), ty, data) }
}

fn i64s(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Runs `inputs` and returns the error text, which must exist.
fn error_of(graph: &Graph, inputs: Vec<NamedTensor>) -> String {
    let mut ctx = graph.init_execution_context().expect("context");
    match ctx.compute_with_io(inputs) {
        Ok(out) => panic!("expected an error, got {} outputs", out.len()),
        Err(_) => take_last_error().expect("the backend recorded why"),
    }
}

fn synthetic_onnx() -> Graph {
    let libs = RuntimeLibs::locate(&home());
    init_onnxruntime(&libs.onnxruntime, None).expect("ONNX Runtime (run scripts/setup.sh)");
    onnx::load("synthetic", &home().join("tests/models/owlvit-synthetic/model.onnx"), &OnnxOptions { sessions: 2, ..Default::default() }, None).expect("loads").0
}

fn owl_inputs(ids_ty: TensorType, ids: Vec<u8>) -> Vec<NamedTensor> {
    vec![
        tensor("input_ids", &[1, 2], ids_ty, ids),
        tensor("pixel_values", &[1, 3, 64, 64], TensorType::Fp32, vec![0; 3 * 64 * 64 * 4]),
        tensor("attention_mask", &[1, 2], TensorType::I64, i64s(&[1, 1])),
    ]
}

#[test]
fn onnx_accepts_i64_and_f32_and_names_outputs() {
    let g = synthetic_onnx();
    let mut ctx = g.init_execution_context().unwrap();
    let out = ctx.compute_with_io(owl_inputs(TensorType::I64, i64s(&[0, 1]))).expect("runs");
    let names: Vec<&str> = out.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["logits", "pred_boxes"]);
    assert_eq!(out[0].tensor.dimensions, [1, 16, 1]);
    assert_eq!(out[0].tensor.ty, TensorType::Fp32);
}

#[test]
fn onnx_wrong_type_shape_and_name_are_errors() {
    let g = synthetic_onnx();
    // f32 where the model wants int64
    let e = error_of(&g, owl_inputs(TensorType::Fp32, vec![0; 8]));
    assert!(e.contains("synthetic"), "{e}");
    // a type the backend does not take at all
    let e = error_of(&g, owl_inputs(TensorType::Fp16, vec![0; 4]));
    assert!(e.contains("Fp16") && e.contains("not supported"), "{e}");
    // dims that do not match the bytes
    let e = error_of(&g, owl_inputs(TensorType::I64, vec![0; 3]));
    assert!(e.contains("input_ids") && e.contains("16 bytes"), "{e}");
    // a shape the model cannot take (48 x 48 pixels)
    let mut inputs = owl_inputs(TensorType::I64, i64s(&[0, 1]));
    inputs[1] = tensor("pixel_values", &[1, 3, 48, 48], TensorType::Fp32, vec![0; 3 * 48 * 48 * 4]);
    let e = error_of(&g, inputs);
    assert!(e.contains("synthetic"), "{e}");
    // an input the model does not have
    let mut inputs = owl_inputs(TensorType::I64, i64s(&[0, 1]));
    inputs[0].name = "token_ids".into();
    let e = error_of(&g, inputs);
    assert!(e.contains("no input \"token_ids\"") && e.contains("input_ids"), "{e}");
    // and the graph still works afterwards
    let mut ctx = g.init_execution_context().unwrap();
    ctx.compute_with_io(owl_inputs(TensorType::I64, i64s(&[0, 1]))).expect("still runs");
}

/// Inferences that overlap run on the graph's single-thread session (two
/// at once may share it) and give what a lone inference on the pool gives.
#[test]
fn overlapping_onnx_computes_take_single_thread_sessions_with_the_same_results() {
    let libs = RuntimeLibs::locate(&home());
    init_onnxruntime(&libs.onnxruntime, None).expect("ONNX Runtime (run scripts/setup.sh)");
    let options = OnnxOptions { overlap_computes: 2, ..Default::default() };
    let ssd = home().join("models/coco-grounded-v1/ssd.onnx");
    let graph = onnx::load("ssd", &ssd, &options, None).expect("loads").0;
    let lone = ssd_scores(&graph);
    assert_overlapping_computes_match(&graph, 4, 6, &lone, "an overlapping compute against a lone one");
}

/// A fixed 300 x 300 u8 image as the SSD's input `name` (ONNX and OpenVINO name it differently).
fn ssd_image(name: &str) -> NamedTensor {
    tensor(name, &[1, 300, 300, 3], TensorType::U8, (0..300 * 300 * 3).map(|i| (i * 7 % 251) as u8).collect())
}

/// The SSD's class scores for [`ssd_image`], from the ONNX `graph`.
fn ssd_scores(graph: &Graph) -> Vec<f32> {
    let mut ctx = graph.init_execution_context().unwrap();
    let out = ctx.compute_with_io(vec![ssd_image("image_tensor:0")]).expect("runs");
    let scores = out.iter().find(|t| t.name.starts_with("class_scores")).expect("class scores");
    scores.tensor.data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
}

/// Runs the SSD `graph` from `threads` threads at once, `each` times on each:
/// some computes must have overlapped (run on the single-thread session), and
/// every result must be `reference` within 1e-4.
fn assert_overlapping_computes_match(graph: &Graph, threads: usize, each: usize, reference: &[f32], what: &str) {
    let before = onnx::overlapped_computes();
    let results: Vec<Vec<f32>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads).map(|_| s.spawn(|| (0..each).map(|_| ssd_scores(graph)).collect::<Vec<_>>())).collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    assert!(onnx::overlapped_computes() > before, "{what}: {threads} threads at once overlapped");
    for r in results {
        assert_eq!(r.len(), reference.len());
        let worst = r.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-4, "{what}: results differ by {worst}");
    }
}

/// Opens OpenVINO and names the IR (`xml`, `bin`) of coco-grounded-v1's `graph`.
fn openvino_ir(graph: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    init_openvino(&RuntimeLibs::locate(&home()).openvino).expect("OpenVINO (run scripts/setup.sh)");
    let dir = home().join("models/coco-grounded-v1");
    (dir.join(format!("{graph}.xml")), dir.join(format!("{graph}.bin")))
}

#[test]
fn openvino_wrong_type_is_an_error() {
    let (xml, bin) = openvino_ir("minilm");
    let (g, _) = openvino::load("minilm", &xml, &bin, "f32", &Default::default(), None).expect("loads");
    let ok = |ty: TensorType, data: Vec<u8>| {
        vec![
            tensor("input_ids", &[1, 3], ty, data),
            tensor("attention_mask", &[1, 3], TensorType::I64, i64s(&[1, 1, 1])),
            tensor("token_type_ids", &[1, 3], TensorType::I64, i64s(&[0, 0, 0])),
        ]
    };
    let mut ctx = g.init_execution_context().unwrap();
    let out = ctx.compute_with_io(ok(TensorType::I64, i64s(&[101, 7592, 102]))).expect("runs");
    assert_eq!(out[0].name, "last_hidden_state");
    assert_eq!(out[0].tensor.dimensions, [1, 3, 384]);
    let e = error_of(&g, ok(TensorType::Fp32, vec![0; 12]));
    assert!(e.contains("input_ids") && e.contains("I64"), "{e}");
    let e = error_of(&g, ok(TensorType::I64, vec![0; 5]));
    assert!(e.contains("24 bytes"), "{e}");
}

#[test]
fn a_precision_openvino_does_not_know_is_an_error() {
    let (xml, bin) = openvino_ir("minilm");
    let e = openvino::load("minilm", &xml, &bin, "f7", &Default::default(), None).err().expect("refused");
    assert!(format!("{e:#}").contains("f7"), "{e:#}");
}

/// OpenVINO keeps the IR's `.bin` and the imported compiled blob mapped for
/// the compiled model's life, though it has copied the weights: after a load
/// (compiled, then imported from the cache) and a detection, almost none of
/// those pages is in glint's resident set, and the detection is the same as
/// one from a graph loaded without the cache.
#[test]
fn openvino_does_not_keep_its_mapped_weights_resident() {
    let (xml, bin) = openvino_ir("ssd");
    let cache_dir = std::env::temp_dir().join(format!("glint-ov-mapped-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let cache = GraphCache::new(cache_dir.clone());
    let detect = |g: &Graph| g.init_execution_context().unwrap().compute_with_io(vec![ssd_image("image_tensor")]).expect("runs");
    let (plain, _) = openvino::load("ssd", &xml, &bin, "f32", &Default::default(), None).expect("loads");
    let reference = detect(&plain);
    let weights = std::fs::metadata(&bin).unwrap().len();
    for expected in [GraphCacheOutcome::Miss, GraphCacheOutcome::Hit] {
        let use_cache = CacheUse { cache: &cache, runtime_version: "test" };
        let (g, outcome) = openvino::load("ssd", &xml, &bin, "f32", &Default::default(), Some(use_cache)).expect("loads");
        assert_eq!(outcome, expected);
        let out = detect(&g);
        assert_eq!(out.len(), reference.len());
        for (a, b) in out.iter().zip(&reference) {
            assert_eq!((&a.name, &a.tensor.dimensions, &a.tensor.data), (&b.name, &b.tensor.dimensions, &b.tensor.data), "same bytes out");
        }
        let (resident_bin, resident_blob) = (resident_bytes(&[&bin]), resident_bytes(&[&cache_dir]));
        assert!(
            resident_bin + resident_blob < weights / 4,
            "{expected:?}: {resident_bin} bytes of ssd.bin and {resident_blob} of the compiled blob resident, for {weights} bytes of weights"
        );
    }
    std::fs::remove_dir_all(&cache_dir).ok();
}

/// A cached ONNX graph's sessions (here one on the pool and one for
/// overlapping computes) read its weights from one mapping: after both have
/// run, the weights file counts once in the resident set, not once per
/// session, and the results are those of the graph loaded without the cache.
#[test]
fn onnx_sessions_of_a_cached_graph_share_one_mapping_of_its_weights() {
    let libs = RuntimeLibs::locate(&home());
    init_onnxruntime(&libs.onnxruntime, None).expect("ONNX Runtime (run scripts/setup.sh)");
    let ssd = home().join("models/coco-grounded-v1/ssd.onnx");
    let cache_dir = std::env::temp_dir().join(format!("glint-onnx-shared-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let cache = GraphCache::new(cache_dir.clone());
    let options = OnnxOptions { overlap_computes: 2, ..Default::default() };
    let reference = ssd_scores(&onnx::load("ssd", &ssd, &OnnxOptions::default(), None).expect("loads").0);
    for expected in [GraphCacheOutcome::Miss, GraphCacheOutcome::Hit] {
        let (graph, outcome) = onnx::load("ssd", &ssd, &options, Some(CacheUse { cache: &cache, runtime_version: "test" })).expect("loads");
        assert_eq!(outcome, expected);
        assert_overlapping_computes_match(&graph, 3, 4, &reference, &format!("{expected:?}: the cached graph against the shipped one"));
        let weights = walk_files(&cache_dir).into_iter().find(|p| p.ends_with("optimized.weights")).expect("the entry has a weights file");
        let size = std::fs::metadata(&weights).unwrap().len();
        let resident = resident_bytes(&[&weights]);
        assert!(
            resident > size / 2 && resident <= size + size / 20,
            "{expected:?}: {resident} bytes of {size} of weights resident: two sessions that had each mapped them would hold about twice the file"
        );
    }
    std::fs::remove_dir_all(&cache_dir).ok();
}

/// Every file under `dir`, at any depth.
fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir).into_iter().flatten().flatten().flat_map(|e| if e.path().is_dir() { walk_files(&e.path()) } else { vec![e.path()] }).collect()
}
