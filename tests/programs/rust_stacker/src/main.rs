// Parses nested `(` and `[` from the file named by argv[1]. The whole parse
// runs on a 1 MiB segment that stacker allocates (`stacker::grow`), as rustc
// runs its own. `(` levels call `stacker::maybe_grow`, which moves onto a new
// segment when fewer than 32 KiB are left; `[` levels do not, so deep `[`
// nesting runs out of the 1 MiB segment and hits its guard page.
#[inline(never)]
fn parens(input: &[u8], at: usize) -> usize {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || expression(input, at + 1))
}

#[inline(never)]
fn brackets(input: &[u8], at: usize) -> usize {
    let mut pad = [at as u8; 400]; // a big parser frame, kept by the volatile accesses
    unsafe { std::ptr::write_volatile(&mut pad[at % 400], 1) };
    let end = expression(input, at + 1);
    end + (unsafe { std::ptr::read_volatile(&pad[at % 400]) } as usize & 0)
}

#[inline(never)]
fn expression(input: &[u8], at: usize) -> usize {
    match input.get(at) {
        Some(b'(') => parens(input, at) + 1,
        Some(b'[') => brackets(input, at) + 1,
        _ => at,
    }
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: test-rust_stacker FILE");
    let input = std::fs::read(&path).expect("cannot read input");
    let end = stacker::grow(1024 * 1024, || expression(&input, 0));
    println!("parsed {} bytes", end);
}
