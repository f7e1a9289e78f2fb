//! A typed user search: the conditions and order a backend must apply.
//!
//! Callers (the engine's parser of Auth0's `q`) build these values; backends
//! translate them with bound parameters only. Text values of `Email`, `Name`
//! and `Username` are compared case-insensitively (`User::normalize_login`);
//! `Connection` is the connection's name, `UserId` is exact. Time values are
//! Unix milliseconds. A condition on a missing value (a user without an
//! email, never logged in) is false, and `Not` of it is true.

/// A field users can be searched or sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserField {
    Email,
    Name,
    Username,
    UserId,
    /// The name of the user's connection (`identities.connection`).
    Connection,
    /// The id of the user's connection: what [`UserField::Connection`]
    /// becomes once the caller has resolved the name, so the backend reads
    /// its connection index directly instead of joining on names.
    ConnectionId,
    LoginsCount,
    CreatedAt,
    LastLogin,
}

impl UserField {
    /// Integer fields take `Int` values; the others take `Text`.
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::LoginsCount | Self::CreatedAt | Self::LastLogin)
    }
}

/// One end of a range; `None` bounds are open (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub value: i64,
    pub inclusive: bool,
}

/// A search condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCondition {
    /// The text field equals the value.
    TextEquals(UserField, String),
    /// The text field starts with the value (`Email`, `Name`, `Username` only).
    TextPrefix(UserField, String),
    /// The numeric field lies within the bounds.
    Range {
        field: UserField,
        lower: Option<Bound>,
        upper: Option<Bound>,
    },
    And(Vec<UserCondition>),
    Or(Vec<UserCondition>),
    Not(Box<UserCondition>),
}

impl UserCondition {
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

/// The order of results; ties are broken by `user_id` in the same direction.
/// Missing values (no email, never logged in) come last either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserSort {
    pub field: UserField,
    pub descending: bool,
}

/// What `search_users` returns: every user matching `condition` (all users
/// when `None`), ordered by `sort` (by `user_id` when `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSearch {
    pub condition: Option<UserCondition>,
    pub sort: Option<UserSort>,
    /// Count matches only up to this many (`Page::total` is then
    /// `min(matches, total_limit)`). Auth0 reports at most 1,000 as a
    /// search's total; counting a million matches exactly costs a scan.
    pub total_limit: Option<u64>,
}
