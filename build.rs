// The migrations are embedded in the binary: rebuild when they change.
// The PostgreSQL variants of the integration tests run only when a server is given.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo::rustc-check-cfg=cfg(boucle_postgres)");
    println!("cargo:rerun-if-env-changed=BOUCLE_TEST_POSTGRES_URL");
    if std::env::var("BOUCLE_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=boucle_postgres");
    }
    // The tests through a real SMTP server run only when one is given.
    println!("cargo::rustc-check-cfg=cfg(boucle_smtp)");
    println!("cargo:rerun-if-env-changed=BOUCLE_TEST_SMTP_URL");
    if std::env::var("BOUCLE_TEST_SMTP_URL").is_ok_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=boucle_smtp");
    }
    // The browser tests run only when a ChromeDriver is given.
    println!("cargo::rustc-check-cfg=cfg(boucle_browser)");
    println!("cargo:rerun-if-env-changed=BOUCLE_TEST_CHROMEDRIVER");
    if std::env::var("BOUCLE_TEST_CHROMEDRIVER").is_ok_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=boucle_browser");
    }
}
