//! A serde `Deserializer` wrapper that expands `${VAR}` in every string
//! value as the YAML parser hands it over.
//!
//! Expanding after parsing keeps the document's shape whatever a variable
//! holds, and since the wrapped parser still reads the file as written, its
//! errors keep their line and column. Numbers and booleans may come from a
//! variable too (`ssh_port: ${PORT}`): for those fields a reference is
//! expanded and then read as the number or boolean. Mapping keys are never
//! expanded.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

use super::env::{MissingVar, expand_value};

/// Looks a variable up: the environment, or a map in tests.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// How `${VAR}`s are resolved, and the first one that could not be.
pub struct Expansion<'a> {
    /// `None` keeps references as written (for re-serialising a config
    /// without ever writing a secret into the file).
    lookup: Option<Lookup<'a>>,
    missing: RefCell<Option<MissingVar>>,
}

impl<'a> Expansion<'a> {
    pub fn new(lookup: Lookup<'a>) -> Self {
        Self {
            lookup: Some(lookup),
            missing: RefCell::new(None),
        }
    }

    /// References stay as written.
    pub fn keep() -> Self {
        Self {
            lookup: None,
            missing: RefCell::new(None),
        }
    }

    /// The variable that stopped the last parse, if one did.
    pub fn missing(&self) -> Option<MissingVar> {
        self.missing.borrow().clone()
    }

    /// `Ok(None)` when `v` has nothing to expand.
    fn expand<E: de::Error>(&self, v: &str) -> Result<Option<String>, E> {
        let Some(lookup) = self.lookup else {
            return Ok(None);
        };
        match expand_value(v, lookup) {
            Ok(std::borrow::Cow::Borrowed(_)) => Ok(None),
            Ok(std::borrow::Cow::Owned(s)) => Ok(Some(s)),
            Err(m) => {
                let message = format!("environment variable {} is not set", m.name);
                *self.missing.borrow_mut() = Some(m);
                Err(E::custom(message))
            }
        }
    }
}

/// Wraps a deserializer so the values it yields are expanded.
pub struct Expanding<'c, 'a, D> {
    pub de: D,
    pub ctx: &'c Expansion<'a>,
}

/// What a field wants, so an expanded value can be read as that type.
#[derive(Clone, Copy)]
enum Target {
    Text,
    Bool,
    Signed,
    Unsigned,
    Float,
}

struct ExpandVisitor<'c, 'a, V> {
    inner: V,
    ctx: &'c Expansion<'a>,
    target: Target,
}

macro_rules! forward_text {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.de.$method(ExpandVisitor { inner: visitor, ctx: self.ctx, target: Target::Text })
        }
    )*};
}

macro_rules! typed_via_any {
    ($($method:ident => $target:expr,)*) => {$(
        // The YAML parser rejects `${PORT}` for a number before any visitor
        // sees it, so typed fields are read as "anything" and converted.
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.de.deserialize_any(ExpandVisitor { inner: visitor, ctx: self.ctx, target: $target })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Expanding<'_, '_, D> {
    type Error = D::Error;

    forward_text! {
        deserialize_any deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_option deserialize_unit
        deserialize_seq deserialize_map deserialize_identifier
    }

    typed_via_any! {
        deserialize_bool => Target::Bool,
        deserialize_i8 => Target::Signed,
        deserialize_i16 => Target::Signed,
        deserialize_i32 => Target::Signed,
        deserialize_i64 => Target::Signed,
        deserialize_i128 => Target::Signed,
        deserialize_u8 => Target::Unsigned,
        deserialize_u16 => Target::Unsigned,
        deserialize_u32 => Target::Unsigned,
        deserialize_u64 => Target::Unsigned,
        deserialize_u128 => Target::Unsigned,
        deserialize_f32 => Target::Float,
        deserialize_f64 => Target::Float,
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de
            .deserialize_unit_struct(name, ExpandVisitor::text(visitor, self.ctx))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de
            .deserialize_newtype_struct(name, ExpandVisitor::text(visitor, self.ctx))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de
            .deserialize_tuple(len, ExpandVisitor::text(visitor, self.ctx))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de
            .deserialize_tuple_struct(name, len, ExpandVisitor::text(visitor, self.ctx))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de
            .deserialize_struct(name, fields, ExpandVisitor::text(visitor, self.ctx))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de
            .deserialize_enum(name, variants, ExpandVisitor::text(visitor, self.ctx))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

impl<'c, 'a, V> ExpandVisitor<'c, 'a, V> {
    fn text(inner: V, ctx: &'c Expansion<'a>) -> Self {
        Self {
            inner,
            ctx,
            target: Target::Text,
        }
    }
}

impl<'de, V: Visitor<'de>> ExpandVisitor<'_, '_, V> {
    /// Hands an expanded value to the inner visitor as the type it wants.
    fn visit_expanded<E: de::Error>(self, value: String) -> Result<V::Value, E> {
        let wrong = |what: &str| {
            E::custom(format!(
                "the environment variable in this value does not give {what}"
            ))
        };
        match self.target {
            Target::Text => self.inner.visit_string(value),
            Target::Bool => match value.trim() {
                "true" => self.inner.visit_bool(true),
                "false" => self.inner.visit_bool(false),
                _ => Err(wrong("true or false")),
            },
            Target::Signed => match value.trim().parse::<i64>() {
                Ok(n) => self.inner.visit_i64(n),
                Err(_) => Err(wrong("a whole number")),
            },
            Target::Unsigned => match value.trim().parse::<u64>() {
                Ok(n) => self.inner.visit_u64(n),
                Err(_) => Err(wrong("a whole number")),
            },
            Target::Float => match value.trim().parse::<f64>() {
                Ok(n) => self.inner.visit_f64(n),
                Err(_) => Err(wrong("a number")),
            },
        }
    }
}

macro_rules! forward_visit {
    ($($method:ident: $ty:ty,)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for ExpandVisitor<'_, '_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool: bool,
        visit_i8: i8, visit_i16: i16, visit_i32: i32, visit_i64: i64, visit_i128: i128,
        visit_u8: u8, visit_u16: u16, visit_u32: u32, visit_u64: u64, visit_u128: u128,
        visit_f32: f32, visit_f64: f64, visit_char: char,
        visit_bytes: &[u8], visit_borrowed_bytes: &'de [u8], visit_byte_buf: Vec<u8>,
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        match self.ctx.expand(v)? {
            Some(expanded) => self.visit_expanded(expanded),
            None => self.inner.visit_str(v),
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        match self.ctx.expand(v)? {
            Some(expanded) => self.visit_expanded(expanded),
            None => self.inner.visit_borrowed_str(v),
        }
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        match self.ctx.expand(&v)? {
            Some(expanded) => self.visit_expanded(expanded),
            None => self.inner.visit_string(v),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D2: Deserializer<'de>>(self, de: D2) -> Result<V::Value, D2::Error> {
        self.inner.visit_some(Expanding { de, ctx: self.ctx })
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, de: D2) -> Result<V::Value, D2::Error> {
        self.inner
            .visit_newtype_struct(Expanding { de, ctx: self.ctx })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(ExpandingAccess {
            access: seq,
            ctx: self.ctx,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(ExpandingAccess {
            access: map,
            ctx: self.ctx,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(ExpandingAccess {
            access: data,
            ctx: self.ctx,
        })
    }
}

/// A seed whose deserializer expands.
struct ExpandingSeed<'c, 'a, S> {
    seed: S,
    ctx: &'c Expansion<'a>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for ExpandingSeed<'_, '_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Expanding { de, ctx: self.ctx })
    }
}

/// Sequence, map, enum and variant access whose values expand.
struct ExpandingAccess<'c, 'a, A> {
    access: A,
    ctx: &'c Expansion<'a>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for ExpandingAccess<'_, '_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.access.next_element_seed(ExpandingSeed {
            seed,
            ctx: self.ctx,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.access.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for ExpandingAccess<'_, '_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        // Keys are the document's shape: never expanded.
        self.access.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.access.next_value_seed(ExpandingSeed {
            seed,
            ctx: self.ctx,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.access.size_hint()
    }
}

impl<'de, 'c, 'a, A: EnumAccess<'de>> EnumAccess<'de> for ExpandingAccess<'c, 'a, A> {
    type Error = A::Error;
    type Variant = ExpandingAccess<'c, 'a, A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let ctx = self.ctx;
        let (value, variant) = self.access.variant_seed(ExpandingSeed { seed, ctx })?;
        Ok((
            value,
            ExpandingAccess {
                access: variant,
                ctx,
            },
        ))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for ExpandingAccess<'_, '_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.access.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.access.newtype_variant_seed(ExpandingSeed {
            seed,
            ctx: self.ctx,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.access
            .tuple_variant(len, ExpandVisitor::text(visitor, self.ctx))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.access
            .struct_variant(fields, ExpandVisitor::text(visitor, self.ctx))
    }
}
