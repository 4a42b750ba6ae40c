//! Compiles the C shim that gives `src/num.rs` C's `long double`, `strtold`,
//! `strtod` and `printf` conversions (see `csrc/longdouble.c` for why).

fn main() {
    println!("cargo:rerun-if-changed=csrc/longdouble.c");
    cc::Build::new()
        .file("csrc/longdouble.c")
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .compile("ferrite_longdouble");
}
