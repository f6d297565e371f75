// GraphQL serving allocates many small, short-lived values per request; mimalloc serves them
// with far less time in the allocator than glibc's malloc (profiled in bench/NOTES.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    fupin_market::cli::main()
}
