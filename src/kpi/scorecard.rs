//! Team and per-person scorecards (R25), computed in one pass over each input.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::{CustomerId, Order};
use crate::kpi::case::{CaseOptions, CaseTally, HandledCase};
use crate::kpi::error::{KpiError, KpiErrorKind};
use crate::kpi::idmap::{id_map, IdMap};
use crate::kpi::ids::Scale;
use crate::kpi::ids::{CaseId, SlaMetric, StaffId};
use crate::kpi::period::Period;
use crate::kpi::retention::{add_customer, OrderFold, OrderOptions, OrderTally, OrderWindows};
use crate::kpi::survey::{SatisfactionDimension, ScoreCounts, SurveyResponse, SurveyTally};
use crate::kpi::targets::Targets;
use crate::kpi::value::{Kpi, Statistic};
use crate::money::{Currency, Money};

/// The inputs of [`scorecards`]: survey responses, orders, handled cases, and which
/// operator looks after which customer.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct ScorecardInputs<'a> {
    /// Survey responses (any period; those of the period and the previous one count).
    pub responses: &'a [SurveyResponse],
    /// Orders (any period; the period, the same period last year and the activity
    /// windows count).
    pub orders: &'a [Order],
    /// Handled cases.
    pub cases: &'a [HandledCase],
    /// `(customer, operator)`: the operator who looks after the customer.
    pub assignments: &'a [(CustomerId, StaffId)],
}

impl<'a> ScorecardInputs<'a> {
    /// Inputs from the four slices.
    pub fn new(
        responses: &'a [SurveyResponse],
        orders: &'a [Order],
        cases: &'a [HandledCase],
        assignments: &'a [(CustomerId, StaffId)],
    ) -> ScorecardInputs<'a> {
        ScorecardInputs {
            responses,
            orders,
            cases,
            assignments,
        }
    }
}

/// What to compute: the period, the instant, the currency, targets and options.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ScorecardSpec {
    /// The reporting period.
    pub period: Period,
    /// The instant the scorecards are as of (complaints still inside their window at
    /// this instant are pending).
    pub as_of: DateTime<Utc>,
    /// Targets, confidence level and small-sample threshold.
    pub targets: Targets,
    /// The report's currency and the activity window of classic retention.
    pub orders: OrderOptions,
    /// The timeliness window and time basis of the case KPIs.
    pub cases: CaseOptions,
}

impl ScorecardSpec {
    /// The reference targets and default options.
    pub fn new(period: Period, as_of: DateTime<Utc>, currency: Currency) -> ScorecardSpec {
        ScorecardSpec {
            period,
            as_of,
            targets: Targets::reference(),
            orders: OrderOptions::new(currency),
            cases: CaseOptions::default(),
        }
    }
}

/// The service team's scorecard: satisfaction, complaint handling, resolution,
/// response times and SLA attainment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceScorecard {
    /// CSAT mean.
    pub csat: Kpi,
    /// CSAT top-2-box.
    pub csat_top_two_box: Kpi,
    /// Complaints resolved within 24 h.
    pub complaint_timeliness: Kpi,
    /// Complaints closed as resolved.
    pub complaint_resolution: Kpi,
    /// Complaints of the period still pending at `as_of`.
    pub complaints_pending: u64,
    /// Cases closed as resolved.
    pub problem_resolution: Kpi,
    /// Cases resolved on first contact.
    pub first_contact_resolution: Kpi,
    /// Median first response time.
    pub first_response_median: Kpi,
    /// 90th-percentile first response time.
    pub first_response_p90: Kpi,
    /// Median resolution time.
    pub resolution_median: Kpi,
    /// SLA attainment per metric, in [`SlaMetric::ALL`] order.
    pub sla: Vec<Kpi>,
}

/// The operations team's scorecard: retention, lifts, frequency and AOV.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OperationsScorecard {
    /// Repeat retention (SPEC §8).
    pub retention: Kpi,
    /// Classic retention `(E − N) / S`.
    pub classic_retention: Kpi,
    /// Churn.
    pub churn: Kpi,
    /// Repurchase-rate lift against the same period last year.
    pub repurchase_lift: Kpi,
    /// AOV lift against the same period last year.
    pub aov_lift: Kpi,
    /// Purchases per customer.
    pub purchase_frequency: Kpi,
    /// Average order value.
    pub aov: Kpi,
}

/// The product team's scorecard: NPS, CES, feedback and suggestions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProductScorecard {
    /// NPS.
    pub nps: Kpi,
    /// CES mean.
    pub ces: Kpi,
    /// Feedback-driven optimisation rate.
    pub feedback_optimisation: Kpi,
    /// Suggestion adoption rate.
    pub suggestion_adoption: Kpi,
}

/// Satisfaction about one dimension, this period and the previous one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DimensionChange {
    /// The dimension.
    pub dimension: SatisfactionDimension,
    /// CSAT mean this period.
    pub current: Kpi,
    /// CSAT mean in the previous period ([`Period::previous`]).
    pub previous: Kpi,
    /// `current − previous`, in score points; `None` if either has no answers.
    pub change: Option<f64>,
}

/// One agent's scorecard: CSAT of the answers rating them or their cases, first
/// response time and resolution rate of their cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgentScorecard {
    /// The agent.
    pub agent: StaffId,
    /// CSAT mean.
    pub csat: Kpi,
    /// Median first response time.
    pub first_response_median: Kpi,
    /// Problem resolution rate.
    pub resolution_rate: Kpi,
}

/// One operator's scorecard: retention and repurchase of the customers assigned to
/// them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OperatorScorecard {
    /// The operator.
    pub operator: StaffId,
    /// Customers assigned.
    pub customers: u64,
    /// Repeat retention of their customers.
    pub retention: Kpi,
    /// Repurchase-rate lift of their customers.
    pub repurchase_lift: Kpi,
}

/// Every scorecard of a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Scorecards {
    /// The period.
    pub period: Period,
    /// The instant they are as of.
    pub as_of: DateTime<Utc>,
    /// The service team.
    pub service: ServiceScorecard,
    /// The operations team.
    pub operations: OperationsScorecard,
    /// The product team.
    pub product: ProductScorecard,
    /// Satisfaction per dimension, with the change against the previous period.
    pub dimensions: Vec<DimensionChange>,
    /// One scorecard per agent, by id.
    pub agents: Vec<AgentScorecard>,
    /// One scorecard per operator, by id.
    pub operators: Vec<OperatorScorecard>,
}

/// Computes every scorecard of `spec.period` in one pass over each input: cases first
/// (so answers rating a case are credited to its agent), then responses, then orders.
///
/// An answer is credited to its `agent`, or else to the agent of its `case`.
///
/// # Errors
///
/// [`KpiErrorKind::ScoreOutOfScale`] for a response outside its scale;
/// [`KpiErrorKind::CaseBeforeCreation`] / [`KpiErrorKind::MissingBusinessTime`] for a
/// case; [`KpiErrorKind::CurrencyMismatch`] / [`KpiErrorKind::MoneyOverflow`] for an
/// order; [`KpiErrorKind::ConflictingAssignment`] for a customer assigned twice;
/// [`KpiErrorKind::InvalidPeriod`] when the comparison periods are out of range.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Currency, CustomerId, Order, OrderId, OrderStatus};
/// use patronage::kpi::{scorecards, Period, ScorecardInputs, ScorecardSpec, Verdict};
///
/// let period = Period::month(2024, 5, chrono_tz::Asia::Shanghai)?;
/// let as_of = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).single().ok_or("date")?;
/// let at = Utc.with_ymd_and_hms(2024, 5, 10, 4, 0, 0).single().ok_or("date")?;
/// let orders = [Order::new(OrderId(1), CustomerId(7), at, "99 CNY".parse()?, OrderStatus::Paid)];
/// let inputs = ScorecardInputs::new(&[], &orders, &[], &[]);
/// let cards = scorecards(&inputs, &ScorecardSpec::new(period, as_of, Currency::CNY))?;
/// assert_eq!(cards.operations.retention.value(), Some(0.0));
/// assert_eq!(cards.service.csat.verdict(), Verdict::NotEnoughData);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn scorecards(
    inputs: &ScorecardInputs<'_>,
    spec: &ScorecardSpec,
) -> Result<Scorecards, KpiError> {
    let period = &spec.period;
    let previous_period = period.previous()?;
    let targets = &spec.targets;

    // Cases: team and per-agent tallies, and who handled which case.
    let mut team_cases = CaseTally::new();
    let mut agent_cases: BTreeMap<StaffId, CaseTally> = BTreeMap::new();
    let mut case_agents: IdMap<CaseId, StaffId> = id_map(inputs.cases.len());
    for case in inputs.cases {
        team_cases.add(case, period, spec.as_of, spec.cases)?;
        if let Some(agent) = case.agent {
            agent_cases
                .entry(agent)
                .or_default()
                .add(case, period, spec.as_of, spec.cases)?;
            case_agents.insert(case.id, agent);
        }
    }

    // Responses: this period (team, per agent) and the previous one (dimensions).
    let mut survey = SurveyTally::new();
    let mut previous_survey = SurveyTally::new();
    let mut agent_csat: BTreeMap<StaffId, ScoreCounts> = BTreeMap::new();
    for response in inputs.responses {
        response.check()?;
        if period.contains(response.at) {
            survey.add_checked(response);
            let agent = response
                .agent
                .or_else(|| response.case.and_then(|c| case_agents.get(&c).copied()));
            if let (Some(agent), Scale::Csat) = (agent, response.scale) {
                agent_csat
                    .entry(agent)
                    .or_insert_with(|| ScoreCounts::new(Scale::Csat))
                    .add(response.score)?;
            }
        } else if previous_period.contains(response.at) {
            previous_survey.add_checked(response);
        }
    }

    // Orders: fold by customer, then split the customers between team and operators.
    let mut operator_of: IdMap<CustomerId, StaffId> = id_map(inputs.assignments.len());
    let mut operator_customers: BTreeMap<StaffId, u64> = BTreeMap::new();
    for &(customer, operator) in inputs.assignments {
        if let Some(&first) = operator_of.get(&customer) {
            if first != operator {
                return Err(KpiError::new(KpiErrorKind::ConflictingAssignment {
                    customer,
                    first,
                    second: operator,
                }));
            }
            continue;
        }
        operator_of.insert(customer, operator);
        *operator_customers.entry(operator).or_default() += 1;
    }
    let currency = spec.orders.currency;
    let mut fold = OrderFold::new(OrderWindows::new(period, spec.orders)?);
    fold.customers.reserve(inputs.orders.len() / 4);
    for order in inputs.orders {
        fold.add(order)?;
    }
    let mut team_orders = OrderTally::new(currency);
    // Each operator's customer count beside its tally, so one look-up finds both.
    let mut operator_orders: BTreeMap<StaffId, (u64, OrderTally)> = operator_customers
        .into_iter()
        .map(|(op, customers)| (op, (customers, OrderTally::new(currency))))
        .collect();
    for (customer, sales) in &fold.customers {
        add_customer(&mut team_orders, sales);
        if let Some(tally) = operator_of
            .get(customer)
            .and_then(|op| operator_orders.get_mut(op))
        {
            add_customer(&mut tally.1, sales);
        }
    }
    team_orders.set_spend(
        Money::new(fold.current_spend, currency),
        Money::new(fold.previous_spend, currency),
    );

    let service = ServiceScorecard {
        csat: survey.csat().csat_mean(targets)?,
        csat_top_two_box: survey.csat().csat_top_two_box(targets)?,
        complaint_timeliness: team_cases.complaint_timeliness(targets)?,
        complaint_resolution: team_cases.complaint_resolution(targets)?,
        complaints_pending: team_cases.complaints_pending(),
        problem_resolution: team_cases.problem_resolution(targets)?,
        first_contact_resolution: team_cases.first_contact_resolution(targets)?,
        first_response_median: team_cases.first_response_time(Statistic::Median, targets),
        first_response_p90: team_cases.first_response_time(Statistic::P90, targets),
        resolution_median: team_cases.resolution_time(Statistic::Median, targets),
        sla: SlaMetric::ALL
            .iter()
            .map(|&metric| team_cases.sla_attainment(metric, targets))
            .collect::<Result<_, _>>()?,
    };
    let operations = OperationsScorecard {
        retention: team_orders.repeat_retention(targets)?,
        classic_retention: team_orders.classic_retention(targets)?,
        churn: team_orders.churn_rate(targets)?,
        repurchase_lift: team_orders.repurchase_lift(targets),
        aov_lift: team_orders.aov_lift(targets),
        purchase_frequency: team_orders.purchase_frequency(targets),
        aov: team_orders.average_order_value(targets),
    };
    let product = ProductScorecard {
        nps: survey.nps().nps(targets)?,
        ces: survey.ces().ces_mean(targets)?,
        feedback_optimisation: team_cases.feedback_optimisation(targets)?,
        suggestion_adoption: team_cases.suggestion_adoption(targets)?,
    };
    let dimensions = SatisfactionDimension::ALL
        .iter()
        .map(|&dimension| {
            let current = survey.csat_about(dimension).csat_mean(targets)?;
            let previous = previous_survey.csat_about(dimension).csat_mean(targets)?;
            let change = current.change_from(&previous);
            Ok(DimensionChange {
                dimension,
                current,
                previous,
                change,
            })
        })
        .collect::<Result<Vec<_>, KpiError>>()?;

    let mut agent_ids: Vec<StaffId> = agent_cases
        .keys()
        .chain(agent_csat.keys())
        .copied()
        .collect();
    agent_ids.sort_unstable();
    agent_ids.dedup();
    let empty_cases = CaseTally::new();
    let empty_csat = ScoreCounts::new(Scale::Csat);
    let agents = agent_ids
        .into_iter()
        .map(|agent| {
            let cases = agent_cases.get(&agent).unwrap_or(&empty_cases);
            Ok(AgentScorecard {
                agent,
                csat: agent_csat
                    .get(&agent)
                    .unwrap_or(&empty_csat)
                    .csat_mean(targets)?,
                first_response_median: cases.first_response_time(Statistic::Median, targets),
                resolution_rate: cases.problem_resolution(targets)?,
            })
        })
        .collect::<Result<Vec<_>, KpiError>>()?;
    let operators = operator_orders
        .iter()
        .map(|(&operator, (customers, tally))| {
            Ok(OperatorScorecard {
                operator,
                customers: *customers,
                retention: tally.repeat_retention(targets)?,
                repurchase_lift: tally.repurchase_lift(targets),
            })
        })
        .collect::<Result<Vec<_>, KpiError>>()?;

    Ok(Scorecards {
        period: *period,
        as_of: spec.as_of,
        service,
        operations,
        product,
        dimensions,
        agents,
        operators,
    })
}

impl fmt::Display for Scorecards {
    /// A plain-text report: one KPI per line, grouped by team, then per person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "scorecards for {} as of {}",
            self.period,
            self.as_of.to_rfc3339()
        )?;
        let s = &self.service;
        writeln!(f, "\nservice team")?;
        for kpi in [
            &s.csat,
            &s.csat_top_two_box,
            &s.complaint_timeliness,
            &s.complaint_resolution,
            &s.problem_resolution,
            &s.first_contact_resolution,
            &s.first_response_median,
            &s.first_response_p90,
            &s.resolution_median,
        ]
        .into_iter()
        .chain(s.sla.iter())
        {
            writeln!(f, "  {kpi}")?;
        }
        writeln!(f, "  complaints pending: {}", s.complaints_pending)?;
        let o = &self.operations;
        writeln!(f, "\noperations team")?;
        for kpi in [
            &o.retention,
            &o.classic_retention,
            &o.churn,
            &o.repurchase_lift,
            &o.aov_lift,
            &o.purchase_frequency,
            &o.aov,
        ] {
            writeln!(f, "  {kpi}")?;
        }
        let p = &self.product;
        writeln!(f, "\nproduct team")?;
        for kpi in [
            &p.nps,
            &p.ces,
            &p.feedback_optimisation,
            &p.suggestion_adoption,
        ] {
            writeln!(f, "  {kpi}")?;
        }
        writeln!(
            f,
            "\nsatisfaction by dimension (change against the previous period)"
        )?;
        for d in &self.dimensions {
            let change = d
                .change
                .map_or_else(|| "no comparison".to_owned(), |c| format!("{c:+.2}"));
            writeln!(f, "  {}: {} [{change}]", d.dimension.as_str(), d.current)?;
        }
        writeln!(f, "\nagents")?;
        for a in &self.agents {
            writeln!(f, "  agent {}", a.agent)?;
            for kpi in [&a.csat, &a.first_response_median, &a.resolution_rate] {
                writeln!(f, "    {kpi}")?;
            }
        }
        writeln!(f, "\noperators")?;
        for o in &self.operators {
            writeln!(f, "  operator {} ({} customers)", o.operator, o.customers)?;
            for kpi in [&o.retention, &o.repurchase_lift] {
                writeln!(f, "    {kpi}")?;
            }
        }
        Ok(())
    }
}
