//! The compiled site's files (wasm, JS, CSS), compressed with brotli at its highest
//! quality and with gzip, and served from memory to browsers that take them. The wasm an
//! attendee's phone downloads on conference wifi is the page's weight: on-the-fly
//! compression (the `compression` layer, fast but light) sends about a quarter more.
//!
//! Release builds make the compressed files at build time (`cargo leptos build
//! --precompress`, which `make dist`, `make run` and the tests use): they are read at
//! start-up, before the server listens, so the very first request after a start or a
//! deploy — when a room arrives — is answered with them. A file without its `.br` and
//! `.gz` beside it is compressed in the background instead (a few seconds for ~1 MB of
//! wasm) and served as before until then. Only files with a content hash in their names
//! are taken (release builds): a dev build changes them on every save.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};

/// The compressed forms of one file.
struct Compressed {
    content_type: &'static str,
    brotli: Vec<u8>,
    gzip: Vec<u8>,
}

/// A site file still to compress.
struct Pending {
    path: PathBuf,
    url: String,
    content_type: &'static str,
}

/// Files by URL path (`/pkg/app.abc123.wasm`).
#[derive(Clone, Default)]
pub struct PrecompressedFiles {
    files: Arc<RwLock<HashMap<String, Compressed>>>,
}

impl PrecompressedFiles {
    /// Reads the compressed files the build made for `folder` (served under
    /// `url_prefix`, e.g. `/pkg/`) now, and compresses the others in a blocking task.
    pub fn start(folder: PathBuf, url_prefix: &'static str) -> Self {
        let files = PrecompressedFiles::default();
        let pending = files.load_prebuilt(&folder, url_prefix);
        if !pending.is_empty() {
            let filling = files.clone();
            tokio::task::spawn_blocking(move || filling.compress(pending));
        }
        files
    }

    /// Takes every file whose `.br` and `.gz` the build made; returns the others.
    fn load_prebuilt(&self, folder: &Path, url_prefix: &str) -> Vec<Pending> {
        let Ok(entries) = std::fs::read_dir(folder) else {
            return Vec::new();
        };
        let (mut prebuilt, mut pending) = (0usize, Vec::new());
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            let Some(content_type) = content_type(name) else {
                continue;
            };
            let url = format!("{url_prefix}{name}");
            let read = |suffix: &str| std::fs::read(folder.join(format!("{name}.{suffix}")));
            match (read("br"), read("gz")) {
                (Ok(brotli), Ok(gzip)) if !brotli.is_empty() && !gzip.is_empty() => {
                    prebuilt += 1;
                    self.insert(
                        url,
                        Compressed {
                            content_type,
                            brotli,
                            gzip,
                        },
                    );
                }
                _ => pending.push(Pending {
                    path,
                    url,
                    content_type,
                }),
            }
        }
        if prebuilt > 0 {
            tracing::info!(files = prebuilt, "site files precompressed at build time");
        }
        pending
    }

    fn compress(&self, pending: Vec<Pending>) {
        let started = std::time::Instant::now();
        let (mut count, mut original, mut sent) = (0usize, 0usize, 0usize);
        for file in pending {
            let Ok(bytes) = std::fs::read(&file.path) else {
                continue;
            };
            let compressed = Compressed {
                content_type: file.content_type,
                brotli: brotli_max(&bytes),
                gzip: gzip_max(&bytes),
            };
            count += 1;
            original += bytes.len();
            sent += compressed.brotli.len();
            self.insert(file.url, compressed);
        }
        tracing::info!(
            files = count,
            bytes = original,
            brotli_bytes = sent,
            millis = started.elapsed().as_millis() as u64,
            "site files precompressed after start-up (the build made no .br/.gz for them)"
        );
    }

    fn insert(&self, url: String, compressed: Compressed) {
        if let Ok(mut files) = self.files.write() {
            files.insert(url, compressed);
        }
    }

    /// The compressed answer for `path`, if there is one the browser accepts.
    fn answer(&self, path: &str, accept_encoding: &str) -> Option<Response> {
        let files = self.files.read().ok()?;
        let file = files.get(path)?;
        let (encoding, bytes) = if accepts(accept_encoding, "br") {
            ("br", file.brotli.clone())
        } else if accepts(accept_encoding, "gzip") {
            ("gzip", file.gzip.clone())
        } else {
            return None;
        };
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, file.content_type)
            .header(header::CONTENT_ENCODING, encoding)
            .header(header::VARY, HeaderValue::from_static("accept-encoding"))
            .body(Body::from(bytes))
            .ok()
    }
}

/// Serves a precompressed file when there is one; everything else passes through.
pub async fn serve_precompressed(
    files: PrecompressedFiles,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::GET {
        let accept = request
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if let Some(response) = files.answer(request.uri().path(), accept) {
            return response;
        }
    }
    next.run(request).await
}

/// Only hashed release files (`name.<hash>.ext`) of the kinds worth compressing.
fn content_type(name: &str) -> Option<&'static str> {
    let hashed = name.split('.').count() >= 3;
    let kind = match name.rsplit('.').next()? {
        "wasm" => "application/wasm",
        "js" => "text/javascript",
        "css" => "text/css",
        "json" => "application/json",
        _ => return None,
    };
    hashed.then_some(kind)
}

fn accepts(accept_encoding: &str, encoding: &str) -> bool {
    accept_encoding.split(',').any(|part| {
        let mut pieces = part.split(';');
        let name = pieces.next().unwrap_or_default().trim();
        let refused = pieces.any(|parameter| parameter.trim().replace(' ', "") == "q=0");
        name.eq_ignore_ascii_case(encoding) && !refused
    })
}

fn brotli_max(bytes: &[u8]) -> Vec<u8> {
    let mut output = Vec::with_capacity(bytes.len() / 3);
    {
        let mut writer = brotli::CompressorWriter::new(&mut output, 64 * 1024, 11, 22);
        let _ = writer.write_all(bytes);
    }
    output
}

fn gzip_max(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_release_files_are_taken() {
        assert_eq!(content_type("app.Ab12.wasm"), Some("application/wasm"));
        assert_eq!(content_type("app.wasm"), None);
        assert_eq!(content_type("app.Ab12.png"), None);
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(!accepts("gzip, br;q=0", "br"));
        assert!(accepts("gzip;q=1.0", "gzip"));
        assert!(!accepts("identity", "gzip"));
    }

    #[test]
    fn what_is_compressed_comes_back_the_same() {
        let text = "wasm ".repeat(10_000).into_bytes();
        let mut brotli_out = Vec::new();
        brotli::BrotliDecompress(&mut brotli_max(&text).as_slice(), &mut brotli_out).unwrap();
        assert_eq!(brotli_out, text);
        let mut gzip_out = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(gzip_max(&text).as_slice()),
            &mut gzip_out,
        )
        .unwrap();
        assert_eq!(gzip_out, text);
    }
}
