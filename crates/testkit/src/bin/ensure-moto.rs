//! Installs the pinned moto server into the project's virtualenv if needed and prints the path of
//! `moto_server`. Used by `scripts/demo` so the install logic lives in one place.

fn main() {
    let path = groundwork_testkit::ensure_moto();
    #[allow(clippy::print_stdout)]
    {
        println!("{}", path.display());
    }
}
