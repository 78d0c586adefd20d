//! Points the embedded UI at `ui/dist` when it has been built, or at a
//! one-page placeholder that says how to build it, so the server always
//! compiles.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dist = manifest.join("../../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-changed={}", dist.join("index.html").display());

    let folder = if dist.join("index.html").is_file() {
        dist
    } else {
        let placeholder = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("ui-placeholder");
        std::fs::create_dir_all(&placeholder).unwrap();
        std::fs::write(
            placeholder.join("index.html"),
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>MelodyandMeter</title></head>\
             <body><h1>The front-desk UI was not built into this binary</h1>\
             <p>Run <code>npm --prefix ui ci &amp;&amp; npm --prefix ui run build</code>, then rebuild. \
             The API is available under <a href=\"/api/openapi.json\">/api/</a>.</p></body></html>",
        )
        .unwrap();
        placeholder
    };
    println!(
        "cargo:rustc-env=MELODY_UI_DIR={}",
        folder.canonicalize().unwrap().display()
    );
}
