//! Compiles the PostgreSQL half of the black-box suite in only when
//! `UPTURN_TEST_POSTGRES_URL` is set; otherwise those tests show as ignored
//! with the reason, so a run on SQLite alone says what it skipped.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(upturn_postgres)");
    println!("cargo::rerun-if-env-changed=UPTURN_TEST_POSTGRES_URL");
    if std::env::var_os("UPTURN_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=upturn_postgres");
    }
}
