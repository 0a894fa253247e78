//! Case events: what a host records, and replays through
//! [`ServicePolicy::replay`](crate::service::ServicePolicy::replay).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::{CustomerId, OrderId};
use crate::service::CaseId;

/// One event of a case, as the host recorded it.
///
/// Events are replayed sorted by case, then by instant; events of one case at the
/// same instant are ordered `opened` first, then by [`id`](Self::id). The order in
/// which they arrive therefore never matters. An event delivered twice (equal in
/// every field) counts once; two different events of one case with the same id at
/// the same instant are an error, since nothing else could order them.
///
/// # Serde form
///
/// ```json
/// {"id": 1, "case": 10, "at": "2024-03-01T16:00:00Z", "event": "opened",
///  "customer": 7, "type": {"kind": "inquiry", "category": "order"}}
/// {"id": 2, "case": 10, "at": "2024-03-01T16:03:00Z", "event": "agent_reply"}
/// {"id": 3, "case": 10, "at": "2024-03-01T17:00:00Z", "event": "resolve", "cause": "carrier_delay"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// The host's id of the event (the tie-breaker between events at one instant).
    pub id: u64,
    /// The case it belongs to.
    pub case: CaseId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened to a case. The state machine of [`Status`](crate::service::Status)
/// says in which states each is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// The case is created (received).
    Opened(Box<Opening>),
    /// An agent acknowledges receipt (a first response).
    Acknowledge,
    /// An agent starts working on the case, or resumes after waiting.
    StartWork,
    /// An agent replies to the customer (a response).
    AgentReply,
    /// The customer writes (reopens a resolved case).
    CustomerReply,
    /// The case waits for the customer.
    WaitOnCustomer,
    /// The case waits for a third party (carrier, supplier, repair shop).
    WaitOnThirdParty,
    /// An agent tells the customer when the answer will come (a response, and a
    /// promised-answer clock due at `by`).
    PromiseAnswer {
        /// The promised instant.
        by: DateTime<Utc>,
    },
    /// The case is resolved, optionally with its root cause.
    Resolve {
        /// The root cause (tallied by the root-cause report).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
    },
    /// A resolved case is closed by hand (it also closes by itself after the
    /// configured time).
    Close,
    /// An agent reopens a resolved case.
    Reopen,
    /// The customer's verdict in a satisfaction survey or revisit.
    Satisfaction {
        /// Satisfied or not.
        verdict: Verdict,
    },
}

/// The data of an `opened` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// The customer.
    pub customer: CustomerId,
    /// Inquiry, after-sales request or complaint, with its details.
    #[serde(rename = "type")]
    pub case_type: CaseType,
    /// The priority (default `normal`).
    #[serde(default)]
    pub priority: Priority,
    /// Who handles it first (default `human`).
    #[serde(default)]
    pub handler: Handler,
    /// The intake channel (web, phone, chat…), free text that policies may read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The earlier case this one follows up (a closed case is followed by a new
    /// linked case, never reopened). Not checked against the log: the earlier case
    /// may be outside the events replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<CaseId>,
    /// Customer attributes that policy rules read, by name, in their text form
    /// (`tier = "vip"`, `clv = "1200 CNY"`); see
    /// [`ServiceDoc::customer_fields`](crate::service::ServiceDoc::customer_fields).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// The type of a case, with what belongs to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum CaseType {
    /// A question (SPEC R19).
    Inquiry {
        /// Its category.
        category: InquiryCategory,
    },
    /// An after-sales request (SPEC R20).
    AfterSales {
        /// Its category.
        category: AfterSalesCategory,
        /// The order concerned.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order: Option<OrderId>,
        /// When the order was delivered (for the no-reason return window).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivered: Option<DateTime<Utc>>,
    },
    /// A complaint (SPEC R21).
    Complaint {
        /// Its category, one of
        /// [`ServiceDoc::complaint_categories`](crate::service::ServiceDoc::complaint_categories).
        category: String,
        /// Its severity, one of
        /// [`ServiceDoc::severity_grades`](crate::service::ServiceDoc::severity_grades).
        severity: String,
        /// One customer or a group (a group complaint is escalated at once).
        #[serde(default)]
        scope: Scope,
        /// The order concerned.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order: Option<OrderId>,
    },
}

/// The category of an inquiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InquiryCategory {
    /// About a product.
    Product,
    /// About an order.
    Order,
    /// About after-sales service.
    AfterSales,
    /// Anything else.
    Other,
}

/// The category of an after-sales request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AfterSalesCategory {
    /// A return or an exchange.
    ReturnExchange,
    /// A repair.
    Repair,
    /// A complaint raised as an after-sales request.
    Complaint,
    /// Anything else.
    Other,
}

/// A case's priority.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// Who handles a case first.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Handler {
    /// A chatbot.
    Chatbot,
    /// A human agent.
    #[default]
    Human,
}

/// Whether a complaint comes from one customer or a group.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scope {
    /// One customer.
    #[default]
    Individual,
    /// A group of customers (escalated to management at once).
    Group,
}

/// A customer's verdict on how a case was handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Satisfied.
    Satisfied,
    /// Not satisfied: the case is handled again.
    Unsatisfied,
}

/// The name of an event, as the case history and errors show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum EventName {
    Opened,
    Acknowledge,
    StartWork,
    AgentReply,
    CustomerReply,
    WaitOnCustomer,
    WaitOnThirdParty,
    PromiseAnswer,
    Resolve,
    Close,
    Reopen,
    Satisfaction,
    /// Not an event a host sends: the configured time passed after resolution.
    AutoClose,
}

impl EventKind {
    /// The event's name.
    pub fn name(&self) -> EventName {
        match self {
            EventKind::Opened(_) => EventName::Opened,
            EventKind::Acknowledge => EventName::Acknowledge,
            EventKind::StartWork => EventName::StartWork,
            EventKind::AgentReply => EventName::AgentReply,
            EventKind::CustomerReply => EventName::CustomerReply,
            EventKind::WaitOnCustomer => EventName::WaitOnCustomer,
            EventKind::WaitOnThirdParty => EventName::WaitOnThirdParty,
            EventKind::PromiseAnswer { .. } => EventName::PromiseAnswer,
            EventKind::Resolve { .. } => EventName::Resolve,
            EventKind::Close => EventName::Close,
            EventKind::Reopen => EventName::Reopen,
            EventKind::Satisfaction { .. } => EventName::Satisfaction,
        }
    }
}

impl EventName {
    /// The serde name, e.g. `agent_reply`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::Opened => "opened",
            EventName::Acknowledge => "acknowledge",
            EventName::StartWork => "start_work",
            EventName::AgentReply => "agent_reply",
            EventName::CustomerReply => "customer_reply",
            EventName::WaitOnCustomer => "wait_on_customer",
            EventName::WaitOnThirdParty => "wait_on_third_party",
            EventName::PromiseAnswer => "promise_answer",
            EventName::Resolve => "resolve",
            EventName::Close => "close",
            EventName::Reopen => "reopen",
            EventName::Satisfaction => "satisfaction",
            EventName::AutoClose => "auto_close",
        }
    }
}

impl CaseType {
    /// The type's name: `inquiry`, `after_sales` or `complaint`.
    pub fn name(&self) -> &'static str {
        match self {
            CaseType::Inquiry { .. } => "inquiry",
            CaseType::AfterSales { .. } => "after_sales",
            CaseType::Complaint { .. } => "complaint",
        }
    }

    /// The category's name.
    pub fn category(&self) -> &str {
        match self {
            CaseType::Inquiry { category } => match category {
                InquiryCategory::Product => "product",
                InquiryCategory::Order => "order",
                InquiryCategory::AfterSales => "after_sales",
                InquiryCategory::Other => "other",
            },
            CaseType::AfterSales { category, .. } => match category {
                AfterSalesCategory::ReturnExchange => "return_exchange",
                AfterSalesCategory::Repair => "repair",
                AfterSalesCategory::Complaint => "complaint",
                AfterSalesCategory::Other => "other",
            },
            CaseType::Complaint { category, .. } => category,
        }
    }
}

impl Priority {
    /// The serde name, e.g. `urgent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

impl Handler {
    /// The serde name, e.g. `chatbot`.
    pub fn as_str(self) -> &'static str {
        match self {
            Handler::Chatbot => "chatbot",
            Handler::Human => "human",
        }
    }
}

impl Scope {
    /// The serde name, e.g. `group`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Individual => "individual",
            Scope::Group => "group",
        }
    }
}
