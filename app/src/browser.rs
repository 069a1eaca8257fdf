//! The few things only a browser can answer or do, in one place: the viewer's own time
//! zone and clock, the clipboard, selecting text, moving focus. On the server (and in
//! tests) they answer `None` or do nothing: the page is rendered in the workshop's terms
//! and these take over after hydration.

#[cfg(feature = "hydrate")]
mod imp {
    use wasm_bindgen::{JsCast, JsValue};

    /// Formats an RFC 3339 instant in the viewer's own time zone.
    pub fn in_viewer_zone(utc: &str) -> Option<String> {
        let date = js_sys::Date::new(&JsValue::from_str(utc));
        if date.get_time().is_nan() {
            return None;
        }
        let options = js_sys::Object::new();
        for (key, value) in [
            ("weekday", "short"),
            ("day", "numeric"),
            ("month", "short"),
            ("year", "numeric"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("timeZoneName", "short"),
        ] {
            js_sys::Reflect::set(&options, &key.into(), &value.into()).ok()?;
        }
        Some(String::from(date.to_locale_string("en-GB", &options)))
    }

    /// The viewer's offset from UTC at `unix` seconds, in seconds.
    pub fn viewer_offset_secs(unix: i64) -> Option<i32> {
        let date = js_sys::Date::new(&JsValue::from_f64(unix as f64 * 1000.0));
        let minutes_behind = date.get_timezone_offset();
        (!minutes_behind.is_nan()).then(|| -(minutes_behind as i32) * 60)
    }

    /// The viewer's IANA time zone, e.g. `America/New_York`.
    pub fn viewer_zone_name() -> Option<String> {
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
            .ok()?
            .as_string()
    }

    /// The viewer's clock, in UTC milliseconds.
    pub fn now_millis() -> Option<f64> {
        Some(js_sys::Date::now())
    }

    /// Puts `text` on the clipboard; `false` when the browser refuses (no permission, an
    /// insecure context), so the caller can fall back to selecting the text.
    pub async fn copy_to_clipboard(text: String) -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let clipboard = window.navigator().clipboard();
        let promise = clipboard.write_text(&text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }

    /// Selects the text of element `id`, for copying by hand.
    pub fn select_text_of(id: &str) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let (Some(element), Ok(range)) = (document.get_element_by_id(id), document.create_range())
        else {
            return;
        };
        if range.select_node_contents(&element).is_err() {
            return;
        }
        if let Ok(Some(selection)) = web_sys::window().unwrap().get_selection() {
            let _ = selection.remove_all_ranges();
            let _ = selection.add_range(&range);
        }
    }

    /// The query string (without `?`) the GET form being submitted would send.
    pub fn form_query(submit: &leptos::ev::SubmitEvent) -> Option<String> {
        let form = submit
            .target()?
            .dyn_into::<web_sys::HtmlFormElement>()
            .ok()?;
        let data = web_sys::FormData::new_with_form(&form).ok()?;
        let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
        Some(String::from(params.to_string()))
    }

    /// The value of the field `name` in the form being submitted (a ticked checkbox's
    /// value; `None` for an unticked one).
    pub fn form_field(submit: &leptos::ev::SubmitEvent, name: &str) -> Option<String> {
        let form = submit
            .target()?
            .dyn_into::<web_sys::HtmlFormElement>()
            .ok()?;
        web_sys::FormData::new_with_form(&form)
            .ok()?
            .get(name)
            .as_string()
    }

    /// Puts `?query` in the address bar as a new history entry, without loading it.
    pub fn push_query(query: &str) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let path = window.location().pathname().unwrap_or_default();
        let url = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        if let Ok(history) = window.history() {
            let _ = history.push_state_with_url(&JsValue::NULL, "", Some(&url));
        }
    }

    /// The address bar's query string, without `?`.
    pub fn current_query() -> Option<String> {
        let search = web_sys::window()?.location().search().ok()?;
        Some(search.trim_start_matches('?').to_string())
    }

    /// Moves keyboard (and screen reader) focus to element `id`; `false` when there is
    /// no such element (yet).
    pub fn focus(id: &str) -> bool {
        match web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            Some(element) => element.focus().is_ok(),
            None => false,
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    pub fn in_viewer_zone(_utc: &str) -> Option<String> {
        None
    }

    pub fn viewer_zone_name() -> Option<String> {
        None
    }

    pub fn viewer_offset_secs(_unix: i64) -> Option<i32> {
        None
    }

    pub fn now_millis() -> Option<f64> {
        None
    }

    pub async fn copy_to_clipboard(_text: String) -> bool {
        false
    }

    pub fn select_text_of(_id: &str) {}

    pub fn form_query(_submit: &leptos::ev::SubmitEvent) -> Option<String> {
        None
    }

    pub fn form_field(_submit: &leptos::ev::SubmitEvent, _name: &str) -> Option<String> {
        None
    }

    pub fn push_query(_query: &str) {}

    pub fn current_query() -> Option<String> {
        None
    }

    pub fn focus(_id: &str) -> bool {
        false
    }
}

pub use imp::{
    copy_to_clipboard, current_query, focus, form_field, form_query, in_viewer_zone, now_millis,
    push_query, select_text_of, viewer_offset_secs, viewer_zone_name,
};
