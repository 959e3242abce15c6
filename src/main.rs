//! The `upturn` binary. All the work is in `upturn_api`; it lives in the
//! root package so the black-box tests can start it as a real process.

fn main() -> std::process::ExitCode {
    upturn_api::cli::main()
}
