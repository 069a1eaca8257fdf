//! The organiser's components: figures against the caps, and the charts. Only the lazy
//! admin routes use them, so attendees never download them.

pub mod charts;
pub mod figures;
