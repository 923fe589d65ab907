//! Serde adapters for protobuf's JSON mapping (protojson): `int64` as a JSON string or number,
//! `null` as the field's default.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serializer};

/// `i64` written as a JSON string (protojson), read from a string or a number; `null` is 0.
pub(crate) mod int64 {
    use std::fmt;

    use super::*;

    pub(crate) fn serialize<S: Serializer>(value: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    struct Int64;

    impl Visitor<'_> for Int64 {
        type Value = i64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a 64-bit integer as a JSON number or decimal string")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v)
                .map_err(|_| E::custom(format_args!("integer {v} is out of range for int64")))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            // protojson accepts a number in exponent notation when its value is integral.
            if v.fract() == 0.0 && v >= -(2f64.powi(63)) && v < 2f64.powi(63) {
                #[allow(clippy::cast_possible_truncation)]
                Ok(v as i64)
            } else {
                Err(E::custom(format_args!(
                    "number {v} is not a 64-bit integer"
                )))
            }
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            let digits = v.strip_prefix('-').unwrap_or(v);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(E::custom(format_args!(
                    "{v:?} is not a decimal 64-bit integer"
                )));
            }
            v.parse()
                .map_err(|_| E::custom(format_args!("{v:?} is out of range for int64")))
        }

        fn visit_unit<E: de::Error>(self) -> Result<i64, E> {
            Ok(0)
        }

        fn visit_none<E: de::Error>(self) -> Result<i64, E> {
            Ok(0)
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(Int64)
    }
}

/// A string where JSON `null` means the empty string.
pub(crate) mod string {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
    }
}

/// A list where JSON `null` means empty.
pub(crate) mod list {
    use super::*;

    pub(crate) fn deserialize<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
    }
}

/// Serializes a JSON value with every object's keys sorted bytewise, whatever order the map
/// keeps (serde_json's `preserve_order` feature may be on anywhere in a build).
pub(crate) struct Sorted<'a>(pub(crate) &'a serde_json::Value);

impl serde::Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq as _;
        use serde_json::Value;
        match self.0 {
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            Value::Object(map) => serialize_sorted(map, s),
            other => other.serialize(s),
        }
    }
}

/// A JSON object with its keys in byte order, values through [`Sorted`].
fn serialize_sorted<S: Serializer>(
    map: &serde_json::Map<String, serde_json::Value>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap as _;
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = s.serialize_map(Some(entries.len()))?;
    for (key, item) in entries {
        out.serialize_entry(key, &Sorted(item))?;
    }
    out.end()
}

/// Serde adapter: an optional JSON object serialized with sorted keys.
pub(crate) mod sorted_map {
    use serde_json::{Map, Value};

    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        map: &Option<Map<String, Value>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match map {
            Some(map) => serialize_sorted(map, s),
            None => s.serialize_none(),
        }
    }
}
