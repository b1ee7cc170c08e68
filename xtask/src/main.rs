//! Project tasks: `cargo xtask regen-schemas`, `cargo xtask bench`.

mod bench;
mod bench_images;
mod bench_kustomize;
mod bench_webhook;
mod goldens;
mod kustomize_goldens;
mod schemas;
mod webhook_mix;

// The same allocator as kvet itself (mimalloc, set by regorus in kvet-policy), so baselines
// measured here compare like with like.
use kvet_policy as _;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("regen-schemas") => schemas::regen(&args[1..]),
        Some("goldens") => goldens::run(&args[1..]).and_then(|()| kustomize_goldens::run(&[])),
        Some("goldens-kustomize") => kustomize_goldens::run(&args[1..]),
        Some("bench-kustomize") => bench_kustomize::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("bench-images") => bench_images::run(&args[1..]),
        Some("bench-webhook") => bench_webhook::run(&args[1..]),
        _ => Err(
            "usage: cargo xtask regen-schemas [--wheel PATH] [--out DIR]\n       cargo xtask bench [--quick]\n       cargo xtask bench-images [--images N]\n       cargo xtask bench-webhook [--seconds N] [--rate R]"
                .to_owned(),
        ),
    };
    if let Err(e) = result {
        eprintln!("xtask: {e}");
        std::process::exit(1);
    }
}
