//! Container images: references parsed as the container ecosystem parses them, tags resolved
//! to digests through the OCI distribution API, and cosign signatures verified.
