fn main() -> std::process::ExitCode {
    etrack::cli::run()
}
