//! The contract's wire form of the domain's values where it has one of its own: timestamps
//! and a listing's order.

use admin_domain::{Order, Timestamp};

/// An instant as the contract writes it (the domain's `Display`: six fractional digits, UTC,
/// no zone).
pub fn timestamp(at: Timestamp) -> String {
    at.to_string()
}

/// `asc` or `desc`.
pub const fn order(order: Order) -> &'static str {
    match order {
        Order::Asc => "asc",
        Order::Desc => "desc",
    }
}
