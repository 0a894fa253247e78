//! The compiled service policy: schedules, SLA policies chosen by rules, and the
//! settings of the closed loop.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::rules::{Context, Field, FieldId, Program, Record, Schema, Value};
use crate::service::config::{parse_duration, Hours, ServiceDoc};
use crate::service::schedule::{parse_zone, Schedule};
use crate::service::sla::{Basis, MAX_ESCALATIONS};
use crate::service::{CaseType, Metric, Opening, ServiceError, ServiceErrorKind, Status};

/// A checked and compiled [`ServiceDoc`]: compile once, replay many event logs.
///
/// # Policy selection
///
/// A case gets the first policy, in document order, whose `when` holds for the
/// case's [`Opening`] (as Zendesk applies SLA policies "in the order they appear");
/// a policy without `when` always applies, and a case no policy matches has no SLA
/// clocks. The policy is chosen once, when the case is opened. Conditions are rules
/// ([`crate::rules`]) over these fields, plus the
/// [`customer_fields`](ServiceDoc::customer_fields) of the document:
///
/// | field | type | values |
/// |---|---|---|
/// | `case_type` | symbol | `inquiry`, `after_sales`, `complaint` |
/// | `category` | symbol | inquiry and after-sales categories, and the complaint categories |
/// | `priority` | symbol | `low`, `normal`, `high`, `urgent` |
/// | `severity` | symbol | the severity grades (missing except for complaints) |
/// | `handler` | symbol | `chatbot`, `human` |
/// | `scope` | symbol | `individual`, `group` (missing except for complaints) |
/// | `channel` | text | the intake channel, when given |
///
/// Rules are evaluated as of the case's creation date in the company
/// [`zone`](ServiceDoc::zone).
#[derive(Clone, Debug)]
pub struct ServicePolicy {
    pub(crate) zone: Tz,
    schema: Schema,
    fields: CaseFields,
    customer_fields: Vec<(String, FieldId)>,
    complaint_categories: Vec<String>,
    severity_grades: Vec<String>,
    pub(crate) schedules: Vec<Schedule>,
    pub(crate) policies: Vec<CompiledPolicy>,
    pub(crate) auto_close_s: i64,
    pub(crate) return_window_days: u32,
    pub(crate) satisfaction_s: i64,
    pub(crate) revisit_s: i64,
    pub(crate) group_level: String,
}

#[derive(Clone, Copy, Debug)]
struct CaseFields {
    case_type: FieldId,
    category: FieldId,
    priority: FieldId,
    severity: FieldId,
    handler: FieldId,
    scope: FieldId,
    channel: FieldId,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledPolicy {
    pub(crate) name: String,
    when: Option<Program>,
    pub(crate) targets: Vec<CompiledTarget>,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledTarget {
    pub(crate) metric: Metric,
    pub(crate) basis: Basis,
    pub(crate) pause_in: u16,
    pub(crate) target_s: i64,
    /// Level names and their thresholds (elapsed seconds of the clock's time).
    pub(crate) escalations: Vec<(String, i64)>,
}

impl ServicePolicy {
    /// Checks and compiles a policy document.
    ///
    /// # Errors
    ///
    /// A [`ServiceError`] naming the path (`service.schedules[0].windows[1]`,
    /// `service.policies[2].targets[0].within`…): an unknown zone, an invalid or
    /// overlapping window, a schedule never open, an invalid holiday or duration, a
    /// duplicate name or metric, an unknown or missing schedule, an escalation before
    /// its clock starts, a `promised_answer` target, a customer field that clashes
    /// with a case field, or a condition that does not compile.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::service::{ServiceDoc, ServicePolicy};
    ///
    /// let mut doc = ServiceDoc::reference();
    /// doc.policies[1].targets[0].within = "soon".to_owned();
    /// let err = ServicePolicy::compile(&doc).err().ok_or("expected an error")?;
    /// assert_eq!(
    ///     err.to_string(),
    ///     "config `service.policies[1].targets[0].within`: `soon` is not a duration: expected a whole number followed by `s`, `m`, `h` or `d` (24 hours), e.g. `30m`, `4h`, `3d`",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(doc: &ServiceDoc) -> Result<ServicePolicy, ServiceError> {
        let zone = parse_zone(&doc.zone, "service.zone")?;
        let duration = |text: &str, path: &str| {
            parse_duration(text, false).ok_or_else(|| {
                ServiceError::config(
                    path,
                    ServiceErrorKind::InvalidDuration {
                        value: text.to_owned(),
                        signed: false,
                    },
                )
            })
        };
        let auto_close_s = duration(&doc.auto_close_after, "service.auto_close_after")?;
        let satisfaction_s = duration(&doc.satisfaction_within, "service.satisfaction_within")?;
        let revisit_s = duration(&doc.revisit_within, "service.revisit_within")?;

        let mut schedules: Vec<Schedule> = Vec::with_capacity(doc.schedules.len());
        for (idx, schedule) in doc.schedules.iter().enumerate() {
            let path = format!("service.schedules[{idx}]");
            if schedules.iter().any(|s| s.name() == schedule.name) {
                return Err(ServiceError::config(
                    format!("{path}.name"),
                    ServiceErrorKind::DuplicateName {
                        name: schedule.name.clone(),
                    },
                ));
            }
            schedules.push(Schedule::compile_at(schedule, &path)?);
        }

        let (schema, fields, customer_fields) = schema(doc)?;
        let mut policies: Vec<CompiledPolicy> = Vec::with_capacity(doc.policies.len());
        for (idx, policy) in doc.policies.iter().enumerate() {
            let path = format!("service.policies[{idx}]");
            if policies.iter().any(|p| p.name == policy.name) {
                return Err(ServiceError::config(
                    format!("{path}.name"),
                    ServiceErrorKind::DuplicateName {
                        name: policy.name.clone(),
                    },
                ));
            }
            let when = match &policy.when {
                None => None,
                Some(text) => Some(Program::condition(&policy.name, text, &schema).map_err(
                    |err| ServiceError::config(format!("{path}.when"), ServiceErrorKind::Rule(err)),
                )?),
            };
            let schedule = match &policy.schedule {
                None => None,
                Some(name) => Some(schedules.iter().position(|s| s.name() == name).ok_or_else(
                    || {
                        ServiceError::config(
                            format!("{path}.schedule"),
                            ServiceErrorKind::UnknownSchedule {
                                name: name.clone(),
                                known: names(schedules.iter().map(Schedule::name)),
                            },
                        )
                    },
                )?),
            };
            let mut targets: Vec<CompiledTarget> = Vec::with_capacity(policy.targets.len());
            for (t_idx, target) in policy.targets.iter().enumerate() {
                let t_path = format!("{path}.targets[{t_idx}]");
                if target.metric == Metric::PromisedAnswer {
                    return Err(ServiceError::config(
                        format!("{t_path}.metric"),
                        ServiceErrorKind::PromiseTarget,
                    ));
                }
                if let Some(first) = targets.iter().position(|t| t.metric == target.metric) {
                    return Err(ServiceError::config(
                        format!("{t_path}.metric"),
                        ServiceErrorKind::DuplicateMetric {
                            metric: target.metric.as_str(),
                            first,
                        },
                    ));
                }
                let target_s = duration(&target.within, &format!("{t_path}.within"))?;
                if target_s == 0 {
                    return Err(ServiceError::config(
                        format!("{t_path}.within"),
                        ServiceErrorKind::ZeroTarget {
                            value: target.within.clone(),
                        },
                    ));
                }
                let basis = match (target.hours, schedule) {
                    (Hours::Calendar, _) => Basis::Calendar,
                    (Hours::Business, Some(idx)) => Basis::Business(idx),
                    (Hours::Business, None) => {
                        return Err(ServiceError::config(
                            format!("{t_path}.hours"),
                            ServiceErrorKind::MissingSchedule,
                        ))
                    }
                };
                let pause_in = match &target.pause_in {
                    Some(statuses) => statuses.iter().fold(0, |bits, s| bits | s.bit()),
                    None => target.metric.default_pause(),
                };
                if target.escalations.len() > MAX_ESCALATIONS {
                    return Err(ServiceError::config(
                        format!("{t_path}.escalations"),
                        ServiceErrorKind::TooManyEscalations {
                            count: target.escalations.len(),
                            max: MAX_ESCALATIONS,
                        },
                    ));
                }
                let mut escalations = Vec::with_capacity(target.escalations.len());
                for (e_idx, level) in target.escalations.iter().enumerate() {
                    let e_path = format!("{t_path}.escalations[{e_idx}].at");
                    let offset = parse_duration(&level.at, true).ok_or_else(|| {
                        ServiceError::config(
                            e_path.clone(),
                            ServiceErrorKind::InvalidDuration {
                                value: level.at.clone(),
                                signed: true,
                            },
                        )
                    })?;
                    let threshold = target_s.saturating_add(offset);
                    if threshold <= 0 {
                        return Err(ServiceError::config(
                            e_path,
                            ServiceErrorKind::EscalationBeforeStart {
                                at: level.at.clone(),
                                within: target.within.clone(),
                            },
                        ));
                    }
                    escalations.push((level.level.clone(), threshold));
                }
                targets.push(CompiledTarget {
                    metric: target.metric,
                    basis,
                    pause_in,
                    target_s,
                    escalations,
                });
            }
            policies.push(CompiledPolicy {
                name: policy.name.clone(),
                when,
                targets,
            });
        }
        Ok(ServicePolicy {
            zone,
            schema,
            fields,
            customer_fields,
            complaint_categories: doc.complaint_categories.clone(),
            severity_grades: doc.severity_grades.clone(),
            schedules,
            policies,
            auto_close_s,
            return_window_days: doc.return_window_days,
            satisfaction_s,
            revisit_s,
            group_level: doc.group_complaint_level.clone(),
        })
    }

    /// The policies' names, in selection order.
    pub fn policy_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.policies.iter().map(|p| p.name.as_str())
    }

    /// The compiled schedules, in document order.
    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }

    /// The schema policy conditions are checked against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The name of the policy a case opened with `opening` at `at` gets (`None` when
    /// no policy applies).
    ///
    /// # Errors
    ///
    /// [`ServiceErrorKind::UnknownValue`] for a complaint category or severity outside
    /// the configured ones, [`ServiceErrorKind::Attribute`] for a customer attribute
    /// the schema cannot read (the error carries no case; replay adds it).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::service::{CaseType, Opening, ServiceDoc, ServicePolicy};
    ///
    /// let policy = ServicePolicy::compile(&ServiceDoc::reference())?;
    /// let opening: Opening = serde_json::from_str(
    ///     r#"{"customer": 7, "type": {"kind": "complaint", "category": "fraud", "severity": "critical"}}"#,
    /// )?;
    /// let at = Utc.with_ymd_and_hms(2024, 3, 1, 16, 0, 0).single().ok_or("date")?;
    /// assert_eq!(policy.select(&opening, at)?, Some("complaints"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn select(
        &self,
        opening: &Opening,
        at: DateTime<Utc>,
    ) -> Result<Option<&str>, ServiceError> {
        Ok(self
            .select_index(opening, at)
            .map_err(ServiceError::bare)?
            .and_then(|idx| self.policies.get(idx))
            .map(|p| p.name.as_str()))
    }

    pub(crate) fn select_index(
        &self,
        opening: &Opening,
        at: DateTime<Utc>,
    ) -> Result<Option<usize>, ServiceErrorKind> {
        let record = self.record(opening)?;
        let ctx = Context::new(at.with_timezone(&self.zone).date_naive());
        Ok(self.policies.iter().position(|policy| {
            policy
                .when
                .as_ref()
                .map_or(true, |p| p.matches(&record, ctx))
        }))
    }

    /// The record policy rules read for a case.
    fn record(&self, opening: &Opening) -> Result<Record, ServiceErrorKind> {
        let mut record = Record::new(&self.schema);
        let f = self.fields;
        let symbol = |name: &str| self.schema.symbol(name).map(Value::Symbol);
        if let Some(v) = symbol(opening.case_type.name()) {
            record.set(f.case_type, v);
        }
        if let CaseType::Complaint {
            category,
            severity,
            scope,
            ..
        } = &opening.case_type
        {
            check_value("category", category, &self.complaint_categories)?;
            check_value("severity", severity, &self.severity_grades)?;
            if let Some(v) = symbol(severity) {
                record.set(f.severity, v);
            }
            if let Some(v) = symbol(scope.as_str()) {
                record.set(f.scope, v);
            }
        }
        if let Some(v) = symbol(opening.case_type.category()) {
            record.set(f.category, v);
        }
        if let Some(v) = symbol(opening.priority.as_str()) {
            record.set(f.priority, v);
        }
        if let Some(v) = symbol(opening.handler.as_str()) {
            record.set(f.handler, v);
        }
        if let Some(channel) = &opening.channel {
            record.set(f.channel, Value::Text(channel.clone()));
        }
        for (name, text) in &opening.attributes {
            if !self.customer_fields.iter().any(|(n, _)| n == name) {
                return Err(ServiceErrorKind::Attribute {
                    name: name.clone(),
                    message: format!(
                        "not a customer field: expected one of {}",
                        names(self.customer_fields.iter().map(|(n, _)| n.as_str()))
                    ),
                });
            }
            record.set_text(&self.schema, name, text).map_err(|err| {
                ServiceErrorKind::Attribute {
                    name: name.clone(),
                    message: err.to_string(),
                }
            })?;
        }
        Ok(record)
    }
}

fn check_value(field: &'static str, value: &str, known: &[String]) -> Result<(), ServiceErrorKind> {
    if known.iter().any(|k| k == value) {
        Ok(())
    } else {
        Err(ServiceErrorKind::UnknownValue {
            field,
            value: value.to_owned(),
            expected: names(known.iter().map(String::as_str)),
        })
    }
}

/// Names in backticks, comma-separated, or `none`.
pub(crate) fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

type Built = (Schema, CaseFields, Vec<(String, FieldId)>);

/// The schema of policy conditions.
fn schema(doc: &ServiceDoc) -> Result<Built, ServiceError> {
    let mut categories: Vec<&str> = vec![
        "product",
        "order",
        "after_sales",
        "other",
        "return_exchange",
        "repair",
        "complaint",
    ];
    for category in &doc.complaint_categories {
        if !categories.contains(&category.as_str()) {
            categories.push(category);
        }
    }
    let mut schema = Schema::new();
    let mut add = |field: Field, path: &str| {
        schema
            .add(field)
            .map_err(|err| ServiceError::config(path, ServiceErrorKind::Rule(err)))
    };
    let fields = CaseFields {
        case_type: add(
            Field::symbol("case_type", ["inquiry", "after_sales", "complaint"]),
            "service",
        )?,
        category: add(
            Field::symbol("category", categories),
            "service.complaint_categories",
        )?,
        priority: add(
            Field::symbol("priority", ["low", "normal", "high", "urgent"]),
            "service",
        )?,
        severity: add(
            Field::symbol("severity", doc.severity_grades.iter().map(String::as_str)).optional(),
            "service.severity_grades",
        )?,
        handler: add(Field::symbol("handler", ["chatbot", "human"]), "service")?,
        scope: add(
            Field::symbol("scope", ["individual", "group"]).optional(),
            "service",
        )?,
        channel: add(Field::text("channel").optional(), "service")?,
    };
    let mut customer_fields = Vec::with_capacity(doc.customer_fields.len());
    for (idx, field) in doc.customer_fields.iter().enumerate() {
        let id = add(field.clone(), &format!("service.customer_fields[{idx}]"))?;
        customer_fields.push((field.name().to_owned(), id));
    }
    Ok((schema, fields, customer_fields))
}

impl Metric {
    /// The serde name, e.g. `first_response`.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::FirstResponse => "first_response",
            Metric::NextResponse => "next_response",
            Metric::Resolution => "resolution",
            Metric::PromisedAnswer => "promised_answer",
        }
    }

    /// The statuses that pause the metric when a target does not say.
    fn default_pause(self) -> u16 {
        match self {
            Metric::Resolution => {
                Status::WaitingOnCustomer.bit() | Status::WaitingOnThirdParty.bit()
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oibits() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ServicePolicy>();
        assert_send_sync::<ServiceError>();
        assert_send_sync::<crate::service::Cases>();
    }

    #[test]
    fn reference_policy_compiles() {
        let policy = ServicePolicy::compile(&ServiceDoc::reference()).unwrap();
        assert_eq!(policy.policies.len(), 3);
        assert_eq!(policy.auto_close_s, 4 * 86_400);
        assert_eq!(policy.revisit_s, 3 * 86_400);
        assert_eq!(policy.satisfaction_s, 86_400);
    }
}
