//! The checker: resolves names against the schema, checks types and currencies,
//! rejects constant conditions, and lowers the syntax tree to the checked form
//! ([`Node`]).

use crate::rules::ast::{ArithOp, CmpOp, Expr, ExprKind};
use crate::rules::error::{Origin, RuleError, RuleErrorKind};
use crate::rules::eval;
use crate::rules::ir::{Function, Node, Ty};
use crate::rules::parser::{self, MAX_DEPTH};
use crate::rules::schema::{closest, Field, FieldId, Record, Schema};
use crate::rules::span::Span;
use crate::rules::value::{ElementType, Type, Value};

pub(crate) struct Checker<'s> {
    schema: &'s Schema,
    text: &'s str,
    origin: Origin,
    depth: usize,
    /// Resolve bare names as symbols before fields (when reading a value's text).
    symbols_first: bool,
}

/// Built-in functions: name, function, minimum and maximum argument count.
const FUNCTIONS: &[(&str, Function, usize, usize)] = &[
    ("abs", Function::Abs, 1, 1),
    ("as_of", Function::AsOf, 0, 0),
    ("coalesce", Function::Coalesce, 2, usize::MAX),
    ("day_of_month", Function::DayOfMonth, 1, 1),
    ("days_since", Function::DaysSince, 1, 1),
    ("days_until", Function::DaysUntil, 1, 1),
    ("len", Function::Len, 1, 1),
    ("max", Function::Max, 2, usize::MAX),
    ("min", Function::Min, 2, usize::MAX),
    ("month", Function::Month, 1, 1),
    ("year", Function::Year, 1, 1),
];

type Checked = Result<(Node, Ty), RuleError>;
type CheckedPair = Result<((Node, Ty), (Node, Ty)), RuleError>;

impl<'s> Checker<'s> {
    pub(crate) fn new(schema: &'s Schema, text: &'s str, origin: Origin) -> Checker<'s> {
        Checker {
            schema,
            text,
            origin,
            depth: 0,
            symbols_first: false,
        }
    }

    pub(crate) fn err(&self, kind: RuleErrorKind, span: Span) -> RuleError {
        let error = RuleError::new(self.origin.clone(), kind);
        if self.text.is_empty() {
            error
        } else {
            error.at(self.text, span)
        }
    }

    /// Checks a whole expression; `want` is the type it must have, if any.
    pub(crate) fn top(
        &mut self,
        expr: &Expr,
        want: Option<Type>,
    ) -> Result<(Node, Type), RuleError> {
        let (node, ty) = self.expr(expr, None)?;
        if let Some(want) = want {
            if !assignable(ty.ty, want) {
                let kind = if want == Type::Bool {
                    RuleErrorKind::NotACondition {
                        found: ty.ty.to_string(),
                    }
                } else {
                    RuleErrorKind::InvalidValue {
                        expected: want.to_string(),
                        found: ty.ty.to_string(),
                    }
                };
                return Err(self.err(kind, expr.span));
            }
        }
        if ty.ty == Type::Bool && node.is_constant() {
            return Err(self.constant(&node, expr.span, "it reads no field".to_owned()));
        }
        Ok((node, ty.ty))
    }

    fn constant(&self, node: &Node, span: Span, reason: String) -> RuleError {
        let value = matches!(eval::fold(node), Node::Const(Value::Bool(true)));
        self.err(RuleErrorKind::ConstantCondition { value, reason }, span)
    }

    pub(crate) fn expr(&mut self, expr: &Expr, hint: Option<Ty>) -> Checked {
        self.depth += 1;
        let result = if self.depth > MAX_DEPTH {
            Err(self.err(RuleErrorKind::TooDeep { limit: MAX_DEPTH }, expr.span))
        } else {
            self.expr_inner(expr, hint)
        };
        self.depth -= 1;
        result
    }

    fn expr_inner(&mut self, expr: &Expr, hint: Option<Ty>) -> Checked {
        let span = expr.span;
        let constant = |v: Value| {
            let ty = Ty::plain(v.type_of());
            Ok((Node::Const(v), ty))
        };
        match &expr.kind {
            ExprKind::Name(name) => self.name(name, span, hint),
            ExprKind::Integer(v) => constant(Value::Integer(*v)),
            ExprKind::Number(v) => constant(Value::Number(*v)),
            ExprKind::Money(m) => constant(Value::Money(*m)),
            ExprKind::Bool(v) => constant(Value::Bool(*v)),
            ExprKind::Text(v) => constant(Value::Text(v.clone())),
            ExprKind::Date(v) => constant(Value::Date(*v)),
            ExprKind::Days(v) => constant(Value::Days(*v)),
            ExprKind::List(_) => Err(self.err(
                RuleErrorKind::TypeMismatch {
                    operation: "[…]".to_owned(),
                    expected: "a list only on the right of `in`".to_owned(),
                    found: "a list elsewhere".to_owned(),
                },
                span,
            )),
            ExprKind::Not(inner) => {
                let node = self.boolean(inner, "not")?;
                Ok((Node::Not(Box::new(node)), Ty::plain(Type::Bool)))
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let is_and = matches!(expr.kind, ExprKind::And(_));
                let op = if is_and { "and" } else { "or" };
                if items.len() < 2 {
                    return Err(self.err(
                        RuleErrorKind::TypeMismatch {
                            operation: op.to_owned(),
                            expected: "at least 2 operands".to_owned(),
                            found: items.len().to_string(),
                        },
                        span,
                    ));
                }
                let nodes = items
                    .iter()
                    .map(|item| self.boolean(item, op))
                    .collect::<Result<Vec<_>, _>>()?;
                let node = if is_and {
                    Node::And(nodes)
                } else {
                    Node::Or(nodes)
                };
                Ok((node, Ty::plain(Type::Bool)))
            }
            ExprKind::Neg(inner) => {
                let (node, ty) = self.expr(inner, None)?;
                if !matches!(
                    ty.ty,
                    Type::Integer | Type::Number | Type::Money(_) | Type::Days
                ) {
                    return Err(self.mismatch(
                        "-",
                        "integer, number, money or days",
                        ty.ty,
                        inner.span,
                    ));
                }
                Ok((folded(Node::Neg(Box::new(node))), ty))
            }
            ExprKind::Compare { op, left, right } => self.compare(*op, left, right, span),
            ExprKind::Arith { op, left, right } => self.arith(*op, left, right),
            ExprKind::In {
                value,
                set,
                negated,
            } => self.membership(value, set, *negated, span),
            ExprKind::Between { value, low, high } => {
                let (value_node, value_ty) = self.expr(value, None)?;
                let (low_node, low_ty) = self.expr(low, Some(value_ty))?;
                self.comparable("between", value_ty.ty, low_ty.ty, true, low.span)?;
                let (high_node, high_ty) = self.expr(high, Some(value_ty))?;
                self.comparable("between", value_ty.ty, high_ty.ty, true, high.span)?;
                if let (Node::Const(lo), Node::Const(hi)) = (&low_node, &high_node) {
                    if eval::order(lo.as_ref(), hi.as_ref()) == Some(std::cmp::Ordering::Greater) {
                        return Err(self.err(
                            RuleErrorKind::ConstantCondition {
                                value: false,
                                reason: format!(
                                    "the lower bound `{low}` is above the upper bound `{high}`"
                                ),
                            },
                            span,
                        ));
                    }
                }
                let node = Node::Between {
                    value: Box::new(value_node),
                    low: Box::new(low_node),
                    high: Box::new(high_node),
                };
                self.condition(node, span)
            }
            ExprKind::IsMissing { value, negated } => {
                let (node, _) = self.expr(value, None)?;
                let node = Node::IsMissing {
                    value: Box::new(node),
                    negated: *negated,
                };
                self.condition(node, span)
            }
            ExprKind::Call { function, args } => self.call(function, args, span, hint),
        }
    }

    fn name(&self, name: &str, span: Span, hint: Option<Ty>) -> Checked {
        let field = self
            .schema
            .field_id(name)
            .filter(|_| !(self.symbols_first && hint.is_some_and(|h| h.vocab.is_some())));
        if let Some(id) = field {
            let ty = self.schema.field(id).map_or(Type::Bool, Field::ty);
            return Ok((
                Node::Field(id),
                Ty {
                    ty,
                    vocab: Some(id),
                },
            ));
        }
        if let Some(Ty {
            ty: Type::Symbol | Type::Set(ElementType::Symbol),
            vocab: Some(field),
        }) = hint
        {
            let vocabulary = self.schema.vocabulary(field);
            if let Some(id) = self
                .schema
                .symbol(name)
                .filter(|id| vocabulary.contains(id))
            {
                return Ok((
                    Node::Const(Value::Symbol(id)),
                    Ty {
                        ty: Type::Symbol,
                        vocab: Some(field),
                    },
                ));
            }
            let names: Vec<&str> = vocabulary
                .iter()
                .filter_map(|id| self.schema.symbol_name(*id))
                .collect();
            let field_name = self.schema.field(field).map_or("", |f| f.name());
            return Err(self.err(
                RuleErrorKind::UnknownSymbol {
                    name: name.to_owned(),
                    field: field_name.to_owned(),
                    expected: backticked(&names),
                    suggestion: closest(name, names.iter().copied()),
                },
                span,
            ));
        }
        Err(self.err(
            RuleErrorKind::UnknownField {
                name: name.to_owned(),
                suggestion: self.schema.closest_field(name),
            },
            span,
        ))
    }

    fn is_unresolved(&self, expr: &Expr) -> bool {
        matches!(&expr.kind, ExprKind::Name(n) if self.schema.field_id(n).is_none())
    }

    /// Checks two operands, resolving a bare symbol on either side against the other
    /// side's vocabulary.
    fn pair(&mut self, left: &Expr, right: &Expr) -> CheckedPair {
        if self.is_unresolved(left) && !self.is_unresolved(right) {
            let r = self.expr(right, None)?;
            let l = self.expr(left, Some(r.1))?;
            Ok((l, r))
        } else {
            let l = self.expr(left, None)?;
            let r = self.expr(right, Some(l.1))?;
            Ok((l, r))
        }
    }

    fn boolean(&mut self, expr: &Expr, op: &str) -> Result<Node, RuleError> {
        let (node, ty) = self.expr(expr, None)?;
        if ty.ty != Type::Bool {
            return Err(self.mismatch(op, "bool", ty.ty, expr.span));
        }
        Ok(node)
    }

    fn mismatch(&self, op: &str, expected: &str, found: Type, span: Span) -> RuleError {
        self.err(
            RuleErrorKind::TypeMismatch {
                operation: op.to_owned(),
                expected: expected.to_owned(),
                found: found.to_string(),
            },
            span,
        )
    }

    /// Rejects a condition that reads no field.
    fn condition(&self, node: Node, span: Span) -> Checked {
        if node.is_constant() {
            return Err(self.constant(&node, span, "it reads no field".to_owned()));
        }
        Ok((node, Ty::plain(Type::Bool)))
    }

    /// Whether `left` and `right` can be compared (ordered when `ordered`).
    pub(crate) fn comparable(
        &self,
        op: &str,
        left: Type,
        right: Type,
        ordered: bool,
        span: Span,
    ) -> Result<(), RuleError> {
        let ok = match (left, right) {
            (Type::Integer | Type::Number, Type::Integer | Type::Number)
            | (Type::Days, Type::Days | Type::Integer)
            | (Type::Integer, Type::Days)
            | (Type::Date, Type::Date) => true,
            (Type::Money(a), Type::Money(b)) => {
                if a != b {
                    return Err(self.err(
                        RuleErrorKind::CurrencyMismatch {
                            operation: op.to_owned(),
                            left: a.to_string(),
                            right: b.to_string(),
                        },
                        span,
                    ));
                }
                true
            }
            (Type::Symbol, Type::Symbol) | (Type::Text, Type::Text) | (Type::Bool, Type::Bool) => {
                if ordered {
                    return Err(self.mismatch(
                        op,
                        "ordered values (integer, number, money, date or days)",
                        left,
                        span,
                    ));
                }
                true
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(self.mismatch(op, &compatible_with(left), right, span))
        }
    }

    fn compare(&mut self, op: CmpOp, left: &Expr, right: &Expr, span: Span) -> Checked {
        let ((l, lt), (r, rt)) = self.pair(left, right)?;
        let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        self.comparable(op.as_str(), lt.ty, rt.ty, ordered, right.span)?;
        let node = match (l, r) {
            (Node::Field(field), Node::Const(Value::Integer(value) | Value::Days(value))) => {
                self.range_check(field, op, value, span)?;
                Node::CmpFieldInt { field, op, value }
            }
            (Node::Const(Value::Integer(value) | Value::Days(value)), Node::Field(field)) => {
                let op = flip(op);
                self.range_check(field, op, value, span)?;
                Node::CmpFieldInt { field, op, value }
            }
            (l, r) => Node::Cmp {
                op,
                left: Box::new(l),
                right: Box::new(r),
            },
        };
        self.condition(node, span)
    }

    /// Rejects `field <op> value` that the field's declared range decides alone.
    fn range_check(
        &self,
        field: FieldId,
        op: CmpOp,
        value: i64,
        span: Span,
    ) -> Result<(), RuleError> {
        let Some(decl) = self.schema.field(field) else {
            return Ok(());
        };
        let Some((lo, hi)) = decl.declared_range() else {
            return Ok(());
        };
        let holds = |v: i64| eval::cmp_holds(op, v.cmp(&value));
        // Over an interval the truth of `v <op> value` changes only at `value` and its
        // neighbours, so testing those and the ends covers every case.
        let mut probes = vec![lo, hi];
        for p in [value.saturating_sub(1), value, value.saturating_add(1)] {
            if (lo..=hi).contains(&p) {
                probes.push(p);
            }
        }
        let first = holds(lo);
        if probes.iter().all(|&p| holds(p) == first) {
            return Err(self.err(
                RuleErrorKind::ConstantCondition {
                    value: first,
                    reason: format!("`{}` is declared in `{lo}..={hi}`", decl.name()),
                },
                span,
            ));
        }
        Ok(())
    }

    // The match is the table of typing rules, one line per rule, so arms that give the
    // same type stay apart.
    #[allow(clippy::unnested_or_patterns, clippy::match_same_arms)]
    fn arith(&mut self, op: ArithOp, left: &Expr, right: &Expr) -> Checked {
        use Type as T;
        let (l, lt) = self.expr(left, None)?;
        let (r, rt) = self.expr(right, None)?;
        let ty = match (op, lt.ty, rt.ty) {
            (ArithOp::Add | ArithOp::Sub | ArithOp::Mul, T::Integer, T::Integer) => {
                Some(T::Integer)
            }
            (ArithOp::Div, T::Integer | T::Number, T::Integer | T::Number)
            | (_, T::Integer | T::Number, T::Number)
            | (_, T::Number, T::Integer)
            | (ArithOp::Div, T::Days, T::Integer | T::Number) => Some(T::Number),
            (ArithOp::Add, T::Days, T::Days | T::Integer)
            | (ArithOp::Add, T::Integer, T::Days)
            | (ArithOp::Sub, T::Days, T::Days | T::Integer)
            | (ArithOp::Mul, T::Days, T::Integer)
            | (ArithOp::Mul, T::Integer, T::Days) => Some(T::Days),
            (ArithOp::Add, T::Date, T::Days | T::Integer)
            | (ArithOp::Add, T::Days | T::Integer, T::Date)
            | (ArithOp::Sub, T::Date, T::Days | T::Integer) => Some(T::Date),
            (ArithOp::Sub, T::Date, T::Date) => Some(T::Days),
            (ArithOp::Add | ArithOp::Sub, T::Money(a), T::Money(b)) => {
                if a != b {
                    return Err(self.err(
                        RuleErrorKind::CurrencyMismatch {
                            operation: op.as_str().to_owned(),
                            left: a.to_string(),
                            right: b.to_string(),
                        },
                        right.span,
                    ));
                }
                Some(T::Money(a))
            }
            (ArithOp::Mul, T::Money(c), T::Integer | T::Number)
            | (ArithOp::Mul, T::Integer | T::Number, T::Money(c))
            | (ArithOp::Div, T::Money(c), T::Integer | T::Number) => Some(T::Money(c)),
            (ArithOp::Div, T::Money(a), T::Money(b)) => {
                if a != b {
                    return Err(self.err(
                        RuleErrorKind::CurrencyMismatch {
                            operation: "/".to_owned(),
                            left: a.to_string(),
                            right: b.to_string(),
                        },
                        right.span,
                    ));
                }
                Some(T::Number)
            }
            _ => None,
        };
        let Some(ty) = ty else {
            let expected = arith_operands(op, lt.ty);
            return Err(match expected {
                Some(expected) => self.mismatch(op.as_str(), &expected, rt.ty, right.span),
                None => self.mismatch(
                    op.as_str(),
                    "integer, number, money, date or days",
                    lt.ty,
                    left.span,
                ),
            });
        };
        let node = Node::Arith {
            op,
            left: Box::new(l),
            right: Box::new(r),
        };
        Ok((folded(node), Ty::plain(ty)))
    }

    fn membership(&mut self, value: &Expr, set: &Expr, negated: bool, span: Span) -> Checked {
        let op = if negated { "not in" } else { "in" };
        if let ExprKind::List(items) = &set.kind {
            let (value_node, value_ty) = self.expr(value, None)?;
            if items.is_empty() {
                return Err(self.err(
                    RuleErrorKind::TypeMismatch {
                        operation: op.to_owned(),
                        expected: "a non-empty list".to_owned(),
                        found: "`[]`".to_owned(),
                    },
                    set.span,
                ));
            }
            let mut nodes = Vec::with_capacity(items.len());
            for item in items {
                let (node, ty) = self.expr(item, Some(value_ty))?;
                self.comparable(op, value_ty.ty, ty.ty, false, item.span)?;
                nodes.push(node);
            }
            let node = Node::InList {
                value: Box::new(value_node),
                items: nodes,
                negated,
            };
            return self.condition(node, span);
        }
        let (set_node, set_ty) = self.expr(set, None)?;
        let Type::Set(element) = set_ty.ty else {
            return Err(self.mismatch(op, "a list `[…]` or a set field", set_ty.ty, set.span));
        };
        let element_ty = match element {
            ElementType::Integer => Type::Integer,
            ElementType::Symbol => Type::Symbol,
            ElementType::Text => Type::Text,
        };
        let hint = Ty {
            ty: element_ty,
            vocab: set_ty.vocab,
        };
        let (value_node, value_ty) = self.expr(value, Some(hint))?;
        self.comparable(op, element_ty, value_ty.ty, false, value.span)?;
        let node = Node::InSet {
            value: Box::new(value_node),
            set: Box::new(set_node),
            negated,
        };
        self.condition(node, span)
    }

    fn call(&mut self, name: &str, args: &[Expr], span: Span, hint: Option<Ty>) -> Checked {
        let Some(&(_, function, min, max)) = FUNCTIONS.iter().find(|(n, ..)| *n == name) else {
            let names: Vec<&str> = FUNCTIONS.iter().map(|(n, ..)| *n).collect();
            return Err(self.err(
                RuleErrorKind::UnknownFunction {
                    name: name.to_owned(),
                    expected: backticked(&names),
                    suggestion: closest(name, names.iter().copied()),
                },
                span,
            ));
        };
        if args.len() < min || args.len() > max {
            let expected = match (min, max) {
                (0, 0) => "no arguments".to_owned(),
                (1, 1) => "1 argument".to_owned(),
                (n, usize::MAX) => format!("at least {n} arguments"),
                (n, _) => format!("{n} arguments"),
            };
            return Err(self.err(
                RuleErrorKind::Arity {
                    function: name.to_owned(),
                    expected,
                    found: args.len(),
                },
                span,
            ));
        }
        let mut nodes = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        let mut arg_hint = hint;
        for arg in args {
            let (node, ty) = self.expr(arg, arg_hint)?;
            if arg_hint.is_none() {
                arg_hint = Some(ty);
            }
            nodes.push(node);
            types.push((ty, arg.span));
        }
        let first = types.first().map(|(t, _)| t.ty);
        let result = match function {
            Function::AsOf => Ty::plain(Type::Date),
            Function::DaysSince
            | Function::DaysUntil
            | Function::Year
            | Function::Month
            | Function::DayOfMonth => {
                for (ty, arg_span) in &types {
                    if ty.ty != Type::Date {
                        return Err(self.mismatch(name, "a date", ty.ty, *arg_span));
                    }
                }
                Ty::plain(
                    if matches!(function, Function::DaysSince | Function::DaysUntil) {
                        Type::Days
                    } else {
                        Type::Integer
                    },
                )
            }
            Function::Abs => {
                let (ty, arg_span) = types
                    .first()
                    .copied()
                    .unwrap_or((Ty::plain(Type::Bool), span));
                if !matches!(
                    ty.ty,
                    Type::Integer | Type::Number | Type::Money(_) | Type::Days
                ) {
                    return Err(self.mismatch(
                        name,
                        "integer, number, money or days",
                        ty.ty,
                        arg_span,
                    ));
                }
                ty
            }
            Function::Len => {
                let (ty, arg_span) = types
                    .first()
                    .copied()
                    .unwrap_or((Ty::plain(Type::Bool), span));
                if !matches!(ty.ty, Type::Set(_) | Type::Text) {
                    return Err(self.mismatch(name, "a set or text", ty.ty, arg_span));
                }
                Ty::plain(Type::Integer)
            }
            Function::Min | Function::Max | Function::Coalesce => {
                let ordered = function != Function::Coalesce;
                let mut result = types.first().map_or(Ty::plain(Type::Bool), |(t, _)| *t);
                for (ty, arg_span) in types.iter().skip(1) {
                    if ordered || !(ty.ty == result.ty) {
                        self.comparable(name, result.ty, ty.ty, ordered, *arg_span)?;
                    }
                    if result.ty == Type::Integer && ty.ty == Type::Number {
                        result = Ty::plain(Type::Number);
                    }
                    if result.ty == Type::Integer && ty.ty == Type::Days {
                        result = Ty::plain(Type::Days);
                    }
                }
                if ordered && !first.is_some_and(Type::is_ordered) {
                    return Err(self.mismatch(
                        name,
                        "ordered values (integer, number, money, date or days)",
                        first.unwrap_or(Type::Bool),
                        span,
                    ));
                }
                result
            }
        };
        let node = Node::Call(function, nodes);
        Ok((folded(node), result))
    }
}

impl Schema {
    /// Parses `text` as a value of field `id` (`12`, `0.25`, `120 CNY`, `true`, `gold`,
    /// `"text"` or `text`, `2024-06-30`, `30 days`, `[a, b]`).
    ///
    /// # Errors
    ///
    /// A [`RuleError`] when the text is not a literal of the field's type, or names a
    /// symbol outside the vocabulary.
    pub fn parse_value(&self, id: FieldId, text: &str) -> Result<Value, RuleError> {
        parse_field_value(self, id, text)
    }
}

impl Record {
    /// Sets the field named `name` from its text form (see [`Schema::parse_value`]).
    ///
    /// # Errors
    ///
    /// [`RuleErrorKind::UnknownField`] when the schema has no such field, and the errors
    /// of [`Schema::parse_value`].
    pub fn set_text(&mut self, schema: &Schema, name: &str, text: &str) -> Result<(), RuleError> {
        let Some(id) = schema.field_id(name) else {
            return Err(RuleError::new(
                Origin::Schema {
                    field: name.to_owned(),
                },
                RuleErrorKind::UnknownField {
                    name: name.to_owned(),
                    suggestion: schema.closest_field(name),
                },
            ));
        };
        let value = schema.parse_value(id, text)?;
        self.grow(schema.len());
        self.set(id, value);
        Ok(())
    }
}

/// Parses `text` as a value of `field` (see [`Schema::parse_value`]).
fn parse_field_value(schema: &Schema, field: FieldId, text: &str) -> Result<Value, RuleError> {
    let decl = schema.field(field);
    let name = decl.map_or("", |f| f.name());
    let ty = decl.map_or(Type::Bool, Field::ty);
    let origin = Origin::Schema {
        field: name.to_owned(),
    };
    let parsed = parser::parse_expr(text);
    if ty == Type::Text {
        // Free text: a quoted literal, or the text as it is.
        return Ok(match parsed {
            Ok(Expr {
                kind: ExprKind::Text(t),
                ..
            }) => Value::Text(t),
            _ => Value::Text(text.to_owned()),
        });
    }
    let expr = parsed.map_err(|e| RuleError::new(origin.clone(), e.kind).at(text, e.span))?;
    let mut checker = Checker::new(schema, text, origin);
    checker.symbols_first = true;
    let field_ty = Ty {
        ty,
        vocab: Some(field),
    };
    if let Type::Set(element) = ty {
        let ExprKind::List(items) = &expr.kind else {
            return Err(checker.err(
                RuleErrorKind::InvalidValue {
                    expected: ty.to_string(),
                    found: format!("`{expr}`, which is not a list `[…]`"),
                },
                expr.span,
            ));
        };
        let element_ty = match element {
            ElementType::Integer => Type::Integer,
            ElementType::Symbol => Type::Symbol,
            ElementType::Text => Type::Text,
        };
        let mut values = Vec::new();
        for item in items {
            values.push(checker.constant_of(
                item,
                Ty {
                    ty: element_ty,
                    vocab: Some(field),
                },
            )?);
        }
        return Ok(match element {
            ElementType::Integer => Value::IntegerSet(
                values
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::Integer(i) => Some(i),
                        _ => None,
                    })
                    .collect(),
            ),
            ElementType::Symbol => Value::SymbolSet(
                values
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::Symbol(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
            ),
            ElementType::Text => Value::TextSet(
                values
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::Text(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
            ),
        });
    }
    checker.constant_of(&expr, field_ty)
}

impl Checker<'_> {
    /// Checks that `expr` is a constant of type `want` and returns its value.
    pub(crate) fn constant_of(&mut self, expr: &Expr, want: Ty) -> Result<Value, RuleError> {
        let invalid = |this: &Self, found: String| {
            this.err(
                RuleErrorKind::InvalidValue {
                    expected: want.ty.to_string(),
                    found,
                },
                expr.span,
            )
        };
        if let ExprKind::Name(name) = &expr.kind {
            let symbolic = matches!(want.ty, Type::Symbol | Type::Set(ElementType::Symbol))
                && want.vocab.is_some();
            if !symbolic {
                return Err(invalid(self, format!("the name `{name}`")));
            }
        }
        let (node, ty) = self.expr(expr, Some(want))?;
        if !node.is_constant() {
            return Err(invalid(self, format!("`{expr}`, which reads fields")));
        }
        if !assignable(ty.ty, want.ty) {
            return Err(invalid(self, ty.ty.to_string()));
        }
        let Node::Const(value) = eval::fold(&node) else {
            return Err(invalid(self, format!("`{expr}`, which has no value")));
        };
        Ok(coerce(value, want.ty))
    }
}

/// A constant node folded to its value.
fn folded(node: Node) -> Node {
    if node.is_constant() {
        eval::fold(&node)
    } else {
        node
    }
}

/// Whether a value of type `found` may stand where `want` is expected.
pub(crate) fn assignable(found: Type, want: Type) -> bool {
    found == want || matches!((found, want), (Type::Integer, Type::Number | Type::Days))
}

/// Converts an assignable value to the wanted type.
pub(crate) fn coerce(value: Value, want: Type) -> Value {
    match (value, want) {
        (Value::Integer(i), Type::Number) => Value::Number(i as f64),
        (Value::Integer(i), Type::Days) => Value::Days(i),
        (v, _) => v,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// What may be compared with a value of type `left`.
fn compatible_with(left: Type) -> String {
    match left {
        Type::Integer => "integer, number or days".to_owned(),
        Type::Number => "integer or number".to_owned(),
        Type::Days => "days or integer".to_owned(),
        Type::Money(c) => format!("money in `{c}` (write e.g. `100 {c}`)"),
        other => other.to_string(),
    }
}

/// What may be the right operand of `op` with a left operand of type `left`.
#[allow(clippy::match_same_arms)] // one arm per operator and type, as in `arith`
fn arith_operands(op: ArithOp, left: Type) -> Option<String> {
    Some(match (op, left) {
        (ArithOp::Add | ArithOp::Sub, Type::Integer) => "integer, number or days".to_owned(),
        (ArithOp::Mul, Type::Integer) => "integer, number, money or days".to_owned(),
        (_, Type::Integer | Type::Number) => "integer or number".to_owned(),
        (ArithOp::Add | ArithOp::Sub, Type::Money(c)) => format!("money in `{c}`"),
        (ArithOp::Mul, Type::Money(_)) => "integer or number".to_owned(),
        (ArithOp::Div, Type::Money(c)) => format!("integer, number or money in `{c}`"),
        (ArithOp::Add, Type::Days) => "days, integer or date".to_owned(),
        (ArithOp::Sub, Type::Days) => "days or integer".to_owned(),
        (ArithOp::Mul | ArithOp::Div, Type::Days) => "integer".to_owned(),
        (ArithOp::Add, Type::Date) => "days or integer".to_owned(),
        (ArithOp::Sub, Type::Date) => "days, integer or date".to_owned(),
        _ => return None,
    })
}

pub(crate) fn backticked(names: &[&str]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    list.join(", ")
}

/// Checks the shape of a structured tree before it is printed: its depth (printing a
/// tree deeper than the limit would recurse without bound) and the operand counts of
/// `and` / `or` (a one-operand `and` would print as its operand alone).
pub(crate) fn check_tree(origin_of: &Origin, expr: &Expr, depth: usize) -> Result<(), RuleError> {
    let origin = || origin_of.clone();
    if depth > MAX_DEPTH {
        return Err(RuleError::new(
            origin(),
            RuleErrorKind::TooDeep { limit: MAX_DEPTH },
        ));
    }
    let children: Vec<&Expr> = match &expr.kind {
        ExprKind::And(items) | ExprKind::Or(items) => {
            if items.len() < 2 {
                let op = if matches!(expr.kind, ExprKind::And(_)) {
                    "and"
                } else {
                    "or"
                };
                return Err(RuleError::new(
                    origin(),
                    RuleErrorKind::TypeMismatch {
                        operation: op.to_owned(),
                        expected: "at least 2 operands".to_owned(),
                        found: items.len().to_string(),
                    },
                ));
            }
            items.iter().collect()
        }
        ExprKind::List(items) | ExprKind::Call { args: items, .. } => items.iter().collect(),
        ExprKind::Not(inner) | ExprKind::Neg(inner) => vec![inner],
        ExprKind::Compare { left, right, .. } | ExprKind::Arith { left, right, .. } => {
            vec![left, right]
        }
        ExprKind::In { value, set, .. } => vec![value, set],
        ExprKind::Between { value, low, high } => vec![value, low, high],
        ExprKind::IsMissing { value, .. } => vec![value],
        _ => Vec::new(),
    };
    children
        .into_iter()
        .try_for_each(|child| check_tree(origin_of, child, depth + 1))
}
