//! The host's view of `model.toml`: provenance, graph files per backend and
//! assets. The tables that describe pre- and post-processing belong to the
//! detector plugin, which reads the same file through `glint:plugins/models`.

use std::collections::BTreeMap;

use anyhow::bail;
use serde::Deserialize;

use glint_nn::BackendKind;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ModelManifest {
    pub model: ModelInfo,
    #[serde(default)]
    pub source: Vec<SourcePackage>,
    pub graphs: BTreeMap<String, GraphFiles>,
    #[serde(default)]
    pub assets: BTreeMap<String, String>,
    /// Optional pins: file name → sha256 (hex). A pinned file whose bytes
    /// differ refuses the whole version.
    #[serde(default)]
    pub sha256: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ModelInfo {
    pub family: String,
    #[serde(default)]
    pub description: String,
    /// The backend used unless the operator picks another.
    pub backend: BackendKind,
    /// OpenVINO CPU inference precision; "f32" unless set.
    #[serde(default = "f32")]
    pub openvino_precision: String,
}

fn f32() -> String {
    "f32".into()
}

/// A registry package the weights come from, pinned by version.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SourcePackage {
    pub registry: String,
    pub package: String,
    pub version: String,
    #[serde(default)]
    pub license: String,
}

/// The files of one graph, per backend.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct GraphFiles {
    pub onnx: Option<String>,
    /// `[xml, bin]` of an OpenVINO IR.
    pub openvino: Option<[String; 2]>,
}

impl ModelManifest {
    /// Parses and checks that every file name is a plain name inside the
    /// model's folder.
    pub fn parse(text: &str) -> anyhow::Result<ModelManifest> {
        let m: ModelManifest = toml::from_str(text)?;
        if m.graphs.is_empty() {
            bail!("[graphs] is empty: a model version needs at least one graph");
        }
        for (key, g) in &m.graphs {
            check_key(key)?;
            if g.onnx.is_none() && g.openvino.is_none() {
                bail!("graphs.{key}: give an `onnx` file or an `openvino` [xml, bin] pair");
            }
        }
        for f in m.files() {
            check_file_name(f)?;
        }
        for (f, hex) in &m.sha256 {
            check_file_name(f)?;
            if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                bail!("sha256.{f:?}: give the file's sha256 as 64 hex digits, not {hex:?}");
            }
        }
        Ok(m)
    }

    /// Every file the manifest names.
    pub fn files(&self) -> impl Iterator<Item = &String> {
        self.graphs
            .values()
            .flat_map(|g| g.onnx.iter().chain(g.openvino.iter().flatten()))
            .chain(self.assets.values())
    }

    /// The backends every graph has files for.
    pub fn backends(&self) -> Vec<BackendKind> {
        let mut out = Vec::new();
        if self.graphs.values().all(|g| g.onnx.is_some()) {
            out.push(BackendKind::Onnx);
        }
        if self.graphs.values().all(|g| g.openvino.is_some()) {
            out.push(BackendKind::Openvino);
        }
        out
    }
}

fn check_key(key: &str) -> anyhow::Result<()> {
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        bail!("graph key {key:?}: use letters, digits, '-' and '_' only");
    }
    Ok(())
}

/// A file name, not a path: no separators, no `..`, not hidden.
pub(crate) fn check_file_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.contains(['/', '\\', '\0']) || name.starts_with('.') {
        bail!("file {name:?}: give a plain file name inside the model's folder");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
        [model]
        family = "coco-grounded"
        backend = "onnx"
        [graphs.detector]
        onnx = "ssd.onnx"
        openvino = ["ssd.xml", "ssd.bin"]
        [assets]
        vocab = "vocab.txt"
    "#;

    #[test]
    fn parses_and_lists_backends() {
        let m = ModelManifest::parse(OK).unwrap();
        assert_eq!(m.backends(), vec![BackendKind::Onnx, BackendKind::Openvino]);
        assert_eq!(m.model.openvino_precision, "f32");
        assert_eq!(m.files().count(), 4);
    }

    #[test]
    fn refuses_paths_and_bad_backends() {
        let e = ModelManifest::parse(&OK.replace("vocab.txt", "../../etc/passwd")).unwrap_err();
        assert!(e.to_string().contains("plain file name"), "{e}");
        let e = ModelManifest::parse(&OK.replace("backend = \"onnx\"", "backend = \"tpu\"")).unwrap_err();
        assert!(e.to_string().contains("tpu"), "{e}");
        let e = ModelManifest::parse(&format!("{OK}\n[sha256]\n\"ssd.onnx\" = \"abc\"")).unwrap_err();
        assert!(e.to_string().contains("64 hex"), "{e}");
    }
}
