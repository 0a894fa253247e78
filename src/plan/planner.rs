//! The compiled [`Planner`] and the day's planning.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use rustc_hash::FxHashMap;

use crate::customer::{Channel, Customer, CustomerId};
use crate::diagnostic::{ConfigDiagnostic, ConfigError, ConfigErrorKind};
use crate::money::Money;
use crate::plan::action::ActionKind;
use crate::plan::config::{
    parse_time, BudgetOrder, PlanConfig, QuietMode, Restriction, TriggerOn, WindowDoc,
};
use crate::plan::control;
use crate::plan::control::Group;
use crate::plan::error::{PlanError, PlanErrorKind};
use crate::plan::output::{
    HeldOutAction, Plan, PlanSummary, PlanWarning, PlannedAction, Reason, SourceKind,
    SourceSummary, SuppressedAction, Suppression, SuppressionCount,
};
use crate::plan::playbook::{CustomerFields, PlanSchema, Playbook, Profile, Vocabulary};
use crate::plan::policy::{resolve_local, start_of_day, Cap, Contact, KindSet, QuietHours};
use crate::plan::risk::{risk_schema, RiskLevel, RiskSignals};
use crate::plan::trigger::{ContactRecord, Event, LevelChange, On, Trigger};
use crate::rules::{Context, Program};

/// The smallest control group that measures lift well.
const MIN_CONTROL: u64 = 1_000;
/// The largest share of an audience a control group should take.
const MAX_CONTROL_SHARE: f64 = 0.15;

/// What the planner reads for one day.
///
/// `profiles` and `customers` hold the same customers, each ascending by id; `history`
/// is ascending by customer id (any order within a customer). `events` and
/// `level_changes` may come in any order. `expected_value` is the CLV per customer from
/// [`predict`](crate::predict) (or any value the host ranks by).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct PlanInput<'a> {
    /// The instant the plan is as of.
    pub as_of: DateTime<Utc>,
    /// What the segmentation says of each customer, ascending by id.
    pub profiles: &'a [Profile],
    /// The customer records (consents, preferences, zone, birthday, points), ascending
    /// by id.
    pub customers: &'a [Customer],
    /// The contact history, ascending by customer id.
    pub history: &'a [ContactRecord],
    /// The events of the last days.
    pub events: &'a [Event],
    /// VIP level changes since the last segmentation.
    pub level_changes: &'a [LevelChange],
    /// Risk signals per customer.
    pub risk: &'a BTreeMap<CustomerId, RiskSignals>,
    /// Expected value (CLV) per customer.
    pub expected_value: &'a BTreeMap<CustomerId, f64>,
}

const NO_RISK: &BTreeMap<CustomerId, RiskSignals> = &BTreeMap::new();
const NO_VALUE: &BTreeMap<CustomerId, f64> = &BTreeMap::new();

impl<'a> PlanInput<'a> {
    /// The input with profiles and customer records only: no history, events, level
    /// changes, risk signals or expected values; add them with the `with_*` methods.
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use chrono::{TimeZone, Utc};
    /// use patronage::{Customer, CustomerId};
    /// use patronage::plan::{ContactRecord, PlanInput, Profile};
    ///
    /// let as_of = Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).single().ok_or("date")?;
    /// let profiles = vec![Profile::new(CustomerId(1))];
    /// let customers = vec![Customer::new(CustomerId(1))];
    /// let history = vec![ContactRecord {
    ///     customer: CustomerId(1),
    ///     action: "wake_up_message".to_owned(),
    ///     channel: None,
    ///     at: as_of,
    /// }];
    /// let values = BTreeMap::from([(CustomerId(1), 420.0)]);
    /// let input = PlanInput::new(as_of, &profiles, &customers)
    ///     .with_history(&history)
    ///     .with_expected_value(&values);
    /// assert_eq!(input.history.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        as_of: DateTime<Utc>,
        profiles: &'a [Profile],
        customers: &'a [Customer],
    ) -> PlanInput<'a> {
        PlanInput {
            as_of,
            profiles,
            customers,
            history: &[],
            events: &[],
            level_changes: &[],
            risk: NO_RISK,
            expected_value: NO_VALUE,
        }
    }

    /// With the contact history.
    #[must_use]
    pub fn with_history(self, history: &'a [ContactRecord]) -> PlanInput<'a> {
        PlanInput { history, ..self }
    }

    /// With the events.
    #[must_use]
    pub fn with_events(self, events: &'a [Event]) -> PlanInput<'a> {
        PlanInput { events, ..self }
    }

    /// With the level changes.
    #[must_use]
    pub fn with_level_changes(self, level_changes: &'a [LevelChange]) -> PlanInput<'a> {
        PlanInput {
            level_changes,
            ..self
        }
    }

    /// With risk signals.
    #[must_use]
    pub fn with_risk(self, risk: &'a BTreeMap<CustomerId, RiskSignals>) -> PlanInput<'a> {
        PlanInput { risk, ..self }
    }

    /// With expected values.
    #[must_use]
    pub fn with_expected_value(
        self,
        expected_value: &'a BTreeMap<CustomerId, f64>,
    ) -> PlanInput<'a> {
        PlanInput {
            expected_value,
            ..self
        }
    }
}

/// A compiled plan section: checked once, then plans any number of days.
///
/// Immutable and `Send + Sync`; [`Planner::plan`] allocates per planned action, not per
/// customer.
#[derive(Clone, Debug)]
pub struct Planner {
    zone: Tz,
    send_time: NaiveTime,
    actions: Vec<Action>,
    by_name: BTreeMap<String, usize>,
    sources: Vec<Source>,
    playbooks: Vec<Playbook>,
    triggers: Vec<Trigger>,
    holidays: BTreeMap<NaiveDate, String>,
    caps: Vec<Cap>,
    quiet: Option<QuietHours>,
    purpose_window: Duration,
    budgets: Vec<Budget>,
    budget_order: BudgetOrder,
    archive_action: String,
    annual_care: Duration,
    risk_levels: Vec<RiskLevel>,
    global: Group,
    schema: PlanSchema,
}

#[derive(Clone, Debug)]
struct Action {
    name: String,
    purpose: String,
    kind: ActionKind,
    channels: Vec<Channel>,
    cost: Option<Money>,
    cooldown: Duration,
    annual_care: bool,
    credit_terms: bool,
    carries_vip_distance: bool,
}

#[derive(Clone, Debug)]
struct Source {
    name: String,
    kind: SourceKind,
    priority: i32,
    channels: Vec<Channel>,
    group: Group,
    detail: String,
}

/// What playbooks and triggers share in their documents.
#[derive(Clone, Copy, Debug)]
struct SourceDoc<'a> {
    name: &'a str,
    priority: i32,
    channels: &'a [String],
    holdout: f64,
}

impl Source {
    /// A playbook or trigger at `path`, its channels and holdout checked into `d`.
    fn compile(
        doc: SourceDoc<'_>,
        kind: SourceKind,
        detail: String,
        salt: &str,
        path: &str,
        d: &mut Vec<ConfigDiagnostic>,
    ) -> Source {
        Source {
            name: doc.name.to_owned(),
            kind,
            priority: doc.priority,
            channels: channels(doc.channels, &format!("{path}.channels"), d),
            group: Group::new(
                salt,
                doc.name,
                share(doc.holdout, &format!("{path}.holdout"), d),
            ),
            detail,
        }
    }
}

#[derive(Clone, Debug)]
struct Budget {
    name: String,
    source: Option<usize>,
    per_day: Money,
}

/// One candidate action for one customer.
#[derive(Clone, Debug)]
struct Candidate {
    source: usize,
    action: usize,
    due: DateTime<Utc>,
    occasion: Occasion,
    detail: String,
    cancelled: Option<String>,
}

/// What an action is for, in its idempotency key: the plan date (playbooks, calendar
/// and inactivity triggers) or the event's instant (event triggers).
#[derive(Clone, Copy, Debug)]
enum Occasion {
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

impl Occasion {
    /// A tag byte and the date's day number or the instant's milliseconds, little-endian.
    fn bytes(self) -> [u8; 9] {
        let (tag, value) = match self {
            Occasion::Date(date) => (b'd', i64::from(date.num_days_from_ce())),
            Occasion::Instant(at) => (b'i', at.timestamp_millis()),
        };
        let mut out = [tag; 9];
        for (slot, byte) in out.iter_mut().skip(1).zip(value.to_le_bytes()) {
            *slot = byte;
        }
        out
    }
}

/// A history row as the policies read it.
#[derive(Clone, Copy, Debug)]
struct Past<'a> {
    action: &'a str,
    purpose: &'a str,
    annual_care: bool,
    contact: Contact,
}

fn channel_named(name: &str) -> Option<Channel> {
    Channel::ALL.into_iter().find(|c| c.as_str() == name)
}

#[allow(clippy::needless_pass_by_value)] // callers pass temporaries and literals
fn out_of_range(path: &str, expected: &str, found: impl ToString) -> ConfigDiagnostic {
    ConfigDiagnostic::error(
        path,
        ConfigErrorKind::OutOfRange {
            expected: expected.to_owned(),
            found: found.to_string(),
        },
    )
}

const CHANNELS_EXPECTED: &str = "a channel (`sms`, `email`, `app_push`, `wechat` or `phone`)";

fn channels(names: &[String], path: &str, diagnostics: &mut Vec<ConfigDiagnostic>) -> Vec<Channel> {
    let mut out = Vec::new();
    for (idx, name) in names.iter().enumerate() {
        match channel_named(name) {
            Some(channel) if !out.contains(&channel) => out.push(channel),
            Some(_) => diagnostics.push(out_of_range(
                &format!("{path}[{idx}]"),
                "each channel once",
                name,
            )),
            None => diagnostics.push(out_of_range(
                &format!("{path}[{idx}]"),
                CHANNELS_EXPECTED,
                name,
            )),
        }
    }
    out
}

fn share(value: f64, path: &str, diagnostics: &mut Vec<ConfigDiagnostic>) -> f64 {
    if (0.0..=0.5).contains(&value) {
        if value > MAX_CONTROL_SHARE {
            diagnostics.push(ConfigDiagnostic::warning(
                path,
                ConfigErrorKind::OutOfRange {
                    expected: "a share of at most 0.15, so that most of the audience is treated"
                        .to_owned(),
                    found: value.to_string(),
                },
            ));
        }
        value
    } else {
        diagnostics.push(out_of_range(path, "a share from 0 to 0.5", value));
        0.0
    }
}

impl Planner {
    /// Checks and compiles a plan section against the names of a segmentation.
    ///
    /// Returns the planner and its warnings: a control-group share above 0.15 (allowed
    /// up to 0.5, but most of the audience should be treated).
    ///
    /// # Errors
    ///
    /// [`PlanErrorKind::Config`] with every problem, each naming its path under
    /// `plan.`: an unknown time-zone name, a time not `HH:MM`, quiet hours that cover
    /// the whole day, an empty or duplicate name, an unknown channel or action, a
    /// condition the rules engine rejects, a cap limit or window of zero, a share
    /// outside 0–0.5, a holiday date given twice, a cost in another currency than the
    /// vocabulary's or negative, an unknown budget source.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::plan::{PlanConfig, Planner, Vocabulary};
    ///
    /// let mut config = PlanConfig::reference();
    /// config.caps[1].limit = 0;
    /// let err = Planner::new(&config, &Vocabulary::reference()).err().ok_or("accepted")?;
    /// assert!(err.to_string().contains("plan.caps[1].limit"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        config: &PlanConfig,
        vocabulary: &Vocabulary,
    ) -> Result<(Planner, Vec<ConfigDiagnostic>), PlanError> {
        let mut diagnostics = Vec::new();
        let d = &mut diagnostics;
        let zone = Tz::from_str(&config.company_zone).unwrap_or_else(|_| {
            d.push(out_of_range(
                "plan.company_zone",
                "an IANA time-zone name such as `Asia/Shanghai`",
                &config.company_zone,
            ));
            Tz::UTC
        });
        let send_time = parse_time(&config.send_time).unwrap_or_else(|| {
            d.push(out_of_range(
                "plan.send_time",
                "a local time `HH:MM`",
                &config.send_time,
            ));
            NaiveTime::MIN
        });

        // The catalogue.
        let mut actions = Vec::new();
        let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
        for (idx, doc) in config.actions.iter().enumerate() {
            let path = format!("plan.actions[{idx}]");
            if doc.name.is_empty() {
                d.push(ConfigDiagnostic::error(
                    &format!("{path}.name"),
                    ConfigErrorKind::EmptyName,
                ));
            } else if let Some(first) = by_name.get(&doc.name).copied() {
                d.push(ConfigDiagnostic::error(
                    &format!("{path}.name"),
                    ConfigErrorKind::DuplicateName {
                        name: doc.name.clone(),
                        first: format!("plan.actions[{first}]"),
                    },
                ));
            } else {
                by_name.insert(doc.name.clone(), actions.len());
            }
            if let Some(cost) = &doc.cost {
                if cost.currency != vocabulary.currency || cost.is_negative() {
                    d.push(out_of_range(
                        &format!("{path}.cost"),
                        &format!(
                            "a non-negative amount in `{}`, the plan's currency",
                            vocabulary.currency
                        ),
                        cost,
                    ));
                }
            }
            actions.push(Action {
                name: doc.name.clone(),
                purpose: doc.purpose.clone(),
                kind: doc.kind,
                channels: channels(&doc.channels, &format!("{path}.channels"), d),
                cost: doc.cost.filter(Money::is_positive),
                cooldown: Duration::days(i64::from(doc.cooldown_days)),
                annual_care: doc.annual_care,
                credit_terms: doc.credit_terms,
                carries_vip_distance: doc.carries_vip_distance,
            });
        }
        let action_of = |name: &str, path: &str, d: &mut Vec<ConfigDiagnostic>| {
            let found = by_name.get(name).copied();
            if found.is_none() {
                let known: Vec<&str> = by_name.keys().map(String::as_str).take(6).collect();
                d.push(out_of_range(
                    path,
                    &format!(
                        "an action of `plan.actions` (such as `{}`)",
                        known.join("`, `")
                    ),
                    name,
                ));
            }
            found
        };

        // Risk levels first: their names are a field of the playbooks' schema.
        let mut risk_levels = Vec::new();
        match risk_schema() {
            Ok(schema) => {
                for (idx, doc) in config.risk_levels.iter().enumerate() {
                    let path = format!("plan.risk_levels[{idx}]");
                    if doc.name.is_empty() {
                        d.push(ConfigDiagnostic::error(
                            &format!("{path}.name"),
                            ConfigErrorKind::EmptyName,
                        ));
                    }
                    match Program::condition(&doc.name, &doc.when, &schema) {
                        Ok(condition) => risk_levels.push(RiskLevel {
                            name: doc.name.clone(),
                            condition,
                            restrictions: doc.restrictions.clone(),
                        }),
                        Err(err) => d.push(ConfigDiagnostic::error(
                            &format!("{path}.when"),
                            ConfigErrorKind::Rule(err),
                        )),
                    }
                }
            }
            Err(err) => d.push(ConfigDiagnostic::error(
                "plan.risk_levels",
                ConfigErrorKind::Rule(err),
            )),
        }
        let level_names: Vec<&str> = config
            .risk_levels
            .iter()
            .map(|l| l.name.as_str())
            .filter(|n| !n.is_empty())
            .collect();
        let schema = PlanSchema::new(vocabulary, &level_names).map_err(|err| {
            PlanError::new(PlanErrorKind::Config(ConfigError::new(vec![
                ConfigDiagnostic::error("plan", ConfigErrorKind::Rule(err)),
            ])))
        })?;

        // Playbooks and triggers share one namespace of sources.
        let mut sources: Vec<Source> = Vec::new();
        let mut source_paths: BTreeMap<String, String> = BTreeMap::new();
        let mut name_source = |name: &str, path: &str, d: &mut Vec<ConfigDiagnostic>| {
            if name.is_empty() {
                d.push(ConfigDiagnostic::error(
                    &format!("{path}.name"),
                    ConfigErrorKind::EmptyName,
                ));
            } else if let Some(first) = source_paths.get(name) {
                d.push(ConfigDiagnostic::error(
                    &format!("{path}.name"),
                    ConfigErrorKind::DuplicateName {
                        name: name.to_owned(),
                        first: first.clone(),
                    },
                ));
            } else {
                source_paths.insert(name.to_owned(), path.to_owned());
            }
        };
        let mut playbooks = Vec::new();
        for (idx, doc) in config.playbooks.iter().enumerate() {
            let path = format!("plan.playbooks[{idx}]");
            name_source(&doc.name, &path, d);
            let mut ids = Vec::new();
            for (a, name) in doc.actions.iter().enumerate() {
                ids.extend(action_of(name, &format!("{path}.actions[{a}]"), d));
            }
            let source = sources.len();
            sources.push(Source::compile(
                SourceDoc {
                    name: &doc.name,
                    priority: doc.priority,
                    channels: &doc.channels,
                    holdout: doc.holdout,
                },
                SourceKind::Playbook,
                doc.when.clone(),
                &config.control.salt,
                &path,
                d,
            ));
            match Program::condition(&doc.name, &doc.when, &schema.schema) {
                Ok(condition) => playbooks.push(Playbook {
                    source,
                    condition,
                    actions: ids,
                }),
                Err(err) => d.push(ConfigDiagnostic::error(
                    &format!("{path}.when"),
                    ConfigErrorKind::Rule(err),
                )),
            }
        }
        let mut triggers = Vec::new();
        for (idx, doc) in config.triggers.iter().enumerate() {
            let path = format!("plan.triggers[{idx}]");
            name_source(&doc.name, &path, d);
            let action = action_of(&doc.action, &format!("{path}.action"), d);
            let when = doc.when.as_ref().and_then(|text| {
                Program::condition(&doc.name, text, &schema.schema)
                    .map_err(|err| {
                        d.push(ConfigDiagnostic::error(
                            &format!("{path}.when"),
                            ConfigErrorKind::Rule(err),
                        ));
                    })
                    .ok()
            });
            let on = match &doc.on {
                TriggerOn::Event(kind) => {
                    if kind.is_empty() {
                        d.push(out_of_range(
                            &format!("{path}.on.event"),
                            "an event kind such as `first_order`",
                            "",
                        ));
                    }
                    On::Event {
                        kind: kind.clone(),
                        delay: Duration::minutes(i64::from(doc.delay_minutes)),
                        expires_after: Duration::minutes(i64::from(doc.expires_after_minutes)),
                    }
                }
                TriggerOn::Inactivity { days, cancelled_by } => {
                    if *days == 0 {
                        d.push(out_of_range(
                            &format!("{path}.on.inactivity.days"),
                            "at least 1 day",
                            days,
                        ));
                    }
                    On::Inactivity {
                        days: *days,
                        cancelled_by: cancelled_by.clone(),
                    }
                }
                TriggerOn::Birthday { days_before } => {
                    if *days_before > 366 {
                        d.push(out_of_range(
                            &format!("{path}.on.birthday.days_before"),
                            "at most 366 days",
                            days_before,
                        ));
                    }
                    On::Birthday {
                        days_before: *days_before,
                    }
                }
                TriggerOn::Holiday => On::Holiday,
                TriggerOn::MemberDay(day) => {
                    if !(1..=28).contains(day) {
                        d.push(out_of_range(
                            &format!("{path}.on.member_day"),
                            "a day of the month from 1 to 28 (every month has it)",
                            day,
                        ));
                    }
                    On::MemberDay(*day)
                }
                TriggerOn::PointsExpiring(days) => On::PointsExpiring(*days),
                TriggerOn::LevelChange(direction) => On::LevelChange(*direction),
            };
            let source = sources.len();
            sources.push(Source::compile(
                SourceDoc {
                    name: &doc.name,
                    priority: doc.priority,
                    channels: &doc.channels,
                    holdout: doc.holdout,
                },
                SourceKind::Trigger,
                String::new(),
                &config.control.salt,
                &path,
                d,
            ));
            if let Some(action) = action {
                triggers.push(Trigger {
                    source,
                    on,
                    action,
                    when,
                });
            }
        }

        let mut holidays = BTreeMap::new();
        let mut holiday_paths: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for (idx, doc) in config.holidays.iter().enumerate() {
            if let Some(first) = holiday_paths.get(&doc.date) {
                d.push(out_of_range(
                    &format!("plan.holidays[{idx}].date"),
                    &format!("each date once (first at `plan.holidays[{first}]`)"),
                    doc.date,
                ));
            } else {
                holiday_paths.insert(doc.date, idx);
                holidays.insert(doc.date, doc.name.clone());
            }
        }

        let mut caps = Vec::new();
        for (idx, doc) in config.caps.iter().enumerate() {
            let path = format!("plan.caps[{idx}]");
            if doc.limit == 0 {
                d.push(out_of_range(
                    &format!("{path}.limit"),
                    "a limit of at least 1 (to exempt a kind of action, leave it out of `applies_to`)",
                    0,
                ));
            }
            let span = match doc.window {
                WindowDoc::CalendarDays(n) => ("calendar_days", n, 366),
                WindowDoc::RollingHours(n) => ("rolling_hours", n, 24 * 366),
            };
            if span.1 == 0 || span.1 > span.2 {
                d.push(out_of_range(
                    &format!("{path}.window.{}", span.0),
                    &format!("from 1 to {}", span.2),
                    span.1,
                ));
            }
            let channel = doc.channel.as_ref().and_then(|name| {
                let found = channel_named(name);
                if found.is_none() {
                    d.push(out_of_range(
                        &format!("{path}.channel"),
                        CHANNELS_EXPECTED,
                        name,
                    ));
                }
                found
            });
            caps.push(Cap {
                index: idx,
                channel,
                limit: doc.limit,
                window: doc.window,
                applies: KindSet::of(&doc.applies_to),
            });
        }

        let quiet = config.quiet_hours.as_ref().and_then(|doc| {
            let start = parse_time(&doc.start);
            let end = parse_time(&doc.end);
            if start.is_none() {
                d.push(out_of_range(
                    "plan.quiet_hours.start",
                    "a local time `HH:MM`",
                    &doc.start,
                ));
            }
            if end.is_none() {
                d.push(out_of_range(
                    "plan.quiet_hours.end",
                    "a local time `HH:MM`",
                    &doc.end,
                ));
            }
            let (start, end) = (start?, end?);
            if start == end {
                d.push(out_of_range(
                    "plan.quiet_hours",
                    "quiet hours shorter than a day (`start` and `end` differ)",
                    format!("{}–{}", doc.start, doc.end),
                ));
                return None;
            }
            Some(QuietHours {
                start,
                end,
                mode: doc.mode,
                applies: KindSet::of(&doc.applies_to),
            })
        });

        let mut budgets = Vec::new();
        for (idx, doc) in config.budgets.iter().enumerate() {
            let path = format!("plan.budgets[{idx}]");
            if doc.per_day.currency != vocabulary.currency || doc.per_day.is_negative() {
                d.push(out_of_range(
                    &format!("{path}.per_day"),
                    &format!(
                        "a non-negative amount in `{}`, the plan's currency",
                        vocabulary.currency
                    ),
                    doc.per_day,
                ));
            }
            let source = doc.source.as_ref().and_then(|name| {
                let found = sources.iter().position(|s| &s.name == name);
                if found.is_none() {
                    d.push(out_of_range(
                        &format!("{path}.source"),
                        "a playbook or trigger of the plan",
                        name,
                    ));
                }
                found
            });
            budgets.push(Budget {
                name: doc.name.clone(),
                source,
                per_day: doc.per_day,
            });
        }
        if config.archive.annual_care_days == 0 {
            d.push(out_of_range(
                "plan.archive.annual_care_days",
                "at least 1 day",
                0,
            ));
        }
        if config.control.salt.is_empty() {
            d.push(out_of_range(
                "plan.control.salt",
                "a non-empty salt",
                "\"\"",
            ));
        }
        let global = Group::new(
            &config.control.salt,
            "",
            share(config.control.global, "plan.control.global", d),
        );

        if diagnostics.iter().any(ConfigDiagnostic::is_error) {
            return Err(PlanError::new(PlanErrorKind::Config(ConfigError::new(
                diagnostics,
            ))));
        }
        Ok((
            Planner {
                zone,
                send_time,
                actions,
                by_name,
                sources,
                playbooks,
                triggers,
                holidays,
                caps,
                quiet,
                purpose_window: Duration::hours(i64::from(config.purpose_window_hours)),
                budgets,
                budget_order: config.budget_order,
                archive_action: config.archive.action.clone(),
                annual_care: Duration::days(i64::from(config.archive.annual_care_days)),
                risk_levels,
                global,
                schema,
            },
            diagnostics,
        ))
    }

    /// The catalogue's action names, in catalogue order.
    pub fn action_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.actions.iter().map(|a| a.name.as_str())
    }

    /// The company's zone.
    pub fn company_zone(&self) -> Tz {
        self.zone
    }

    /// Plans one day.
    ///
    /// # Errors
    ///
    /// [`PlanErrorKind::NotSorted`] when profiles, customers or history are not ascending
    /// by customer id; [`PlanErrorKind::MissingRecord`] when a profile has no customer
    /// record or the reverse; [`PlanErrorKind::Overflow`] when a budget's sum overflows.
    ///
    /// # Example
    ///
    /// A birthday on 29 February is celebrated on 28 February in a common year:
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::customer::Birthday;
    /// use patronage::{Channel, Consent, Customer, CustomerId};
    /// use patronage::plan::{PlanConfig, PlanInput, Planner, Profile, Vocabulary};
    ///
    /// let (planner, _) = Planner::new(&PlanConfig::reference(), &Vocabulary::reference())?;
    /// let as_of = Utc.with_ymd_and_hms(2025, 2, 28, 0, 0, 0).single().ok_or("date")?;
    /// let mut customer = Customer::new(CustomerId(1));
    /// customer.birthday = Some(Birthday::try_new(2, 29, Some(2000))?);
    /// customer.consents.insert(Channel::WeChat, Consent::opted_in(as_of));
    /// let (profiles, customers) = (vec![Profile::new(CustomerId(1))], vec![customer]);
    /// let plan = planner.plan(&PlanInput::new(as_of, &profiles, &customers))?;
    /// assert_eq!(plan.actions[0].action, "birthday_gift");
    /// assert_eq!(plan.actions[0].channel, Some(Channel::WeChat));
    /// assert_eq!(plan.actions[0].reason.detail, "birthday 02-29 on 2025-02-28");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn plan(&self, input: &PlanInput<'_>) -> Result<Plan, PlanError> {
        check_sorted("profiles", input.profiles.iter().map(|p| p.customer))?;
        check_sorted("customers", input.customers.iter().map(|c| c.id))?;
        check_sorted("history", input.history.iter().map(|h| h.customer))?;
        if input.profiles.len() != input.customers.len() {
            for (profile, customer) in input.profiles.iter().zip(input.customers) {
                if profile.customer != customer.id {
                    return Err(missing(
                        profile.customer.min(customer.id),
                        profile.customer < customer.id,
                    ));
                }
            }
            let (id, has_profile) = match input.profiles.get(input.customers.len()) {
                Some(p) => (p.customer, true),
                None => (
                    input
                        .customers
                        .get(input.profiles.len())
                        .map_or(CustomerId(0), |c| c.id),
                    false,
                ),
            };
            return Err(missing(id, has_profile));
        }
        let mut events: Vec<&Event> = input.events.iter().collect();
        events.sort();
        let mut changes: Vec<&LevelChange> = input.level_changes.iter().collect();
        changes.sort();

        let date = input.as_of.with_timezone(&self.zone).date_naive();
        let day_end = date
            .checked_add_days(Days::new(1))
            .and_then(|next| start_of_day(self.zone, next))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let ctx = Context::new(date);
        let lookup: FxHashMap<&str, usize> = self
            .by_name
            .iter()
            .map(|(name, idx)| (name.as_str(), *idx))
            .collect();

        let mut state = DayState {
            plan: Plan {
                as_of: input.as_of,
                date,
                actions: Vec::new(),
                suppressed: Vec::new(),
                held_out: Vec::new(),
                summary: PlanSummary::default(),
                warnings: Vec::new(),
            },
            weights: Vec::new(),
            held: vec![0; self.sources.len() + 1],
            audience: vec![0; self.sources.len() + 1],
            per_source: vec![(0, 0, 0); self.sources.len()],
        };
        let mut fields = CustomerFields::new(&self.schema);
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut past: Vec<Past<'_>> = Vec::new();
        let mut contacts: Vec<Contact> = Vec::new();
        let mut taken: Vec<&str> = Vec::new();
        let mut seen_sources: Vec<(bool, bool)> = vec![(false, false); self.sources.len() + 1];
        let (mut history_at, mut event_at, mut change_at) = (0usize, 0usize, 0usize);
        let mut due_by_zone: Vec<(Tz, DateTime<Utc>)> = Vec::new();

        for (profile, customer) in input.profiles.iter().zip(input.customers) {
            let id = profile.customer;
            if customer.id != id {
                return Err(missing(id.min(customer.id), id < customer.id));
            }
            let zone = customer.time_zone.unwrap_or(self.zone);
            // This customer's slices of the sorted inputs.
            let history = take_run(input.history, &mut history_at, |h| h.customer, id);
            let my_events = take_run(&events, &mut event_at, |e| e.customer, id);
            let my_changes = take_run(&changes, &mut change_at, |c| c.customer, id);

            past.clear();
            for row in history {
                let (purpose, kind, annual_care) = match lookup
                    .get(row.action.as_str())
                    .and_then(|i| self.actions.get(*i))
                {
                    Some(action) => (action.purpose.as_str(), action.kind, action.annual_care),
                    None => (row.action.as_str(), ActionKind::Marketing, false),
                };
                past.push(Past {
                    action: row.action.as_str(),
                    purpose,
                    annual_care,
                    contact: Contact {
                        at: row.at,
                        channel: row.channel,
                        kind,
                    },
                });
            }
            let risk_level = input.risk.get(&id).and_then(|signals| {
                self.risk_levels
                    .iter()
                    .find(|l| l.condition.matches(signals, ctx))
            });
            let expected_value = input.expected_value.get(&id).copied();
            let points = customer.points.as_ref().map(|p| p.balance);
            self.schema.fill(
                profile,
                points,
                expected_value,
                risk_level.map(|l| l.name.as_str()),
                &mut fields,
            );

            // The send time in the customer's zone, computed once per zone.
            let local_due = if let Some((_, due)) = due_by_zone.iter().find(|(z, _)| *z == zone) {
                *due
            } else {
                let due = resolve_local(zone, date.and_time(self.send_time))
                    .map_or(input.as_of, |due| due.max(input.as_of));
                due_by_zone.push((zone, due));
                due
            };
            candidates.clear();
            for playbook in &self.playbooks {
                if playbook.condition.matches(&fields, ctx) {
                    for action in &playbook.actions {
                        candidates.push(Candidate {
                            source: playbook.source,
                            action: *action,
                            due: local_due,
                            occasion: Occasion::Date(date),
                            detail: String::new(),
                            cancelled: None,
                        });
                    }
                }
            }
            for trigger in &self.triggers {
                if trigger
                    .when
                    .as_ref()
                    .is_some_and(|when| !when.matches(&fields, ctx))
                {
                    continue;
                }
                let mut push = |due: DateTime<Utc>,
                                occasion: Occasion,
                                detail: String,
                                cancelled: Option<String>| {
                    candidates.push(Candidate {
                        source: trigger.source,
                        action: trigger.action,
                        due,
                        occasion,
                        detail,
                        cancelled,
                    });
                };
                match &trigger.on {
                    On::Event {
                        kind,
                        delay,
                        expires_after,
                    } => {
                        for event in my_events.iter().filter(|e| &e.kind == kind) {
                            let due = event.at + *delay;
                            if due < day_end && input.as_of < due + *expires_after {
                                push(
                                    due.max(input.as_of),
                                    Occasion::Instant(event.at),
                                    format!("event `{kind}` at {}", event.at.to_rfc3339()),
                                    None,
                                );
                            }
                        }
                    }
                    On::Inactivity { days, cancelled_by } => {
                        if profile.recency_days == Some(*days) {
                            let last = date.checked_sub_days(Days::new(u64::from(*days)));
                            let cancel = my_events.iter().find(|e| {
                                cancelled_by.contains(&e.kind)
                                    && last.is_some_and(|last| {
                                        e.at.with_timezone(&self.zone).date_naive() > last
                                    })
                                    && e.at <= input.as_of
                            });
                            push(
                                local_due,
                                Occasion::Date(date),
                                format!("no purchase for {days} days"),
                                cancel.map(|e| {
                                    format!("event `{}` at {}", e.kind, e.at.to_rfc3339())
                                }),
                            );
                        }
                    }
                    On::Birthday { days_before } => {
                        let target = date.checked_add_days(Days::new(u64::from(*days_before)));
                        if let (Some(birthday), Some(target)) = (customer.birthday, target) {
                            if birthday.in_year(target.year()) == Some(target) {
                                push(
                                    local_due,
                                    Occasion::Date(target),
                                    format!(
                                        "birthday {:02}-{:02} on {target}",
                                        birthday.month(),
                                        birthday.day()
                                    ),
                                    None,
                                );
                            }
                        }
                    }
                    On::Holiday => {
                        if let Some(name) = self.holidays.get(&date) {
                            push(
                                local_due,
                                Occasion::Date(date),
                                format!("holiday `{name}`"),
                                None,
                            );
                        }
                    }
                    On::MemberDay(day) => {
                        if date.day() == *day {
                            push(
                                local_due,
                                Occasion::Date(date),
                                format!("member day {day}"),
                                None,
                            );
                        }
                    }
                    On::PointsExpiring(days) => {
                        let until = date.checked_add_days(Days::new(u64::from(*days)));
                        let expiring: u64 = customer.points.as_ref().map_or(0, |points| {
                            points
                                .expiring
                                .iter()
                                .filter(|lot| {
                                    lot.expires_on >= date
                                        && until.is_some_and(|u| lot.expires_on <= u)
                                })
                                .fold(0u64, |sum, lot| sum.saturating_add(lot.points))
                        });
                        if expiring > 0 {
                            push(
                                local_due,
                                Occasion::Date(date),
                                format!("{expiring} points expire within {days} days"),
                                None,
                            );
                        }
                    }
                    On::LevelChange(direction) => {
                        for change in my_changes.iter().filter(|c| c.direction == *direction) {
                            push(
                                local_due,
                                Occasion::Date(date),
                                format!(
                                    "vip level {} → {}",
                                    change.from.as_deref().unwrap_or("none"),
                                    change.to.as_deref().unwrap_or("none")
                                ),
                                None,
                            );
                        }
                    }
                }
            }
            if candidates.is_empty() {
                continue;
            }
            // Priority, then catalogue order, then config order; the sort is stable.
            candidates.sort_by_key(|c| {
                (
                    std::cmp::Reverse(self.sources.get(c.source).map_or(0, |s| s.priority)),
                    c.action,
                    c.source,
                )
            });

            let archived = past.iter().any(|p| p.action == self.archive_action);
            contacts.clear();
            contacts.extend(past.iter().map(|p| p.contact));
            taken.clear();
            seen_sources.fill((false, false));
            for candidate in &candidates {
                self.weigh(
                    candidate,
                    profile,
                    customer,
                    zone,
                    archived,
                    risk_level,
                    expected_value,
                    &past,
                    &mut contacts,
                    &mut taken,
                    &mut seen_sources,
                    &mut state,
                );
            }
            for (idx, (audience, held)) in seen_sources.iter().enumerate() {
                if let (Some(a), Some(h)) = (state.audience.get_mut(idx), state.held.get_mut(idx)) {
                    *a += u64::from(*audience);
                    *h += u64::from(*held);
                }
            }
        }
        self.apply_budgets(&mut state, day_end)?;
        self.summarise(&mut state);
        Ok(state.plan)
    }

    /// Passes one candidate through the policies.
    #[allow(clippy::too_many_arguments)]
    fn weigh<'p>(
        &'p self,
        candidate: &Candidate,
        profile: &Profile,
        customer: &Customer,
        zone: Tz,
        archived: bool,
        risk_level: Option<&RiskLevel>,
        expected_value: Option<f64>,
        past: &[Past<'_>],
        contacts: &mut Vec<Contact>,
        taken: &mut Vec<&'p str>,
        seen_sources: &mut [(bool, bool)],
        state: &mut DayState,
    ) {
        let (Some(action), Some(source)) = (
            self.actions.get(candidate.action),
            self.sources.get(candidate.source),
        ) else {
            return;
        };
        let id = customer.id;
        let reason = Reason {
            source: source.kind,
            name: source.name.clone(),
            detail: if candidate.detail.is_empty() {
                source.detail.clone()
            } else {
                candidate.detail.clone()
            },
        };
        // Records the suppression and leaves `weigh`.
        macro_rules! suppress {
            ($policy:expr, $detail:expr, $next:expr) => {{
                if let Some(counts) = state.per_source.get_mut(candidate.source) {
                    counts.1 += 1;
                }
                state.plan.suppressed.push(SuppressedAction {
                    customer: id,
                    action: action.name.clone(),
                    reason,
                    policy: $policy,
                    detail: $detail,
                    next_allowed: $next,
                });
                return;
            }};
        }
        if let Some(detail) = &candidate.cancelled {
            suppress!(Suppression::CancelledByEvent, detail.clone(), None)
        }
        if action.kind == ActionKind::Marketing {
            let global_slot = seen_sources.len() - 1;
            let mark = |seen: &mut [(bool, bool)], slot: usize, held: bool| {
                if let Some(entry) = seen.get_mut(slot) {
                    entry.0 = true;
                    entry.1 |= held;
                }
            };
            let held_global = self.global.holds(id);
            mark(seen_sources, global_slot, held_global);
            if held_global {
                if let Some(counts) = state.per_source.get_mut(candidate.source) {
                    counts.2 += 1;
                }
                state.plan.held_out.push(HeldOutAction {
                    customer: id,
                    action: action.name.clone(),
                    reason,
                    group: "global".to_owned(),
                });
                return;
            }
            let held_here = source.group.holds(id);
            if !source.group.is_empty() {
                mark(seen_sources, candidate.source, held_here);
            }
            if held_here {
                if let Some(counts) = state.per_source.get_mut(candidate.source) {
                    counts.2 += 1;
                }
                state.plan.held_out.push(HeldOutAction {
                    customer: id,
                    action: action.name.clone(),
                    reason,
                    group: source.name.clone(),
                });
                return;
            }
        }
        let due = candidate.due;
        if archived && action.kind == ActionKind::Marketing {
            if !action.annual_care {
                suppress!(
                    Suppression::Archived,
                    "archived: annual care only".to_owned(),
                    None
                )
            }
            if let Some(last) = past
                .iter()
                .filter(|p| p.annual_care)
                .map(|p| p.contact.at)
                .max()
            {
                if last + self.annual_care > due {
                    suppress!(
                        Suppression::Archived,
                        "archived: one annual-care message a year".to_owned(),
                        Some(last + self.annual_care)
                    )
                }
            }
        }
        let mut review = false;
        if let Some(level) = risk_level {
            let refused = [
                (
                    Restriction::NoMarketing,
                    action.kind == ActionKind::Marketing,
                ),
                (Restriction::NoCoupons, action.cost.is_some()),
                (Restriction::NoCreditTerms, action.credit_terms),
            ]
            .into_iter()
            .find(|(restriction, applies)| *applies && level.restricts(*restriction));
            if let Some((restriction, _)) = refused {
                suppress!(
                    Suppression::Risk,
                    format!("{}: {}", level.name, restriction.as_str()),
                    None
                )
            }
            review = level.restricts(Restriction::ManualReview);
        }
        let channel = if action.channels.is_empty() {
            None
        } else {
            let order = customer
                .preferred_channels
                .iter()
                .chain(&source.channels)
                .chain(&action.channels)
                .copied()
                .filter(|c| action.channels.contains(c));
            let mut chosen = None;
            for c in order {
                if customer.may_contact(c) {
                    chosen = Some(c);
                    break;
                }
            }
            if chosen.is_none() {
                let names: Vec<&str> = action.channels.iter().map(|c| c.as_str()).collect();
                suppress!(
                    Suppression::NoConsent,
                    format!("no consent on `{}`", names.join("`, `")),
                    None
                )
            }
            chosen
        };
        if action.cooldown > Duration::zero() {
            if let Some(last) = past
                .iter()
                .filter(|p| p.action == action.name)
                .map(|p| p.contact.at)
                .max()
            {
                if last + action.cooldown > due {
                    suppress!(
                        Suppression::Cooldown,
                        format!("cooldown of {} days", action.cooldown.num_days()),
                        Some(last + action.cooldown)
                    )
                }
            }
        }
        let mut due = due;
        if let (Some(quiet), Some(_)) = (&self.quiet, channel) {
            if quiet.applies.contains(action.kind) {
                let allowed = quiet.next_allowed(due, zone).unwrap_or(due);
                if allowed != due {
                    match quiet.mode {
                        QuietMode::Defer => due = allowed,
                        QuietMode::Skip => {
                            suppress!(
                                Suppression::QuietHours,
                                "quiet hours (skip)".to_owned(),
                                Some(allowed)
                            )
                        }
                    }
                }
            }
        }
        // A purpose planned once is taken for the day, with or without a message (two
        // playbooks asking for `archive` archive once).
        if taken.contains(&action.purpose.as_str()) {
            suppress!(
                Suppression::DuplicatePurpose,
                format!("purpose `{}` already planned", action.purpose),
                None
            )
        }
        if channel.is_some() {
            if let Some(last) = past
                .iter()
                .filter(|p| {
                    p.purpose == action.purpose
                        && p.contact.channel.is_some()
                        && p.contact.at <= due
                })
                .map(|p| p.contact.at)
                .max()
            {
                if last + self.purpose_window > due {
                    suppress!(
                        Suppression::DuplicatePurpose,
                        format!("purpose `{}` sent at {}", action.purpose, last.to_rfc3339()),
                        Some(last + self.purpose_window)
                    )
                }
            }
        }
        let mut violated: Option<&Cap> = None;
        let mut next: Option<DateTime<Utc>> = None;
        for cap in self
            .caps
            .iter()
            .filter(|cap| cap.applies(channel, action.kind))
        {
            if cap.violated(contacts, due, zone) {
                violated = violated.or(Some(cap));
                let allowed = cap.next_allowed(contacts, due, zone);
                next = match (next, allowed) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        if let Some(cap) = violated {
            suppress!(Suppression::Cap, format!("plan.caps[{}]", cap.index), next)
        }
        contacts.push(Contact {
            at: due,
            channel,
            kind: action.kind,
        });
        taken.push(action.purpose.as_str());
        let key = format!(
            "{:016x}",
            control::fnv1a(&[
                b"patronage-plan",
                &id.0.to_le_bytes(),
                action.name.as_bytes(),
                source.name.as_bytes(),
                &candidate.occasion.bytes(),
            ])
        );
        state.weights.push(Weight {
            source: candidate.source,
            priority: source.priority,
            expected_value,
        });
        state.plan.actions.push(PlannedAction {
            customer: id,
            action: action.name.clone(),
            kind: action.kind,
            channel,
            due,
            reason,
            key,
            cost: action.cost,
            review,
            vip_distance: if action.carries_vip_distance {
                profile.vip_distance.clone()
            } else {
                None
            },
        });
    }

    /// Takes planned actions with a cost under the budgets, in budget order.
    fn apply_budgets(&self, state: &mut DayState, day_end: DateTime<Utc>) -> Result<(), PlanError> {
        if self.budgets.is_empty() {
            return Ok(());
        }
        let mut order: Vec<usize> = (0..state.plan.actions.len())
            .filter(|i| state.plan.actions.get(*i).is_some_and(|a| a.cost.is_some()))
            .collect();
        let weight = |i: &usize| state.weights.get(*i).copied();
        let customer = |i: &usize| state.plan.actions.get(*i).map(|a| a.customer);
        let ev_key = |w: Option<Weight>| {
            // Higher first; customers without a value last.
            w.and_then(|w| w.expected_value)
                .map_or((1, 0.0), |v| (0, -v))
        };
        order.sort_by(|a, b| {
            let (wa, wb) = (weight(a), weight(b));
            let pa = std::cmp::Reverse(wa.map_or(0, |w| w.priority));
            let pb = std::cmp::Reverse(wb.map_or(0, |w| w.priority));
            let (ea, eb) = (ev_key(wa), ev_key(wb));
            let ev = ea.0.cmp(&eb.0).then(ea.1.total_cmp(&eb.1));
            let by = match self.budget_order {
                BudgetOrder::Priority => pa.cmp(&pb).then(ev),
                BudgetOrder::ExpectedValue => ev.then(pa.cmp(&pb)),
            };
            by.then(customer(a).cmp(&customer(b))).then(a.cmp(b))
        });
        let mut spent: Vec<Money> = self
            .budgets
            .iter()
            .map(|b| Money {
                amount: rust_decimal::Decimal::ZERO,
                currency: b.per_day.currency,
            })
            .collect();
        let mut refused: Vec<Option<usize>> = vec![None; state.plan.actions.len()];
        for idx in order {
            let (Some(action), Some(w)) = (state.plan.actions.get(idx), state.weights.get(idx))
            else {
                continue;
            };
            let Some(cost) = action.cost else { continue };
            let mut over = None;
            let mut sums = Vec::new();
            for (b, (budget, current)) in self.budgets.iter().zip(&spent).enumerate() {
                if budget.source.is_some_and(|s| s != w.source) {
                    continue;
                }
                let sum = current.checked_add(cost).map_err(|_| {
                    PlanError::new(PlanErrorKind::Overflow {
                        budget: budget.name.clone(),
                    })
                })?;
                if sum.amount > budget.per_day.amount {
                    over = over.or(Some(b));
                }
                sums.push((b, sum));
            }
            if let Some(b) = over {
                if let Some(slot) = refused.get_mut(idx) {
                    *slot = Some(b);
                }
            } else {
                for (b, sum) in sums {
                    if let Some(slot) = spent.get_mut(b) {
                        *slot = sum;
                    }
                }
            }
        }
        let actions = std::mem::take(&mut state.plan.actions);
        let weights = std::mem::take(&mut state.weights);
        for ((action, weight), refusal) in actions.into_iter().zip(weights).zip(refused) {
            if let Some(budget) = refusal.and_then(|b| self.budgets.get(b)) {
                if let Some(counts) = state.per_source.get_mut(weight.source) {
                    counts.1 += 1;
                }
                state.plan.suppressed.push(SuppressedAction {
                    customer: action.customer,
                    action: action.action,
                    reason: action.reason,
                    policy: Suppression::Budget,
                    detail: format!("budget `{}` of {}", budget.name, budget.per_day),
                    next_allowed: Some(day_end),
                });
            } else {
                state.plan.actions.push(action);
                state.weights.push(weight);
            }
        }
        state.plan.suppressed.sort_by_key(|s| s.customer);
        Ok(())
    }

    fn summarise(&self, state: &mut DayState) {
        for weight in &state.weights {
            if let Some(counts) = state.per_source.get_mut(weight.source) {
                counts.0 += 1;
            }
        }
        let plan = &mut state.plan;
        let sources = self
            .sources
            .iter()
            .zip(&state.per_source)
            .map(|(s, (planned, suppressed, held_out))| SourceSummary {
                name: s.name.clone(),
                source: s.kind,
                planned: *planned,
                suppressed: *suppressed,
                held_out: *held_out,
            })
            .collect();
        let mut by_policy: BTreeMap<Suppression, u64> = BTreeMap::new();
        for action in &plan.suppressed {
            *by_policy.entry(action.policy).or_default() += 1;
        }
        plan.summary = PlanSummary {
            sources,
            suppressions: by_policy
                .into_iter()
                .map(|(policy, count)| SuppressionCount { policy, count })
                .collect(),
        };
        let groups = self
            .sources
            .iter()
            .map(|s| (s.name.as_str(), &s.group))
            .chain(std::iter::once(("global", &self.global)));
        for (idx, (name, group)) in groups.enumerate() {
            if group.is_empty() {
                continue;
            }
            let held = state.held.get(idx).copied().unwrap_or(0);
            let audience = state.audience.get(idx).copied().unwrap_or(0);
            let mut problems = Vec::new();
            if held < MIN_CONTROL {
                problems.push(format!(
                    "it holds {held} customer{}: expected at least 1,000 to measure lift",
                    if held == 1 { "" } else { "s" }
                ));
            }
            if audience > 0 && held as f64 > MAX_CONTROL_SHARE * audience as f64 {
                problems.push(format!(
                    "it holds {:.1}% of its audience of {audience}: expected at most 15%",
                    100.0 * held as f64 / audience as f64
                ));
            }
            if !problems.is_empty() {
                plan.warnings.push(PlanWarning {
                    group: name.to_owned(),
                    held_out: held,
                    audience,
                    message: format!("control group `{name}`: {}", problems.join("; ")),
                });
            }
        }
    }
}

/// What a plan accumulates while it walks the customers.
#[derive(Debug)]
struct DayState {
    plan: Plan,
    /// Per planned action: what budgets rank it by.
    weights: Vec<Weight>,
    /// Per source (and the global group last): customers held out.
    held: Vec<u64>,
    /// Per source (and the global group last): customers with a marketing candidate.
    audience: Vec<u64>,
    /// Per source: actions planned, suppressed, held out.
    per_source: Vec<(u64, u64, u64)>,
}

#[derive(Clone, Copy, Debug)]
struct Weight {
    source: usize,
    priority: i32,
    expected_value: Option<f64>,
}

fn missing(customer: CustomerId, has_profile: bool) -> PlanError {
    let (present, missing) = if has_profile {
        ("profile", "customer record")
    } else {
        ("customer record", "profile")
    };
    PlanError::new(PlanErrorKind::MissingRecord {
        customer: customer.0,
        present,
        missing,
    })
}

fn check_sorted(
    input: &'static str,
    ids: impl Iterator<Item = CustomerId>,
) -> Result<(), PlanError> {
    let mut previous: Option<CustomerId> = None;
    for (row, id) in ids.enumerate() {
        if let Some(prev) = previous {
            if id < prev {
                return Err(PlanError::new(PlanErrorKind::NotSorted {
                    input,
                    row,
                    previous: prev.0,
                    found: id.0,
                }));
            }
        }
        previous = Some(id);
    }
    Ok(())
}

/// The run of rows of `customer` starting at `*at` in a list ascending by customer;
/// rows of smaller customers (without a profile) are skipped.
fn take_run<'a, T>(
    rows: &'a [T],
    at: &mut usize,
    key: impl Fn(&T) -> CustomerId,
    customer: CustomerId,
) -> &'a [T] {
    while rows.get(*at).is_some_and(|row| key(row) < customer) {
        *at += 1;
    }
    let start = *at;
    while rows.get(*at).is_some_and(|row| key(row) == customer) {
        *at += 1;
    }
    rows.get(start..*at).unwrap_or(&[])
}
