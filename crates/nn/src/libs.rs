//! Finding and opening the native inference runtimes (dlopen'ed at run time,
//! extracted from the onnxruntime and openvino wheels by scripts/setup.sh).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the runtimes are looked for, in order: the environment variable,
/// then the setup script's folder under the glint home.
#[derive(Clone, Debug)]
pub struct RuntimeLibs {
    pub onnxruntime: PathBuf,
    pub openvino: PathBuf,
}

impl RuntimeLibs {
    pub fn locate(home: &Path) -> RuntimeLibs {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let rt = home.join(".glint/runtime");
        RuntimeLibs {
            onnxruntime: env("GLINT_ORT_LIB").unwrap_or_else(|| rt.join("onnxruntime/libonnxruntime.so")),
            openvino: env("GLINT_OPENVINO_LIB")
                .unwrap_or_else(|| rt.join("openvino/runtime/lib/intel64/libopenvino_c.so")),
        }
    }
}

static ORT: OnceLock<Result<String, String>> = OnceLock::new();
static OPENVINO: OnceLock<Result<String, String>> = OnceLock::new();

/// Opens ONNX Runtime once per process; returns its version or why not.
pub fn init_onnxruntime(path: &Path, intra_threads: Option<usize>) -> Result<String, String> {
    ORT.get_or_init(|| {
        if !path.is_file() {
            return Err(format!(
                "ONNX Runtime library not found at {}: run scripts/setup.sh, or set GLINT_ORT_LIB to a libonnxruntime.so (1.22 or newer)",
                path.display()
            ));
        }
        let shown = path.display().to_string();
        quietly(|| {
            // One intra-op thread pool for all sessions: the detector's, the
            // phrase encoder's and the audit's graphs take turns on the cores
            // instead of each session's pool spinning against the others'.
            // Its threads block instead of spin-waiting between operators: on
            // a busy machine a spinning pool fights every other thread for the
            // cores (beside a plugin fault storm on 2 cores, benign p99 went
            // 2.63x over quiet with spinning and 1.47x without, quiet p50
            // within 5%: scripts/fault-storm.sh).
            // (init_from first: it names the library the pool options come from.)
            let env = ort::init_from(shown.clone()).with_name("glint");
            let pool = ort::environment::GlobalThreadPoolOptions::default()
                .with_spin_control(false)
                .and_then(|p| match intra_threads {
                    Some(n) => p.with_intra_threads(n),
                    None => Ok(p),
                })
                .unwrap_or_default();
            let _ = env.with_global_thread_pool(pool).commit();
            let _ = ort::api();
        })
        .map_err(|msg| format!("cannot use ONNX Runtime at {shown} (set GLINT_ORT_LIB, or re-run scripts/setup.sh): {msg}"))?;
        Ok(version_from_file_name(path, "libonnxruntime.so."))
    })
    .clone()
}

/// Opens OpenVINO's C library once per process; returns a version or why not.
pub fn init_openvino(path: &Path) -> Result<String, String> {
    OPENVINO
        .get_or_init(|| {
            if !path.is_file() {
                return Err(format!(
                    "OpenVINO library not found at {}: run scripts/setup.sh, or set GLINT_OPENVINO_LIB to a libopenvino_c.so",
                    path.display()
                ));
            }
            openvino_sys::library::load_from(path).map_err(|e| {
                format!("cannot load OpenVINO from {} (set GLINT_OPENVINO_LIB, or re-run scripts/setup.sh): {e}", path.display())
            })?;
            let mut build = String::new();
            quietly(std::panic::AssertUnwindSafe(|| build = openvino::version().build_number))
                .map_err(|msg| format!("cannot use OpenVINO at {}: {msg}", path.display()))?;
            Ok(build)
        })
        .clone()
}

/// "1.22.1" from a symlink to `libonnxruntime.so.1.22.1`, or "unknown".
fn version_from_file_name(path: &Path, prefix: &str) -> String {
    std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .and_then(|n| n.strip_prefix(prefix).map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// Runs `f` with the panic hook silenced; a panic becomes its message.
fn quietly(f: impl FnOnce() + std::panic::UnwindSafe) -> Result<(), String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(f);
    std::panic::set_hook(hook);
    r.map_err(|p| {
        p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
    })
}
