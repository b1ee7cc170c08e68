//! The kvet pipeline.
