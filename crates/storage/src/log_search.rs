//! A typed search over tenant log events: what `GET /api/v2/logs?q=`
//! asks for once the engine has parsed Auth0's query syntax. Backends
//! translate it with bound parameters only.
//!
//! Text fields match exactly (log values are machine-written: type codes,
//! ids, addresses). `Date` bounds are Unix milliseconds. A condition on a
//! field the event lacks (a `user_id` on a failed exchange without a user)
//! is false, and `Not` of it is true.

use crate::Bound;

/// A field log events can be searched by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogField {
    /// The Auth0 type code (`s`, `fp`, …).
    Type,
    UserId,
    ClientId,
    /// The connection's name.
    Connection,
    Ip,
    UserName,
}

/// A search condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogCondition {
    /// The field equals the value.
    Equals(LogField, String),
    /// The event's date lies within the bounds (`None`: open).
    Date {
        lower: Option<Bound>,
        upper: Option<Bound>,
    },
    And(Vec<LogCondition>),
    Or(Vec<LogCondition>),
    Not(Box<LogCondition>),
}

impl LogCondition {
    /// How deep the condition nests (backends may refuse very deep ones).
    pub fn depth(&self) -> usize {
        match self {
            Self::And(items) | Self::Or(items) => {
                1 + items.iter().map(Self::depth).max().unwrap_or(0)
            }
            Self::Not(inner) => 1 + inner.depth(),
            _ => 1,
        }
    }

    /// How many leaf comparisons the condition holds.
    pub fn leaves(&self) -> usize {
        match self {
            Self::And(items) | Self::Or(items) => items.iter().map(Self::leaves).sum(),
            Self::Not(inner) => inner.leaves(),
            _ => 1,
        }
    }
}

/// What `list_log_events` returns: the events matching `condition` (all
/// when `None`), newest first unless `ascending`, both by `date` then
/// `log_id`. With `Paging::after` set (Auth0's checkpoint `from`), only
/// events whose `log_id` sorts after it, in `log_id` order, whatever
/// `ascending` says: log ids begin with their time, and a consumer that
/// resumes from the last id it saw must never skip one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSearch {
    pub condition: Option<LogCondition>,
    pub ascending: bool,
}
