//! Types that cross the wire between the server functions and the pages. Nothing here
//! depends on `api`, `server` or `components`; integers are `i64`, never `usize`; nothing
//! secret is `Serialize` here except the owner's own key in [`MyKey`], whose `Debug` is
//! redacted.

mod admin;
mod claim;
mod claim_page;
mod money;
mod projector;
mod sign_in;
mod site;
pub mod snippets;
mod workshop;

pub use admin::{
    AdminCharts, AdminFigures, AdminOverview, AdminWorkshop, AdminWorkshopCard, BulkTopUpReport,
    ChangeMark, ClaimRow, ClaimsTable, DisableReport, GuardrailDrift, PoolFigures, RowStatus,
    SortBy, Spender, TimeBucket, TopUpPreview, TopUpRecord, WorkshopConfig, ROWS_PER_PAGE,
};
pub use claim::{ClaimOverview, ClaimStatus, MyKey, RetryReport, SyncNowOutcome};
pub use claim_page::{ClaimPage, ClaimView, MarketingChoice, SoldOut, WorkshopFigures};
pub use money::Usd;
pub use projector::{Projector, QrMatrix};
pub use sign_in::SignInErrorCode;
pub use site::{provider_display_name, CurrentUser, SignInMethodsInfo, SiteInfo};
pub use workshop::{WorkshopState, WorkshopSummary, WorkshopTime};
