//! Project tasks: `cargo xtask regen-schemas`, `cargo xtask bench`.

mod bench;
mod schemas;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("regen-schemas") => schemas::regen(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        _ => Err(
            "usage: cargo xtask regen-schemas [--wheel PATH] [--out DIR]\n       cargo xtask bench [--quick]"
                .to_owned(),
        ),
    };
    if let Err(e) = result {
        eprintln!("xtask: {e}");
        std::process::exit(1);
    }
}
