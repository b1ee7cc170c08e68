//! Kustomizations built natively: resources, components, patches, generators and
//! transformers, in the order `kubectl kustomize` applies them.
