//! The one settings schema: every run setting with its key, label, help, range and effect,
//! in the order settings are applied. A setting's default is its value in
//! [`TrainConfig::for_dataset`].
//!
//! Everything else derives from [`FIELDS`]: the JSON form of a [`TrainConfig`] (`run.json`'s
//! `"settings"`, model files, the page ↔ worker messages), share links ([`super::link`]), the
//! CLI flags ([`super::cli`]) and the page's controls. Each face uses the same key and the
//! same text for a value, and every external value is checked against the same range before
//! anything is built.

use serde_json::{Number, Value};

use super::choice::DatasetKind;
use super::config::TrainConfig;
use super::text;

mod fields;
#[cfg(test)]
mod tests;

pub use fields::FIELDS;

/// What values a setting takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Range {
    /// One of these keys.
    Choice(&'static [&'static str]),
    /// A finite number in `[min, max]`.
    Float {
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
    },
    /// A whole number in `[min, max]`.
    Int {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
    /// `true` or `false`.
    Bool,
    /// A comma-separated list of whole numbers in `[min, max]`, of length `len`.
    IntList {
        /// Smallest item.
        min: u64,
        /// Largest item.
        max: u64,
        /// Fewest and most items.
        len: (usize, usize),
    },
    /// A comma-separated list of numbers in `[min, max]`, of length `len`.
    FloatList {
        /// Smallest item.
        min: f64,
        /// Largest item.
        max: f64,
        /// Fewest and most items.
        len: (usize, usize),
    },
    /// Points: `;`-separated rows of comma-separated numbers in `[min, max]`, `rows` of them.
    Points {
        /// Smallest coordinate.
        min: f64,
        /// Largest coordinate.
        max: f64,
        /// Fewest and most rows.
        rows: (usize, usize),
    },
    /// Text in its own grammar (the dSprites subset spec), checked by the setting itself.
    Spec,
}

/// When a change of the setting takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// It needs a new model: changing it resets the run.
    Reset,
    /// A scalar of the loss or the optimiser: it acts on the next step, nothing is rebuilt.
    NextStep,
    /// The backend: the worker moves the current model's settings to it (a new model).
    Backend,
    /// The page's pace only.
    Speed,
}

/// One setting.
pub struct Field {
    /// The key: CLI flag (`--key`), link key, JSON key, control id.
    pub key: &'static str,
    /// The label the page shows.
    pub label: &'static str,
    /// One line on what it does (CLI `--help`, the page's help line).
    pub help: &'static str,
    /// The values it takes.
    pub range: Range,
    /// When a change takes effect.
    pub effect: Effect,
    /// Whether the command line has it (the page's pace does not apply there).
    pub cli: bool,
    /// Whether it matters for this configuration (else the page hides its control).
    pub applies: fn(&TrainConfig) -> bool,
    /// Its value, or `None` where the configuration has no such value (a prior parameter
    /// of another prior family).
    get: fn(&TrainConfig) -> Option<Value>,
    /// Sets it from a value already checked against [`Field::range`].
    set: fn(&mut TrainConfig, &Value) -> Result<(), String>,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field").field("key", &self.key).finish()
    }
}

/// A number as a JSON value; a non-finite one stays visible as text, so the range check
/// names it instead of it vanishing.
fn num(v: f64) -> Option<Value> {
    Some(Number::from_f64(v).map_or_else(|| Value::from(text::number(v)), Value::Number))
}

fn int(v: u64) -> Option<Value> {
    Some(Value::from(v))
}

fn key(v: &'static str) -> Option<Value> {
    Some(Value::from(v))
}

fn as_f64(v: &Value) -> Result<f64, String> {
    v.as_f64().ok_or_else(|| format!("{v} is not a number"))
}

fn as_usize(v: &Value) -> Result<usize, String> {
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("{v} is not a whole number"))
}

fn as_str(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| format!("{v} is not text"))
}

fn as_list<T>(v: &Value, item: fn(&Value) -> Result<T, String>) -> Result<Vec<T>, String> {
    v.as_array()
        .ok_or_else(|| format!("{} is not a list", text::clip(&v.to_string(), 40)))?
        .iter()
        .map(item)
        .collect()
}

/// The setting with this key.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

impl Field {
    /// The setting's value in `config` (`None`: this configuration has no such value).
    pub fn value(&self, config: &TrainConfig) -> Option<Value> {
        (self.get)(config)
    }

    /// The value as text (links, CLI, controls), or `None` as for [`Field::value`].
    pub fn text(&self, config: &TrainConfig) -> Option<String> {
        self.value(config).map(|v| value_text(&v))
    }

    /// Checks `value` against the range, then sets it; the message names the setting.
    pub fn set(&self, config: &mut TrainConfig, value: &Value) -> Result<(), String> {
        self.check(value)
            .and_then(|()| (self.set)(config, value))
            .map_err(|e| format!("{}: {e}", self.key))
    }

    /// Parses `text` as this setting's value, checks it and sets it.
    pub fn set_text(&self, config: &mut TrainConfig, text: &str) -> Result<(), String> {
        let value = self.parse(text).map_err(|e| format!("{}: {e}", self.key))?;
        self.set(config, &value)
    }

    /// Parses `text` into a value of this setting's shape (not yet range-checked).
    pub fn parse(&self, t: &str) -> Result<Value, String> {
        let t = t.trim();
        let float = |s: &str| -> Result<Value, String> {
            let v: f64 = s
                .trim()
                .parse()
                .map_err(|_| format!("'{}' is not a number", text::clip(s, 40)))?;
            Number::from_f64(v)
                .map(Value::Number)
                .ok_or_else(|| format!("'{}' is not a finite number", text::clip(s, 40)))
        };
        let whole = |s: &str| -> Result<Value, String> {
            s.trim()
                .parse::<u64>()
                .map(Value::from)
                .map_err(|_| format!("'{}' is not a whole number ≥ 0", text::clip(s, 40)))
        };
        let list = |s: &str, sep: char, item: &dyn Fn(&str) -> Result<Value, String>| {
            s.split(sep)
                .map(item)
                .collect::<Result<Vec<Value>, String>>()
                .map(Value::Array)
        };
        match self.range {
            Range::Choice(_) | Range::Spec => Ok(Value::from(t)),
            Range::Float { .. } => float(t),
            Range::Int { .. } => whole(t),
            Range::Bool => match t {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("'{}' is not true or false", text::clip(t, 40))),
            },
            Range::IntList { .. } => list(t, ',', &whole),
            Range::FloatList { .. } => list(t, ',', &float),
            Range::Points { .. } => list(t, ';', &|row| list(row, ',', &float)),
        }
    }

    /// Checks a value's shape and range; the message says what is allowed.
    pub fn check(&self, v: &Value) -> Result<(), String> {
        let shown = || text::clip(&value_text(v), 40);
        let in_float = |x: &Value, min: f64, max: f64| match x.as_f64() {
            Some(f) if f.is_finite() && (min..=max).contains(&f) => Ok(()),
            _ => Err(format!(
                "{} is out of range [{}, {}]",
                text::clip(&value_text(x), 40),
                text::number(min),
                text::number(max)
            )),
        };
        let in_int = |x: &Value, min: u64, max: u64| match x.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(format!(
                "{} is out of range {min}..={max}",
                text::clip(&value_text(x), 40)
            )),
        };
        let items = |len: (usize, usize)| -> Result<&Vec<Value>, String> {
            let a = v
                .as_array()
                .ok_or_else(|| format!("{} is not a list", shown()))?;
            if !(len.0..=len.1).contains(&a.len()) {
                return Err(format!(
                    "{} items given; {}..={} allowed",
                    a.len(),
                    len.0,
                    len.1
                ));
            }
            Ok(a)
        };
        match self.range {
            Range::Choice(keys) => match v.as_str() {
                Some(s) if keys.contains(&s) => Ok(()),
                _ => Err(format!(
                    "unknown value {} (valid: {})",
                    shown(),
                    keys.join(", ")
                )),
            },
            Range::Spec => v
                .as_str()
                .map(|_| ())
                .ok_or_else(|| format!("{} is not text", shown())),
            Range::Float { min, max } => in_float(v, min, max),
            Range::Int { min, max } => in_int(v, min, max),
            Range::Bool => v
                .as_bool()
                .map(|_| ())
                .ok_or_else(|| format!("{} is not true or false", shown())),
            Range::IntList { min, max, len } => {
                items(len)?.iter().try_for_each(|x| in_int(x, min, max))
            }
            Range::FloatList { min, max, len } => {
                items(len)?.iter().try_for_each(|x| in_float(x, min, max))
            }
            Range::Points { min, max, rows } => items(rows)?.iter().try_for_each(|row| {
                row.as_array()
                    .filter(|r| (1..=32).contains(&r.len()))
                    .ok_or_else(|| format!("{} is not a point of 1..=32 numbers", shown()))?
                    .iter()
                    .try_for_each(|x| in_float(x, min, max))
            }),
        }
    }

    /// The default value for `dataset`, as text (`None`: no such value there).
    pub fn default_text(&self, dataset: DatasetKind) -> Option<String> {
        self.text(&TrainConfig::for_dataset(dataset))
    }
}

/// A value as text: keys and specs as they are, numbers in their shortest exact form, lists
/// comma-separated, points `;`-separated.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_u64() {
            Some(u) => u.to_string(),
            None => text::number(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::Array(items) => {
            let nested = items.iter().any(Value::is_array);
            let sep = if nested { ";" } else { "," };
            items.iter().map(value_text).collect::<Vec<_>>().join(sep)
        }
        other => other.to_string(),
    }
}

/// Checks every setting of `config` against its range (the per-setting half of
/// [`TrainConfig::validate`]).
pub fn check_ranges(config: &TrainConfig) -> Result<(), String> {
    for f in FIELDS {
        if let Some(v) = f.value(config) {
            f.check(&v).map_err(|e| format!("{}: {e}", f.key))?;
        } else if (f.applies)(config) && f.cli {
            // A value every configuration of this kind has is missing: impossible by
            // construction, but say so rather than pass silently.
            return Err(format!("{}: no value", f.key));
        }
    }
    Ok(())
}

/// Builds a configuration from (key, value) pairs: the data set's defaults, then each given
/// setting in schema order. `strict` refuses unknown keys and bad values with a message;
/// otherwise each is skipped and listed. The result is validated as a whole.
pub fn from_values(
    pairs: &[(String, Value)],
    strict: bool,
) -> Result<(TrainConfig, Vec<String>), String> {
    let mut ignored = Vec::new();
    for (k, _) in pairs {
        if field(k).is_none() {
            let msg = format!("{}: unknown setting", text::clip(k, 40));
            if strict {
                return Err(msg);
            }
            ignored.push(msg);
        }
    }
    let mut config = TrainConfig::default();
    for f in FIELDS {
        let mut given = pairs.iter().filter(|(k, _)| k == f.key);
        let Some((_, v)) = given.next() else {
            continue;
        };
        let result = if given.next().is_some() {
            Err(format!("{}: given more than once", f.key))
        } else {
            f.set(&mut config, v)
        };
        if let Err(e) = result {
            if strict {
                return Err(e);
            }
            ignored.push(e);
        }
    }
    config.validate()?;
    Ok((config, ignored))
}

/// The settings of `config` that differ from what [`from_values`] would build without them,
/// in schema order: the data set, model and seed always, then every other setting that is
/// not its default. Decoding these gives `config` back exactly.
pub fn differing(config: &TrainConfig) -> Vec<(&'static Field, Value)> {
    let mut rebuilt = TrainConfig::default();
    let mut out = Vec::new();
    for f in FIELDS {
        let Some(v) = f.value(config) else {
            continue;
        };
        let always_written = matches!(f.key, "dataset" | "model" | "seed");
        if always_written || f.value(&rebuilt).as_ref() != Some(&v) {
            // Setting it on the copy keeps later defaults (e.g. a prior's parameters) in step.
            let _ = f.set(&mut rebuilt, &v);
            out.push((f, v));
        }
    }
    out
}

/// The settings that would need a new model to go from `a` to `b` (their keys): a live change
/// may differ from the current settings only in those that act on the next step.
pub fn reset_changes(a: &TrainConfig, b: &TrainConfig) -> Vec<&'static str> {
    FIELDS
        .iter()
        .filter(|f| f.effect == Effect::Reset && f.value(a) != f.value(b))
        .map(|f| f.key)
        .collect()
}

/// Copies the settings that act on the next step (weights, learning rate, prior) from `from`
/// into `to`, in schema order; the rest of `to` is kept.
pub fn copy_live(from: &TrainConfig, to: &mut TrainConfig) -> Result<(), String> {
    for f in FIELDS.iter().filter(|f| f.effect == Effect::NextStep) {
        if let Some(v) = f.value(from) {
            f.set(to, &v)?;
        }
    }
    Ok(())
}

impl serde::Serialize for TrainConfig {
    /// Every setting the configuration has, `{key: value}` in schema order.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for f in FIELDS {
            if let Some(v) = f.value(self) {
                map.serialize_entry(f.key, &v)?;
            }
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for TrainConfig {
    /// `{key: value}`: missing settings take the data set's defaults; an unknown key, a value
    /// out of range or settings that do not fit together are refused with a message.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, Value>::deserialize(d)?;
        let pairs: Vec<(String, Value)> = map.into_iter().collect();
        from_values(&pairs, true)
            .map(|(c, _)| c)
            .map_err(serde::de::Error::custom)
    }
}
