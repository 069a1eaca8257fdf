//! The admin page's query (`?q=…&status=…&sort=…&page=…&top_up=…`): the table's search,
//! filter, sort and page, and the amount of a bulk top-up being previewed. It lives in
//! the URL, so every view can be shared and, before hydration, the GET forms and page
//! links simply load it. Once the room is hydrated, [`QueryForm`] and [`QueryLink`] put
//! the new query in the address bar and the room reloads only its data, as the browser's
//! back and forward buttons do.

use leptos::prelude::*;

use crate::browser::{current_query, form_query, push_query};

/// The table's query and the previewed top-up amount, read from a query string.
#[derive(Clone, PartialEq)]
pub struct TableParams {
    pub search: String,
    pub status: String,
    pub sort: String,
    pub page: i64,
    pub top_up: Option<String>,
}

impl TableParams {
    /// Reads `q`, `status`, `sort`, `page` and `top_up`; anything missing or malformed
    /// takes its default (everyone, the default order, the first page, no preview).
    pub fn from_query(query: &str) -> Self {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        TableParams {
            search: get("q").unwrap_or_default(),
            status: get("status").unwrap_or_default(),
            sort: get("sort").unwrap_or_default(),
            page: get("page").and_then(|page| page.parse().ok()).unwrap_or(1),
            top_up: get("top_up").filter(|amount| !amount.trim().is_empty()),
        }
    }

    /// The parts a form on the page keeps when it changes another.
    pub fn kept(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.search.clone()),
            ("status", self.status.clone()),
            ("sort", self.sort.clone()),
        ]
    }
}

/// The page's query string (without `?`), shared by the room's parts.
#[derive(Clone, Copy)]
pub struct PageQuery(RwSignal<String>);

impl PageQuery {
    /// Provides the query the page was loaded with; after hydration, the browser's back
    /// and forward buttons move it too.
    pub fn provide(initial: String) -> Self {
        let query = PageQuery(RwSignal::new(initial));
        provide_context(query);
        let handle = window_event_listener(leptos::ev::popstate, move |_| {
            if let Some(now) = current_query() {
                query.0.set(now);
            }
        });
        on_cleanup(move || handle.remove());
        query
    }

    pub fn params(&self) -> TableParams {
        self.0.with(|query| TableParams::from_query(query))
    }

    /// Shows `query`: in the address bar, as a new history entry, and on the page.
    fn go(&self, query: String) {
        push_query(&query);
        self.0.set(query);
    }
}

fn use_page_query() -> PageQuery {
    expect_context::<PageQuery>()
}

/// A GET form of the page's query (`action=""`): without JavaScript it loads the page
/// with its fields as the query; hydrated, it shows that query in place.
#[component]
pub fn QueryForm(#[prop(into)] class: String, children: Children) -> impl IntoView {
    let query = use_page_query();
    let submit = move |event: leptos::ev::SubmitEvent| {
        if let Some(next) = form_query(&event) {
            event.prevent_default();
            query.go(next);
        }
    };
    view! {
        <form method="get" action="" class=class on:submit=submit>
            {children()}
        </form>
    }
}

/// A link to `?query`: a plain link before hydration, shown in place after it.
#[component]
pub fn QueryLink(query: String, rel: &'static str, children: Children) -> impl IntoView {
    let page_query = use_page_query();
    let href = format!("?{query}");
    let click = move |event: leptos::ev::MouseEvent| {
        // A new tab or window keeps the browser's own behaviour.
        if event.ctrl_key() || event.meta_key() || event.shift_key() || event.button() != 0 {
            return;
        }
        event.prevent_default();
        page_query.go(query.clone());
    };
    view! { <a href=href rel=rel on:click=click>{children()}</a> }
}

#[cfg(test)]
mod tests {
    use super::TableParams;

    #[test]
    fn a_query_string_reads_as_the_table_params_with_defaults_for_the_rest() {
        let params = TableParams::from_query("q=ada%40example.com&status=unbound&page=3&top_up=2");
        assert_eq!(params.search, "ada@example.com");
        assert_eq!(params.status, "unbound");
        assert_eq!(params.sort, "");
        assert_eq!(params.page, 3);
        assert_eq!(params.top_up.as_deref(), Some("2"));
        let defaults = TableParams::from_query("page=x&top_up=+");
        assert_eq!((defaults.page, defaults.top_up), (1, None));
    }
}
