//! Embeds the web client (`web/*.html`, `web/assets/*`) into the api at compile time, so one
//! deploy serves pages and API from one origin. Each file is stored as is and, when that is
//! smaller, gzipped here once (no compression work in Lambda), with its ETag: the SHA-256 of
//! its bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[path = "../non_pie.rs"]
mod non_pie;

fn content_type(name: &str) -> Option<&'static str> {
    Some(match name.rsplit('.').next()? {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/manifest+json",
        _ => return None,
    })
}

fn files(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_file() && content_type(&name).is_some() {
            out.push((format!("{prefix}{name}"), e.path()));
        }
    }
}

fn main() {
    non_pie::link_bins_non_pie();
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let web = manifest.join("../../web");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("out dir"));
    println!("cargo:rerun-if-changed={}", web.display());
    println!("cargo:rerun-if-changed={}", web.join("assets").display());

    let mut found = Vec::new();
    files(&web, "", &mut found);
    files(&web.join("assets"), "assets/", &mut found);

    let mut table = String::from("pub static ASSETS: &[Asset] = &[\n");
    for (i, (name, path)) in found.iter().enumerate() {
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = std::fs::read(path).expect("read web file");
        let etag = hex::encode(&Sha256::digest(&bytes)[..16]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes).expect("gzip");
        let gz = gz.finish().expect("gzip");
        let gzip = if gz.len() < bytes.len() {
            let gz_path = out_dir.join(format!("asset{i}.gz"));
            std::fs::write(&gz_path, &gz).expect("write gzip");
            format!("Some(include_bytes!({:?}))", gz_path.display().to_string())
        } else {
            "None".to_owned()
        };
        let path = path.canonicalize().expect("canonical path");
        table.push_str(&format!(
            "    Asset {{ name: {name:?}, content_type: {ct:?}, etag: {etag:?}, body: include_bytes!({p:?}), gzip: {gzip} }},\n",
            ct = content_type(name).unwrap_or("application/octet-stream"),
            p = path.display().to_string(),
        ));
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("web_assets.rs"), table).expect("write asset table");
}
