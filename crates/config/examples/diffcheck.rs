//! Temporary differential check (removed after use).
use std::io::BufRead;
fn main() {
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let (name, value) = line.split_once('\t').unwrap();
        let mut c = ferrite_config::Config::default();
        match c.set(&[(name.as_bytes(), value.as_bytes())]) {
            Ok(()) => {
                let v = c.get(&[name.as_bytes()]);
                println!("OK {}", String::from_utf8_lossy(&v[0].1));
            }
            Err(e) => println!("{e}"),
        }
    }
}
