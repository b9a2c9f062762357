//! The `gonghui` binary: everything is in the library (`gonghui::cli`).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gonghui::cli::main()
}
