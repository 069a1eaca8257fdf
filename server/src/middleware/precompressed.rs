//! The compiled site's files (wasm, JS, CSS), compressed with brotli at its highest
//! quality and with gzip, and served from memory to browsers that take them. The wasm an
//! attendee's phone downloads on conference wifi is the page's weight: on-the-fly
//! compression (the `compression` layer, fast but light) sends about a quarter more.
//!
//! Release builds make the compressed files at build time (`cargo leptos build
//! --precompress`, which `make dist`, `make run` and the tests use): they are read at
//! start-up, before the server listens, so the very first request after a start or a
//! deploy — when a room arrives — is answered with them. A file without its `.br` and
//! `.gz` beside it (a release build made without `--precompress`) is compressed at
//! start-up too, still before the server listens: a few seconds of start-up rather than
//! a room's first minute of lighter, on-the-fly compression. Only files with a content
//! hash in their names are taken (release builds): a dev build changes them on every save.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};

/// The compressed forms of one file.
struct Compressed {
    content_type: &'static str,
    // `Bytes`: each answer shares the buffer instead of copying it.
    brotli: Bytes,
    gzip: Bytes,
}

/// A site file still to compress.
struct Pending {
    path: PathBuf,
    url: String,
    content_type: &'static str,
}

/// Files by URL path (`/pkg/app.abc123.wasm`), complete before the server listens and
/// never changed afterwards (so no lock).
#[derive(Clone, Default)]
pub struct PrecompressedFiles {
    files: Arc<HashMap<String, Compressed>>,
}

impl PrecompressedFiles {
    /// Reads the compressed files the build made for `folder` (served under
    /// `url_prefix`, e.g. `/pkg/`), and compresses the others now. Blocking, on purpose:
    /// it runs once at start-up, before the listener accepts anything.
    pub fn load(folder: &Path, url_prefix: &str) -> Self {
        let mut files = HashMap::new();
        let pending = load_prebuilt(&mut files, folder, url_prefix);
        if !pending.is_empty() {
            compress(&mut files, pending);
        }
        PrecompressedFiles {
            files: Arc::new(files),
        }
    }

    /// The compressed answer for `path`, if there is one the browser accepts.
    fn answer(&self, path: &str, accept_encoding: &str) -> Option<Response> {
        let file = self.files.get(path)?;
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

/// Takes every file whose `.br` and `.gz` the build made; returns the others.
fn load_prebuilt(
    files: &mut HashMap<String, Compressed>,
    folder: &Path,
    url_prefix: &str,
) -> Vec<Pending> {
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
                let compressed = Compressed {
                    content_type,
                    brotli: Bytes::from(brotli),
                    gzip: Bytes::from(gzip),
                };
                files.insert(url, compressed);
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

fn compress(files: &mut HashMap<String, Compressed>, pending: Vec<Pending>) {
    let started = std::time::Instant::now();
    let (mut count, mut original, mut sent) = (0usize, 0usize, 0usize);
    for file in pending {
        let Ok(bytes) = std::fs::read(&file.path) else {
            continue;
        };
        let compressed = Compressed {
            content_type: file.content_type,
            brotli: Bytes::from(brotli_max(&bytes)),
            gzip: Bytes::from(gzip_max(&bytes)),
        };
        count += 1;
        original += bytes.len();
        sent += compressed.brotli.len();
        files.insert(file.url, compressed);
    }
    tracing::info!(
        files = count,
        bytes = original,
        brotli_bytes = sent,
        millis = started.elapsed().as_millis() as u64,
        "site files compressed at start-up, before listening (the build made no .br/.gz \
         for them: build with `cargo leptos build --release --split --precompress`)"
    );
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

    async fn body_of(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn a_file_the_build_left_uncompressed_is_compressed_before_the_first_request() {
        let folder = tempfile::tempdir().unwrap();
        let wasm = "(module) ".repeat(50_000).into_bytes();
        std::fs::write(folder.path().join("app.Ab12.wasm"), &wasm).unwrap();
        let files = PrecompressedFiles::load(folder.path(), "/pkg/");
        // The very first answer is the best brotli, with its length: not on-the-fly.
        let response = files.answer("/pkg/app.Ab12.wasm", "gzip, br").unwrap();
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(body_of(response).await, brotli_max(&wasm));
        let response = files.answer("/pkg/app.Ab12.wasm", "gzip").unwrap();
        assert_eq!(body_of(response).await, gzip_max(&wasm));
        assert!(files.answer("/pkg/app.Ab12.wasm", "identity").is_none());
    }

    #[tokio::test]
    async fn the_builds_compressed_files_are_served_as_they_are() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("app.Ab12.js"), "console.log(1)").unwrap();
        std::fs::write(
            folder.path().join("app.Ab12.js.br"),
            b"made by the build (br)",
        )
        .unwrap();
        std::fs::write(
            folder.path().join("app.Ab12.js.gz"),
            b"made by the build (gz)",
        )
        .unwrap();
        let files = PrecompressedFiles::load(folder.path(), "/pkg/");
        let response = files.answer("/pkg/app.Ab12.js", "br").unwrap();
        assert_eq!(body_of(response).await, b"made by the build (br)");
        let response = files.answer("/pkg/app.Ab12.js", "gzip").unwrap();
        assert_eq!(body_of(response).await, b"made by the build (gz)");
    }
}
