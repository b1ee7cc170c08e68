//! Lazy loading: a catalog parses only the definitions the kinds it validates need. Alone in
//! its test binary, because the decoded bundle (and its counter) is shared per process.

mod common;

use common::*;

#[test]
fn one_deployment_parses_only_what_it_needs() {
    let c = catalog("1.37", true);
    let (parsed, total) = c.definitions_parsed();
    assert_eq!(parsed, 0, "constructing a catalog parses nothing");
    assert!(total > 800, "{total} definitions in 1.37");

    assert!(validate(&c, &deployment()).is_empty());
    let (after_deployment, _) = c.definitions_parsed();
    assert!(after_deployment > 50, "{after_deployment}");
    assert!(
        after_deployment * 4 < total,
        "a Deployment needed {after_deployment} of {total} definitions"
    );

    // Validating again, or another catalog of the same version, parses nothing new.
    assert!(validate(&c, &deployment()).is_empty());
    assert!(validate(&catalog("1.37", false), &deployment()).is_empty());
    assert_eq!(c.definitions_parsed().0, after_deployment);

    // A StatefulSet shares the pod template: only its own few definitions are new.
    let _ = validator(&c, "apps/v1", "StatefulSet");
    let (after_sts, _) = c.definitions_parsed();
    assert!(
        after_sts > after_deployment && after_sts - after_deployment < 15,
        "{after_deployment} → {after_sts}"
    );

    // Other versions are not even decompressed until asked for.
    let old = catalog("1.25", true);
    assert_eq!(old.definitions_parsed().0, 0);
}
