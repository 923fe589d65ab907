//! Serde plumbing shared by the codecs: JSON objects with known fields plus a map of every
//! other field, without `#[serde(flatten)]` (which buffers the whole object and is several
//! times slower on large documents).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde_json::{Map, Value};

/// An object key or short string, borrowed from the input when it has no escapes.
#[derive(Debug)]
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    pub(crate) fn into_string(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// The body of a wire struct's `visit_map`: each listed key into its field, every other key
/// into `extra`.
macro_rules! read_fields {
    ($map:ident, $out:ident, $( $field:ident = $key:literal ),*) => {
        while let Some(key) = $map.next_key::<$crate::wire::Key<'_>>()? {
            match key.as_str() {
                $( $key => $out.$field = $map.next_value()?, )*
                _ => {
                    let value: serde_json::Value = $map.next_value()?;
                    $out.extra.insert(key.into_string(), value);
                }
            }
        }
    };
}
pub(crate) use read_fields;

/// Declares a wire struct: every listed field is an `Option`, every other key lands in
/// `extra`. Serialization writes the known fields in declaration order, then `extra`. With a
/// lifetime parameter, fields may borrow from the input (`Key<'de>`).
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        $name:ident { $( $field:ident : $ty:ty = $key:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default, Clone)]
        pub(crate) struct $name {
            $( pub(crate) $field: Option<$ty>, )*
            pub(crate) extra: serde_json::Map<String, serde_json::Value>,
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        $crate::wire::read_fields!(map, out, $($field = $key),*);
                        Ok(out)
                    }
                }
                d.deserialize_map(V)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                $( if let Some(v) = &self.$field { m.serialize_entry($key, v)?; } )*
                for (k, v) in &self.extra {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident<'de> { $( $field:ident : $ty:ty = $key:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub(crate) struct $name<'de> {
            $( pub(crate) $field: Option<$ty>, )*
            pub(crate) extra: serde_json::Map<String, serde_json::Value>,
            _input: std::marker::PhantomData<&'de str>,
        }

        impl<'de> serde::Deserialize<'de> for $name<'de> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<'de>(std::marker::PhantomData<&'de str>);
                impl<'de> serde::de::Visitor<'de> for V<'de> {
                    type Value = $name<'de>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name<'de>, A::Error> {
                        let mut out = $name::default();
                        $crate::wire::read_fields!(map, out, $($field = $key),*);
                        Ok(out)
                    }
                }
                d.deserialize_map(V(std::marker::PhantomData))
            }
        }
    };
}

pub(crate) use wire_struct;

/// Declares an output struct that borrows from the model: every listed field is an `Option`
/// written in declaration order when present, then the kept fields.
macro_rules! out_struct {
    (
        $name:ident<$lt:lifetime> { $( $field:ident : $ty:ty = $key:literal ),* $(,)? }
    ) => {
        #[derive(Default)]
        pub(crate) struct $name<$lt> {
            $( pub(crate) $field: Option<$ty>, )*
            pub(crate) extra: Option<std::borrow::Cow<$lt, serde_json::Map<String, serde_json::Value>>>,
        }

        impl serde::Serialize for $name<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                $( if let Some(v) = &self.$field { m.serialize_entry($key, v)?; } )*
                if let Some(extra) = &self.extra {
                    for (k, v) in extra.iter() {
                        m.serialize_entry(k, v)?;
                    }
                }
                m.end()
            }
        }
    };
}

pub(crate) use out_struct;

/// Serializes through `Display` without an intermediate `String`.
pub(crate) struct Displayed<T>(pub(crate) T);

impl<T: std::fmt::Display> serde::Serialize for Displayed<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// The extension fields of `family` for writing (borrowed), without internal markers.
pub(crate) fn extras_for(
    ext: &crate::model::Extensions,
    family: crate::model::FormatFamily,
) -> Option<std::borrow::Cow<'_, Map<String, Value>>> {
    let fields = ext.for_family(family)?;
    if fields.keys().any(|k| k.starts_with('\u{0}')) {
        let owned: Map<String, Value> = fields
            .iter()
            .filter(|(k, _)| !k.starts_with('\u{0}'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        return (!owned.is_empty()).then_some(std::borrow::Cow::Owned(owned));
    }
    Some(std::borrow::Cow::Borrowed(fields))
}
