//! Every error code is documented for clients and used by the code, and no code is used
//! without being listed.

use std::path::Path;

fn sources(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read source");
            // The list itself does not count as a use.
            let text = match (
                text.find("pub const ERROR_CODES"),
                path.ends_with("error.rs"),
            ) {
                (Some(start), true) => {
                    let end = start + text[start..].find("];").expect("end of list");
                    format!("{}{}", &text[..start], &text[end..])
                }
                _ => text,
            };
            out.push_str(&text);
        }
    }
}

#[test]
fn every_error_code_is_documented_and_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/API.md")).expect("docs/API.md");
    let mut code = String::new();
    sources(&root.join("src"), &mut code);
    for c in boucle::error::ERROR_CODES {
        assert!(doc.contains(&format!("`{c}`")), "{c} is not in docs/API.md");
        assert!(code.contains(&format!("\"{c}\"")), "{c} is never used");
    }
    // Codes given to Rejection::new or AppError constructors, or written straight into an
    // error's body, must be listed.
    for before in [
        "Rejection::new(\"",
        "AppError::bad_request(\"",
        "AppError::unprocessable(\"",
        "error: \"",
    ] {
        for (i, _) in code.match_indices(before) {
            let rest = &code[i + before.len()..];
            let used = &rest[..rest.find('"').expect("closing quote")];
            assert!(
                boucle::error::ERROR_CODES.contains(&used),
                "{used} is used but not listed"
            );
        }
    }
}
