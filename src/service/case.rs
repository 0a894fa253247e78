//! The case state machine and the replay of event logs into cases.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::service::escalation::{EscalationState, EscalationTrigger};
use crate::service::policy::ServicePolicy;
use crate::service::schedule::Calendars;
use crate::service::sla::{instant, Basis, ClockRun};
use crate::service::{
    AfterSalesCategory, CaseEvent, CaseId, CaseType, Clock, Escalation, EventKind, EventName,
    FollowUp, FollowUpKind, Handler, Metric, Opening, Priority, Scope, ServiceError,
    ServiceErrorKind, SlaStatus, Verdict,
};

/// The status of a case.
///
/// # The state machine
///
/// Rows are the states a case can be in, columns the events; a cell is the state
/// after the event, `·` the same state, and `✗` an error
/// ([`ServiceErrorKind::IllegalTransition`]) naming the case, the state and the
/// event. A case starts `received` with its `opened` event; `auto_close` is not an
/// event but the configured time passing after `resolve`.
///
/// | from \ event | acknowledge | start_work | agent_reply | customer_reply | wait_on_customer | wait_on_third_party | promise_answer | resolve | close | reopen | satisfaction |
/// |---|---|---|---|---|---|---|---|---|---|---|---|
/// | received | acknowledged | in_progress | acknowledged | · | ✗ | ✗ | acknowledged | resolved | ✗ | ✗ | ✗ |
/// | acknowledged | ✗ | in_progress | · | · | waiting_on_customer | waiting_on_third_party | · | resolved | ✗ | ✗ | ✗ |
/// | in_progress | ✗ | ✗ | · | · | waiting_on_customer | waiting_on_third_party | · | resolved | ✗ | ✗ | ✗ |
/// | waiting_on_customer | ✗ | in_progress | · | in_progress | ✗ | waiting_on_third_party | · | resolved | ✗ | ✗ | ✗ |
/// | waiting_on_third_party | ✗ | in_progress | · | · | waiting_on_customer | ✗ | · | resolved | ✗ | ✗ | ✗ |
/// | resolved | ✗ | ✗ | · | reopened | ✗ | ✗ | ✗ | ✗ | closed | reopened | · (satisfied) / reopened (unsatisfied) |
/// | closed | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ | · |
/// | reopened | ✗ | in_progress | · | · | waiting_on_customer | waiting_on_third_party | · | resolved | ✗ | ✗ | ✗ |
///
/// A customer reply reopens a resolved case; a closed case is final: it can only be
/// followed by a new case whose `opened` event is `linked_to` it (an unsatisfied
/// verdict on a closed case hands the planner a
/// [`rehandle`](crate::service::FollowUpKind::Rehandle) follow-up for that).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Opened, nobody has answered yet.
    Received,
    /// An agent acknowledged receipt.
    Acknowledged,
    /// An agent works on it.
    InProgress,
    /// Waiting for the customer.
    WaitingOnCustomer,
    /// Waiting for a third party.
    WaitingOnThirdParty,
    /// Resolved; closes by itself after the configured time.
    Resolved,
    /// Closed: final.
    Closed,
    /// Reopened after resolution.
    Reopened,
}

/// One step of a case's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Transition {
    /// When.
    pub at: DateTime<Utc>,
    /// The event (or `auto_close`).
    pub event: EventName,
    /// The host's event id (`None` for `auto_close`).
    pub event_id: Option<u64>,
    /// The state before (`None` for `opened`).
    pub from: Option<Status>,
    /// The state after.
    pub to: Status,
}

/// Whether a return or exchange is inside the no-reason return window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReturnWindow {
    /// Opened at most the configured number of days (7) after delivery.
    Within,
    /// Opened later.
    Expired,
    /// No delivery instant, or one after the case was opened.
    Unknown,
}

/// A case replayed from its events, evaluated at `as_of`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Case {
    /// The case.
    pub id: CaseId,
    /// The customer.
    pub customer: CustomerId,
    /// Its type and details.
    pub case_type: CaseType,
    /// Its priority.
    pub priority: Priority,
    /// Who handles it first.
    pub handler: Handler,
    /// The intake channel.
    pub channel: Option<String>,
    /// The case it follows up.
    pub linked_to: Option<CaseId>,
    /// When it was opened.
    pub created: DateTime<Utc>,
    /// Its status at `as_of`.
    pub status: Status,
    /// The SLA policy it got (`None` when none applies).
    pub policy: Option<String>,
    /// For a return or exchange, whether it is a no-reason return.
    pub return_window: Option<ReturnWindow>,
    /// When it was last resolved, unless reopened since.
    pub resolved: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed: Option<DateTime<Utc>>,
    /// The root cause given at the last resolution.
    pub cause: Option<String>,
    /// The customer's last verdict.
    pub satisfaction: Option<Verdict>,
    /// Every event, in replay order, with the state before and after.
    pub history: Vec<Transition>,
    /// Its SLA clocks, in start order.
    pub clocks: Vec<Clock>,
    /// Its escalation levels, reached or upcoming, by due instant.
    pub escalations: Vec<Escalation>,
    /// The follow-ups it hands the planner, in trigger order.
    pub follow_ups: Vec<FollowUp>,
}

/// The cases of an event log, ordered by case id, evaluated at `as_of`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cases {
    as_of: DateTime<Utc>,
    cases: Vec<Case>,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 8] = [
        Status::Received,
        Status::Acknowledged,
        Status::InProgress,
        Status::WaitingOnCustomer,
        Status::WaitingOnThirdParty,
        Status::Resolved,
        Status::Closed,
        Status::Reopened,
    ];

    /// The serde name, e.g. `waiting_on_customer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Acknowledged => "acknowledged",
            Status::InProgress => "in_progress",
            Status::WaitingOnCustomer => "waiting_on_customer",
            Status::WaitingOnThirdParty => "waiting_on_third_party",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Reopened => "reopened",
        }
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The state after `event` (see the table on [`Status`]).
    ///
    /// # Errors
    ///
    /// [`ServiceErrorKind::IllegalTransition`] when the event is not allowed in this
    /// state; `opened` is never a transition.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::service::{EventKind, Status};
    ///
    /// assert_eq!(Status::Resolved.next(&EventKind::CustomerReply)?, Status::Reopened);
    /// let err = Status::Closed.next(&EventKind::CustomerReply).err().ok_or("expected an error")?;
    /// assert_eq!(
    ///     err.to_string(),
    ///     "`customer_reply` is not allowed in state `closed`: a closed case is final; expected a new case whose `opened` event is `linked_to` it",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next(self, event: &EventKind) -> Result<Status, ServiceErrorKind> {
        self.step(event)
            .ok_or_else(|| ServiceErrorKind::IllegalTransition {
                event: event.name().as_str(),
                state: self.as_str(),
                expected: expected(event.name(), self),
            })
    }

    /// The state after `event`, or `None` when it is not allowed.
    // One arm per group of cells of the documented table reads better than merged arms.
    #[allow(clippy::match_same_arms)]
    fn step(self, event: &EventKind) -> Option<Status> {
        use Status::{
            Acknowledged as A, Closed as C, InProgress as P, Received as R, Reopened as O,
            Resolved as S, WaitingOnCustomer as WC, WaitingOnThirdParty as WT,
        };
        match (event, self) {
            (EventKind::Opened(_), _) => None,
            (EventKind::Acknowledge, R) => Some(A),
            (EventKind::StartWork, R | A | WC | WT | O) => Some(P),
            (EventKind::AgentReply | EventKind::PromiseAnswer { .. }, R) => Some(A),
            (EventKind::AgentReply, A | P | WC | WT | O | S)
            | (EventKind::PromiseAnswer { .. }, A | P | WC | WT | O)
            | (EventKind::CustomerReply, R | A | P | WT | O)
            | (EventKind::Satisfaction { .. }, C) => Some(self),
            (EventKind::CustomerReply, WC) => Some(P),
            (EventKind::CustomerReply | EventKind::Reopen, S) => Some(O),
            (EventKind::WaitOnCustomer, A | P | WT | O) => Some(WC),
            (EventKind::WaitOnThirdParty, A | P | WC | O) => Some(WT),
            (EventKind::Resolve { .. }, R | A | P | WC | WT | O) => Some(S),
            (EventKind::Close, S) => Some(C),
            (EventKind::Satisfaction { verdict }, S) => Some(match verdict {
                Verdict::Satisfied => S,
                Verdict::Unsatisfied => O,
            }),
            _ => None,
        }
    }
}

/// What an illegal event needed.
fn expected(event: EventName, state: Status) -> String {
    if event == EventName::Opened {
        return "a case is opened once; expected a new case id".to_owned();
    }
    if state == Status::Closed {
        return "a closed case is final; expected a new case whose `opened` event is `linked_to` it"
            .to_owned();
    }
    let allowed: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| {
            let probe = match event {
                EventName::Acknowledge => EventKind::Acknowledge,
                EventName::StartWork => EventKind::StartWork,
                EventName::AgentReply => EventKind::AgentReply,
                EventName::CustomerReply => EventKind::CustomerReply,
                EventName::WaitOnCustomer => EventKind::WaitOnCustomer,
                EventName::WaitOnThirdParty => EventKind::WaitOnThirdParty,
                EventName::PromiseAnswer => EventKind::PromiseAnswer {
                    by: DateTime::<Utc>::MAX_UTC,
                },
                EventName::Resolve => EventKind::Resolve { cause: None },
                EventName::Close => EventKind::Close,
                EventName::Reopen => EventKind::Reopen,
                EventName::Satisfaction => EventKind::Satisfaction {
                    verdict: Verdict::Satisfied,
                },
                EventName::Opened | EventName::AutoClose => return false,
            };
            s.step(&probe).is_some()
        })
        .map(|s| s.as_str())
        .collect();
    let list: Vec<String> = allowed.iter().map(|s| format!("`{s}`")).collect();
    match list.as_slice() {
        [one] => format!("expected state {one}"),
        _ => format!("expected one of the states {}", list.join(", ")),
    }
}

impl Cases {
    /// The instant the cases are evaluated at.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.as_of
    }

    /// The cases, by case id.
    pub fn iter(&self) -> std::slice::Iter<'_, Case> {
        self.cases.iter()
    }

    /// The number of cases.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Whether there are no cases.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// The case `id`.
    pub fn get(&self, id: CaseId) -> Option<&Case> {
        self.cases
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .and_then(|idx| self.cases.get(idx))
    }

    /// Every breached clock, with its case, by case id then start.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::service::{CaseEvent, EscalationState, Metric, ServiceDoc, ServicePolicy};
    ///
    /// let policy = ServicePolicy::compile(&ServiceDoc::reference())?;
    /// let events: Vec<CaseEvent> = serde_json::from_str(r#"[
    ///     {"id": 1, "case": 3, "at": "2024-03-01T10:00:00Z", "event": "opened", "customer": 7,
    ///      "type": {"kind": "complaint", "category": "fraud", "severity": "critical"}},
    ///     {"id": 2, "case": 3, "at": "2024-03-01T10:01:00Z", "event": "acknowledge"}
    /// ]"#)?;
    /// let as_of = Utc.with_ymd_and_hms(2024, 3, 2, 12, 0, 0).single().ok_or("date")?;
    /// let cases = policy.replay(&events, as_of)?;
    /// let breached: Vec<_> = cases.breaches().map(|(case, clock)| (case.id.0, clock.metric)).collect();
    /// assert_eq!(breached, [(3, Metric::Resolution)]); // 26 hours of 24
    /// let levels: Vec<_> = cases.escalations().iter().map(|e| (e.level.as_str(), e.state)).collect();
    /// assert_eq!(levels, [
    ///     ("warning", EscalationState::Reached),
    ///     ("breach", EscalationState::Reached),
    ///     ("management", EscalationState::Upcoming),
    /// ]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn breaches(&self) -> impl Iterator<Item = (&Case, &Clock)> + '_ {
        self.cases.iter().flat_map(|case| {
            case.clocks
                .iter()
                .filter(|c| c.status == SlaStatus::Breached)
                .map(move |clock| (case, clock))
        })
    }

    /// Every escalation level, reached or upcoming, by due instant then case id.
    pub fn escalations(&self) -> Vec<&Escalation> {
        let mut all: Vec<&Escalation> = self.cases.iter().flat_map(|c| &c.escalations).collect();
        all.sort_by(|a, b| (a.due, a.case, &a.level).cmp(&(b.due, b.case, &b.level)));
        all
    }

    /// Every follow-up for the planner, by due instant, then case id and kind.
    pub fn follow_ups(&self) -> Vec<&FollowUp> {
        let mut all: Vec<&FollowUp> = self.cases.iter().flat_map(|c| &c.follow_ups).collect();
        all.sort_by_key(|f| (f.due, f.case, f.kind, f.at));
        all
    }
}

impl<'a> IntoIterator for &'a Cases {
    type Item = &'a Case;
    type IntoIter = std::slice::Iter<'a, Case>;

    fn into_iter(self) -> Self::IntoIter {
        self.cases.iter()
    }
}

impl ServicePolicy {
    /// Replays an event log into cases as of `as_of`.
    ///
    /// Events after `as_of` are left out (the cases are what was known at `as_of`),
    /// and an event delivered twice (equal in every field) counts once.
    /// The rest are sorted by case, instant, `opened` first, then event id, so the
    /// order of arrival does not matter; each case's events then run through the
    /// state machine of [`Status`], its SLA clocks (see [`Metric`]) and the closed
    /// loop. A resolved case closes automatically once the configured time has
    /// passed, before any later event of the case (an event at that very instant
    /// finds it closed) and at `as_of`.
    ///
    /// # Errors
    ///
    /// The first problem in replay order, naming the case and the event: two
    /// different events with one id at one instant, an event for a case never opened, an event before the case's `opened`, a second
    /// `opened`, an illegal transition, a complaint category or severity outside the
    /// configured ones, an unreadable customer attribute, a promise not in the future,
    /// or a business-hours deadline the schedule cannot reach.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::service::{CaseEvent, CaseId, Metric, ServiceDoc, ServicePolicy, SlaStatus, Status};
    ///
    /// let policy = ServicePolicy::compile(&ServiceDoc::reference())?;
    /// let events: Vec<CaseEvent> = serde_json::from_str(r#"[
    ///     {"id": 1, "case": 10, "at": "2024-03-01T16:00:00Z", "event": "opened",
    ///      "customer": 7, "type": {"kind": "inquiry", "category": "order"}},
    ///     {"id": 2, "case": 10, "at": "2024-03-01T16:03:00Z", "event": "agent_reply"},
    ///     {"id": 3, "case": 10, "at": "2024-03-01T16:10:00Z", "event": "customer_reply"}
    /// ]"#)?;
    /// let as_of = Utc.with_ymd_and_hms(2024, 3, 1, 16, 20, 0).single().ok_or("date")?;
    /// let cases = policy.replay(&events, as_of)?;
    /// let case = cases.get(CaseId(10)).ok_or("case 10")?;
    /// assert_eq!(case.status, Status::Acknowledged);
    /// assert_eq!(case.policy.as_deref(), Some("standard"));
    /// let statuses: Vec<_> = case.clocks.iter().map(|c| (c.metric, c.status)).collect();
    /// assert_eq!(statuses, [
    ///     (Metric::FirstResponse, SlaStatus::Achieved), // 3 minutes of 5
    ///     (Metric::NextResponse, SlaStatus::Breached),  // 10 minutes of 5 and counting
    /// ]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay(
        &self,
        events: &[CaseEvent],
        as_of: DateTime<Utc>,
    ) -> Result<Cases, ServiceError> {
        // Sort compact keys rather than the events: one pass over memory, no pointer
        // chasing in the comparisons except for ties, which compare event ids.
        let mut order: Vec<SortKey> = Vec::with_capacity(events.len());
        order.extend(
            events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.at <= as_of)
                .map(|(idx, e)| SortKey::new(e, idx)),
        );
        let id_of = |key: &SortKey| events.get(key.idx).map_or(0, |e| e.id);
        order.sort_unstable_by(|a, b| {
            a.instant()
                .cmp(&b.instant())
                .then_with(|| id_of(a).cmp(&id_of(b)))
                .then_with(|| a.idx.cmp(&b.idx))
        });
        let n_cases = order.chunk_by(|a, b| a.case == b.case).count();
        let mut calendars = Calendars::new(&self.schedules);
        let mut cases = Vec::with_capacity(n_cases);
        let mut group: Vec<&CaseEvent> = Vec::new();
        for run in order.chunk_by(|a, b| a.case == b.case) {
            group.clear();
            let mut previous: Option<&CaseEvent> = None;
            for key in run {
                let Some(event) = events.get(key.idx) else {
                    continue;
                };
                // The same event delivered twice counts once; two different events
                // with one id at one instant would make the order depend on arrival.
                if let Some(prev) = previous.filter(|p| p.at == event.at && p.id == event.id) {
                    if prev == event {
                        continue;
                    }
                    return Err(ServiceError::at_event(
                        event.case,
                        event.id,
                        ServiceErrorKind::DuplicateEventId { at: event.at },
                    ));
                }
                previous = Some(event);
                group.push(event);
            }
            cases.push(self.replay_case(&group, as_of, &mut calendars)?);
        }
        Ok(Cases { as_of, cases })
    }

    fn replay_case<'p>(
        &'p self,
        events: &[&CaseEvent],
        as_of: DateTime<Utc>,
        calendars: &mut Calendars<'p>,
    ) -> Result<Case, ServiceError> {
        let Some((first, rest)) = events.split_first() else {
            return Err(ServiceError::bare(ServiceErrorKind::UnknownCase {
                event: EventName::Opened.as_str(),
            }));
        };
        let EventKind::Opened(opening) = &first.kind else {
            let kind = match events
                .iter()
                .find(|e| matches!(e.kind, EventKind::Opened(_)))
            {
                Some(opened) => ServiceErrorKind::BeforeCreation {
                    event: first.kind.name().as_str(),
                    at: first.at,
                    created: opened.at,
                },
                None => ServiceErrorKind::UnknownCase {
                    event: first.kind.name().as_str(),
                },
            };
            return Err(ServiceError::at_event(first.case, first.id, kind));
        };
        let mut replay = Replay::open(self, calendars, first, opening, events.len())?;
        for event in rest {
            replay.apply(event)?;
        }
        replay.finish(as_of.timestamp())
    }
}

/// Where an event goes in replay order: case, instant, `opened` first (then the
/// event id, looked up on ties).
#[derive(Clone, Copy, Debug)]
struct SortKey {
    case: u64,
    seconds: i64,
    /// Nanoseconds, shifted left by one; the low bit is set for all but `opened`.
    nanos_rank: u32,
    idx: usize,
}

impl SortKey {
    fn new(event: &CaseEvent, idx: usize) -> SortKey {
        let later = u32::from(!matches!(event.kind, EventKind::Opened(_)));
        SortKey {
            case: event.case.0,
            seconds: event.at.timestamp(),
            // Sub-second nanoseconds are below 2^31 (a leap second reaches 1.999…e9).
            nanos_rank: (event.at.timestamp_subsec_nanos() << 1) | later,
            idx,
        }
    }

    fn instant(&self) -> (u64, i64, u32) {
        (self.case, self.seconds, self.nanos_rank)
    }
}

/// The state of one case during replay.
struct Replay<'p, 'c> {
    policy: &'p ServicePolicy,
    cal: &'c mut Calendars<'p>,
    policy_idx: Option<usize>,
    opened_by: u64,
    case: Case,
    resolved_s: Option<i64>,
    responded: bool,
    clocks: Vec<ClockRun>,
}

impl<'p, 'c> Replay<'p, 'c> {
    fn open(
        policy: &'p ServicePolicy,
        cal: &'c mut Calendars<'p>,
        event: &CaseEvent,
        opening: &Opening,
        n_events: usize,
    ) -> Result<Replay<'p, 'c>, ServiceError> {
        let err = |kind| ServiceError::at_event(event.case, event.id, kind);
        let policy_idx = policy.select_index(opening, event.at).map_err(err)?;
        let created_s = event.at.timestamp();
        let mut clocks = Vec::new();
        let mut escalations = Vec::new();
        if let Some(compiled) = policy_idx.and_then(|idx| policy.policies.get(idx)) {
            for (idx, target) in compiled.targets.iter().enumerate() {
                if matches!(target.metric, Metric::FirstResponse | Metric::Resolution) {
                    clocks.push(ClockRun::new(
                        target.metric,
                        Some(idx),
                        target.basis,
                        target.pause_in,
                        target.target_s,
                        target.escalations.iter().map(|(_, t)| *t),
                        created_s,
                    ));
                }
            }
        }
        for clock in &mut clocks {
            // A clock whose pause statuses include `received` starts paused.
            if clock.pauses_in(Status::Received) {
                clock.running_since = None;
            }
        }
        if let CaseType::Complaint {
            scope: Scope::Group,
            ..
        } = opening.case_type
        {
            escalations.push(Escalation {
                case: event.case,
                customer: opening.customer,
                trigger: EscalationTrigger::GroupComplaint,
                level: policy.group_level.clone(),
                due: event.at,
                state: EscalationState::Reached,
            });
        }
        let return_window = match &opening.case_type {
            CaseType::AfterSales {
                category: AfterSalesCategory::ReturnExchange,
                delivered,
                ..
            } => Some(match delivered {
                Some(delivered) if *delivered <= event.at => {
                    let days = event
                        .at
                        .with_timezone(&policy.zone)
                        .date_naive()
                        .signed_duration_since(delivered.with_timezone(&policy.zone).date_naive())
                        .num_days();
                    if days <= i64::from(policy.return_window_days) {
                        ReturnWindow::Within
                    } else {
                        ReturnWindow::Expired
                    }
                }
                _ => ReturnWindow::Unknown,
            }),
            _ => None,
        };
        let case = Case {
            id: event.case,
            customer: opening.customer,
            case_type: opening.case_type.clone(),
            priority: opening.priority,
            handler: opening.handler,
            channel: opening.channel.clone(),
            linked_to: opening.linked_to,
            created: event.at,
            status: Status::Received,
            policy: policy_idx
                .and_then(|idx| policy.policies.get(idx))
                .map(|p| p.name.clone()),
            return_window,
            resolved: None,
            closed: None,
            cause: None,
            satisfaction: None,
            history: {
                // One entry per event, and one more for an automatic close.
                let mut history = Vec::with_capacity(n_events + 1);
                history.push(Transition {
                    at: event.at,
                    event: EventName::Opened,
                    event_id: Some(event.id),
                    from: None,
                    to: Status::Received,
                });
                history
            },
            clocks: Vec::new(),
            escalations,
            follow_ups: Vec::new(),
        };
        Ok(Replay {
            policy,
            cal,
            policy_idx,
            opened_by: event.id,
            case,
            resolved_s: None,
            responded: false,
            clocks,
        })
    }

    fn apply(&mut self, event: &CaseEvent) -> Result<(), ServiceError> {
        let err = |kind| ServiceError::at_event(event.case, event.id, kind);
        // Errors raised without a case (schedule arithmetic) get this case and event.
        let locate =
            |e: ServiceError| ServiceError::at_event(event.case, event.id, e.kind().clone());
        if let EventKind::Opened(_) = event.kind {
            return Err(err(ServiceErrorKind::DuplicateCase {
                first: self.opened_by,
            }));
        }
        let at = event.at.timestamp();
        self.auto_close(at);
        let from = self.case.status;
        let to = from.next(&event.kind).map_err(err)?;
        match &event.kind {
            EventKind::Acknowledge | EventKind::AgentReply | EventKind::PromiseAnswer { .. } => {
                self.responded = true;
                for clock in &mut self.clocks {
                    let answers = match clock.metric {
                        Metric::FirstResponse | Metric::NextResponse => true,
                        Metric::PromisedAnswer => matches!(event.kind, EventKind::AgentReply),
                        Metric::Resolution => false,
                    };
                    if answers {
                        clock.stop(at, self.cal).map_err(locate)?;
                    }
                }
                if let EventKind::PromiseAnswer { by } = event.kind {
                    if by <= event.at {
                        return Err(err(ServiceErrorKind::PromiseInPast { by, at: event.at }));
                    }
                    self.clocks
                        .retain(|c| c.metric != Metric::PromisedAnswer || c.is_stopped());
                    self.clocks.push(ClockRun::new(
                        Metric::PromisedAnswer,
                        None,
                        Basis::Calendar,
                        0,
                        by.timestamp() - at,
                        std::iter::empty(),
                        at,
                    ));
                }
            }
            EventKind::CustomerReply => {
                let waiting = self
                    .clocks
                    .iter()
                    .any(|c| c.metric == Metric::NextResponse && !c.is_stopped());
                if (self.responded || from == Status::Resolved) && !waiting {
                    self.start_next_response(at);
                }
            }
            EventKind::Resolve { cause } => {
                for clock in &mut self.clocks {
                    clock.stop(at, self.cal).map_err(locate)?;
                }
                self.resolved_s = Some(at);
                self.case.resolved = Some(event.at);
                self.case.cause.clone_from(cause);
                if let CaseType::AfterSales { .. } = self.case.case_type {
                    self.follow_up(
                        FollowUpKind::SatisfactionSurvey,
                        at,
                        self.policy.satisfaction_s,
                    );
                }
            }
            EventKind::Close => self.close(at),
            EventKind::Satisfaction { verdict } => {
                self.case.satisfaction = Some(*verdict);
                if from == Status::Closed && *verdict == Verdict::Unsatisfied {
                    self.follow_up(FollowUpKind::Rehandle, at, 0);
                }
            }
            _ => {}
        }
        if to == Status::Reopened && from == Status::Resolved {
            self.resolved_s = None;
            self.case.resolved = None;
            for clock in &mut self.clocks {
                if clock.metric == Metric::Resolution {
                    clock.restart(at, to);
                }
            }
        }
        // Every clock follows the status, including one this event started (idempotent
        // for the others).
        for clock in &mut self.clocks {
            clock.on_status(to, at, self.cal).map_err(locate)?;
        }
        self.case.status = to;
        self.case.history.push(Transition {
            at: event.at,
            event: event.kind.name(),
            event_id: Some(event.id),
            from: Some(from),
            to,
        });
        Ok(())
    }

    fn start_next_response(&mut self, at: i64) {
        let Some(compiled) = self
            .policy_idx
            .and_then(|idx| self.policy.policies.get(idx))
        else {
            return;
        };
        if let Some((idx, target)) = compiled
            .targets
            .iter()
            .enumerate()
            .find(|(_, t)| t.metric == Metric::NextResponse)
        {
            self.clocks.push(ClockRun::new(
                Metric::NextResponse,
                Some(idx),
                target.basis,
                target.pause_in,
                target.target_s,
                target.escalations.iter().map(|(_, t)| *t),
                at,
            ));
        }
    }

    /// Closes a resolved case whose auto-close time is at or before `at`.
    fn auto_close(&mut self, at: i64) {
        if self.case.status != Status::Resolved {
            return;
        }
        let Some(resolved) = self.resolved_s else {
            return;
        };
        let close_at = resolved.saturating_add(self.policy.auto_close_s);
        if close_at <= at {
            self.case.history.push(Transition {
                at: instant(close_at),
                event: EventName::AutoClose,
                event_id: None,
                from: Some(Status::Resolved),
                to: Status::Closed,
            });
            self.case.status = Status::Closed;
            self.close(close_at);
        }
    }

    fn close(&mut self, at: i64) {
        self.case.closed = Some(instant(at));
        if let CaseType::Complaint { .. } = self.case.case_type {
            self.follow_up(FollowUpKind::ResultNotice, at, 0);
            self.follow_up(FollowUpKind::SatisfactionRevisit, at, self.policy.revisit_s);
        }
    }

    fn follow_up(&mut self, kind: FollowUpKind, at: i64, within: i64) {
        self.case.follow_ups.push(FollowUp {
            customer: self.case.customer,
            case: self.case.id,
            kind,
            at: instant(at),
            due: instant(at.saturating_add(within)),
        });
    }

    fn finish(mut self, as_of: i64) -> Result<Case, ServiceError> {
        self.auto_close(as_of);
        let err = |e: ServiceError| {
            ServiceError::at_event(self.case.id, self.opened_by, e.kind().clone())
        };
        let compiled = self
            .policy_idx
            .and_then(|idx| self.policy.policies.get(idx));
        let mut clocks = Vec::with_capacity(self.clocks.len());
        for clock in &self.clocks {
            let (report, crossings) = clock.report(as_of, self.cal).map_err(err)?;
            clocks.push(report);
            let target = clock
                .target
                .and_then(|idx| compiled.and_then(|p| p.targets.get(idx)));
            let Some(target) = target else { continue };
            for ((level, _), crossing) in target.escalations.iter().zip(crossings.iter().skip(1)) {
                let Some(due) = *crossing else { continue };
                let state = if due <= as_of {
                    EscalationState::Reached
                } else {
                    EscalationState::Upcoming
                };
                self.case.escalations.push(Escalation {
                    case: self.case.id,
                    customer: self.case.customer,
                    trigger: EscalationTrigger::Target(clock.metric),
                    level: level.clone(),
                    due: instant(due),
                    state,
                });
            }
        }
        self.case
            .escalations
            .sort_by(|a, b| (a.due, &a.level).cmp(&(b.due, &b.level)));
        self.case.clocks = clocks;
        Ok(self.case)
    }
}
