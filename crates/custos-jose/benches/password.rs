//! The cost of a user password check at sign-in (Argon2id, the parameters of
//! `custos_jose::password`): one verification is what every sign-in and every password grant
//! pays, and what an unknown user's dummy verification spends.

use criterion::{Criterion, criterion_group, criterion_main};
use custos_jose::password;
use std::hint::black_box;

fn sign_in(c: &mut Criterion) {
    let stored = password::hash("Passw0rd!").expect("hash");
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(20);
    group.bench_function("verify (one sign-in)", |b| {
        b.iter(|| password::verify(black_box("Passw0rd!"), &stored))
    });
    group
        .bench_function("hash (user create or reset)", |b| b.iter(|| password::hash(black_box("Passw0rd!"))));
    group.finish();
}

criterion_group!(benches, sign_in);
criterion_main!(benches);
