//! A QR code drawn as SVG from its modules: crisp at any size, no image, no script, and
//! with the quiet zone scanners need around it. Dark on white whatever the page's colour
//! scheme, because scanners expect that.

use leptos::prelude::*;

use wire::model::QrMatrix;

/// Modules of white border the QR standard asks for.
const QUIET_ZONE: i64 = 4;

#[component]
pub fn QrCode(matrix: QrMatrix, #[prop(into)] label: String) -> impl IntoView {
    let span = matrix.size + 2 * QUIET_ZONE;
    let view_box = format!("{} {} {span} {span}", -QUIET_ZONE, -QUIET_ZONE);
    view! {
        <svg class="qr-code" viewBox=view_box role="img" aria-label=label shape-rendering="crispEdges"
            xmlns="http://www.w3.org/2000/svg">
            <rect x=-QUIET_ZONE y=-QUIET_ZONE width=span height=span fill="#ffffff" />
            <path d=matrix.svg_path() fill="#000000" />
        </svg>
    }
}
