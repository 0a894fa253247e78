//! Splits rule text into tokens.

use chrono::NaiveDate;

use crate::rules::span::Span;

/// A token and its span.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) span: Span,
}

/// Token kinds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Integer(i64),
    Number(f64),
    /// A quoted text literal, escapes resolved.
    Text(String),
    Date(NaiveDate),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    DotDot,
    Plus,
    Minus,
    Star,
    Slash,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

/// A lexing failure: what was expected, what was found, where.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LexError {
    pub(crate) expected: String,
    pub(crate) found: String,
    pub(crate) span: Span,
}

/// The tokens of `text`, ending with [`Tok::Eof`]. Numbers keep their exact text in
/// `raw` so money literals stay exact.
pub(crate) fn tokenize(text: &str) -> Result<Vec<(Token, String)>, LexError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(&b) = bytes.get(pos) else { break };
        if b.is_ascii_whitespace() {
            pos += 1;
            continue;
        }
        let start = pos;
        let simple = |kind: Tok, len: usize| {
            (
                Token {
                    kind,
                    span: Span::new(start, start + len),
                },
                String::new(),
            )
        };
        let next = bytes.get(pos + 1).copied();
        let token = match b {
            b'(' => simple(Tok::LParen, 1),
            b')' => simple(Tok::RParen, 1),
            b'[' => simple(Tok::LBracket, 1),
            b']' => simple(Tok::RBracket, 1),
            b',' => simple(Tok::Comma, 1),
            b'+' => simple(Tok::Plus, 1),
            b'-' => simple(Tok::Minus, 1),
            b'*' => simple(Tok::Star, 1),
            b'/' => simple(Tok::Slash, 1),
            b'.' if next == Some(b'.') => simple(Tok::DotDot, 2),
            b'=' if next == Some(b'=') => simple(Tok::EqEq, 2),
            b'=' => simple(Tok::EqEq, 1),
            b'!' if next == Some(b'=') => simple(Tok::Ne, 2),
            b'<' if next == Some(b'=') => simple(Tok::Le, 2),
            b'<' if next == Some(b'>') => simple(Tok::Ne, 2),
            b'<' => simple(Tok::Lt, 1),
            b'>' if next == Some(b'=') => simple(Tok::Ge, 2),
            b'>' => simple(Tok::Gt, 1),
            b'"' | b'\'' => lex_text(text, start, b)?,
            b'0'..=b'9' => lex_number(text, start)?,
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let end = scan(bytes, start, |c| c.is_ascii_alphanumeric() || c == b'_');
                let word = text.get(start..end).unwrap_or_default().to_owned();
                (
                    Token {
                        kind: Tok::Ident(word),
                        span: Span::new(start, end),
                    },
                    String::new(),
                )
            }
            _ => {
                let c = text
                    .get(start..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('?');
                return Err(LexError {
                    expected: "an expression".to_owned(),
                    found: format!("`{c}`"),
                    span: Span::new(start, start + c.len_utf8()),
                });
            }
        };
        pos = token.0.span.end;
        tokens.push(token);
    }
    tokens.push((
        Token {
            kind: Tok::Eof,
            span: Span::new(text.len(), text.len()),
        },
        String::new(),
    ));
    Ok(tokens)
}

fn scan(bytes: &[u8], start: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut end = start;
    while bytes.get(end).is_some_and(|&c| pred(c)) {
        end += 1;
    }
    end
}

fn lex_text(text: &str, start: usize, quote: u8) -> Result<(Token, String), LexError> {
    let mut out = String::new();
    let mut chars = text.get(start + 1..).unwrap_or_default().char_indices();
    while let Some((i, c)) = chars.next() {
        let at = start + 1 + i;
        match c {
            c if c as u32 == u32::from(quote) => {
                return Ok((
                    Token {
                        kind: Tok::Text(out),
                        span: Span::new(start, at + 1),
                    },
                    String::new(),
                ))
            }
            '\\' => {
                let escaped = match chars.next() {
                    Some((_, 'n')) => '\n',
                    Some((_, 't')) => '\t',
                    Some((_, 'r')) => '\r',
                    Some((_, c @ ('"' | '\'' | '\\'))) => c,
                    Some((j, c)) => {
                        let end = start + 1 + j + c.len_utf8();
                        return Err(LexError {
                            expected: "an escape (`\\\"`, `\\'`, `\\\\`, `\\n`, `\\t` or `\\r`)"
                                .to_owned(),
                            found: format!("`\\{c}`"),
                            span: Span::new(at, end),
                        });
                    }
                    None => break,
                };
                out.push(escaped);
            }
            c => out.push(c),
        }
    }
    Err(LexError {
        expected: format!("a closing `{}`", quote as char),
        found: "the end of the text".to_owned(),
        span: Span::new(start, text.len()),
    })
}

fn lex_number(text: &str, start: usize) -> Result<(Token, String), LexError> {
    let bytes = text.as_bytes();
    let digits_end = scan(bytes, start, |c| c.is_ascii_digit());
    // A date: four digits, `-`, two digits, `-`, two digits.
    if digits_end - start == 4
        && bytes.get(digits_end) == Some(&b'-')
        && bytes.get(digits_end + 1).is_some_and(u8::is_ascii_digit)
    {
        let end = start + 10;
        let candidate = text.get(start..end).unwrap_or_default();
        let shaped = candidate.len() == 10
            && candidate.bytes().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            })
            && !bytes.get(end).is_some_and(u8::is_ascii_alphanumeric);
        if shaped {
            return match NaiveDate::parse_from_str(candidate, "%Y-%m-%d") {
                Ok(date) => Ok((
                    Token {
                        kind: Tok::Date(date),
                        span: Span::new(start, end),
                    },
                    String::new(),
                )),
                Err(_) => Err(LexError {
                    expected: "a valid calendar date".to_owned(),
                    found: format!("`{candidate}`"),
                    span: Span::new(start, end),
                }),
            };
        }
    }
    let mut end = digits_end;
    let mut is_float = false;
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        is_float = true;
        end = scan(bytes, end + 1, |c| c.is_ascii_digit());
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exp = end + 1;
        if matches!(bytes.get(exp), Some(b'+' | b'-')) {
            exp += 1;
        }
        if bytes.get(exp).is_some_and(u8::is_ascii_digit) {
            is_float = true;
            end = scan(bytes, exp, |c| c.is_ascii_digit());
        }
    }
    let raw = text.get(start..end).unwrap_or_default();
    let span = Span::new(start, end);
    if bytes
        .get(end)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    {
        let word_end = scan(bytes, end, |c| c.is_ascii_alphanumeric() || c == b'_');
        return Err(LexError {
            expected: "a space between a number and a name".to_owned(),
            found: format!("`{}`", text.get(start..word_end).unwrap_or_default()),
            span: Span::new(start, word_end),
        });
    }
    let out_of_range = || LexError {
        expected: "a number within range".to_owned(),
        found: format!("`{raw}`"),
        span,
    };
    let kind = if is_float {
        let value: f64 = raw.parse().map_err(|_| out_of_range())?;
        if !value.is_finite() {
            return Err(out_of_range());
        }
        Tok::Number(value)
    } else {
        // Parsed as u64 first so that `-9223372036854775808` can be negated by the parser.
        let value: u64 = raw.parse().map_err(|_| out_of_range())?;
        if value > 1u64 << 63 {
            return Err(out_of_range());
        }
        Tok::Integer(value as i64)
    };
    Ok((Token { kind, span }, raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Tok> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|(t, _)| t.kind)
            .collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("a<=1..2.5"),
            vec![
                Tok::Ident("a".into()),
                Tok::Le,
                Tok::Integer(1),
                Tok::DotDot,
                Tok::Number(2.5),
                Tok::Eof
            ]
        );
        assert_eq!(
            kinds("2024-02-29 'x\\'y'"),
            vec![
                Tok::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
                Tok::Text("x'y".into()),
                Tok::Eof
            ]
        );
        assert_eq!(kinds("1e3"), vec![Tok::Number(1000.0), Tok::Eof]);
    }

    #[test]
    fn errors() {
        assert_eq!(
            tokenize("2024-02-30").unwrap_err().expected,
            "a valid calendar date"
        );
        assert_eq!(tokenize("\"abc").unwrap_err().found, "the end of the text");
        assert_eq!(tokenize("a # b").unwrap_err().found, "`#`");
        assert_eq!(
            tokenize("99999999999999999999").unwrap_err().expected,
            "a number within range"
        );
    }
}
