//! Short codes: what a person reads off a label, e.g. `BC-7K3M-QD9A`.
//!
//! Seven Crockford base32 characters carry a 35-bit serial, scrambled; the eighth is a Damm
//! check character over GF(32), which catches every single wrong character and every swap of
//! two neighbours. New serials are drawn at random (`db::containers`), so a code tells
//! nothing of the others: the scrambling alone, whose constants are here for anyone to read,
//! would not hide a counter.

use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DATA_CHARS: usize = 7;
/// Serials are below 2^35, the span of seven base32 characters.
pub const SERIAL_LIMIT: u64 = 1 << 35;
const MASK: u64 = SERIAL_LIMIT - 1;
// An odd multiplier is a bijection modulo 2^35; the xor keeps serial 1 from looking small.
const SCRAMBLE_MUL: u64 = 0x5_DEEC_E66D;
const SCRAMBLE_XOR: u64 = 0x3_A5C3_6B1D;

/// A container's short code, stored and shown as `{prefix}` plus two groups of four, e.g. `ZW-7K3M-QD9A`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShortCode {
    body: [u8; 8],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("the code is empty")]
    Empty,
    #[error("a code has 8 characters after its prefix, this one has {0}")]
    Length(usize),
    #[error("'{0}' is not a character used in codes")]
    Character(char),
    #[error("the check character does not match: a character was misread or two were swapped")]
    Check,
}

impl ShortCode {
    pub fn from_serial(serial: u64) -> ShortCode {
        let mut value = ((serial & MASK).wrapping_mul(SCRAMBLE_MUL) & MASK) ^ SCRAMBLE_XOR;
        let mut body = [0u8; 8];
        for slot in body[..DATA_CHARS].iter_mut().rev() {
            *slot = (value & 31) as u8;
            value >>= 5;
        }
        body[DATA_CHARS] = check_digit(&body[..DATA_CHARS]);
        ShortCode { body }
    }

    /// Reads a code as a person or a scanner gives it: any case, with or without the
    /// prefix, dashes or spaces, Crockford's look-alikes (O for 0, I and L for 1) accepted.
    pub fn parse(input: &str, prefix: &str) -> Result<ShortCode, CodeError> {
        let cleaned: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if cleaned.is_empty() {
            return Err(CodeError::Empty);
        }
        let prefix = prefix.to_ascii_uppercase().replace('-', "");
        // A body of eight characters is taken as it is, even when it starts like the prefix.
        let body_text = match cleaned.strip_prefix(&prefix) {
            Some(rest) if !prefix.is_empty() && cleaned.len() != 8 => rest,
            _ => cleaned.as_str(),
        };
        let count = body_text.chars().count();
        if count != 8 {
            return Err(CodeError::Length(count));
        }
        let mut body = [0u8; 8];
        for (slot, c) in body.iter_mut().zip(body_text.chars()) {
            *slot = symbol_value(c).ok_or(CodeError::Character(c))?;
        }
        if check_digit(&body[..DATA_CHARS]) != body[DATA_CHARS] {
            return Err(CodeError::Check);
        }
        Ok(ShortCode { body })
    }

    pub fn serial(&self) -> u64 {
        let value = self.body[..DATA_CHARS]
            .iter()
            .fold(0u64, |acc, &d| (acc << 5) | u64::from(d));
        ((value ^ SCRAMBLE_XOR) & MASK).wrapping_mul(inverse_mul()) & MASK
    }

    pub fn display(&self, prefix: &str) -> String {
        let chars: String = self
            .body
            .iter()
            .map(|&d| ALPHABET[d as usize] as char)
            .collect();
        if prefix.is_empty() {
            format!("{}-{}", &chars[..4], &chars[4..])
        } else {
            format!("{prefix}-{}-{}", &chars[..4], &chars[4..])
        }
    }
}

impl fmt::Display for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(""))
    }
}

/// Why a scanned or typed text names no container.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error(transparent)]
    Gs1(#[from] super::gs1::Gs1Error),
    #[error("it is a GS1 GRAI, but this loop has no GS1 company prefix (GS1_COMPANY_PREFIX)")]
    NoGs1,
}

/// A code as read: the short code, and the asset type a GRAI named (to be checked against the
/// container's type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub code: ShortCode,
    pub asset_type: Option<u64>,
}

/// Reads a code however it reaches the service: typed, as the container's URL that a hand
/// scanner types from the QR code (`https://.../c/BC-7K3M-QD9A`), or, when the loop has a GS1
/// company prefix, as a GRAI (Digital Link URI, element string or raw barcode data).
pub fn parse_any(
    input: &str,
    prefix: &str,
    gs1: Option<&super::gs1::CompanyPrefix>,
) -> Result<Parsed, ParseError> {
    let decoded = percent_encoding::percent_decode_str(input.trim()).decode_utf8_lossy();
    let text = decoded.as_ref();
    let from_epc = super::gs1::epc_value(text);
    if let Some(value) = from_epc.as_deref().or_else(|| super::gs1::grai_value(text)) {
        let company = gs1.ok_or(ParseError::NoGs1)?;
        let (grai, code) = super::gs1::Grai::parse_value(value, company)?;
        return Ok(Parsed {
            code,
            asset_type: Some(grai.asset_type_number()),
        });
    }
    let text = match text.rfind("/c/") {
        Some(pos) => text[pos + 3..].split(['?', '#', '/']).next().unwrap_or(""),
        None => text,
    };
    Ok(Parsed {
        code: ShortCode::parse(text, prefix)?,
        asset_type: None,
    })
}

fn symbol_value(c: char) -> Option<u8> {
    let c = match c {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u8)
}

/// Multiplication by x in GF(32) modulo the primitive polynomial x^5 + x^2 + 1.
fn times_x(v: u8) -> u8 {
    let shifted = v << 1;
    if shifted & 0x20 != 0 {
        shifted ^ 0x25
    } else {
        shifted
    }
}

/// Damm's algorithm over the quasigroup a∘b = x·a + b of GF(32), which is totally
/// anti-symmetric because x ≠ 1: the check is the digit that brings the fold back to 0.
fn check_digit(digits: &[u8]) -> u8 {
    let interim = digits.iter().fold(0u8, |acc, &d| times_x(acc) ^ d);
    times_x(interim)
}

/// The inverse of the scrambling multiplier modulo 2^35 (Newton's iteration).
fn inverse_mul() -> u64 {
    let mut inv: u64 = 1;
    for _ in 0..6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(SCRAMBLE_MUL.wrapping_mul(inv)));
    }
    inv & MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_round_trips_through_the_code() {
        for serial in [0u64, 1, 2, 41, 1_000_000, SERIAL_LIMIT - 1] {
            let code = ShortCode::from_serial(serial);
            let text = code.display("ZW");
            let back = ShortCode::parse(&text, "ZW").expect("own code parses");
            assert_eq!(back.serial(), serial, "{text}");
        }
    }

    #[test]
    fn code_has_the_printed_shape() {
        let text = ShortCode::from_serial(7).display("ZW");
        assert_eq!(text.len(), "ZW-7K3M-QD9A".len());
        assert!(text.starts_with("ZW-"));
        assert_eq!(&text[7..8], "-");
    }

    #[test]
    fn neighbouring_serials_do_not_look_alike() {
        let a = ShortCode::from_serial(1).to_string();
        let b = ShortCode::from_serial(2).to_string();
        let same = a.chars().zip(b.chars()).filter(|(x, y)| x == y).count();
        assert!(same < 6, "{a} and {b}");
    }

    #[test]
    fn typed_forms_are_accepted() {
        let code = ShortCode::from_serial(123_456);
        let text = code.display("ZW");
        let body: String = text[3..].replace('-', "");
        assert_eq!(
            ShortCode::parse(&text.to_lowercase(), "ZW"),
            Ok(code.clone())
        );
        assert_eq!(ShortCode::parse(&body, "ZW"), Ok(code.clone()));
        let spaced = format!("{} {}", &body[..4], &body[4..]);
        assert_eq!(ShortCode::parse(&spaced, "ZW"), Ok(code));
    }

    #[test]
    fn every_single_substitution_is_caught() {
        for serial in [5u64, 99_999, 123_456_789] {
            let text = ShortCode::from_serial(serial).to_string().replace('-', "");
            for pos in 0..8 {
                for &sym in ALPHABET {
                    let mut chars: Vec<char> = text.chars().collect();
                    if chars[pos] == sym as char {
                        continue;
                    }
                    chars[pos] = sym as char;
                    let typo: String = chars.into_iter().collect();
                    assert!(ShortCode::parse(&typo, "").is_err(), "{typo} from {text}");
                }
            }
        }
    }

    #[test]
    fn every_adjacent_swap_is_caught() {
        for serial in 0u64..2_000 {
            let text = ShortCode::from_serial(serial * 7_919)
                .to_string()
                .replace('-', "");
            let chars: Vec<char> = text.chars().collect();
            for pos in 0..7 {
                if chars[pos] == chars[pos + 1] {
                    continue;
                }
                let mut swapped = chars.clone();
                swapped.swap(pos, pos + 1);
                let typo: String = swapped.into_iter().collect();
                assert_eq!(ShortCode::parse(&typo, ""), Err(CodeError::Check), "{typo}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
        ))]

        /// Any serial's code reads back as it, and any one wrong character or swap of two
        /// different neighbours in it is caught.
        #[test]
        fn any_code_round_trips_and_catches_one_typo(
            serial in 0..SERIAL_LIMIT,
            pos in 0usize..8,
            sym in 0usize..32,
        ) {
            let code = ShortCode::from_serial(serial);
            proptest::prop_assert_eq!(ShortCode::parse(&code.display("ZW"), "ZW"), Ok(code.clone()));
            let chars: Vec<char> = code.to_string().replace('-', "").chars().collect();
            let mut typo = chars.clone();
            typo[pos] = ALPHABET[sym] as char;
            if typo != chars {
                let text: String = typo.into_iter().collect();
                proptest::prop_assert!(ShortCode::parse(&text, "").is_err(), "{}", text);
            }
            if pos < 7 && chars[pos] != chars[pos + 1] {
                let mut swapped = chars.clone();
                swapped.swap(pos, pos + 1);
                let text: String = swapped.into_iter().collect();
                proptest::prop_assert_eq!(ShortCode::parse(&text, ""), Err(CodeError::Check));
            }
        }
    }

    #[test]
    fn the_scanned_url_is_understood() {
        let code = ShortCode::from_serial(77);
        let url = format!("https://boucle.example.org/c/{}?src=qr", code.display("ZW"));
        let parsed = parse_any(&url, "ZW", None).map(|p| p.code);
        assert_eq!(parsed, Ok(code));
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        assert_eq!(ShortCode::parse("", "ZW"), Err(CodeError::Empty));
        assert_eq!(ShortCode::parse("ZW-123", "ZW"), Err(CodeError::Length(3)));
        assert_eq!(
            ShortCode::parse("ZW-7K3M-QD9U", "ZW"),
            Err(CodeError::Character('U'))
        );
    }
}
