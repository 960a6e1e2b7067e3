//! Reads, from an ONNX model's protobuf, the main graph's initializers whose
//! bytes live in an external file (name, element type, shape, file, offset,
//! length) and the names of the graph's inputs and outputs. Nothing else of
//! the model is decoded; every malformed byte is an error, never a panic.
//!
//! Field numbers are those of `onnx.proto` (ModelProto.graph = 7,
//! GraphProto.initializer = 5, input = 11, output = 12, TensorProto.dims = 1,
//! data_type = 2, name = 8, external_data = 13, data_location = 14).

/// An initializer of the main graph whose bytes are in an external file.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalInitializer {
    pub name: String,
    /// `TensorProto.DataType` (the same numbers as ONNX Runtime's element types).
    pub data_type: i32,
    pub dims: Vec<i64>,
    /// The file, relative to the model's folder.
    pub location: String,
    pub offset: u64,
    /// `None` where the model leaves it out: the tensor's own size then.
    pub length: Option<u64>,
}

/// What [`read_graph`] found in a model.
#[derive(Debug, Default, PartialEq)]
pub struct GraphSummary {
    pub external: Vec<ExternalInitializer>,
    /// Names of the main graph's inputs and outputs.
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

/// Reads `model` (a serialised `ModelProto`).
pub fn read_graph(model: &[u8]) -> Result<GraphSummary, String> {
    let mut summary = GraphSummary::default();
    for field in Fields(model) {
        if let (7, Value::Bytes(graph)) = field? {
            read_graph_proto(graph, &mut summary)?;
        }
    }
    Ok(summary)
}

fn read_graph_proto(graph: &[u8], summary: &mut GraphSummary) -> Result<(), String> {
    for field in Fields(graph) {
        match field? {
            (5, Value::Bytes(tensor)) => summary.external.extend(read_tensor(tensor)?),
            (11, Value::Bytes(info)) => summary.inputs.push(value_info_name(info)?),
            (12, Value::Bytes(info)) => summary.outputs.push(value_info_name(info)?),
            _ => {}
        }
    }
    Ok(())
}

fn value_info_name(info: &[u8]) -> Result<String, String> {
    let mut name = String::new();
    for field in Fields(info) {
        if let (1, Value::Bytes(b)) = field? {
            name = utf8(b, "a value's name")?;
        }
    }
    Ok(name)
}

/// The tensor as an external initializer; `None` if its bytes are inline.
fn read_tensor(tensor: &[u8]) -> Result<Option<ExternalInitializer>, String> {
    let (mut name, mut data_type, mut dims, mut external, mut location) = (String::new(), 0, Vec::new(), false, Vec::new());
    for field in Fields(tensor) {
        match field? {
            (1, Value::Varint(d)) => dims.push(d as i64),
            (1, Value::Bytes(packed)) => {
                let mut rest = packed;
                while !rest.is_empty() {
                    dims.push(varint(&mut rest)? as i64);
                }
            }
            (2, Value::Varint(t)) => data_type = i32::try_from(t).map_err(|_| format!("data type {t} out of range"))?,
            (8, Value::Bytes(b)) => name = utf8(b, "an initializer's name")?,
            (13, Value::Bytes(entry)) => location.push(string_entry(entry)?),
            (14, Value::Varint(l)) => external = l == 1,
            _ => {}
        }
    }
    if !external {
        return Ok(None);
    }
    let entry = |key: &str| location.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let number = |key: &str| {
        entry(key).map(|v| v.parse::<u64>().map_err(|_| format!("initializer {name:?}: external data {key} {v:?} is not a number"))).transpose()
    };
    let file = entry("location").ok_or_else(|| format!("initializer {name:?}: external data without a location"))?.to_string();
    Ok(Some(ExternalInitializer { offset: number("offset")?.unwrap_or(0), length: number("length")?, location: file, name, data_type, dims }))
}

/// A `StringStringEntryProto`: key = 1, value = 2.
fn string_entry(entry: &[u8]) -> Result<(String, String), String> {
    let (mut key, mut value) = (String::new(), String::new());
    for field in Fields(entry) {
        match field? {
            (1, Value::Bytes(b)) => key = utf8(b, "an external data key")?,
            (2, Value::Bytes(b)) => value = utf8(b, "an external data value")?,
            _ => {}
        }
    }
    Ok((key, value))
}

fn utf8(bytes: &[u8], what: &str) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
}

/// A field's value by wire type; fixed-width values are skipped unread.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of one message, in order: `(field number, value)`.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Value<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let field = next_field(&mut self.0);
        if field.is_err() {
            self.0 = &[]; // stop after the first error
        }
        Some(field)
    }
}

fn next_field<'a>(rest: &mut &'a [u8]) -> Result<(u64, Value<'a>), String> {
    let key = varint(rest)?;
    let value = match key & 7 {
        0 => Value::Varint(varint(rest)?),
        1 => take(rest, 8).map(|_| Value::Fixed)?,
        2 => {
            let len = usize::try_from(varint(rest)?).map_err(|_| "a field's length is out of range".to_string())?;
            Value::Bytes(take(rest, len)?)
        }
        5 => take(rest, 4).map(|_| Value::Fixed)?,
        wire => return Err(format!("field {} has wire type {wire}, which ONNX does not use", key >> 3)),
    };
    Ok((key >> 3, value))
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if rest.len() < n {
        return Err(format!("a field of {n} bytes runs past the end of its message ({} left)", rest.len()));
    }
    let (taken, left) = rest.split_at(n);
    *rest = left;
    Ok(taken)
}

fn varint(rest: &mut &[u8]) -> Result<u64, String> {
    let mut value = 0u64;
    for i in 0..10 {
        let (&byte, left) = rest.split_first().ok_or("a number runs past the end of its message")?;
        *rest = left;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a number is longer than 10 bytes".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(field: u64, wire: u64) -> Vec<u8> {
        encode_varint(field << 3 | wire)
    }

    fn encode_varint(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    fn bytes_field(field: u64, body: &[u8]) -> Vec<u8> {
        [key(field, 2), encode_varint(body.len() as u64), body.to_vec()].concat()
    }

    fn varint_field(field: u64, v: u64) -> Vec<u8> {
        [key(field, 0), encode_varint(v)].concat()
    }

    fn entry(k: &str, v: &str) -> Vec<u8> {
        bytes_field(13, &[bytes_field(1, k.as_bytes()), bytes_field(2, v.as_bytes())].concat())
    }

    fn model(graph: &[u8]) -> Vec<u8> {
        // ir_version (1), a fixed64 and a fixed32 field to skip, then the graph.
        [varint_field(1, 8), key(20, 1), vec![0; 8], key(21, 5), vec![0; 4], bytes_field(7, graph)].concat()
    }

    #[test]
    fn reads_external_initializers_with_packed_and_unpacked_dims() {
        let packed = [encode_varint(32), encode_varint(3), encode_varint(3)].concat();
        let conv = [
            bytes_field(1, &packed),
            varint_field(2, 1),
            bytes_field(8, b"conv.w"),
            entry("location", "optimized.weights"),
            entry("offset", "4096"),
            entry("length", "1152"),
            varint_field(14, 1),
        ]
        .concat();
        let shape = [varint_field(1, 2), varint_field(1, u64::MAX), varint_field(2, 7), bytes_field(8, b"shape"), entry("location", "w"), varint_field(14, 1)].concat();
        let inline = [varint_field(1, 1), varint_field(2, 1), bytes_field(8, b"bias"), bytes_field(9, &[0, 0, 128, 63])].concat();
        let graph = [
            bytes_field(1, b"a node, skipped"),
            bytes_field(5, &conv),
            bytes_field(5, &inline),
            bytes_field(5, &shape),
            bytes_field(11, &bytes_field(1, b"image")),
            bytes_field(12, &bytes_field(1, b"boxes")),
            bytes_field(12, &bytes_field(1, b"anchors")),
        ]
        .concat();
        let summary = read_graph(&model(&graph)).unwrap();
        assert_eq!(summary.inputs, ["image"]);
        assert_eq!(summary.outputs, ["boxes", "anchors"]);
        assert_eq!(
            summary.external,
            [
                ExternalInitializer { name: "conv.w".into(), data_type: 1, dims: vec![32, 3, 3], location: "optimized.weights".into(), offset: 4096, length: Some(1152) },
                ExternalInitializer { name: "shape".into(), data_type: 7, dims: vec![2, -1], location: "w".into(), offset: 0, length: None },
            ]
        );
    }

    #[test]
    fn malformed_models_are_errors() {
        let graph = |tensor: &[u8]| model(&bytes_field(5, tensor));
        let no_location = [bytes_field(8, b"w"), varint_field(14, 1)].concat();
        assert!(read_graph(&graph(&no_location)).unwrap_err().contains("without a location"));
        let bad_offset = [bytes_field(8, b"w"), entry("location", "f"), entry("offset", "-1"), varint_field(14, 1)].concat();
        assert!(read_graph(&graph(&bad_offset)).unwrap_err().contains("offset \"-1\" is not a number"));
        let valid = [bytes_field(8, b"w"), entry("location", "f"), varint_field(14, 1)].concat();
        let full = bytes_field(7, &bytes_field(5, &valid));
        assert_eq!(read_graph(&full).unwrap().external.len(), 1);
        for cut in 1..full.len() {
            assert!(read_graph(&full[..cut]).is_err(), "a model cut at byte {cut} of {} is an error", full.len());
        }
        assert!(read_graph(&[0x0b]).unwrap_err().contains("wire type 3"));
        assert!(read_graph(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).unwrap_err().contains("longer than 10 bytes"));
        assert_eq!(read_graph(&[]).unwrap(), GraphSummary::default());
    }
}
