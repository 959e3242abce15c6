//! Compiles the PostgreSQL half of the black-box suite in only when
//! `UPTURN_TEST_POSTGRES_URL` is set, and the browser suite only when
//! Debian's Chromium and its WebDriver are installed; otherwise those tests
//! show as ignored with the reason, so a run says what it skipped.

use std::path::Path;

/// Where Debian's `chromium` and `chromium-driver` packages put them; the
/// browser harness (`tests/common/browser.rs`) runs these two paths.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(upturn_postgres)");
    println!("cargo::rerun-if-env-changed=UPTURN_TEST_POSTGRES_URL");
    if std::env::var_os("UPTURN_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=upturn_postgres");
    }

    println!("cargo::rustc-check-cfg=cfg(upturn_browser)");
    let mut installed = true;
    for program in [CHROMIUM, CHROMEDRIVER] {
        let path = Path::new(program);
        // Cargo counts a watched path that does not exist as changed, and
        // would rebuild every test binary on every run: watch the folder
        // instead, whose own time changes when the program is installed.
        let watched = match path.parent() {
            Some(folder) if !path.exists() => folder,
            _ => path,
        };
        println!("cargo::rerun-if-changed={}", watched.display());
        installed &= path.exists();
    }
    if installed {
        println!("cargo::rustc-cfg=upturn_browser");
    }
}
