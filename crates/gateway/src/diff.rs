//! Gradio's streaming diffs (protocol `sse_v2`…`sse_v3`): from the second
//! `process_generating` message of an event on, each output in `output.data`
//! is a list of edits `[action, path, value]` against the value the client
//! holds. [`apply`] rebuilds that value exactly as gradio_client
//! (`utils.apply_diff`) and the JS client (`apply_diff_stream`) do, so the
//! gateway audits what the client will show; [`diff`] writes the edits the
//! gateway sends instead, against what it has sent so far.

use serde_json::Value;

/// Applies Gradio's `diff` (a JSON array of `[action, path, value]`) to `value`.
pub fn apply(mut value: Value, diff: &Value) -> Result<Value, String> {
    let edits = diff.as_array().ok_or("a streamed update is not a list of edits")?;
    for edit in edits {
        let (action, path, new) = match edit.as_array().map(Vec::as_slice) {
            Some([Value::String(a), Value::Array(p), v]) => (a.as_str(), p.as_slice(), v.clone()),
            _ => return Err(format!("a streamed edit is not [action, path, value]: {edit}")),
        };
        value = apply_edit(value, path, action, new)?;
    }
    Ok(value)
}

fn apply_edit(target: Value, path: &[Value], action: &str, new: Value) -> Result<Value, String> {
    let Some((last, parents)) = path.split_last() else {
        return match action {
            "replace" => Ok(new),
            "append" => append(target, new),
            _ => Err(format!("the edit {action:?} cannot apply to a whole output")),
        };
    };
    let mut target = target;
    let mut current = &mut target;
    for step in parents {
        current = child(current, step)?;
    }
    match (action, current) {
        ("replace", Value::Array(items)) => *items.get_mut(index(last)?).ok_or_else(|| missing(last))? = new,
        ("replace", Value::Object(map)) => {
            map.insert(key(last)?, new);
        }
        ("append", parent) => {
            let slot = child(parent, last)?;
            *slot = append(slot.take(), new)?;
        }
        ("add", Value::Array(items)) => {
            // Python's insert and JS's splice both put an index past the end at the end.
            let i = index(last)?.min(items.len());
            items.insert(i, new);
        }
        ("add", Value::Object(map)) => {
            map.insert(key(last)?, new);
        }
        ("delete", Value::Array(items)) => {
            let i = index(last)?;
            if i >= items.len() {
                return Err(missing(last));
            }
            items.remove(i);
        }
        ("delete", Value::Object(map)) => {
            map.remove(&key(last)?).ok_or_else(|| missing(last))?;
        }
        ("replace" | "add" | "delete", _) => return Err(format!("the edit {action:?} at {last} has no list or object to change")),
        (other, _) => return Err(format!("unknown streamed edit {other:?}")),
    }
    Ok(target)
}

/// `target + new` as Python and JS add two strings (the only `append` Gradio writes).
fn append(target: Value, new: Value) -> Result<Value, String> {
    match (target, new) {
        (Value::String(mut a), Value::String(b)) => {
            a.push_str(&b);
            Ok(Value::String(a))
        }
        (Value::Array(mut a), Value::Array(b)) => {
            a.extend(b);
            Ok(Value::Array(a))
        }
        (a, b) => Err(format!("cannot append {b} to {a}")),
    }
}

fn child<'v>(parent: &'v mut Value, step: &Value) -> Result<&'v mut Value, String> {
    match parent {
        Value::Array(items) => items.get_mut(index(step)?).ok_or_else(|| missing(step)),
        Value::Object(map) => map.get_mut(&key(step)?).ok_or_else(|| missing(step)),
        _ => Err(format!("a streamed edit goes into {step} of something that is not a list or object")),
    }
}

fn index(step: &Value) -> Result<usize, String> {
    match step {
        Value::Number(n) => n.as_u64().map(|n| n as usize),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("a streamed edit's list index {step} is not a number"))
}

fn key(step: &Value) -> Result<String, String> {
    match step {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(format!("a streamed edit's key {step} is not a string")),
    }
}

fn missing(step: &Value) -> String {
    format!("a streamed edit refers to {step}, which the output does not have")
}

/// The edits that turn `old` into `new`, in Gradio's format: `append` for a
/// string that grew, edits inside lists and objects, `replace` otherwise.
pub fn diff(old: &Value, new: &Value) -> Value {
    let mut edits = Vec::new();
    compare(old, new, &mut Vec::new(), &mut edits);
    Value::Array(edits)
}

fn compare(old: &Value, new: &Value, path: &mut Vec<Value>, edits: &mut Vec<Value>) {
    let edit = |action: &str, path: &[Value], value: Value| serde_json::json!([action, path, value]);
    match (old, new) {
        _ if old == new => {}
        (Value::String(a), Value::String(b)) if b.starts_with(a.as_str()) => {
            edits.push(edit("append", path, Value::String(b[a.len()..].to_string())));
        }
        (Value::Array(a), Value::Array(b)) => {
            let common = a.len().min(b.len());
            for i in 0..common {
                path.push(i.into());
                compare(&a[i], &b[i], path, edits);
                path.pop();
            }
            // Each delete shifts what follows, so the extra items go at one index.
            path.push(common.into());
            for _ in common..a.len() {
                edits.push(edit("delete", path, Value::Null));
            }
            path.pop();
            for (i, item) in b.iter().enumerate().skip(common) {
                path.push(i.into());
                edits.push(edit("add", path, item.clone()));
                path.pop();
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                path.push(Value::String(k.clone()));
                match b.get(k) {
                    Some(w) => compare(v, w, path, edits),
                    None => edits.push(edit("delete", path, Value::Null)),
                }
                path.pop();
            }
            for (k, w) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                path.push(Value::String(k.clone()));
                edits.push(edit("add", path, w.clone()));
                path.pop();
            }
        }
        _ => edits.push(edit("replace", path, new.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn applies_gradio_edits() {
        let v = json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "wh"}]);
        let d = json!([["append", [1, "content"], "at the"], ["add", [2], {"role": "assistant", "content": ""}]]);
        let got = apply(v, &d).unwrap();
        assert_eq!(got[1]["content"], "what the");
        assert_eq!(got.as_array().unwrap().len(), 3);
        assert_eq!(apply(json!("abc"), &json!([["append", [], "def"]])).unwrap(), "abcdef");
        assert_eq!(apply(json!("abc"), &json!([["replace", [], 3]])).unwrap(), 3);
        let got = apply(json!({"a": [1, 2, 3], "b": 1}), &json!([["delete", ["a", 0], null], ["delete", ["b"], null]])).unwrap();
        assert_eq!(got, json!({"a": [2, 3]}));
    }

    #[test]
    fn broken_edits_are_errors_not_panics() {
        for d in [
            json!("nope"),
            json!([["append", [5], "x"]]),
            json!([["delete", [0], null]]),
            json!([["frobnicate", [], 1]]),
            json!([["append", [], 1]]),
            json!([["add", ["x", "y"], 1]]),
            json!([["add", [-1], 1]]),
            json!([["replace", [-1], 1]]),
            json!([[1, 2]]),
        ] {
            assert!(apply(json!([]), &d).is_err(), "{d}");
        }
    }

    #[test]
    fn diff_then_apply_round_trips() {
        let cases = [
            (json!("what the "), json!("what the heck")),
            (json!("abc"), json!("xyz")),
            (json!([1, 2, 3, 4]), json!([1, 5])),
            (json!([1]), json!([1, [2, 3], {"k": "v"}])),
            (json!({"a": "x", "b": [1, 2], "c": 1}), json!({"a": "xy", "b": [2], "d": null})),
            (json!([[{"role": "assistant", "content": "he"}]]), json!([[{"role": "assistant", "content": "hello"}, {"role": "user", "content": "x"}]])),
            (json!(null), json!("s")),
        ];
        for (old, new) in cases {
            let d = diff(&old, &new);
            assert_eq!(apply(old.clone(), &d).unwrap(), new, "{old} → {new} by {d}");
        }
        assert_eq!(diff(&json!("ab"), &json!("abc")), json!([["append", [], "c"]]));
        assert_eq!(diff(&json!(1), &json!(1)), json!([]));
    }
}
