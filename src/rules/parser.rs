//! Parses rule text into the syntax tree ([`Expr`], [`UnaryTests`]).
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! expr     = and ("or" and)*
//! and      = not ("and" not)*
//! not      = "not" not | compare
//! compare  = sum (cmp sum | "not"? "in" sum | "between" sum "and" sum
//!                 | "is" "not"? "missing")?
//! sum      = product (("+" | "-") product)*
//! product  = unary (("*" | "/") unary)*
//! unary    = "-" unary | primary
//! primary  = literal | name | name "(" args ")" | "(" expr ")" | "[" args "]"
//! literal  = integer | number | integer|number CURRENCY | integer ("day"|"days")
//!          | "true" | "false" | "text" | 'text' | YYYY-MM-DD
//! cell     = "-" | tests | "not" "(" tests ")"
//! tests    = test ("," test)*
//! test     = cmp sum | ("[" | "(" | "]") sum ".." sum ("]" | ")" | "[") | "is" "not"? "missing" | sum
//! ```

use rust_decimal::Decimal;

use crate::money::{Currency, Money};
use crate::rules::ast::{ArithOp, CmpOp, Expr, ExprKind, UnaryTest, UnaryTests};
use crate::rules::error::{Origin, RuleError, RuleErrorKind};
use crate::rules::lexer::{tokenize, Tok, Token};
use crate::rules::schema::KEYWORDS;
use crate::rules::span::Span;

/// The deepest nesting a rule may have (parentheses, operators, calls).
pub const MAX_DEPTH: usize = 32;
/// The largest number of syntax-tree nodes in one expression or cell.
pub const MAX_NODES: usize = 10_000;
/// The longest text of one expression or cell, in bytes.
pub const MAX_TEXT: usize = 65_536;

/// A syntax error with its span.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SyntaxError {
    pub(crate) kind: RuleErrorKind,
    pub(crate) span: Span,
}

struct Parser {
    tokens: Vec<(Token, String)>,
    pos: usize,
    depth: usize,
    nodes: usize,
}

/// Parses an expression.
pub(crate) fn parse_expr(text: &str) -> Result<Expr, SyntaxError> {
    let mut parser = Parser::new(text)?;
    let expr = parser.expr()?;
    parser.expect_end("an operator or the end of the expression")?;
    Ok(expr)
}

/// Parses the content of a decision-table input cell.
pub(crate) fn parse_cell_text(text: &str) -> Result<UnaryTests, SyntaxError> {
    let mut parser = Parser::new(text)?;
    let tests = parser.cell()?;
    parser.expect_end("`,` or the end of the cell")?;
    Ok(tests)
}

impl Parser {
    fn new(text: &str) -> Result<Parser, SyntaxError> {
        if text.len() > MAX_TEXT {
            return Err(SyntaxError {
                kind: RuleErrorKind::TooLarge {
                    what: "the text".to_owned(),
                    unit: "bytes".to_owned(),
                    limit: MAX_TEXT,
                    found: text.len(),
                },
                span: Span::new(0, 0),
            });
        }
        let tokens = tokenize(text).map_err(|e| SyntaxError {
            kind: RuleErrorKind::Syntax {
                expected: e.expected,
                found: e.found,
            },
            span: e.span,
        })?;
        Ok(Parser {
            tokens,
            pos: 0,
            depth: 0,
            nodes: 0,
        })
    }

    fn peek(&self) -> &Tok {
        self.tokens
            .get(self.pos)
            .map_or(&Tok::Eof, |(t, _)| &t.kind)
    }

    fn peek_at(&self, offset: usize) -> &Tok {
        self.tokens
            .get(self.pos + offset)
            .map_or(&Tok::Eof, |(t, _)| &t.kind)
    }

    fn span(&self) -> Span {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .map_or(Span::default(), |(t, _)| t.span)
    }

    fn prev_span(&self) -> Span {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(Span::default(), |(t, _)| t.span)
    }

    fn bump(&mut self) -> (Tok, Span, String) {
        let (token, raw) = self.tokens.get(self.pos).cloned().unwrap_or_else(|| {
            (
                Token {
                    kind: Tok::Eof,
                    span: Span::default(),
                },
                String::new(),
            )
        });
        if token.kind != Tok::Eof {
            self.pos += 1;
        }
        (token.kind, token.span, raw)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w == word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.is_word(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn error(&self, expected: &str) -> SyntaxError {
        let mut found = describe(self.peek());
        if let Tok::Ident(word) = self.peek() {
            let lower = word.to_ascii_lowercase();
            if lower != *word && KEYWORDS.contains(&lower.as_str()) {
                found = format!("{found} (keywords are lowercase: write `{lower}`)");
            }
        }
        SyntaxError {
            kind: RuleErrorKind::Syntax {
                expected: expected.to_owned(),
                found,
            },
            span: self.span(),
        }
    }

    fn expect(&mut self, tok: &Tok, expected: &str) -> Result<Span, SyntaxError> {
        if self.eat(tok) {
            Ok(self.prev_span())
        } else {
            Err(self.error(expected))
        }
    }

    fn expect_end(&self, expected: &str) -> Result<(), SyntaxError> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn node(&mut self, kind: ExprKind, span: Span) -> Result<Expr, SyntaxError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(SyntaxError {
                kind: RuleErrorKind::TooLarge {
                    what: "the expression".to_owned(),
                    unit: "nodes".to_owned(),
                    limit: MAX_NODES,
                    found: self.nodes,
                },
                span,
            });
        }
        Ok(Expr::spanned(kind, span))
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError {
                kind: RuleErrorKind::TooDeep { limit: MAX_DEPTH },
                span: self.span(),
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        let first = self.and()?;
        let result = if self.is_word("or") {
            let mut items = vec![first];
            while self.eat_word("or") {
                items.push(self.and()?);
            }
            let span = span_of(&items);
            self.node(ExprKind::Or(items), span)
        } else {
            Ok(first)
        };
        self.leave();
        result
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let first = self.not()?;
        if !self.is_word("and") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_word("and") {
            items.push(self.not()?);
        }
        let span = span_of(&items);
        self.node(ExprKind::And(items), span)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if self.is_word("not") {
            let start = self.span();
            self.pos += 1;
            self.enter()?;
            let inner = self.not();
            self.leave();
            let inner = inner?;
            let span = start.to(inner.span);
            return self.node(ExprKind::Not(Box::new(inner)), span);
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, SyntaxError> {
        let left = self.sum()?;
        let op = match self.peek() {
            Tok::EqEq => Some(CmpOp::Eq),
            Tok::Ne => Some(CmpOp::Ne),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Le => Some(CmpOp::Le),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let right = self.sum()?;
            let span = left.span.to(right.span);
            return self.node(
                ExprKind::Compare {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            );
        }
        let negated_in =
            self.is_word("not") && matches!(self.peek_at(1), Tok::Ident(w) if w == "in");
        if negated_in || self.is_word("in") {
            self.pos += if negated_in { 2 } else { 1 };
            let set = self.sum()?;
            let span = left.span.to(set.span);
            return self.node(
                ExprKind::In {
                    value: Box::new(left),
                    set: Box::new(set),
                    negated: negated_in,
                },
                span,
            );
        }
        if self.eat_word("between") {
            let low = self.sum()?;
            if !self.eat_word("and") {
                return Err(self.error("`and` between the bounds of `between`"));
            }
            let high = self.sum()?;
            let span = left.span.to(high.span);
            return self.node(
                ExprKind::Between {
                    value: Box::new(left),
                    low: Box::new(low),
                    high: Box::new(high),
                },
                span,
            );
        }
        if self.eat_word("is") {
            let negated = self.eat_word("not");
            if !self.eat_word("missing") {
                return Err(self.error(if negated {
                    "`missing` after `is not`"
                } else {
                    "`missing` or `not missing` after `is`"
                }));
            }
            let span = left.span.to(self.prev_span());
            return self.node(
                ExprKind::IsMissing {
                    value: Box::new(left),
                    negated,
                },
                span,
            );
        }
        Ok(left)
    }

    fn sum(&mut self) -> Result<Expr, SyntaxError> {
        self.arith_level(Parser::product, |tok| match tok {
            Tok::Plus => Some(ArithOp::Add),
            Tok::Minus => Some(ArithOp::Sub),
            _ => None,
        })
    }

    fn product(&mut self) -> Result<Expr, SyntaxError> {
        self.arith_level(Parser::unary, |tok| match tok {
            Tok::Star => Some(ArithOp::Mul),
            Tok::Slash => Some(ArithOp::Div),
            _ => None,
        })
    }

    /// One precedence level of arithmetic: `operand (op operand)*`, nested to the left.
    /// Each operator adds a level of nesting to the tree; the levels are left again
    /// whatever the outcome.
    fn arith_level(
        &mut self,
        operand: fn(&mut Parser) -> Result<Expr, SyntaxError>,
        op_of: fn(&Tok) -> Option<ArithOp>,
    ) -> Result<Expr, SyntaxError> {
        let mut chain = 0;
        let result = self.arith_chain(operand, op_of, &mut chain);
        for _ in 0..chain {
            self.leave();
        }
        result
    }

    fn arith_chain(
        &mut self,
        operand: fn(&mut Parser) -> Result<Expr, SyntaxError>,
        op_of: fn(&Tok) -> Option<ArithOp>,
        chain: &mut usize,
    ) -> Result<Expr, SyntaxError> {
        let mut left = operand(self)?;
        while let Some(op) = op_of(self.peek()) {
            self.pos += 1;
            *chain += 1;
            self.enter()?;
            let right = operand(self)?;
            let span = left.span.to(right.span);
            left = self.node(
                ExprKind::Arith {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            )?;
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if *self.peek() != Tok::Minus {
            return self.primary();
        }
        let start = self.span();
        self.pos += 1;
        if matches!(self.peek(), Tok::Integer(_) | Tok::Number(_)) {
            let literal = self.number(true)?;
            let span = start.to(literal.span);
            return Ok(Expr::spanned(literal.kind, span));
        }
        self.enter()?;
        let inner = self.unary();
        self.leave();
        let inner = inner?;
        let span = start.to(inner.span);
        self.node(ExprKind::Neg(Box::new(inner)), span)
    }

    /// A number literal, with its optional currency or `days` suffix; `negative` when a
    /// `-` came just before it.
    fn number(&mut self, negative: bool) -> Result<Expr, SyntaxError> {
        let (tok, span, raw) = self.bump();
        let kind = match tok {
            Tok::Integer(v) => {
                let value = if negative { v.wrapping_neg() } else { v };
                if !negative && value < 0 {
                    return Err(SyntaxError {
                        kind: RuleErrorKind::Syntax {
                            expected: "a number within range".to_owned(),
                            found: format!("`{raw}`"),
                        },
                        span,
                    });
                }
                ExprKind::Integer(value)
            }
            Tok::Number(v) => ExprKind::Number(if negative { -v } else { v }),
            _ => return Err(self.error("a number")),
        };
        // Suffixes: a currency code makes money, `day`/`days` a duration.
        if let Tok::Ident(word) = self.peek().clone() {
            if word == "days" || word == "day" {
                let ExprKind::Integer(days) = kind else {
                    return Err(SyntaxError {
                        kind: RuleErrorKind::Syntax {
                            expected: "a whole number of days".to_owned(),
                            found: format!("`{raw} {word}`"),
                        },
                        span: span.to(self.span()),
                    });
                };
                let end = self.span();
                self.pos += 1;
                return self.node(ExprKind::Days(days), span.to(end));
            }
            let keyword = KEYWORDS.contains(&word.to_ascii_lowercase().as_str());
            if word.len() == 3 && word.bytes().all(|b| b.is_ascii_uppercase()) && !keyword {
                let end = self.span();
                let Ok(currency) = Currency::try_new(&word) else {
                    return Err(SyntaxError {
                        kind: RuleErrorKind::Syntax {
                            expected: "an ISO 4217 currency code such as `CNY`".to_owned(),
                            found: format!("`{word}`"),
                        },
                        span: end,
                    });
                };
                let Ok(mut amount) = Decimal::from_str_exact(&raw) else {
                    return Err(SyntaxError {
                        kind: RuleErrorKind::Syntax {
                            expected: "an amount with at most 28 decimal places".to_owned(),
                            found: format!("`{raw}`"),
                        },
                        span,
                    });
                };
                if negative {
                    amount.set_sign_negative(true);
                }
                self.pos += 1;
                return self.node(ExprKind::Money(Money::new(amount, currency)), span.to(end));
            }
        }
        self.node(kind, span)
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.span();
        match self.peek().clone() {
            Tok::Integer(_) | Tok::Number(_) => self.number(false),
            Tok::Text(text) => {
                self.pos += 1;
                self.node(ExprKind::Text(text), start)
            }
            Tok::Date(date) => {
                self.pos += 1;
                self.node(ExprKind::Date(date), start)
            }
            Tok::LParen => {
                self.pos += 1;
                let inner = self.expr()?;
                self.expect(&Tok::RParen, "`)`")?;
                Ok(inner)
            }
            Tok::LBracket => {
                self.pos += 1;
                self.enter()?;
                let items = self.args(&Tok::RBracket, "`,` or `]`");
                self.leave();
                let items = items?;
                let end = self.prev_span();
                self.node(ExprKind::List(items), start.to(end))
            }
            Tok::Ident(word) => {
                self.pos += 1;
                match word.as_str() {
                    "true" => return self.node(ExprKind::Bool(true), start),
                    "false" => return self.node(ExprKind::Bool(false), start),
                    "and" | "or" | "not" | "in" | "between" | "is" | "missing" | "day" | "days" => {
                        self.pos -= 1;
                        return Err(self.error("a value, a field or `(`"));
                    }
                    _ => {}
                }
                if self.eat(&Tok::LParen) {
                    self.enter()?;
                    let args = self.args(&Tok::RParen, "`,` or `)`");
                    self.leave();
                    let args = args?;
                    let end = self.prev_span();
                    return self.node(
                        ExprKind::Call {
                            function: word,
                            args,
                        },
                        start.to(end),
                    );
                }
                self.node(ExprKind::Name(word), start)
            }
            _ => Err(self.error("a value, a field or `(`")),
        }
    }

    /// Comma-separated expressions up to `close` (consumed).
    fn args(&mut self, close: &Tok, expected: &str) -> Result<Vec<Expr>, SyntaxError> {
        let mut items = Vec::new();
        if self.eat(close) {
            return Ok(items);
        }
        loop {
            items.push(self.expr()?);
            if self.eat(close) {
                return Ok(items);
            }
            if !self.eat(&Tok::Comma) {
                return Err(self.error(expected));
            }
        }
    }

    fn cell(&mut self) -> Result<UnaryTests, SyntaxError> {
        if *self.peek() == Tok::Minus && *self.peek_at(1) == Tok::Eof {
            self.pos += 1;
            return Ok(UnaryTests::Any);
        }
        if self.is_word("not") && *self.peek_at(1) == Tok::LParen {
            self.pos += 2;
            let tests = self.tests()?;
            self.expect(&Tok::RParen, "`,` or `)`")?;
            return Ok(UnaryTests::NoneOf(tests));
        }
        Ok(UnaryTests::AnyOf(self.tests()?))
    }

    fn tests(&mut self) -> Result<Vec<UnaryTest>, SyntaxError> {
        let mut tests = vec![self.test()?];
        while self.eat(&Tok::Comma) {
            tests.push(self.test()?);
        }
        Ok(tests)
    }

    fn test(&mut self) -> Result<UnaryTest, SyntaxError> {
        let op = match self.peek() {
            Tok::EqEq => Some(CmpOp::Eq),
            Tok::Ne => Some(CmpOp::Ne),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Le => Some(CmpOp::Le),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let value = self.sum()?;
            return Ok(UnaryTest::Compare { op, value });
        }
        if self.eat_word("is") {
            let negated = self.eat_word("not");
            if !self.eat_word("missing") {
                return Err(self.error("`missing` after `is`"));
            }
            return Ok(UnaryTest::IsMissing { negated });
        }
        let open = match self.peek() {
            Tok::LBracket => Some(true),
            Tok::RBracket | Tok::LParen => Some(false),
            _ => None,
        };
        if let Some(low_closed) = open {
            // `(` may also open a parenthesised value: look for `..` at depth 0.
            if *self.peek() != Tok::LParen || self.range_ahead() {
                self.pos += 1;
                let low = self.sum()?;
                self.expect(&Tok::DotDot, "`..` between the bounds of a range")?;
                let high = self.sum()?;
                let high_closed = match self.peek() {
                    Tok::RBracket => true,
                    Tok::RParen | Tok::LBracket => false,
                    _ => return Err(self.error("`]` or `)` closing the range")),
                };
                self.pos += 1;
                return Ok(UnaryTest::Range {
                    low,
                    low_closed,
                    high,
                    high_closed,
                });
            }
        }
        let value = self.sum()?;
        Ok(UnaryTest::Compare {
            op: CmpOp::Eq,
            value,
        })
    }

    /// Whether a `..` follows before the parenthesis opened here closes.
    fn range_ahead(&self) -> bool {
        let mut depth = 0usize;
        for (token, _) in self.tokens.iter().skip(self.pos) {
            match token.kind {
                Tok::LParen | Tok::LBracket => depth += 1,
                Tok::RParen | Tok::RBracket => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return false;
                    }
                }
                Tok::DotDot if depth == 1 => return true,
                Tok::Eof => return false,
                _ => {}
            }
        }
        false
    }
}

fn span_of(items: &[Expr]) -> Span {
    match (items.first(), items.last()) {
        (Some(first), Some(last)) => first.span.to(last.span),
        _ => Span::default(),
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(word) => format!("`{word}`"),
        Tok::Integer(v) => format!("`{v}`"),
        Tok::Number(v) => format!("`{v}`"),
        Tok::Text(text) => format!("{text:?}"),
        Tok::Date(d) => format!("`{d}`"),
        Tok::LParen => "`(`".to_owned(),
        Tok::RParen => "`)`".to_owned(),
        Tok::LBracket => "`[`".to_owned(),
        Tok::RBracket => "`]`".to_owned(),
        Tok::Comma => "`,`".to_owned(),
        Tok::DotDot => "`..`".to_owned(),
        Tok::Plus => "`+`".to_owned(),
        Tok::Minus => "`-`".to_owned(),
        Tok::Star => "`*`".to_owned(),
        Tok::Slash => "`/`".to_owned(),
        Tok::EqEq => "`==`".to_owned(),
        Tok::Ne => "`!=`".to_owned(),
        Tok::Lt => "`<`".to_owned(),
        Tok::Le => "`<=`".to_owned(),
        Tok::Gt => "`>`".to_owned(),
        Tok::Ge => "`>=`".to_owned(),
        Tok::Eof => "the end of the text".to_owned(),
    }
}

/// Parses `text` as the content of a decision-table input cell (DMN unary tests), for
/// the table `name`, without checking it.
///
/// # Errors
///
/// As [`parse`].
///
/// # Example
///
/// ```
/// use patronage::rules::{parse_cell, UnaryTests};
///
/// let cell = parse_cell("segments", "]0..30], 90")?;
/// assert_eq!(cell.to_string(), "(0..30], 90");
/// assert_eq!(parse_cell("segments", "-")?, UnaryTests::Any);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_cell(name: &str, text: &str) -> Result<UnaryTests, RuleError> {
    parse_cell_text(text).map_err(|e| {
        RuleError::new(
            Origin::Table {
                table: name.to_owned(),
                row: None,
                column: None,
            },
            e.kind,
        )
        .at(text, e.span)
    })
}

/// Parses `text` as an expression of the rule `name`, without checking it.
///
/// # Errors
///
/// [`RuleErrorKind::Syntax`](crate::rules::RuleErrorKind::Syntax), [`RuleErrorKind::TooDeep`](crate::rules::RuleErrorKind::TooDeep) or
/// [`RuleErrorKind::TooLarge`](crate::rules::RuleErrorKind::TooLarge), with the span of the offending text.
///
/// # Example
///
/// ```
/// let expr = patronage::rules::parse("vip", "not (vip == diamond)")?;
/// assert_eq!(expr.to_string(), "not vip == diamond");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse(name: &str, text: &str) -> Result<Expr, RuleError> {
    parse_expr(text).map_err(|e| {
        RuleError::new(
            Origin::Rule {
                name: name.to_owned(),
            },
            e.kind,
        )
        .at(text, e.span)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let expr = parse_expr(text).unwrap();
        let printed = expr.to_string();
        assert_eq!(parse_expr(&printed).unwrap(), expr, "{printed}");
        printed
    }

    #[test]
    fn prints_back() {
        assert_eq!(
            round_trip("recency_days <= 30 and frequency >= 2 and monetary_top_share < 0.20"),
            "recency_days <= 30 and frequency >= 2 and monetary_top_share < 0.2"
        );
        assert_eq!(
            round_trip("stage in [new,active]"),
            "stage in [new, active]"
        );
        assert_eq!(
            round_trip("spend between 100 CNY and 500.50 CNY"),
            "spend between 100 CNY and 500.50 CNY"
        );
        assert_eq!(round_trip("not (vip == diamond)"), "not vip == diamond");
        assert_eq!(round_trip("(a and b) and c"), "(a and b) and c");
        assert_eq!(round_trip("a - (b - c) * -2"), "a - (b - c) * -2");
        assert_eq!(round_trip("-(-5)"), "-(-5)");
        assert_eq!(
            round_trip("x is not missing or -y > 3 days"),
            "x is not missing or -y > 3 days"
        );
        assert_eq!(
            round_trip("days_since(last_login) > 28"),
            "days_since(last_login) > 28"
        );
        assert_eq!(
            round_trip("d >= 2024-01-31 - 1 day"),
            "d >= 2024-01-31 - 1 day"
        );
        assert_eq!(round_trip("t == 'a\"b'"), "t == \"a\\\"b\"");
    }

    #[test]
    fn cells() {
        for (text, printed) in [
            ("-", "-"),
            ("<= 30", "<= 30"),
            ("[31..90]", "[31..90]"),
            ("]0..1[", "(0..1)"),
            ("(0..1]", "(0..1]"),
            ("new, active", "new, active"),
            ("not(new, active)", "not(new, active)"),
            ("is missing", "is missing"),
            ("(1 + 2)", "1 + 2"),
        ] {
            let tests = parse_cell_text(text).unwrap();
            assert_eq!(tests.to_string(), printed);
            assert_eq!(parse_cell_text(printed).unwrap(), tests);
        }
    }

    #[test]
    fn limits() {
        let deep = format!("{}x{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(
            parse_expr(&deep).unwrap_err().kind,
            RuleErrorKind::TooDeep { limit: MAX_DEPTH }
        );
        let deep_not = format!("{}x", "not ".repeat(40));
        assert!(parse_expr(&deep_not).is_err());
        let deep_neg = format!("{}x", "-".repeat(40));
        assert!(parse_expr(&deep_neg).is_err());
    }
}
