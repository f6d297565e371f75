fn main() -> std::process::ExitCode {
    fupin_market::cli::main()
}
