//! Personal data: e-mail addresses, phone numbers (Chinese mobiles with or
//! without +86, international numbers with a leading +, and 3-3-4 numbers
//! with separators), and Chinese resident ID-card numbers (18 characters,
//! ISO 7064 MOD 11-2 check digit verified, so random digit strings pass).
//! Findings are reasons for review, not for blocking.

use crate::{Finding, Severity};

/// Every piece of personal data in `text`.
pub fn find(text: &str) -> Vec<Finding> {
    let mut out = emails(text);
    let numbers: Vec<Finding> =
        numbers(text).into_iter().filter(|n| !out.iter().any(|e| n.start < e.end && e.start < n.end)).collect();
    out.extend(numbers);
    out.sort_by_key(|f| f.start);
    out
}

fn email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

fn email_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

fn emails(text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at].char_indices().rev().take_while(|(_, c)| email_local(*c)).last().map(|(i, _)| i);
        let domain_len = text[at + 1..].chars().take_while(|c| email_domain(*c)).map(char::len_utf8).sum::<usize>();
        let domain = text[at + 1..at + 1 + domain_len].trim_end_matches(['.', '-']);
        let tld_ok = domain.rsplit_once('.').is_some_and(|(host, tld)| {
            !host.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
        });
        if let (Some(start), true) = (start, tld_ok) {
            out.push(Finding { code: "pii.email", severity: Severity::Medium, start, end: at + 1 + domain.len() });
        }
    }
    out
}

/// ISO 7064 MOD 11-2 check of an 18-character Chinese ID number.
fn id_card_ok(chars: &[u8]) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    if chars.len() != 18 || !chars[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = chars[..17].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK[(sum % 11) as usize] == chars[17].to_ascii_uppercase()
}

/// Runs of digits with single separators (space, '-', '.', parentheses), an
/// optional leading '+' and a trailing X (ID cards), classified.
fn numbers(text: &str) -> Vec<Finding> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let plus = b[i] == b'+' && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !(b[i].is_ascii_digit() || plus) || (i > 0 && (b[i - 1].is_ascii_alphanumeric())) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + usize::from(plus);
        let mut digits = Vec::new();
        let mut separated = false;
        while end < b.len() {
            match b[end] {
                d if d.is_ascii_digit() => digits.push(d),
                b'X' | b'x' if digits.len() == 17 => {
                    digits.push(b'X');
                    end += 1;
                    break;
                }
                b' ' | b'-' | b'.' | b'(' | b')' if b.get(end + 1).is_some_and(|n| n.is_ascii_digit() || *n == b'(') => {
                    separated = true
                }
                _ => break,
            }
            end += 1;
        }
        let glued = end < b.len() && b[end].is_ascii_alphanumeric();
        let national = match digits.as_slice() {
            [b'8', b'6', rest @ ..] if rest.len() == 11 => rest,
            all => all,
        };
        let code = if glued {
            None
        } else if id_card_ok(&digits) {
            Some("pii.id-card")
        } else if national.len() == 11 && national[0] == b'1' && (b'3'..=b'9').contains(&national[1]) {
            Some("pii.phone")
        } else if plus && (8..=15).contains(&digits.len()) {
            Some("pii.phone")
        } else if separated && digits.len() == 10 {
            Some("pii.phone")
        } else {
            None
        };
        if let Some(code) = code {
            out.push(Finding { code, severity: Severity::Medium, start, end });
        }
        i = end.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&'static str, &str)> {
        find(text).into_iter().map(|f| (f.code, &text[f.start..f.end])).collect()
    }

    #[test]
    fn true_positives() {
        assert_eq!(found("mail alice.smith+x@example.co.uk now"), [("pii.email", "alice.smith+x@example.co.uk")]);
        assert_eq!(found("电话13812345678谢谢"), [("pii.phone", "13812345678")]);
        assert_eq!(found("call +86 138 1234 5678"), [("pii.phone", "+86 138 1234 5678")]);
        assert_eq!(found("call +1 415-555-0100."), [("pii.phone", "+1 415-555-0100")]);
        assert_eq!(found("ring 415 555 0100"), [("pii.phone", "415 555 0100")]);
        assert_eq!(found("身份证 11010519491231002X"), [("pii.id-card", "11010519491231002X")]);
    }

    #[test]
    fn false_positives_stay_clean() {
        for clean in [
            "a cat . a coffee mug",
            "threshold 0.35, 40000000 pixels",
            "version 1.2.3",
            "110105194912310021",   // wrong check digit
            "order 23812345678",    // not a mobile prefix
            "user@localhost",       // no top-level domain
            "price 1234567890",     // 10 digits without separators
            "model abc13812345678", // glued to letters
        ] {
            assert!(found(clean).is_empty(), "{clean}: {:?}", found(clean));
        }
    }
}
