//! The `gateway_path` target: the gateway's request-path normalisation
//! (`custos_gateway::normalize`).

use custos_gateway::normalize;

/// `data` (when UTF-8) as a request path. Asserts: no panic, and a canonical path is absolute,
/// a fixed point (normalising it again changes nothing), and holds no empty, `.` or `..`
/// segment, no `;`, no `\` and no `%25`.
///
/// # Panics
///
/// When a canonical path breaks one of those rules: that is the finding.
pub(crate) fn gateway_path(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let Ok(path) = normalize(raw) else { return };
    assert!(path.starts_with('/'), "{raw:?} → {path:?}");
    assert_eq!(normalize(&path).as_deref(), Ok(path.as_str()), "{raw:?} → {path:?} is not canonical");
    let inner = path.strip_suffix('/').unwrap_or(&path);
    for segment in inner.split('/').skip(1) {
        assert!(!matches!(segment, "" | "." | ".."), "{raw:?} → {path:?} keeps {segment:?}");
    }
    for bad in [";", "\\", "%25"] {
        assert!(!path.contains(bad), "{raw:?} → {path:?} holds {bad:?}");
    }
}
