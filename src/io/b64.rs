//! Standard base64 (RFC 4648, with padding) for bytes carried inside JSON messages, such as a
//! model file between the page and the worker: a third of the size of a JSON number array.
//! Use it on a field with `#[serde(with = "crate::io::b64")]`. The coding itself is the
//! `base64` crate's; this module fixes the variant and adapts it to serde.

use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// The standard alphabet; writes `=` padding, reads text with or without it.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes `bytes` as base64 with `=` padding.
pub fn encode(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

/// Decodes base64 with or without padding; fails on any other character.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    ENGINE.decode(text).map_err(|e| format!("not base64: {e}"))
}

/// serde adapter: bytes as one base64 string.
pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

/// serde adapter: one base64 string to bytes.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    decode(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_test_vectors() {
        // RFC 4648 §10.
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).unwrap(), plain.as_bytes());
            // Unpadded text is accepted too.
            assert_eq!(
                decode(coded.trim_end_matches('=')).unwrap(),
                plain.as_bytes()
            );
        }
    }

    #[test]
    fn every_byte_round_trips_and_bad_digits_are_refused() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)).unwrap(), all);
        assert!(decode("ab$d").unwrap_err().contains("base64"));
    }

    #[test]
    fn serde_carries_bytes_as_one_string() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Msg(#[serde(with = "super")] Vec<u8>);
        let json = serde_json::to_string(&Msg(b"foobar".to_vec())).unwrap();
        assert_eq!(json, r#""Zm9vYmFy""#);
        assert_eq!(serde_json::from_str::<Msg>(&json).unwrap().0, b"foobar");
        assert!(serde_json::from_str::<Msg>(r#""Zm9v!""#).is_err());
    }
}
