//! SMS encoding (GSM-7 / UCS-2) and segment counting.
//!
//! Counts follow the contract: GSM-7 septets (extension characters cost an
//! escape plus the character) or, as soon as one character falls outside
//! GSM-7, UTF-16 code units. Segment limits are 160/153 septets and 70/67
//! code units; the smaller multi-part figures leave room for the 6-octet
//! concatenation header every part carries.
//!
//! Where the standard and carriers disagree we follow Twilio's
//! message-segment-calculator, because that is what the shared test cases
//! (`sms_segment_cases.jsonl`) were taken from:
//! - GSM 0x09 is capital `Ç` (as printed in ETSI TS 100 900), not the small
//!   `ç` the Unicode mapping file "corrects" it to; `ç` forces UCS-2.
//! - The escape code 0x1B is never a character of its own, so NBSP (which
//!   the Unicode file maps it to for display) forces UCS-2.
//! - Empty text is one segment: Twilio always opens a first segment, and
//!   a carrier still bills an empty message as one part.

/// The alphabet a message is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    /// The name carriers and Twilio use, for diagnostics.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }

    /// Units that fit in a message sent as a single part.
    pub fn single_limit(self) -> usize {
        match self {
            Encoding::Gsm7 => 160,
            Encoding::Ucs2 => 70,
        }
    }

    /// Units per part once the message is split (the header takes the rest).
    pub fn multi_limit(self) -> usize {
        match self {
            Encoding::Gsm7 => 153,
            Encoding::Ucs2 => 67,
        }
    }
}

/// What one text costs as an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsAnalysis {
    pub encoding: Encoding,
    /// septets for GSM-7, UTF-16 code units for UCS-2
    pub units: usize,
    pub segments: usize,
    /// first char that forces UCS-2, with its byte offset in the input text
    pub forced_by: Option<(char, usize)>,
}

/// GSM 03.38 default alphabet as (code, char). 0x1B is absent: it is the
/// escape into the extension table, not a character.
// Kept six to a row so the table reads like the standard's.
#[rustfmt::skip]
pub const GSM7_BASIC: [(u8, char); 127] = [
    (0x00, '@'), (0x01, '£'), (0x02, '$'), (0x03, '¥'), (0x04, 'è'), (0x05, 'é'),
    (0x06, 'ù'), (0x07, 'ì'), (0x08, 'ò'), (0x09, 'Ç'), (0x0A, '\n'), (0x0B, 'Ø'),
    (0x0C, 'ø'), (0x0D, '\r'), (0x0E, 'Å'), (0x0F, 'å'), (0x10, 'Δ'), (0x11, '_'),
    (0x12, 'Φ'), (0x13, 'Γ'), (0x14, 'Λ'), (0x15, 'Ω'), (0x16, 'Π'), (0x17, 'Ψ'),
    (0x18, 'Σ'), (0x19, 'Θ'), (0x1A, 'Ξ'), (0x1C, 'Æ'), (0x1D, 'æ'), (0x1E, 'ß'),
    (0x1F, 'É'), (0x20, ' '), (0x21, '!'), (0x22, '"'), (0x23, '#'), (0x24, '¤'),
    (0x25, '%'), (0x26, '&'), (0x27, '\''), (0x28, '('), (0x29, ')'), (0x2A, '*'),
    (0x2B, '+'), (0x2C, ','), (0x2D, '-'), (0x2E, '.'), (0x2F, '/'), (0x30, '0'),
    (0x31, '1'), (0x32, '2'), (0x33, '3'), (0x34, '4'), (0x35, '5'), (0x36, '6'),
    (0x37, '7'), (0x38, '8'), (0x39, '9'), (0x3A, ':'), (0x3B, ';'), (0x3C, '<'),
    (0x3D, '='), (0x3E, '>'), (0x3F, '?'), (0x40, '¡'), (0x41, 'A'), (0x42, 'B'),
    (0x43, 'C'), (0x44, 'D'), (0x45, 'E'), (0x46, 'F'), (0x47, 'G'), (0x48, 'H'),
    (0x49, 'I'), (0x4A, 'J'), (0x4B, 'K'), (0x4C, 'L'), (0x4D, 'M'), (0x4E, 'N'),
    (0x4F, 'O'), (0x50, 'P'), (0x51, 'Q'), (0x52, 'R'), (0x53, 'S'), (0x54, 'T'),
    (0x55, 'U'), (0x56, 'V'), (0x57, 'W'), (0x58, 'X'), (0x59, 'Y'), (0x5A, 'Z'),
    (0x5B, 'Ä'), (0x5C, 'Ö'), (0x5D, 'Ñ'), (0x5E, 'Ü'), (0x5F, '§'), (0x60, '¿'),
    (0x61, 'a'), (0x62, 'b'), (0x63, 'c'), (0x64, 'd'), (0x65, 'e'), (0x66, 'f'),
    (0x67, 'g'), (0x68, 'h'), (0x69, 'i'), (0x6A, 'j'), (0x6B, 'k'), (0x6C, 'l'),
    (0x6D, 'm'), (0x6E, 'n'), (0x6F, 'o'), (0x70, 'p'), (0x71, 'q'), (0x72, 'r'),
    (0x73, 's'), (0x74, 't'), (0x75, 'u'), (0x76, 'v'), (0x77, 'w'), (0x78, 'x'),
    (0x79, 'y'), (0x7A, 'z'), (0x7B, 'ä'), (0x7C, 'ö'), (0x7D, 'ñ'), (0x7E, 'ü'),
    (0x7F, 'à'),
];

/// GSM 03.38 extension table as (code after the 0x1B escape, char).
pub const GSM7_EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// True if `c` can be sent in GSM-7 (basic or extension table).
pub fn is_gsm7(c: char) -> bool {
    gsm7_septets(c).is_some()
}

/// Septets `c` costs in GSM-7: 1 for the basic table, 2 for the extension
/// table (escape + code), `None` if it is not GSM-7 at all.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if GSM7_BASIC.iter().any(|&(_, b)| b == c) {
        Some(1)
    } else if GSM7_EXTENSION.iter().any(|&(_, e)| e == c) {
        Some(2)
    } else {
        None
    }
}

/// Encoding, size and segment count of `text` as it would be sent.
pub fn analyze(text: &str) -> SmsAnalysis {
    let forced_by = text.char_indices().find(|&(_, c)| !is_gsm7(c));
    let encoding = if forced_by.is_some() {
        Encoding::Ucs2
    } else {
        Encoding::Gsm7
    };
    let costs: Vec<usize> = text.chars().map(|c| char_units(c, encoding)).collect();
    SmsAnalysis {
        encoding,
        units: costs.iter().sum(),
        segments: count_segments(&costs, encoding),
        forced_by: forced_by.map(|(offset, c)| (c, offset)),
    }
}

fn char_units(c: char, encoding: Encoding) -> usize {
    match encoding {
        // `analyze` only picks GSM-7 when every char is in the tables.
        Encoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    }
}

/// Packs characters into parts without splitting one: an escape and its
/// character, or the two halves of a surrogate pair, must arrive in the
/// same part or the receiver cannot decode them, so a character that does
/// not fit whole moves to the next part.
fn count_segments(costs: &[usize], encoding: Encoding) -> usize {
    if costs.iter().sum::<usize>() <= encoding.single_limit() {
        return 1;
    }
    let limit = encoding.multi_limit();
    let (mut segments, mut used) = (1, 0);
    for &cost in costs {
        if used + cost > limit {
            segments += 1;
            used = 0;
        }
        used += cost;
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_gsm_text_costs_one_septet_per_char() {
        let a = analyze("Hello @ £5 Ø à");
        assert_eq!(a.encoding, Encoding::Gsm7);
        assert_eq!(a.units, 14);
        assert_eq!(a.segments, 1);
        assert_eq!(a.forced_by, None);
    }

    #[test]
    fn extension_char_costs_two_septets() {
        assert_eq!(gsm7_septets('€'), Some(2));
        let a = analyze("10€");
        assert_eq!(a.encoding, Encoding::Gsm7);
        assert_eq!(a.units, 4);
    }

    #[test]
    fn gsm_boundary_160_161() {
        assert_eq!(analyze(&"a".repeat(160)).segments, 1);
        let a = analyze(&"a".repeat(161));
        assert_eq!((a.units, a.segments), (161, 2));
        assert_eq!(analyze(&"a".repeat(306)).segments, 2);
        assert_eq!(analyze(&"a".repeat(307)).segments, 3);
    }

    #[test]
    fn extension_pair_is_not_split_across_segments() {
        // 152 septets then `€` would straddle 153: it moves, so 3 parts
        // even though 152 + 2 + 152 = 306 septets fit 2 × 153.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        let a = analyze(&text);
        assert_eq!((a.units, a.segments), (306, 3));
    }

    #[test]
    fn ucs2_names_the_forcing_char_and_its_byte_offset() {
        let a = analyze("Olá, ça va? привет");
        assert_eq!(a.encoding, Encoding::Ucs2);
        // `á` is not GSM-7 and is the first such char; `à` is, `ç` is not.
        assert_eq!(a.forced_by, Some(('á', 2)));
        assert_eq!(analyze("€ ça").forced_by, Some(('ç', 4)));
        assert_eq!(analyze("Ça").forced_by, None);
    }

    #[test]
    fn nbsp_forces_ucs2() {
        assert!(!is_gsm7('\u{A0}'));
        assert_eq!(analyze("a\u{A0}b").forced_by, Some(('\u{A0}', 1)));
    }

    #[test]
    fn emoji_surrogate_pairs_at_70_67_boundary() {
        let a = analyze(&"😀".repeat(35));
        assert_eq!((a.encoding, a.units, a.segments), (Encoding::Ucs2, 70, 1));
        assert_eq!(analyze(&format!("{}a", "😀".repeat(35))).segments, 2);
        // 66 units then a pair would straddle 67: the pair moves.
        let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(66));
        let a = analyze(&text);
        assert_eq!((a.units, a.segments), (134, 3));
        // Same size without the straddle fits in two parts.
        assert_eq!(analyze(&"ж".repeat(134)).segments, 2);
    }

    #[test]
    fn empty_text_is_one_segment() {
        let a = analyze("");
        assert_eq!((a.encoding, a.units, a.segments), (Encoding::Gsm7, 0, 1));
    }
}
