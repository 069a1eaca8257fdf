//! The few things only a browser can answer, in one place. On the server (and in
//! tests) they answer `None` or do nothing: the page is rendered in the workshop's
//! terms and these take over after hydration.

#[cfg(feature = "hydrate")]
mod imp {
    use wasm_bindgen::JsValue;

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

    /// The viewer's IANA time zone, e.g. `America/New_York`.
    pub fn viewer_zone_name() -> Option<String> {
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
            .ok()?
            .as_string()
    }

    /// Marks `<body data-hydrated>` so end-to-end tests wait for hydration, not for time.
    pub fn mark_hydrated() {
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
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

    pub fn mark_hydrated() {}
}

pub use imp::{in_viewer_zone, mark_hydrated, viewer_zone_name};
