//! A JSON writer that produces the bytes Go's `encoding/json` produces for the same value.
//!
//! cosign's simple-signing payload is `json.Marshal` output, and verifiers compare signatures over
//! exact bytes, so boltseal writes it the way Go does:
//!
//! - strings: `"` and `\` escaped with a backslash; `\n`, `\r`, `\t`, `\b`, `\f` as short escapes
//!   (Go ≥ 1.22); other control characters, `<`, `>`, `&`, U+2028 and U+2029 as `\u00XX` /
//!   `\u20XX` with lowercase hex; everything else literal UTF-8;
//! - objects (Go maps): keys sorted bytewise;
//! - integers in decimal; floats in the shortest representation that round-trips, in plain
//!   notation when `1e-6 <= |x| < 1e21` and otherwise in exponent notation `1e+21` / `1e-7`.

use serde_json::{Number, Value};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a Go-escaped JSON string literal.
pub(crate) fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            '\u{8}' => Some(b"\\b"),
            '\u{c}' => Some(b"\\f"),
            _ => None,
        };
        let unicode_escape = matches!(
            c,
            '\0'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}'
        );
        if escape.is_none() && !unicode_escape {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + c.len_utf8();
        if let Some(escape) = escape {
            out.extend_from_slice(escape);
        } else {
            let code = u32::from(c);
            out.extend_from_slice(b"\\u");
            for shift in [12, 8, 4, 0] {
                out.push(HEX[((code >> shift) & 0xf) as usize]);
            }
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends a number the way Go formats an `int64`, `uint64` or `float64`.
pub(crate) fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.as_i64() {
        out.extend_from_slice(i.to_string().as_bytes());
    } else if let Some(u) = n.as_u64() {
        out.extend_from_slice(u.to_string().as_bytes());
    } else if let Some(f) = n.as_f64() {
        out.extend_from_slice(go_float(f).as_bytes());
    } else {
        // Arbitrary-precision numbers (a serde_json feature) are written as parsed.
        out.extend_from_slice(n.to_string().as_bytes());
    }
}

/// Go's `strconv.FormatFloat(f, 'f' or 'e', -1, 64)` choice as made by `encoding/json`.
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        // Rust's Display is the shortest round-tripping digits in plain notation.
        return format!("{f}");
    }
    // Rust's LowerExp: shortest digits, exponent without sign or padding (`1e21`, `1e-7`).
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if exponent.starts_with('-') => format!("{mantissa}e{exponent}"),
        Some((mantissa, exponent)) => format!("{mantissa}e+{exponent:0>2}"),
        None => text,
    }
}

/// Appends `value` as Go's `json.Marshal` of the equivalent `interface{}` value.
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(out, map),
    }
}

/// Appends a JSON object with its keys sorted bytewise (Go's map order).
pub(crate) fn write_object(out: &mut Vec<u8>, map: &serde_json::Map<String, Value>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push(b'{');
    for (i, (key, item)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(out, key);
        out.push(b':');
        write_value(out, item);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &str) -> String {
        let mut out = Vec::new();
        write_string(&mut out, s);
        String::from_utf8(out).unwrap_or_default()
    }

    fn value(v: &Value) -> String {
        let mut out = Vec::new();
        write_value(&mut out, v);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn strings_are_escaped_like_go() {
        assert_eq!(string("a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(string("\u{2028}\u{2029}"), r#""\u2028\u2029""#);
        assert_eq!(string("\"\\\n\r\t\u{8}\u{c}"), r#""\"\\\n\r\t\b\f""#);
        assert_eq!(string("\u{0}\u{1f}\u{7f}é"), "\"\\u0000\\u001f\u{7f}é\"");
    }

    #[test]
    fn numbers_are_formatted_like_go() {
        let cases = [
            (serde_json::json!(1_795_760_167), "1795760167"),
            (serde_json::json!(-3), "-3"),
            (serde_json::json!(u64::MAX), "18446744073709551615"),
            (serde_json::json!(1.0), "1"),
            (serde_json::json!(1.5), "1.5"),
            (serde_json::json!(1e20), "100000000000000000000"),
            (serde_json::json!(1e21), "1e+21"),
            (serde_json::json!(1.5e300), "1.5e+300"),
            (serde_json::json!(0.000001), "0.000001"),
            (serde_json::json!(0.0000001), "1e-7"),
            (serde_json::json!(-2.5e-10), "-2.5e-10"),
            (serde_json::json!(0.0), "0"),
        ];
        for (v, want) in cases {
            assert_eq!(value(&v), want, "{v:?}");
        }
    }

    #[test]
    fn objects_sort_keys() {
        let v = serde_json::json!({"b": [true, null], "a": {"z": 1, "y": "x"}});
        assert_eq!(value(&v), r#"{"a":{"y":"x","z":1},"b":[true,null]}"#);
    }
}
