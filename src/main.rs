fn main() {
    std::process::exit(mb::cli::main());
}
