//! The tensors exchanged with an [`crate::Inference`] implementation.

use crate::Error;

#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    U8(Vec<u8>),
    F32(Vec<f32>),
    I64(Vec<i64>),
}

impl TensorData {
    pub fn len(&self) -> usize {
        match self {
            TensorData::U8(v) => v.len(),
            TensorData::F32(v) => v.len(),
            TensorData::I64(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The values as little-endian bytes (the wasi-nn tensor encoding).
    pub fn into_le_bytes(self) -> Vec<u8> {
        match self {
            TensorData::U8(v) => v,
            TensorData::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }

    /// Values of `kind` ("u8", "f32" or "i64") from little-endian bytes.
    pub fn from_le_bytes(kind: &str, bytes: &[u8]) -> Option<TensorData> {
        fn chunks<const N: usize, T>(b: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
            b.chunks_exact(N).map(|c| f(c.try_into().expect("N bytes"))).collect()
        }
        Some(match kind {
            "u8" => TensorData::U8(bytes.to_vec()),
            "f32" => TensorData::F32(chunks(bytes, f32::from_le_bytes)),
            "i64" => TensorData::I64(chunks(bytes, i64::from_le_bytes)),
            _ => return None,
        })
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            TensorData::U8(_) => "u8",
            TensorData::F32(_) => "f32",
            TensorData::I64(_) => "i64",
        }
    }
}

/// A named tensor. Names are the model's tensor names without a TensorFlow
/// `:0` suffix (backends strip it).
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub dims: Vec<u32>,
    pub data: TensorData,
}

impl Tensor {
    pub fn new(name: &str, dims: Vec<u32>, data: TensorData) -> Self {
        Tensor { name: name.to_string(), dims, data }
    }

    /// The values as f32 (u8 and i64 are converted), checked against `dims`.
    pub fn to_f32(&self) -> Result<Vec<f32>, Error> {
        let expected: usize = self.dims.iter().map(|d| *d as usize).product();
        if expected != self.data.len() {
            return Err(Error::inference(format!(
                "output {:?}: dims {:?} need {expected} values, got {}",
                self.name,
                self.dims,
                self.data.len()
            )));
        }
        Ok(match &self.data {
            TensorData::F32(v) => v.clone(),
            TensorData::U8(v) => v.iter().map(|x| *x as f32).collect(),
            TensorData::I64(v) => v.iter().map(|x| *x as f32).collect(),
        })
    }
}

/// Takes the output called `name` out of `outputs`.
pub fn take(outputs: &mut Vec<Tensor>, name: &str) -> Result<Tensor, Error> {
    match outputs.iter().position(|t| t.name == name) {
        Some(i) => Ok(outputs.swap_remove(i)),
        None => {
            let names: Vec<&str> = outputs.iter().map(|t| t.name.as_str()).collect();
            Err(Error::inference(format!("model returned no output {name:?} (it returned {names:?})")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_bytes_round_trip() {
        for data in [TensorData::U8(vec![1, 2]), TensorData::F32(vec![1.5, -2.0]), TensorData::I64(vec![-1, 1 << 40])] {
            let kind = data.type_name();
            let bytes = data.clone().into_le_bytes();
            assert_eq!(TensorData::from_le_bytes(kind, &bytes), Some(data));
        }
        assert_eq!(TensorData::from_le_bytes("f16", &[]), None);
    }
}
