//! GS1 identifiers for containers: the GRAI (Global Returnable Asset Identifier, AI 8003),
//! its element string, its GS1 Digital Link URI and its EPC URI.
//!
//! A GRAI is `0`, the company prefix and the asset type (12 digits together), a GS1 mod-10
//! check digit, then a serial of up to 16 characters. Boucle gives each container type an
//! asset type number and uses the container's short code (8 characters, with its own check
//! character) as the serial, so the GRAI and the code printed on the label name the same jar.

use super::code::{CodeError, ShortCode};

/// Digits of the company prefix and the asset type together.
const PREFIX_AND_TYPE: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gs1Error {
    #[error("a GS1 company prefix has 4 to 11 digits, not {0:?}")]
    Prefix(String),
    #[error("asset type {number} does not fit the {width} digits left by the company prefix")]
    AssetType { number: u64, width: usize },
    #[error("a GRAI (AI 8003) has 14 digits then a serial, not {0:?}")]
    Shape(String),
    #[error("the GRAI's check digit is {found}, it should be {expected}: a digit was misread")]
    Check { found: char, expected: char },
    #[error("the GRAI is of company prefix {0}, not this loop's")]
    OtherCompany(String),
    #[error("the GRAI's serial is not a container code: {0}")]
    Serial(CodeError),
}

/// The GS1 mod-10 check digit of `digits` (weights 3 and 1 from the right), as used by GTIN,
/// GRAI, SSCC and the other GS1 keys.
pub fn check_digit(digits: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in digits.chars().rev().enumerate() {
        let d = c.to_digit(10)?;
        sum += if i % 2 == 0 { 3 * d } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// A loop's GS1 company prefix, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyPrefix(String);

impl CompanyPrefix {
    pub fn parse(text: &str) -> Result<CompanyPrefix, Gs1Error> {
        let t = text.trim();
        if (4..PREFIX_AND_TYPE).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit()) {
            Ok(CompanyPrefix(t.to_owned()))
        } else {
            Err(Gs1Error::Prefix(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn asset_width(&self) -> usize {
        PREFIX_AND_TYPE - self.0.len()
    }
}

/// A container's GRAI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grai {
    pub company_prefix: String,
    /// Zero-padded to the width the company prefix leaves.
    pub asset_type: String,
    pub serial: String,
}

impl Grai {
    pub fn new(
        prefix: &CompanyPrefix,
        asset_type: u64,
        code: &ShortCode,
    ) -> Result<Grai, Gs1Error> {
        let width = prefix.asset_width();
        let text = format!("{asset_type:0width$}");
        if text.len() != width {
            return Err(Gs1Error::AssetType {
                number: asset_type,
                width,
            });
        }
        Ok(Grai {
            company_prefix: prefix.0.clone(),
            asset_type: text,
            serial: code.display("").replace('-', ""),
        })
    }

    /// The value of AI 8003: `0`, prefix, asset type, check digit, serial.
    pub fn value(&self) -> String {
        let body = format!("0{}{}", self.company_prefix, self.asset_type);
        let check = check_digit(&body).unwrap_or(0);
        format!("{body}{check}{}", self.serial)
    }

    /// The element string as printed under a barcode: `(8003)0...`.
    pub fn element_string(&self) -> String {
        format!("(8003){}", self.value())
    }

    /// The GS1 Digital Link URI on the loop's own domain.
    pub fn digital_link(&self, base_url: &str) -> String {
        format!("{base_url}/8003/{}", self.value())
    }

    /// The EPC URI (EPC Tag Data Standard), e.g. `urn:epc:id:grai:0614141.12345.400`.
    pub fn epc_uri(&self) -> String {
        format!(
            "urn:epc:id:grai:{}.{}.{}",
            self.company_prefix, self.asset_type, self.serial
        )
    }

    pub fn asset_type_number(&self) -> u64 {
        self.asset_type.parse().unwrap_or(0)
    }

    /// Reads an AI 8003 value of this loop, verifying its check digit and its serial.
    pub fn parse_value(value: &str, prefix: &CompanyPrefix) -> Result<(Grai, ShortCode), Gs1Error> {
        let shape = || Gs1Error::Shape(value.to_owned());
        let digits = value.get(..14).ok_or_else(shape)?;
        if !digits.chars().all(|c| c.is_ascii_digit()) || !digits.starts_with('0') {
            return Err(shape());
        }
        let expected = check_digit(&digits[..13]).ok_or_else(shape)?;
        let found = digits[13..].chars().next().ok_or_else(shape)?;
        if found.to_digit(10) != Some(u32::from(expected)) {
            return Err(Gs1Error::Check {
                found,
                expected: char::from(b'0' + expected),
            });
        }
        if !digits[1..13].starts_with(prefix.as_str()) {
            return Err(Gs1Error::OtherCompany(digits[1..13].to_owned()));
        }
        let serial = &value[14..];
        let code = ShortCode::parse(serial, "").map_err(Gs1Error::Serial)?;
        Ok((
            Grai {
                company_prefix: prefix.0.clone(),
                asset_type: digits[1 + prefix.0.len()..13].to_owned(),
                serial: serial.to_ascii_uppercase(),
            },
            code,
        ))
    }
}

/// The AI 8003 value of an EPC URI `urn:epc:id:grai:{prefix}.{asset type}.{serial}`, with its
/// check digit computed.
pub fn epc_value(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("urn:epc:id:grai:")?;
    let mut parts = rest.splitn(3, '.');
    let (prefix, asset, serial) = (parts.next()?, parts.next()?, parts.next()?);
    let body = format!("0{prefix}{asset}");
    if body.len() != 1 + PREFIX_AND_TYPE {
        return None;
    }
    let check = check_digit(&body)?;
    Some(format!("{body}{check}{serial}"))
}

/// The AI 8003 value in a scanned or typed text, if it is a GRAI: a Digital Link URI
/// (`.../8003/{value}`), an element string (`(8003){value}`), or the raw data of a GS1
/// barcode (`8003{value}`, with or without its symbology identifier such as `]Q3`).
pub fn grai_value(text: &str) -> Option<&str> {
    if let Some(pos) = text.find("/8003/") {
        return text[pos + 6..].split(['/', '?', '#']).next();
    }
    let t = text.trim();
    let t = match t.strip_prefix(']') {
        Some(rest) => rest.get(2..)?,
        None => t,
    };
    t.strip_prefix("(8003)")
        .or_else(|| t.strip_prefix("8003").filter(|rest| rest.len() >= 15))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_gs1_published_examples() {
        // GS1 check digit calculator example: GTIN-13 4006381333931.
        assert_eq!(check_digit("400638133393"), Some(1));
        // EPC Tag Data Standard: GRAI (8003) 0 0614141 12345 2 400.
        assert_eq!(check_digit("0061414112345"), Some(2));
        // GS1 Digital Link standard: https://id.gs1.org/8003/03870585000552987.
        assert_eq!(check_digit("0387058500055"), Some(2));
        assert_eq!(check_digit("12a"), None);
    }

    #[test]
    fn a_grai_reads_as_the_standards_write_it() {
        let prefix = CompanyPrefix::parse("0614141").expect("prefix");
        let code = ShortCode::from_serial(42);
        let g = Grai::new(&prefix, 12345, &code).expect("grai");
        let serial = code.display("").replace('-', "");
        assert_eq!(g.value(), format!("00614141123452{serial}"));
        assert_eq!(g.element_string(), format!("(8003)00614141123452{serial}"));
        assert_eq!(
            g.epc_uri(),
            format!("urn:epc:id:grai:0614141.12345.{serial}")
        );
        assert_eq!(
            g.digital_link("https://b.test"),
            format!("https://b.test/8003/00614141123452{serial}")
        );
        let (back, parsed) = Grai::parse_value(&g.value(), &prefix).expect("round trip");
        assert_eq!(back, g);
        assert_eq!(parsed, code);
    }

    #[test]
    fn every_form_of_a_grai_is_found_and_errors_say_what_is_wrong() {
        let v = "00614141123452ABCD";
        for text in [
            "https://boucle.test/8003/00614141123452ABCD",
            "https://boucle.test/8003/00614141123452ABCD?x=1",
            "(8003)00614141123452ABCD",
            "800300614141123452ABCD",
            "]Q3800300614141123452ABCD",
        ] {
            assert_eq!(grai_value(text), Some(v), "{text}");
        }
        assert_eq!(grai_value("ZW-7K3M-QD9A"), None);
        assert_eq!(
            epc_value("urn:epc:id:grai:0614141.12345.ABCD").as_deref(),
            Some(v)
        );
        assert_eq!(epc_value("urn:epc:id:grai:0614141.123.ABCD"), None);
        let prefix = CompanyPrefix::parse("0614141").expect("prefix");
        assert_eq!(
            Grai::parse_value("00614141123459ABCD", &prefix),
            Err(Gs1Error::Check {
                found: '9',
                expected: '2'
            })
        );
        assert_eq!(
            Grai::parse_value("03870585000552987", &prefix),
            Err(Gs1Error::OtherCompany("387058500055".into()))
        );
        assert!(matches!(
            Grai::parse_value("00614141123452ABCD", &prefix),
            Err(Gs1Error::Serial(_))
        ));
        assert_eq!(
            CompanyPrefix::parse("12ab"),
            Err(Gs1Error::Prefix("12ab".into()))
        );
        let code = ShortCode::from_serial(1);
        assert_eq!(
            Grai::new(&prefix, 123_456, &code),
            Err(Gs1Error::AssetType {
                number: 123_456,
                width: 5
            })
        );
    }
}
