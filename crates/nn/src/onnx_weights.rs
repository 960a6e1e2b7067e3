//! One read-only mapping of an optimised ONNX graph's weights file, shared by
//! all the graph's sessions.
//!
//! Left to itself, ONNX Runtime maps a graph's external weights once per
//! session (a mapping per tensor), and the kernel counts a resident page once
//! per mapping: the SSD's pool session and its single-thread session held
//! 2 × 66 MiB of `optimized.weights` after an inference on each. Here the file
//! is mapped once and every external initializer goes to every session as a
//! tensor over that mapping (`AddInitializer`), which ONNX Runtime uses in
//! place: it neither copies it nor opens the file for it. (Its other way in,
//! `AddExternalInitializersFromFilesInMemory`, copies every tensor out of the
//! buffer: 163 MiB more anonymous memory for the same two sessions.)

use std::ffi::c_void;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Arc;

use ort::AsPointer;
use ort::memory::{AllocationDevice, AllocatorType, MemoryInfo, MemoryType};
use ort::session::builder::SessionBuilder;
use ort::sys::ONNXTensorElementDataType as Element;
use ort::value::{DynValue, Value};

use super::onnx_proto::{ExternalInitializer, read_graph};

/// A graph's external initializers as tensors over one mapping of its weights
/// file, to hand to each session the graph builds.
pub struct SharedWeights {
    initializers: Vec<(String, Arc<DynValue>)>,
    /// Declared last: dropped after the tensors that point into it (and it
    /// must outlive every session given them; see [`SharedWeights::give_to`]).
    file: MappedFile,
}

impl SharedWeights {
    /// Maps `weights` (the file that `graph`'s external initializers name as
    /// their location, beside it) and makes a tensor over it for each of them.
    /// Initializers that are also the graph's inputs or outputs, or whose
    /// bytes are not aligned to their element type, are left for ONNX Runtime
    /// to load itself. An initializer that runs past the file's end, or whose
    /// length is not its shape's, is an error.
    pub fn open(graph: &Path, weights: &Path) -> Result<SharedWeights, String> {
        let model = std::fs::read(graph).map_err(|e| format!("{}: {e}", graph.display()))?;
        let summary = read_graph(&model).map_err(|e| format!("{}: {e}", graph.display()))?;
        let location = weights.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let file = MappedFile::open(weights)?;
        let cpu = MemoryInfo::new(AllocationDevice::CPU, 0, AllocatorType::Arena, MemoryType::Default).map_err(|e| e.to_string())?;
        let mut initializers = Vec::new();
        for init in &summary.external {
            if init.location != location || summary.inputs.contains(&init.name) || summary.outputs.contains(&init.name) {
                continue;
            }
            let Some((element, bytes)) = tensor_bytes(init, file.bytes())? else { continue };
            initializers.push((init.name.clone(), Arc::new(tensor_over(&cpu, bytes, &init.dims, element).map_err(|e| format!("initializer {:?}: {e}", init.name))?)));
        }
        Ok(SharedWeights { initializers, file })
    }

    /// How many initializers the sessions share.
    pub fn count(&self) -> usize {
        self.initializers.len()
    }

    /// Bytes of the mapped weights file.
    pub fn mapped_bytes(&self) -> usize {
        self.file.len
    }

    /// Hands every shared initializer to the session `builder` will build.
    /// That session reads the mapping: it must be dropped before `self`.
    pub fn give_to(&self, mut builder: SessionBuilder) -> ort::Result<SessionBuilder> {
        for (name, value) in &self.initializers {
            builder = builder.with_initializer(name, value.clone())?;
        }
        Ok(builder)
    }
}

/// The element type and bytes of `init` in `file`: `None` where it cannot be
/// shared (an element type without a fixed size, no elements, bytes not
/// aligned to the element).
fn tensor_bytes<'a>(init: &ExternalInitializer, file: &'a [u8]) -> Result<Option<(Element, &'a [u8])>, String> {
    let Some((element, size)) = element(init.data_type) else { return Ok(None) };
    let elements = init.dims.iter().try_fold(1u64, |n, &d| u64::try_from(d).ok().and_then(|d| n.checked_mul(d)));
    let len = elements.and_then(|n| n.checked_mul(size as u64)).ok_or_else(|| format!("initializer {:?}: shape {:?} has no size", init.name, init.dims))?;
    if init.length.is_some_and(|l| l != len) {
        return Err(format!("initializer {:?}: {} bytes in the file for a shape {:?} of {len} bytes", init.name, init.length.unwrap_or(0), init.dims));
    }
    let end = init.offset.checked_add(len).filter(|&end| end <= file.len() as u64);
    let end = end.ok_or_else(|| format!("initializer {:?}: bytes {}..+{len} run past the weights file's {} bytes", init.name, init.offset, file.len()))?;
    if len == 0 || !init.offset.is_multiple_of(size as u64) {
        return Ok(None);
    }
    Ok(Some((element, &file[init.offset as usize..end as usize])))
}

/// ONNX Runtime's element type for a `TensorProto.DataType`, and its size.
fn element(data_type: i32) -> Option<(Element, usize)> {
    Some(match data_type {
        1 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, 4),
        2 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, 1),
        3 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, 1),
        4 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16, 2),
        5 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16, 2),
        6 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, 4),
        7 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, 8),
        9 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, 1),
        10 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, 2),
        11 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, 8),
        12 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32, 4),
        13 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64, 8),
        16 => (Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, 2),
        _ => return None,
    })
}

/// A tensor over `bytes` (not copied: they must outlive it and its users).
fn tensor_over(cpu: &MemoryInfo, bytes: &[u8], dims: &[i64], element: Element) -> ort::Result<DynValue> {
    let mut out = std::ptr::null_mut();
    // SAFETY: `bytes` is a live slice of a read-only mapping, kept mapped by
    // the `SharedWeights` that owns the tensor; ONNX Runtime only reads an
    // initializer. The shape and memory info outlive the call.
    let status = unsafe {
        (ort::api().CreateTensorWithDataAsOrtValue)(cpu.ptr(), bytes.as_ptr().cast_mut().cast::<c_void>(), bytes.len(), dims.as_ptr(), dims.len(), element, &mut out)
    };
    // SAFETY: `status` is what the call returned; this takes and releases it.
    unsafe { ort::error::status_to_result(status) }?;
    let value = NonNull::new(out).ok_or_else(|| ort::Error::new("ONNX Runtime made no tensor"))?;
    // SAFETY: a value the call made for us, owned (and released) by the `Value` from here on.
    Ok(unsafe { Value::from_ptr(value, None) })
}

/// A whole file mapped read-only, unmapped on drop.
struct MappedFile {
    start: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is read-only and never written or remapped while it
// lives, so reading it from any thread is sound.
unsafe impl Send for MappedFile {}
unsafe impl Sync for MappedFile {}

impl MappedFile {
    fn open(path: &Path) -> Result<MappedFile, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let len = file.metadata().map_err(|e| format!("{}: {e}", path.display()))?.len();
        let len = usize::try_from(len).ok().filter(|&l| l > 0).ok_or_else(|| format!("{}: {len} bytes cannot be mapped", path.display()))?;
        // SAFETY: a new shared read-only mapping of a whole open file; the
        // kernel keeps it valid after the descriptor closes.
        let start = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_SHARED, file.as_raw_fd(), 0) };
        if start == libc::MAP_FAILED {
            return Err(format!("{}: mmap: {}", path.display(), std::io::Error::last_os_error()));
        }
        Ok(MappedFile { start: NonNull::new(start.cast()).expect("mmap does not return null on success"), len })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `len` readable bytes mapped at `start` for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.start.as_ptr(), self.len) }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: the mapping `open` made; nothing reads it after this.
        unsafe { libc::munmap(self.start.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init(data_type: i32, dims: &[i64], offset: u64, length: Option<u64>) -> ExternalInitializer {
        ExternalInitializer { name: "w".into(), data_type, dims: dims.to_vec(), location: "optimized.weights".into(), offset, length }
    }

    #[test]
    fn finds_each_tensors_bytes_in_the_file_and_refuses_what_does_not_fit() {
        let file: Vec<u8> = (0..64).collect();
        let bytes = |i: ExternalInitializer| tensor_bytes(&i, &file).map(|found| found.map(|(_, b)| b));
        assert_eq!(bytes(init(1, &[2, 2], 16, Some(16))).unwrap(), Some(&file[16..32]));
        assert_eq!(bytes(init(7, &[8], 0, None)).unwrap(), Some(&file[..]));
        assert!(matches!(tensor_bytes(&init(7, &[8], 0, None), &file), Ok(Some((Element::ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, _)))));
        assert_eq!(bytes(init(1, &[2], 6, None)).unwrap(), None, "not aligned to f32: left to ONNX Runtime");
        assert_eq!(bytes(init(8, &[2], 0, None)).unwrap(), None, "strings are not shared");
        assert_eq!(bytes(init(1, &[0, 3], 0, Some(0))).unwrap(), None, "no elements");
        assert!(tensor_bytes(&init(1, &[4], 56, None), &file).unwrap_err().contains("run past the weights file's 64 bytes"));
        assert!(tensor_bytes(&init(1, &[4], 0, Some(12)), &file).unwrap_err().contains("12 bytes in the file for a shape [4] of 16 bytes"));
        assert!(tensor_bytes(&init(1, &[-1, 4], 0, None), &file).unwrap_err().contains("has no size"));
        assert!(tensor_bytes(&init(1, &[1 << 62, 1 << 62], 0, None), &file).unwrap_err().contains("has no size"));
        assert!(tensor_bytes(&init(1, &[4], u64::MAX - 2, None), &file).unwrap_err().contains("run past"));
    }

    #[test]
    fn maps_a_file_read_only_and_refuses_a_missing_or_empty_one() {
        let root = crate::test_files::scratch();
        let bytes: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let path = crate::test_files::file(&root, "optimized.weights", &bytes);
        let mapped = MappedFile::open(&path).unwrap();
        assert_eq!(mapped.bytes(), &bytes[..]);
        let empty = crate::test_files::file(&root, "empty", &[]);
        assert!(MappedFile::open(&empty).err().unwrap().contains("0 bytes cannot be mapped"));
        assert!(MappedFile::open(&root.join("missing")).err().unwrap().contains("No such file"));
        drop(mapped);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
