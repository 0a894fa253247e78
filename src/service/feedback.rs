//! Suggestions and feedback (SPEC R22): classified, evaluated, adopted or not,
//! answered — enough for the adoption rate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::service::{Period, ServiceError, ServiceErrorKind};

/// A customer's suggestion or feedback, and what became of it.
///
/// Its life is `received` → `evaluated` (adopted or not) → `answered`; each step is
/// recorded once, at or after the one before.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::CustomerId;
/// use patronage::service::{Adoption, Feedback, FeedbackClass};
///
/// let at = |d| Utc.with_ymd_and_hms(2024, 3, d, 12, 0, 0).single().ok_or("date");
/// let mut item = Feedback::new(1, CustomerId(7), at(1)?, FeedbackClass::Improvement);
/// item.evaluate(at(3)?, Adoption::Adopted)?;
/// item.answer(at(4)?)?;
/// assert_eq!(item.adoption(), Some(Adoption::Adopted));
/// let err = item.evaluate(at(5)?, Adoption::NotAdopted).err().ok_or("expected an error")?;
/// assert_eq!(err.to_string(), "feedback `1`: `evaluate` is not allowed: it was evaluated at 2024-03-03 12:00:00 UTC; expected one evaluation");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    id: u64,
    customer: CustomerId,
    received: DateTime<Utc>,
    class: FeedbackClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    evaluated: Option<(DateTime<Utc>, Adoption)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    answered: Option<DateTime<Utc>>,
}

/// How a feedback item is classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FeedbackClass {
    /// Needs action at once.
    Urgent,
    /// A general remark.
    General,
    /// A suggestion for improvement.
    Improvement,
}

/// Whether a suggestion was adopted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adoption {
    /// Adopted.
    Adopted,
    /// Not adopted.
    NotAdopted,
}

/// Counts of the feedback received in a period (by `received`), per class and in
/// total, with the adoption rate's numerator and denominator.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FeedbackSummary {
    /// Items received in the period.
    pub received: u64,
    /// Of those, items evaluated.
    pub evaluated: u64,
    /// Of those, items adopted.
    pub adopted: u64,
    /// Of those, items answered.
    pub answered: u64,
    /// Items received per class: urgent, general, improvement.
    pub by_class: [u64; 3],
}

impl Feedback {
    /// A feedback item received at `received`.
    pub fn new(
        id: u64,
        customer: CustomerId,
        received: DateTime<Utc>,
        class: FeedbackClass,
    ) -> Feedback {
        Feedback {
            id,
            customer,
            received,
            class,
            evaluated: None,
            answered: None,
        }
    }

    /// Records the evaluation.
    ///
    /// # Errors
    ///
    /// [`ServiceErrorKind::Feedback`] when the item was already evaluated, or `at`
    /// is before it was received.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::service::{Adoption, Feedback, FeedbackClass};
    ///
    /// let at = |d| Utc.with_ymd_and_hms(2024, 3, d, 12, 0, 0).single().ok_or("date");
    /// let mut item = Feedback::new(2, CustomerId(7), at(5)?, FeedbackClass::General);
    /// let err = item.evaluate(at(4)?, Adoption::Adopted).err().ok_or("expected an error")?;
    /// assert_eq!(err.to_string(), "feedback `2`: `evaluate` is not allowed: 2024-03-04 12:00:00 UTC is before the item was received at 2024-03-05 12:00:00 UTC");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(&mut self, at: DateTime<Utc>, adoption: Adoption) -> Result<(), ServiceError> {
        if let Some((when, _)) = self.evaluated {
            return Err(self.error(
                "evaluate",
                format!("it was evaluated at {when}; expected one evaluation"),
            ));
        }
        if at < self.received {
            return Err(self.error(
                "evaluate",
                format!("{at} is before the item was received at {}", self.received),
            ));
        }
        self.evaluated = Some((at, adoption));
        Ok(())
    }

    /// Records the answer to the customer.
    ///
    /// # Errors
    ///
    /// [`ServiceErrorKind::Feedback`] when the item is not evaluated yet, was
    /// already answered, or `at` is before the evaluation.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::service::{Feedback, FeedbackClass};
    ///
    /// let at = Utc.with_ymd_and_hms(2024, 3, 5, 12, 0, 0).single().ok_or("date")?;
    /// let mut item = Feedback::new(3, CustomerId(7), at, FeedbackClass::Urgent);
    /// let err = item.answer(at).err().ok_or("expected an error")?;
    /// assert_eq!(err.to_string(), "feedback `3`: `answer` is not allowed: the item is not evaluated; expected `evaluate` first");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn answer(&mut self, at: DateTime<Utc>) -> Result<(), ServiceError> {
        let Some((evaluated, _)) = self.evaluated else {
            return Err(self.error(
                "answer",
                "the item is not evaluated; expected `evaluate` first".to_owned(),
            ));
        };
        if let Some(when) = self.answered {
            return Err(self.error(
                "answer",
                format!("it was answered at {when}; expected one answer"),
            ));
        }
        if at < evaluated {
            return Err(self.error(
                "answer",
                format!("{at} is before the evaluation at {evaluated}"),
            ));
        }
        self.answered = Some(at);
        Ok(())
    }

    fn error(&self, event: &'static str, expected: String) -> ServiceError {
        ServiceError::bare(ServiceErrorKind::Feedback {
            id: self.id,
            event,
            expected,
        })
    }

    /// The item's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// When it was received.
    pub fn received(&self) -> DateTime<Utc> {
        self.received
    }

    /// Its class.
    pub fn class(&self) -> FeedbackClass {
        self.class
    }

    /// Whether it was adopted, once evaluated.
    pub fn adoption(&self) -> Option<Adoption> {
        self.evaluated.map(|(_, adoption)| adoption)
    }

    /// When it was evaluated.
    pub fn evaluated(&self) -> Option<DateTime<Utc>> {
        self.evaluated.map(|(at, _)| at)
    }

    /// When it was answered.
    pub fn answered(&self) -> Option<DateTime<Utc>> {
        self.answered
    }
}

impl FeedbackSummary {
    /// Counts the items received in `period`.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::service::{Adoption, Feedback, FeedbackClass, FeedbackSummary, Period};
    ///
    /// let at = |d| Utc.with_ymd_and_hms(2024, 3, d, 12, 0, 0).single().ok_or("date");
    /// let mut a = Feedback::new(1, CustomerId(7), at(1)?, FeedbackClass::Improvement);
    /// a.evaluate(at(2)?, Adoption::Adopted)?;
    /// let mut b = Feedback::new(2, CustomerId(8), at(1)?, FeedbackClass::Improvement);
    /// b.evaluate(at(2)?, Adoption::NotAdopted)?;
    /// let c = Feedback::new(3, CustomerId(9), at(3)?, FeedbackClass::Urgent);
    /// let summary = FeedbackSummary::of(&[a, b, c], Period::new(at(1)?, at(10)?));
    /// assert_eq!((summary.received, summary.evaluated, summary.adopted), (3, 2, 1));
    /// assert_eq!(summary.adoption_rate(), Some(0.5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(items: &[Feedback], period: Period) -> FeedbackSummary {
        let mut summary = FeedbackSummary::default();
        for item in items.iter().filter(|i| period.contains(i.received)) {
            summary.received += 1;
            let class = match item.class {
                FeedbackClass::Urgent => 0,
                FeedbackClass::General => 1,
                FeedbackClass::Improvement => 2,
            };
            if let Some(count) = summary.by_class.get_mut(class) {
                *count += 1;
            }
            if let Some(adoption) = item.adoption() {
                summary.evaluated += 1;
                if adoption == Adoption::Adopted {
                    summary.adopted += 1;
                }
            }
            if item.answered.is_some() {
                summary.answered += 1;
            }
        }
        summary
    }

    /// Adopted / evaluated (`None` when nothing was evaluated).
    pub fn adoption_rate(&self) -> Option<f64> {
        (self.evaluated > 0).then(|| self.adopted as f64 / self.evaluated as f64)
    }
}
