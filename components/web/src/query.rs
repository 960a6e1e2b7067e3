//! `application/x-www-form-urlencoded` query strings.

use std::collections::BTreeMap;

pub type Query = BTreeMap<String, String>;

/// `a=1&b=x%20y` → {a: "1", b: "x y"}; the first value of a repeated key wins.
pub fn parse(q: &str) -> Query {
    let mut out = Query::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(decode(k)).or_insert_with(|| decode(v));
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII hex digits");
                out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs() {
        let q = parse("prompt=a%20cat+.+%E7%8C%AB&threshold=0.5&x&prompt=ignored&bad=%zz%4");
        assert_eq!(q["prompt"], "a cat . 猫");
        assert_eq!(q["threshold"], "0.5");
        assert_eq!(q["x"], "");
        assert_eq!(q["bad"], "%zz%4");
    }
}
