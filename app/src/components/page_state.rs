//! State that several islands of one page share: each island is hydrated on its own,
//! with no context from the page around it, so what they share lives in the browser's
//! one thread (the page) instead.

use std::thread::LocalKey;

use leptos::prelude::*;

/// A handle, owned by the calling island, on the page-wide signal in `cell`. In the
/// browser every island gets the same signal. On the server nothing ever writes it, and
/// each render gets a signal of its own so no request sees another's.
pub fn page_wide<T>(cell: &'static LocalKey<ArcRwSignal<T>>) -> RwSignal<T>
where
    T: Clone + Default + Send + Sync + 'static,
{
    if cfg!(feature = "ssr") {
        RwSignal::new(T::default())
    } else {
        RwSignal::from(cell.with(ArcRwSignal::clone))
    }
}
