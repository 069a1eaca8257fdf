//! The projector page: what the room sees on the host's screen. Public, with no key,
//! email or name of any attendee.

use serde::{Deserialize, Serialize};

use super::{WorkshopFigures, WorkshopSummary};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projector {
    pub workshop: WorkshopSummary,
    /// `PUBLIC_URL` + `/w/<slug>`: what the QR code says.
    pub claim_url: String,
    /// The same without the scheme, for people typing it in.
    pub short_url: String,
    pub qr: QrMatrix,
    pub figures: WorkshopFigures,
}

/// A QR code's modules, row by row: `size` × `size` of '1' (dark) and '0' (light).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrMatrix {
    pub size: i64,
    pub modules: String,
}

impl QrMatrix {
    pub fn is_dark(&self, x: i64, y: i64) -> bool {
        let index = (y * self.size + x) as usize;
        self.modules.as_bytes().get(index) == Some(&b'1')
    }

    /// One SVG path drawing every dark module as a unit square.
    pub fn svg_path(&self) -> String {
        let mut path = String::new();
        for y in 0..self.size {
            for x in 0..self.size {
                if self.is_dark(x, y) {
                    path.push_str(&format!("M{x} {y}h1v1h-1z"));
                }
            }
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::QrMatrix;

    #[test]
    fn dark_modules_become_squares() {
        let matrix = QrMatrix {
            size: 2,
            modules: "1001".into(),
        };
        assert!(matrix.is_dark(0, 0) && matrix.is_dark(1, 1) && !matrix.is_dark(1, 0));
        assert_eq!(matrix.svg_path(), "M0 0h1v1h-1zM1 1h1v1h-1z");
    }
}
