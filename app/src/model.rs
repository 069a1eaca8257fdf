//! Types that cross the wire between the server functions and the pages.
//! Integers are `i64`, never `usize`; nothing secret is `Serialize` here.

mod money;
mod workshop;

pub use money::Usd;
pub use workshop::{WorkshopState, WorkshopSummary, WorkshopTime};
