//! Shape-tolerant serde readers for kubernetes/website's hand-edited YAML (`schedule.yaml`,
//! `eol.yaml`): a field of the wrong shape degrades to "absent" instead of failing the file,
//! and a value is read as its source text so that `release: 1.30` stays `1.30`.
//!
//! **Why `deserialize_str` for `release`.** A plain scalar `1.30` is a float to YAML, and
//! `deserialize_any` (or `serde_yaml_ng::Value`) turns it into `1.3`. With `deserialize_str`
//! serde_yaml_ng hands the visitor the scalar's text unresolved. Other fields use
//! `deserialize_any`, lossless for dates and free text, so that a list or mapping where a
//! scalar belongs degrades to `None`.

use std::{fmt, marker::PhantomData};

use serde::de::{
    self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
    value::MapAccessDeserializer,
};

/// The arms of a visitor for every shape it does not want: each yields `$value`.
macro_rules! other_shapes_give {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A mapping deserialized as `T`; any other shape is `None`.
#[derive(Debug)]
pub(super) struct Lenient<T>(pub(super) Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lenient<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Lenient(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Lenient<T>, A::Error> {
                drain_seq(seq).map(|()| Lenient(None))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Lenient<T>, D2::Error> {
                d.deserialize_any(self)
            }
            other_shapes_give!(Lenient(None));
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// A list of mappings: each element `Some(T)`, or `None` when it is not a mapping (kept, so
/// that the file can be judged); the whole is `None` when the value is not a list.
#[derive(Debug)]
pub(super) struct LenientList<T>(pub(super) Option<Vec<Option<T>>>);

impl<T> Default for LenientList<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T> LenientList<T> {
    /// The well-shaped elements; an absent or malformed list is empty.
    pub(super) fn items(self) -> Vec<T> {
        self.0.into_iter().flatten().flatten().collect()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LenientList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LenientList<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LenientList<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Lenient<T>>()? {
                    out.push(item.0);
                }
                Ok(LenientList(Some(out)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientList<T>, A::Error> {
                drain_map(map).map(|()| LenientList(None))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<LenientList<T>, D2::Error> {
                d.deserialize_any(self)
            }
            other_shapes_give!(LenientList(None));
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// Any scalar as text (lossy for `1.30`: use [`ReleaseText`] there); null, lists and mappings
/// are `None`.
#[derive(Debug, Default)]
pub(super) struct AnyText(pub(super) Option<String>);

/// Turns any scalar into its text; lists and mappings become `None`.
struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| None)
    }
}

impl<'de> Deserialize<'de> for AnyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor).map(AnyText)
    }
}

/// A `release` value as its source text (`1.30` stays `"1.30"`); null is `None`. A list or
/// mapping here fails the file's text-preserving pass (see `schedule::parse_schedule`).
#[derive(Debug, Default)]
pub(super) struct ReleaseText(pub(super) Option<String>);

impl<'de> Deserialize<'de> for ReleaseText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = Option<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_str(TextVisitor)
            }
        }
        deserializer.deserialize_option(Opt).map(ReleaseText)
    }
}
