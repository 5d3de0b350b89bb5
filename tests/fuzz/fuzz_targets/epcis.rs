#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| boucle_fuzz::epcis(data));
