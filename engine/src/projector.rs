//! The projector page's data: the claim URL and its QR code (made here, drawn by the
//! page as SVG), and how full the workshop is.

use qrcodegen::{QrCode, QrCodeEcc};

use crate::claims::{figures, known_workshop};
use crate::state::AppState;
use wire::error::AppError;
use wire::model::{Projector, QrMatrix};

pub async fn projector(state: &AppState, slug: &str) -> Result<Projector, AppError> {
    let workshop = known_workshop(state, slug)?;
    let claim_url = format!(
        "{}/w/{}",
        state.public_url.trim_end_matches('/'),
        workshop.slug
    );
    let short_url = claim_url
        .split_once("://")
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_else(|| claim_url.clone());
    Ok(Projector {
        workshop: workshop.summary(state.clock.now()),
        qr: qr_matrix(&claim_url)?,
        claim_url,
        short_url,
        figures: figures(state, &workshop).await?,
    })
}

/// The QR code of `text`, medium error correction (a projector photographed from the
/// back of a room is not a crisp print).
pub fn qr_matrix(text: &str) -> Result<QrMatrix, AppError> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|error| {
        tracing::error!(%error, "the claim URL does not fit a QR code");
        AppError::Internal
    })?;
    let size = code.size();
    let mut modules = String::with_capacity((size * size) as usize);
    for y in 0..size {
        for x in 0..size {
            modules.push(if code.get_module(x, y) { '1' } else { '0' });
        }
    }
    Ok(QrMatrix {
        size: i64::from(size),
        modules,
    })
}
