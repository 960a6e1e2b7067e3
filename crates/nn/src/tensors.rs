//! Checks shared by the backends on tensors coming from a guest.

use wasmtime_wasi_nn::Tensor;
use wasmtime_wasi_nn::backend::BackendError;
use wasmtime_wasi_nn::wit::TensorType;

use super::fail;

/// Size in bytes of one element of `ty`.
pub fn element_size(ty: TensorType) -> usize {
    match ty {
        TensorType::U8 => 1,
        TensorType::Fp16 | TensorType::Bf16 => 2,
        TensorType::Fp32 | TensorType::I32 => 4,
        TensorType::Fp64 | TensorType::I64 => 8,
    }
}

/// Dims as i64 after checking that the data length matches them.
pub fn checked_shape(name: &str, t: &Tensor) -> Result<Vec<i64>, BackendError> {
    let count = t.dimensions.iter().try_fold(1usize, |acc, d| acc.checked_mul(*d as usize));
    let expected = count.and_then(|c| c.checked_mul(element_size(t.ty)));
    match expected {
        Some(n) if n == t.data.len() => Ok(t.dimensions.iter().map(|d| *d as i64).collect()),
        _ => Err(fail(format!(
            "input {name:?}: dims {:?} of {:?} need {} bytes, the tensor has {}",
            t.dimensions,
            t.ty,
            expected.map_or("too many".to_string(), |n| n.to_string()),
            t.data.len()
        ))),
    }
}
