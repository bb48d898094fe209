fn main() {
    std::process::exit(mb::nesting::with_deep_stack(mb::cli::main));
}
