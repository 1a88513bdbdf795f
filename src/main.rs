//! The `branchwatch` binary: parses the command line and hands over to [`branchwatch::cli`].

fn main() -> std::process::ExitCode {
    branchwatch::cli::main()
}
