//! kvet's engine behind a wasm-bindgen API: files in, findings out, nothing uploaded.
